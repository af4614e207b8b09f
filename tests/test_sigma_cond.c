#include "helpers.h"

#include "detect/sigma.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(sigma_cond, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

/* Searches a, b, c, sel1, sel2 and _f, each true when its key is 1. */
static const char searches[] = "title: Condition test\n"
			       "id: 21111111-2222-4333-8444-555555555555\n"
			       "level: low\n"
			       "detection:\n"
			       "  a: {a: 1}\n"
			       "  b: {b: 1}\n"
			       "  c: {c: 1}\n"
			       "  sel1: {s1: 1}\n"
			       "  sel2: {s2: 1}\n"
			       "  _f: {f: 1}\n";

static struct sigma_rule *
with_condition(const char *cond)
{
	char text[4096];
	struct sigma_rule *r;

	snprintf(text, sizeof(text), "%s  condition: %s\n", searches, cond);
	cr_assert_eq(sigma_rule_parse(text, strlen(text), "c.yml", &r, NULL), 0,
		     "%s: %s", cond, err_msg());
	return r;
}

/* Evaluate cond with the searches set from the letters in truth. */
static int
eval(const char *cond, const char *truth)
{
	char json[256];
	struct sigma_rule *r = with_condition(cond);
	struct sigma_event ev;
	int m;

	snprintf(json, sizeof(json),
		 "{\"a\":%d,\"b\":%d,\"c\":%d,\"s1\":%d,\"s2\":%d,\"f\":%d}",
		 !!strchr(truth, 'a'), !!strchr(truth, 'b'),
		 !!strchr(truth, 'c'), !!strchr(truth, '1'),
		 !!strchr(truth, '2'), !!strchr(truth, 'f'));
	cr_assert_eq(sigma_event_parse(&ev, json, strlen(json)), 0);
	m = sigma_rule_match(r, &ev);
	sigma_event_release(&ev);
	sigma_rule_free(r);
	return m;
}

static void
refused(const char *cond, const char *want)
{
	char text[8192];
	struct sigma_rule *r;

	snprintf(text, sizeof(text), "%s  condition: %s\n", searches, cond);
	cr_assert_eq(sigma_rule_parse(text, strlen(text), "c.yml", &r, NULL),
		     -1, "accepted '%s'", cond);
	cr_assert(strstr(err_msg(), want), "'%s' lacks '%s'", err_msg(), want);
}

Test(sigma_cond, and_binds_tighter_than_or)
{
	/* a or (b and c), not (a or b) and c */
	cr_assert(eval("a or b and c", "ab"));
	cr_assert_not(eval("(a or b) and c", "ab"));
	cr_assert(eval("b and c or a", "a"));
	cr_assert_not(eval("b and (c or a)", "a"));
}

Test(sigma_cond, not_binds_tighter_than_and)
{
	/* (not a) and b, not not (a and b) */
	cr_assert_not(eval("not a and b", ""));
	cr_assert(eval("not (a and b)", ""));
	cr_assert(eval("not a or b", ""));
	cr_assert(eval("not not a", "a"));
	cr_assert_not(eval("not a and not b", "b"));
}

Test(sigma_cond, parentheses_nest)
{
	cr_assert(eval("((a))", "a"));
	cr_assert(eval("(a or (b and (c or sel1)))", "b1"));
	cr_assert_not(eval("(a or (b and (c or sel1)))", "b"));
}

Test(sigma_cond, one_of_and_all_of_patterns)
{
	cr_assert(eval("1 of sel*", "2"));
	cr_assert_not(eval("1 of sel*", "abc"));
	cr_assert(eval("all of sel*", "12"));
	cr_assert_not(eval("all of sel*", "1"));
	cr_assert(eval("1 of sel? and a", "2a"));
	cr_assert_not(eval("1 of sel? and a", "2"));
	cr_assert(eval("not 1 of sel*", "a"));
	cr_assert(eval("all of s*", "12"));
}

Test(sigma_cond, them_skips_underscore_names)
{
	cr_assert(eval("all of them", "abc12"));
	cr_assert_not(eval("all of them", "abc1f"));
	cr_assert_not(eval("1 of them", "f"));
	cr_assert(eval("1 of them", "c"));
	/* An explicit pattern does take them. */
	cr_assert(eval("1 of _*", "f"));
}

Test(sigma_cond, list_of_conditions_is_ored)
{
	char text[4096];
	struct sigma_rule *r;
	struct sigma_event ev;

	snprintf(text, sizeof(text),
		 "%s  condition:\n    - a and b\n"
		 "    - c\n",
		 searches);
	cr_assert_eq(sigma_rule_parse(text, strlen(text), "c.yml", &r, NULL), 0,
		     "%s", err_msg());
	cr_assert_eq(sigma_event_parse(&ev, "{\"c\":1}", 7), 0);
	cr_assert(sigma_rule_match(r, &ev));
	sigma_event_release(&ev);
	cr_assert_eq(sigma_event_parse(&ev, "{\"a\":1}", 7), 0);
	cr_assert_not(sigma_rule_match(r, &ev));
	sigma_event_release(&ev);
	sigma_rule_free(r);
}

Test(sigma_cond, bad_conditions_are_refused)
{
	char deep[512];
	size_t i;

	refused("a and", "ends too early");
	refused("(a or b", "missing ')'");
	refused("a b", "unexpected 'b'");
	refused("a or or b", "unexpected 'or'");
	refused("1 of nomatch*", "matches no search identifier");
	refused("2 of sel*", "unknown search identifier '2'");
	refused("1 sel*", "want 'of'");
	refused("all of", "want a pattern");
	refused("missing", "unknown search identifier 'missing'");
	refused("a | count() by vm > 5", "not a search identifier");
	refused("sel*", "not a search identifier");
	refused("a)", "unexpected ')'");
	for (i = 0; i < 100; i++)
		deep[i] = '(';
	deep[i] = 'a';
	for (i = 101; i < 201; i++)
		deep[i] = ')';
	deep[i] = '\0';
	refused(deep, "nested too deeply");
}
