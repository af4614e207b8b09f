/*
 * secvf COMMAND [SUBCOMMAND] [options]
 *
 * Global options come before the command; each command parses its own.
 */
#include "cli.h"

#include "lib/diag.h"
#include "lib/err.h"
#include "lib/home.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_help(int argc, char **argv);

static const char main_usage[] =
	"usage: secvf [-v | -q] [--json] [--no-color] COMMAND [ARGS]\n"
	"\n"
	"Containment-breakout detection and incident response for QEMU\n"
	"malware-analysis labs.\n"
	"\n"
	"Global options:\n"
	"  -v, --verbose   more diagnostics (repeat for debug)\n"
	"  -q, --quiet     errors only\n"
	"      --json      print data as JSON for scripts\n"
	"      --no-color  no colour (also when NO_COLOR is set)\n"
	"  -h, --help      this help\n"
	"      --version   print the version\n"
	"\n"
	"Commands:\n";

static const char help_usage[] =
	"usage: secvf help [COMMAND [SUBCOMMAND]]\n"
	"\n"
	"Show the help of a command.\n";

static const char vm_usage[] =
	"usage: secvf vm SUBCOMMAND [ARGS]\n"
	"\n"
	"Manage the lab's VMs: create, list, show, delete, snapshot.\n"
	"Run 'secvf vm --help' for the subcommands.\n";
static const char case_usage[] =
	"usage: secvf case SUBCOMMAND [ARGS]\n"
	"The case database: new, list, show, ingest, note.\n"
	"Run 'secvf case --help' for the subcommands.\n";

static const char custody_usage[] =
	"usage: secvf custody SUBCOMMAND CASE\n"
	"The chain of custody of a case: log, verify, check.\n"
	"Run 'secvf custody --help' for the subcommands.\n";

static const char version_usage[] =
	"usage: secvf version [--json]\n"
	"\n"
	"Print the version of secvf and of the libraries it was built with.\n";

static const char evidence_usage[] =
	"usage: secvf evidence verify | seal | hash ...\n"
	"\n"
	"Verify and seal signed incident bundles; hash disk images.\n"
	"Run 'secvf evidence --help' for the subcommands.\n";

static const char key_usage[] =
	"usage: secvf key generate | show ...\n"
	"\n"
	"The Ed25519 key that signs incident bundles.\n"
	"Run 'secvf key --help' for the subcommands.\n";

/* The one table of top-level commands. */
static const struct cli_cmd commands[] = {
	{"advise", cmd_advise, "likely cause and action for an event",
	 advise_usage},
	{"baseline", cmd_baseline, "post-incident host baseline checks",
	 baseline_usage},
	{"case", cmd_case, "cases, evidence and event ingestion", case_usage},
	{"custody", cmd_custody, "show and verify chains of custody",
	 custody_usage},
	{"doctor", cmd_doctor, "is this host ready for the lab", doctor_usage},
	{"events", cmd_events, "list and follow security events",
	 cmd_events_usage},
	{"evidence", cmd_evidence, "verify and seal incident bundles",
	 evidence_usage},
	{"help", cmd_help, "show the help of a command", help_usage},
	{"image", cmd_image, "cache installation images, verify them",
	 cmd_image_usage},
	{"key", cmd_key, "the evidence signing key", key_usage},
	{"log", cmd_log, "verify the event logs, record an event",
	 cmd_log_usage},
	{"net", cmd_net, "lab networks and their switches", cmd_net_usage},
	{"sigma", cmd_sigma, "check, test, export and watch Sigma rules",
	 cmd_sigma_usage},
	{"triage", cmd_triage, "pause, preserve, seal: one command",
	 triage_usage},
	{"version", cmd_version, "print the version", version_usage},
	{"vm", cmd_vm, "manage the lab's VMs", vm_usage},
	{"watch", cmd_watch, "the lab on one screen, live", watch_usage},
	{NULL, NULL, NULL, NULL},
};

static void
print_main_usage(FILE *f)
{
	const struct cli_cmd *c;

	fputs(main_usage, f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nEnvironment: SECVF_HOME (default ~/.avf), NO_COLOR.\n"
	      "Run 'secvf help COMMAND' for a command's options; exit codes\n"
	      "are listed in secvf(1).\n",
	      f);
}

static const struct cli_cmd *
find_command(const char *name)
{
	const struct cli_cmd *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int
cmd_help(int argc, char **argv)
{
	const struct cli_cmd *c;
	char *sub[3];

	if (argc < 2) {
		print_main_usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command '%s'", argv[1]);
	if (argc >= 3) {
		/* Let the command's dispatcher find the subcommand's help. */
		sub[0] = argv[1];
		sub[1] = "help";
		sub[2] = argv[2];
		return c->run(3, sub);
	}
	fputs(c->usage, stdout);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"json", no_argument, NULL, 'j'},
		{"no-color", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const struct cli_cmd *c;
	int level = DIAG_WARN;
	int no_color = 0;
	int opt;

	if (getuid() != geteuid() || getgid() != getegid()) {
		fputs("secvf: refusing to run setuid or setgid\n", stderr);
		return EXIT_FAIL;
	}

	cli.tty = isatty(STDOUT_FILENO);
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		no_color = 1;

	while ((opt = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
		switch (opt) {
		case 'v': level = level < DIAG_DEBUG ? level + 1 : level; break;
		case 'q': level = DIAG_ERROR; break;
		case 'j': cli.json = 1; break;
		case 'C': no_color = 1; break;
		case 'h': print_main_usage(stdout); return EXIT_OK;
		case 'V': return cmd_version(1, (char *[]){"version", NULL});
		default:
			fputs("Try 'secvf --help' for more information.\n",
			      stderr);
			return EXIT_USAGE;
		}
	}

	cli.color = cli.tty && !no_color;
	diag_set_level((enum diag_level)level);
	diag_set_color(!no_color && isatty(STDERR_FILENO));

	if (optind >= argc) {
		print_main_usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[optind]);
	if (!c) {
		fprintf(stderr, "secvf: unknown command '%s'\n"
				"Try 'secvf --help' for the list of commands.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return c->run(argc - optind, argv + optind);
}
