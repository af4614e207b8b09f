/*
 * secvf watch: the lab on one screen.  The boundary panels, the event
 * series, the VMs and the tail of grave events (detect/dashboard.h),
 * redrawn when a log changes and every two seconds for the VM states;
 * plain lines when stdout is not a terminal.
 */
#include "cli.h"

#include "detect/dashboard.h"
#include "lib/err.h"
#include "lib/home.h"
#include "vmm/bundle.h"
#include "vmm/vmstate.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#define TICK_S 2

const char watch_usage[] =
	"usage: secvf watch [--since TIME] [--min-severity SEV] [--minutes N]\n"
	"                   [--interval SECONDS] [--once]\n"
	"\n"
	"A terminal dashboard of the lab: one panel per boundary (hypervisor,\n"
	"network, filesystem, IPC), red when the window holds a CRITICAL or\n"
	"EMERGENCY event of its layer; the events per minute of each layer;\n"
	"the VMs and their state; the latest grave events, newest first.  It\n"
	"redraws when an event is logged.  q or Ctrl-C quits.  When stdout is\n"
	"not a terminal it prints one line per new event and a summary line\n"
	"now and then instead.\n"
	"\n"
	"  --since TIME        the panels' window: ISO-8601 UTC or a span\n"
	"                      back from now (90m, 2h, 7d); default 24h\n"
	"  --min-severity SEV  the least severity of the tail (default\n"
	"                      CRITICAL); EMERGENCY is always shown\n"
	"  --minutes N         minutes of the series (default 30)\n"
	"  --interval SECONDS  seconds between summary lines when not on a\n"
	"                      terminal (default 60)\n"
	"  --once              draw once (or print one summary) and exit\n";

struct watch {
	struct dash d;
	int64_t since_us;
	char since_day[11];
	int plain;
	int once;
	int interval_s;
	int ticks;
	/* the log being followed */
	char path[PATH_BUF];
	struct evlog_reader r;
	int open;
	/* the terminal */
	int ifd, sfd, tfd;
	struct termios saved;
	int term_saved;
	int screen;
	int cols, rows;
	int utf8;
};

/* ---- reading the logs */

static void
take_line(struct watch *w, int live)
{
	struct evlog_event ev;
	char *line;

	if (w->r.overlong || evlog_decode(w->r.line, w->r.len, &ev) != 0)
		return;
	if (ev.ts_us >= w->since_us || ev.severity == EV_EMERGENCY)
		dash_feed(&w->d, &ev);
	if (live && w->plain &&
	    (ev.severity >= w->d.tail_min || ev.severity == EV_EMERGENCY) &&
	    (line = dash_event_line(&ev))) {
		printf("%s\n", line);
		free(line);
	}
	evlog_event_release(&ev);
}

/* Read the complete lines from where the log stands. */
static int
drain(struct watch *w, int live)
{
	int rc;

	while ((rc = evlog_reader_next(&w->r)) == 1) {
		if (!w->r.newline) {
			evlog_reader_seek(&w->r, w->r.start, w->r.lineno - 1);
			break;
		}
		take_line(w, live);
	}
	fflush(stdout);
	return rc < 0 ? -1 : 0;
}

static int
log_open(struct watch *w, const char *path)
{
	if (w->open)
		evlog_reader_close(&w->r);
	w->open = 0;
	if (path_fmt(w->path, sizeof(w->path), "%s", path) < 0 ||
	    evlog_reader_open(&w->r, path, -1) < 0)
		return -1;
	w->open = 1;
	return 0;
}

/* Read what is new in the log followed, then every newer log. */
static int
read_logs(struct watch *w, int live)
{
	const char *base;
	char **paths;
	size_t n, i;
	int rc = 0;

	if (w->open && drain(w, live) < 0)
		return -1;
	if (evlog_files(&paths, &n) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		base = strrchr(paths[i], '/');
		base = base ? base + 1 : paths[i];
		if ((w->open && strcmp(paths[i], w->path) <= 0) ||
		    strncmp(base + strlen("security-"), w->since_day, 10) < 0)
			continue;
		rc = log_open(w, paths[i]);
		if (rc == 0)
			rc = drain(w, live);
	}
	evlog_files_free(paths, n);
	return rc;
}

static void
refresh_vms(struct watch *w)
{
	struct bundle_entry *vms = NULL;
	struct vm_status st;
	size_t n = 0, i;

	dash_vms_clear(&w->d);
	if (bundle_list(&vms, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (vm_status_get(vms[i].name, &st) < 0)
			dash_vm_add(&w->d, vms[i].name, "unknown");
		else
			dash_vm_add(&w->d, vms[i].name,
				    vm_run_state_name(st.state));
	}
	free(vms);
}

/* ---- the terminal */

static void
term_size(struct watch *w)
{
	struct winsize ws;

	w->cols = 80;
	w->rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col &&
	    ws.ws_row) {
		w->cols = ws.ws_col;
		w->rows = ws.ws_row;
	}
}

static int
is_utf8(void)
{
	const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return 0;
}

static void
term_enter(struct watch *w)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &w->saved) == 0) {
		w->term_saved = 1;
		raw = w->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	/* The alternate screen, the cursor hidden. */
	fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	fflush(stdout);
	w->screen = 1;
}

static void
term_leave(struct watch *w)
{
	if (w->screen)
		fputs("\033[0m\033[?1049l\033[?25h", stdout);
	fflush(stdout);
	w->screen = 0;
	if (w->term_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &w->saved);
	w->term_saved = 0;
}

static void
draw(struct watch *w)
{
	struct dash_style st = {.color = cli.color, .utf8 = w->utf8,
				.title = "secvf watch"};
	char *frame;

	frame = dash_render(&w->d, time_now_us(), w->cols, w->rows, &st);
	if (!frame)
		return;
	fputs(frame, stdout);
	fflush(stdout);
	free(frame);
}

static void
summary(struct watch *w)
{
	char *line = dash_summary(&w->d, time_now_us());

	if (line)
		printf("%s\n", line);
	fflush(stdout);
	free(line);
}

static void
show(struct watch *w)
{
	if (w->plain)
		return;
	draw(w);
}

/* ---- the loop */

static int
open_fds(struct watch *w)
{
	struct itimerspec its = {{TICK_S, 0}, {TICK_S, 0}};
	char dir[PATH_BUF];
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (w->sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		return err_errno("cannot catch signals");
	if (home_subdir(dir, sizeof(dir), "logs") < 0)
		return -1;
	w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->ifd < 0)
		return err_errno("cannot use inotify");
	if (inotify_add_watch(w->ifd, dir, IN_MODIFY | IN_CREATE |
						   IN_MOVED_TO) < 0)
		return err_errno("cannot watch '%s'", dir);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->tfd < 0 || timerfd_settime(w->tfd, 0, &its, NULL) < 0)
		return err_errno("cannot start a timer");
	return 0;
}

static void
drain_fd(int fd)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* A signal arrived: 1 to quit, 0 to go on. */
static int
on_signal(struct watch *w)
{
	struct signalfd_siginfo si;

	if (read(w->sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo != SIGWINCH)
		return 1;
	term_size(w);
	show(w);
	return 0;
}

/* A key: 1 to quit. */
static int
on_key(void)
{
	char c;
	ssize_t n = read(STDIN_FILENO, &c, 1);

	return n == 0 || (n == 1 && (c == 'q' || c == 'Q'));
}

static void
on_tick(struct watch *w)
{
	drain_fd(w->tfd);
	refresh_vms(w);
	w->ticks++;
	if (!w->plain)
		draw(w);
	else if (w->ticks * TICK_S >= w->interval_s) {
		w->ticks = 0;
		summary(w);
	}
}

static int
loop(struct watch *w)
{
	struct pollfd p[4] = {
		{.fd = w->sfd, .events = POLLIN},
		{.fd = w->ifd, .events = POLLIN},
		{.fd = w->tfd, .events = POLLIN},
		{.fd = w->plain || !isatty(STDIN_FILENO) ? -1 : STDIN_FILENO,
		 .events = POLLIN},
	};

	for (;;) {
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_errno("cannot wait for events");
		}
		if ((p[0].revents & POLLIN) && on_signal(w))
			return 0;
		if ((p[3].revents & (POLLIN | POLLHUP)) && on_key())
			return 0;
		if (p[1].revents & POLLIN) {
			drain_fd(w->ifd);
			if (read_logs(w, 1) < 0)
				return -1;
			show(w);
		}
		if (p[2].revents & POLLIN)
			on_tick(w);
	}
}

static int
run(struct watch *w)
{
	int rc;

	if (!w->once && open_fds(w) < 0)
		return -1;
	if (read_logs(w, 0) < 0)
		return -1;
	refresh_vms(w);
	if (w->plain) {
		summary(w);
	} else if (w->once) {
		draw(w);
		fputs("\033[0m\n", stdout);
	} else {
		term_enter(w);
		draw(w);
	}
	if (w->once)
		return 0;
	rc = loop(w);
	term_leave(w);
	return rc;
}

/* A count of 1 to 1e6; 0 for anything else. */
static int
parse_count(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);

	return *text && !*end && v > 0 && v <= 1000000 ? (int)v : 0;
}

static int
parse_args(struct watch *w, int argc, char **argv, int64_t *window_us,
	   int *minutes)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"min-severity", required_argument, NULL, 'S'},
		{"minutes", required_argument, NULL, 'm'},
		{"interval", required_argument, NULL, 'i'},
		{"once", no_argument, NULL, '1'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *since = "24h", *min = "CRITICAL";
	int opt;

	cli_getopt_reset();
	*minutes = 30;
	w->interval_s = 60;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': since = optarg; break;
		case 'S': min = optarg; break;
		case 'm': *minutes = parse_count(optarg); break;
		case 'i': w->interval_s = parse_count(optarg); break;
		case '1': w->once = 1; break;
		case 'h': fputs(watch_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("watch", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("watch", "unexpected argument '%s'",
				       argv[optind]);
	if (ev_severity_parse(min, &w->d.tail_min) < 0)
		return cli_usage_error("watch", "bad --min-severity: %s",
				       err_msg());
	if (time_parse(since, &w->since_us) < 0)
		return cli_usage_error("watch", "bad --since: %s", err_msg());
	if (w->interval_s < TICK_S)
		return cli_usage_error("watch", "bad --interval: want %d or "
				       "more seconds", TICK_S);
	*window_us = time_now_us() - w->since_us;
	return -1;
}

int
cmd_watch(int argc, char **argv)
{
	static struct watch w;
	enum ev_severity min;
	int64_t window_us = 0;
	int minutes = 0, rc;

	memset(&w, 0, sizeof(w));
	w.ifd = w.sfd = w.tfd = -1;
	if ((rc = parse_args(&w, argc, argv, &window_us, &minutes)) >= 0)
		return rc;
	min = w.d.tail_min;
	if (dash_init(&w.d, window_us, minutes, min) < 0) {
		dash_release(&w.d);
		return cli_usage_error("watch", "%s", err_msg());
	}
	time_date(w.since_us, w.since_day);
	w.plain = !cli.tty;
	w.utf8 = is_utf8();
	term_size(&w);

	rc = run(&w) < 0 ? cli_fail_err(EXIT_FAIL, "watch") : EXIT_OK;
	term_leave(&w);
	if (w.open)
		evlog_reader_close(&w.r);
	if (w.ifd >= 0)
		close(w.ifd);
	if (w.sfd >= 0)
		close(w.sfd);
	if (w.tfd >= 0)
		close(w.tfd);
	dash_release(&w.d);
	return rc;
}
