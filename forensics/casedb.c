#include "casedb_int.h"

#include "lib/err.h"
#include "lib/home.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASEDB_BUSY_MS 5000
#define CASEDB_TITLE_MAX 1024

/* Schema version 1: the first layout. */
static const char schema_v1[] =
	"CREATE TABLE cases ("
	" id INTEGER PRIMARY KEY,"
	" title TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open', 'closed')),"
	" resolution TEXT);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" ts TEXT NOT NULL,"
	" severity TEXT NOT NULL,"
	" subsystem TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" vm TEXT,"
	" host TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" data TEXT NOT NULL,"
	" prev TEXT NOT NULL,"
	" line_hash TEXT NOT NULL UNIQUE,"
	" source TEXT NOT NULL);"
	"CREATE TABLE evidence ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id),"
	" kind TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" sha256 TEXT,"
	" size INTEGER,"
	" added INTEGER NOT NULL);"
	"CREATE INDEX evidence_case ON evidence(case_id);"
	"CREATE TABLE custody ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id),"
	" seq INTEGER NOT NULL,"
	" ts INTEGER NOT NULL,"
	" action TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" evidence INTEGER REFERENCES evidence(id),"
	" sha256 TEXT,"
	" note TEXT,"
	" prev TEXT NOT NULL,"
	" hash TEXT NOT NULL,"
	" line TEXT NOT NULL,"
	" UNIQUE (case_id, seq));"
	"CREATE TABLE baselines ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER REFERENCES cases(id),"
	" ts INTEGER NOT NULL,"
	" result TEXT NOT NULL CHECK (json_valid(result)));";

/*
 * Version 2: case notes; events found by time; custody rows
 * refused to plain UPDATE and DELETE (the chain still catches a writer
 * who drops the triggers).
 */
static const char schema_v2[] =
	"CREATE TABLE notes ("
	" id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id),"
	" ts INTEGER NOT NULL,"
	" author TEXT NOT NULL,"
	" text TEXT NOT NULL);"
	"CREATE INDEX notes_case ON notes(case_id);"
	"CREATE INDEX events_ts ON events(ts);"
	"CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody"
	" BEGIN SELECT RAISE(ABORT, 'custody entries are append-only'); END;"
	"CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody"
	" BEGIN SELECT RAISE(ABORT, 'custody entries are append-only'); END;";

/* Version 3: ingested events linked to the cases they belong to. */
static const char schema_v3[] =
	"CREATE TABLE case_events ("
	" case_id INTEGER NOT NULL REFERENCES cases(id),"
	" event_id INTEGER NOT NULL REFERENCES events(id),"
	" added INTEGER NOT NULL,"
	" PRIMARY KEY (case_id, event_id));"
	"CREATE INDEX case_events_event ON case_events(event_id);";

static const char *const migrations[CASEDB_SCHEMA_VERSION + 1] = {
	NULL,
	schema_v1,
	schema_v2,
	schema_v3,
};

int
casedb_fail(struct casedb *db, const char *fmt, ...)
{
	char what[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set("%s: %s", what, sqlite3_errmsg(db->sq));
}

sqlite3_stmt *
casedb_prepare(struct casedb *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->sq, sql, -1, &st, NULL) != SQLITE_OK) {
		casedb_fail(db, "cannot query case database '%s'", db->path);
		return NULL;
	}
	return st;
}

int
casedb_exec(struct casedb *db, const char *sql)
{
	if (sqlite3_exec(db->sq, sql, NULL, NULL, NULL) != SQLITE_OK)
		return casedb_fail(db, "cannot update case database '%s'",
				   db->path);
	return 0;
}

void
casedb_rollback(struct casedb *db)
{
	if (!sqlite3_get_autocommit(db->sq))
		sqlite3_exec(db->sq, "ROLLBACK", NULL, NULL, NULL);
}

const char *
casedb_col_text(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(st, col);
}

/* Create the file with mode 0600 before SQLite does (it would use 0644). */
static int
casedb_create_private(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno("cannot open case database '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set("cannot open case database '%s': "
			       "not a regular file", path);
	}
	if ((st.st_mode & 0077) && fchmod(fd, 0600) < 0) {
		close(fd);
		return err_errno("cannot chmod case database '%s'", path);
	}
	close(fd);
	return 0;
}

int
casedb_quick_check(struct casedb *db)
{
	sqlite3_stmt *st = casedb_prepare(db, "PRAGMA quick_check");
	const char *verdict;
	int rc, ok = 0;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	verdict = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
				   : NULL;
	if (verdict && !strcmp(verdict, "ok"))
		ok = 1;
	else if (verdict)
		err_set("case database '%s' is damaged: %s", db->path,
			verdict);
	else
		casedb_fail(db, "cannot check '%s'", db->path);
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

int
casedb_schema_version(struct casedb *db, int *version)
{
	sqlite3_stmt *st = casedb_prepare(db, "PRAGMA user_version");
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return casedb_fail(db, "cannot read schema version of '%s'",
				   db->path);
	return 0;
}

/* Apply migration to version v, unless another process did already. */
static int
casedb_migrate_to(struct casedb *db, int v)
{
	char sql[64];
	int have;

	if (casedb_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (casedb_schema_version(db, &have) < 0)
		goto fail;
	if (have >= v)
		return casedb_exec(db, "COMMIT");

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	if (casedb_exec(db, migrations[v]) < 0 || casedb_exec(db, sql) < 0 ||
	    casedb_exec(db, "COMMIT") < 0)
		goto fail;
	return 0;
fail:
	casedb_rollback(db);
	return err_prefix("cannot migrate '%s' to schema version %d",
			  db->path, v);
}

static int
casedb_migrate(struct casedb *db, int max_version)
{
	int v;

	if (casedb_schema_version(db, &v) < 0)
		return -1;
	if (v > CASEDB_SCHEMA_VERSION)
		return err_set("case database '%s' has schema version %d, "
			       "newer than this secvf knows (%d)",
			       db->path, v, CASEDB_SCHEMA_VERSION);
	for (v = v + 1; v <= max_version; v++)
		if (casedb_migrate_to(db, v) < 0)
			return -1;
	return 0;
}

static int
casedb_configure(struct casedb *db, int wait_ms)
{
	if (sqlite3_busy_timeout(db->sq, wait_ms) != SQLITE_OK ||
	    sqlite3_exec(db->sq,
			 "PRAGMA journal_mode = WAL;"
			 "PRAGMA synchronous = FULL;"
			 "PRAGMA foreign_keys = ON;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return casedb_fail(db, "cannot open case database '%s'",
				   db->path);
	return 0;
}

static int
casedb_open_full(const char *path, int max_version, int wait_ms,
		 struct casedb **out)
{
	struct casedb *db;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOFOLLOW;

	*out = NULL;
	if (max_version < 1 || max_version > CASEDB_SCHEMA_VERSION)
		return err_set("no schema version %d", max_version);
	db = calloc(1, sizeof(*db));
	if (!db)
		return err_set("out of memory");
	if (path ? path_fmt(db->path, sizeof(db->path), "%s", path)
		 : home_path(db->path, sizeof(db->path), "cases.db"))
		goto fail;
	if (casedb_create_private(db->path) < 0)
		goto fail;

	if (sqlite3_open_v2(db->path, &db->sq, flags, NULL) != SQLITE_OK) {
		casedb_fail(db, "cannot open case database '%s'", db->path);
		goto fail;
	}
	if (casedb_configure(db, wait_ms) < 0 ||
	    casedb_migrate(db, max_version) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	casedb_close(db);
	return -1;
}

int
casedb_open_version(const char *path, int max_version, struct casedb **out)
{
	return casedb_open_full(path, max_version, CASEDB_BUSY_MS, out);
}

int
casedb_open(const char *path, struct casedb **out)
{
	return casedb_open_full(path, CASEDB_SCHEMA_VERSION, CASEDB_BUSY_MS,
				out);
}

int
casedb_open_wait(const char *path, int wait_ms, struct casedb **out)
{
	return casedb_open_full(path, CASEDB_SCHEMA_VERSION, wait_ms, out);
}

int
casedb_begin(struct casedb *db)
{
	return casedb_exec(db, "BEGIN IMMEDIATE");
}

int
casedb_commit(struct casedb *db)
{
	if (casedb_exec(db, "COMMIT") < 0) {
		casedb_rollback(db);
		return -1;
	}
	return 0;
}

void
casedb_abort(struct casedb *db)
{
	casedb_rollback(db);
}

void
casedb_close(struct casedb *db)
{
	if (!db)
		return;
	sqlite3_close(db->sq);
	free(db);
}

/* Step an INSERT to its end; -1 with what failed and SQLite's reason. */
static int
casedb_step_insert(struct casedb *db, sqlite3_stmt *st, const char *what,
		   int64_t *rowid)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		casedb_fail(db, "cannot add %s to '%s'", what, db->path);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (rowid)
		*rowid = sqlite3_last_insert_rowid(db->sq);
	return 0;
}

int
casedb_case_new(struct casedb *db, const char *title, int64_t *case_id)
{
	sqlite3_stmt *st;

	if (!title || !*title)
		return err_set("a case needs a title");
	if (strlen(title) > CASEDB_TITLE_MAX)
		return err_set("case title longer than %d bytes",
			       CASEDB_TITLE_MAX);

	st = casedb_prepare(db, "INSERT INTO cases (title, created)"
				" VALUES (?, ?)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_now_us());
	return casedb_step_insert(db, st, "case", case_id);
}

int
casedb_case_exists(struct casedb *db, int64_t case_id)
{
	sqlite3_stmt *st;
	int rc;

	st = casedb_prepare(db, "SELECT 1 FROM cases WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return casedb_fail(db, "cannot query case database '%s'", db->path);
}

int
casedb_case_close(struct casedb *db, int64_t case_id, const char *resolution)
{
	sqlite3_stmt *st;
	int rc;

	if (!resolution || !*resolution)
		return err_set("closing a case needs a resolution");
	st = casedb_prepare(db, "UPDATE cases SET status = 'closed',"
				" resolution = ? WHERE id = ?"
				" AND status = 'open'");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, resolution, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, case_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return casedb_fail(db, "cannot close case %lld",
				   (long long)case_id);
	if (sqlite3_changes(db->sq) == 1)
		return 0;
	if (casedb_case_exists(db, case_id) == 1)
		return err_set("case %lld is already closed",
			       (long long)case_id);
	return err_set("no case %lld", (long long)case_id);
}

int
casedb_case_foreach(struct casedb *db, int64_t case_id,
		    int (*fn)(const struct casedb_case *c, void *arg),
		    void *arg)
{
	struct casedb_case c;
	sqlite3_stmt *st;
	int rc, ret = 0;

	st = casedb_prepare(db, "SELECT id, created, title, status,"
				" resolution FROM cases"
				" WHERE ?1 = 0 OR id = ?1 ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.id = sqlite3_column_int64(st, 0);
		c.created_us = sqlite3_column_int64(st, 1);
		c.title = casedb_col_text(st, 2);
		c.status = casedb_col_text(st, 3);
		c.resolution = casedb_col_text(st, 4);
		ret = fn(&c, arg);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = casedb_fail(db, "cannot list cases in '%s'", db->path);
	sqlite3_finalize(st);
	return ret;
}

static int
casedb_count(struct casedb *db, const char *sql, int64_t id, int64_t *n)
{
	sqlite3_stmt *st = casedb_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	if (id)
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return casedb_fail(db, "cannot count in '%s'", db->path);
	return 0;
}

int
casedb_case_counts(struct casedb *db, int64_t case_id,
		   struct casedb_case_counts *counts)
{
	memset(counts, 0, sizeof(*counts));
	if (casedb_count(db, "SELECT count(*) FROM evidence WHERE case_id = ?",
			 case_id, &counts->evidence) < 0 ||
	    casedb_count(db, "SELECT count(*) FROM custody WHERE case_id = ?",
			 case_id, &counts->custody) < 0 ||
	    casedb_count(db, "SELECT count(*) FROM notes WHERE case_id = ?",
			 case_id, &counts->notes) < 0)
		return -1;
	return 0;
}

int
casedb_event_count(struct casedb *db, int64_t *count)
{
	return casedb_count(db, "SELECT count(*) FROM events", 0, count);
}

int
casedb_evidence_add(struct casedb *db, int64_t case_id, const char *kind,
		    const char *path, const char *sha256_hex, int64_t size,
		    int64_t *evidence_id)
{
	sqlite3_stmt *st;

	if (!kind || !*kind || !path || !*path)
		return err_set("evidence needs a kind and a path");
	if (sha256_hex && !sha256_is_hex(sha256_hex))
		return err_set("bad evidence sha256 '%.80s'", sha256_hex);

	st = casedb_prepare(db, "INSERT INTO evidence (case_id, kind, path,"
				" sha256, size, added)"
				" VALUES (?, ?, ?, ?, ?, ?)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sha256_hex, -1, SQLITE_STATIC);
	if (size >= 0)
		sqlite3_bind_int64(st, 5, size);
	sqlite3_bind_int64(st, 6, time_now_us());
	return casedb_step_insert(db, st, "evidence", evidence_id);
}

int
casedb_evidence_foreach(struct casedb *db, int64_t case_id,
			int (*fn)(const struct casedb_evidence *ev, void *arg),
			void *arg)
{
	struct casedb_evidence ev;
	sqlite3_stmt *st;
	int rc, ret = 0;

	st = casedb_prepare(db, "SELECT id, added, coalesce(size, -1), kind,"
				" path, sha256 FROM evidence"
				" WHERE case_id = ? ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.id = sqlite3_column_int64(st, 0);
		ev.added_us = sqlite3_column_int64(st, 1);
		ev.size = sqlite3_column_int64(st, 2);
		ev.kind = casedb_col_text(st, 3);
		ev.path = casedb_col_text(st, 4);
		ev.sha256 = casedb_col_text(st, 5);
		ret = fn(&ev, arg);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = casedb_fail(db, "cannot list evidence in '%s'",
				  db->path);
	sqlite3_finalize(st);
	return ret;
}

int
casedb_baseline_add(struct casedb *db, int64_t case_id,
		    const char *result_json, int64_t *baseline_id)
{
	sqlite3_stmt *st;

	if (!result_json)
		return err_set("a baseline needs a result");
	st = casedb_prepare(db, "INSERT INTO baselines (case_id, ts, result)"
				" VALUES (?, ?, ?)");
	if (!st)
		return -1;
	if (case_id)
		sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, time_now_us());
	sqlite3_bind_text(st, 3, result_json, -1, SQLITE_STATIC);
	return casedb_step_insert(db, st, "baseline", baseline_id);
}

int
casedb_note_add(struct casedb *db, int64_t case_id, const char *author,
		const char *text, int64_t *note_id)
{
	sqlite3_stmt *st;

	if (!author || !*author || !text || !*text)
		return err_set("a note needs an author and a text");
	st = casedb_prepare(db, "INSERT INTO notes (case_id, ts, author, text)"
				" VALUES (?, ?, ?, ?)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, time_now_us());
	sqlite3_bind_text(st, 3, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	return casedb_step_insert(db, st, "note", note_id);
}
