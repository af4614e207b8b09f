/*
 * Ingestion of security event logs into the events table.
 *
 * Parsing a line with jansson costs about as much as storing it, so the
 * two run side by side: a reader thread reads, hashes and checks lines
 * and hands batches of rows to the caller's thread, which inserts them
 * in one transaction.  A few batches are in flight at most.
 */
#include "casedb_int.h"

#include "forensics/evline.h"
#include "lib/err.h"
#include "lib/sha256.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 1024
#define BATCHES 4
#define NO_FIELD UINT32_MAX

enum field { F_TS, F_SEVERITY, F_SUBSYSTEM, F_EVENT, F_VM, F_HOST, F_DATA,
	     F_PREV, F_COUNT };

/* One checked event, its text in its batch. */
struct row {
	uint32_t off[F_COUNT]; /* into the batch's text; NO_FIELD for null */
	int64_t seq;
	char hash[65];
};

struct batch {
	struct row rows[BATCH_ROWS];
	size_t n;
	char *text;
	size_t len, cap;
};

struct pipeline {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct batch batch[BATCHES];
	size_t head, count; /* full batches: head .. head + count - 1 */
	int done;           /* the reader queued its last batch */
	int failed;         /* the reader failed; why is in error */
	int stop;           /* the inserter gave up */
	char error[ERR_MSG_MAX];
	struct evline_reader *reader;
	struct casedb_ingest_stats stats; /* the reader's counts */
	struct evline_event event;        /* the reader's line */
};

static const char insert_sql[] =
	"INSERT OR IGNORE INTO events (ts, severity, subsystem, event, vm,"
	" host, data, prev, seq, line_hash, source)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* ---- the reader thread */

static int
batch_put(struct batch *b, const char *s, uint32_t *off)
{
	size_t n;
	char *grown;

	if (!s) {
		*off = NO_FIELD;
		return 0;
	}
	n = strlen(s) + 1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256 * 1024;

		while (cap < b->len + n)
			cap *= 2;
		grown = realloc(b->text, cap);
		if (!grown)
			return err_set("out of memory");
		b->text = grown;
		b->cap = cap;
	}
	memcpy(b->text + b->len, s, n);
	*off = (uint32_t)b->len;
	b->len += n;
	return 0;
}

static int
batch_add(struct batch *b, const struct evline_event *ev, const char *line,
	  size_t len)
{
	struct row *r = &b->rows[b->n];
	int rc;

	rc = batch_put(b, ev->ts, &r->off[F_TS]) |
	     batch_put(b, ev->severity, &r->off[F_SEVERITY]) |
	     batch_put(b, ev->subsystem, &r->off[F_SUBSYSTEM]) |
	     batch_put(b, ev->event, &r->off[F_EVENT]) |
	     batch_put(b, ev->vm, &r->off[F_VM]) |
	     batch_put(b, ev->host, &r->off[F_HOST]) |
	     batch_put(b, ev->data, &r->off[F_DATA]) |
	     batch_put(b, ev->prev, &r->off[F_PREV]);
	if (rc || sha256_hex_buf(line, len, r->hash) < 0)
		return -1;
	r->seq = ev->seq;
	b->n++;
	return 0;
}

static int
batch_line(struct pipeline *p, struct batch *b, const char *line, size_t len)
{
	int rc = 0;

	p->stats.lines++;
	if (evline_parse(line, len, &p->event) < 0)
		p->stats.malformed++;
	else
		rc = batch_add(b, &p->event, line, len);
	evline_release(&p->event);
	return rc;
}

/* Fill b; 1 at the end of the file, 0 when b is full, -1 on error. */
static int
batch_fill(struct pipeline *p, struct batch *b)
{
	enum evline_kind kind;
	const char *line;
	size_t len;

	b->n = b->len = 0;
	while (b->n < BATCH_ROWS) {
		if (evline_next(p->reader, &line, &len, &kind) < 0)
			return -1;
		if (kind == EVLINE_END)
			return 1;
		if (kind == EVLINE_PARTIAL) {
			p->stats.partial++;
			return 1;
		}
		if (kind == EVLINE_TOO_LONG) {
			p->stats.lines++;
			p->stats.too_long++;
		} else if (batch_line(p, b, line, len) < 0) {
			return -1;
		}
	}
	return 0;
}

static void *
reader_main(void *arg)
{
	struct pipeline *p = arg;
	struct batch *b;
	int rc = 0;

	while (rc == 0) {
		pthread_mutex_lock(&p->lock);
		while (p->count == BATCHES && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		b = p->stop ? NULL : &p->batch[(p->head + p->count) % BATCHES];
		pthread_mutex_unlock(&p->lock);
		if (!b)
			break;

		rc = batch_fill(p, b);

		pthread_mutex_lock(&p->lock);
		if (rc < 0) {
			p->failed = 1;
			snprintf(p->error, sizeof(p->error), "%s", err_msg());
		} else {
			p->count++;
		}
		p->done = rc != 0;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* ---- the inserting thread */

/* The next full batch, NULL when there is none left. */
static struct batch *
pipeline_take(struct pipeline *p)
{
	struct batch *b;

	pthread_mutex_lock(&p->lock);
	while (p->count == 0 && !p->done)
		pthread_cond_wait(&p->cond, &p->lock);
	b = p->count ? &p->batch[p->head] : NULL;
	pthread_mutex_unlock(&p->lock);
	return b;
}

static void
pipeline_give_back(struct pipeline *p, int stop)
{
	pthread_mutex_lock(&p->lock);
	if (stop) {
		p->stop = 1;
	} else {
		p->head = (p->head + 1) % BATCHES;
		p->count--;
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void
bind_field(sqlite3_stmt *st, int col, const struct batch *b, uint32_t off)
{
	if (off == NO_FIELD)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, b->text + off, -1, SQLITE_STATIC);
}

static int
insert_batch(struct casedb *db, sqlite3_stmt *st, const struct batch *b,
	     struct casedb_ingest_stats *stats)
{
	const struct row *r;
	int f, rc;

	for (r = b->rows; r < b->rows + b->n; r++) {
		for (f = 0; f < F_COUNT; f++)
			bind_field(st, f + 1, b, r->off[f]);
		sqlite3_bind_int64(st, F_COUNT + 1, r->seq);
		sqlite3_bind_text(st, F_COUNT + 2, r->hash, 64, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return casedb_fail(db, "cannot add event to '%s'",
					   db->path);
		if (sqlite3_changes(db->sq) > 0)
			stats->added++;
		else
			stats->duplicate++;
	}
	return 0;
}

static int
insert_all(struct casedb *db, sqlite3_stmt *st, struct pipeline *p,
	   struct casedb_ingest_stats *stats)
{
	struct batch *b;

	while ((b = pipeline_take(p))) {
		if (insert_batch(db, st, b, stats) < 0) {
			pipeline_give_back(p, 1);
			return -1;
		}
		pipeline_give_back(p, 0);
	}
	if (p->failed)
		return err_set("%s", p->error);
	return 0;
}

static struct pipeline *
pipeline_new(struct evline_reader *reader)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p) {
		err_set("out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->reader = reader;
	return p;
}

static void
pipeline_free(struct pipeline *p)
{
	int i;

	for (i = 0; i < BATCHES; i++)
		free(p->batch[i].text);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Run the reader thread beside the inserts of statement st. */
static int
ingest_run(struct casedb *db, sqlite3_stmt *st, struct evline_reader *reader,
	   struct casedb_ingest_stats *stats)
{
	struct pipeline *p = pipeline_new(reader);
	pthread_t tid;
	int rc, err;

	if (!p)
		return -1;
	err = pthread_create(&tid, NULL, reader_main, p);
	if (err) {
		pipeline_free(p);
		return err_set("cannot start a reader thread: %s",
			       strerror(err));
	}
	rc = insert_all(db, st, p, stats);
	pthread_join(tid, NULL);

	stats->lines = p->stats.lines;
	stats->malformed = p->stats.malformed;
	stats->too_long = p->stats.too_long;
	stats->partial = p->stats.partial;
	pipeline_free(p);
	return rc;
}

int
casedb_ingest_file_stats(struct casedb *db, const char *log_path,
			 struct casedb_ingest_stats *stats)
{
	struct evline_reader *reader;
	sqlite3_stmt *st = NULL;

	memset(stats, 0, sizeof(*stats));
	if (evline_open(log_path, &reader) < 0)
		return -1;
	/* Room for a large file's pages: spilling them mid-transaction
	   costs more than the whole insert.  A ceiling, not an allocation. */
	if (casedb_exec(db, "PRAGMA cache_size = -262144") < 0 ||
	    casedb_exec(db, "BEGIN IMMEDIATE") < 0)
		goto fail;
	st = casedb_prepare(db, insert_sql);
	if (!st)
		goto fail;
	sqlite3_bind_text(st, 11, log_path, -1, SQLITE_STATIC);
	if (ingest_run(db, st, reader, stats) < 0)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (casedb_exec(db, "COMMIT") < 0)
		goto fail;
	evline_close(reader);
	return 0;
fail:
	sqlite3_finalize(st);
	casedb_rollback(db);
	evline_close(reader);
	memset(stats, 0, sizeof(*stats));
	return err_prefix("cannot ingest '%s'", log_path);
}

int
casedb_ingest_file(struct casedb *db, const char *log_path, int64_t *added)
{
	struct casedb_ingest_stats stats;

	*added = 0;
	if (casedb_ingest_file_stats(db, log_path, &stats) < 0)
		return -1;
	*added = stats.added;
	return 0;
}
