/*
 * Internals shared by casedb.c, casedb_ingest.c and casedb_custody.c.
 */
#ifndef SECVF_CASEDB_INT_H
#define SECVF_CASEDB_INT_H

#include "forensics/casedb.h"
#include "lib/path.h"

#include <sqlite3.h>

struct casedb {
	sqlite3 *sq;
	char path[PATH_BUF];
};

/* err_set(fmt, ...) with ": " and SQLite's message appended; -1. */
int casedb_fail(struct casedb *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepare sql; NULL with err_msg() set on failure. */
sqlite3_stmt *casedb_prepare(struct casedb *db, const char *sql);

/* Run SQL without results (BEGIN, COMMIT, DDL); -1 with err_msg(). */
int casedb_exec(struct casedb *db, const char *sql);

/* Roll back the open transaction, keeping the current err_msg(). */
void casedb_rollback(struct casedb *db);

/* Text of a column, or NULL for SQL NULL. */
const char *casedb_col_text(sqlite3_stmt *st, int col);

#endif
