/*
 * fuzz_manifest: libFuzzer target for MANIFEST.sha256 as `secvf
 * evidence verify` reads it from a bundle.  Text that parses must
 * render (sorted, escaped) to text that parses to the same members,
 * and render again to the same bytes; every member must be found by
 * name and shown in a bounded buffer.
 *
 *	make fuzz FUZZ_ONLY=manifest
 */
#include "forensics/manifest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_same(const struct manifest *a, const struct manifest *b)
{
	size_t i;

	if (a->n != b->n)
		__builtin_trap();
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) ||
		    strcmp(a->v[i].sha256, b->v[i].sha256))
			__builtin_trap();
}

static void
check_entries(const struct manifest *m)
{
	char small[12], shown[512];
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (manifest_find(m, m->v[i].name) != &m->v[i])
			__builtin_trap();
		manifest_display(m->v[i].name, small, sizeof(small));
		manifest_display(m->v[i].name, shown, sizeof(shown));
		if (strlen(small) >= sizeof(small) ||
		    strlen(shown) >= sizeof(shown))
			__builtin_trap();
		manifest_check_name(m->v[i].name);
		manifest_is_reserved(m->v[i].name);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m, back;
	char *text, *again;
	size_t len, len2;

	if (manifest_parse((const char *)data, size, &m) < 0) {
		if (m.n || m.v)
			__builtin_trap();
		return 0;
	}
	check_entries(&m);
	if (manifest_render(&m, &text, &len) < 0 ||
	    manifest_parse(text, len, &back) < 0)
		__builtin_trap();
	check_same(&m, &back);
	if (manifest_render(&back, &again, &len2) < 0 || len != len2 ||
	    memcmp(text, again, len))
		__builtin_trap();
	free(again);
	free(text);
	manifest_release(&back);
	manifest_release(&m);
	return 0;
}
