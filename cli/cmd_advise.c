/*
 * secvf advise EVENT | --log FILE: likely cause and action for events.
 */
#include "cli.h"

#include "lib/err.h"
#include "playbooks/advice.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char advise_usage[] =
	"usage: secvf advise [--severity LEVEL] [--json] SUBSYSTEM.EVENT\n"
	"       secvf advise --log FILE [--json]\n"
	"\n"
	"Print the likely cause of a security event and what to do, from the\n"
	"advice matrix (advice.yaml in the data directory: $SECVF_DATADIR,\n"
	"else the installed share/secvf).  EVENT is written\n"
	"fsevents.file.unexpected or fsevents/file.unexpected.  With --log,\n"
	"advise on each distinct event of a JSON-lines security log, with\n"
	"its count and highest severity.  Exits 3 when no row matches.\n"
	"\n"
	"  --severity LEVEL  INFO, WARNING, CRITICAL or EMERGENCY\n"
	"  --log FILE        a security log (logs/security-DATE.log)\n"
	"  --json            print JSON\n";

/* EXIT_NOT_FOUND when the last failure was a missing file. */
static int
errno_exit(void)
{
	return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_FAIL;
}

static void
print_row(const char *cause, const char *action)
{
	printf("  likely cause: %s\n  action:       %s\n", cause, action);
}

static int
advise_one(const struct advice *a, const char *text, const char *severity)
{
	char sub[ADVICE_NAME_MAX], event[ADVICE_NAME_MAX];
	const struct advice_row *r;

	if (advice_split_event(text, sub, event) < 0)
		return cli_usage_error("advise", "%s", err_msg());
	r = advice_lookup(a, severity, sub, event);

	if (cli.json) {
		cli_print_json(json_pack(
			"{s:s, s:s, s:s?, s:s?, s:s?, s:i}", "subsystem", sub,
			"event", event, "severity", severity, "likely_cause",
			r ? r->likely_cause : NULL, "action",
			r ? r->action : NULL, "line", r ? r->line : 0));
	} else if (r) {
		printf("%s%s.%s%s%s%s%s\n", cli_bold(), sub, event, cli_reset(),
		       severity ? " (" : "", severity ? severity : "",
		       severity ? ")" : "");
		print_row(r->likely_cause, r->action);
	} else {
		printf("no advice for %s.%s%s%s%s: no row of %s matches\n", sub,
		       event, severity ? " at " : "", severity ? severity : "",
		       severity ? "" : " (try --severity)", a->path);
	}
	return r ? EXIT_OK : EXIT_NOT_FOUND;
}

static const char *
str_of(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int
advise_log(const struct advice *a, const char *log)
{
	json_t *sum, *e;
	long skipped = 0;
	size_t i;

	sum = advice_log_summary(a, log, &skipped);
	if (!sum)
		return cli_fail_err(errno_exit(),
				    NULL);
	if (cli.json) {
		cli_print_json(json_pack("{s:s, s:i, s:o}", "log", log,
					 "skipped", (json_int_t)skipped,
					 "events", sum));
		return EXIT_OK;
	}
	if (!json_array_size(sum))
		printf("no security events in %s\n", log);
	json_array_foreach(sum, i, e) {
		const char *sev = str_of(e, "severity");
		json_t *cause = json_object_get(e, "likely_cause");
		long long n = json_integer_value(json_object_get(e, "count"));

		printf("%s%-9s%s %5lldx  %s.%s\n", cli_sev_color(sev), sev,
		       cli_reset(), n, str_of(e, "subsystem"),
		       str_of(e, "event"));
		if (json_is_string(cause))
			print_row(json_string_value(cause),
				  str_of(e, "action"));
		else
			printf("  no advice: no row of %s matches\n", a->path);
	}
	if (skipped)
		printf("%ld line%s skipped: not a security event\n", skipped,
		       skipped == 1 ? "" : "s");
	json_decref(sum);
	return EXIT_OK;
}

int
cmd_advise(int argc, char **argv)
{
	static const struct option opts[] = {
		{"severity", required_argument, NULL, 's'},
		{"log", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char severity[16] = "";
	const char *log = NULL;
	struct advice *a;
	int opt, rc;
	size_t i;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			for (i = 0; optarg[i] && i + 1 < sizeof(severity); i++)
				severity[i] = (char)toupper(
					(unsigned char)optarg[i]);
			severity[i] = '\0';
			if (advice_severity_rank(severity) < 0)
				return cli_usage_error(
					"advise", "unknown severity '%s'",
					optarg);
			break;
		case 'l': log = optarg; break;
		case 'j': cli.json = 1; break;
		case 'h': fputs(advise_usage, stdout); return EXIT_OK;
		default: return cli_usage_error("advise", "bad option");
		}
	}
	if (log ? optind != argc : optind + 1 != argc)
		return cli_usage_error("advise", log ? "--log takes no EVENT"
						     : "expected one EVENT");

	if (advice_load_default(&a) < 0)
		return cli_fail_err(errno == ENOENT ? EXIT_MISSING : EXIT_FAIL,
				    "cannot load the advice matrix");
	if (log)
		rc = advise_log(a, log);
	else
		rc = advise_one(a, argv[optind], severity[0] ? severity : NULL);
	advice_free(a);
	return rc;
}
