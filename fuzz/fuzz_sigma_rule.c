/*
 * fuzz_sigma_rule: libFuzzer target for the rule loader.  Any input
 * must load or be refused cleanly; a rule that loads is evaluated
 * against a fixed event and turned into LogQL.
 *
 *	make fuzz && build/fuzz/fuzz_sigma_rule fuzz/corpus/sigma_rule
 */
#include "detect/sigma.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char event[] =
	"{\"ts\":\"2026-12-03T19:00:00Z\",\"severity\":\"CRITICAL\","
	"\"subsystem\":\"fsevents\",\"event\":\"file.unexpected\","
	"\"vm\":\"lab1\",\"seq\":3,\"data\":{\"path\":\"/a/b\",\"n\":7,"
	"\"ip\":\"10.0.0.1\",\"l\":[\"x\",\"y\"]}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigma_problems p = {0};
	struct sigma_rule *r;
	struct sigma_event ev;
	char q[4096];

	if (sigma_rule_parse((const char *)data, size, "fuzz.yml", &r, &p) ==
	    0) {
		if (sigma_event_parse(&ev, event, strlen(event)) == 0) {
			sigma_rule_match(r, &ev);
			sigma_event_release(&ev);
		}
		sigma_rule_logql(NULL, r, 600, q, sizeof(q));
		sigma_rule_free(r);
	}
	sigma_problems_release(&p);
	return 0;
}
