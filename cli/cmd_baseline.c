/*
 * secvf baseline capture|check: post-incident host baseline checks.
 */
#include "cli.h"

#include "lib/diag.h"
#include "forensics/casedb.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/timefmt.h"
#include "playbooks/baseline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAPTURE_MAX (64u << 20)

static const char capture_usage[] =
	"usage: secvf baseline capture [--out FILE] [--root DIR]\n"
	"                              [--family linux|macos] [--json]\n"
	"\n"
	"Record what the comparison checks need (listening sockets, loaded\n"
	"modules, SSH authorized_keys hashes, SUID files, systemd units; on\n"
	"macOS launch items and kexts) on a known-good host.  Default file:\n"
	"$SECVF_HOME/baselines/host-TIMESTAMP.json, also copied to\n"
	"baselines/latest.json, which 'check' uses by default.\n"
	"\n"
	"  --out FILE      write the capture there instead (no latest copy)\n"
	"  --root DIR      the system beneath DIR (a mounted disk); default /\n"
	"  --family NAME   linux or macos; default: decided from the root\n"
	"  --json          print the file name and set sizes as JSON\n";

static const char check_usage[] =
	"usage: secvf baseline check [--against FILE] [--root DIR]\n"
	"                            [--family linux|macos] [--case ID]\n"
	"                            [--json]\n"
	"\n"
	"Run the host baseline checks and print one verdict per check\n"
	"(pass, fail, unknown, skipped), what was observed and why.  The\n"
	"comparison checks use --against FILE, else the latest capture;\n"
	"without one they are skipped.  The result is also written to\n"
	"$SECVF_HOME/baselines/check-TIMESTAMP.json and last-check.json\n"
	"and recorded in the case database (attached to the case given\n"
	"with --case); triage puts the last check into its bundle.\n"
	"Exits 4 when any check failed.\n"
	"\n"
	"  --against FILE  the capture to compare with\n"
	"  --root DIR      the system beneath DIR (a mounted disk); default /\n"
	"  --family NAME   linux or macos; default: decided from the root\n"
	"  --case ID       attach the result to this case\n"
	"  --json          print the result as JSON\n";

const char baseline_usage[] =
	"usage: secvf baseline capture|check [options]\n"
	"\n"
	"Post-incident host baseline checks.\n"
	"\n"
	"  capture   record the state the comparison checks need\n"
	"  check     run the checks and print a verdict for each\n"
	"\n"
	"Run 'secvf help baseline SUBCOMMAND' for its options.\n";

struct bl_opts {
	const char *out;     /* capture --out, check --against */
	const char *root;
	enum baseline_family family;
	int64_t case_id;     /* check --case; 0 for none */
};

static int
parse_opts(const char *name, const char *file_opt, int argc, char **argv,
	   struct bl_opts *o)
{
	const struct option opts[] = {
		{file_opt, required_argument, NULL, 'o'},
		{"root", required_argument, NULL, 'r'},
		{"family", required_argument, NULL, 'f'},
		{"case", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int opt, rc;

	memset(o, 0, sizeof(*o));
	o->root = "/";
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': o->out = optarg; break;
		case 'r': o->root = optarg; break;
		case 'j': cli.json = 1; break;
		case 'c':
			if (strcmp(file_opt, "against"))
				return cli_usage_error(name, "bad option");
			rc = cli_parse_case_id(name, optarg, &o->case_id);
			if (rc != EXIT_OK)
				return rc;
			break;
		case 'f':
			if (baseline_family_parse(optarg, &o->family) < 0)
				return cli_usage_error(name, "%s", err_msg());
			break;
		default: return cli_usage_error(name, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(name, "unexpected argument '%s'",
				       argv[optind]);
	return EXIT_OK;
}

/* Serialise and write atomically with mode 0600. */
static int
write_json(const char *path, json_t *value)
{
	char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	int rc;

	if (!text)
		return err_set("out of memory writing '%s'", path);
	rc = file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

/* host-STAMP.json (or check-STAMP.json) and its fixed-name copy. */
static int
save_pair(const char *prefix, const char *fixed, json_t *value,
	  char path[PATH_BUF])
{
	char dir[PATH_BUF], copy[PATH_BUF], stamp[17];

	time_stamp(time_now_us(), stamp);
	if (home_subdir(dir, sizeof(dir), "baselines") < 0 ||
	    path_fmt(path, PATH_BUF, "%s/%s-%s.json", dir, prefix, stamp) < 0 ||
	    path_fmt(copy, sizeof(copy), "%s/%s", dir, fixed) < 0)
		return -1;
	if (write_json(path, value) < 0 || write_json(copy, value) < 0)
		return -1;
	return 0;
}

/* EXIT_NOT_FOUND when the last failure was a missing file. */
static int
errno_exit(void)
{
	return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_FAIL;
}

static void
print_capture(const char *path, json_t *cap)
{
	json_t *sets = json_object_get(cap, "sets"), *set, *counts;
	const char *key;

	if (cli.json) {
		counts = json_object();
		json_object_foreach(sets, key, set)
			json_object_set_new(counts, key,
					    json_integer((json_int_t)
						    json_array_size(set)));
		cli_print_json(json_pack("{s:s, s:o}", "path", path, "sets",
					 counts));
		return;
	}
	printf("captured baseline: %s\n", path);
	json_object_foreach(sets, key, set)
		printf("  %-16s %zu\n", key, json_array_size(set));
}

static int
baseline_capture_cmd(int argc, char **argv)
{
	char path[PATH_BUF];
	struct bl_opts o;
	json_t *cap;
	int rc;

	rc = parse_opts("baseline capture", "out", argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	cap = baseline_capture(o.root, o.family);
	if (!cap)
		return cli_fail_err(errno_exit(),
				    "cannot capture a baseline");

	if (o.out) {
		rc = path_fmt(path, sizeof(path), "%s", o.out);
		if (rc == 0)
			rc = write_json(path, cap);
	} else {
		rc = save_pair("host", "latest.json", cap, path);
	}
	if (rc < 0) {
		json_decref(cap);
		return cli_fail_err(EXIT_FAIL, "cannot save the baseline");
	}
	print_capture(path, cap);
	json_decref(cap);
	return EXIT_OK;
}

/* The capture to compare with: --against, else latest.json, else none. */
static int
load_against(const char *file, json_t **out, char path[PATH_BUF])
{
	char *text;
	size_t len;

	*out = NULL;
	if (file) {
		if (path_fmt(path, PATH_BUF, "%s", file) < 0)
			return EXIT_USAGE;
	} else if (home_path(path, PATH_BUF, "baselines/latest.json") < 0) {
		return cli_fail_err(EXIT_FAIL, NULL);
	} else if (access(path, F_OK) != 0) {
		path[0] = '\0';
		return EXIT_OK;
	}
	if (file_read_all(path, CAPTURE_MAX, &text, &len) < 0)
		return cli_fail_err(errno_exit(),
				    "cannot read the baseline");
	*out = json_loadb(text, len, 0, NULL);
	free(text);
	if (baseline_capture_valid(*out) < 0) {
		json_decref(*out);
		*out = NULL;
		return cli_fail(EXIT_FAIL, "'%s': %s", path, err_msg());
	}
	return EXIT_OK;
}

/* A capture of one root compared with another is usually a mistake. */
static void
warn_other_root(json_t *against, const char *root)
{
	const char *was = json_string_value(json_object_get(against, "root"));

	if (was && strcmp(was, root))
		diag_warn("comparing '%s' with a capture of '%s'", root, was);
}

static const char *
verdict_color(const char *v)
{
	if (!cli.color)
		return "";
	if (!strcmp(v, "pass"))
		return "\033[32m";
	if (!strcmp(v, "fail"))
		return "\033[1;31m";
	if (!strcmp(v, "unknown"))
		return "\033[33m";
	return "\033[2m";
}

static void
print_results(json_t *report, const char *saved)
{
	json_t *checks = json_object_get(report, "checks"), *r;
	size_t i;

	json_array_foreach(checks, i, r) {
		const char *v =
			json_string_value(json_object_get(r, "verdict"));
		const char *obs =
			json_string_value(json_object_get(r, "observed"));

		printf("%s%-7s%s  %-16s  %s\n", verdict_color(v), v,
		       cli_reset(),
		       json_string_value(json_object_get(r, "id")),
		       obs && *obs ? obs : "-");
		printf("%27s%s\n", "",
		       json_string_value(json_object_get(r, "why")));
	}
	printf("baseline: %d pass, %d fail, %d unknown, %d skipped (%s)\n",
	       baseline_count(checks, BASELINE_PASS),
	       baseline_count(checks, BASELINE_FAIL),
	       baseline_count(checks, BASELINE_UNKNOWN),
	       baseline_count(checks, BASELINE_SKIPPED), saved);
}

static json_t *
make_report(const struct bl_opts *o, const char *against, json_t *checks)
{
	char now[TIME_ISO_LEN];
	enum baseline_family f = o->family;

	if (f == BASELINE_AUTO)
		f = baseline_family_detect(o->root);
	time_iso(time_now_us(), now);
	return json_pack(
		"{s:s, s:i, s:s, s:s, s:s, s:s?, s:{s:i, s:i, s:i, s:i}, s:o}",
		"format", "secvf-baseline-check", "version", 1, "time", now,
		"root", o->root, "family", baseline_family_name(f), "against",
		against[0] ? against : NULL, "summary", "pass",
		baseline_count(checks, BASELINE_PASS), "fail",
		baseline_count(checks, BASELINE_FAIL), "unknown",
		baseline_count(checks, BASELINE_UNKNOWN), "skipped",
		baseline_count(checks, BASELINE_SKIPPED), "checks", checks);
}

/*
 * Keep the result in the case database too.  The files stay the
 * record when the database cannot be had: say so, do not fail.
 */
static void
record_result(const struct bl_opts *o, json_t *report)
{
	struct casedb *db = NULL;
	char *text = json_dumps(report, JSON_COMPACT | JSON_ENSURE_ASCII);
	int64_t id;

	if (!text || casedb_open(NULL, &db) < 0 ||
	    casedb_baseline_add(db, o->case_id, text, &id) < 0)
		fprintf(stderr, "secvf: baseline result not recorded in the "
				"case database: %s\n",
			text ? err_msg() : "out of memory");
	else
		json_object_set_new(report, "baseline_id", json_integer(id));
	casedb_close(db);
	free(text);
}

static int
baseline_check_cmd(int argc, char **argv)
{
	char against_path[PATH_BUF], saved[PATH_BUF];
	json_t *against, *checks, *report;
	struct bl_opts o;
	int rc, failed;

	rc = parse_opts("baseline check", "against", argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (o.case_id) {
		struct casedb *db;

		if ((rc = cli_open_case(o.case_id, &db)) != EXIT_OK)
			return rc;
		casedb_close(db);
	}
	rc = load_against(o.out, &against, against_path);
	if (rc != EXIT_OK)
		return rc;
	warn_other_root(against, o.root);

	checks = baseline_check(o.root, o.family, against);
	json_decref(against);
	if (!checks)
		return cli_fail_err(errno_exit(),
				    "cannot run the baseline checks");
	failed = baseline_count(checks, BASELINE_FAIL);
	report = make_report(&o, against_path, checks);
	if (!report)
		return cli_fail(EXIT_FAIL, "out of memory");

	record_result(&o, report);
	if (save_pair("check", "last-check.json", report, saved) < 0) {
		json_decref(report);
		return cli_fail_err(EXIT_FAIL, "cannot save the check result");
	}

	if (cli.json)
		cli_print_json(json_incref(report));
	else
		print_results(report, saved);
	json_decref(report);
	return failed ? EXIT_VERIFY : EXIT_OK;
}

int
cmd_baseline(int argc, char **argv)
{
	static const struct cli_cmd table[] = {
		{"capture", baseline_capture_cmd, "record a baseline",
		 capture_usage},
		{"check", baseline_check_cmd, "run the checks", check_usage},
		{NULL, NULL, NULL, NULL},
	};

	return cli_dispatch("baseline", table, baseline_usage, argc, argv);
}
