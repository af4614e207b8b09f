/*
 * fuzz_evlog_file: libFuzzer target for a whole security log, written
 * to a file and read by everything that reads one: the chain verifier
 * (secvf log verify), the bounded line readers of detect/ and
 * forensics/, ingestion into a case database, the advice summary of
 * triage, the events of the incident report (and the report itself)
 * and the shipped Sigma rules.  The file is the day's log of a
 * private SECVF_HOME.
 *
 * The verifier's verdict must name a line it read; a file ingested
 * twice adds nothing the second time.
 *
 *	make fuzz FUZZ_ONLY=evlog_file
 */
#include "detect/evlog.h"
#include "detect/sigma.h"
#include "forensics/casedb.h"
#include "forensics/evline.h"
#include "fuzz/fuzz_file.h"
#include "lib/home.h"
#include "playbooks/advice.h"
#include "playbooks/report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_verify(const char *path)
{
	struct evlog_verify_result res;

	if (evlog_verify(path, &res) < 0)
		abort();
	if (res.status == EVLOG_OK
		    ? res.bad_line != 0
		    : res.bad_line < 1 || res.bad_line > res.lines)
		__builtin_trap();
}

static void
read_lines(const char *path)
{
	static struct evline_event e;
	struct evline_reader *lr;
	struct evlog_reader r;
	struct evlog_event ev;
	enum evline_kind kind;
	const char *line;
	size_t len;

	if (evlog_reader_open(&r, path, -1) < 0)
		abort();
	while (evlog_reader_next(&r) > 0) {
		if (r.len > EVLOG_LINE_MAX)
			__builtin_trap();
		if (evlog_decode(r.line, r.len, &ev) == 0)
			evlog_event_release(&ev);
	}
	evlog_reader_close(&r);

	if (evline_open(path, &lr) < 0)
		abort();
	while (evline_next(lr, &line, &len, &kind) == 0 && kind != EVLINE_END) {
		if (kind == EVLINE_OK) {
			evline_parse(line, len, &e);
			evline_release(&e);
		}
	}
	evline_close(lr);
}

static void
ingest(const char *path)
{
	static struct casedb *db;
	struct casedb_ingest_stats one, two;
	char dbpath[512];

	if (!db) {
		fuzz_path(dbpath, sizeof(dbpath), "cases.db");
		if (casedb_open(dbpath, &db) < 0)
			abort();
	}
	if (casedb_ingest_file_stats(db, path, &one) < 0)
		return;
	if (casedb_ingest_file_stats(db, path, &two) < 0 || two.added != 0 ||
	    two.lines != one.lines)
		__builtin_trap();
}

static void
summarise(const char *path)
{
	static struct advice *a;
	json_t *sum;
	long skipped;

	if (!a && advice_load(FUZZ_SRCDIR "/playbooks/advice.yaml", &a) < 0)
		abort();
	sum = advice_log_summary(a, path, &skipped);
	json_decref(sum);
}

/* The report of an incident on lab1 just after the log's day. */
static void
report(void)
{
	json_t *events, *manifest;
	size_t len;
	char *html;

	events = report_events_load("lab1", 1796342400000000LL, 86400000000LL);
	if (!events)
		return;
	manifest = json_pack("{s:s, s:i}", "vm", "lab1", "case", 7);
	html = report_html(manifest, NULL, 0, events, &len);
	if (!html || strlen(html) != len)
		__builtin_trap();
	free(html);
	json_decref(manifest);
	json_decref(events);
}

static void
match_rules(const uint8_t *data, size_t size)
{
	struct sigma_problems probs = {0};
	struct sigma_engine *e = sigma_engine_new(0);
	const uint8_t *p = data, *end = data + size, *nl;

	if (!e ||
	    sigma_engine_add_dir(e, FUZZ_SRCDIR "/detect/rules", 0, &probs) <
		    0 ||
	    sigma_engine_finish(e, &probs) < 0)
		abort();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		sigma_engine_feed(e, (const char *)p, (size_t)(nl - p), NULL,
				  NULL);
		p = nl + 1;
	}
	sigma_engine_flush(e, NULL, NULL);
	sigma_engine_free(e);
	sigma_problems_release(&probs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int home_made;
	char path[512];

	if (!home_made++) {
		fuzz_path(path, sizeof(path), "home");
		if (mkdir(path, 0700) < 0 ||
		    setenv("SECVF_HOME", path, 1) < 0 ||
		    home_subdir(path, sizeof(path), "logs") < 0)
			abort();
		home_reset();
	}
	if (home_path(path, sizeof(path), "logs/security-2026-12-03.log") < 0)
		abort();
	fuzz_write(path, data, size);
	check_verify(path);
	read_lines(path);
	ingest(path);
	summarise(path);
	report();
	match_rules(data, size);
	return 0;
}
