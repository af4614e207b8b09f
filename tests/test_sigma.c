#include "helpers.h"

#include "detect/evlog.h"
#include "detect/sigma.h"
#include "lib/err.h"
#include "lib/home.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(sigma, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

#define HEAD                                                                   \
	"title: Test rule\n"                                                   \
	"id: 11111111-2222-4333-8444-555555555555\n"                           \
	"level: high\n"                                                        \
	"logsource: {product: secvf, service: security-events}\n"

/* The event most tests match against. */
static const char event[] =
	"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":\"CRITICAL\","
	"\"subsystem\":\"fsevents\",\"event\":\"file.unexpected\","
	"\"vm\":\"lab1\",\"host\":\"ws1\",\"seq\":3,\"data\":{"
	"\"path\":\"/Bundle/Dropper.SH\",\"size\":2048,\"ratio\":0.5,"
	"\"ip\":\"10.1.2.3\",\"ip6\":\"fd00::1\",\"tags\":[\"alpha\",\"beta\"],"
	"\"empty\":\"\",\"nothing\":null,\"star\":\"a*b\",\"qm\":\"a?b\","
	"\"axb\":\"axb\",\"win\":\"C:\\\\Windows\\\\x\",\"bs\":\"a\\\\zzz\","
	"\"count\":\"17\",\"flag\":true}}";

static struct sigma_rule *
rule(const char *detection)
{
	char text[8192];
	struct sigma_rule *r;

	snprintf(text, sizeof(text), HEAD "detection:\n%s", detection);
	cr_assert_eq(sigma_rule_parse(text, strlen(text), "t.yml", &r, NULL), 0,
		     "%s", err_msg());
	return r;
}

static int
match_json(struct sigma_rule *r, const char *json)
{
	struct sigma_event ev;
	int m;

	cr_assert_eq(sigma_event_parse(&ev, json, strlen(json)), 0, "%s",
		     err_msg());
	m = sigma_rule_match(r, &ev);
	sigma_event_release(&ev);
	return m;
}

/* Does a one-item selection "key: value" match the event? */
static int
sel(const char *item)
{
	char det[4096];
	struct sigma_rule *r;
	int m;

	snprintf(det, sizeof(det), "  sel:\n    %s\n  condition: sel\n", item);
	r = rule(det);
	m = match_json(r, event);
	sigma_rule_free(r);
	return m;
}

/* The detection is refused, with want in the message. */
static void
rejects(const char *detection, const char *want)
{
	char text[8192];
	struct sigma_rule *r = (struct sigma_rule *)1;

	snprintf(text, sizeof(text), HEAD "detection:\n%s", detection);
	cr_assert_eq(sigma_rule_parse(text, strlen(text), "t.yml", &r, NULL),
		     -1, "accepted: %s", detection);
	cr_assert_null(r);
	cr_assert(strstr(err_msg(), want), "'%s' lacks '%s'", err_msg(), want);
}

static void
rejects_sel(const char *item, const char *want)
{
	char det[4096];

	snprintf(det, sizeof(det), "  sel:\n    %s\n  condition: sel\n", item);
	rejects(det, want);
}

Test(sigma, plain_values_match_case_insensitively)
{
	cr_assert(sel("subsystem: FSEVENTS"));
	cr_assert(sel("data.path: /bundle/dropper.sh"));
	cr_assert_not(sel("subsystem: network"));
	cr_assert_not(sel("data.path: /bundle/dropper"));
}

Test(sigma, cased_matches_case)
{
	cr_assert_not(sel("subsystem|cased: FSEVENTS"));
	cr_assert(sel("subsystem|cased: fsevents"));
	cr_assert(sel("data.path|cased|contains: Dropper"));
	cr_assert_not(sel("data.path|contains|cased: dropper"));
}

Test(sigma, contains_startswith_endswith)
{
	cr_assert(sel("data.path|contains: dropper"));
	cr_assert_not(sel("data.path|contains: nope"));
	cr_assert(sel("data.path|startswith: /bundle/"));
	cr_assert_not(sel("data.path|startswith: dropper"));
	cr_assert(sel("data.path|endswith: .sh"));
	cr_assert_not(sel("data.path|endswith: /bundle"));
	cr_assert(sel("data.path|contains: ''"));
}

Test(sigma, lists_or_and_all)
{
	cr_assert(sel("event: [nope, file.unexpected]"));
	cr_assert_not(sel("event: [nope, other]"));
	cr_assert(sel("data.path|contains|all: [bundle, dropper]"));
	cr_assert_not(sel("data.path|contains|all: [bundle, nope]"));
	/* A list in the event matches when one element does. */
	cr_assert(sel("data.tags: beta"));
	cr_assert_not(sel("data.tags: gamma"));
}

Test(sigma, wildcards)
{
	cr_assert(sel("data.path: '/bundle/*.sh'"));
	cr_assert(sel("data.path: '/bundle/dropper.s?'"));
	cr_assert_not(sel("data.path: '/bundle/dropper.?'"));
	cr_assert(sel("data.path: '*drop*'"));
	cr_assert(sel("data.path: '*'"));
	cr_assert(sel("data.path: '/*/*p*r.*'"));
	cr_assert_not(sel("data.path: '/*/*q*r.*'"));
}

Test(sigma, backslash_escapes)
{
	/* \* and \? are literal, \\ is one backslash, \x stays \x. */
	cr_assert(sel("data.star: 'a\\*b'"));
	cr_assert_not(sel("data.axb: 'a\\*b'"));
	cr_assert(sel("data.axb: 'a*b'"));
	cr_assert(sel("data.qm: 'a\\?b'"));
	cr_assert_not(sel("data.axb: 'a\\?b'"));
	cr_assert(sel("data.win: 'C:\\Windows\\x'"));
	cr_assert(sel("data.win: 'C:\\\\Windows\\\\x'"));
	/* \\* is a backslash then a wildcard. */
	cr_assert(sel("data.bs: 'a\\\\*'"));
	cr_assert_not(sel("data.star: 'a\\\\*'"));
	/* \\\* is a backslash then a literal star. */
	cr_assert_not(sel("data.bs: 'a\\\\\\*'"));
}

Test(sigma, null_and_empty)
{
	struct sigma_rule *r = rule("  sel:\n    vm: null\n  condition: sel\n");

	cr_assert_not(match_json(r, event));
	cr_assert(match_json(r, "{\"vm\":null}"));
	cr_assert(match_json(r, "{\"other\":1}"));
	sigma_rule_free(r);
	cr_assert(sel("data.nothing: null"));
	cr_assert(sel("data.missing: null"));
	cr_assert(sel("data.empty: ''"));
	cr_assert_not(sel("data.path: ''"));
	cr_assert_not(sel("data.missing: ''"));
	cr_assert_not(sel("data.nothing: ''"));
}

Test(sigma, numbers_compare_numerically)
{
	cr_assert(sel("data.size: 2048"));
	cr_assert(sel("data.size: 2048.0"));
	cr_assert(sel("data.size: '2048'"));
	cr_assert(sel("seq: 3"));
	cr_assert_not(sel("data.size: 2049"));
	cr_assert(sel("data.ratio: 0.5"));
	/* A number against text compares the text. */
	cr_assert(sel("data.count: 17"));
	cr_assert(sel("data.flag: true"));
	cr_assert_not(sel("data.flag: false"));
}

Test(sigma, lt_lte_gt_gte)
{
	cr_assert(sel("data.size|gt: 1000"));
	cr_assert_not(sel("data.size|gt: 2048"));
	cr_assert(sel("data.size|gte: 2048"));
	cr_assert(sel("data.size|lt: 4096"));
	cr_assert_not(sel("data.size|lt: 2048"));
	cr_assert(sel("data.size|lte: 2048"));
	cr_assert_not(sel("data.size|lte: 2047"));
	cr_assert(sel("data.count|gt: 16"));
	cr_assert_not(sel("data.path|gt: 1"));
	cr_assert_not(sel("data.missing|lt: 1"));
	rejects_sel("data.size|gt: many", "a number");
}

Test(sigma, exists)
{
	cr_assert(sel("data.path|exists: true"));
	cr_assert_not(sel("data.missing|exists: true"));
	cr_assert(sel("data.missing|exists: false"));
	cr_assert(sel("data.nothing|exists: false"));
	rejects_sel("data.path|exists: yes please", "true or false");
	rejects_sel("data.path|exists|all: [true]", "all cannot");
}

Test(sigma, regular_expressions)
{
	cr_assert(sel("data.path|re: '^/Bundle/[A-Z][a-z]+\\.SH$'"));
	cr_assert_not(sel("data.path|re: 'dropper'"));
	cr_assert(sel("data.path|re|i: 'dropper'"));
	cr_assert(sel("data.path|re: '[[:upper:]]ropper'"));
	cr_assert(sel("data.path|re: 'x|Drop'"));
	cr_assert_not(sel("data.path|re: '^Drop'"));
}

Test(sigma, regexes_ere_cannot_express_are_refused)
{
	rejects_sel("data.path|re: '\\d+'", "'\\d' is not POSIX ERE");
	rejects_sel("data.path|re: '\\w'", "not POSIX ERE");
	rejects_sel("data.path|re: 'a(?=b)'", "'(?'");
	rejects_sel("data.path|re: 'a(?i)b'", "'(?'");
	rejects_sel("data.path|re: 'a.*?b'", "lazy or possessive");
	rejects_sel("data.path|re: 'a++'", "lazy or possessive");
	rejects_sel("data.path|re: '(a)\\1'", "'\\1'");
	rejects_sel("data.path|re: '[\\d]'", "inside [...]");
	rejects_sel("data.path|re: 'a('", "bad regular expression");
	rejects_sel("data.path|re|m|s: 'a'", "cannot be expressed");
	/* The message names the rule and the field. */
	rejects_sel("data.path|re: '\\d'", "rule 'Test rule': field "
					   "'data.path|re'");
}

Test(sigma, cidr_v4_and_v6)
{
	cr_assert(sel("data.ip|cidr: 10.0.0.0/8"));
	cr_assert(sel("data.ip|cidr: [192.168.0.0/16, 10.1.2.0/24]"));
	cr_assert_not(sel("data.ip|cidr: 192.168.0.0/16"));
	cr_assert(sel("data.ip|cidr: 10.1.2.3/32"));
	cr_assert_not(sel("data.ip|cidr: 10.1.2.4/31"));
	cr_assert(sel("data.ip6|cidr: 'fd00::/8'"));
	cr_assert_not(sel("data.ip6|cidr: 'fe80::/10'"));
	cr_assert_not(sel("data.path|cidr: 10.0.0.0/8"));
	rejects_sel("data.ip|cidr: 10.0.0.0/33", "prefix length");
	rejects_sel("data.ip|cidr: 10.0.0/8", "bad network");
}

Test(sigma, keywords_search_every_value)
{
	struct sigma_rule *r;

	r = rule("  keywords:\n    - dropper\n    - nope\n"
		 "  condition: keywords\n");
	cr_assert(match_json(r, event));
	cr_assert_not(match_json(r, "{\"a\":\"x\",\"b\":[\"y\"]}"));
	cr_assert(match_json(r, "{\"a\":{\"b\":[\"a Dropper here\"]}}"));
	sigma_rule_free(r);
}

Test(sigma, list_of_maps_is_ored)
{
	struct sigma_rule *r;

	r = rule("  sel:\n    - subsystem: network\n      event: switch.drop\n"
		 "    - subsystem: fsevents\n      vm: lab1\n"
		 "  condition: sel\n");
	cr_assert(match_json(r, event));
	cr_assert(match_json(r, "{\"subsystem\":\"network\","
				"\"event\":\"switch.drop\"}"));
	cr_assert_not(match_json(r, "{\"subsystem\":\"network\"}"));
	sigma_rule_free(r);
}

Test(sigma, unsupported_constructs_are_refused)
{
	rejects_sel("data.path|base64: x",
		    "modifier 'base64' is not supported");
	rejects_sel("data.path|windash: x", "'windash' is not supported");
	rejects_sel("data.path|fieldref: vm", "'fieldref' is not supported");
	rejects_sel("data.path|expand: '%x%'", "'expand' is not supported");
	rejects_sel("data.path|frobnicate: x", "unknown modifier 'frobnicate'");
	rejects_sel("data.path|contains|startswith: x", "only one of");
	rejects_sel("data.ip|cidr|contains: x", "plain values only");
	rejects_sel("data.path: {a: b}", "scalar");
	rejects("  sel: just a string\n  condition: sel\n",
		"unknown key 'sel' in detection");
	rejects("  sel:\n    a: 1\n  timeframe: 5m\n  condition: sel\n",
		"timeframe");
	rejects("  sel:\n    a: 1\n", "no condition");
	rejects("  sel:\n    a: 1\n  condition: sel | count() > 5\n",
		"not a search identifier");
	rejects("  sel:\n    a: 1\n  condition: other\n",
		"unknown search identifier 'other'");
}

static void
rejects_rule(const char *text, const char *want)
{
	struct sigma_rule *r;

	cr_assert_eq(sigma_rule_parse(text, strlen(text), "t.yml", &r, NULL),
		     -1, "accepted: %s", text);
	cr_assert(strstr(err_msg(), want), "'%s' lacks '%s'", err_msg(), want);
}

Test(sigma, rule_shape_is_checked)
{
	static const char det[] = "detection:\n  s:\n    a: 1\n"
				  "  condition: s\n";
	char text[2048];

	rejects_rule("title: x\ndetection:\n  s:\n    a: 1\n  condition: s\n",
		     "no id");
	snprintf(text, sizeof(text), HEAD "colour: blue\n%s", det);
	rejects_rule(text, "unknown key 'colour'");
	snprintf(text, sizeof(text), HEAD "action: global\n%s", det);
	rejects_rule(text, "action: global");
	snprintf(text, sizeof(text), HEAD "%s---\n" HEAD "%s", det, det);
	rejects_rule(text, "more than one YAML document");
	snprintf(text, sizeof(text), HEAD "status: wild\n%s", det);
	rejects_rule(text, "status must be");
	rejects_rule("title: x\nid: not-a-uuid\nlevel: low\n"
		     "detection:\n  s:\n    a: 1\n  condition: s\n",
		     "not a UUID");
	snprintf(text, sizeof(text), HEAD "level: severe\n%s", det);
	rejects_rule(text, "duplicate key 'level'");
	rejects_rule("title: [x\n", "bad YAML");
	rejects_rule("- a\n- b\n", "must be a YAML map");
}

Test(sigma, every_problem_is_listed_with_its_line)
{
	static const char text[] = HEAD "detection:\n"
					"  sel:\n"
					"    a|base64: x\n"
					"    b|re: '\\d'\n"
					"  condition: sel\n";
	struct sigma_problems p = {0};
	struct sigma_rule *r;

	cr_assert_eq(sigma_rule_parse(text, strlen(text), "t.yml", &r, &p), -1);
	cr_assert_eq(p.n, 2);
	cr_assert(!strncmp(p.msg[0], "t.yml:7: ", 9), "%s", p.msg[0]);
	cr_assert(!strncmp(p.msg[1], "t.yml:8: ", 9), "%s", p.msg[1]);
	sigma_problems_release(&p);
}

Test(sigma, metadata_is_read)
{
	struct sigma_rule *r = rule("  s:\n    a: 1\n  condition: s\n");

	cr_assert_str_eq(sigma_rule_title(r), "Test rule");
	cr_assert_str_eq(sigma_rule_id(r),
			 "11111111-2222-4333-8444-555555555555");
	cr_assert_eq(sigma_rule_level(r), SIGMA_HIGH);
	cr_assert_eq(sigma_level_severity(SIGMA_HIGH), EV_CRITICAL);
	cr_assert_eq(sigma_level_severity(SIGMA_CRITICAL), EV_EMERGENCY);
	cr_assert_eq(sigma_level_severity(SIGMA_MEDIUM), EV_WARNING);
	cr_assert_eq(sigma_level_severity(SIGMA_LOW), EV_INFO);
	cr_assert_eq(sigma_level_severity(SIGMA_INFORMATIONAL), EV_INFO);
	sigma_rule_free(r);
}

/* ---- the shipped rules and their fixtures ---- */

struct counter {
	const char *id;
	int n;
};

static void
count_match(const struct sigma_match *m, void *arg)
{
	struct counter *c = arg;

	if (!strcmp(sigma_rule_id(m->rule), c->id))
		c->n++;
}

static const char *
rule_id_of(const char *path)
{
	static char id[64];
	struct sigma_rule *r;

	cr_assert_eq(sigma_rule_load(path, &r, NULL), 0, "%s", err_msg());
	snprintf(id, sizeof(id), "%s", sigma_rule_id(r));
	sigma_rule_free(r);
	return id;
}

static int
run_fixture(const char *rule_path, const char *log)
{
	struct sigma_engine *e = sigma_engine_new(0);
	struct counter c = {rule_id_of(rule_path), 0};
	char dir[4096], *text, *line, *save = NULL;

	snprintf(dir, sizeof(dir), "%s/detect/rules", SECVF_SRCDIR);
	cr_assert_eq(sigma_engine_add_dir(e, dir, 0, NULL), 0, "%s", err_msg());
	cr_assert_eq(sigma_engine_finish(e, NULL), 0, "%s", err_msg());
	text = th_read(th_fixture(log));
	cr_assert_not_null(text, "%s", log);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		cr_assert_geq(sigma_engine_feed(e, line, strlen(line),
						count_match, &c),
			      0, "%s", err_msg());
	cr_assert_geq(sigma_engine_flush(e, count_match, &c), 0);
	free(text);
	sigma_engine_free(e);
	return c.n;
}

Test(sigma, shipped_rules_match_their_fixtures_exactly)
{
	char *index = th_read(th_fixture("sigma/index"));
	char *line, *save = NULL, name[128], path[4096], log[256];
	int pos, neg, rules = 0;

	cr_assert_not_null(index);
	for (line = strtok_r(index, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		cr_assert_eq(sscanf(line, "%127s %d %d", name, &pos, &neg), 3);
		snprintf(path, sizeof(path), "%s/detect/rules/%s.yml",
			 SECVF_SRCDIR, name);
		snprintf(log, sizeof(log), "sigma/%s.pos.jsonl", name);
		cr_expect_eq(run_fixture(path, log), pos, "%s positive", name);
		snprintf(log, sizeof(log), "sigma/%s.neg.jsonl", name);
		cr_expect_eq(run_fixture(path, log), neg, "%s negative", name);
		rules++;
	}
	cr_assert_eq(rules, 5);
	free(index);
}

/* ---- the engine in live use ---- */

Test(sigma, engine_records_matches_and_never_rematches_them)
{
	static const char line[] =
		"{\"ts\":\"2026-12-03T19:00:00Z\",\"severity\":\"EMERGENCY\","
		"\"subsystem\":\"containment\",\"event\":\"breach-suspected\","
		"\"vm\":\"lab1\",\"seq\":41,\"data\":{}}";
	struct sigma_engine *e = sigma_engine_new(SIGMA_WRITE_EVENTS);
	struct evlog_reader r;
	char dir[4096], log[4096];
	struct evlog_event ev;
	char **paths;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/detect/rules", SECVF_SRCDIR);
	cr_assert_eq(sigma_engine_add_dir(e, dir, 0, NULL), 0);
	cr_assert_eq(sigma_engine_feed(e, line, strlen(line), NULL, NULL), 1,
		     "%s", err_msg());
	cr_assert_eq(evlog_files(&paths, &n), 0);
	cr_assert_eq(n, 1);
	snprintf(log, sizeof(log), "%s", paths[0]);
	evlog_files_free(paths, n);

	cr_assert_eq(evlog_reader_open(&r, log, -1), 0);
	cr_assert_eq(evlog_reader_next(&r), 1);
	cr_assert_eq(evlog_decode(r.line, r.len, &ev), 0);
	cr_assert_str_eq(ev.subsystem, "sigma");
	cr_assert_str_eq(ev.event, "rule.match");
	cr_assert_eq(ev.severity, EV_EMERGENCY);
	cr_assert_str_eq(ev.vm, "lab1");
	cr_assert_str_eq(json_string_value(json_object_get(ev.data, "rule_id")),
			 "d7910056-1bf5-436a-bedb-eea9e28f048f");
	cr_assert_eq(json_integer_value(json_array_get(
			     json_object_get(ev.data, "seqs"), 0)),
		     41);
	/* The match is EMERGENCY itself: fed back, it must not match. */
	cr_assert_eq(sigma_engine_feed(e, r.line, r.len, NULL, NULL), 0);
	evlog_event_release(&ev);
	evlog_reader_close(&r);
	sigma_engine_free(e);
}

Test(sigma, engine_refuses_a_duplicate_id_unless_told)
{
	struct sigma_engine *e = sigma_engine_new(0);
	char path[4096];

	snprintf(path, sizeof(path),
		 "%s/detect/rules/secvf-emergency-event.yml", SECVF_SRCDIR);
	cr_assert_eq(sigma_engine_add_file(e, path, 0, NULL), 0);
	cr_assert_eq(sigma_engine_add_file(e, path, 0, NULL), -1);
	cr_assert(strstr(err_msg(), "already loaded"), "%s", err_msg());
	cr_assert_eq(
		sigma_engine_add_file(e, path, SIGMA_SKIP_DUPLICATES, NULL), 0);
	cr_assert_eq(sigma_engine_count(e), 1);
	sigma_engine_free(e);
}

Test(sigma, engine_rejects_lines_that_are_not_objects)
{
	struct sigma_engine *e = sigma_engine_new(0);

	cr_assert_eq(sigma_engine_feed(e, "[1]", 3, NULL, NULL), -1);
	cr_assert_eq(sigma_engine_feed(e, "{\"a\":", 5, NULL, NULL), -1);
	sigma_engine_free(e);
}

Test(sigma, logql_of_simple_rules)
{
	struct sigma_rule *r;
	char q[1024];

	r = rule("  sel:\n    subsystem: fsevents\n    event: file.unexpected\n"
		 "  filter:\n    data.path|endswith: .tmp\n"
		 "  condition: sel and not filter\n");
	cr_assert_eq(sigma_rule_logql(NULL, r, 600, q, sizeof(q)), 0, "%s",
		     err_msg());
	cr_assert_str_eq(q, "count_over_time({job=\"secvf_security\"} | json | "
			    "((subsystem=\"fsevents\" and "
			    "event=\"file.unexpected\") and "
			    "data_path!~`(?i).*\\.tmp`) [10m]) > 0");
	sigma_rule_free(r);
	r = rule("  k:\n    - word\n  condition: k\n");
	cr_assert_eq(sigma_rule_logql(NULL, r, 600, q, sizeof(q)), -1);
	cr_assert(strstr(err_msg(), "keyword"), "%s", err_msg());
	sigma_rule_free(r);
}

/* ---- the command ---- */

static const char *
shipped(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/detect/rules/%s", SECVF_SRCDIR, name);
	return path;
}

Test(sigma, check_accepts_the_shipped_rules)
{
	char *out, *err, one[4096];

	snprintf(one, sizeof(one), "%s", shipped("secvf-emergency-event.yml"));
	cr_assert_eq(th_secvf(&out, &err, "sigma", "check", one,
			      shipped("secvf-switch-drop-sustained.yml"), NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "2 rule files ok"), "%s", out);
	free(out);
	free(err);
}

Test(sigma, check_lists_problems_and_exits_2)
{
	char path[4096], *out, *err;

	cr_assert_eq(th_write("bad.yml", HEAD "detection:\n  sel:\n"
					      "    a|windash: x\n"
					      "    b|re: 'a*?'\n"
					      "  condition: sel\n"),
		     0);
	snprintf(path, sizeof(path), "%s/bad.yml", getenv("SECVF_HOME"));
	cr_assert_eq(th_secvf(&out, &err, "sigma", "check", path, NULL), 2);
	cr_assert(strstr(err, "bad.yml:7: "), "%s", err);
	cr_assert(strstr(err, "bad.yml:8: "), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(&out, &err, "sigma", "check", NULL), 2);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(&out, &err, "sigma", "check", "/nonexistent.yml",
			      NULL),
		     2);
	free(out);
	free(err);
}

Test(sigma, test_prints_matches_with_lines)
{
	char *out, *err;

	cr_assert_eq(th_secvf(&out, &err, "sigma", "test",
			      shipped("secvf-iso-checksum-mismatch.yml"),
			      th_fixture("sigma/secvf-iso-checksum-mismatch."
					 "pos.jsonl"),
			      NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "53060332-efe9-4864-b861-cfc5ecc487d2 ISO "
			      "checksum mismatch (critical): "),
		  "%s", out);
	cr_assert(strstr(out, "pos.jsonl:2\n"), "%s", out);
	cr_assert(strstr(out, "pos.jsonl:4\n"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(&out, &err, "sigma", "test", "--json",
			      shipped("secvf-iso-checksum-mismatch.yml"),
			      th_fixture("sigma/secvf-iso-checksum-mismatch."
					 "pos.jsonl"),
			      NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "\"line\":4"), "%s", out);
	free(out);
	free(err);
}

Test(sigma, export_writes_loki_alert_rules)
{
	char *out, *err;

	cr_assert_eq(th_secvf(&out, &err, "sigma", "export", "--target", "loki",
			      NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "apiVersion: 1\n"), "%s", out);
	cr_assert(strstr(out, "count_over_time({job=\\\"secvf_security\\\"} | "
			      "json | (subsystem=\\\"fsevents\\\" and "
			      "event=\\\"file.unexpected\\\") [10m]) > 0"),
		  "%s", out);
	cr_assert(strstr(out, "sum by (vm) (count_over_time("), "%s", out);
	cr_assert(strstr(out, "[10m])) >= 10"), "%s", out);
	/* The counted rule alone is not an alert. */
	cr_assert_null(strstr(out, "Frame dropped"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "sigma", "export", "--target",
			      "splunk", NULL),
		     2);
}

Test(sigma, watch_records_matches_live)
{
	const char *home = getenv("SECVF_HOME");
	char *out;
	int rc;

	rc = th_sh("'%s' -v sigma watch >'%s/w.out' 2>'%s/w.err' & pid=$!; "
		   "i=0; until grep -qs watching '%s/w.err'; do "
		   "i=$((i+1)); [ $i -lt 100 ] || exit 9; sleep 0.05; done; "
		   "'%s' log write --severity CRITICAL --subsystem virtiofs "
		   "--event symlink.escape-attempt --vm lab1 || exit 8; "
		   "i=0; until grep -qs escape '%s/w.out'; do "
		   "i=$((i+1)); [ $i -lt 100 ] || exit 7; sleep 0.05; done; "
		   "kill $pid; wait $pid",
		   SECVF_BIN, home, home, home, SECVF_BIN, home);
	cr_assert_eq(rc, 0, "watch test script failed with %d", rc);
	cr_assert_eq(
		th_secvf(&out, NULL, "events", "--subsystem", "sigma", NULL),
		0);
	cr_assert(strstr(out, "rule.match vm=lab1"), "%s", out);
	cr_assert(strstr(out, "d4e33f22-123d-4f04-bb7d-367e486b6838"), "%s",
		  out);
	free(out);
}
