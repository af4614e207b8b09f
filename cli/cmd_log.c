/*
 * secvf log verify | write: check the chains of the security logs, and
 * record an event by hand.
 */
#include "cli.h"

#include "detect/evlog.h"
#include "lib/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_log_usage[] =
	"usage: secvf log verify [--json] [FILE...]\n"
	"       secvf log write --severity SEV --subsystem S --event E\n"
	"                       [--vm NAME] [--data JSON] [--json]\n"
	"\n"
	"The security event logs ($SECVF_HOME/logs/security-*.log).\n"
	"\n"
	"Subcommands:\n"
	"  verify   check each file's hash chain\n"
	"  write    record an event\n";

static const char verify_usage[] =
	"usage: secvf log verify [--json] [FILE...]\n"
	"\n"
	"Check the hash chain of each FILE (default: every security log)\n"
	"and print 'ok' or the first broken line and how it broke: edited,\n"
	"deleted, reordered, torn or malformed.  Exit 4 when any file is\n"
	"broken, else 3 when a named file is absent.\n";

static const char write_usage[] =
	"usage: secvf log write --severity SEV --subsystem S --event E\n"
	"                       [--vm NAME] [--data JSON] [--json]\n"
	"\n"
	"Record an event in today's security log.\n"
	"\n"
	"  --severity SEV   INFO, WARNING, CRITICAL or EMERGENCY\n"
	"  --subsystem S    subsystem name: a-z, 0-9, '.', '-'\n"
	"  --event E        event name, likewise (e.g. note.analyst)\n"
	"  --vm NAME        the VM it concerns\n"
	"  --data JSON      a JSON object with the details\n"
	"  --json           print where the event went, as JSON\n";

/* Worst outcome over several files. */
struct verify_tally {
	int broken;
	int missing;
	int failed;
};

static void
print_verdict(const char *path, const struct evlog_verify_result *res)
{
	if (cli.json) {
		if (res->status == EVLOG_OK)
			cli_print_json(json_pack(
				"{s:s, s:s, s:I, s:I, s:s}", "file", path,
				"status", "ok", "lines", (json_int_t)res->lines,
				"last_seq", (json_int_t)res->last_seq, "head",
				res->head));
		else
			cli_print_json(
				json_pack("{s:s, s:s, s:I, s:s, s:s}", "file",
					  path, "status", "broken", "line",
					  (json_int_t)res->bad_line, "reason",
					  evlog_status_name(res->status),
					  "detail", res->detail));
		return;
	}
	if (res->status == EVLOG_OK)
		printf("%s: ok (%lld lines)\n", path, (long long)res->lines);
	else
		printf("%s: line %lld: %s: %s\n", path,
		       (long long)res->bad_line, evlog_status_name(res->status),
		       res->detail);
}

static void
verify_file(const char *path, struct verify_tally *t)
{
	struct evlog_verify_result res;

	if (evlog_verify(path, &res) < 0) {
		if (errno == ENOENT)
			t->missing = 1;
		else
			t->failed = 1;
		if (cli.json)
			cli_print_json(json_pack(
				"{s:s, s:s, s:s}", "file", path, "status",
				errno == ENOENT ? "missing" : "error", "error",
				err_msg()));
		cli_fail(EXIT_FAIL, "%s", err_msg());
		return;
	}
	if (res.status != EVLOG_OK)
		t->broken = 1;
	print_verdict(path, &res);
}

static int
verify_all(struct verify_tally *t)
{
	char **paths;
	size_t n, i;

	if (evlog_files(&paths, &n) < 0)
		return cli_fail_err(EXIT_FAIL, "cannot list the security logs");
	if (n == 0 && !cli.json)
		fputs("secvf: no security logs yet\n", stderr);
	for (i = 0; i < n; i++)
		verify_file(paths[i], t);
	evlog_files_free(paths, n);
	return EXIT_OK;
}

static int
log_verify(int argc, char **argv)
{
	struct verify_tally t = {0};
	int i, rc;

	rc = cli_json_options("log verify", verify_usage, argc, argv);
	if (rc >= 0)
		return rc;

	if (optind == argc && verify_all(&t) != EXIT_OK)
		return EXIT_FAIL;
	for (i = optind; i < argc; i++)
		verify_file(argv[i], &t);

	if (t.broken)
		return EXIT_VERIFY;
	if (t.missing)
		return EXIT_NOT_FOUND;
	return t.failed ? EXIT_FAIL : EXIT_OK;
}

/* The options of log write, checked. */
struct write_args {
	enum ev_severity sev;
	const char *severity;
	const char *subsystem;
	const char *event;
	const char *vm;
	json_t *data;
};

static int
check_write_args(struct write_args *a, const char *data)
{
	json_error_t jerr;

	if (!a->severity || !a->subsystem || !a->event)
		return cli_usage_error(
			"log write",
			"--severity, --subsystem and --event are required");
	if (ev_severity_parse(a->severity, &a->sev) < 0)
		return cli_usage_error("log write", "bad --severity: %s",
				       err_msg());
	if (evlog_check_name(a->subsystem) < 0)
		return cli_usage_error("log write", "bad --subsystem: %s",
				       err_msg());
	if (evlog_check_name(a->event) < 0)
		return cli_usage_error("log write", "bad --event: %s",
				       err_msg());
	if (a->vm && evlog_check_vm(a->vm) < 0)
		return cli_usage_error("log write", "bad --vm: %s", err_msg());
	if (!data)
		return EXIT_OK;

	if (strlen(data) > EVLOG_LINE_MAX)
		return cli_usage_error("log write",
				       "bad --data: longer than %d bytes",
				       EVLOG_LINE_MAX);
	a->data = json_loads(data, JSON_REJECT_DUPLICATES, &jerr);
	if (!a->data)
		return cli_usage_error("log write", "bad --data: %s",
				       jerr.text);
	if (!json_is_object(a->data))
		return cli_usage_error("log write",
				       "bad --data: not a JSON object");
	return EXIT_OK;
}

static int
log_write(int argc, char **argv)
{
	static const struct option opts[] = {
		{"severity", required_argument, NULL, 's'},
		{"subsystem", required_argument, NULL, 'S'},
		{"event", required_argument, NULL, 'e'},
		{"vm", required_argument, NULL, 'm'},
		{"data", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct write_args a = {0};
	struct evlog_written w;
	const char *data = NULL;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': a.severity = optarg; break;
		case 'S': a.subsystem = optarg; break;
		case 'e': a.event = optarg; break;
		case 'm': a.vm = optarg; break;
		case 'd': data = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(write_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("log write", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("log write", "unexpected argument '%s'",
				       argv[optind]);

	rc = check_write_args(&a, data);
	if (rc == EXIT_OK && evlog_append(NULL, a.sev, a.subsystem, a.event,
					  a.vm, a.data, &w) < 0)
		rc = cli_fail_err(EXIT_FAIL, "cannot record the event");
	json_decref(a.data);
	if (rc == EXIT_OK && cli.json)
		cli_print_json(json_pack("{s:s, s:I, s:s}", "file", w.path,
					 "seq", (json_int_t)w.seq, "hash",
					 w.hash));
	return rc;
}

static const struct cli_cmd log_cmds[] = {
	{"verify", log_verify, "check the hash chains", verify_usage},
	{"write", log_write, "record an event", write_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_log(int argc, char **argv)
{
	return cli_dispatch("log", log_cmds, cmd_log_usage, argc, argv);
}
