/*
 * evline: reading security event logs (CONTRACTS.md, "Security event
 * log line") on the ingestion side, without the writer's code.
 *
 * A reader hands out one line at a time from a bounded buffer: no line,
 * however long, costs more than EVLINE_BUF bytes of memory.
 */
#ifndef SECVF_EVLINE_H
#define SECVF_EVLINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define EVLINE_MAX 65536        /* longer lines are reported too long */
#define EVLINE_BUF (1024 * 1024) /* read buffer, > EVLINE_MAX */

struct evline_reader;

enum evline_kind {
	EVLINE_OK,       /* a complete line */
	EVLINE_TOO_LONG, /* a line over EVLINE_MAX bytes, skipped */
	EVLINE_PARTIAL,  /* unterminated text at the end: a write in progress */
	EVLINE_END,      /* nothing more */
};

/* Open a regular file for reading; *out to evline_close(), NULL on error. */
int evline_open(const char *path, struct evline_reader **out);
void evline_close(struct evline_reader *r);

/*
 * The next line without its "\n": *line and *len stay valid until the
 * next call.  *kind says whether there is one; -1 on a read error.
 */
int evline_next(struct evline_reader *r, const char **line, size_t *len,
		enum evline_kind *kind);

/* One event, read from a line by evline_parse(). */
struct evline_event {
	const char *ts, *severity, *subsystem, *event, *vm, *host, *prev;
	const char *data; /* the data object, compact JSON */
	int64_t seq;      /* vm is NULL for a JSON null */

	/* private: what the strings point into */
	json_t *root;
	char *data_text;
	char buf[EVLINE_MAX + 16];
};

/*
 * Parse and check one line: an object with ts (ISO-8601 UTC with
 * microseconds), a known severity, non-empty subsystem and event, vm a
 * string or null, host, seq >= 1, data an object and prev 64 hex
 * digits; duplicate keys are refused.  Lines laid out as the writer
 * lays them out (keys in order, compact, plain ASCII strings) are read
 * without building a JSON tree but for data; others go through jansson.
 *
 * 0 when it is an event, -1 when not.  Either way ev holds memory to
 * release with evline_release() before ev is reused or dropped.  ev is
 * large (EVLINE_MAX): allocate it, do not put it on a thread's stack.
 */
int evline_parse(const char *line, size_t len, struct evline_event *ev);
void evline_release(struct evline_event *ev);

#endif
