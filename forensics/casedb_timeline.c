/*
 * The events linked to a case, and the case's timeline: linked events,
 * custody entries, evidence and notes merged in time order.
 */
#include "casedb_int.h"

#include "lib/err.h"
#include "lib/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_MAX 1024

struct item {
	struct casedb_item pub;
	char *summary;
};

struct items {
	struct item *v;
	size_t n, cap;
};

int
casedb_evidence_in_case(struct casedb *db, int64_t case_id,
			int64_t evidence_id)
{
	sqlite3_stmt *st;
	int rc;

	st = casedb_prepare(db, "SELECT 1 FROM evidence"
				" WHERE id = ? AND case_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, evidence_id);
	sqlite3_bind_int64(st, 2, case_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return casedb_fail(db, "cannot query case database '%s'", db->path);
}

int
casedb_case_attach_events(struct casedb *db, int64_t case_id,
			  int64_t since_us, const char *vm, int64_t *linked)
{
	char since[TIME_ISO_LEN];
	sqlite3_stmt *st;
	int rc, found;

	if (linked)
		*linked = 0;
	found = casedb_case_exists(db, case_id);
	if (found != 1)
		return found < 0 ? -1
				 : err_set("no case %lld", (long long)case_id);

	/* ts is fixed-width ISO-8601 UTC: text order is time order. */
	time_iso(since_us, since);
	st = casedb_prepare(db, "INSERT OR IGNORE INTO case_events"
				" (case_id, event_id, added)"
				" SELECT ?1, id, ?4 FROM events"
				" WHERE ts >= ?2 AND (?3 IS NULL OR vm = ?3)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, since, -1, SQLITE_STATIC);
	if (vm)
		sqlite3_bind_text(st, 3, vm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, time_now_us());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return casedb_fail(db, "cannot link events to case %lld",
				   (long long)case_id);
	if (linked)
		*linked = sqlite3_changes(db->sq);
	return 0;
}

const char *
casedb_item_kind_name(enum casedb_item_kind kind)
{
	static const char *const names[] = {"event", "custody", "evidence",
					    "note"};

	return kind <= CASEDB_ITEM_NOTE ? names[kind] : "unknown";
}

/* Replace control bytes and non-ASCII so the text is one safe line. */
static void
printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

/* Add an item; takes detail.  -1 with err_msg() on no memory. */
static int
items_add(struct items *l, int64_t ts_us, enum casedb_item_kind kind,
	  int64_t id, json_t *detail, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int
items_add(struct items *l, int64_t ts_us, enum casedb_item_kind kind,
	  int64_t id, json_t *detail, const char *fmt, ...)
{
	struct item *it, *grown;
	va_list ap;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		grown = realloc(l->v, cap * sizeof(*grown));
		if (!grown) {
			json_decref(detail);
			return err_set("out of memory");
		}
		l->v = grown;
		l->cap = cap;
	}
	it = &l->v[l->n];
	it->summary = malloc(SUMMARY_MAX);
	if (!it->summary || !detail) {
		free(it->summary);
		json_decref(detail);
		return err_set("out of memory");
	}
	va_start(ap, fmt);
	vsnprintf(it->summary, SUMMARY_MAX, fmt, ap);
	va_end(ap);
	printable(it->summary);
	it->pub = (struct casedb_item){.ts_us = ts_us, .kind = kind,
				       .id = id, .summary = it->summary,
				       .detail = detail};
	l->n++;
	return 0;
}

static void
items_free(struct items *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].summary);
		json_decref(l->v[i].pub.detail);
	}
	free(l->v);
}

static int
load_events(struct casedb *db, int64_t case_id, struct items *l)
{
	const char *ts, *sev, *sub, *ev, *vm, *data;
	json_t *obj;
	sqlite3_stmt *st;
	int64_t us;
	int rc, ret = 0;

	st = casedb_prepare(db, "SELECT e.id, e.ts, e.severity, e.subsystem,"
				" e.event, e.vm, e.data FROM events e"
				" JOIN case_events c ON c.event_id = e.id"
				" WHERE c.case_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = or_dash(casedb_col_text(st, 1));
		sev = or_dash(casedb_col_text(st, 2));
		sub = or_dash(casedb_col_text(st, 3));
		ev = or_dash(casedb_col_text(st, 4));
		vm = casedb_col_text(st, 5);
		data = or_dash(casedb_col_text(st, 6));
		if (time_parse(ts, &us) < 0)
			us = 0;
		obj = json_loads(data, 0, NULL);
		if (!json_is_object(obj)) {
			json_decref(obj);
			obj = json_object();
		}
		ret = items_add(l, us, CASEDB_ITEM_EVENT,
				sqlite3_column_int64(st, 0),
				json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o}",
					  "ts", ts, "severity", sev,
					  "subsystem", sub, "event", ev, "vm",
					  vm, "data", obj),
				"%s %s %s vm=%s %.600s", sev, sub, ev,
				or_dash(vm), data);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = casedb_fail(db, "cannot read events of case %lld",
				  (long long)case_id);
	sqlite3_finalize(st);
	return ret;
}

static int
load_custody(struct casedb *db, int64_t case_id, struct items *l)
{
	const char *action, *actor, *note, *sha;
	sqlite3_stmt *st;
	int64_t seq, evidence;
	int rc, ret = 0;

	st = casedb_prepare(db, "SELECT seq, ts, action, actor,"
				" coalesce(evidence, 0), sha256, note, line"
				" FROM custody WHERE case_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		action = or_dash(casedb_col_text(st, 2));
		actor = or_dash(casedb_col_text(st, 3));
		evidence = sqlite3_column_int64(st, 4);
		sha = casedb_col_text(st, 5);
		note = casedb_col_text(st, 6);
		ret = items_add(l, sqlite3_column_int64(st, 1),
				CASEDB_ITEM_CUSTODY, seq,
				json_loads(or_dash(casedb_col_text(st, 7)), 0,
					   NULL),
				"#%lld %s by %s%s%.0lld%s%.16s%s%.400s",
				(long long)seq, action, actor,
				evidence ? ", evidence " : "",
				(long long)evidence, sha ? ", sha256 " : "",
				sha ? sha : "", note ? ": " : "",
				note ? note : "");
	}
	if (!ret && rc != SQLITE_DONE)
		ret = casedb_fail(db, "cannot read custody of case %lld",
				  (long long)case_id);
	sqlite3_finalize(st);
	return ret;
}

static int
take_evidence(const struct casedb_evidence *e, void *arg)
{
	char added[TIME_ISO_LEN];

	time_iso(e->added_us, added);
	return items_add(arg, e->added_us, CASEDB_ITEM_EVIDENCE, e->id,
			 json_pack("{s:I, s:s, s:s, s:s?, s:I, s:s}", "id",
				   (json_int_t)e->id, "kind", e->kind, "path",
				   e->path, "sha256", e->sha256, "size",
				   (json_int_t)e->size, "added", added),
			 "evidence %lld %s %s sha256 %s",
			 (long long)e->id, e->kind, e->path,
			 or_dash(e->sha256));
}

int
casedb_note_foreach(struct casedb *db, int64_t case_id,
		    int (*fn)(const struct casedb_note *note, void *arg),
		    void *arg)
{
	struct casedb_note n;
	sqlite3_stmt *st;
	int rc, ret = 0;

	st = casedb_prepare(db, "SELECT id, ts, author, text FROM notes"
				" WHERE case_id = ? ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, case_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n.id = sqlite3_column_int64(st, 0);
		n.ts_us = sqlite3_column_int64(st, 1);
		n.author = or_dash(casedb_col_text(st, 2));
		n.text = or_dash(casedb_col_text(st, 3));
		ret = fn(&n, arg);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = casedb_fail(db, "cannot read notes of case %lld",
				  (long long)case_id);
	sqlite3_finalize(st);
	return ret;
}

static int
take_note(const struct casedb_note *n, void *arg)
{
	char ts[TIME_ISO_LEN];

	time_iso(n->ts_us, ts);
	return items_add(arg, n->ts_us, CASEDB_ITEM_NOTE, n->id,
			 json_pack("{s:I, s:s, s:s, s:s}", "id",
				   (json_int_t)n->id, "ts", ts, "author",
				   n->author, "text", n->text),
			 "%s: %.800s", n->author, n->text);
}

static int
item_cmp(const void *pa, const void *pb)
{
	const struct casedb_item *a = &((const struct item *)pa)->pub;
	const struct casedb_item *b = &((const struct item *)pb)->pub;

	if (a->ts_us != b->ts_us)
		return a->ts_us < b->ts_us ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

int
casedb_timeline(struct casedb *db, int64_t case_id,
		int (*fn)(const struct casedb_item *item, void *arg),
		void *arg)
{
	struct items l = {0};
	size_t i;
	int ret;

	ret = load_events(db, case_id, &l);
	if (!ret)
		ret = load_custody(db, case_id, &l);
	if (!ret)
		ret = casedb_evidence_foreach(db, case_id, take_evidence, &l);
	if (!ret)
		ret = casedb_note_foreach(db, case_id, take_note, &l);
	if (!ret)
		qsort(l.v, l.n, sizeof(*l.v), item_cmp);
	for (i = 0; !ret && i < l.n; i++)
		ret = fn(&l.v[i].pub, arg);
	items_free(&l);
	return ret;
}
