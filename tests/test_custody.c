#include "helpers.h"

#include "forensics/custody.h"
#include "lib/err.h"
#include "lib/sha256.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(custody, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static const char sha_a[] =
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/* A chain of n entries of case 7 as JSON lines, "\n" after each. */
static char *
make_chain(int n, char head[65])
{
	static const char *const actions[] = {"paused", "snapshot", "sealed",
					      "transferred", "verified"};
	struct custody_entry e = {0};
	char prev[65], *line, *text = calloc(1, 1);
	size_t len = 0;
	int i;

	memcpy(prev, custody_zero_hash, 65);
	for (i = 0; i < n; i++) {
		e.seq = i + 1;
		e.ts_us = 1796324400000000LL + i * 1000000LL;
		e.action = actions[i % 5];
		e.actor = "root@ws1";
		e.evidence_id = i % 2 ? i : 0;
		e.sha256 = i % 2 ? sha_a : NULL;
		e.note = i == 1 ? "memory \"dump\" taken" : NULL;
		line = custody_line(7, &e, prev);
		cr_assert(line, "%s", err_msg());
		text = realloc(text, len + strlen(line) + 2);
		memcpy(text + len, line, strlen(line));
		len += strlen(line);
		text[len++] = '\n';
		text[len] = '\0';
		cr_assert_eq(sha256_hex_buf(line, strlen(line), prev), 0);
		free(line);
	}
	memcpy(head, prev, 65);
	return text;
}

Test(custody, line_is_canonical)
{
	struct custody_entry e = {3, 1796324400123456LL, "sealed", "root@ws1",
				  0, NULL, NULL};
	char *line = custody_line(1, &e, custody_zero_hash);

	cr_assert_str_eq(
		line,
		"{\"case\":1,\"seq\":3,\"ts\":\"2026-12-03T19:00:00.123456Z\","
		"\"action\":\"sealed\",\"actor\":\"root@ws1\","
		"\"evidence\":null,\"sha256\":null,\"note\":null,"
		"\"prev\":\"0000000000000000000000000000000000000000000000000"
		"000000000000000\"}");
	free(line);
}

Test(custody, line_escapes_to_ascii_and_names_evidence)
{
	struct custody_entry e = {1, 0, "snapshot", "root@ws1", 4, sha_a,
				  "caf\xc3\xa9\n"};
	char *line = custody_line(2, &e, custody_zero_hash);

	cr_assert(strstr(line, "\"evidence\":4,\"sha256\":\"9f86"), "%s", line);
	cr_assert(strstr(line, "\"note\":\"caf\\u00E9\\n\""), "%s", line);
	free(line);
}

Test(custody, line_refuses_bad_entries)
{
	struct custody_entry e = {1, 0, "paused", NULL, 0, NULL, NULL};

	cr_assert_null(custody_line(1, &e, custody_zero_hash));
	cr_assert(strstr(err_msg(), "actor"), "%s", err_msg());
	e.actor = "root@ws1";
	e.sha256 = "not-a-hash";
	cr_assert_null(custody_line(1, &e, custody_zero_hash));
	cr_assert(strstr(err_msg(), "sha256"), "%s", err_msg());
	e.sha256 = NULL;
	cr_assert_null(custody_line(1, &e, "short"));
	e.note = "\xff\xfe";
	cr_assert_null(custody_line(1, &e, custody_zero_hash));
	cr_assert(strstr(err_msg(), "UTF-8"), "%s", err_msg());
}

Test(custody, verify_lines_accepts_chain_and_gives_head)
{
	char head[65], got[65];
	char *text = make_chain(5, head);
	int64_t bad = -1;

	cr_assert_eq(custody_verify_lines(text, strlen(text), &bad, got), 0);
	cr_assert_eq(bad, 0);
	cr_assert_str_eq(got, head);
	/* Without the final newline too. */
	cr_assert_eq(custody_verify_lines(text, strlen(text) - 1, &bad, got),
		     0);
	free(text);
}

Test(custody, verify_lines_empty_is_intact)
{
	char head[65];
	int64_t bad = -1;

	cr_assert_eq(custody_verify_lines("", 0, &bad, head), 0);
	cr_assert_eq(bad, 0);
	cr_assert_str_eq(head, custody_zero_hash);
}

/* Line n (1-based) of text, its bytes without "\n". */
static char *
nth_line(char *text, int n)
{
	char *p = text;

	while (--n > 0)
		p = strchr(p, '\n') + 1;
	return p;
}

/*
 * An edited line is still a well-formed line: the chain breaks at the
 * next one, whose prev no longer matches.  (The database keeps each
 * row's hash beside it, and finds the edited row itself.)
 */
Test(custody, verify_lines_finds_edited_note)
{
	char head[65], got[65], second[65];
	char *text = make_chain(4, head), *p, *l2, *l3;
	int64_t bad;

	p = strstr(text, "memory \\\"dump\\\"");
	cr_assert(p);
	p[0] = 'M';
	cr_assert_eq(custody_verify_lines(text, strlen(text), &bad, got), 1);
	cr_assert_eq(bad, 3);
	l2 = nth_line(text, 2);
	l3 = nth_line(text, 3);
	cr_assert_eq(sha256_hex_buf(l2, (size_t)(l3 - l2 - 1), second), 0);
	cr_assert_str_eq(got, second, "head is the last good line's hash");
	free(text);
}

Test(custody, verify_lines_edited_last_line_changes_the_head)
{
	char head[65], got[65];
	char *text = make_chain(2, head), *p;
	int64_t bad;

	p = strstr(text, "memory \\\"dump\\\"");
	p[0] = 'M';
	cr_assert_eq(custody_verify_lines(text, strlen(text), &bad, got), 0);
	cr_assert_str_neq(got, head);
	free(text);
}

Test(custody, verify_lines_finds_dropped_and_reordered_lines)
{
	char head[65], got[65];
	char *text = make_chain(4, head);
	char *l2 = nth_line(text, 2), *l3 = nth_line(text, 3);
	int64_t bad;

	/* Drop line 2: line 3 now sits at seq 2 with the wrong prev. */
	memmove(l2, l3, strlen(l3) + 1);
	cr_assert_eq(custody_verify_lines(text, strlen(text), &bad, got), 1);
	cr_assert_eq(bad, 2);
	free(text);
}

Test(custody, verify_lines_refuses_noncanonical_text)
{
	char head[65], got[65];
	char *text = make_chain(3, head), *p;
	char *respaced;
	int64_t bad;

	/* Same fields, one space added after the first colon of line 3. */
	p = nth_line(text, 3);
	respaced = malloc(strlen(text) + 2);
	memcpy(respaced, text, (size_t)(p - text) + 8);
	respaced[(p - text) + 8] = ' ';
	strcpy(respaced + (p - text) + 9, p + 8);
	cr_assert(strncmp(respaced + (p - text), "{\"case\": 7", 10) == 0,
		  "%s", respaced + (p - text));
	cr_assert_eq(custody_verify_lines(respaced, strlen(respaced), &bad,
					  got),
		     1);
	cr_assert_eq(bad, 3);

	/* A blank line in the middle breaks it as well. */
	cr_assert_eq(custody_verify_lines("\n\n", 2, &bad, got), 1);
	cr_assert_eq(bad, 1);
	free(respaced);
	free(text);
}

Test(custody, verify_lines_refuses_mixed_cases)
{
	struct custody_entry e = {1, 0, "paused", "root@ws1", 0, NULL, NULL};
	char got[65], prev[65], text[2048];
	char *a, *b;
	int64_t bad;

	a = custody_line(1, &e, custody_zero_hash);
	cr_assert_eq(sha256_hex_buf(a, strlen(a), prev), 0);
	e.seq = 2;
	b = custody_line(2, &e, prev);
	snprintf(text, sizeof(text), "%s\n%s\n", a, b);
	cr_assert_eq(custody_verify_lines(text, strlen(text), &bad, got), 1);
	cr_assert_eq(bad, 2);
	free(a);
	free(b);
}
