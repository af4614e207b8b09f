/*
 * custody: the canonical chain-of-custody line, usable without a
 * database (the custody.jsonl of an incident bundle is checked with it).
 *
 * One entry is one JSON object, keys in this order, compact, ASCII
 * only, no "\n":
 *
 *	{"case":1,"seq":3,"ts":"2026-12-03T19:00:00.123456Z",
 *	 "action":"sealed","actor":"root@ws1","evidence":null,
 *	 "sha256":null,"note":null,"prev":"<64 hex>"}
 *
 * The SHA-256 hex of a line is the next entry's prev; the first entry
 * of a case has prev = 64 "0".  seq counts from 1 within a case.
 */
#ifndef SECVF_CUSTODY_H
#define SECVF_CUSTODY_H

#include <stddef.h>
#include <stdint.h>

#define CUSTODY_LINE_MAX 65536 /* longest line custody accepts */

/* The prev of the first entry of a chain: 64 "0". */
extern const char custody_zero_hash[65];

struct custody_entry {
	int64_t seq;         /* 1, 2, ... within a case */
	int64_t ts_us;       /* microseconds since the epoch, UTC */
	const char *action;  /* "paused", "snapshot", "sealed",
				"transferred", "verified", ... */
	const char *actor;   /* "user@host" */
	int64_t evidence_id; /* 0 = none */
	const char *sha256;  /* NULL = none */
	const char *note;    /* NULL = none */
};

/*
 * The canonical line of entry e of case case_id, chained to prev_hex.
 * Returns a malloc'd NUL-terminated string the caller free()s, or NULL
 * with err_msg() set (a missing action or actor, a bad prev, no memory).
 */
char *custody_line(int64_t case_id, const struct custody_entry *e,
		   const char *prev_hex);

/*
 * Check a custody trail given as JSON lines (the final "\n" optional):
 * every line must be exactly the canonical line of its own fields, all
 * of one case, seq 1, 2, ... in order, each prev the SHA-256 hex of the
 * line before (64 "0" for the first).
 *
 * Returns 0 when the chain holds (*first_bad_line = 0), 1 when it is
 * broken (*first_bad_line = the 1-based number of the first bad line).
 * head receives the hash of the last good line (64 "0" when there is
 * none): for an intact chain, the prev its next entry must carry.  An
 * empty text is an intact, empty chain.
 */
int custody_verify_lines(const char *jsonl, size_t len,
			 int64_t *first_bad_line, char head[65]);

#endif
