/*
 * fuzz_evlog_line: libFuzzer target for one security log line, through
 * every decoder that reads one: evlog_decode() (verification, the
 * watch dashboard), evlog_head_field() (the fast path of the incident
 * report), evline_parse() (ingestion into the case database) and
 * sigma_event_parse().  A log sits where a guest's events are written,
 * so any line must be read or refused cleanly.
 *
 * Where the decoders promise to agree, they must: a field the fast
 * path reads is the field the decoder reads; a line evlog_decode()
 * accepts, evline_parse() accepts with the same values; and a decoded
 * event encodes to a line that decodes to the same event and encodes
 * to the same bytes again.
 *
 *	make fuzz FUZZ_ONLY=evlog_line
 */
#include "detect/evlog.h"
#include "detect/sigma.h"
#include "forensics/evline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* The head fields the fast path finds must be the decoded ones. */
static void
check_head(const char *line, const struct evlog_event *ev)
{
	static const char *const keys[] = {"ts",    "severity", "subsystem",
					   "event", "vm",	"host"};
	const char *want[6];
	char out[EVLOG_VM_MAX + 1];
	size_t i;
	int r;

	want[0] = ev->ts;
	want[1] = ev_severity_name(ev->severity);
	want[2] = ev->subsystem;
	want[3] = ev->event;
	want[4] = ev->vm;
	want[5] = ev->host;
	for (i = 0; i < 6; i++) {
		r = evlog_head_field(line, keys[i], out, sizeof(out));
		if (r == 0 && strcmp(out, want[i]))
			__builtin_trap();
		if (r == 1 && (i != 4 || ev->vm[0]))
			__builtin_trap();
	}
}

/* ev as evline_parse() reads the same line. */
static void
check_evline(const char *line, size_t len, const struct evlog_event *ev)
{
	static struct evline_event e;
	char prev[SHA256_HEX];

	if (evline_parse(line, len, &e) < 0)
		__builtin_trap();
	memcpy(prev, e.prev, sizeof(prev));
	if (!same(e.ts, ev->ts) ||
	    !same(e.severity, ev_severity_name(ev->severity)) ||
	    !same(e.subsystem, ev->subsystem) || !same(e.event, ev->event) ||
	    !same(e.vm ? e.vm : "", ev->vm) || !same(e.host, ev->host) ||
	    e.seq != ev->seq || !same(prev, ev->prev))
		__builtin_trap();
	evline_release(&e);
}

static void
check_encode(const struct evlog_event *ev)
{
	struct evlog_event back;
	char *line, *again;
	size_t len, len2;

	line = evlog_encode(ev, &len);
	if (!line)
		return;
	if (evlog_decode(line, len, &back) != 0)
		__builtin_trap();
	again = evlog_encode(&back, &len2);
	if (!again || len != len2 || memcmp(line, again, len))
		__builtin_trap();
	free(again);
	evlog_event_release(&back);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct evline_event e;
	struct evlog_event ev;
	struct sigma_event sev;
	char *line;

	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';

	if (evlog_decode(line, size, &ev) == 0) {
		if (!memchr(line, '\0', size) && !memchr(line, '\n', size))
			check_head(line, &ev);
		check_evline(line, size, &ev);
		check_encode(&ev);
		evlog_event_release(&ev);
	} else {
		char out[64];

		evlog_head_field(line, "vm", out, sizeof(out));
		evlog_head_field(line, "severity", out, sizeof(out));
	}
	evline_parse(line, size, &e);
	evline_release(&e);
	if (sigma_event_parse(&sev, line, size) == 0)
		sigma_event_release(&sev);
	free(line);
	return 0;
}
