/*
 * secvf sigma: check Sigma rules, run them over logs, export them to
 * Grafana alerting, and run them live over the security logs.
 */
#include "cli.h"

#include "detect/evlog.h"
#include "detect/sigma.h"
#include "lib/diag.h"
#include "lib/err.h"
#include "lib/home.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_sigma_usage[] =
	"usage: secvf sigma SUBCOMMAND [ARGS]\n"
	"\n"
	"Sigma rules over the security events, evaluated by secvf itself.\n"
	"\n"
	"  check RULE...                 validate rule files\n"
	"  test RULE... [LOG...]         run rules over event logs\n"
	"  export --target loki [RULE...]\n"
	"                                Grafana alert rules in LogQL\n"
	"  watch [--rules DIR]           run the rules live over the logs\n"
	"\n"
	"Without RULE, the rules are those of $SECVF_HOME/rules and the\n"
	"shipped ones ($SECVF_RULES_DIR overrides where those are).\n";

static const char check_usage[] =
	"usage: secvf sigma check [--json] RULE...\n"
	"\n"
	"Load each rule file and list every problem as FILE:LINE: message.\n"
	"Correlations may refer to the rules given and to the default\n"
	"ones.  Exit 0 when all are valid, 2 otherwise.\n";

static const char test_usage[] =
	"usage: secvf sigma test [--json] RULE... [LOG...]\n"
	"\n"
	"Run the rules (*.yml, *.yaml) over the JSON lines of each LOG (all\n"
	"security logs when none is given), in order, and print each match:\n"
	"rule id, title, level and the FILE:LINE of the matching events.\n"
	"Correlation windows still open at the end are judged then.\n";

static const char export_usage[] =
	"usage: secvf sigma export --target loki [RULE...]\n"
	"\n"
	"Print Grafana alert rule provisioning YAML with the LogQL query of\n"
	"each rule over {job=\"secvf_security\"}.  Rules with no LogQL\n"
	"equivalent are listed in comments with the reason.\n";

static const char sigma_watch_usage[] =
	"usage: secvf sigma watch [--rules DIR]... [--json]\n"
	"\n"
	"Follow the security logs and evaluate every new event against the\n"
	"rules, recording each match as a sigma rule.match event (severity\n"
	"from the rule's level) and printing it, until interrupted.  With\n"
	"--rules, only the rules of those directories.\n";

static volatile sig_atomic_t interrupted;

static void
print_problems(const struct sigma_problems *p)
{
	size_t i;

	for (i = 0; i < p->kept; i++)
		fprintf(stderr, "%s\n", p->msg[i]);
	if (p->n > p->kept)
		fprintf(stderr, "... and %zu more problems\n", p->n - p->kept);
}

static int
add_defaults(struct sigma_engine *e, struct sigma_problems *p)
{
	return sigma_engine_add_defaults(e, p);
}

static int
is_rule_file(const char *path)
{
	size_t n = strlen(path);

	return (n > 4 && !strcmp(path + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(path + n - 5, ".yaml"));
}

/* ---- check ---- */

static void
check_json(const struct sigma_engine *e, const struct sigma_problems *p)
{
	json_t *rules = json_array(), *probs = json_array();
	const struct sigma_rule *r;
	size_t i;

	for (i = 0; i < sigma_engine_count(e); i++) {
		r = sigma_engine_rule(e, i);
		json_array_append_new(rules,
				      json_pack("{s:s, s:s, s:s}", "file",
						sigma_rule_file(r), "id",
						sigma_rule_id(r), "title",
						sigma_rule_title(r)));
	}
	for (i = 0; i < p->kept; i++)
		json_array_append_new(probs, json_string(p->msg[i]));
	cli_print_json(json_pack("{s:b, s:o, s:o}", "ok", p->n == 0, "rules",
				 rules, "problems", probs));
}

static int
sigma_check(int argc, char **argv)
{
	struct sigma_problems p = {0}, ignored = {0};
	struct sigma_engine *e;
	int i, rc;

	rc = cli_json_options("sigma check", check_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error("sigma check", "no rule file given");
	e = sigma_engine_new(0);
	if (!e)
		return cli_fail_err(EXIT_FAIL, "sigma check");
	for (i = optind; i < argc; i++)
		sigma_engine_add_file(e, argv[i], 0, &p);
	add_defaults(e, &ignored);
	sigma_engine_finish(e, &p);
	if (cli.json)
		check_json(e, &p);
	else if (p.n)
		print_problems(&p);
	else
		printf("%d rule file%s ok\n", argc - optind,
		       argc - optind == 1 ? "" : "s");
	rc = p.n ? EXIT_USAGE : EXIT_OK;
	sigma_problems_release(&p);
	sigma_problems_release(&ignored);
	sigma_engine_free(e);
	return rc;
}

/* ---- test ---- */

/* Matches report a line reference: file index and line number. */
#define REF(file, line) (((int64_t)(file) << 32) | (int64_t)(line))

struct test_run {
	char **files;
	size_t nfiles;
	size_t matches;
};

static void
print_test_match(const struct sigma_match *m, void *arg)
{
	struct test_run *t = arg;
	json_t *events;
	size_t i, f;

	t->matches++;
	if (cli.json) {
		events = json_array();
		for (i = 0; i < m->nseqs; i++) {
			f = (size_t)(m->seqs[i] >> 32);
			json_array_append_new(
				events,
				json_pack(
					"{s:s, s:I}", "file",
					f < t->nfiles ? t->files[f] : "?",
					"line",
					(json_int_t)(m->seqs[i] & 0xffffffff)));
		}
		cli_print_json(
			json_pack("{s:s, s:s, s:s, s:o}", "rule_id",
				  sigma_rule_id(m->rule), "title",
				  sigma_rule_title(m->rule), "level",
				  sigma_level_name(sigma_rule_level(m->rule)),
				  "events", events));
		return;
	}
	printf("%s %s (%s):", sigma_rule_id(m->rule), sigma_rule_title(m->rule),
	       sigma_level_name(sigma_rule_level(m->rule)));
	for (i = 0; i < m->nseqs; i++) {
		f = (size_t)(m->seqs[i] >> 32);
		if (i && f == (size_t)(m->seqs[i - 1] >> 32))
			printf(",%lld", (long long)(m->seqs[i] & 0xffffffff));
		else
			printf("%s%s:%lld", i ? "," : " ",
			       f < t->nfiles ? t->files[f] : "?",
			       (long long)(m->seqs[i] & 0xffffffff));
	}
	putchar('\n');
}

static int
test_line(struct sigma_engine *e, struct evlog_reader *r, size_t fi,
	  struct test_run *t, int64_t *skipped)
{
	struct sigma_event ev;
	int n;

	if (r->overlong || sigma_event_parse(&ev, r->line, r->len) < 0) {
		if ((*skipped)++ == 0)
			diag_warn("%s:%lld: skipping a line that is not a JSON "
				  "object",
				  t->files[fi], (long long)r->lineno);
		return 0;
	}
	ev.seq = REF(fi, r->lineno);
	n = sigma_engine_feed_event(e, &ev, print_test_match, t);
	sigma_event_release(&ev);
	return n < 0 ? -1 : 0;
}

static int
test_file(struct sigma_engine *e, size_t fi, struct test_run *t)
{
	struct evlog_reader r;
	int64_t skipped = 0;
	int rc;

	if (evlog_reader_open(&r, t->files[fi], -1) < 0)
		return cli_fail_err(EXIT_NOT_FOUND, NULL);
	while ((rc = evlog_reader_next(&r)) == 1 && r.lineno < 0xffffffff)
		if (test_line(e, &r, fi, t, &skipped) < 0) {
			rc = -1;
			break;
		}
	evlog_reader_close(&r);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, t->files[fi]);
	return EXIT_OK;
}

static int
test_logs(struct sigma_engine *e, struct test_run *t)
{
	size_t i;
	int rc = EXIT_OK;

	for (i = 0; i < t->nfiles && rc == EXIT_OK; i++)
		rc = test_file(e, i, t);
	if (rc == EXIT_OK && sigma_engine_flush(e, print_test_match, t) < 0)
		rc = cli_fail_err(EXIT_FAIL, "sigma test");
	fflush(stdout);
	return rc;
}

static int
load_rules(struct sigma_engine *e, char **paths, int n)
{
	struct sigma_problems p = {0};
	int i, rc = EXIT_OK;

	for (i = 0; i < n; i++)
		sigma_engine_add_file(e, paths[i], 0, &p);
	if (n == 0)
		add_defaults(e, &p);
	sigma_engine_finish(e, &p);
	if (p.n) {
		print_problems(&p);
		rc = EXIT_USAGE;
	}
	sigma_problems_release(&p);
	return rc;
}

static int
sigma_test(int argc, char **argv)
{
	struct test_run t = {0};
	struct sigma_engine *e;
	char **logs = NULL, **rules = argv;
	size_t nlogs = 0, nrules = 0;
	int i, rc;

	if ((rc = cli_json_options("sigma test", test_usage, argc, argv)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error("sigma test", "no rule file given");
	rules = argv + optind;
	for (i = optind; i < argc && is_rule_file(argv[i]); i++)
		nrules++;
	t.files = argv + i;
	t.nfiles = (size_t)(argc - i);
	if (!t.nfiles && evlog_files(&logs, &nlogs) < 0)
		return cli_fail_err(EXIT_FAIL, "cannot list the security logs");
	if (!t.nfiles) {
		t.files = logs;
		t.nfiles = nlogs;
	}
	e = sigma_engine_new(0);
	rc = e ? load_rules(e, rules, (int)nrules)
	       : cli_fail_err(EXIT_FAIL, "sigma test");
	if (rc == EXIT_OK)
		rc = test_logs(e, &t);
	if (rc == EXIT_OK && !cli.json)
		fprintf(stderr, "%zu match%s\n", t.matches,
			t.matches == 1 ? "" : "es");
	sigma_engine_free(e);
	evlog_files_free(logs, nlogs);
	return rc;
}

/* ---- export ---- */

static void
yaml_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static void
export_rule(const struct sigma_rule *r, const char *query, int window)
{
	printf("      - uid: %s\n        title: ", sigma_rule_id(r));
	yaml_quoted(sigma_rule_title(r));
	printf("\n        condition: B\n"
	       "        data:\n"
	       "          - refId: A\n"
	       "            relativeTimeRange: {from: %d, to: 0}\n"
	       "            datasourceUid: loki\n"
	       "            model:\n"
	       "              refId: A\n"
	       "              queryType: instant\n"
	       "              expr: ",
	       window);
	yaml_quoted(query);
	printf("\n          - refId: B\n"
	       "            datasourceUid: __expr__\n"
	       "            model:\n"
	       "              refId: B\n"
	       "              type: threshold\n"
	       "              expression: A\n"
	       "              conditions:\n"
	       "                - evaluator: {type: gt, params: [0]}\n"
	       "        noDataState: OK\n"
	       "        execErrState: Error\n"
	       "        for: 0s\n"
	       "        labels:\n"
	       "          severity: %s\n"
	       "          sigma_level: %s\n"
	       "        annotations:\n"
	       "          summary: ",
	       ev_severity_name(sigma_level_severity(sigma_rule_level(r))),
	       sigma_level_name(sigma_rule_level(r)));
	yaml_quoted(sigma_rule_title(r));
	putchar('\n');
}

static void
export_header(void)
{
	printf("# Grafana alert rules from secvf's Sigma rules, generated by\n"
	       "# 'secvf sigma export --target loki'.  Queries read the\n"
	       "# security stream Promtail ships as job secvf_security.\n"
	       "apiVersion: 1\n"
	       "groups:\n"
	       "  - orgId: 1\n"
	       "    name: secvf-sigma\n"
	       "    folder: secvf\n"
	       "    interval: 1m\n"
	       "    rules:\n");
}

/* A rule counted by a correlation, not alerting on its own. */
static int
only_counted(const struct sigma_engine *e, const struct sigma_rule *r)
{
	size_t i;

	for (i = 0; i < sigma_engine_count(e); i++) {
		const struct sigma_rule *c = sigma_engine_rule(e, i);

		if (c != r && sigma_rule_is_correlation(c) &&
		    sigma_rule_refers_to(c, r))
			return 1;
	}
	return 0;
}

static int
export_all(const struct sigma_engine *e)
{
	char query[8192];
	const struct sigma_rule *r;
	size_t i, skipped = 0;
	int w;

	export_header();
	for (i = 0; i < sigma_engine_count(e); i++) {
		r = sigma_engine_rule(e, i);
		w = sigma_rule_window(r);
		if (only_counted(e, r))
			continue;
		if (sigma_rule_logql(e, r, w, query, sizeof(query)) == 0)
			export_rule(r, query, w);
	}
	for (i = 0; i < sigma_engine_count(e); i++) {
		r = sigma_engine_rule(e, i);
		if (only_counted(e, r) ||
		    sigma_rule_logql(e, r, sigma_rule_window(r), query,
				     sizeof(query)) == 0)
			continue;
		if (!skipped++)
			printf("# Not exported (no LogQL equivalent):\n");
		printf("#   %s (%s): %s\n", sigma_rule_title(r),
		       sigma_rule_id(r), err_msg());
		fprintf(stderr, "secvf: sigma export: '%s' not exported: %s\n",
			sigma_rule_title(r), err_msg());
	}
	return EXIT_OK;
}

static int
sigma_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"target", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *target = NULL;
	struct sigma_engine *e;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'h': fputs(export_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("sigma export", "bad option");
		}
	}
	if (!target || strcmp(target, "loki"))
		return cli_usage_error("sigma export",
				       "want --target loki (the one target)");
	e = sigma_engine_new(0);
	if (!e)
		return cli_fail_err(EXIT_FAIL, "sigma export");
	rc = load_rules(e, argv + optind, argc - optind);
	if (rc == EXIT_OK)
		rc = export_all(e);
	sigma_engine_free(e);
	return rc;
}

/* ---- watch ---- */

struct tail {
	char path[PATH_BUF];
	struct evlog_reader r;
	int open;
};

static void
print_live_match(const struct sigma_match *m, void *arg)
{
	char ts[TIME_ISO_LEN];
	json_t *seqs;
	size_t i;

	(void)arg;
	time_iso(m->ts_us ? m->ts_us : time_now_us(), ts);
	if (cli.json) {
		seqs = json_array();
		for (i = 0; i < m->nseqs; i++)
			json_array_append_new(seqs, json_integer(m->seqs[i]));
		cli_print_json(
			json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o}", "ts", ts,
				  "rule_id", sigma_rule_id(m->rule), "title",
				  sigma_rule_title(m->rule), "level",
				  sigma_level_name(sigma_rule_level(m->rule)),
				  "vm", m->vm, "seqs", seqs));
	} else {
		printf("%s %s %s", ts,
		       sigma_level_name(sigma_rule_level(m->rule)),
		       sigma_rule_title(m->rule));
		if (m->vm)
			printf(" vm=%s", m->vm);
		printf(" seq=");
		for (i = 0; i < m->nseqs; i++)
			printf("%s%lld", i ? "," : "", (long long)m->seqs[i]);
		putchar('\n');
	}
	fflush(stdout);
}

static void
tail_close(struct tail *t)
{
	if (t->open)
		evlog_reader_close(&t->r);
	t->open = 0;
}

/* Open path; at its end when at_end (the lines before are old). */
static int
tail_open(struct tail *t, const char *path, int at_end)
{
	struct stat st;

	tail_close(t);
	if (path_fmt(t->path, sizeof(t->path), "%s", path) < 0 ||
	    evlog_reader_open(&t->r, path, -1) < 0)
		return cli_fail_err(EXIT_FAIL, "cannot read the security log");
	t->open = 1;
	if (at_end && fstat(t->r.fd, &st) == 0)
		evlog_reader_seek(&t->r, st.st_size, 0);
	return EXIT_OK;
}

static int
tail_drain(struct tail *t, struct sigma_engine *e)
{
	int rc;

	while ((rc = evlog_reader_next(&t->r)) == 1) {
		if (!t->r.newline) {
			evlog_reader_seek(&t->r, t->r.start, t->r.lineno - 1);
			break;
		}
		if (t->r.overlong)
			continue;
		if (sigma_engine_feed(e, t->r.line, t->r.len, print_live_match,
				      NULL) < 0)
			diag_warn("%s:%lld: %s", t->path,
				  (long long)t->r.lineno, err_msg());
	}
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, t->path);
	return EXIT_OK;
}

/* Move to a newer log when one appeared (a new day). */
static int
tail_newest(struct tail *t, struct sigma_engine *e, int at_end)
{
	char **paths;
	size_t n;
	int rc = EXIT_OK;

	if (evlog_files(&paths, &n) < 0)
		return cli_fail_err(EXIT_FAIL, "cannot list the security logs");
	if (n && (!t->open || strcmp(paths[n - 1], t->path) > 0)) {
		if (t->open)
			rc = tail_drain(t, e);
		if (rc == EXIT_OK)
			rc = tail_open(t, paths[n - 1], at_end);
		if (rc == EXIT_OK)
			rc = tail_drain(t, e);
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
watch_setup(int *ifd)
{
	struct sigaction sa;
	char dir[PATH_BUF];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt; /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return cli_fail(EXIT_FAIL, "cannot catch SIGINT: %s",
				strerror(errno));
	if (home_subdir(dir, sizeof(dir), "logs") < 0)
		return cli_fail_err(EXIT_FAIL, "cannot follow the logs");
	*ifd = inotify_init1(IN_CLOEXEC);
	if (*ifd < 0)
		return cli_fail(EXIT_MISSING, "cannot use inotify: %s",
				strerror(errno));
	if (inotify_add_watch(*ifd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) <
	    0)
		return cli_fail(EXIT_FAIL, "cannot watch '%s': %s", dir,
				strerror(errno));
	return EXIT_OK;
}

static int
watch_loop(struct sigma_engine *e, int ifd)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	struct tail t = {0};
	int rc = tail_newest(&t, e, 1);
	ssize_t n;

	while (rc == EXIT_OK && !interrupted) {
		n = read(ifd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR) {
			rc = cli_fail(EXIT_FAIL,
				      "cannot read inotify events: "
				      "%s",
				      strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		if (t.open)
			rc = tail_drain(&t, e);
		if (rc == EXIT_OK)
			rc = tail_newest(&t, e, 0);
	}
	tail_close(&t);
	return rc;
}

static int
watch_rules(struct sigma_engine *e, char **dirs, size_t ndirs)
{
	struct sigma_problems p = {0};
	size_t i;
	int rc = EXIT_OK;

	for (i = 0; i < ndirs; i++)
		sigma_engine_add_dir(e, dirs[i], 0, &p);
	if (!ndirs)
		add_defaults(e, &p);
	sigma_engine_finish(e, &p);
	if (p.n) {
		print_problems(&p);
		rc = EXIT_USAGE;
	}
	sigma_problems_release(&p);
	return rc;
}

static int
sigma_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *dirs[16];
	size_t ndirs = 0;
	struct sigma_engine *e;
	int opt, rc, ifd = -1;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (ndirs == 16)
				return cli_usage_error("sigma watch",
						       "too many --rules");
			dirs[ndirs++] = optarg;
			break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(sigma_watch_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("sigma watch", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("sigma watch",
				       "unexpected argument '%s'",
				       argv[optind]);
	e = sigma_engine_new(SIGMA_WRITE_EVENTS);
	if (!e)
		return cli_fail_err(EXIT_FAIL, "sigma watch");
	rc = watch_rules(e, dirs, ndirs);
	if (rc == EXIT_OK)
		rc = watch_setup(&ifd);
	if (rc == EXIT_OK) {
		diag_info("watching the security logs with %zu rules",
			  sigma_engine_count(e));
		rc = watch_loop(e, ifd);
	}
	if (ifd >= 0)
		close(ifd);
	sigma_engine_free(e);
	return rc;
}

static const struct cli_cmd sigma_cmds[] = {
	{"check", sigma_check, "validate rule files", check_usage},
	{"test", sigma_test, "run rules over logs", test_usage},
	{"export", sigma_export, "Grafana alert rules in LogQL", export_usage},
	{"watch", sigma_watch, "run the rules live", sigma_watch_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_sigma(int argc, char **argv)
{
	return cli_dispatch("sigma", sigma_cmds, cmd_sigma_usage, argc, argv);
}
