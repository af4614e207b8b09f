/*
 * secvf triage VM: pause, snapshot, dump, collect, hash, seal, record.
 */
#include "cli.h"

#include "forensics/sign.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "playbooks/triage.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char triage_usage[] =
	"usage: secvf triage VM [--case ID] [--no-memory] [--gzip]\n"
	"                    [--key FILE] [--passphrase-file FILE]\n"
	"                    [--artifacts FILE] [--json]\n"
	"\n"
	"Take a suspect VM to \"paused, evidence preserved, sealed and\n"
	"signed\" in one command: pause it (first, within milliseconds),\n"
	"clone its bundle copy-on-write as VM-incident-TIME, dump guest\n"
	"memory into the clone, collect logs, captures and host state,\n"
	"hash everything, and seal a signed bundle in\n"
	"$SECVF_HOME/incidents/ with a custody trail, recorded in the case\n"
	"database.  The VM is never resumed, stopped or deleted.\n"
	"\n"
	"  --case ID           add to this case (default: open a new one)\n"
	"  --no-memory         do not dump guest memory\n"
	"  --gzip              .tar.gz instead of .tar.zst\n"
	"  --key FILE          sign with this private key (default: the\n"
	"                      key in $SECVF_HOME/keys, made on first use)\n"
	"  --passphrase-file F the key's passphrase (or SECVF_KEY_PASSPHRASE)\n"
	"  --artifacts FILE    collect what this YAML list names instead of\n"
	"                      the shipped playbooks/artifacts.yaml\n"
	"  --json              print a summary of the manifest as JSON\n"
	"\n"
	"Exit status: 0 sealed and recorded (some steps may have failed:\n"
	"each is reported), 1 no bundle could be sealed, 3 no such VM,\n"
	"5 another triage of the VM is running, 8 sealed but not recorded\n"
	"in the case database (locked, damaged or unwritable: the reason\n"
	"is printed).\n";

struct ui_state {
	int tty;
	int bar_shown;
};

static void
ui_clear_bar(struct ui_state *u)
{
	if (u->bar_shown) {
		fputs("\r\033[K", stdout);
		u->bar_shown = 0;
	}
}

static void
ui_step_end(void *arg, const struct triage_step *s)
{
	struct ui_state *u = arg;

	if (cli.json)
		return;
	ui_clear_bar(u);
	printf("%s%-9s%s %8.3f s  %-7s %s\n", cli_bold(), s->name, cli_reset(),
	       (double)s->ns / 1e9, triage_outcome_name(s->outcome), s->note);
	fflush(stdout);
}

static void
ui_progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	struct ui_state *u = arg;
	int width = 30, filled;

	if (!u->tty || cli.json || total == 0)
		return;
	filled = (int)((double)done / (double)total * width);
	if (filled > width)
		filled = width;
	printf("\r\033[K  %-24.24s [%.*s%*s] %3d%%", what, filled,
	       "##############################", width - filled, "",
	       (int)((double)done * 100 / (double)total));
	fflush(stdout);
	u->bar_shown = 1;
}

static int
read_passphrase(const char *file, char **out)
{
	size_t len;

	if (sign_guard_process() < 0 ||
	    file_read_all(file, 4096, out, &len) < 0)
		return -1;
	while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	return 0;
}

static int
recorded(const struct triage_result *r)
{
	return r->steps[TRIAGE_RECORD].outcome == TRIAGE_DONE;
}

static json_t *
summary_json(const struct triage_result *r)
{
	json_t *s = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I}", "bundle",
			      r->bundle, "sha256", r->bundle_sha256,
			      "snapshot", r->snapshot, "case",
			      r->case_id ? json_integer(r->case_id)
					 : json_null(),
			      "initial_state", r->initial_state,
			      "pause_ms_from_start",
			      (json_int_t)r->pause_ms_from_start);

	json_object_set(s, "steps", json_object_get(r->manifest, "steps"));
	json_object_set(s, "memory", json_object_get(r->manifest, "memory"));
	json_object_set(s, "artifacts_missing",
			json_object_get(json_object_get(r->manifest,
							"artifacts"),
					"missing"));
	json_object_set_new(s, "database",
			    json_string(r->db_error[0] ? r->db_error : "ok"));
	json_object_set_new(s, "recorded", json_boolean(recorded(r)));
	json_object_set(s, "supervisor",
			json_object_get(r->manifest, "supervisor"));
	json_object_set_new(s, "key_created", json_boolean(r->key_created));
	return s;
}

static void
print_result(const struct triage_result *r)
{
	if (r->key_created)
		printf("made a signing key (%s); publish its fingerprint\n",
		       r->key_fingerprint);
	if (r->db_error[0])
		printf("case database unavailable: %s\n", r->db_error);
	if (!strcmp(r->supervisor, "missing"))
		printf("supervisor of the VM is missing: its boundaries were "
		       "not watched\n");
	printf("\nbundle   %s\nsha256   %s\n", r->bundle, r->bundle_sha256);
	if (r->snapshot[0])
		printf("snapshot %s\n", r->snapshot);
	if (r->case_id)
		printf("case     %lld\n", (long long)r->case_id);
	printf("\n%sVM paused, evidence preserved%s\n", cli_bold(),
	       cli_reset());
}

int
cmd_triage(int argc, char **argv)
{
	static const struct option opts[] = {
		{"case", required_argument, NULL, 'c'},
		{"no-memory", no_argument, NULL, 'm'},
		{"gzip", no_argument, NULL, 'g'},
		{"key", required_argument, NULL, 'k'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"artifacts", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ui_state ui = {.tty = cli.tty};
	struct triage_opts o = {.compression = SEAL_ZSTD};
	struct triage_result r;
	const char *passfile = NULL;
	char *pass = NULL, *end;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.case_id = strtoll(optarg, &end, 10);
			if (*end || o.case_id <= 0)
				return cli_usage_error(
					"triage", "bad case id '%s'", optarg);
			break;
		case 'm': o.no_memory = 1; break;
		case 'g': o.compression = SEAL_GZIP; break;
		case 'k': o.key_path = optarg; break;
		case 'p': passfile = optarg; break;
		case 'a': o.artifacts = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(triage_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("triage", "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("triage", "expected one VM name");
	if (passfile && read_passphrase(passfile, &pass) < 0)
		return cli_fail_err(EXIT_USAGE, "");
	o.vm = argv[optind];
	o.passphrase = pass ? pass : getenv("SECVF_KEY_PASSPHRASE");
	o.ui = (struct triage_ui){.step_end = ui_step_end,
				  .progress = ui_progress,
				  .arg = &ui};

	rc = triage_run(&o, &r);
	if (pass) {
		OPENSSL_cleanse(pass, strlen(pass));
		free(pass);
	}
	if (rc == TRIAGE_ENOVM)
		rc = cli_fail(EXIT_NOT_FOUND, "no VM named '%s'", o.vm);
	else if (rc == TRIAGE_EBUSY)
		rc = cli_fail_err(EXIT_BUSY, "");
	else if (rc < 0)
		rc = cli_fail_err(EXIT_FAIL, "triage sealed no bundle");
	else if (cli.json)
		cli_print_json(summary_json(&r));
	else
		print_result(&r);
	if (rc == 0 && !recorded(&r))
		rc = cli_fail(EXIT_PARTIAL,
			      "bundle '%s' is sealed but not recorded in the "
			      "case database: %s",
			      r.bundle,
			      r.db_error[0] ? r.db_error
					    : r.steps[TRIAGE_RECORD].note);
	triage_result_release(&r);
	return rc;
}
