#include "helpers.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/home.h"
#include "lib/sha256.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(evlog, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

/* A log of n INFO events at home/name; returns its path (static). */
static const char *
make_log(const char *name, int n)
{
	static char path[PATH_BUF];
	json_t *data;
	int i;

	snprintf(path, sizeof(path), "%s/%s", home_dir(), name);
	for (i = 0; i < n; i++) {
		data = json_pack("{s:i}", "i", i + 1);
		cr_assert_eq(evlog_append(path, EV_INFO, "test", "tick", "lab1",
					  data, NULL),
			     0, "%s", err_msg());
		json_decref(data);
	}
	return path;
}

/* Split a file into at most 64 lines (each with its "\n"). */
static int
split_lines(const char *path, char *lines[64])
{
	char *text = th_read(path), *p = text, *nl;
	int n = 0;

	cr_assert_not_null(text);
	while (*p && n < 64) {
		nl = strchr(p, '\n');
		lines[n++] = strndup(p, nl ? (size_t)(nl - p + 1) : strlen(p));
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(text);
	return n;
}

static void
join_lines(const char *path, char *lines[], int n)
{
	FILE *f = fopen(path, "w");
	int i;

	cr_assert_not_null(f);
	for (i = 0; i < n; i++) {
		fputs(lines[i], f);
		free(lines[i]);
	}
	fclose(f);
}

static void
expect_break(const char *path, enum evlog_status status, int64_t line)
{
	struct evlog_verify_result res;

	cr_assert_eq(evlog_verify(path, &res), 0, "%s", err_msg());
	cr_assert_eq(res.status, status, "got %s at line %lld: %s",
		     evlog_status_name(res.status), (long long)res.bad_line,
		     res.detail);
	cr_assert_eq(res.bad_line, line, "%s at line %lld: %s",
		     evlog_status_name(res.status), (long long)res.bad_line,
		     res.detail);
}

Test(evlog, severity_names_round_trip)
{
	enum ev_severity s;

	cr_assert_eq(ev_severity_parse("EMERGENCY", &s), 0);
	cr_assert_eq(s, EV_EMERGENCY);
	cr_assert_str_eq(ev_severity_name(EV_WARNING), "WARNING");
	/* Names typed by people are taken in any case... */
	cr_assert_eq(ev_severity_parse("critical", &s), 0);
	cr_assert_eq(s, EV_CRITICAL);
	cr_assert_eq(ev_severity_parse("loud", &s), -1);
	cr_assert(strstr(err_msg(), "unknown severity 'loud'"));
}

Test(evlog, lines_need_exact_severity_names)
{
	struct evlog_event ev;
	const char *line =
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":"
		"\"critical\",\"subsystem\":\"a\",\"event\":\"b\","
		"\"vm\":null,\"host\":\"h\",\"seq\":1,\"data\":{},"
		"\"prev\":\"0000000000000000000000000000000000000000000000000"
		"000000000000000\"}";

	/* ...but a log line with another spelling is not an event. */
	cr_assert_neq(evlog_decode(line, strlen(line), &ev), 0);
}

Test(evlog, encode_decode_round_trip)
{
	struct evlog_event in = {.severity = EV_CRITICAL, .seq = 17};
	struct evlog_event out;
	char *line;
	size_t len;

	strcpy(in.ts, "2026-12-03T19:00:00.123456Z");
	strcpy(in.subsystem, "fsevents");
	strcpy(in.event, "file.unexpected");
	strcpy(in.vm, "lab1");
	strcpy(in.host, "ws1");
	memset(in.prev, 'a', 64);
	in.data = json_pack("{s:s}", "path", "dr\xc3\xb6pper\n.sh");

	line = evlog_encode(&in, &len);
	cr_assert_not_null(line, "%s", err_msg());
	cr_assert_str_eq(line,
			 "{\"ts\":\"2026-12-03T19:00:00.123456Z\","
			 "\"severity\":\"CRITICAL\",\"subsystem\":\"fsevents\","
			 "\"event\":\"file.unexpected\",\"vm\":\"lab1\","
			 "\"host\":\"ws1\",\"seq\":17,"
			 "\"data\":{\"path\":\"dr\\u00F6pper\\n.sh\"},"
			 "\"prev\":\""
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");

	cr_assert_eq(evlog_decode(line, len, &out), 0, "%s", err_msg());
	cr_assert_str_eq(out.ts, in.ts);
	cr_assert_eq(out.ts_us, 1796324400123456LL);
	cr_assert_eq(out.severity, EV_CRITICAL);
	cr_assert_str_eq(out.event, "file.unexpected");
	cr_assert_str_eq(out.vm, "lab1");
	cr_assert_eq(out.seq, 17);
	cr_assert(json_equal(out.data, in.data));
	evlog_event_release(&out);
	json_decref(in.data);
	free(line);
}

Test(evlog, null_vm_and_empty_data)
{
	struct evlog_event in = {.severity = EV_INFO, .seq = 1}, out;
	char *line;
	size_t len;

	strcpy(in.ts, "2026-12-03T19:00:00.000000Z");
	strcpy(in.subsystem, "sigma");
	strcpy(in.event, "rule.match");
	strcpy(in.host, "ws1");
	memset(in.prev, '0', 64);
	line = evlog_encode(&in, &len);
	cr_assert_not_null(line, "%s", err_msg());
	cr_assert(strstr(line, "\"vm\":null,") && strstr(line, "\"data\":{},"));
	cr_assert_eq(evlog_decode(line, len, &out), 0, "%s", err_msg());
	cr_assert_str_eq(out.vm, "");
	evlog_event_release(&out);
	free(line);
}

Test(evlog, head_field_reads_names_without_parsing)
{
	const char *line =
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":"
		"\"WARNING\",\"subsystem\":\"network\",\"event\":"
		"\"switch.drop\",\"vm\":null,\"host\":\"w\\\"s\","
		"\"seq\":1,\"data\":{\"vm\":\"lab1\"},\"prev\":\"0\"}";
	char out[64];

	cr_assert_eq(evlog_head_field(line, "severity", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "WARNING");
	cr_assert_eq(evlog_head_field(line, "event", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "switch.drop");
	/* null, not the "vm" inside data */
	cr_assert_eq(evlog_head_field(line, "vm", out, sizeof(out)), 1);
	/* escaped: the caller must decode */
	cr_assert_eq(evlog_head_field(line, "host", out, sizeof(out)), -1);
	/* too long for out */
	cr_assert_eq(evlog_head_field(line, "subsystem", out, 4), -1);
	/* not the log's layout */
	cr_assert_eq(evlog_head_field("{\"vm\":\"lab1\"}", "vm", out,
				      sizeof(out)),
		     -1);
	cr_assert_eq(evlog_head_field("{\"data\":{},\"vm\":\"lab1\"}",
				      "vm", out, sizeof(out)),
		     -1);
}

Test(evlog, decode_rejects_bad_lines)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"severity\":\"INFO\",\"ts\":\"2026-12-03T19:00:00.000000Z\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":null,"
		"\"host\":\"h\","
		"\"seq\":1,\"data\":{},\"prev\":\"" ZEROS "\"}",
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":\"LOUD\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":null,"
		"\"host\":\"h\","
		"\"seq\":1,\"data\":{},\"prev\":\"" ZEROS "\"}",
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":\"INFO\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":\"\\u001b[2J\","
		"\"host\":\"h\",\"seq\":1,\"data\":{},\"prev\":\"" ZEROS "\"}",
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":\"INFO\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":null,"
		"\"host\":\"h\","
		"\"seq\":0,\"data\":{},\"prev\":\"" ZEROS "\"}",
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":\"INFO\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":null,"
		"\"host\":\"h\","
		"\"seq\":1,\"data\":[],\"prev\":\"" ZEROS "\"}",
		"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":\"INFO\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":null,"
		"\"host\":\"h\","
		"\"seq\":1,\"data\":{},\"prev\":\"xyz\"}",
		"{\"ts\":\"yesterday\",\"severity\":\"INFO\","
		"\"subsystem\":\"a\",\"event\":\"b\",\"vm\":null,"
		"\"host\":\"h\","
		"\"seq\":1,\"data\":{},\"prev\":\"" ZEROS "\"}",
	};
	struct evlog_event ev;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(evlog_decode(bad[i], strlen(bad[i]), &ev),
			     EVLOG_DECODE_BAD, "line %zu accepted", i);
		cr_assert_null(ev.data);
		cr_assert(err_msg()[0]);
	}
	cr_assert_eq(evlog_decode("{\"ts\":\"2026", 11, &ev),
		     EVLOG_DECODE_TORN);
}

/*
 * A ts with a space-padded or one-digit field ("2026-12-04T 4:15:55")
 * passed strptime(), so verification called such a line valid while
 * ingestion (evline) refused it.  Both refuse it now.
 */
Test(evlog, decode_refuses_time_without_digits)
{
	static const char *const ts[] = {
		"2026-12-04T 4:15:55.663896Z", "2026-12-04T4:15:55.6638960Z",
		" 2026-12-4T04:15:55.663896Z", "2026-12- 4T04:15:55.663896Z",
		"+026-12-04T04:15:55.663896Z", "2026-12-04T04:15: 5.663896Z",
	};
	struct evlog_event ev;
	char line[512];
	size_t i;

	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"ts\":\"%s\",\"severity\":\"INFO\","
			 "\"subsystem\":\"vm-lifecycle\",\"event\":\"crashed\","
			 "\"vm\":null,\"host\":\"vm\",\"seq\":1,\"data\":{},"
			 "\"prev\":\"" ZEROS "\"}",
			 ts[i]);
		cr_assert_eq(evlog_decode(line, strlen(line), &ev),
			     EVLOG_DECODE_BAD, "ts '%s' accepted", ts[i]);
		cr_assert(strstr(err_msg(), "\"ts\""), "%s", err_msg());
	}
}

Test(evlog, write_chains_lines_in_private_file)
{
	struct evlog_event ev1, ev2;
	char path[PATH_BUF], logs[PATH_BUF], hash[SHA256_HEX];
	char *text, *nl;
	struct stat st;

	cr_assert_eq(evlog_write(EV_INFO, "test", "first", NULL, NULL), 0, "%s",
		     err_msg());
	cr_assert_eq(evlog_write(EV_CRITICAL, "test", "second", "lab1", NULL),
		     0, "%s", err_msg());
	cr_assert_eq(evlog_path_for(time_now_us(), path, sizeof(path)), 0);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	cr_assert_eq(st.st_mode & 0777, 0600);
	snprintf(logs, sizeof(logs), "%s/logs", home_dir());
	cr_assert_eq(stat(logs, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);

	text = th_read(path);
	nl = strchr(text, '\n');
	cr_assert_eq(evlog_decode(text, (size_t)(nl - text), &ev1), 0);
	cr_assert_eq(evlog_decode(nl + 1, strlen(nl + 1) - 1, &ev2), 0);
	cr_assert_eq(ev1.seq, 1);
	cr_assert_str_eq(ev1.prev, ZEROS);
	cr_assert_eq(ev2.seq, 2);
	sha256_hex_buf(text, (size_t)(nl - text), hash);
	cr_assert_str_eq(ev2.prev, hash);
	cr_assert_str_eq(ev2.vm, "lab1");
	evlog_event_release(&ev1);
	evlog_event_release(&ev2);
	free(text);
}

Test(evlog, write_refuses_bad_input_and_keeps_log)
{
	const char *path = make_log("x.log", 2);
	char *before = th_read(path), *after;
	char *big = malloc(EVLOG_LINE_MAX + 1);
	json_t *data;

	memset(big, 'a', EVLOG_LINE_MAX);
	big[EVLOG_LINE_MAX] = '\0';
	data = json_pack("{s:s}", "blob", big);
	cr_assert_eq(evlog_append(path, EV_INFO, "t", "e", NULL, data, NULL),
		     -1);
	cr_assert(strstr(err_msg(), "longer than"), "%s", err_msg());
	json_decref(data);

	data = json_pack("[i]", 1);
	cr_assert_eq(evlog_append(path, EV_INFO, "t", "e", NULL, data, NULL),
		     -1);
	json_decref(data);
	cr_assert_eq(evlog_append(path, EV_INFO, "Bad", "e", NULL, NULL, NULL),
		     -1);
	cr_assert(strstr(err_msg(), "bad subsystem"), "%s", err_msg());
	cr_assert_eq(evlog_append(path, EV_INFO, "t", "e", "../x", NULL, NULL),
		     -1);

	after = th_read(path);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
	free(big);
}

Test(evlog, write_refuses_symlink)
{
	char link[PATH_BUF];

	snprintf(link, sizeof(link), "%s/link.log", home_dir());
	cr_assert_eq(symlink("/tmp/nowhere-secvf", link), 0);
	cr_assert_eq(evlog_append(link, EV_INFO, "t", "e", NULL, NULL, NULL),
		     -1);
	cr_assert(strstr(err_msg(), "cannot open"), "%s", err_msg());
}

static void
write_many(int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (evlog_write(EV_INFO, "test", "burst", "lab1", NULL) < 0) {
			fprintf(stderr, "%s\n", err_msg());
			_exit(1);
		}
	_exit(0);
}

Test(evlog, concurrent_processes_keep_one_chain)
{
	struct evlog_verify_result res;
	char path[PATH_BUF];
	struct evlog_reader r;
	struct evlog_event ev;
	int i, status;
	pid_t pid[4];

	cr_assert_not_null(home_dir());
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		cr_assert_geq(pid[i], 0);
		if (pid[i] == 0)
			write_many(2000);
	}
	for (i = 0; i < 4; i++) {
		cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* The burst takes about a second; one crossing midnight would be
	 * split over two days' files and fail here. */
	cr_assert_eq(evlog_path_for(time_now_us(), path, sizeof(path)), 0);
	cr_assert_eq(evlog_verify(path, &res), 0, "%s", err_msg());
	cr_assert_eq(res.status, EVLOG_OK, "line %lld: %s",
		     (long long)res.bad_line, res.detail);
	cr_assert_eq(res.lines, 8000);
	cr_assert_eq(res.last_seq, 8000);

	cr_assert_eq(evlog_reader_open(&r, path, -1), 0);
	for (i = 1; evlog_reader_next(&r) == 1; i++) {
		cr_assert(r.newline);
		cr_assert_eq(evlog_decode(r.line, r.len, &ev), 0);
		cr_assert_eq(ev.seq, i);
		evlog_event_release(&ev);
	}
	evlog_reader_close(&r);
	cr_assert_eq(i, 8001);
}

Test(evlog, verify_accepts_intact_and_empty_log)
{
	const char *path = make_log("ok.log", 5);
	struct evlog_verify_result res;

	expect_break(path, EVLOG_OK, 0);
	cr_assert_eq(evlog_verify(path, &res), 0);
	cr_assert_eq(res.lines, 5);
	cr_assert(sha256_is_hex(res.head));
	cr_assert_eq(th_write("empty.log", ""), 0);
	expect_break(make_log("empty.log", 0), EVLOG_OK, 0);
}

Test(evlog, verify_finds_edited_line)
{
	const char *path = make_log("e.log", 6);
	char *lines[64], *p;
	int n = split_lines(path, lines);

	p = strstr(lines[2], "\"i\":3");
	cr_assert_not_null(p);
	p[4] = '9';
	join_lines(path, lines, n);
	expect_break(path, EVLOG_EDITED, 3);
}

Test(evlog, verify_finds_edited_seq)
{
	const char *path = make_log("s.log", 6);
	char *lines[64], *p;
	int n = split_lines(path, lines);

	p = strstr(lines[3], "\"seq\":4");
	cr_assert_not_null(p);
	p[6] = '7';
	join_lines(path, lines, n);
	expect_break(path, EVLOG_EDITED, 4);
}

Test(evlog, verify_finds_deleted_line)
{
	const char *path = make_log("d.log", 6);
	char *lines[64];
	int n = split_lines(path, lines);

	free(lines[2]);
	memmove(lines + 2, lines + 3, (size_t)(n - 3) * sizeof(*lines));
	join_lines(path, lines, n - 1);
	expect_break(path, EVLOG_DELETED, 3);
}

Test(evlog, verify_finds_deleted_first_lines)
{
	const char *path = make_log("d1.log", 4);
	char *lines[64];
	int n = split_lines(path, lines);

	free(lines[0]);
	free(lines[1]);
	join_lines(path, lines + 2, n - 2);
	expect_break(path, EVLOG_DELETED, 1);
}

Test(evlog, verify_finds_reordered_pair)
{
	const char *path = make_log("r.log", 6);
	char *lines[64], *tmp;
	int n = split_lines(path, lines);

	tmp = lines[3];
	lines[3] = lines[4];
	lines[4] = tmp;
	join_lines(path, lines, n);
	expect_break(path, EVLOG_REORDERED, 4);
}

Test(evlog, verify_finds_repeated_line)
{
	const char *path = make_log("rep.log", 4);
	char *lines[64];
	int n = split_lines(path, lines);

	lines[n] = strdup(lines[1]);
	join_lines(path, lines, n + 1);
	expect_break(path, EVLOG_REORDERED, 5);
}

Test(evlog, verify_finds_torn_last_line)
{
	const char *path = make_log("t.log", 5);
	char *lines[64];
	int n = split_lines(path, lines);

	lines[4][strlen(lines[4]) - 20] = '\0';
	join_lines(path, lines, n);
	expect_break(path, EVLOG_TORN, 5);

	/* Whole but for its newline is torn too. */
	path = make_log("t2.log", 3);
	n = split_lines(path, lines);
	lines[2][strlen(lines[2]) - 1] = '\0';
	join_lines(path, lines, n);
	expect_break(path, EVLOG_TORN, 3);
}

Test(evlog, verify_finds_malformed_line)
{
	const char *path = make_log("m.log", 6);
	char *lines[64];
	int n = split_lines(path, lines);

	free(lines[3]);
	lines[3] = strdup("not json at all\n");
	join_lines(path, lines, n);
	expect_break(path, EVLOG_MALFORMED, 4);

	n = split_lines(path, lines);
	free(lines[3]);
	lines[3] = strdup("{\"ts\":1}\n");
	join_lines(path, lines, n);
	expect_break(path, EVLOG_MALFORMED, 4);
}

Test(evlog, verify_missing_file_is_an_error)
{
	struct evlog_verify_result res;

	cr_assert_eq(evlog_verify("/nonexistent/secvf.log", &res), -1);
	cr_assert(strstr(err_msg(), "No such file"), "%s", err_msg());
}

Test(evlog, append_after_torn_line_does_not_fork_chain)
{
	const char *path = make_log("tail.log", 3);
	struct evlog_written w;
	char *lines[64], hash[SHA256_HEX], torn[256];
	struct evlog_event ev;
	int n = split_lines(path, lines);

	/* A writer died half way through line 4. */
	snprintf(torn, sizeof(torn), "%.*s", 40, lines[0]);
	lines[n++] = strdup(torn);
	join_lines(path, lines, n);

	cr_assert_eq(
		evlog_append(path, EV_WARNING, "t", "after", NULL, NULL, &w), 0,
		"%s", err_msg());
	cr_assert_eq(w.seq, 5);
	n = split_lines(path, lines);
	cr_assert_eq(n, 5);
	cr_assert_eq(strlen(lines[3]), 41);
	cr_assert_eq(evlog_decode(lines[4], strlen(lines[4]) - 1, &ev), 0);
	sha256_hex_buf(torn, 40, hash);
	cr_assert_str_eq(ev.prev, hash);
	evlog_event_release(&ev);
	for (int i = 0; i < n; i++)
		free(lines[i]);
	expect_break(path, EVLOG_TORN, 4);

	/* And the next append still follows on from line 5. */
	cr_assert_eq(evlog_append(path, EV_INFO, "t", "next", NULL, NULL, &w),
		     0);
	cr_assert_eq(w.seq, 6);
}

Test(evlog, append_after_malformed_last_line_counts_it)
{
	const char *path = make_log("junk.log", 2);
	struct evlog_written w;
	FILE *f = fopen(path, "a");

	fputs("junk\n{}\n", f);
	fclose(f);
	cr_assert_eq(evlog_append(path, EV_INFO, "t", "e", NULL, NULL, &w), 0);
	cr_assert_eq(w.seq, 5);
}

Test(evlog, reader_bounds_overlong_lines)
{
	struct evlog_reader r;
	char path[PATH_BUF];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/long.log", home_dir());
	f = fopen(path, "w");
	for (i = 0; i < EVLOG_LINE_MAX + 100; i++)
		fputc('x', f);
	fputs("\nshort\n", f);
	fclose(f);

	cr_assert_eq(evlog_reader_open(&r, path, -1), 0);
	cr_assert_eq(evlog_reader_next(&r), 1);
	cr_assert(r.overlong);
	cr_assert_eq(r.len, EVLOG_LINE_MAX);
	cr_assert_eq(evlog_reader_next(&r), 1);
	cr_assert_str_eq(r.line, "short");
	cr_assert_eq(r.lineno, 2);
	cr_assert_eq(evlog_reader_next(&r), 0);
	evlog_reader_close(&r);
	expect_break(path, EVLOG_MALFORMED, 1);
}

Test(evlog, files_lists_logs_oldest_first)
{
	char **paths;
	size_t n;

	cr_assert_eq(th_write("logs/security-2026-12-02.log", ""), -1);
	cr_assert_not_null(home_dir());
	cr_assert_eq(evlog_files(&paths, &n), 0);
	cr_assert_eq(n, 0);
	evlog_files_free(paths, n);
	cr_assert_eq(th_write("logs/security-2026-12-02.log", ""), 0);
	cr_assert_eq(th_write("logs/security-2026-11-30.log", ""), 0);
	cr_assert_eq(th_write("logs/network-2026-12-01.log", ""), 0);
	cr_assert_eq(th_write("logs/security-2026-12-0x.log", ""), 0);
	cr_assert_eq(evlog_files(&paths, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert(strstr(paths[0], "security-2026-11-30.log"));
	cr_assert(strstr(paths[1], "security-2026-12-02.log"));
	evlog_files_free(paths, n);
}
