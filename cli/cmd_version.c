#include "cli.h"

#include <archive.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <string.h>
#include <zstd.h>

int
cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("version", "bad option");
	}
	if (optind < argc)
		return cli_usage_error("version", "unexpected argument '%s'",
				       argv[optind]);

	if (cli.json) {
		cli_print_json(json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s}", "secvf", SECVF_VERSION,
			"openssl", OPENSSL_VERSION_STR, "sqlite",
			sqlite3_libversion(), "libarchive",
			archive_version_string(), "zstd", ZSTD_versionString(),
			"jansson", JANSSON_VERSION));
		return EXIT_OK;
	}
	printf("secvf %s\n", SECVF_VERSION);
	return EXIT_OK;
}
