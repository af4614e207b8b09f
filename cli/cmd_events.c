/*
 * secvf events: list the security events, oldest first, and follow new
 * ones as they are appended.
 */
#include "cli.h"

#include "detect/evlog.h"
#include "lib/diag.h"
#include "lib/err.h"
#include "lib/home.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

const char cmd_events_usage[] =
	"usage: secvf events [--vm NAME] [--since TIME] [--min-severity SEV]\n"
	"                    [--subsystem S] [--follow] [--json]\n"
	"\n"
	"List the security events of every log, oldest first.  EMERGENCY\n"
	"events are shown whatever the filters say.\n"
	"\n"
	"  --vm NAME           only events of this VM\n"
	"  --since TIME        from TIME on: ISO-8601 UTC (2026-12-03,\n"
	"                      2026-12-03T19:00:00Z) or a span (90s, 2h, 7d)\n"
	"  --min-severity SEV  INFO, WARNING, CRITICAL or EMERGENCY\n"
	"  --subsystem S       only this subsystem (e.g. fsevents)\n"
	"  --follow            keep printing new events until interrupted\n"
	"  --json              print the log lines as they are\n";

struct filter {
	const char *vm;
	const char *subsystem;
	enum ev_severity min;
	int64_t since;	    /* microseconds; INT64_MIN for all */
	char since_day[11]; /* "" for all */
};

/* One log being read, with what was skipped in it. */
struct source {
	char path[PATH_BUF];
	struct evlog_reader r;
	int open;
	int64_t skipped;
};

static volatile sig_atomic_t interrupted;

static int
shown(const struct filter *f, const struct evlog_event *ev)
{
	if (ev->severity == EV_EMERGENCY)
		return 1;
	if (ev->severity < f->min || ev->ts_us < f->since)
		return 0;
	if (f->vm && strcmp(f->vm, ev->vm))
		return 0;
	return !f->subsystem || !strcmp(f->subsystem, ev->subsystem);
}

static void
print_event(const struct evlog_event *ev, const char *line, size_t len)
{
	const char *sev = ev_severity_name(ev->severity);
	char *data;

	if (cli.json) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return;
	}
	printf("%s %s%-9s%s %s %s", ev->ts, cli_sev_color(sev), sev,
	       cli_reset(), ev->subsystem, ev->event);
	if (ev->vm[0])
		printf(" vm=%s", ev->vm);
	if (json_object_size(ev->data)) {
		data = json_dumps(ev->data, JSON_COMPACT | JSON_ENSURE_ASCII |
						    JSON_PRESERVE_ORDER);
		if (data)
			printf(" %s", data);
		free(data);
	}
	fputc('\n', stdout);
}

static void
show_line(struct source *s, const struct filter *f)
{
	struct evlog_event ev;

	if (s->r.overlong || evlog_decode(s->r.line, s->r.len, &ev) != 0) {
		if (s->skipped++ == 0)
			diag_warn("%s:%lld: skipping a line that is not an "
				  "event: %s",
				  s->path, (long long)s->r.lineno,
				  s->r.overlong ? "too long" : err_msg());
		return;
	}
	if (shown(f, &ev))
		print_event(&ev, s->r.line, s->r.len);
	evlog_event_release(&ev);
}

/*
 * Print the complete lines from where the source stands.  A last line
 * without its "\n" is being written (follow) or torn: left alone.
 */
static int
drain(struct source *s, const struct filter *f, int follow)
{
	int rc;

	while ((rc = evlog_reader_next(&s->r)) == 1) {
		if (!s->r.newline) {
			evlog_reader_seek(&s->r, s->r.start, s->r.lineno - 1);
			if (!follow)
				diag_warn("%s:%lld: skipping a torn last line",
					  s->path, (long long)s->r.lineno + 1);
			break;
		}
		show_line(s, f);
	}
	fflush(stdout);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, s->path);
	return EXIT_OK;
}

static void
source_close(struct source *s)
{
	if (s->skipped > 1)
		diag_warn("%s: %lld lines were not events", s->path,
			  (long long)s->skipped);
	if (s->open)
		evlog_reader_close(&s->r);
	s->open = 0;
}

static int
source_open(struct source *s, const char *path)
{
	source_close(s);
	memset(s, 0, sizeof(*s));
	if (path_fmt(s->path, sizeof(s->path), "%s", path) < 0 ||
	    evlog_reader_open(&s->r, path, -1) < 0)
		return cli_fail_err(EXIT_FAIL, "cannot read the security log");
	s->open = 1;
	return EXIT_OK;
}

/* Is the day in a log's name before the --since day? */
static int
before_since(const struct filter *f, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return f->since_day[0] &&
	       strncmp(base + strlen("security-"), f->since_day, 10) < 0;
}

/*
 * Read every log after the one s holds (all of them when none), and
 * leave s on the newest, still open for following.
 */
static int
read_newer(struct source *s, const struct filter *f, int follow)
{
	char **paths;
	size_t n, i;
	int rc = EXIT_OK;

	if (evlog_files(&paths, &n) < 0)
		return cli_fail_err(EXIT_FAIL, "cannot list the security logs");
	for (i = 0; i < n && rc == EXIT_OK; i++) {
		if (s->open && strcmp(paths[i], s->path) <= 0)
			continue;
		if (before_since(f, paths[i]))
			continue;
		if (s->open)
			rc = drain(s, f, follow);
		if (rc == EXIT_OK)
			rc = source_open(s, paths[i]);
		if (rc == EXIT_OK)
			rc = drain(s, f, follow);
	}
	evlog_files_free(paths, n);
	return rc;
}

static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt; /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return cli_fail(EXIT_FAIL, "cannot catch SIGINT: %s",
				strerror(errno));
	return EXIT_OK;
}

static int
watch_logs(int *ifd)
{
	uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO;
	char dir[PATH_BUF];

	if (home_subdir(dir, sizeof(dir), "logs") < 0)
		return cli_fail_err(EXIT_FAIL, "cannot follow the logs");
	*ifd = inotify_init1(IN_CLOEXEC);
	if (*ifd < 0)
		return cli_fail(EXIT_MISSING, "cannot use inotify: %s",
				strerror(errno));
	if (inotify_add_watch(*ifd, dir, mask) < 0) {
		close(*ifd);
		return cli_fail(EXIT_FAIL, "cannot watch '%s': %s", dir,
				strerror(errno));
	}
	return EXIT_OK;
}

/* Wait for the next change beneath logs/; 1 changed, 0 interrupted. */
static int
wait_change(int ifd)
{
	/* Which file changed does not matter: the logs are re-read. */
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while (!interrupted) {
		n = read(ifd, buf, sizeof(buf));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR) {
			cli_fail(EXIT_FAIL, "cannot read inotify events: %s",
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
follow(struct source *s, const struct filter *f, int ifd)
{
	int rc = EXIT_OK, changed;

	while (rc == EXIT_OK && (changed = wait_change(ifd)) == 1) {
		if (s->open)
			rc = drain(s, f, 1);
		if (rc == EXIT_OK)
			rc = read_newer(s, f, 1);
	}
	if (rc == EXIT_OK && changed < 0)
		rc = EXIT_FAIL;
	return rc;
}

static int
parse_filter(struct filter *f, const char *since, const char *min)
{
	if (f->vm && evlog_check_vm(f->vm) < 0)
		return cli_usage_error("events", "bad --vm: %s", err_msg());
	if (f->subsystem && evlog_check_name(f->subsystem) < 0)
		return cli_usage_error("events", "bad --subsystem: %s",
				       err_msg());
	if (min && ev_severity_parse(min, &f->min) < 0)
		return cli_usage_error("events", "bad --min-severity: %s",
				       err_msg());
	f->since = INT64_MIN;
	if (!since)
		return EXIT_OK;
	if (time_parse(since, &f->since) < 0)
		return cli_usage_error("events", "bad --since: %s", err_msg());
	time_date(f->since, f->since_day);
	return EXIT_OK;
}

int
cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{"vm", required_argument, NULL, 'm'},
		{"since", required_argument, NULL, 's'},
		{"min-severity", required_argument, NULL, 'S'},
		{"subsystem", required_argument, NULL, 'u'},
		{"follow", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *since = NULL, *min = NULL;
	struct filter f = {0};
	struct source s = {0};
	int opt, rc, ifd = -1, want_follow = 0;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': f.vm = optarg; break;
		case 's': since = optarg; break;
		case 'S': min = optarg; break;
		case 'u': f.subsystem = optarg; break;
		case 'f': want_follow = 1; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(cmd_events_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("events", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("events", "unexpected argument '%s'",
				       argv[optind]);
	rc = parse_filter(&f, since, min);
	if (rc != EXIT_OK)
		return rc;

	/* Watch before the first read, so no append slips between. */
	if (want_follow && ((rc = catch_interrupts()) != EXIT_OK ||
			    (rc = watch_logs(&ifd)) != EXIT_OK))
		return rc;
	rc = read_newer(&s, &f, want_follow);
	if (rc == EXIT_OK && want_follow)
		rc = follow(&s, &f, ifd);
	source_close(&s);
	if (ifd >= 0)
		close(ifd);
	return rc;
}
