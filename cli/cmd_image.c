/*
 * secvf image: the cache of installation images and their digests.
 */
#include "cli.h"

#include "lib/err.h"
#include "lib/path.h"
#include "vmm/image.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

const char cmd_image_usage[] =
	"usage: secvf image SUBCOMMAND [ARGS]\n"
	"\n"
	"The cache of installation images in $SECVF_HOME/VMImages, each\n"
	"recorded with the SHA-256 it must hash to.\n"
	"\n"
	"  add FILE --sha256 HEX [--name NAME]   copy FILE into the cache\n"
	"  verify [NAME...]                      rehash cached images\n"
	"  list                                  list cached images\n";

static const char add_usage[] =
	"usage: secvf image add FILE --sha256 HEX [--name NAME] [--json]\n"
	"\n"
	"Copy FILE into the cache (a reflink where the filesystem can) as\n"
	"NAME (default: FILE's base name) and record HEX as its SHA-256.\n"
	"When the copy does not hash to HEX it is not kept, an iso-cache\n"
	"checksum.mismatch event is recorded, and the exit status is 4.\n";

static const char verify_usage[] =
	"usage: secvf image verify [NAME...] [--json]\n"
	"\n"
	"Rehash each cached image (all when no NAME is given).  Each one\n"
	"that no longer matches its recorded SHA-256 is reported, recorded\n"
	"as an iso-cache checksum.mismatch CRITICAL event, and makes the\n"
	"exit status 4.\n";

static const char list_usage[] =
	"usage: secvf image list [--json]\n"
	"\n"
	"List the cached images: name, size, SHA-256, when added.\n";

static int
image_add_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{"sha256", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *hex = NULL, *name = NULL;
	struct image_entry e;
	char got[SHA256_HEX], copy[PATH_BUF];
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': hex = optarg; break;
		case 'n': name = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(add_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("image add", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("image add", "want one FILE");
	if (!hex)
		return cli_usage_error("image add", "--sha256 is required");
	if (!name) {
		snprintf(copy, sizeof(copy), "%s", argv[optind]);
		name = basename(copy);
	}
	rc = image_add(argv[optind], hex, name, &e, got);
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, "image add");
	if (rc == IMAGE_MISMATCH)
		return cli_fail(EXIT_VERIFY,
				"image add: '%s' hashes to %s, not %s; not "
				"cached",
				argv[optind], got, hex);
	if (cli.json)
		cli_print_json(json_pack("{s:s, s:s, s:I}", "name", e.name,
					 "sha256", e.sha256, "size",
					 (json_int_t)e.size));
	else
		printf("cached %s (%llu bytes, sha256 %s)\n", e.name,
		       (unsigned long long)e.size, e.sha256);
	return EXIT_OK;
}

static int
verify_one(const struct image_entry *e, json_t *out)
{
	char got[SHA256_HEX];
	int rc = image_verify(e, got);

	if (rc < 0) {
		cli_fail_err(EXIT_FAIL, e->name);
		if (out)
			json_array_append_new(
				out, json_pack("{s:s, s:s}", "name", e->name,
					       "status", "error"));
		return EXIT_FAIL;
	}
	if (out)
		json_array_append_new(
			out, json_pack("{s:s, s:s, s:s, s:s}", "name", e->name,
				       "status", rc ? "mismatch" : "ok",
				       "expected", e->sha256, "got", got));
	else if (rc)
		printf("%s: MISMATCH expected %s got %s\n", e->name, e->sha256,
		       got);
	else
		printf("%s: OK\n", e->name);
	return rc ? EXIT_VERIFY : EXIT_OK;
}

/* The worst exit status wins: VERIFY over FAIL over OK. */
static int
worse(int a, int b)
{
	if (a == EXIT_VERIFY || b == EXIT_VERIFY)
		return EXIT_VERIFY;
	return a != EXIT_OK ? a : b;
}

static int
image_verify_cmd(int argc, char **argv)
{
	struct image_index idx;
	const struct image_entry *e;
	json_t *out = NULL;
	int rc = EXIT_OK, i, r;
	size_t k;

	r = cli_json_options("image verify", verify_usage, argc, argv);
	if (r >= 0)
		return r;
	if (image_index_load(&idx) < 0)
		return cli_fail_err(EXIT_FAIL, "image verify");
	for (i = optind; i < argc; i++)
		if (!image_find(&idx, argv[i])) {
			image_index_release(&idx);
			return cli_fail(EXIT_NOT_FOUND,
					"image verify: no cached image '%s'",
					argv[i]);
		}
	if (cli.json)
		out = json_array();
	for (k = 0; optind == argc && k < idx.n; k++)
		rc = worse(rc, verify_one(&idx.v[k], out));
	for (i = optind; i < argc; i++) {
		e = image_find(&idx, argv[i]);
		rc = worse(rc, verify_one(e, out));
	}
	if (out)
		cli_print_json(json_pack("{s:o}", "images", out));
	image_index_release(&idx);
	return rc;
}

static int
image_list_cmd(int argc, char **argv)
{
	struct image_index idx;
	json_t *out;
	size_t i;
	int r;

	if ((r = cli_json_options("image list", list_usage, argc, argv)) >= 0)
		return r;
	if (optind < argc)
		return cli_usage_error("image list", "unexpected argument '%s'",
				       argv[optind]);
	if (image_index_load(&idx) < 0)
		return cli_fail_err(EXIT_FAIL, "image list");
	if (cli.json) {
		out = json_array();
		for (i = 0; i < idx.n; i++)
			json_array_append_new(
				out, json_pack("{s:s, s:s, s:I, s:s}", "name",
					       idx.v[i].name, "sha256",
					       idx.v[i].sha256, "size",
					       (json_int_t)idx.v[i].size,
					       "added", idx.v[i].added));
		cli_print_json(json_pack("{s:o}", "images", out));
	} else {
		for (i = 0; i < idx.n; i++)
			printf("%-24s %12llu %s %s\n", idx.v[i].name,
			       (unsigned long long)idx.v[i].size,
			       idx.v[i].sha256, idx.v[i].added);
	}
	image_index_release(&idx);
	return EXIT_OK;
}

static const struct cli_cmd image_cmds[] = {
	{"add", image_add_cmd, "copy an image into the cache", add_usage},
	{"verify", image_verify_cmd, "rehash cached images", verify_usage},
	{"list", image_list_cmd, "list cached images", list_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_image(int argc, char **argv)
{
	return cli_dispatch("image", image_cmds, cmd_image_usage, argc, argv);
}
