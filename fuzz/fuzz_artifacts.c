/*
 * fuzz_artifacts: libFuzzer target for the artifact list triage reads
 * (playbooks/artifacts.yaml, or the copy in the data directory): any
 * YAML must load or be refused with a message, and every text of a
 * list that loads must expand its placeholders into a bounded buffer
 * or be refused.
 *
 *	make fuzz FUZZ_ONLY=artifacts
 */
#include "fuzz/fuzz_file.h"
#include "lib/err.h"
#include "playbooks/artifacts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
expand(const char *text)
{
	static const struct artifact_vars full = {
		"/root/.avf", "lab1",	    "/root/.avf/run/lab1",  "/b",
		"2026-12-03", "2026-12-02", "2026-12-03T18:00:00Z", "4242",
	};
	static const struct artifact_vars gone = {"/h", "lab1", NULL, NULL,
						  NULL, NULL,	NULL, NULL};
	char out[ARTIFACT_TEXT_MAX], tiny[8];
	int r;

	r = artifact_expand(text, &full, out, sizeof(out));
	if (r < -1 || r > 1 || (r == 1 && strlen(out) >= sizeof(out)))
		__builtin_trap();
	r = artifact_expand(text, &gone, tiny, sizeof(tiny));
	if (r == 1 && strlen(tiny) >= sizeof(tiny))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct artifact_list list;
	const struct artifact *a;
	char path[512];
	size_t i;
	int j;

	fuzz_path(path, sizeof(path), "artifacts.yaml");
	fuzz_write(path, data, size);
	if (artifacts_load(path, &list) < 0) {
		if (!err_msg()[0])
			__builtin_trap();
		return 0;
	}
	if (list.count > ARTIFACT_MAX)
		__builtin_trap();
	for (i = 0; i < list.count; i++) {
		a = &list.items[i];
		if (a->argc < 0 || a->argc > ARTIFACT_ARGV_MAX)
			__builtin_trap();
		artifact_kind_name(a->kind);
		expand(a->member);
		expand(a->path);
		for (j = 0; j < a->argc; j++)
			expand(a->argv[j]);
	}
	return 0;
}
