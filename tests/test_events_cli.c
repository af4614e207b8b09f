#include "helpers.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/home.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(events_cli, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static void
record(const char *sev, const char *subsystem, const char *event,
       const char *vm)
{
	char *err;
	int rc;

	if (vm)
		rc = th_secvf(NULL, &err, "log", "write", "--severity", sev,
			      "--subsystem", subsystem, "--event", event,
			      "--vm", vm, NULL);
	else
		rc = th_secvf(NULL, &err, "log", "write", "--severity", sev,
			      "--subsystem", subsystem, "--event", event, NULL);
	cr_assert_eq(rc, 0, "%s", err);
	free(err);
}

static void
record_lab(void)
{
	record("INFO", "network", "switch.drop", "lab1");
	record("CRITICAL", "fsevents", "file.unexpected", "lab1");
	record("WARNING", "fsevents", "permissions.changed", "lab2");
	record("EMERGENCY", "containment", "breach-suspected", "lab2");
}

static int
count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The path of today's log. */
static const char *
today_log(void)
{
	static char path[PATH_BUF];

	cr_assert_eq(evlog_path_for(time_now_us(), path, sizeof(path)), 0);
	return path;
}

Test(events_cli, write_then_list_in_order)
{
	char *out;

	record_lab();
	cr_assert_eq(th_secvf(&out, NULL, "events", NULL), 0);
	cr_assert_eq(count_lines(out), 4, "%s", out);
	cr_assert(strstr(out, "INFO      network switch.drop vm=lab1"), "%s",
		  out);
	cr_assert(strstr(out, "switch.drop") < strstr(out, "breach-suspected"));
	free(out);
}

Test(events_cli, write_takes_data_object)
{
	char *out;

	cr_assert_eq(th_secvf(&out, NULL, "log", "write", "--severity", "INFO",
			      "--subsystem", "note", "--event", "analyst",
			      "--data", "{\"text\":\"looked at it\"}", "--json",
			      NULL),
		     0);
	cr_assert(strstr(out, "\"seq\":1"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "events", NULL), 0);
	cr_assert(strstr(out, "note analyst {\"text\":\"looked at it\"}"), "%s",
		  out);
	free(out);
}

Test(events_cli, json_prints_the_log_lines)
{
	char *out, *log;

	record_lab();
	cr_assert_eq(th_secvf(&out, NULL, "events", "--json", NULL), 0);
	log = th_read(today_log());
	cr_assert_str_eq(out, log);
	free(out);
	free(log);
}

Test(events_cli, filters_never_hide_emergency)
{
	char *out;

	record_lab();
	cr_assert_eq(th_secvf(&out, NULL, "events", "--min-severity",
			      "CRITICAL", "--subsystem", "other", NULL),
		     0);
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert(strstr(out, "EMERGENCY containment breach-suspected"), "%s",
		  out);
	free(out);

	cr_assert_eq(th_secvf(&out, NULL, "events", "--min-severity",
			      "CRITICAL", NULL),
		     0);
	cr_assert_eq(count_lines(out), 2, "%s", out);
	free(out);

	cr_assert_eq(th_secvf(&out, NULL, "events", "--vm", "lab1",
			      "--subsystem", "fsevents", NULL),
		     0);
	cr_assert_eq(count_lines(out), 2, "%s", out);
	cr_assert(strstr(out, "file.unexpected vm=lab1"), "%s", out);
	free(out);
}

Test(events_cli, since_filters_by_time_and_file)
{
	char *out;

	/* An old day's log, oldest first in the listing. */
	record("INFO", "new", "tick", NULL);
	cr_assert_eq(th_write("logs/security-2020-01-01.log",
			      "{\"ts\":\"2020-01-01T00:00:00.000000Z\","
			      "\"severity\":\"INFO\",\"subsystem\":\"old\","
			      "\"event\":\"tick\",\"vm\":null,\"host\":\"h\","
			      "\"seq\":1,\"data\":{},\"prev\":\""
			      "00000000000000000000000000000000"
			      "00000000000000000000000000000000\"}\n"),
		     0);

	cr_assert_eq(th_secvf(&out, NULL, "events", NULL), 0);
	cr_assert_eq(count_lines(out), 2, "%s", out);
	cr_assert(strstr(out, "old tick") < strstr(out, "new tick"), "%s", out);
	free(out);

	cr_assert_eq(th_secvf(&out, NULL, "events", "--since", "1h", NULL), 0);
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert(strstr(out, "new tick"), "%s", out);
	free(out);

	cr_assert_eq(
		th_secvf(&out, NULL, "events", "--since", "2099-01-01", NULL),
		0);
	cr_assert_str_eq(out, "");
	free(out);
}

Test(events_cli, skips_malformed_lines_with_a_warning)
{
	char *out, *err;
	FILE *f;

	record("INFO", "a", "one", NULL);
	f = fopen(today_log(), "a");
	fputs("garbage\n", f);
	fclose(f);
	record("INFO", "a", "two", NULL);
	cr_assert_eq(th_secvf(&out, &err, "events", NULL), 0);
	cr_assert_eq(count_lines(out), 2, "%s", out);
	cr_assert(strstr(err, ":2: skipping a line that is not an event"), "%s",
		  err);
	free(out);
	free(err);
}

static void
expect_usage(const char *needle, const char *a1, const char *a2, const char *a3,
	     const char *a4)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, a1, a2, a3, a4, NULL), 2, "%s", err);
	cr_assert(strstr(err, needle), "want '%s' in: %s", needle, err);
	free(err);
}

Test(events_cli, usage_errors_name_the_problem)
{
	char *err;

	expect_usage("bad --min-severity: unknown severity 'LOUD'", "events",
		     "--min-severity", "LOUD", NULL);
	expect_usage("bad --since: cannot parse time 'soon'", "events",
		     "--since", "soon", NULL);
	expect_usage("bad --subsystem", "events", "--subsystem", "Net/x", NULL);
	expect_usage("unexpected argument 'x'", "events", "x", NULL, NULL);

	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity", "LOUD",
			      "--subsystem", "a", "--event", "b", NULL),
		     2);
	cr_assert(strstr(err, "bad --severity"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity", "INFO",
			      "--subsystem", "a", "--event", "b", "--data",
			      "[1,2]", NULL),
		     2);
	cr_assert(strstr(err, "bad --data: not a JSON object"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity", "INFO",
			      "--subsystem", "a", "--event", "b", "--data",
			      "{\"a\":", NULL),
		     2);
	cr_assert(strstr(err, "bad --data"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity", "INFO",
			      "--subsystem", "a", "--event", "B!", NULL),
		     2);
	cr_assert(strstr(err, "bad --event"), "%s", err);
	free(err);
	expect_usage("are required", "log", "write", "--severity", "INFO");
	expect_usage("unknown subcommand 'frob'", "log", "frob", NULL, NULL);

	/* Nothing was recorded by any of these. */
	cr_assert_null(th_read(today_log()));
}

Test(events_cli, verify_ok_broken_and_missing)
{
	char *out, *text, *p;
	FILE *f;

	record_lab();
	cr_assert_eq(th_secvf(&out, NULL, "log", "verify", NULL), 0);
	cr_assert(strstr(out, ": ok (4 lines)"), "%s", out);
	free(out);

	text = th_read(today_log());
	p = strstr(text, "lab2");
	p[3] = '9';
	f = fopen(today_log(), "w");
	fputs(text, f);
	fclose(f);
	free(text);

	cr_assert_eq(th_secvf(&out, NULL, "log", "verify", NULL), 4);
	cr_assert(strstr(out, ": line 3: edited:"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "log", "verify", "--json",
			      today_log(), NULL),
		     4);
	cr_assert(strstr(out, "\"status\":\"broken\",\"line\":3,"
			      "\"reason\":\"edited\""),
		  "%s", out);
	free(out);

	cr_assert_eq(
		th_secvf(NULL, NULL, "log", "verify", "/nonexistent.log", NULL),
		3);
	cr_assert_eq(th_secvf(NULL, NULL, "log", "verify", "/nonexistent.log",
			      today_log(), NULL),
		     4);
}

/* Start "secvf events --follow" with stdout to a file; returns its pid. */
static pid_t
start_follow(const char *outpath)
{
	pid_t pid = fork();
	int fd;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execl(SECVF_BIN, "secvf", "events", "--follow", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait up to 10 s for needle to show in the file. */
static int
wait_for(const char *path, const char *needle)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	char *text;
	int i, found = 0;

	for (i = 0; i < 500 && !found; i++) {
		text = th_read(path);
		found = text && strstr(text, needle);
		free(text);
		if (!found)
			nanosleep(&tick, NULL);
	}
	return found;
}

Test(events_cli, follow_prints_new_events_and_new_days)
{
	char outpath[PATH_BUF], future[PATH_BUF];
	int status;
	pid_t pid;

	record("INFO", "a", "before", NULL);
	snprintf(outpath, sizeof(outpath), "%s/follow.out", home_dir());
	pid = start_follow(outpath);
	cr_assert(wait_for(outpath, "a before"));

	record("WARNING", "a", "after", "lab1");
	cr_assert(wait_for(outpath, "a after vm=lab1"));

	/* A new day's file appears. */
	snprintf(future, sizeof(future), "%s/logs/security-2099-01-01.log",
		 home_dir());
	cr_assert_eq(evlog_append(future, EV_CRITICAL, "b", "next-day", NULL,
				  NULL, NULL),
		     0, "%s", err_msg());
	cr_assert(wait_for(outpath, "b next-day"));

	kill(pid, SIGINT);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
