/*
 * secvf case: the case database.
 */
#include "cli.h"

#include "detect/evlog.h"
#include "forensics/casedb.h"
#include "forensics/caseuco.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char case_new_usage[] =
	"usage: secvf case new [--json] TITLE\n"
	"\n"
	"Open a new case and print its id.\n";

static const char case_list_usage[] =
	"usage: secvf case list [--json]\n"
	"\n"
	"List every case: id, status, creation time and title.\n";

static const char case_show_usage[] =
	"usage: secvf case show [--json] ID\n"
	"\n"
	"Show a case: its fields, how many evidence items, custody entries\n"
	"and notes it has, and its evidence.\n";

static const char case_ingest_usage[] =
	"usage: secvf case ingest [--json] [FILE...]\n"
	"\n"
	"Ingest security event logs into the case database, by default\n"
	"every $SECVF_HOME/logs/security-*.log.  Lines already ingested are\n"
	"skipped, so running it again adds only new events; malformed and\n"
	"over-long lines are skipped and counted.\n";

static const char case_note_usage[] =
	"usage: secvf case note ID TEXT\n"
	"\n"
	"Add a note to a case, signed with user@host.\n";

static const char case_close_usage[] =
	"usage: secvf case close ID\n"
	"                        [--resolution benign|suspicious|confirmed]\n"
	"\n"
	"Close a case with the outcome of the response procedure: benign (a\n"
	"cause was found and fixed), suspicious (the indicator stays\n"
	"unexplained: keep the snapshot and the bundle) or confirmed (a\n"
	"boundary break: treat the host as compromised).  The default is\n"
	"suspicious, the outcome that keeps everything.\n";

static const char case_timeline_usage[] =
	"usage: secvf case timeline [--json] ID\n"
	"\n"
	"The events attached to a case, its custody entries, evidence and\n"
	"notes merged in time order, one line each: time, kind, summary.\n";

static const char case_attach_usage[] =
	"usage: secvf case attach ID --events-since TIME [--vm NAME]\n"
	"\n"
	"Ingest the security logs (lines already ingested are skipped), then\n"
	"attach to the case every event from TIME on (ISO-8601 UTC or a span\n"
	"back from now: 90s, 2h, 7d), only those of VM NAME with --vm.\n"
	"Attaching an event twice does nothing.\n";

static const char case_export_usage[] =
	"usage: secvf case export ID --format case-uco [-o FILE]\n"
	"\n"
	"Write the case as CASE/UCO JSON-LD: one InvestigativeAction per\n"
	"custody entry (with its ProvenanceRecord), each evidence item with\n"
	"its SHA-256, secvf as the instrument.  To stdout, or atomically to\n"
	"FILE with -o.\n";

static const char case_usage[] =
	"usage: secvf case SUBCOMMAND [ARGS]\n"
	"\n"
	"The case database ($SECVF_HOME/cases.db).\n"
	"\n"
	"Subcommands:\n"
	"  new TITLE        open a case, print its id\n"
	"  list             list the cases\n"
	"  show ID          show a case and its evidence\n"
	"  ingest [FILE...] ingest security event logs\n"
	"  note ID TEXT     add a note to a case\n"
	"  close ID [--resolution R]\n"
	"                   close a case: benign, suspicious or confirmed\n"
	"  timeline ID      events, custody, evidence and notes in order\n"
	"  attach ID --events-since TIME [--vm NAME]\n"
	"                   attach ingested events to a case\n"
	"  export ID --format case-uco [-o FILE]\n"
	"                   the case as CASE/UCO JSON-LD\n";

int
cli_parse_case_id(const char *prefix, const char *text, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (!*text || *end || errno || v < 1)
		return cli_usage_error(prefix, "bad case id '%s'", text);
	*id = v;
	return EXIT_OK;
}

void
cli_actor(char *buf, size_t size)
{
	struct passwd *pw = getpwuid(geteuid());
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, size, "%s@%s", pw ? pw->pw_name : "unknown", host);
}

int
cli_open_casedb(struct casedb **db)
{
	if (casedb_open(NULL, db) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	return EXIT_OK;
}

int
cli_open_case(int64_t case_id, struct casedb **db)
{
	int found;

	if (cli_open_casedb(db) != EXIT_OK)
		return EXIT_FAIL;
	found = casedb_case_exists(*db, case_id);
	if (found == 1)
		return EXIT_OK;
	casedb_close(*db);
	*db = NULL;
	if (found < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	return cli_fail(EXIT_NOT_FOUND, "no case %lld", (long long)case_id);
}

static int
case_new(int argc, char **argv)
{
	struct casedb *db;
	int64_t id;
	int rc;

	rc = cli_json_options("case new", case_new_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error("case new", "want one TITLE");
	if (cli_open_casedb(&db) != EXIT_OK)
		return EXIT_FAIL;
	if (casedb_case_new(db, argv[optind], &id) < 0) {
		casedb_close(db);
		return cli_fail_err(EXIT_FAIL, "cannot open a case");
	}
	casedb_close(db);
	if (cli.json)
		cli_print_json(json_pack("{s:I, s:s}", "id", (json_int_t)id,
					 "title", argv[optind]));
	else
		printf("%lld\n", (long long)id);
	return EXIT_OK;
}

static json_t *
case_json(const struct casedb_case *c)
{
	char created[TIME_ISO_LEN];

	time_iso(c->created_us, created);
	return json_pack("{s:I, s:s, s:s, s:s, s:s?}", "id",
			 (json_int_t)c->id, "title", c->title, "created",
			 created, "status", c->status, "resolution",
			 c->resolution);
}

static int
print_case_row(const struct casedb_case *c, void *arg)
{
	char created[TIME_ISO_LEN];

	if (cli.json) {
		cli_print_json(case_json(c));
		return 0;
	}
	time_iso(c->created_us, created);
	printf("%-5lld %-6s %.19sZ  %s\n", (long long)c->id, c->status,
	       created, c->title);
	return 0;
}

static int
case_list(int argc, char **argv)
{
	struct casedb *db;
	int rc;

	rc = cli_json_options("case list", case_list_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error("case list", "unexpected argument '%s'",
				       argv[optind]);
	if (cli_open_casedb(&db) != EXIT_OK)
		return EXIT_FAIL;
	if (!cli.json)
		printf("%-5s %-6s %-21s %s\n", "ID", "STATUS", "CREATED",
		       "TITLE");
	rc = casedb_case_foreach(db, 0, print_case_row, NULL);
	casedb_close(db);
	return rc < 0 ? cli_fail_err(EXIT_FAIL, NULL) : EXIT_OK;
}

static int
take_case(const struct casedb_case *c, void *arg)
{
	*(json_t **)arg = case_json(c);
	return 0;
}

static int
take_evidence(const struct casedb_evidence *ev, void *arg)
{
	char added[TIME_ISO_LEN];

	time_iso(ev->added_us, added);
	json_array_append_new(
		arg, json_pack("{s:I, s:s, s:s, s:s?, s:I, s:s}", "id",
			       (json_int_t)ev->id, "kind", ev->kind, "path",
			       ev->path, "sha256", ev->sha256, "size",
			       (json_int_t)ev->size, "added", added));
	return 0;
}

/* The case as one JSON object, with its counts and evidence. */
static int
case_collect(struct casedb *db, int64_t id, json_t **out)
{
	struct casedb_case_counts n;
	json_t *c = NULL, *evidence = json_array();

	*out = NULL;
	if (casedb_case_foreach(db, id, take_case, &c) < 0 ||
	    casedb_case_counts(db, id, &n) < 0 ||
	    casedb_evidence_foreach(db, id, take_evidence, evidence) < 0 ||
	    !c) {
		json_decref(c);
		json_decref(evidence);
		return -1;
	}
	json_object_set_new(c, "counts",
			    json_pack("{s:I, s:I, s:I}", "evidence",
				      (json_int_t)n.evidence, "custody",
				      (json_int_t)n.custody, "notes",
				      (json_int_t)n.notes));
	json_object_set_new(c, "evidence", evidence);
	*out = c;
	return 0;
}

static const char *
get_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long long
get_int(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void
print_case(json_t *c)
{
	json_t *counts = json_object_get(c, "counts"), *ev;
	size_t i;

	printf("%scase %lld%s: %s\n", cli_bold(), get_int(c, "id"),
	       cli_reset(), get_str(c, "title"));
	printf("status:     %s\n", get_str(c, "status"));
	printf("created:    %s\n", get_str(c, "created"));
	printf("resolution: %s\n", get_str(c, "resolution"));
	printf("evidence:   %lld\ncustody:    %lld\nnotes:      %lld\n",
	       get_int(counts, "evidence"), get_int(counts, "custody"),
	       get_int(counts, "notes"));
	json_array_foreach(json_object_get(c, "evidence"), i, ev)
		printf("  %-5lld %-10s %.16s %10lld  %s\n", get_int(ev, "id"),
		       get_str(ev, "kind"), get_str(ev, "sha256"),
		       get_int(ev, "size"), get_str(ev, "path"));
}

static int
case_show(int argc, char **argv)
{
	struct casedb *db;
	json_t *c;
	int64_t id;
	int rc;

	rc = cli_json_options("case show", case_show_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error("case show", "want one case ID");
	if ((rc = cli_parse_case_id("case show", argv[optind], &id)))
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	rc = case_collect(db, id, &c);
	casedb_close(db);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (cli.json) {
		cli_print_json(c);
	} else {
		print_case(c);
		json_decref(c);
	}
	return EXIT_OK;
}

static int
ingest_one(struct casedb *db, const char *path, int64_t *total)
{
	struct casedb_ingest_stats st;

	if (casedb_ingest_file_stats(db, path, &st) < 0) {
		cli_fail_err(EXIT_FAIL, NULL);
		return -1;
	}
	*total += st.added;
	if (cli.json) {
		cli_print_json(json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "file", path,
			"lines", (json_int_t)st.lines, "added",
			(json_int_t)st.added, "duplicate",
			(json_int_t)st.duplicate, "malformed",
			(json_int_t)st.malformed, "too_long",
			(json_int_t)st.too_long, "partial",
			(json_int_t)st.partial));
		return 0;
	}
	printf("%s: %lld added, %lld already there, %lld malformed, "
	       "%lld too long%s\n",
	       path, (long long)st.added, (long long)st.duplicate,
	       (long long)st.malformed, (long long)st.too_long,
	       st.partial ? ", an unfinished last line left for later" : "");
	return 0;
}

static int
ingest_files(struct casedb *db, char **files, size_t n)
{
	int64_t total = 0;
	int failed = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (ingest_one(db, files[i], &total) < 0)
			failed = 1;
	if (!cli.json && n != 1)
		printf("%lld events added from %zu files\n", (long long)total,
		       n);
	return failed ? EXIT_FAIL : EXIT_OK;
}

static int
ingest_default(struct casedb *db)
{
	char pattern[PATH_BUF];
	glob_t g;
	int rc;

	if (home_path(pattern, sizeof(pattern), "logs/security-*.log") < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		if (!cli.json)
			printf("no security logs in %s\n", pattern);
		return EXIT_OK;
	}
	if (rc != 0)
		return cli_fail(EXIT_FAIL, "cannot list '%s'", pattern);
	rc = ingest_files(db, g.gl_pathv, g.gl_pathc);
	globfree(&g);
	return rc;
}

static int
case_ingest(int argc, char **argv)
{
	struct casedb *db;
	int rc;

	rc = cli_json_options("case ingest", case_ingest_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (cli_open_casedb(&db) != EXIT_OK)
		return EXIT_FAIL;
	if (optind < argc)
		rc = ingest_files(db, argv + optind, (size_t)(argc - optind));
	else
		rc = ingest_default(db);
	casedb_close(db);
	return rc;
}

static int
case_note(int argc, char **argv)
{
	char actor[CLI_ACTOR_MAX];
	struct casedb *db;
	int64_t id, note;
	int rc;

	rc = cli_json_options("case note", case_note_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error("case note",
				       "want a case ID and a TEXT");
	if ((rc = cli_parse_case_id("case note", argv[optind], &id)))
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	cli_actor(actor, sizeof(actor));
	rc = casedb_note_add(db, id, actor, argv[optind + 1], &note);
	casedb_close(db);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, "cannot add note");
	if (cli.json)
		cli_print_json(json_pack("{s:I, s:I}", "case", (json_int_t)id,
					 "note", (json_int_t)note));
	return EXIT_OK;
}

static int
parse_resolution(const char *text, const char **out)
{
	static const char *const outcomes[] = {"benign", "suspicious",
					       "confirmed"};
	size_t i;

	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (!strcmp(text, outcomes[i])) {
			*out = outcomes[i];
			return EXIT_OK;
		}
	return cli_usage_error("case close",
			       "bad --resolution '%s': want benign, "
			       "suspicious or confirmed",
			       text);
}

static int
case_close(int argc, char **argv)
{
	static const struct option opts[] = {
		{"resolution", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *resolution = "suspicious";
	struct casedb *db;
	int64_t id;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if ((rc = parse_resolution(optarg, &resolution)))
				return rc;
			break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(case_close_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("case close", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("case close", "want one case ID");
	if ((rc = cli_parse_case_id("case close", argv[optind], &id)))
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	rc = casedb_case_close(db, id, resolution);
	casedb_close(db);
	if (rc < 0)
		return cli_fail_err(EXIT_STATE, "cannot close case");
	if (cli.json)
		cli_print_json(json_pack("{s:I, s:s, s:s}", "case",
					 (json_int_t)id, "status", "closed",
					 "resolution", resolution));
	else
		printf("case %lld closed: %s\n", (long long)id, resolution);
	return EXIT_OK;
}

static int
print_item(const struct casedb_item *it, void *arg)
{
	char ts[TIME_ISO_LEN];

	time_iso(it->ts_us, ts);
	if (cli.json) {
		json_array_append_new(
			arg, json_pack("{s:s, s:s, s:I, s:s, s:O}", "ts", ts,
				       "kind", casedb_item_kind_name(it->kind),
				       "id", (json_int_t)it->id, "summary",
				       it->summary, "detail", it->detail));
		return 0;
	}
	printf("%s  %-8s %s\n", ts, casedb_item_kind_name(it->kind),
	       it->summary);
	return 0;
}

static int
case_timeline(int argc, char **argv)
{
	struct casedb *db;
	json_t *items;
	int64_t id;
	int rc;

	rc = cli_json_options("case timeline", case_timeline_usage, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error("case timeline", "want one case ID");
	if ((rc = cli_parse_case_id("case timeline", argv[optind], &id)))
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;

	items = json_array();
	rc = casedb_timeline(db, id, print_item, items);
	casedb_close(db);
	if (rc < 0) {
		json_decref(items);
		return cli_fail_err(EXIT_FAIL, NULL);
	}
	if (cli.json)
		cli_print_json(json_pack("{s:I, s:o}", "case", (json_int_t)id,
					 "items", items));
	else
		json_decref(items);
	return EXIT_OK;
}

/* Ingest every security log, quietly; lines already there are skipped. */
static int
ingest_quiet(struct casedb *db, int64_t *added)
{
	char **paths;
	size_t n, i;
	int64_t one;
	int rc = 0;

	*added = 0;
	if (evlog_files(&paths, &n) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		rc = casedb_ingest_file(db, paths[i], &one);
		*added += one;
	}
	evlog_files_free(paths, n);
	return rc;
}

static int
attach_args(int argc, char **argv, const char **since, const char **vm)
{
	static const struct option opts[] = {
		{"events-since", required_argument, NULL, 's'},
		{"vm", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': *since = optarg; break;
		case 'm': *vm = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(case_attach_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("case attach", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("case attach", "want one case ID");
	if (!*since)
		return cli_usage_error("case attach", "want --events-since");
	if (*vm && evlog_check_vm(*vm) < 0)
		return cli_usage_error("case attach", "bad --vm: %s",
				       err_msg());
	return -1;
}

static int
case_attach(int argc, char **argv)
{
	const char *since = NULL, *vm = NULL;
	int64_t id, since_us, ingested = 0, linked = 0;
	struct casedb *db;
	int rc;

	if ((rc = attach_args(argc, argv, &since, &vm)) >= 0)
		return rc;
	if (time_parse(since, &since_us) < 0)
		return cli_usage_error("case attach", "bad --events-since: %s",
				       err_msg());
	if ((rc = cli_parse_case_id("case attach", argv[optind], &id)))
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	rc = ingest_quiet(db, &ingested);
	if (rc == 0)
		rc = casedb_case_attach_events(db, id, since_us, vm, &linked);
	casedb_close(db);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, "cannot attach events");
	if (cli.json)
		cli_print_json(json_pack("{s:I, s:I, s:I}", "case",
					 (json_int_t)id, "ingested",
					 (json_int_t)ingested, "linked",
					 (json_int_t)linked));
	else
		printf("case %lld: %lld events attached (%lld newly "
		       "ingested)\n",
		       (long long)id, (long long)linked, (long long)ingested);
	return EXIT_OK;
}

struct export_data {
	struct caseuco_case c;
	char title[1100], status[16], resolution[256];
	struct caseuco_evidence *ev;
	char **strings;
	size_t n, nstrings;
	char *custody;
	size_t custody_len;
	int failed;
};

static const char *
keep(struct export_data *x, const char *s)
{
	char **grown;

	if (!s)
		return NULL;
	grown = realloc(x->strings, (x->nstrings + 1) * sizeof(*grown));
	if (!grown || !(grown[x->nstrings] = strdup(s))) {
		if (grown)
			x->strings = grown;
		x->failed = 1;
		return NULL;
	}
	x->strings = grown;
	return x->strings[x->nstrings++];
}

static int
export_case(const struct casedb_case *c, void *arg)
{
	struct export_data *x = arg;

	snprintf(x->title, sizeof(x->title), "%s", c->title);
	snprintf(x->status, sizeof(x->status), "%s", c->status);
	snprintf(x->resolution, sizeof(x->resolution), "%s",
		 c->resolution ? c->resolution : "");
	x->c = (struct caseuco_case){.id = c->id, .title = x->title,
				     .status = x->status,
				     .resolution = c->resolution
							   ? x->resolution
							   : NULL};
	return 0;
}

static int
export_evidence(const struct casedb_evidence *e, void *arg)
{
	struct export_data *x = arg;
	struct caseuco_evidence *grown;

	grown = realloc(x->ev, (x->n + 1) * sizeof(*grown));
	if (!grown)
		return err_set("out of memory");
	x->ev = grown;
	x->ev[x->n++] = (struct caseuco_evidence){
		.id = e->id, .kind = keep(x, e->kind), .path = keep(x, e->path),
		.sha256 = keep(x, e->sha256), .size = e->size};
	return x->failed ? err_set("out of memory") : 0;
}

static int
export_custody(int64_t seq, const char *line, const char *hash, void *arg)
{
	struct export_data *x = arg;
	size_t n = strlen(line);
	char *grown = realloc(x->custody, x->custody_len + n + 2);

	if (!grown)
		return err_set("out of memory");
	x->custody = grown;
	memcpy(x->custody + x->custody_len, line, n);
	x->custody_len += n;
	x->custody[x->custody_len++] = '\n';
	x->custody[x->custody_len] = '\0';
	return 0;
}

static void
export_release(struct export_data *x)
{
	size_t i;

	for (i = 0; i < x->nstrings; i++)
		free(x->strings[i]);
	free(x->strings);
	free(x->ev);
	free(x->custody);
}

static int
export_args(int argc, char **argv, const char **out)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = NULL;
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': *out = optarg; break;
		case 'h': fputs(case_export_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("case export", "bad option");
		}
	}
	if (!format || strcmp(format, "case-uco"))
		return cli_usage_error("case export",
				       "want --format case-uco");
	if (argc - optind != 1)
		return cli_usage_error("case export", "want one case ID");
	return -1;
}

static int
export_write(json_t *doc, const char *out)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	size_t len;
	int rc = 0;

	if (!text)
		return cli_fail(EXIT_FAIL, "out of memory");
	len = strlen(text);
	text[len] = '\n'; /* over the NUL: written by length */
	if (out)
		rc = file_write_atomic(out, text, len + 1, 0644);
	else
		fwrite(text, 1, len + 1, stdout);
	free(text);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	return EXIT_OK;
}

static int
case_export(int argc, char **argv)
{
	struct export_data x = {0};
	const char *out = NULL;
	struct casedb *db;
	json_t *doc = NULL;
	int64_t id;
	int rc;

	if ((rc = export_args(argc, argv, &out)) >= 0)
		return rc;
	if ((rc = cli_parse_case_id("case export", argv[optind], &id)))
		return rc;
	if ((rc = cli_open_case(id, &db)))
		return rc;
	rc = casedb_case_foreach(db, id, export_case, &x);
	if (!rc)
		rc = casedb_evidence_foreach(db, id, export_evidence, &x);
	if (!rc)
		rc = casedb_custody_foreach(db, id, export_custody, &x);
	casedb_close(db);
	if (!rc)
		doc = caseuco_export(&x.c, x.ev, x.n, x.custody,
				     x.custody_len);
	export_release(&x);
	if (!doc)
		return cli_fail_err(EXIT_FAIL, "cannot export case");
	rc = export_write(doc, out);
	json_decref(doc);
	return rc;
}

static const struct cli_cmd case_commands[] = {
	{"new", case_new, "open a case", case_new_usage},
	{"list", case_list, "list the cases", case_list_usage},
	{"show", case_show, "show a case", case_show_usage},
	{"ingest", case_ingest, "ingest security logs", case_ingest_usage},
	{"note", case_note, "add a note to a case", case_note_usage},
	{"close", case_close, "close a case", case_close_usage},
	{"timeline", case_timeline, "a case in time order",
	 case_timeline_usage},
	{"attach", case_attach, "attach events to a case", case_attach_usage},
	{"export", case_export, "the case as CASE/UCO JSON-LD",
	 case_export_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_case(int argc, char **argv)
{
	return cli_dispatch("case", case_commands, case_usage, argc, argv);
}
