#include "casedb_int.h"

#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <stdlib.h>
#include <string.h>

/* The head of a case's chain, inside the caller's transaction. */
static int
custody_read_head(struct casedb *db, int64_t case_id, char head[65],
		  int64_t *next_seq)
{
	sqlite3_stmt *st;
	const char *hash;
	int rc;

	st = casedb_prepare(db, "SELECT seq, hash FROM custody"
				" WHERE case_id = ? ORDER BY seq DESC LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	memcpy(head, custody_zero_hash, 65);
	*next_seq = 1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*next_seq = sqlite3_column_int64(st, 0) + 1;
		hash = casedb_col_text(st, 1);
		if (hash && strlen(hash) == 64)
			memcpy(head, hash, 65);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return casedb_fail(db, "cannot read custody of case %lld",
				   (long long)case_id);
	return 0;
}

int
casedb_custody_head(struct casedb *db, int64_t case_id, char head[65],
		    int64_t *next_seq)
{
	return custody_read_head(db, case_id, head, next_seq);
}

static int
custody_insert(struct casedb *db, int64_t case_id,
	       const struct custody_entry *e, const char *prev,
	       const char *line, const char *hash)
{
	sqlite3_stmt *st;
	int rc;

	st = casedb_prepare(db, "INSERT INTO custody (case_id, seq, ts,"
				" action, actor, evidence, sha256, note, prev,"
				" hash, line)"
				" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, e->seq);
	sqlite3_bind_int64(st, 3, e->ts_us);
	sqlite3_bind_text(st, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->actor, -1, SQLITE_STATIC);
	if (e->evidence_id)
		sqlite3_bind_int64(st, 6, e->evidence_id);
	sqlite3_bind_text(st, 7, e->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, e->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, line, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return casedb_fail(db, "cannot add custody entry to case %lld",
				   (long long)case_id);
	return 0;
}

/* Inside a caller's transaction, a savepoint; else one of its own. */
static int
custody_begin(struct casedb *db, int *nested)
{
	*nested = !sqlite3_get_autocommit(db->sq);
	return casedb_exec(db, *nested ? "SAVEPOINT custody_add"
				       : "BEGIN IMMEDIATE");
}

static int
custody_commit(struct casedb *db, int nested)
{
	return casedb_exec(db, nested ? "RELEASE custody_add" : "COMMIT");
}

static void
custody_undo(struct casedb *db, int nested)
{
	if (nested)
		sqlite3_exec(db->sq,
			     "ROLLBACK TO custody_add; RELEASE custody_add",
			     NULL, NULL, NULL);
	else
		casedb_rollback(db);
}

int
casedb_custody_add(struct casedb *db, int64_t case_id,
		   const struct custody_entry *e, char hash_out[65])
{
	struct custody_entry entry = *e;
	char prev[65], hash[65];
	char *line = NULL;
	int found, nested;

	if (custody_begin(db, &nested) < 0)
		return -1;
	found = casedb_case_exists(db, case_id);
	if (found == 0)
		err_set("no case %lld", (long long)case_id);
	if (found != 1)
		goto fail;
	if (custody_read_head(db, case_id, prev, &entry.seq) < 0)
		goto fail;

	if (!entry.ts_us)
		entry.ts_us = time_now_us();
	line = custody_line(case_id, &entry, prev);
	if (!line || sha256_hex_buf(line, strlen(line), hash) < 0)
		goto fail;
	if (custody_insert(db, case_id, &entry, prev, line, hash) < 0 ||
	    custody_commit(db, nested) < 0)
		goto fail;

	free(line);
	if (hash_out)
		memcpy(hash_out, hash, 65);
	return 0;
fail:
	free(line);
	custody_undo(db, nested);
	return -1;
}

/* Is this row what its columns say, chained to prev?  Sets its hash. */
static int
custody_row_ok(int64_t case_id, sqlite3_stmt *st, int64_t want_seq,
	       const char *prev, char hash[65])
{
	struct custody_entry e;
	const char *row_prev, *row_hash, *row_line;
	char *line;
	int ok;

	e.seq = sqlite3_column_int64(st, 0);
	e.ts_us = sqlite3_column_int64(st, 1);
	e.action = casedb_col_text(st, 2);
	e.actor = casedb_col_text(st, 3);
	e.evidence_id = sqlite3_column_int64(st, 4);
	e.sha256 = casedb_col_text(st, 5);
	e.note = casedb_col_text(st, 6);
	row_prev = casedb_col_text(st, 7);
	row_hash = casedb_col_text(st, 8);
	row_line = casedb_col_text(st, 9);
	if (e.seq != want_seq || !row_prev || strcmp(row_prev, prev) != 0 ||
	    !row_hash || !row_line)
		return 0;

	line = custody_line(case_id, &e, prev);
	ok = line && strcmp(line, row_line) == 0 &&
	     sha256_hex_buf(line, strlen(line), hash) == 0 &&
	     strcmp(hash, row_hash) == 0;
	free(line);
	return ok;
}

int
casedb_custody_verify(struct casedb *db, int64_t case_id,
		      int64_t *first_bad_seq)
{
	char prev[65], hash[65];
	sqlite3_stmt *st;
	int64_t n = 0;
	int rc;

	*first_bad_seq = 0;
	st = casedb_prepare(db, "SELECT seq, ts, action, actor,"
				" coalesce(evidence, 0), sha256, note, prev,"
				" hash, line FROM custody WHERE case_id = ?"
				" ORDER BY seq");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	memcpy(prev, custody_zero_hash, 65);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!custody_row_ok(case_id, st, ++n, prev, hash)) {
			*first_bad_seq = n;
			break;
		}
		memcpy(prev, hash, 65);
	}
	sqlite3_finalize(st);
	if (*first_bad_seq)
		return 1;
	if (rc != SQLITE_DONE)
		return casedb_fail(db, "cannot read custody of case %lld",
				   (long long)case_id);
	return 0;
}

int
casedb_custody_foreach(struct casedb *db, int64_t case_id,
		       int (*fn)(int64_t seq, const char *line,
				 const char *hash, void *arg),
		       void *arg)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	st = casedb_prepare(db, "SELECT seq, line, hash FROM custody"
				" WHERE case_id = ? ORDER BY seq");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ret = fn(sqlite3_column_int64(st, 0), casedb_col_text(st, 1),
			 casedb_col_text(st, 2), arg);
	if (!ret && rc != SQLITE_DONE)
		ret = casedb_fail(db, "cannot read custody of case %lld",
				  (long long)case_id);
	sqlite3_finalize(st);
	return ret;
}
