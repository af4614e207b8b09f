/*
 * fuzz_manifest_json: libFuzzer target for manifest.json and
 * custody.jsonl as `secvf evidence verify` reads them from a bundle.
 * Up to the first NUL byte the input is manifest.json; after it,
 * custody.jsonl (no NUL: the bundle has none).  The trail is checked
 * by both of its verifiers, which must agree on a trail the stricter
 * one accepts, and its head is what manifest.json is checked against.
 * A manifest.json that is JSON is rendered into the incident report
 * with the trail.
 *
 *	make fuzz FUZZ_ONLY=manifest_json
 */
#include "forensics/custody.h"
#include "forensics/verify.h"
#include "playbooks/report.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every line of an intact trail names the case of the first. */
static void
check_one_case(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	json_int_t first = 0;
	json_t *o;
	int n = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		o = json_loadb(p, (size_t)(nl - p), 0, NULL);
		if (!json_is_integer(json_object_get(o, "case")))
			__builtin_trap();
		if (n++ == 0)
			first = json_integer_value(json_object_get(o, "case"));
		else if (json_integer_value(json_object_get(o, "case")) !=
			 first)
			__builtin_trap();
		json_decref(o);
		p = nl + 1;
	}
}

static const char *
custody_head(const char *text, size_t len, char head[65])
{
	char strict_head[65];
	int64_t bad;
	size_t lines;
	int chain;

	chain = verify_custody_chain(text, len, &lines, head);
	if (custody_verify_lines(text, len, &bad, strict_head) == 0) {
		if (chain < 0 || strcmp(head, strict_head))
			__builtin_trap();
		check_one_case(text, len);
	}
	if (chain < 0)
		head[0] = '\0';
	return head;
}

static void
render(const char *text, size_t len, const char *custody, size_t custody_len)
{
	json_t *manifest = json_loadb(text, len, 0, NULL), *events;
	size_t html_len;
	char *html;

	if (!manifest)
		return;
	events = json_array();
	html = report_html(manifest, custody, custody_len, events, &html_len);
	if (!html || strlen(html) != html_len)
		__builtin_trap();
	free(html);
	json_decref(events);
	json_decref(manifest);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul, *head = NULL;
	size_t json_len = size;
	char hash[65];

	nul = memchr(text, '\0', size);
	if (nul) {
		json_len = (size_t)(nul - text);
		head = custody_head(nul + 1, size - json_len - 1, hash);
	}
	verify_manifest_json(text, json_len, head);
	render(text, json_len, nul ? nul + 1 : NULL,
	       nul ? size - json_len - 1 : 0);
	return 0;
}
