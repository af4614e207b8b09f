#include "helpers.h"

#include "forensics/casedb.h"
#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(casedb, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static const char sha_a[] =
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

static const char *
db_path(void)
{
	static char path[PATH_BUF];

	cr_assert_eq(home_path(path, sizeof(path), "cases.db"), 0);
	return path;
}

static struct casedb *
open_db(void)
{
	struct casedb *db;

	cr_assert_eq(casedb_open(NULL, &db), 0, "%s", err_msg());
	return db;
}

/* Run SQL on the database file behind secvf's back. */
static void
raw_sql(const char *sql)
{
	sqlite3 *sq;
	char *msg = NULL;

	cr_assert_eq(sqlite3_open(db_path(), &sq), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(sq, sql, NULL, NULL, &msg), SQLITE_OK, "%s",
		     msg ? msg : "");
	sqlite3_close(sq);
}

/* The first column of the first row of a query, as text (static). */
static const char *
raw_query(const char *sql)
{
	static char out[256];
	sqlite3_stmt *st;
	sqlite3 *sq;

	out[0] = '\0';
	cr_assert_eq(sqlite3_open(db_path(), &sq), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(sq, sql, -1, &st, NULL), SQLITE_OK,
		     "%s", sqlite3_errmsg(sq));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(sq);
	return out;
}

static void
add_custody(struct casedb *db, int64_t id, const char *action,
	    const char *note)
{
	struct custody_entry e = {0, 0, action, "root@ws1", 0, NULL, note};

	cr_assert_eq(casedb_custody_add(db, id, &e, NULL), 0, "%s",
		     err_msg());
}

Test(casedb, open_creates_private_wal_database_at_current_version)
{
	struct casedb *db = open_db();
	struct stat st;
	int v = 0;

	cr_assert_eq(casedb_schema_version(db, &v), 0);
	cr_assert_eq(v, CASEDB_SCHEMA_VERSION);
	casedb_close(db);

	cr_assert_eq(stat(db_path(), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_str_eq(raw_query("PRAGMA journal_mode"), "wal");
	cr_assert_str_eq(raw_query("SELECT count(*) FROM sqlite_master WHERE"
				   " name IN ('cases', 'events', 'evidence',"
				   " 'custody', 'baselines', 'notes')"),
			 "6");
}

Test(casedb, open_refuses_a_newer_schema)
{
	struct casedb *db = open_db();

	casedb_close(db);
	raw_sql("PRAGMA user_version = 99");
	cr_assert_eq(casedb_open(NULL, &db), -1);
	cr_assert_null(db);
	cr_assert(strstr(err_msg(), "schema version 99, newer"), "%s",
		  err_msg());
}

Test(casedb, open_reports_path_and_sqlite_reason)
{
	struct casedb *db;

	cr_assert_eq(th_write("cases.db", "this is not a database, it is a "
					  "text file of some length ....\n"),
		     0);
	cr_assert_eq(casedb_open(NULL, &db), -1);
	cr_assert(strstr(err_msg(), "cases.db'") &&
			  strstr(err_msg(), "not a database"),
		  "%s", err_msg());
}

Test(casedb, migrates_version_1_fixture_keeping_data)
{
	struct casedb_case_counts n;
	struct casedb *db;
	char *sql = th_read(th_fixture("casedb-v1.sql"));
	int64_t bad = -1, events = 0, added = 0, note;
	int v = 0;

	cr_assert(sql);
	raw_sql(sql);
	free(sql);
	cr_assert_str_eq(raw_query("PRAGMA user_version"), "1");

	db = open_db();
	cr_assert_eq(casedb_schema_version(db, &v), 0);
	cr_assert_eq(v, CASEDB_SCHEMA_VERSION);
	cr_assert_eq(casedb_case_exists(db, 1), 1);
	cr_assert_eq(casedb_case_counts(db, 1, &n), 0);
	cr_assert_eq(n.evidence, 1);
	cr_assert_eq(n.custody, 2);
	cr_assert_eq(casedb_custody_verify(db, 1, &bad), 0);
	cr_assert_eq(bad, 0);
	cr_assert_eq(casedb_event_count(db, &events), 0);
	cr_assert_eq(events, 3);

	/* Version 2 works on the old data: notes, the chain goes on. */
	cr_assert_eq(casedb_note_add(db, 1, "root@ws1", "migrated", &note), 0);
	add_custody(db, 1, "verified", NULL);
	cr_assert_eq(casedb_custody_verify(db, 1, &bad), 0);
	/* The sample's first line is the one the old database holds. */
	cr_assert_eq(casedb_ingest_file(db, th_fixture("security-sample.log"),
					&added),
		     0, "%s", err_msg());
	cr_assert_eq(added, 2);
	casedb_close(db);
}

Test(casedb, migrates_step_by_step_from_version_1)
{
	struct casedb *db;
	int64_t id, bad;
	int v = 0;

	cr_assert_eq(casedb_open_version(NULL, 1, &db), 0, "%s", err_msg());
	cr_assert_eq(casedb_case_new(db, "old", &id), 0);
	add_custody(db, id, "paused", "before");
	casedb_close(db);
	cr_assert_str_eq(raw_query("SELECT count(*) FROM sqlite_master"
				   " WHERE name = 'notes'"),
			 "0");

	db = open_db();
	cr_assert_eq(casedb_schema_version(db, &v), 0);
	cr_assert_eq(v, CASEDB_SCHEMA_VERSION);
	cr_assert_eq(casedb_custody_verify(db, id, &bad), 0);
	casedb_close(db);
	cr_assert_eq(casedb_open_version(NULL, CASEDB_SCHEMA_VERSION + 1, &db),
		     -1);
}

Test(casedb, cases_are_numbered_and_listed)
{
	struct casedb *db = open_db();
	int64_t a, b;

	cr_assert_eq(casedb_case_new(db, "first", &a), 0);
	cr_assert_eq(casedb_case_new(db, "second", &b), 0);
	cr_assert_eq(b, a + 1);
	cr_assert_eq(casedb_case_exists(db, b), 1);
	cr_assert_eq(casedb_case_exists(db, b + 1), 0);
	cr_assert_eq(casedb_case_new(db, "", &a), -1);
	cr_assert_eq(casedb_case_close(db, b, "false alarm"), 0);
	cr_assert_eq(casedb_case_close(db, b, "again"), -1);
	cr_assert_str_eq(raw_query("SELECT status || ':' || resolution"
				   " FROM cases WHERE id = 2"),
			 "closed:false alarm");
	casedb_close(db);
}

Test(casedb, evidence_and_baselines_are_checked)
{
	struct casedb_case_counts n;
	struct casedb *db = open_db();
	int64_t id, ev, bl;

	cr_assert_eq(casedb_case_new(db, "c", &id), 0);
	cr_assert_eq(casedb_evidence_add(db, id, "disk", "vm/Disk.img", sha_a,
					 1 << 20, &ev),
		     0, "%s", err_msg());
	cr_assert_eq(casedb_evidence_add(db, id, "disk", "x", "zz", 1, &ev),
		     -1);
	cr_assert_eq(casedb_evidence_add(db, 99, "disk", "x", NULL, 1, &ev),
		     -1);
	cr_assert(strstr(err_msg(), "FOREIGN KEY"), "%s", err_msg());
	cr_assert_eq(casedb_case_counts(db, id, &n), 0);
	cr_assert_eq(n.evidence, 1);
	cr_assert_eq(casedb_baseline_add(db, 0, "{\"ok\":true}", &bl), 0);
	cr_assert_eq(casedb_baseline_add(db, id, "{not json", &bl), -1);
	casedb_close(db);
}

static const char good_line[] =
	"{\"ts\":\"2026-12-03T19:00:00.123456Z\",\"severity\":\"CRITICAL\","
	"\"subsystem\":\"fsevents\",\"event\":\"file.unexpected\","
	"\"vm\":\"lab1\",\"host\":\"ws1\",\"seq\":%d,"
	"\"data\":{\"path\":\"dropper.sh\"},\"prev\":\"%064d\"}\n";

static void
write_log(const char *rel, int from, int to, const char *extra)
{
	char line[1024];
	char *text = calloc(1, 1);
	size_t len = 0;
	int i;

	for (i = from; i <= to; i++) {
		snprintf(line, sizeof(line), good_line, i, 0);
		text = realloc(text, len + strlen(line) + 1);
		strcpy(text + len, line);
		len += strlen(line);
	}
	if (extra) {
		text = realloc(text, len + strlen(extra) + 1);
		strcpy(text + len, extra);
	}
	cr_assert_eq(th_write(rel, text), 0);
	free(text);
}

static void
log_path(char *buf, size_t size, const char *rel)
{
	cr_assert_eq(home_path(buf, size, "%s", rel), 0);
}

Test(casedb, ingesting_a_file_twice_adds_nothing_the_second_time)
{
	struct casedb_ingest_stats st;
	struct casedb *db = open_db();
	char path[PATH_BUF];
	int64_t added = -1, count = 0;

	write_log("a.log", 1, 50, NULL);
	log_path(path, sizeof(path), "a.log");
	cr_assert_eq(casedb_ingest_file(db, path, &added), 0, "%s", err_msg());
	cr_assert_eq(added, 50);
	cr_assert_eq(casedb_ingest_file_stats(db, path, &st), 0);
	cr_assert_eq(st.added, 0);
	cr_assert_eq(st.duplicate, 50);

	/* The file grows: only the new lines are added. */
	write_log("a.log", 1, 60, NULL);
	cr_assert_eq(casedb_ingest_file(db, path, &added), 0);
	cr_assert_eq(added, 10);
	cr_assert_eq(casedb_event_count(db, &count), 0);
	cr_assert_eq(count, 60);
	casedb_close(db);
	cr_assert_str_eq(raw_query("SELECT data FROM events WHERE seq = 7"),
			 "{\"path\":\"dropper.sh\"}");
	cr_assert_str_eq(raw_query("SELECT count(*) FROM events"
				   " WHERE vm = 'lab1' AND length(line_hash)"
				   " = 64"),
			 "60");
}

Test(casedb, malformed_and_long_lines_are_skipped_and_counted)
{
	struct casedb_ingest_stats st;
	struct casedb *db = open_db();
	char path[PATH_BUF], *extra, *p;
	size_t big = 70000;

	/* Five bad lines, one over-long line, then a torn last line. */
	extra = malloc(big + 4096);
	p = extra;
	p += sprintf(p, "not json at all\n");
	p += sprintf(p, "{\"ts\":\"2026-12-03T19:00:00.123456Z\","
			"\"severity\":\"LOUD\",\"subsystem\":\"x\","
			"\"event\":\"y\",\"vm\":null,\"host\":\"h\","
			"\"seq\":1,\"data\":{},\"prev\":\"%064d\"}\n", 0);
	p += sprintf(p, "{\"ts\":\"yesterday\",\"severity\":\"INFO\","
			"\"subsystem\":\"x\",\"event\":\"y\",\"vm\":null,"
			"\"host\":\"h\",\"seq\":1,\"data\":{},"
			"\"prev\":\"%064d\"}\n", 0);
	p += sprintf(p, "[1,2,3]\n");
	p += sprintf(p, "{\"seq\":1,\"seq\":2}\n");
	memset(p, 'x', big);
	p += big;
	*p++ = '\n';
	p += sprintf(p, "{\"ts\":\"2026-12-03T19:00:00");
	write_log("b.log", 1, 3, extra);
	free(extra);
	write_log("c.log", 4, 5, NULL);
	cr_assert_eq(th_sh("cat '%s/c.log' >> '%s/b.log'", home_dir(),
			   home_dir()),
		     0);

	log_path(path, sizeof(path), "b.log");
	cr_assert_eq(casedb_ingest_file_stats(db, path, &st), 0, "%s",
		     err_msg());
	/* The torn line swallowed c.log's first line: it is line 10. */
	cr_assert_eq(st.added, 4, "added %lld", (long long)st.added);
	cr_assert_eq(st.malformed, 6, "malformed %lld",
		     (long long)st.malformed);
	cr_assert_eq(st.too_long, 1);
	cr_assert_eq(st.partial, 0);
	casedb_close(db);
}

Test(casedb, unterminated_last_line_waits_for_its_end)
{
	struct casedb_ingest_stats st;
	struct casedb *db = open_db();
	char path[PATH_BUF];

	write_log("d.log", 1, 2, "{\"ts\":\"2026-12-03T19:");
	log_path(path, sizeof(path), "d.log");
	cr_assert_eq(casedb_ingest_file_stats(db, path, &st), 0);
	cr_assert_eq(st.added, 2);
	cr_assert_eq(st.partial, 1);
	cr_assert_eq(st.malformed, 0);
	casedb_close(db);
}

Test(casedb, ingesting_a_missing_file_fails_with_its_name)
{
	struct casedb *db = open_db();
	int64_t added = -1;

	cr_assert_eq(casedb_ingest_file(db, "/nonexistent/x.log", &added), -1);
	cr_assert_eq(added, 0);
	cr_assert_str_eq(err_msg(), "cannot open '/nonexistent/x.log': "
				    "No such file or directory");
	casedb_close(db);
}

Test(casedb, custody_chain_verifies_and_tampering_is_found_at_its_seq)
{
	struct casedb *db = open_db();
	char head[65], hash[65];
	int64_t id, next, bad = -1;
	struct custody_entry e = {0, 0, "sealed", "root@ws1", 0, sha_a,
				  NULL};

	cr_assert_eq(casedb_case_new(db, "chain", &id), 0);
	cr_assert_eq(casedb_custody_head(db, id, head, &next), 0);
	cr_assert_str_eq(head, custody_zero_hash);
	cr_assert_eq(next, 1);
	add_custody(db, id, "paused", "paused by triage");
	add_custody(db, id, "snapshot", NULL);
	add_custody(db, id, "memory-dump", "guest memory");
	cr_assert_eq(casedb_custody_add(db, id, &e, hash), 0);
	add_custody(db, id, "verified", NULL);

	cr_assert_eq(casedb_custody_verify(db, id, &bad), 0);
	cr_assert_eq(bad, 0);
	cr_assert_eq(casedb_custody_head(db, id, head, &next), 0);
	cr_assert_eq(next, 6);
	cr_assert_str_eq(raw_query("SELECT hash FROM custody WHERE seq = 4"),
			 hash);
	casedb_close(db);

	/* Plain UPDATE is refused; one who drops the trigger is caught. */
	cr_assert_neq(th_sh("sqlite3 '%s' \"UPDATE custody SET note = 'x'\""
			    " 2>/dev/null",
			    db_path()),
		      0);
	raw_sql("DROP TRIGGER custody_no_update;"
		"UPDATE custody SET note = 'guest memory (edited)'"
		" WHERE seq = 3");
	db = open_db();
	cr_assert_eq(casedb_custody_verify(db, id, &bad), 1);
	cr_assert_eq(bad, 3);
	casedb_close(db);
}

Test(casedb, custody_rewritten_consistently_still_breaks_the_link)
{
	struct casedb *db = open_db();
	int64_t id, bad;

	cr_assert_eq(casedb_case_new(db, "chain", &id), 0);
	add_custody(db, id, "paused", NULL);
	add_custody(db, id, "snapshot", NULL);
	add_custody(db, id, "sealed", NULL);
	casedb_close(db);

	/* Row 2 rewritten with a fresh line and hash: row 3's prev breaks. */
	raw_sql("DROP TRIGGER custody_no_update;"
		"UPDATE custody SET hash = '" "0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef' WHERE seq = 2");
	db = open_db();
	cr_assert_eq(casedb_custody_verify(db, id, &bad), 1);
	cr_assert_eq(bad, 2);
	casedb_close(db);
}

Test(casedb, custody_add_needs_a_case)
{
	struct casedb *db = open_db();
	struct custody_entry e = {0, 0, "paused", "root@ws1", 0, NULL, NULL};

	cr_assert_eq(casedb_custody_add(db, 42, &e, NULL), -1);
	cr_assert_str_eq(err_msg(), "no case 42");
	casedb_close(db);
}

/* ---- the commands */

Test(casedb, cli_case_new_list_show)
{
	char *out, *err;

	cr_assert_eq(th_secvf(&out, NULL, "case", "new", "lab1 egress", NULL),
		     0);
	cr_assert_str_eq(out, "1\n");
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "case", "new", "two",
			      NULL),
		     0);
	cr_assert_str_eq(out, "{\"id\":2,\"title\":\"two\"}\n");
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "case", "list", NULL), 0);
	cr_assert(strstr(out, "lab1 egress") && strstr(out, "two"), "%s",
		  out);
	free(out);
	cr_assert_eq(th_secvf(&out, &err, "case", "show", "--json", "1", NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "\"counts\":{\"evidence\":0,\"custody\":0,"
			      "\"notes\":0}"),
		  "%s", out);
	free(out);
	free(err);
}

Test(casedb, cli_unknown_case_is_3_and_bad_id_is_2)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, "case", "show", "7", NULL), 3);
	cr_assert_str_eq(err, "secvf: no case 7\n");
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "case", "show", "seven", NULL), 2);
	cr_assert(strstr(err, "bad case id 'seven'"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "custody", "verify", "0", NULL), 2);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "log", "9", NULL), 3);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "show", NULL), 2);
}

Test(casedb, cli_case_ingest_reports_counts)
{
	char *out;

	cr_assert_eq(th_sh("mkdir -p '%s/logs'", home_dir()), 0);
	write_log("logs/security-2026-12-03.log", 1, 5, "garbage\n");
	cr_assert_eq(th_secvf(&out, NULL, "case", "ingest", NULL), 0);
	cr_assert(strstr(out, "5 added, 0 already there, 1 malformed"), "%s",
		  out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "case", "ingest", NULL), 0);
	cr_assert(strstr(out, "\"added\":0,\"duplicate\":5,\"malformed\":1"),
		  "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "ingest", "/nope.log",
			      NULL),
		     1);
}

Test(casedb, cli_custody_log_and_verify)
{
	struct casedb *db = open_db();
	char *out;
	int64_t id;

	cr_assert_eq(casedb_case_new(db, "c", &id), 0);
	add_custody(db, id, "paused", NULL);
	add_custody(db, id, "sealed", "bundle sealed");
	casedb_close(db);

	cr_assert_eq(th_secvf(&out, NULL, "custody", "verify", "1", NULL), 0);
	cr_assert(strstr(out, "ok, 2 entries"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "custody", "log", "1",
			      NULL),
		     0);
	cr_assert(strncmp(out, "{\"case\":1,\"seq\":1,", 18) == 0, "%s", out);
	cr_assert(strstr(out, "\"note\":\"bundle sealed\""), "%s", out);
	free(out);

	raw_sql("DROP TRIGGER custody_no_update;"
		"UPDATE custody SET actor = 'mallory@ws2' WHERE seq = 2");
	cr_assert_eq(th_secvf(&out, NULL, "custody", "verify", "1", NULL), 4);
	cr_assert(strstr(out, "broken at seq 2"), "%s", out);
	free(out);
}

Test(casedb, lines_in_any_layout_are_read_alike)
{
	struct casedb_ingest_stats st;
	struct casedb *db = open_db();
	char path[PATH_BUF];
	char text[4096];
	int n;

	/* The writer's layout; keys reordered with escapes and a null vm;
	   the layout with data followed by a second value (malformed). */
	n = snprintf(text, sizeof(text), good_line, 1, 0);
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      "{\"seq\":2,\"vm\":null,\"ts\":\"2026-12-03T19:00:01."
		      "000000Z\",\"severity\":\"INFO\","
		      "\"subsystem\":\"us\\u0062\","
		      "\"event\":\"device.unexpected\",\"host\":\"ws\\u00e9\","
		      "\"data\":{\"b\": [1, 2], \"a\": \"\\/x\"},"
		      "\"prev\":\"%064d\"}\n", 0);
	snprintf(text + n, sizeof(text) - (size_t)n,
		 "{\"ts\":\"2026-12-03T19:00:02.000000Z\","
		 "\"severity\":\"INFO\","
		 "\"subsystem\":\"usb\",\"event\":\"x\",\"vm\":\"lab1\","
		 "\"host\":\"ws1\",\"seq\":3,\"data\":{},\"prev\":\"%064d\"},"
		 "\"prev\":\"%064d\"}\n", 0, 0);
	cr_assert_eq(th_write("e.log", text), 0);
	log_path(path, sizeof(path), "e.log");
	cr_assert_eq(casedb_ingest_file_stats(db, path, &st), 0);
	cr_assert_eq(st.added, 2);
	cr_assert_eq(st.malformed, 1);
	casedb_close(db);

	cr_assert_str_eq(raw_query("SELECT subsystem || '|' || host || '|' ||"
				   " data || '|' || (vm IS NULL)"
				   " FROM events WHERE seq = 2"),
			 "usb|ws\xc3\xa9|{\"b\":[1,2],\"a\":\"/x\"}|1");
	cr_assert_str_eq(raw_query("SELECT data FROM events WHERE seq = 1"),
			 "{\"path\":\"dropper.sh\"}");
}

Test(casedb, cli_custody_check_reads_an_exported_trail)
{
	struct casedb *db = open_db();
	char path[PATH_BUF], *out, *p;
	int64_t id;

	cr_assert_eq(casedb_case_new(db, "c", &id), 0);
	add_custody(db, id, "paused", NULL);
	add_custody(db, id, "sealed", "bundle sealed");
	add_custody(db, id, "transferred", NULL);
	casedb_close(db);

	cr_assert_eq(th_secvf(&out, NULL, "--json", "custody", "log", "1",
			      NULL),
		     0);
	cr_assert_eq(th_write("custody.jsonl", out), 0);
	log_path(path, sizeof(path), "custody.jsonl");
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "check", path, NULL), 0);

	p = strstr(out, "bundle sealed");
	p[0] = 'B';
	cr_assert_eq(th_write("custody.jsonl", out), 0);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "custody", "check", path, NULL), 4);
	cr_assert(strstr(out, "broken at line 3"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "check", "/nope", NULL),
		     3);
}

/* ---- schema version 3: events of a case, the timeline */

static void
write_event_log(const char *rel)
{
	static const char zero[] = "00000000000000000000000000000000"
				   "00000000000000000000000000000000";
	char text[4096];

	snprintf(text, sizeof(text),
		 "{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":"
		 "\"CRITICAL\",\"subsystem\":\"fsevents\",\"event\":"
		 "\"file.unexpected\",\"vm\":\"lab1\",\"host\":\"ws1\","
		 "\"seq\":1,\"data\":{\"path\":\"a\\u001b[31m\"},"
		 "\"prev\":\"%s\"}\n"
		 "{\"ts\":\"2026-12-03T19:00:03.000000Z\",\"severity\":"
		 "\"WARNING\",\"subsystem\":\"network\",\"event\":"
		 "\"switch.drop\",\"vm\":\"lab2\",\"host\":\"ws1\","
		 "\"seq\":2,\"data\":{},\"prev\":\"%s\"}\n"
		 "{\"ts\":\"2026-12-03T19:00:05.000000Z\",\"severity\":"
		 "\"EMERGENCY\",\"subsystem\":\"containment\",\"event\":"
		 "\"breach-suspected\",\"vm\":\"lab1\",\"host\":\"ws1\","
		 "\"seq\":3,\"data\":{},\"prev\":\"%s\"}\n"
		 "{\"ts\":\"2026-12-02T10:00:00.000000Z\",\"severity\":"
		 "\"INFO\",\"subsystem\":\"vm-lifecycle\",\"event\":"
		 "\"started\",\"vm\":\"lab1\",\"host\":\"ws1\","
		 "\"seq\":4,\"data\":{},\"prev\":\"%s\"}\n",
		 zero, zero, zero, zero);
	cr_assert_eq(th_write(rel, text), 0);
}

Test(casedb, migrates_version_2_to_3_keeping_data)
{
	struct casedb_case_counts n;
	struct casedb *db;
	char log[PATH_BUF];
	int64_t id, note, added, linked = -1;
	int v = 0;

	cr_assert_eq(casedb_open_version(NULL, 2, &db), 0, "%s", err_msg());
	cr_assert_eq(casedb_case_new(db, "old", &id), 0);
	cr_assert_eq(casedb_note_add(db, id, "root@ws1", "kept", &note), 0);
	add_custody(db, id, "paused", NULL);
	write_event_log("v2.log");
	cr_assert_eq(home_path(log, sizeof(log), "v2.log"), 0);
	cr_assert_eq(casedb_ingest_file(db, log, &added), 0, "%s", err_msg());
	cr_assert_eq(casedb_case_attach_events(db, id, 0, NULL, &linked), -1);
	casedb_close(db);
	cr_assert_str_eq(raw_query("PRAGMA user_version"), "2");
	cr_assert_str_eq(raw_query("SELECT count(*) FROM sqlite_master"
				   " WHERE name = 'case_events'"),
			 "0");

	db = open_db();
	cr_assert_eq(casedb_schema_version(db, &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(casedb_case_counts(db, id, &n), 0);
	cr_assert_eq(n.notes, 1);
	cr_assert_eq(n.custody, 1);
	cr_assert_eq(casedb_case_attach_events(db, id, 0, "lab1", &linked), 0,
		     "%s", err_msg());
	cr_assert_eq(linked, 3);
	casedb_close(db);
}

Test(casedb, attach_links_events_by_time_and_vm_once)
{
	struct casedb *db = open_db();
	char log[PATH_BUF];
	int64_t id, other, added, linked = -1, since;

	cr_assert_eq(casedb_case_new(db, "c", &id), 0);
	cr_assert_eq(casedb_case_new(db, "other", &other), 0);
	write_event_log("a.log");
	cr_assert_eq(home_path(log, sizeof(log), "a.log"), 0);
	cr_assert_eq(casedb_ingest_file(db, log, &added), 0, "%s", err_msg());
	cr_assert_eq(time_parse("2026-12-03T19:00:00Z", &since), 0);

	cr_assert_eq(casedb_case_attach_events(db, id, since, "lab1", &linked),
		     0, "%s", err_msg());
	cr_assert_eq(linked, 2);
	cr_assert_eq(casedb_case_attach_events(db, id, since, "lab1", &linked),
		     0);
	cr_assert_eq(linked, 0);
	cr_assert_eq(casedb_case_attach_events(db, id, since, NULL, &linked),
		     0);
	cr_assert_eq(linked, 1);
	/* Another case may hold the same events. */
	cr_assert_eq(casedb_case_attach_events(db, other, 0, NULL, &linked),
		     0);
	cr_assert_eq(linked, 4);
	cr_assert_eq(casedb_case_attach_events(db, 99, 0, NULL, &linked), -1);
	cr_assert(strstr(err_msg(), "no case 99"), "%s", err_msg());
	casedb_close(db);
}

struct seen {
	char kinds[16][16];
	char summary[16][1024];
	int64_t ts[16];
	int n;
};

static int
collect_item(const struct casedb_item *it, void *arg)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 16);
	cr_assert(json_is_object(it->detail));
	snprintf(s->kinds[s->n], sizeof(s->kinds[0]), "%s",
		 casedb_item_kind_name(it->kind));
	snprintf(s->summary[s->n], sizeof(s->summary[0]), "%s", it->summary);
	s->ts[s->n++] = it->ts_us;
	return 0;
}

Test(casedb, timeline_merges_everything_in_time_order)
{
	struct casedb *db = open_db();
	struct custody_entry e = {0, 0, "paused", "root@ws1", 0, NULL, NULL};
	struct seen s = {0};
	char log[PATH_BUF];
	int64_t id, added, linked, ev, note, t;
	int i;

	cr_assert_eq(casedb_case_new(db, "c", &id), 0);
	write_event_log("t.log");
	cr_assert_eq(home_path(log, sizeof(log), "t.log"), 0);
	cr_assert_eq(casedb_ingest_file(db, log, &added), 0, "%s", err_msg());
	cr_assert_eq(time_parse("2026-12-03T19:00:00Z", &t), 0);
	cr_assert_eq(casedb_case_attach_events(db, id, t, "lab1", &linked), 0);
	/* A custody entry between the two events, one after both. */
	e.ts_us = t + 2000000;
	cr_assert_eq(casedb_custody_add(db, id, &e, NULL), 0, "%s", err_msg());
	cr_assert_eq(casedb_evidence_add(db, id, "memory", "/m", sha_a, 4, &ev),
		     0);
	e = (struct custody_entry){0, t + 9000000, "verified", "bob@ws2", ev,
				   sha_a, "seal\nintact"};
	cr_assert_eq(casedb_custody_add(db, id, &e, NULL), 0, "%s", err_msg());
	cr_assert_eq(casedb_note_add(db, id, "root@ws1", "looked", &note), 0);

	cr_assert_eq(casedb_timeline(db, id, collect_item, &s), 0, "%s",
		     err_msg());
	cr_assert_eq(s.n, 6);
	cr_assert_str_eq(s.kinds[0], "event");
	cr_assert_str_eq(s.kinds[1], "custody");
	cr_assert_str_eq(s.kinds[2], "event");
	cr_assert_str_eq(s.kinds[3], "custody");
	cr_assert_str_eq(s.kinds[4], "evidence");
	cr_assert_str_eq(s.kinds[5], "note");
	for (i = 1; i < s.n; i++)
		cr_assert_geq(s.ts[i], s.ts[i - 1]);
	cr_assert(strstr(s.summary[0], "CRITICAL fsevents file.unexpected"),
		  "%s", s.summary[0]);
	cr_assert(strstr(s.summary[2], "EMERGENCY containment"), "%s",
		  s.summary[2]);
	cr_assert(strstr(s.summary[3], "#2 verified by bob@ws2, evidence"),
		  "%s", s.summary[3]);
	cr_assert(strstr(s.summary[3], "seal?intact"), "%s", s.summary[3]);
	cr_assert(strstr(s.summary[5], "root@ws1: looked"), "%s",
		  s.summary[5]);
	for (i = 0; i < s.n; i++)
		cr_assert_null(strchr(s.summary[i], '\033'));
	casedb_close(db);
}

Test(casedb, evidence_belongs_to_its_case_only)
{
	struct casedb *db = open_db();
	int64_t a, b, ev;

	cr_assert_eq(casedb_case_new(db, "a", &a), 0);
	cr_assert_eq(casedb_case_new(db, "b", &b), 0);
	cr_assert_eq(casedb_evidence_add(db, a, "file", "/x", NULL, 1, &ev), 0);
	cr_assert_eq(casedb_evidence_in_case(db, a, ev), 1);
	cr_assert_eq(casedb_evidence_in_case(db, b, ev), 0);
	cr_assert_eq(casedb_evidence_in_case(db, a, ev + 1), 0);
	cr_assert_eq(casedb_case_close(db, a, "benign"), 0);
	cr_assert_eq(casedb_case_close(db, a, "benign"), -1);
	cr_assert(strstr(err_msg(), "already closed"), "%s", err_msg());
	cr_assert_eq(casedb_case_close(db, 42, "benign"), -1);
	cr_assert(strstr(err_msg(), "no case 42"), "%s", err_msg());
	casedb_close(db);
}
