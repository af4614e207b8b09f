#include "cli.h"

#include "lib/err.h"

#include <stdarg.h>
#include <string.h>

struct cli_global cli;

int
cli_usage_error(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "secvf %s: ", prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'secvf help %s' for more information.\n",
		prefix);
	return EXIT_USAGE;
}

int
cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("secvf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int
cli_fail_err(int code, const char *what)
{
	if (what && *what)
		return cli_fail(code, "%s: %s", what, err_msg());
	return cli_fail(code, "%s", err_msg());
}

void
cli_getopt_reset(void)
{
	optind = 0;
	opterr = 1;
}

int
cli_json_options(const char *prefix, const char *usage, int argc,
		 char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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

void
cli_print_json(json_t *value)
{
	if (!value)
		return;
	json_dumpf(value, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(value);
}

const char *
cli_sev_color(const char *severity)
{
	if (!cli.color || !severity)
		return "";
	if (!strcmp(severity, "EMERGENCY"))
		return "\033[1;37;41m";
	if (!strcmp(severity, "CRITICAL"))
		return "\033[1;31m";
	if (!strcmp(severity, "WARNING"))
		return "\033[33m";
	return "\033[2m";
}

const char *
cli_reset(void)
{
	return cli.color ? "\033[0m" : "";
}

const char *
cli_bold(void)
{
	return cli.color ? "\033[1m" : "";
}

int
cli_dispatch(const char *prefix, const struct cli_cmd *table,
	     const char *usage, int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		if (argc >= 3 && !strcmp(argv[1], "help")) {
			for (c = table; c->name; c++)
				if (!strcmp(c->name, argv[2])) {
					fputs(c->usage, stdout);
					return EXIT_OK;
				}
		}
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}

	for (c = table; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			break;
	if (!c->name)
		return cli_usage_error(prefix, "unknown subcommand '%s'",
				       argv[1]);

	if (argc >= 3 && (!strcmp(argv[2], "-h") ||
			  !strcmp(argv[2], "--help"))) {
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	return c->run(argc - 1, argv + 1);
}
