/*
 * secvf doctor: is this host ready for the lab and for triage?
 */
#include "cli.h"

#include "lib/err.h"
#include "playbooks/doctor.h"

#include <string.h>

const char doctor_usage[] =
	"usage: secvf doctor [--json]\n"
	"\n"
	"Check that this host can run the lab and respond to an incident:\n"
	"QEMU, the accelerators (KVM or TCG only), virtiofsd, whether\n"
	"SECVF_HOME can reflink (copy-on-write snapshots), the signing key,\n"
	"the case database and the tools triage collects with.  Each check\n"
	"says ok, warn or fail, what it found and what to do.  Exit 1 when\n"
	"any check fails.\n";

static const char *
status_color(const char *status)
{
	if (!cli.color)
		return "";
	if (!strcmp(status, "fail"))
		return "\033[1;31m";
	if (!strcmp(status, "warn"))
		return "\033[33m";
	return "\033[32m";
}

int
cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	json_t *results, *r;
	size_t i;
	int opt, failed;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j')
			return cli_usage_error("doctor", "bad option");
		cli.json = 1;
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'",
				       argv[optind]);

	results = doctor_run();
	if (!results)
		return cli_fail_err(EXIT_FAIL, "doctor");
	failed = doctor_count(results, "fail");
	if (cli.json) {
		cli_print_json(results);
		return failed ? EXIT_FAIL : EXIT_OK;
	}
	json_array_foreach(results, i, r) {
		const char *status =
			json_string_value(json_object_get(r, "status"));

		printf("%s%-4s%s  %-16s %s\n", status_color(status), status,
		       cli_reset(),
		       json_string_value(json_object_get(r, "check")),
		       json_string_value(json_object_get(r, "detail")));
	}
	json_decref(results);
	return failed ? EXIT_FAIL : EXIT_OK;
}
