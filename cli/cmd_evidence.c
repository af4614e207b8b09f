/*
 * secvf evidence verify | seal | hash: incident bundles and image hashes.
 */
#include "cli.h"

#include "forensics/casedb.h"

#include "forensics/imghash.h"
#include "forensics/manifest.h"
#include "forensics/seal.h"
#include "forensics/sign.h"
#include "forensics/verify.h"
#include "lib/err.h"
#include "lib/timefmt.h"
#include "lib/path.h"

#include <errno.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char evidence_usage[] =
	"usage: secvf evidence verify BUNDLE [--key PUB] [--json]\n"
	"       secvf evidence seal -o BUNDLE [--key PRIV] "
	"[--passphrase-file FILE] DIR...\n"
	"       secvf evidence hash FILE [--json]\n"
	"       secvf evidence list [--case ID] [--json]\n"
	"\n"
	"Verify and seal signed incident bundles; hash disk images; list\n"
	"the evidence recorded in the case database.\n";

static const char list_usage[] =
	"usage: secvf evidence list [--case ID] [--json]\n"
	"\n"
	"List the evidence recorded in the case database (incident bundles\n"
	"sealed by triage and what was added by hand): id, case, kind,\n"
	"size, SHA-256 and path, for every case or for one.\n";

static const char verify_usage[] =
	"usage: secvf evidence verify BUNDLE [--key PUB] [--json]\n"
	"\n"
	"Check a bundle: its .sha256 sidecar when present, the signature of\n"
	"MANIFEST.sha256 (with PUB, else with the bundled signer.pub, whose\n"
	"fingerprint you must then compare with the published one), every\n"
	"member's SHA-256, missing and extra members, the custody chain and\n"
	"manifest.json's custody head.  Exit 4 when any check fails.\n";

static const char seal_usage[] =
	"usage: secvf evidence seal -o BUNDLE [--key PRIV] "
	"[--passphrase-file FILE] DIR...\n"
	"\n"
	"Seal the regular files beneath each DIR (as members named after\n"
	"DIR's last component) into BUNDLE (.tar.zst, .tar.gz or .tar),\n"
	"signed with the signing key.  Symlinks, FIFOs, devices and sockets\n"
	"are skipped, never read, and listed in skipped.tsv.\n";

static const char hash_usage[] =
	"usage: secvf evidence hash FILE [--json]\n"
	"\n"
	"Hash a disk image or memory dump as " IMGHASH_METHOD ": SHA-256\n"
	"over the SHA-256 digests of its 4 MiB chunks.  The same value:\n"
	"  split -b 4194304 --filter='openssl dgst -sha256 -binary' FILE |\n"
	"  sha256sum\n";

static const char *
sidecar_word(enum verify_sidecar s)
{
	switch (s) {
	case VERIFY_SIDECAR_MATCH: return "match";
	case VERIFY_SIDECAR_MISMATCH: return "mismatch";
	default: return "absent";
	}
}

static void
print_verify_json(const char *path, const struct verify_report *r)
{
	json_t *problems = json_array();
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		json_array_append_new(problems, json_string(r->problems[i]));
	cli_print_json(json_pack(
		"{s:s, s:b, s:s, s:s, s:b, s:s, s:s, s:I, s:b, s:I, s:s, s:o}",
		"bundle", path, "ok", r->ok, "sha256", r->sha256, "sidecar",
		sidecar_word(r->sidecar), "signature", r->signature_ok,
		"key", r->key_bundled ? "bundled" : "given", "fingerprint",
		r->fingerprint, "members", (json_int_t)r->members, "custody",
		r->custody, "custody_lines", (json_int_t)r->custody_lines,
		"custody_head", r->custody_head, "problems", problems));
}

static void
print_verify_text(const char *path, const struct verify_report *r)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		fprintf(stderr, "secvf: %s\n", r->problems[i]);
	printf("bundle       %s\n", path);
	printf("sha256       %s (sidecar: %s)\n", r->sha256,
	       sidecar_word(r->sidecar));
	if (r->fingerprint[0])
		printf("signer       %s%s\n", r->fingerprint,
		       r->key_bundled ? " (the bundled signer.pub: trust "
					"rests on this fingerprint)" : "");
	printf("members      %zu\n", r->members);
	if (r->custody)
		printf("custody      %zu lines, head %s\n", r->custody_lines,
		       r->custody_head[0] ? r->custody_head : "(broken)");
	printf("%s%s%s\n", r->ok ? "" : cli_bold(),
	       r->ok ? "verified" : "FAILED", cli_reset());
}

static int
evidence_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct verify_report r;
	const char *key = NULL;
	struct stat st;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'k')
			key = optarg;
		else if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("evidence verify", "bad option");
	}
	if (argc - optind != 1)
		return cli_usage_error("evidence verify",
				       "expected one BUNDLE");
	if (stat(argv[optind], &st) < 0 && errno == ENOENT)
		return cli_fail(EXIT_NOT_FOUND, "no bundle '%s'",
				argv[optind]);

	if (verify_bundle(argv[optind], key, &r) < 0) {
		verify_report_release(&r);
		return cli_fail_err(EXIT_FAIL, NULL);
	}
	if (cli.json)
		print_verify_json(argv[optind], &r);
	else
		print_verify_text(argv[optind], &r);
	rc = r.ok ? EXIT_OK : EXIT_VERIFY;
	verify_report_release(&r);
	return rc;
}

static int
seal_dirs(struct seal *s, char **dirs, int n, struct seal_skips *skips)
{
	char copy[PATH_BUF];
	int i;

	for (i = 0; i < n; i++) {
		if (path_fmt(copy, sizeof(copy), "%s", dirs[i]) < 0 ||
		    seal_add_tree(s, basename(copy), dirs[i], skips) < 0)
			return -1;
	}
	return 0;
}

static void
print_seal(const char *out, const char *hex, size_t members,
	   const struct seal_skips *skips)
{
	json_t *list = json_array();
	char shown[1024];
	size_t i;

	for (i = 0; i < skips->n; i++) {
		if (!cli.json)
			fprintf(stderr, "secvf: skipped %s '%s'\n",
				skips->v[i].reason,
				manifest_display(skips->v[i].name, shown,
						 sizeof(shown)));
		json_array_append_new(list, json_pack("{s:s, s:s}", "name",
			skips->v[i].name, "reason", skips->v[i].reason));
	}
	if (cli.json) {
		cli_print_json(json_pack("{s:s, s:s, s:I, s:o}", "bundle", out,
					 "sha256", hex, "members",
					 (json_int_t)members, "skipped", list));
		return;
	}
	json_decref(list);
	printf("sealed       %s\nsha256       %s\nmembers      %zu\n", out,
	       hex, members);
}

static int
evidence_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"key", required_argument, NULL, 'k'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *key = NULL, *passfile = NULL;
	struct seal_skips skips = {NULL, 0};
	char pass[SIGN_PASS_MAX], hex[65];
	enum seal_compression comp;
	struct seal *s;
	size_t members;
	int opt, have, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'k': key = optarg; break;
		case 'p': passfile = optarg; break;
		case 'j': cli.json = 1; break;
		default: return cli_usage_error("evidence seal", "bad option");
		}
	}
	if (!out || optind >= argc)
		return cli_usage_error("evidence seal",
				       "expected -o BUNDLE and a DIR");
	if (seal_compression_for(out, &comp) < 0)
		return cli_fail_err(EXIT_USAGE, NULL);
	if (cli_passphrase(passfile, pass, sizeof(pass), &have) < 0 ||
	    seal_open(out, comp, &s) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);

	if (seal_dirs(s, argv + optind, argc - optind, &skips) < 0) {
		seal_abort(s);
		rc = cli_fail_err(EXIT_FAIL, NULL);
		goto out;
	}
	members = seal_members(s)->n;
	rc = seal_finish(s, key, have ? pass : NULL, hex);
	if (rc < 0) {
		rc = cli_fail_err(EXIT_FAIL, NULL);
		goto out;
	}
	print_seal(out, hex, members, &skips);
	rc = EXIT_OK;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	seal_skips_release(&skips);
	return rc;
}

static void
progress_bar(uint64_t done, uint64_t total, void *arg)
{
	int width = 40, fill = total ? (int)(done * 40 / total) : 40;

	fprintf(stderr, "\r[%.*s%*s] %3d%%", fill,
		"########################################", width - fill, "",
		total ? (int)(done * 100 / total) : 100);
	if (done == total)
		fputc('\n', stderr);
}

static int
evidence_hash(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int bar = isatty(STDERR_FILENO);
	uint64_t size;
	char hex[65];
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("evidence hash", "bad option");
	}
	if (argc - optind != 1)
		return cli_usage_error("evidence hash", "expected one FILE");
	if (access(argv[optind], F_OK) < 0 && errno == ENOENT)
		return cli_fail(EXIT_NOT_FOUND, "no file '%s'", argv[optind]);
	if (imghash_path(argv[optind], bar && !cli.json ? progress_bar : NULL,
			 NULL, hex, &size) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);

	if (cli.json)
		cli_print_json(json_pack("{s:s, s:s, s:s, s:I}", "file",
					 argv[optind], "method",
					 IMGHASH_METHOD, "sha256", hex, "size",
					 (json_int_t)size));
	else
		printf("%s  %s  %s\n", IMGHASH_METHOD, hex, argv[optind]);
	return EXIT_OK;
}

struct list_state {
	struct casedb *db;
	json_t *rows; /* NULL: print text */
	int64_t case_id;
};

static int
list_item(const struct casedb_evidence *ev, void *arg)
{
	struct list_state *st = arg;
	char when[TIME_ISO_LEN];

	time_iso(ev->added_us, when);
	if (st->rows) {
		json_array_append_new(
			st->rows,
			json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:s?}", "id",
				  (json_int_t)ev->id, "case",
				  (json_int_t)st->case_id, "added", when,
				  "kind", ev->kind, "path", ev->path, "size",
				  (json_int_t)ev->size, "sha256", ev->sha256));
		return 0;
	}
	printf("%-5lld %-5lld %.19s  %-16s %12lld  %.16s  %s\n",
	       (long long)ev->id, (long long)st->case_id, when, ev->kind,
	       (long long)ev->size, ev->sha256 ? ev->sha256 : "-", ev->path);
	return 0;
}

static int
list_case(const struct casedb_case *c, void *arg)
{
	struct list_state *st = arg;

	st->case_id = c->id;
	return casedb_evidence_foreach(st->db, c->id, list_item, st);
}

static int
evidence_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"case", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct list_state st = {0};
	int64_t case_id = 0;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			cli.json = 1;
		else if (opt != 'c')
			return cli_usage_error("evidence list", "bad option");
		else if ((rc = cli_parse_case_id("evidence list", optarg,
						 &case_id)) != EXIT_OK)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("evidence list",
				       "unexpected argument '%s'",
				       argv[optind]);
	rc = case_id ? cli_open_case(case_id, &st.db) : cli_open_casedb(&st.db);
	if (rc != EXIT_OK)
		return rc;

	if (cli.json)
		st.rows = json_array();
	else
		printf("%-5s %-5s %-20s %-16s %12s  %-16s  %s\n", "ID", "CASE",
		       "ADDED", "KIND", "SIZE", "SHA256", "PATH");
	if (casedb_case_foreach(st.db, case_id, list_case, &st) < 0) {
		json_decref(st.rows);
		casedb_close(st.db);
		return cli_fail_err(EXIT_FAIL, "cannot list the evidence");
	}
	if (st.rows)
		cli_print_json(st.rows);
	casedb_close(st.db);
	return EXIT_OK;
}

int
cmd_evidence(int argc, char **argv)
{
	static const struct cli_cmd subs[] = {
		{"verify", evidence_verify, "verify an incident bundle",
		 verify_usage},
		{"seal", evidence_seal, "seal directories into a bundle",
		 seal_usage},
		{"hash", evidence_hash, "chunked SHA-256 of an image",
		 hash_usage},
		{"list", evidence_list, "the evidence in the case database",
		 list_usage},
		{NULL, NULL, NULL, NULL},
	};

	return cli_dispatch("evidence", subs, evidence_usage, argc, argv);
}
