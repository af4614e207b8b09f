/*
 * casedb: the SQLite case database, $SECVF_HOME/cases.db.
 *
 * Cases, the security events ingested from the logs, evidence, the
 * chain of custody of each case, host baselines and case notes.  The
 * file is mode 0600, in WAL mode, with foreign keys on; every commit is
 * synced (synchronous=FULL), so a custody entry that was added stays.
 * The schema version is PRAGMA user_version; casedb_open() migrates an
 * older database step by step and refuses a newer one.
 *
 * Every function returns 0 (or the documented value) on success and -1
 * on failure with err_msg() set, carrying SQLite's own message:
 *
 *	cannot open case database 'x': database is locked
 *
 * A struct casedb is one connection; use it from one thread at a time.
 */
#ifndef SECVF_CASEDB_H
#define SECVF_CASEDB_H

#include "forensics/custody.h"

#include <jansson.h>
#include <stdint.h>

#define CASEDB_SCHEMA_VERSION 3

struct casedb;

/*
 * Open (creating and migrating) the database at path, or at
 * $SECVF_HOME/cases.db when path is NULL.  *out is the handle to
 * casedb_close(), NULL on failure.
 */
int casedb_open(const char *path, struct casedb **out);

/*
 * As casedb_open(), migrating no further than schema version max_version
 * (1 .. CASEDB_SCHEMA_VERSION).  For tests and tools that need an older
 * layout.
 */
int casedb_open_version(const char *path, int max_version,
			struct casedb **out);

/*
 * As casedb_open(), waiting at most wait_ms (instead of 5000) whenever
 * another connection holds the lock a statement needs, for the life of
 * the handle; then the call fails with "database is locked".
 */
int casedb_open_wait(const char *path, int wait_ms, struct casedb **out);

void casedb_close(struct casedb *db);

/*
 * One transaction (BEGIN IMMEDIATE) around several calls, so that all
 * of them are recorded or none: casedb_commit() ends it, casedb_abort()
 * undoes it (keeping err_msg()).  casedb_custody_add() nests inside.
 */
int casedb_begin(struct casedb *db);
int casedb_commit(struct casedb *db);
void casedb_abort(struct casedb *db);

/* The schema version of the open database (PRAGMA user_version). */
int casedb_schema_version(struct casedb *db, int *version);

/* PRAGMA quick_check: 0 when intact, -1 with what is wrong. */
int casedb_quick_check(struct casedb *db);

/* ---- cases */

struct casedb_case {
	int64_t id;
	int64_t created_us;
	const char *title;
	const char *status;     /* "open" or "closed" */
	const char *resolution; /* NULL while open */
};

/* Counts shown beside a case. */
struct casedb_case_counts {
	int64_t evidence;
	int64_t custody;
	int64_t notes;
};

int casedb_case_new(struct casedb *db, const char *title, int64_t *case_id);

/* 1 when the case exists, 0 when not, -1 on error. */
int casedb_case_exists(struct casedb *db, int64_t case_id);

/*
 * Close a case with a resolution; -1 when absent ("no case 3") or
 * already closed ("case 3 is already closed").
 */
int casedb_case_close(struct casedb *db, int64_t case_id,
		      const char *resolution);

/*
 * Call fn for each case in id order (every case when case_id is 0, or
 * only that one).  The strings in c are valid during the call only.  A
 * non-zero return from fn stops the walk and is returned.
 */
int casedb_case_foreach(struct casedb *db, int64_t case_id,
			int (*fn)(const struct casedb_case *c, void *arg),
			void *arg);

int casedb_case_counts(struct casedb *db, int64_t case_id,
		       struct casedb_case_counts *counts);

/* ---- events */

/* What one ingestion did, line by line. */
struct casedb_ingest_stats {
	int64_t lines;     /* complete lines read */
	int64_t added;     /* new events stored */
	int64_t duplicate; /* already in the database */
	int64_t malformed; /* not an event line: skipped */
	int64_t too_long;  /* over EVLINE_MAX bytes (64 KiB): skipped */
	int64_t partial;   /* an unterminated last line: left for later */
};

/*
 * Ingest a security-*.log file (one event per line, see CONTRACTS.md)
 * in one transaction.  Each line is keyed by the SHA-256 hex of its
 * bytes without "\n", so ingesting a file again adds nothing.
 * Malformed and over-long lines are skipped and counted; an
 * unterminated last line (a write in progress) is left for a later
 * ingestion.  *added is the number of new events.
 */
int casedb_ingest_file(struct casedb *db, const char *log_path,
		       int64_t *added);

/* As casedb_ingest_file(), reporting every count. */
int casedb_ingest_file_stats(struct casedb *db, const char *log_path,
			     struct casedb_ingest_stats *stats);

/* Number of events stored. */
int casedb_event_count(struct casedb *db, int64_t *count);

/* ---- evidence */

struct casedb_evidence {
	int64_t id;
	int64_t added_us;
	int64_t size;
	const char *kind;
	const char *path;
	const char *sha256; /* NULL when not hashed */
};

/* sha256_hex may be NULL; size -1 when unknown. */
int casedb_evidence_add(struct casedb *db, int64_t case_id, const char *kind,
			const char *path, const char *sha256_hex, int64_t size,
			int64_t *evidence_id);

/* Call fn for each evidence item of a case in id order; as above. */
int casedb_evidence_foreach(struct casedb *db, int64_t case_id,
			    int (*fn)(const struct casedb_evidence *ev,
				      void *arg),
			    void *arg);

/*
 * 1 when evidence item evidence_id belongs to case case_id, 0 when it
 * is absent or belongs to another case, -1 on error.
 */
int casedb_evidence_in_case(struct casedb *db, int64_t case_id,
			    int64_t evidence_id);

/* ---- events of a case (schema version 3) */

/*
 * Link to a case every stored event at or after since_us, only those
 * of VM vm when vm is not NULL.  Linking an event again does nothing;
 * *linked (may be NULL) is the number of events newly linked.  The
 * events must have been ingested first (casedb_ingest_file()).
 */
int casedb_case_attach_events(struct casedb *db, int64_t case_id,
			      int64_t since_us, const char *vm,
			      int64_t *linked);

/* ---- custody */

/*
 * Append entry e to the custody chain of a case, inside one
 * BEGIN IMMEDIATE transaction: its seq is the head's plus one (e->seq
 * is ignored), its prev the head's hash, its ts e->ts_us or now when 0.
 * The canonical line and its hash are stored; hash_out (may be NULL)
 * receives the hash, the chain's new head.
 */
int casedb_custody_add(struct casedb *db, int64_t case_id,
		       const struct custody_entry *e, char hash_out[65]);

/*
 * The hash of the last entry of a case (64 "0" when it has none) and
 * the seq the next entry will get.
 */
int casedb_custody_head(struct casedb *db, int64_t case_id, char head[65],
			int64_t *next_seq);

/*
 * Recompute every custody row of a case from its columns: its line
 * must be canonical and equal the stored one, its hash that line's
 * SHA-256, its prev the hash of the row before, its seq 1, 2, ...
 * Returns 0 when the chain holds (*first_bad_seq = 0), 1 when it is
 * broken (*first_bad_seq = the first bad seq), -1 on error.
 */
int casedb_custody_verify(struct casedb *db, int64_t case_id,
			  int64_t *first_bad_seq);

/* Call fn with the stored line of each custody row of a case, in seq
   order; as casedb_case_foreach(). */
int casedb_custody_foreach(struct casedb *db, int64_t case_id,
			   int (*fn)(int64_t seq, const char *line,
				     const char *hash, void *arg),
			   void *arg);

/* ---- baselines and notes */

/* result_json must be a JSON value; case_id 0 for none. */
int casedb_baseline_add(struct casedb *db, int64_t case_id,
			const char *result_json, int64_t *baseline_id);

/* Add a free-text note to a case (schema version 2). */
int casedb_note_add(struct casedb *db, int64_t case_id, const char *author,
		    const char *text, int64_t *note_id);

struct casedb_note {
	int64_t id;
	int64_t ts_us;
	const char *author;
	const char *text;
};

/* Call fn for each note of a case in id order; as casedb_case_foreach(). */
int casedb_note_foreach(struct casedb *db, int64_t case_id,
			int (*fn)(const struct casedb_note *note, void *arg),
			void *arg);

/* ---- the timeline of a case */

enum casedb_item_kind {
	CASEDB_ITEM_EVENT,    /* a security event linked to the case */
	CASEDB_ITEM_CUSTODY,  /* a custody entry */
	CASEDB_ITEM_EVIDENCE, /* an evidence item, when it was added */
	CASEDB_ITEM_NOTE,     /* an analyst's note */
};

struct casedb_item {
	int64_t ts_us;
	enum casedb_item_kind kind;
	int64_t id;	     /* event id, custody seq, evidence or note id */
	const char *summary; /* one line for people: printable ASCII only,
				guest text included but control bytes
				replaced by '?' */
	json_t *detail;	     /* the item's fields; borrowed, valid during
				the call only */
};

/* "event", "custody", "evidence", "note". */
const char *casedb_item_kind_name(enum casedb_item_kind kind);

/*
 * Call fn for every item of a case (linked events, custody entries,
 * evidence, notes) in time order; items of one instant in the order
 * of the kinds above, then by id.  A non-zero return from fn stops the
 * walk and is returned; -1 with err_msg() set on failure.
 */
int casedb_timeline(struct casedb *db, int64_t case_id,
		    int (*fn)(const struct casedb_item *item, void *arg),
		    void *arg);

#endif
