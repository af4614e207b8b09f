#include "helpers.h"

#include "detect/sigma.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(sigma_corr, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static const char base_drop[] = "title: Drop\n"
				"id: 31111111-2222-4333-8444-555555555555\n"
				"name: drop\n"
				"level: low\n"
				"detection:\n"
				"  sel: {event: switch.drop}\n"
				"  condition: sel\n";

static const char base_flap[] = "title: Flap\n"
				"id: 32111111-2222-4333-8444-555555555555\n"
				"name: flap\n"
				"level: low\n"
				"detection:\n"
				"  sel: {event: mac-table.flap}\n"
				"  condition: sel\n";

struct tally {
	int n;
	int64_t seqs[SIGMA_SEQS_MAX];
	size_t nseqs;
	char vm[64];
};

static void
on_match(const struct sigma_match *m, void *arg)
{
	struct tally *t = arg;

	if (!sigma_rule_is_correlation(m->rule))
		return;
	t->n++;
	memcpy(t->seqs, m->seqs, m->nseqs * sizeof(int64_t));
	t->nseqs = m->nseqs;
	snprintf(t->vm, sizeof(t->vm), "%s", m->vm ? m->vm : "");
}

/* An engine with the base rules and the correlation body given. */
static struct sigma_engine *
engine(const char *correlation)
{
	struct sigma_engine *e = sigma_engine_new(0);
	char text[4096], path[4096];

	snprintf(text, sizeof(text),
		 "title: Correlation\n"
		 "id: 33111111-2222-4333-8444-555555555555\n"
		 "level: high\n"
		 "correlation:\n%s",
		 correlation);
	cr_assert_eq(th_write("drop.yml", base_drop), 0);
	cr_assert_eq(th_write("flap.yml", base_flap), 0);
	cr_assert_eq(th_write("corr.yml", text), 0);
	snprintf(path, sizeof(path), "%s", getenv("SECVF_HOME"));
	cr_assert_eq(sigma_engine_add_dir(e, path, 0, NULL), 0, "%s",
		     err_msg());
	cr_assert_eq(sigma_engine_finish(e, NULL), 0, "%s", err_msg());
	return e;
}

/* Feed an event at 19:MM:SS on 2026-12-03. */
static void
feed(struct sigma_engine *e, struct tally *t, const char *hms,
     const char *event, const char *vm, const char *dst, int seq)
{
	char line[512];

	snprintf(line, sizeof(line),
		 "{\"ts\":\"2026-12-03T%sZ\",\"severity\":\"WARNING\","
		 "\"subsystem\":\"network\",\"event\":\"%s\",\"vm\":\"%s\","
		 "\"seq\":%d,\"data\":{\"dst\":\"%s\"}}",
		 hms, event, vm, seq, dst);
	cr_assert_geq(sigma_engine_feed(e, line, strlen(line), on_match, t), 0,
		      "%s", err_msg());
}

static const char count3[] = "  type: event_count\n"
			     "  rules: [drop]\n"
			     "  group-by: [vm]\n"
			     "  timespan: 10m\n"
			     "  condition: {gte: 3}\n";

Test(sigma_corr, window_slides_across_clock_buckets)
{
	struct sigma_engine *e = engine(count3);
	struct tally t = {0};

	/*
	 * 19:08, 19:09, 19:11: ten-minute buckets from the hour hold 2
	 * and 1; the sliding window holds all three.
	 */
	feed(e, &t, "19:08:00", "switch.drop", "lab1", "", 1);
	feed(e, &t, "19:09:00", "switch.drop", "lab1", "", 2);
	cr_assert_eq(t.n, 0);
	feed(e, &t, "19:11:00", "switch.drop", "lab1", "", 3);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(t.nseqs, 3);
	cr_assert_eq(t.seqs[0], 1);
	cr_assert_eq(t.seqs[2], 3);
	cr_assert_str_eq(t.vm, "lab1");
	sigma_engine_free(e);
}

Test(sigma_corr, old_events_expire)
{
	struct sigma_engine *e = engine(count3);
	struct tally t = {0};

	/*
	 * 19:00, 19:05, 19:10:01, 19:14: all in one hour bucket, but no
	 * ten minutes hold three of them.
	 */
	feed(e, &t, "19:00:00", "switch.drop", "lab1", "", 1);
	feed(e, &t, "19:05:00", "switch.drop", "lab1", "", 2);
	feed(e, &t, "19:15:01", "switch.drop", "lab1", "", 3);
	feed(e, &t, "19:25:30", "switch.drop", "lab1", "", 4);
	cr_assert_eq(t.n, 0);
	feed(e, &t, "19:26:00", "switch.drop", "lab1", "", 5);
	cr_assert_eq(t.n, 0);
	feed(e, &t, "19:27:00", "switch.drop", "lab1", "", 6);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(t.seqs[0], 4);
	sigma_engine_free(e);
}

Test(sigma_corr, groups_count_apart_and_fired_windows_restart)
{
	struct sigma_engine *e = engine(count3);
	struct tally t = {0};
	int i;

	feed(e, &t, "19:00:00", "switch.drop", "lab1", "", 1);
	feed(e, &t, "19:00:01", "switch.drop", "lab2", "", 2);
	feed(e, &t, "19:00:02", "switch.drop", "lab1", "", 3);
	feed(e, &t, "19:00:03", "switch.drop", "lab2", "", 4);
	feed(e, &t, "19:00:04", "mac-table.flap", "lab1", "", 5);
	cr_assert_eq(t.n, 0);
	for (i = 0; i < 7; i++)
		feed(e, &t, "19:01:00", "switch.drop", "lab1", "", 10 + i);
	/* 2 + 7 = 9 events of lab1: three windows of three. */
	cr_assert_eq(t.n, 3);
	sigma_engine_free(e);
}

Test(sigma_corr, value_count_counts_distinct_values)
{
	struct sigma_engine *e =
		engine("  type: value_count\n"
		       "  rules: drop\n"
		       "  group-by: vm\n"
		       "  timespan: 5m\n"
		       "  condition: {gte: 3, field: data.dst}\n");
	struct tally t = {0};

	feed(e, &t, "19:00:00", "switch.drop", "lab1", "10.0.0.1", 1);
	feed(e, &t, "19:00:01", "switch.drop", "lab1", "10.0.0.1", 2);
	feed(e, &t, "19:00:02", "switch.drop", "lab1", "10.0.0.2", 3);
	feed(e, &t, "19:00:03", "switch.drop", "lab1", "10.0.0.2", 4);
	cr_assert_eq(t.n, 0);
	feed(e, &t, "19:06:00", "switch.drop", "lab1", "10.0.0.3", 5);
	cr_assert_eq(t.n, 0, "10.0.0.1 and .2 expired");
	feed(e, &t, "19:06:10", "switch.drop", "lab1", "10.0.0.4", 6);
	feed(e, &t, "19:06:20", "switch.drop", "lab1", "10.0.0.5", 7);
	cr_assert_eq(t.n, 1);
	sigma_engine_free(e);
}

Test(sigma_corr, temporal_needs_every_rule_within_the_span)
{
	struct sigma_engine *e = engine("  type: temporal\n"
					"  rules: [drop, flap]\n"
					"  group-by: [vm]\n"
					"  timespan: 1m\n");
	struct tally t = {0};

	feed(e, &t, "19:00:00", "switch.drop", "lab1", "", 1);
	feed(e, &t, "19:02:00", "mac-table.flap", "lab1", "", 2);
	cr_assert_eq(t.n, 0);
	feed(e, &t, "19:02:30", "mac-table.flap", "lab2", "", 3);
	cr_assert_eq(t.n, 0);
	feed(e, &t, "19:02:40", "switch.drop", "lab1", "", 4);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(t.nseqs, 2);
	sigma_engine_free(e);
}

Test(sigma_corr, upper_bounds_are_judged_when_the_window_closes)
{
	struct sigma_engine *e = engine("  type: event_count\n"
					"  rules: [drop]\n"
					"  group-by: [vm]\n"
					"  timespan: 5m\n"
					"  condition: {gte: 2, lt: 4}\n");
	struct tally t = {0};

	feed(e, &t, "19:00:00", "switch.drop", "lab1", "", 1);
	feed(e, &t, "19:01:00", "switch.drop", "lab1", "", 2);
	cr_assert_eq(t.n, 0, "the window is still open");
	feed(e, &t, "19:07:00", "switch.drop", "lab1", "", 3);
	cr_assert_eq(t.n, 1);
	feed(e, &t, "19:08:00", "switch.drop", "lab1", "", 4);
	feed(e, &t, "19:08:30", "switch.drop", "lab1", "", 5);
	feed(e, &t, "19:09:00", "switch.drop", "lab1", "", 6);
	cr_assert_eq(t.n, 1);
	/* 3..6 are four in five minutes; 4..6 three: judged at the end. */
	cr_assert_eq(sigma_engine_flush(e, on_match, &t), 1);
	cr_assert_eq(t.n, 2);
	sigma_engine_free(e);
}

Test(sigma_corr, generate_controls_the_base_rule_matches)
{
	struct sigma_engine *e = engine(count3);
	struct tally t = {0};
	const char *line = "{\"event\":\"switch.drop\",\"vm\":\"lab1\"}";

	/* Referenced without generate: only the correlation sees it. */
	cr_assert_eq(sigma_engine_feed(e, line, strlen(line), on_match, &t), 0);
	sigma_engine_free(e);
	e = engine("  type: event_count\n  rules: [drop]\n  timespan: 1h\n"
		   "  condition: {gte: 5}\n  generate: true\n");
	cr_assert_eq(sigma_engine_feed(e, line, strlen(line), on_match, &t), 1);
	sigma_engine_free(e);
}

static void
corr_refused(const char *correlation, const char *want)
{
	char text[4096];
	struct sigma_rule *r;

	snprintf(text, sizeof(text),
		 "title: C\nid: 34111111-2222-4333-8444-555555555555\n"
		 "level: high\ncorrelation:\n%s",
		 correlation);
	cr_assert_eq(sigma_rule_parse(text, strlen(text), "c.yml", &r, NULL),
		     -1, "accepted: %s", correlation);
	cr_assert(strstr(err_msg(), want), "'%s' lacks '%s'", err_msg(), want);
}

Test(sigma_corr, bad_correlations_are_refused)
{
	corr_refused("  type: temporal_ordered\n  rules: [a, b]\n"
		     "  timespan: 1m\n",
		     "not supported");
	corr_refused("  type: event_count\n  rules: [a]\n  timespan: 5 min\n"
		     "  condition: {gte: 2}\n",
		     "bad timespan");
	corr_refused("  type: event_count\n  rules: [a]\n  timespan: 5m\n"
		     "  condition: {lt: 9}\n",
		     "lower bound");
	corr_refused("  type: event_count\n  rules: [a]\n  timespan: 5m\n"
		     "  condition: {gte: 5, lte: 4}\n",
		     "no count");
	corr_refused("  type: value_count\n  rules: [a]\n  timespan: 5m\n"
		     "  condition: {gte: 5}\n",
		     "condition.field");
	corr_refused("  type: event_count\n  rules: [a]\n  timespan: 5m\n"
		     "  condition: {gte: 5}\n  aliases: {}\n",
		     "unknown key 'aliases'");
	corr_refused("  type: event_count\n  rules: [a]\n  timespan: 5m\n",
		     "needs a condition");
	/* Found by fuzzing: a repeated key once overran the rules list. */
	corr_refused("  type: event_count\n  rules:\n  type: event_count\n"
		     "  rules: [a]\n  timespan: 5m\n  condition: {gte: 2}\n",
		     "duplicate key 'type'");
	corr_refused("  type: event_count\n  rules: ''\n  timespan: 5m\n"
		     "  condition: {gte: 2}\n",
		     "bad rules list");
}

Test(sigma_corr, unknown_rule_references_fail_at_finish)
{
	struct sigma_engine *e = sigma_engine_new(0);
	struct sigma_problems p = {0};
	char path[4096];

	cr_assert_eq(th_write("corr.yml",
			      "title: C\nid: 35111111-2222-4333-8444-"
			      "555555555555\nlevel: high\ncorrelation:\n"
			      "  type: event_count\n  rules: [ghost]\n"
			      "  timespan: 5m\n  condition: {gte: 2}\n"),
		     0);
	snprintf(path, sizeof(path), "%s/corr.yml", getenv("SECVF_HOME"));
	cr_assert_eq(sigma_engine_add_file(e, path, 0, NULL), 0);
	cr_assert_eq(sigma_engine_finish(e, &p), -1);
	cr_assert(strstr(p.msg[0], "'ghost', which is not loaded"), "%s",
		  p.msg[0]);
	sigma_problems_release(&p);
	sigma_engine_free(e);
}
