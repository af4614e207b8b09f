/*
 * secvf custody: the chain of custody of a case.
 */
#include "cli.h"

#include "forensics/casedb.h"
#include "lib/err.h"
#include "lib/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CUSTODY_FILE_MAX (64 * 1024 * 1024)

static const char custody_log_usage[] =
	"usage: secvf custody log [--json] CASE\n"
	"\n"
	"Show the custody entries of a case.  With --json, print the\n"
	"canonical hash-chained lines themselves (custody.jsonl).\n";

static const char custody_verify_usage[] =
	"usage: secvf custody verify [--json] CASE\n"
	"\n"
	"Recompute every custody entry of a case from its fields and check\n"
	"its hash and its link to the entry before.  Exits 4 and names the\n"
	"first broken entry when the chain does not hold.\n";

static const char custody_check_usage[] =
	"usage: secvf custody check [--json] FILE\n"
	"\n"
	"Check a custody trail saved as JSON lines (the custody.jsonl of an\n"
	"incident bundle, or 'secvf --json custody log CASE'), without the\n"
	"database.  Exits 4 and names the first bad line when it does not\n"
	"hold; an edited line shows as a break at the line after it.\n";

static const char custody_usage[] =
	"usage: secvf custody SUBCOMMAND CASE\n"
	"\n"
	"The chain of custody of a case.\n"
	"\n"
	"Subcommands:\n"
	"  log CASE      show the custody entries\n"
	"  verify CASE   check the hash chain\n"
	"  check FILE    check a custody.jsonl without the database\n";

/* Parse --json and -h; -1 to go on, or an exit code. */
static int
custody_options(const char *prefix, const char *usage, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt == 'j') {
			cli.json = 1;
		} else if (opt == 'h') {
			fputs(usage, stdout);
			return EXIT_OK;
		} else {
			return cli_usage_error(prefix, "bad option");
		}
	}
	return -1;
}

/* Parse options and the one CASE operand; -1 to go on, or an exit code. */
static int
custody_args(const char *prefix, const char *usage, int argc, char **argv,
	     int64_t *case_id)
{
	int rc = custody_options(prefix, usage, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(prefix, "want one CASE id");
	rc = cli_parse_case_id(prefix, argv[optind], case_id);
	return rc == EXIT_OK ? -1 : rc;
}

static int
print_entry(int64_t seq, const char *line, const char *hash, void *arg)
{
	json_t *o;
	const char *note;

	if (cli.json) {
		puts(line);
		return 0;
	}
	o = json_loads(line, 0, NULL);
	note = json_string_value(json_object_get(o, "note"));
	printf("%-4lld %s  %-12s %-20s %.12s  %s\n", (long long)seq,
	       json_string_value(json_object_get(o, "ts")),
	       json_string_value(json_object_get(o, "action")),
	       json_string_value(json_object_get(o, "actor")), hash,
	       note ? note : "");
	json_decref(o);
	return 0;
}

static int
custody_log(int argc, char **argv)
{
	struct casedb *db;
	int64_t id;
	int rc;

	rc = custody_args("custody log", custody_log_usage, argc, argv, &id);
	if (rc >= 0)
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	rc = casedb_custody_foreach(db, id, print_entry, NULL);
	casedb_close(db);
	return rc < 0 ? cli_fail_err(EXIT_FAIL, NULL) : EXIT_OK;
}

static int
report_verify(int64_t id, int broken, int64_t bad, const char *head,
	      int64_t entries)
{
	if (cli.json) {
		cli_print_json(json_pack("{s:I, s:b, s:I, s:I, s:s}", "case",
					 (json_int_t)id, "ok", !broken,
					 "first_bad_seq", (json_int_t)bad,
					 "entries", (json_int_t)entries,
					 "head", head));
	} else if (broken) {
		printf("custody chain of case %lld: broken at seq %lld\n",
		       (long long)id, (long long)bad);
	} else {
		printf("custody chain of case %lld: ok, %lld entries, "
		       "head %s\n",
		       (long long)id, (long long)entries, head);
	}
	return broken ? EXIT_VERIFY : EXIT_OK;
}

static int
custody_verify(int argc, char **argv)
{
	struct casedb *db;
	char head[65];
	int64_t id, bad, next;
	int rc, broken;

	rc = custody_args("custody verify", custody_verify_usage, argc, argv,
			  &id);
	if (rc >= 0)
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	broken = casedb_custody_verify(db, id, &bad);
	if (broken >= 0 && casedb_custody_head(db, id, head, &next) < 0)
		broken = -1;
	casedb_close(db);
	if (broken < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	return report_verify(id, broken, bad, head, next - 1);
}

static int
custody_check(int argc, char **argv)
{
	char head[65];
	char *text;
	size_t len;
	int64_t bad;
	int rc, broken;

	rc = custody_options("custody check", custody_check_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error("custody check", "want one FILE");
	if (file_read_all(argv[optind], CUSTODY_FILE_MAX, &text, &len) < 0)
		return cli_fail_err(
			errno == ENOENT ? EXIT_NOT_FOUND : EXIT_FAIL, NULL);
	broken = custody_verify_lines(text, len, &bad, head);
	free(text);
	if (cli.json) {
		cli_print_json(json_pack("{s:s, s:b, s:I, s:s}", "file",
					 argv[optind], "ok", !broken,
					 "first_bad_line", (json_int_t)bad,
					 "head", head));
	} else if (broken) {
		printf("%s: broken at line %lld\n", argv[optind],
		       (long long)bad);
	} else {
		printf("%s: ok, head %s\n", argv[optind], head);
	}
	return broken ? EXIT_VERIFY : EXIT_OK;
}

static const struct cli_cmd custody_commands[] = {
	{"log", custody_log, "show the custody entries", custody_log_usage},
	{"verify", custody_verify, "check the hash chain",
	 custody_verify_usage},
	{"check", custody_check, "check a custody.jsonl", custody_check_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_custody(int argc, char **argv)
{
	return cli_dispatch("custody", custody_commands, custody_usage, argc,
			    argv);
}
