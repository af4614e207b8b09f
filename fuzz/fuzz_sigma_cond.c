/*
 * fuzz_sigma_cond: libFuzzer target for the condition parser, over a
 * rule with the search identifiers a, b, c, sel1, sel2 and _f.
 *
 *	make fuzz && build/fuzz/fuzz_sigma_cond fuzz/corpus/sigma_cond
 */
#include "detect/sigma_int.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rule_text[] = "title: fuzz\n"
				"id: 41111111-2222-4333-8444-555555555555\n"
				"detection:\n"
				"  a: {a: 1}\n"
				"  b: {b: 1}\n"
				"  c: {c: 1}\n"
				"  sel1: {s1: 1}\n"
				"  sel2: {s2: 1}\n"
				"  _f: {f: 1}\n"
				"  condition: a\n";

static const char event[] = "{\"a\":1,\"b\":0,\"c\":1,\"s1\":1,\"f\":1}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigma_rule *r;
	struct sigma_event ev;
	char *text;

	if (size > SG_COND_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sigma_rule_parse(rule_text, sizeof(rule_text) - 1, "fuzz.yml", &r,
			     NULL) < 0)
		abort();
	sg_cond_release(&r->cond);
	if (sg_cond_parse(r, text) == 0 &&
	    sigma_event_parse(&ev, event, strlen(event)) == 0) {
		sigma_rule_match(r, &ev);
		sigma_event_release(&ev);
	}
	sigma_rule_free(r);
	free(text);
	return 0;
}
