#include "det_helpers.h"

#include "helpers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
rec_emit(void *ctx, enum ev_severity sev, const char *subsystem,
	 const char *event, json_t *data)
{
	struct rec *r = ctx;

	json_array_append_new(
		r->events, json_pack("{s:s,s:s,s:s,s:o}", "severity",
				     ev_severity_name(sev), "subsystem",
				     subsystem, "event", event, "data", data));
}

void
rec_init(struct rec *r)
{
	r->events = json_array();
	r->sink.emit = rec_emit;
	r->sink.ctx = r;
}

void
rec_release(struct rec *r)
{
	json_decref(r->events);
	r->events = NULL;
}

static int
matches(const json_t *ev, const char *name)
{
	char full[256];

	if (!name)
		return 1;
	snprintf(full, sizeof(full), "%s.%s",
		 json_string_value(json_object_get(ev, "subsystem")),
		 json_string_value(json_object_get(ev, "event")));
	return !strcmp(full, name);
}

size_t
rec_count(const struct rec *r, const char *name)
{
	size_t i, n = 0;
	json_t *ev;

	json_array_foreach(r->events, i, ev) n += matches(ev, name);
	return n;
}

json_t *
rec_find(const struct rec *r, const char *name)
{
	size_t i;
	json_t *ev;

	json_array_foreach(r->events, i, ev) if (matches(ev, name)) return ev;
	return NULL;
}

const char *
rec_severity(const struct rec *r, const char *name)
{
	json_t *ev = rec_find(r, name);

	return ev ? json_string_value(json_object_get(ev, "severity")) : "";
}

char *
det_fixture(const char *name, size_t *len)
{
	char rel[256];
	char *text;

	snprintf(rel, sizeof(rel), "detect/%s", name);
	text = th_read(th_fixture(rel));
	if (text && len)
		*len = strlen(text);
	return text;
}

unsigned char *
det_unhex(const char *text, size_t *len)
{
	unsigned char *out = malloc(strlen(text) / 2 + 1);
	int hi = -1;
	size_t n = 0;

	for (; out && *text; text++) {
		int v;

		if (*text == '#') {
			while (text[1] && text[1] != '\n')
				text++;
			continue;
		}
		if (!isxdigit((unsigned char)*text))
			continue;
		v = isdigit((unsigned char)*text) ? *text - '0'
						  : (tolower(*text) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	*len = n;
	return out;
}
