/*
 * fuzz_advice: libFuzzer target for the advice matrix loader
 * (playbooks/advice.yaml, or the copy in the data directory): any YAML
 * must load or be refused with a message; a matrix that loads is
 * looked up for the events of each layer, and its globs must not make
 * a lookup fail.
 *
 *	make fuzz FUZZ_ONLY=advice
 */
#include "fuzz/fuzz_file.h"
#include "lib/err.h"
#include "playbooks/advice.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const events[][3] = {
	{"CRITICAL", "fsevents", "file.unexpected"},
	{"EMERGENCY", "containment", "breach-suspected"},
	{"WARNING", "network", "frame.malformed"},
	{NULL, "vsock", "message.oversized"},
	{"INFO", "any", "*"},
	{"LOUD", "", ""},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct advice_row *row;
	struct advice *a;
	char path[512];
	size_t i;

	fuzz_path(path, sizeof(path), "advice.yaml");
	fuzz_write(path, data, size);
	if (advice_load(path, &a) < 0) {
		if (a || !err_msg()[0])
			__builtin_trap();
		return 0;
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		row = advice_lookup(a, events[i][0], events[i][1],
				    events[i][2]);
		if (row && (row < a->rows || row >= a->rows + a->n))
			__builtin_trap();
	}
	for (i = 0; i < a->n; i++) {
		advice_severity_rank(a->rows[i].severity);
		advice_lookup(a, a->rows[i].severity, a->rows[i].subsystem,
			      a->rows[i].event);
	}
	advice_free(a);
	return 0;
}
