/*
 * evlog: the security event log, one hash-chained JSON object a line.
 *
 * A line holds these keys in this order, compact and ASCII-escaped:
 *
 *	{"ts":"2026-12-03T19:00:00.123456Z","severity":"CRITICAL",
 *	 "subsystem":"fsevents","event":"file.unexpected","vm":"lab1",
 *	 "host":"ws1","seq":17,"data":{...},"prev":"<64 hex>"}
 *
 * vm is null when no VM is involved; data is always an object.  seq
 * counts the lines of one file from 1, and prev is the SHA-256 hex of
 * the previous line's bytes without its "\n" (64 "0" on the first
 * line).  Events go to $SECVF_HOME/logs/security-YYYY-MM-DD.log, the
 * UTC date of ts, mode 0600 in a 0700 directory.
 *
 * Writers in several processes may append to one file at once: each
 * takes an exclusive flock(2), reads the file's last line, and appends
 * the next line with one write(2), so lines never interleave and the
 * chain stays whole.
 */
#ifndef SECVF_EVLOG_H
#define SECVF_EVLOG_H

#include "lib/path.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "detect/severity.h"

/* Longest line accepted, without its "\n"; larger events are refused. */
#define EVLOG_LINE_MAX (64 * 1024)
#define EVLOG_NAME_MAX 64  /* subsystem and event names */
#define EVLOG_VM_MAX 255   /* VM names */
#define EVLOG_HOST_MAX 255 /* host names */


/*
 * Is name a subsystem or event name: 1 to EVLOG_NAME_MAX bytes of
 * [a-z0-9.-]?  0, or -1 with err_msg() naming the problem.
 */
int evlog_check_name(const char *name);

/*
 * Is name a VM name fit for a log line: 1 to EVLOG_VM_MAX bytes of
 * printable ASCII, a single safe path component?  0 or -1 as above.
 */
int evlog_check_vm(const char *name);

/*
 * Record an event in today's log beneath $SECVF_HOME/logs.  data is
 * borrowed (NULL means {}) and must be an object; a line that would be
 * longer than EVLOG_LINE_MAX is refused.  The file is fsync'ed for
 * CRITICAL and above, which also go to syslog at LOG_ERR.  0, or -1
 * with err_msg() set.
 */
int evlog_write(enum ev_severity sev, const char *subsystem, const char *event,
		const char *vm, json_t *data);

/* Where a line went; filled by evlog_append(). */
struct evlog_written {
	char path[PATH_BUF];
	int64_t seq;
	char hash[SHA256_HEX]; /* of the new line: the next line's prev */
};

/*
 * As evlog_write(), into the explicit file path (NULL: today's log, as
 * evlog_write() does).  When out is not NULL it says where the line
 * went.  The file is created with mode 0600 if absent; a symlink is
 * refused.
 */
int evlog_append(const char *path, enum ev_severity sev, const char *subsystem,
		 const char *event, const char *vm, json_t *data,
		 struct evlog_written *out);

/* An event as read back from a line; every text field is bounded. */
struct evlog_event {
	char ts[TIME_ISO_LEN];
	int64_t ts_us;
	enum ev_severity severity;
	char subsystem[EVLOG_NAME_MAX + 1];
	char event[EVLOG_NAME_MAX + 1];
	char vm[EVLOG_VM_MAX + 1]; /* "" when the line says null */
	char host[EVLOG_HOST_MAX + 1];
	int64_t seq;
	json_t *data; /* owned; evlog_event_release() drops it */
	char prev[SHA256_HEX];
};

/*
 * Encode ev as a line (without "\n"): malloc'd, NUL-terminated, the
 * caller free()s it; *len gets its length.  ev->ts is used as given.
 * NULL with err_msg() set when a field is invalid or the line would
 * exceed EVLOG_LINE_MAX.
 */
char *evlog_encode(const struct evlog_event *ev, size_t *len);

/* evlog_decode() results besides 0. */
#define EVLOG_DECODE_BAD (-1)  /* not a valid event object */
#define EVLOG_DECODE_TORN (-2) /* valid JSON so far, cut short */

/*
 * Decode one line (len bytes, no "\n") into ev.  Every key must be
 * present, in order, with its type and bounds; nothing else may be.
 * Returns 0 (release ev with evlog_event_release()), or
 * EVLOG_DECODE_BAD or EVLOG_DECODE_TORN with err_msg() set and
 * ev->data NULL.
 */
int evlog_decode(const char *line, size_t len, struct evlog_event *ev);

void evlog_event_release(struct evlog_event *ev);

/*
 * The value of the top-level string field key ("ts", "severity",
 * "subsystem", "event", "vm" or "host") of a line in the log's own
 * layout (compact, fixed key order, "data" after the names), without
 * parsing the line: logs run to millions of lines.  0 with the value in
 * out; 1 when the field is null; -1 when the line is not in that layout
 * or the value is escaped or does not fit, and the caller then decodes
 * the line.
 */
int evlog_head_field(const char *line, const char *key, char *out,
		     size_t size);

/* Path of the log for the UTC day of ts_us; creates logs/ (0700). */
int evlog_path_for(int64_t ts_us, char *buf, size_t size);

/*
 * The security logs beneath $SECVF_HOME/logs, oldest first: *paths is
 * a malloc'd array of *n malloc'd strings; evlog_files_free() frees it.
 * No logs is not an error (*n = 0).  -1 with err_msg() set, *paths
 * NULL, on failure.
 */
int evlog_files(char ***paths, size_t *n);
void evlog_files_free(char **paths, size_t n);

/* Is base (no directory) the name of a security log? 1 or 0. */
int evlog_is_log_name(const char *base);

/*
 * A bounded line reader over a log file.  Lines longer than
 * EVLOG_LINE_MAX are flagged overlong and keep only their start.
 */
struct evlog_reader {
	int fd;
	int own_fd;	/* opened by the reader, closed by it */
	char *buf;	/* read buffer */
	size_t buf_len; /* bytes held in buf */
	size_t buf_pos; /* next unread byte in buf */
	off_t buf_off;	/* file offset of buf[0] */
	char *line;	/* the current line, NUL-terminated, no "\n" */
	size_t len;
	off_t start;	/* file offset of the current line */
	off_t next;	/* file offset after it (and its "\n") */
	int64_t lineno; /* 1-based number of the current line */
	int newline;	/* the line ended with "\n"; 0: cut off at EOF */
	int overlong;	/* longer than EVLOG_LINE_MAX */
};

/*
 * Open path read-only for reading lines (no symlink followed), or
 * read from fd (borrowed; path only names it in messages) when fd >= 0.
 * 0 or -1 with err_msg() set.
 */
int evlog_reader_open(struct evlog_reader *r, const char *path, int fd);

/*
 * Read the next line: 1 a line (see the fields), 0 the end of the
 * file, -1 a read error with err_msg() set.  A line without "\n" at the
 * end of the file is returned with newline = 0; a follower who expects
 * more calls evlog_reader_seek(r, r->start, r->lineno - 1) to read it
 * again later.
 */
int evlog_reader_next(struct evlog_reader *r);

/* Continue at file offset off, calling the next line lineno + 1. */
void evlog_reader_seek(struct evlog_reader *r, off_t off, int64_t lineno);

/* Release the buffers, and close the file if the reader opened it. */
void evlog_reader_close(struct evlog_reader *r);

/*
 * Verification of one file's chain.  The walk stops at the first
 * broken line and names how it broke, by these rules:
 *
 * torn       a line cut short: the file's last line lacks its "\n",
 *            or a line is valid JSON up to its end and then stops
 *            (a write that did not finish); bad_line is that line.
 * malformed  a line that is not a valid event object (bad JSON, a key
 *            missing, out of order or of the wrong type, a field out
 *            of bounds, longer than EVLOG_LINE_MAX); bad_line is it.
 * Otherwise line N has seq S and prev P, and the line before it seq
 * S0 (0 before line 1) and hash H0 (64 "0" before line 1):
 * edited     S = S0 + 1 but P != H0: the seq numbers run on, so no
 *            line is missing, yet the previous line's bytes changed;
 *            bad_line is that previous line (line 1 itself when N is
 *            1).  Also S != S0 + 1 while P = H0: the link into line N
 *            holds, so line N's own seq was changed; bad_line is N.
 * deleted    S > S0 + 1 and no line among the next EVLOG_VERIFY_AHEAD
 *            carries a missing seq (S0 < seq < S): lines are gone
 *            before line N; bad_line is N.
 * reordered  S > S0 + 1 and a missing seq turns up within the next
 *            EVLOG_VERIFY_AHEAD lines (a swap or a moved line), or
 *            S <= S0 (seq goes backwards or repeats: a moved or
 *            replayed line); bad_line is N.
 *
 * What a chain cannot show: lines cut from the end of a file, an edit
 * of the last line's data (nothing follows to hold its hash), and a
 * file rewritten from the edited line on with every later hash
 * recomputed.  Keeping the head hash elsewhere (the case database,
 * an incident bundle) covers those.
 */
#define EVLOG_VERIFY_AHEAD 64

enum evlog_status {
	EVLOG_OK,
	EVLOG_EDITED,
	EVLOG_DELETED,
	EVLOG_REORDERED,
	EVLOG_TORN,
	EVLOG_MALFORMED,
};

struct evlog_verify_result {
	enum evlog_status status;
	int64_t lines;	       /* lines read (all of them when ok) */
	int64_t bad_line;      /* 1-based; 0 when ok */
	int64_t last_seq;      /* seq of the last line when ok */
	char head[SHA256_HEX]; /* hash of the last line when ok */
	char detail[256];      /* what was seen, for people */
};

/* "ok", "edited", "deleted", "reordered", "torn", "malformed". */
const char *evlog_status_name(enum evlog_status status);

/*
 * Walk the file at path and fill res.  Returns 0 when the walk ran to
 * a verdict (res->status says which), -1 with err_msg() set when the
 * file cannot be read.  Holds a shared flock while it reads, so that
 * writers wait.
 */
int evlog_verify(const char *path, struct evlog_verify_result *res);

#endif
