/*
 * evlog_verify: walking a log's chain to its first break.  The rules
 * that tell an edit from a deletion from a reordering are in evlog.h.
 */
#include "evlog.h"

#include "lib/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

/* The line before the one being judged. */
struct link {
	int64_t seq;
	char hash[SHA256_HEX];
};

/* clang-format off */
static const char *const status_names[] = {
	[EVLOG_OK] = "ok",
	[EVLOG_EDITED] = "edited",
	[EVLOG_DELETED] = "deleted",
	[EVLOG_REORDERED] = "reordered",
	[EVLOG_TORN] = "torn",
	[EVLOG_MALFORMED] = "malformed",
};
/* clang-format on */

const char *
evlog_status_name(enum evlog_status status)
{
	if ((unsigned)status > EVLOG_MALFORMED)
		return "?";
	return status_names[status];
}

static void broken(struct evlog_verify_result *res, enum evlog_status status,
		   int64_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
broken(struct evlog_verify_result *res, enum evlog_status status, int64_t line,
       const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	res->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/*
 * Does a seq strictly between lo and hi turn up within the next
 * EVLOG_VERIFY_AHEAD lines?  Returns its line number, or 0.
 */
static int64_t
missing_ahead(struct evlog_reader *r, int64_t lo, int64_t hi,
	      int64_t *found_seq)
{
	struct evlog_event ev;
	int i;

	for (i = 0; i < EVLOG_VERIFY_AHEAD && evlog_reader_next(r) == 1; i++) {
		if (r->overlong || evlog_decode(r->line, r->len, &ev) != 0)
			continue;
		evlog_event_release(&ev);
		if (ev.seq > lo && ev.seq < hi) {
			*found_seq = ev.seq;
			return r->lineno;
		}
	}
	return 0;
}

/* Judge a line that decoded against the link before it. */
static void
judge(struct evlog_reader *r, const struct link *before,
      const struct evlog_event *ev, struct evlog_verify_result *res)
{
	int64_t n = r->lineno, s = ev->seq, s0 = before->seq;
	int linked = !strcmp(ev->prev, before->hash);
	int64_t at, seq;

	if (s == s0 + 1 && linked)
		return;
	if (s == s0 + 1) {
		broken(res, EVLOG_EDITED, n > 1 ? n - 1 : 1,
		       n > 1 ? "line %lld's prev does not match this line"
			     : "line %lld's prev is not the chain's start",
		       (long long)n);
		return;
	}
	if (linked) {
		broken(res, EVLOG_EDITED, n,
		       "seq %lld follows seq %lld, yet the chain holds",
		       (long long)s, (long long)s0);
		return;
	}
	if (s <= s0) {
		broken(res, EVLOG_REORDERED, n, "seq %lld follows seq %lld",
		       (long long)s, (long long)s0);
		return;
	}

	at = missing_ahead(r, s0, s, &seq);
	if (at)
		broken(res, EVLOG_REORDERED, n,
		       "seq %lld follows seq %lld; seq %lld is at line %lld",
		       (long long)s, (long long)s0, (long long)seq,
		       (long long)at);
	else
		broken(res, EVLOG_DELETED, n,
		       "seq %lld follows seq %lld: %lld line(s) missing",
		       (long long)s, (long long)s0, (long long)(s - s0 - 1));
}

/* Check the current line; 0 go on, 1 broken (res says how). */
static int
check_line(struct evlog_reader *r, struct link *before,
	   struct evlog_verify_result *res)
{
	struct evlog_event ev;
	int rc;

	if (!r->newline) {
		broken(res, EVLOG_TORN, r->lineno,
		       "the last line has no newline");
		return 1;
	}
	if (r->overlong) {
		broken(res, EVLOG_MALFORMED, r->lineno,
		       "line longer than %d bytes", EVLOG_LINE_MAX);
		return 1;
	}
	rc = evlog_decode(r->line, r->len, &ev);
	if (rc != 0) {
		broken(res,
		       rc == EVLOG_DECODE_TORN ? EVLOG_TORN : EVLOG_MALFORMED,
		       r->lineno, "%s", err_msg());
		return 1;
	}

	judge(r, before, &ev, res);
	evlog_event_release(&ev);
	if (res->status != EVLOG_OK)
		return 1;
	before->seq = ev.seq;
	return sha256_hex_buf(r->line, r->len, before->hash) < 0 ? -1 : 0;
}

static int
walk(struct evlog_reader *r, struct evlog_verify_result *res)
{
	struct link before = {0};
	int rc;

	memset(before.hash, '0', SHA256_HEX - 1);
	while ((rc = evlog_reader_next(r)) == 1) {
		res->lines = r->lineno;
		rc = check_line(r, &before, res);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (rc < 0)
		return -1;

	res->last_seq = before.seq;
	memcpy(res->head, before.hash, SHA256_HEX);
	return 0;
}

int
evlog_verify(const char *path, struct evlog_verify_result *res)
{
	struct evlog_reader r;
	int rc;

	memset(res, 0, sizeof(*res));
	if (evlog_reader_open(&r, path, -1) < 0)
		return -1;
	while (flock(r.fd, LOCK_SH) < 0 && errno == EINTR)
		;

	rc = walk(&r, res);
	evlog_reader_close(&r); /* drops the lock */
	if (rc < 0)
		return err_prefix("cannot verify '%s'", path);
	return 0;
}
