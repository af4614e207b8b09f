/*
 * secvf case close | timeline | attach and secvf custody add.
 */
#include "helpers.h"

#include "forensics/casedb.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(case_cli, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static const char sha_a[] =
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

static int64_t
new_case_with_evidence(int64_t *evidence)
{
	struct casedb *db;
	int64_t id;

	cr_assert_eq(casedb_open(NULL, &db), 0, "%s", err_msg());
	cr_assert_eq(casedb_case_new(db, "c", &id), 0);
	cr_assert_eq(casedb_evidence_add(db, id, "file", "/e", sha_a, 1,
					 evidence),
		     0);
	casedb_close(db);
	return id;
}

static void
log_event(const char *sev, const char *sub, const char *event,
	  const char *vm)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity", sev,
			      "--subsystem", sub, "--event", event, "--vm",
			      vm, NULL),
		     0, "%s", err);
	free(err);
}

Test(case_cli, close_takes_an_outcome_once)
{
	char *out = NULL, *err = NULL;

	cr_assert_eq(th_secvf(&out, NULL, "case", "new", "t", NULL), 0);
	free(out);
	cr_assert_eq(th_secvf(NULL, &err, "case", "close", "1",
			      "--resolution", "maybe", NULL),
		     2);
	cr_assert(strstr(err, "benign, suspicious or confirmed"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(&out, NULL, "case", "close", "1",
			      "--resolution", "confirmed", NULL),
		     0);
	cr_assert(strstr(out, "closed: confirmed"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, &err, "case", "close", "1", NULL), 6);
	cr_assert(strstr(err, "case 1 is already closed"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "case", "show", "1", NULL),
		     0);
	cr_assert(strstr(out, "\"resolution\":\"confirmed\""), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "close", "5", NULL), 3);
}

Test(case_cli, attach_ingests_then_links_by_vm_idempotently)
{
	char *out = NULL;

	cr_assert_eq(th_secvf(&out, NULL, "case", "new", "t", NULL), 0);
	free(out);
	log_event("CRITICAL", "fsevents", "file.unexpected", "lab1");
	log_event("WARNING", "network", "switch.drop", "lab2");
	cr_assert_eq(th_secvf(&out, NULL, "--json", "case", "attach", "1",
			      "--events-since", "1h", "--vm", "lab1", NULL),
		     0);
	cr_assert(strstr(out, "\"ingested\":2,\"linked\":1"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "case", "attach", "1",
			      "--events-since", "1h", "--vm", "lab1", NULL),
		     0);
	cr_assert(strstr(out, "\"ingested\":0,\"linked\":0"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "attach", "1", NULL), 2);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "attach", "1",
			      "--events-since", "yesterday-ish", NULL),
		     2);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "attach", "4",
			      "--events-since", "1h", NULL),
		     3);
}

Test(case_cli, timeline_lists_items_in_time_order)
{
	char *out = NULL, *a, *b, *c;
	int64_t ev;

	new_case_with_evidence(&ev);
	log_event("CRITICAL", "fsevents", "file.unexpected", "lab1");
	cr_assert_eq(th_secvf(&out, NULL, "case", "attach", "1",
			      "--events-since", "1h", NULL),
		     0);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "note", "1", "seen it",
			      NULL),
		     0);
	cr_assert_eq(th_secvf(&out, NULL, "case", "timeline", "1", NULL), 0);
	a = strstr(out, " evidence ");
	b = strstr(out, " event    CRITICAL fsevents file.unexpected");
	c = strstr(out, " note     ");
	cr_assert(a && b && c, "%s", out);
	cr_assert(a < b && b < c, "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "case", "timeline", "1",
			      NULL),
		     0);
	cr_assert(strstr(out, "\"kind\":\"note\""), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "timeline", "2", NULL), 3);
}

Test(case_cli, custody_add_checks_the_evidence_and_chains)
{
	char *out = NULL, *err = NULL, arg[32];
	int64_t ev, other_ev;

	new_case_with_evidence(&ev);
	new_case_with_evidence(&other_ev);
	snprintf(arg, sizeof(arg), "%lld", (long long)ev);
	cr_assert_eq(th_secvf(&out, &err, "custody", "add", "1", "--action",
			      "transferred", "--evidence", arg, "--to",
			      "bob@lab", "--note", "sealed bag 4", NULL),
		     0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "add", "1", "--action",
			      "verified", "--evidence", arg, NULL),
		     0);
	snprintf(arg, sizeof(arg), "%lld", (long long)other_ev);
	cr_assert_eq(th_secvf(NULL, &err, "custody", "add", "1", "--action",
			      "accessed", "--evidence", arg, NULL),
		     3);
	cr_assert(strstr(err, "case 1 has no evidence"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "add", "1", "--action",
			      "lost", "--evidence", "1", NULL),
		     2);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "add", "1", "--action",
			      "accessed", "--evidence", "1", "--to", "x",
			      NULL),
		     2);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "add", "1", "--action",
			      "accessed", NULL),
		     2);

	cr_assert_eq(th_secvf(&out, NULL, "custody", "log", "1", NULL), 0);
	cr_assert(strstr(out, "to bob@lab: sealed bag 4"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "custody", "verify", "1", NULL), 0);
	cr_assert(strstr(out, "ok, 2 entries"), "%s", out);
	free(out);

	/* An edited entry: verify names it. */
	cr_assert_eq(th_sh("sqlite3 '%s/cases.db' 'DROP TRIGGER "
			   "custody_no_update; UPDATE custody SET note = "
			   "\"x\" WHERE seq = 1'",
			   getenv("SECVF_HOME")),
		     0);
	cr_assert_eq(th_secvf(&out, NULL, "custody", "verify", "1", NULL), 4);
	cr_assert(strstr(out, "broken at seq 1"), "%s", out);
	free(out);
}

Test(case_cli, watch_once_prints_a_summary_when_not_a_terminal)
{
	char *out = NULL;

	log_event("CRITICAL", "fsevents", "file.unexpected", "lab1");
	log_event("WARNING", "network", "switch.drop", "lab1");
	cr_assert_eq(th_secvf(&out, NULL, "watch", "--once", NULL), 0);
	cr_assert(strstr(out, "filesystem 1/1 ALERT"), "%s", out);
	cr_assert(strstr(out, "network 0/1 "), "%s", out);
	cr_assert_null(strchr(out, '\033'), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "watch", "--since", "soon", NULL),
		     2);
	cr_assert_eq(th_secvf(NULL, NULL, "watch", "--min-severity", "LOUD",
			      NULL),
		     2);
}

Test(case_cli, options_may_follow_the_operands)
{
	char *out = NULL, *err = NULL;

	cr_assert_eq(th_secvf(&out, NULL, "case", "new", "t", NULL), 0);
	free(out);
	cr_assert_eq(th_secvf(&out, &err, "case", "show", "1", "--json",
			      NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "\"id\":1,"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(&out, NULL, "custody", "log", "1", "--json",
			      NULL),
		     0);
	free(out);

	/* A note that starts with a dash follows "--". */
	cr_assert_eq(th_secvf(NULL, &err, "case", "note", "1", "-x", NULL),
		     2);
	free(err);
	cr_assert_eq(th_secvf(&out, NULL, "case", "note", "1", "--", "-x",
			      NULL),
		     0);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "case", "timeline", "1", NULL), 0);
	cr_assert(strstr(out, "-x"), "%s", out);
	free(out);
}
