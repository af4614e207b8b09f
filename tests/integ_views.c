/*
 * The views for people, driven as people see them: secvf watch in a
 * tmux pane and through a pipe, and the incident report in Chromium.
 */
#include "helpers.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/timefmt.h"
#include "playbooks/report.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(integ_views, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home, .timeout = 180);

static const char *
home(void)
{
	return getenv("SECVF_HOME");
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Run a shell command, its stdout as a malloc'd string. */
static char *
capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
capture(const char *fmt, ...)
{
	char cmd[4096], *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = realloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	pclose(f);
	if (!buf)
		buf = calloc(1, 1);
	buf[len] = '\0';
	return buf;
}

static void
log_event(const char *sev, const char *sub, const char *event)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity", sev,
			      "--subsystem", sub, "--event", event, "--vm",
			      "lab1", NULL),
		     0, "%s", err);
	free(err);
}

/* ---- secvf watch in tmux */

static char tmux_sock[64];

static char *
pane(const char *flags)
{
	return capture("tmux -L %s capture-pane -p %s -t views 2>/dev/null",
		       tmux_sock, flags);
}

static char *
pane_format(const char *format)
{
	return capture("tmux -L %s display-message -p -t views '%s' "
		       "2>/dev/null",
		       tmux_sock, format);
}

/* The line of text holding needle, malloc'd; NULL when none. */
static char *
line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *start, *end;

	if (!p)
		return NULL;
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* Wait up to ms for the pane (with escapes) to hold needle. */
static char *
wait_pane(const char *needle, long ms)
{
	char *text;

	for (; ms > 0; ms -= 100) {
		text = pane("-e");
		if (strstr(text, needle))
			return text;
		free(text);
		sleep_ms(100);
	}
	return pane("-e");
}

static void
start_watch(void)
{
	snprintf(tmux_sock, sizeof(tmux_sock), "secvf-views-%d",
		 (int)getpid());
	cr_assert_eq(th_sh("tmux -L %s -f /dev/null new-session -d -s views "
			   "-x 140 -y 40 'env -u NO_COLOR SECVF_HOME=%s "
			   "TERM=xterm-256color %s watch; "
			   "echo EXITED $?; exec sleep 60'",
			   tmux_sock, home(), SECVF_BIN),
		     0);
	free(wait_pane("events read", 10000));
}

static void
stop_tmux(void)
{
	th_sh("tmux -L %s kill-server 2>/dev/null", tmux_sock);
}

/* watch exited 0, and the terminal is back: main screen, cursor on. */
static void
check_restored(void)
{
	char *text = wait_pane("EXITED", 10000), *flag;

	cr_assert(strstr(text, "EXITED 0"), "%s", text);
	free(text);
	flag = pane_format("#{alternate_on} #{cursor_flag}");
	cr_assert_str_eq(flag, "0 1\n", "alternate screen, cursor: %s",
			 flag);
	free(flag);
}

Test(integ_views, watch_turns_the_filesystem_panel_red_and_restores)
{
	char *text, *line, *flag;

	start_watch();
	text = wait_pane("events read", 100);
	cr_assert(strstr(text, "filesystem"), "%s", text);
	line = line_with(text, " filesystem ");
	cr_assert_null(strstr(line, "41m"), "red before any event: %s", line);
	free(line);
	free(text);
	flag = pane_format("#{alternate_on}");
	cr_assert_eq(flag[0], '1', "not on the alternate screen");
	free(flag);

	log_event("CRITICAL", "fsevents", "file.unexpected");
	text = wait_pane("file.unexpected", 10000);
	line = line_with(text, " filesystem ");
	cr_assert_not_null(line, "%s", text);
	cr_assert(strstr(line, "41m"), "panel not red: %s", line);
	cr_assert(strstr(line, "ALERT"), "%s", line);
	free(line);
	line = line_with(text, " network ");
	cr_assert(line && !strstr(line, "41m"), "%s", line);
	free(line);
	line = line_with(text, "file.unexpected");
	cr_assert(strstr(line, "CRITICAL") && strstr(line, "vm=lab1"), "%s",
		  line);
	free(line);
	free(text);

	cr_assert_eq(th_sh("tmux -L %s send-keys -t views q", tmux_sock), 0);
	check_restored();
	text = pane("");
	cr_assert_null(strstr(text, "events read"), "%s", text);
	free(text);
	stop_tmux();
}

Test(integ_views, watch_quits_on_sigterm_and_restores)
{
	char *shell, *pid;

	start_watch();
	shell = pane_format("#{pane_pid}");
	pid = capture("pgrep -P %d", atoi(shell));
	free(shell);
	cr_assert_gt(atoi(pid), 1, "no watch process: %s", pid);
	cr_assert_eq(kill(atoi(pid), SIGTERM), 0);
	free(pid);
	check_restored();
	stop_tmux();
}

/* ---- secvf watch through a pipe */

Test(integ_views, watch_prints_plain_lines_into_a_pipe)
{
	char buf[8192] = "";
	size_t len = 0;
	struct pollfd p;
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	log_event("WARNING", "network", "switch.drop");
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(SECVF_BIN, "secvf", "watch", "--interval", "2", NULL);
		_exit(127);
	}
	close(fds[1]);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	for (int i = 0; i < 100 && !strstr(buf, "summary"); i++)
		if (poll(&p, 1, 100) > 0 &&
		    (n = read(fds[0], buf + len, sizeof(buf) - len - 1)) > 0)
			buf[len += (size_t)n] = '\0';
	cr_assert(strncmp(buf, "summary ", 8) == 0, "%s", buf);

	log_event("CRITICAL", "fsevents", "file.unexpected");
	log_event("INFO", "fsevents", "quiet.one");
	for (int i = 0; i < 100 && !strstr(buf, "ALERT"); i++)
		if (poll(&p, 1, 100) > 0 &&
		    (n = read(fds[0], buf + len, sizeof(buf) - len - 1)) > 0)
			buf[len += (size_t)n] = '\0';
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(strstr(buf, "CRITICAL  fsevents file.unexpected vm=lab1\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "filesystem 1/2 ALERT"), "%s", buf);
	cr_assert_null(strstr(buf, "quiet.one"), "%s", buf);
	cr_assert_null(strchr(buf, '\033'), "%s", buf);
}

/* ---- the report in Chromium */

static int
have_chromium(void)
{
	return th_sh("command -v chromium >/dev/null 2>&1") == 0;
}

static void
write_report(const char *path)
{
	json_t *m = json_load_file(th_fixture("report/manifest.json"), 0,
				   NULL), *events, *data;
	size_t len;
	char *html;
	FILE *f;

	cr_assert_not_null(m);
	data = json_pack("{s:s, s:s}", "path",
			 "</td><script>document.title='owned'</script>",
			 "ctl", "\x01\x1b[2J\"'");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(evlog_write(EV_CRITICAL, "fsevents",
					 "file.unexpected", "lab1", data),
			     0);
	cr_assert_eq(evlog_write(EV_EMERGENCY, "containment",
				 "breach-suspected", "lab1", NULL),
		     0);
	json_decref(data);
	events = report_events_load("lab1", time_now_us() + 1000000,
				    86400LL * 1000000);
	cr_assert_not_null(events, "%s", err_msg());
	html = report_html(m, NULL, 0, events, &len);
	cr_assert_not_null(html);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite(html, 1, len, f);
	fclose(f);
	free(html);
	json_decref(events);
	json_decref(m);
}

#define CHROMIUM "chromium --headless --no-sandbox --disable-gpu " \
		 "--disable-quic --no-first-run " \
		 "--disable-background-networking " \
		 "--disable-component-update --disable-sync "

Test(integ_views, report_renders_in_chromium_without_console_errors)
{
	char path[4096], png[4096], *err, *dom, *keep;
	struct stat st;

	if (!have_chromium())
		cr_skip_test("chromium is not installed (make deps installs "
			     "it)");
	snprintf(path, sizeof(path), "%s/report.html", home());
	snprintf(png, sizeof(png), "%s/report.png", home());
	write_report(path);

	err = capture("cd '%s' && timeout 90 " CHROMIUM
		      "--user-data-dir='%s/chromium' --enable-logging=stderr "
		      "--v=0 --screenshot='%s' --window-size=1200,1600 "
		      "'file://%s' 2>&1 >/dev/null",
		      home(), home(), png, path);
	cr_assert_eq(stat(png, &st), 0, "no screenshot: %s", err);
	cr_assert_gt(st.st_size, 10000);
	cr_assert_null(strstr(err, "Uncaught"), "%s", err);
	cr_assert_null(strstr(err, "ERROR:CONSOLE"), "%s", err);
	cr_assert_null(strstr(err, ":CONSOLE("), "%s", err);
	free(err);
	keep = getenv("SECVF_REPORT_PNG");
	if (keep)
		th_sh("cp '%s' '%s'", png, keep);

	dom = capture("cd '%s' && timeout 90 " CHROMIUM
		      "--user-data-dir='%s/chromium' --dump-dom 'file://%s' "
		      "2>/dev/null",
		      home(), home(), path);
	cr_assert(strstr(dom, "</html>"), "%s", dom);
	cr_assert(strstr(dom, "id=\"panel-filesystem\""), "%s", dom);
	cr_assert(strstr(dom, "class=\"panel alert\" id=\"panel-filesystem\""));
	cr_assert(strstr(dom, "id=\"custody\""));
	cr_assert(strstr(dom, "Events before the pause (4)"));
	cr_assert_null(strstr(dom, "<script"), "a script element was parsed");
	cr_assert_null(strstr(dom, "owned</title>"));
	free(dom);
}
