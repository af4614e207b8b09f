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

static const char custody_add_usage[] =
	"usage: secvf custody add CASE --action ACTION --evidence ID\n"
	"                         [--to WHO] [--note TEXT] [--json]\n"
	"\n"
	"Record what happened to an evidence item of a case, as the next\n"
	"entry of its hash-chained custody trail, signed with user@host.\n"
	"ACTION is transferred (with --to, who received it), accessed,\n"
	"verified or exported.  The evidence must belong to the case.\n";

static const char custody_usage[] =
	"usage: secvf custody SUBCOMMAND CASE\n"
	"\n"
	"The chain of custody of a case.\n"
	"\n"
	"Subcommands:\n"
	"  add CASE --action A --evidence ID [--to WHO] [--note TEXT]\n"
	"                record a transfer, access, verification or export\n"
	"  log CASE      show the custody entries\n"
	"  verify CASE   check the hash chain\n"
	"  check FILE    check a custody.jsonl without the database\n";

/* Parse options and the one CASE operand; -1 to go on, or an exit code. */
static int
custody_args(const char *prefix, const char *usage, int argc, char **argv,
	     int64_t *case_id)
{
	int rc = cli_json_options(prefix, usage, argc, argv);

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

	rc = cli_json_options("custody check", custody_check_usage, argc, argv);
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

struct add_args {
	const char *action;
	const char *to;
	const char *note;
	int64_t evidence;
};

static int
parse_action(const char *text, const char **out)
{
	static const char *const actions[] = {"transferred", "accessed",
					      "verified", "exported"};
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(text, actions[i])) {
			*out = actions[i];
			return EXIT_OK;
		}
	return cli_usage_error("custody add",
			       "bad --action '%s': want transferred, "
			       "accessed, verified or exported",
			       text);
}

static int
parse_evidence(const char *text, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (!*text || *end || errno || v < 1)
		return cli_usage_error("custody add", "bad evidence id '%s'",
				       text);
	*id = v;
	return EXIT_OK;
}

static int
add_options(int argc, char **argv, struct add_args *a)
{
	static const struct option opts[] = {
		{"action", required_argument, NULL, 'a'},
		{"evidence", required_argument, NULL, 'e'},
		{"to", required_argument, NULL, 't'},
		{"note", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt, rc = EXIT_OK;

	cli_getopt_reset();
	while (rc == EXIT_OK &&
	       (opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': rc = parse_action(optarg, &a->action); break;
		case 'e': rc = parse_evidence(optarg, &a->evidence); break;
		case 't': a->to = optarg; break;
		case 'n': a->note = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(custody_add_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("custody add", "bad option");
		}
	}
	if (rc != EXIT_OK)
		return rc;
	if (!a->action || !a->evidence)
		return cli_usage_error("custody add",
				       "want --action and --evidence");
	if (a->to && strcmp(a->action, "transferred"))
		return cli_usage_error("custody add",
				       "--to goes with --action transferred");
	if (argc - optind != 1)
		return cli_usage_error("custody add", "want one CASE id");
	return -1;
}

/* "to WHO: NOTE", "to WHO", "NOTE" or NULL, into buf. */
static const char *
add_note(const struct add_args *a, char *buf, size_t size)
{
	if (a->to && a->note)
		snprintf(buf, size, "to %s: %s", a->to, a->note);
	else if (a->to)
		snprintf(buf, size, "to %s", a->to);
	else if (a->note)
		snprintf(buf, size, "%s", a->note);
	else
		return NULL;
	return buf;
}

static int
custody_add(int argc, char **argv)
{
	char actor[CLI_ACTOR_MAX], note[4096], hash[65];
	struct add_args a = {0};
	struct custody_entry e;
	struct casedb *db;
	int64_t id;
	int rc;

	if ((rc = add_options(argc, argv, &a)) >= 0)
		return rc;
	if ((rc = cli_parse_case_id("custody add", argv[optind], &id)))
		return rc;
	if ((a.to && strlen(a.to) > 256) ||
	    (a.note && strlen(a.note) > sizeof(note) - 300))
		return cli_usage_error("custody add",
				       "--to or --note too long");
	if ((rc = cli_open_case(id, &db)))
		return rc;
	rc = casedb_evidence_in_case(db, id, a.evidence);
	if (rc != 1) {
		casedb_close(db);
		if (rc < 0)
			return cli_fail_err(EXIT_FAIL, NULL);
		return cli_fail(EXIT_NOT_FOUND,
				"case %lld has no evidence %lld",
				(long long)id, (long long)a.evidence);
	}

	cli_actor(actor, sizeof(actor));
	e = (struct custody_entry){.action = a.action, .actor = actor,
				   .evidence_id = a.evidence,
				   .note = add_note(&a, note, sizeof(note))};
	rc = casedb_custody_add(db, id, &e, hash);
	casedb_close(db);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, "cannot add custody entry");
	if (cli.json)
		cli_print_json(json_pack("{s:I, s:s, s:I, s:s}", "case",
					 (json_int_t)id, "action", a.action,
					 "evidence", (json_int_t)a.evidence,
					 "head", hash));
	else
		printf("case %lld: %s, evidence %lld, head %s\n",
		       (long long)id, a.action, (long long)a.evidence, hash);
	return EXIT_OK;
}

static const struct cli_cmd custody_commands[] = {
	{"add", custody_add, "record what happened to evidence",
	 custody_add_usage},
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
