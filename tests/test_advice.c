#include "helpers.h"

#include "lib/datadir.h"
#include "lib/err.h"
#include "lib/path.h"
#include "playbooks/advice.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(advice, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define MATRIX SECVF_SRCDIR "/playbooks/advice.yaml"

static struct advice *
load_matrix(void)
{
	struct advice *a;

	cr_assert_eq(advice_load(MATRIX, &a), 0, "%s", err_msg());
	return a;
}

static struct advice *
load_text(const char *text)
{
	char path[PATH_BUF];
	struct advice *a;

	cr_assert_eq(th_write("m.yaml", text), 0);
	snprintf(path, sizeof(path), "%s/m.yaml", getenv("SECVF_HOME"));
	if (advice_load(path, &a) < 0) {
		cr_assert_null(a);
		return NULL;
	}
	return a;
}

Test(advice, upstream_matrix_rows_win_at_their_severity)
{
	struct advice *a = load_matrix();
	const struct advice_row *r;

	r = advice_lookup(a, "CRITICAL", "virtiofs", "symlink.escape-attempt");
	cr_assert(r && !strcmp(r->severity, "CRITICAL"));
	cr_assert(strstr(r->action, "pause, snapshot, investigate"));

	r = advice_lookup(a, "CRITICAL", "network",
			  "virtual-mode.unexpected-egress");
	cr_assert(r && strstr(r->action, "Pause the VM immediately"));

	r = advice_lookup(a, "WARNING", "network", "switch.drop");
	cr_assert(r && strstr(r->likely_cause, "capture queue"));

	r = advice_lookup(a, "CRITICAL", "iso-cache", "checksum.mismatch");
	cr_assert(r && strstr(r->action, "supply-chain"));

	r = advice_lookup(a, "WARNING", "suricata", "alert.c2");
	cr_assert(r && !strcmp(r->event, "alert*"));

	r = advice_lookup(a, "CRITICAL", "vm-lifecycle", "crashed");
	cr_assert(r && strstr(r->likely_cause, "0-day"));
	advice_free(a);
}

Test(advice, emergency_row_wins_for_any_event)
{
	struct advice *a = load_matrix();
	const struct advice_row *r;

	r = advice_lookup(a, "EMERGENCY", "vsock", "message.oversized");
	cr_assert(r && !strcmp(r->severity, "EMERGENCY"));
	cr_assert(strstr(r->action, "Full response procedure"));
	r = advice_lookup(a, "EMERGENCY", "frobnicator", "widget.spun");
	cr_assert(r && !strcmp(r->event, "*"));
	advice_free(a);
}

Test(advice, every_design_event_has_an_any_row)
{
	static const char *const events[] = {
		"vm-lifecycle.crashed", "vm-lifecycle.unexpected-stop",
		"vm-lifecycle.framework-error", "vm-lifecycle.guest-panic",
		"process.child.unexpected", "resource.exhaustion",
		"network.switch.drop", "network.virtual-mode.unexpected-egress",
		"network.mac-table.flap", "network.frame.malformed",
		"network.host-mac.impersonation", "network.dns.sinkhole-bypass",
		"network.gateway.flood", "fsevents.file.unexpected",
		"fsevents.nvram.mutation",
		"fsevents.bundle.deleted-while-running",
		"fsevents.disk-image.size-spike",
		"fsevents.permissions.changed",
		"fsevents.watch.overflow", "vsock.message.oversized",
		"vsock.protocol.violation", "vsock.port.unauthorized",
		"virtiofs.symlink.escape-attempt",
		"virtiofs.access.unauthorized", "virtiofs.mass-create",
		"usb.descriptor.anomaly", "usb.device.unexpected",
		"containment.breach-suspected", "sigma.rule.match",
		"iso-cache.checksum.mismatch", "ai-sandbox.session.orphan",
		"yara.rule.match",
	};
	char sub[ADVICE_NAME_MAX], ev[ADVICE_NAME_MAX];
	struct advice *a = load_matrix();
	const struct advice_row *r;
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		cr_assert_eq(advice_split_event(events[i], sub, ev), 0);
		r = advice_lookup(a, NULL, sub, ev);
		cr_assert(r, "no advice for %s", events[i]);
		cr_assert_str_eq(r->severity, "any");
		cr_assert_str_eq(r->subsystem, sub);
		cr_assert_str_eq(r->event, ev);
		/* At INFO the same row applies. */
		cr_assert_eq(advice_lookup(a, "INFO", sub, ev), r);
	}
	advice_free(a);
}

Test(advice, unknown_event_has_no_advice)
{
	struct advice *a = load_matrix();

	cr_assert_null(advice_lookup(a, NULL, "frobnicator", "widget.spun"));
	cr_assert_null(advice_lookup(a, "CRITICAL", "fsevents", "no.such"));
	advice_free(a);
}

Test(advice, split_event_accepts_dot_and_slash)
{
	char sub[ADVICE_NAME_MAX], ev[ADVICE_NAME_MAX];
	char long_name[300];

	cr_assert_eq(advice_split_event("fsevents.file.unexpected", sub, ev),
		     0);
	cr_assert_str_eq(sub, "fsevents");
	cr_assert_str_eq(ev, "file.unexpected");
	cr_assert_eq(advice_split_event("fsevents/file.unexpected", sub, ev),
		     0);
	cr_assert_str_eq(sub, "fsevents");
	cr_assert_str_eq(ev, "file.unexpected");
	cr_assert_eq(advice_split_event("fsevents", sub, ev), -1);
	cr_assert_eq(advice_split_event(".x", sub, ev), -1);
	cr_assert_eq(advice_split_event("x.", sub, ev), -1);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	long_name[5] = '.';
	cr_assert_eq(advice_split_event(long_name, sub, ev), -1);
}

Test(advice, specific_glob_beats_wildcard_and_earlier_row_breaks_ties)
{
	struct advice *a = load_text(
		"rules:\n"
		"  - {subsystem: any, event: '*', likely_cause: c0, "
		"action: a0}\n"
		"  - {subsystem: net, event: 'frame.*', likely_cause: c1, "
		"action: a1}\n"
		"  - {subsystem: net, event: 'frame.bad', likely_cause: c2, "
		"action: a2}\n"
		"  - {subsystem: net, event: 'frame.bad', likely_cause: c3, "
		"action: a3}\n");

	cr_assert(a, "%s", err_msg());
	cr_assert_str_eq(advice_lookup(a, NULL, "net", "frame.bad")->action,
			 "a2");
	cr_assert_str_eq(advice_lookup(a, NULL, "net", "frame.odd")->action,
			 "a1");
	cr_assert_str_eq(advice_lookup(a, NULL, "usb", "x")->action, "a0");
	cr_assert_eq(advice_lookup(a, NULL, "net", "frame.bad")->line, 4);
	advice_free(a);
}

Test(advice, bad_matrix_files_are_refused_with_a_line)
{
	cr_assert_null(load_text("rules:\n  - subsystem: a\n    event: b\n"
				 "    likely_cause: c\n    action: d\n"
				 "    colour: red\n"));
	cr_assert(strstr(err_msg(), "m.yaml:2: unknown key 'colour'"), "%s",
		  err_msg());

	cr_assert_null(load_text("rules:\n  - subsystem: a\n    event: b\n"));
	cr_assert(strstr(err_msg(), "needs subsystem, event"), "%s",
		  err_msg());

	cr_assert_null(load_text("rules:\n  - severity: LOUD\n    subsystem: a"
				 "\n    event: b\n    likely_cause: c\n"
				 "    action: d\n"));
	cr_assert(strstr(err_msg(), "unknown severity 'LOUD'"), "%s",
		  err_msg());

	cr_assert_null(load_text("- just a list\n"));
	cr_assert(strstr(err_msg(), "expected a mapping"), "%s", err_msg());

	cr_assert_null(load_text("rules: [unclosed\n"));
	cr_assert(strstr(err_msg(), "m.yaml:"), "%s", err_msg());

	cr_assert_null(load_text("rules: nope\n"));
	cr_assert(strstr(err_msg(), "'rules' must be a list"), "%s",
		  err_msg());
}

Test(advice, log_summary_counts_and_takes_highest_severity)
{
	struct advice *a = load_matrix();
	json_t *sum, *e;
	long skipped = -1;

	sum = advice_log_summary(a, th_fixture("advice/security.log"),
				 &skipped);
	cr_assert(sum, "%s", err_msg());
	cr_assert_eq(skipped, 1);
	cr_assert_eq(json_array_size(sum), 4);

	e = json_array_get(sum, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "event")),
			 "breach-suspected");
	cr_assert_str_eq(json_string_value(json_object_get(e, "severity")),
			 "EMERGENCY");

	e = json_array_get(sum, 1);
	cr_assert_str_eq(json_string_value(json_object_get(e, "subsystem")),
			 "fsevents");
	cr_assert_eq(json_integer_value(json_object_get(e, "count")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(e, "severity")),
			 "CRITICAL");
	cr_assert(strstr(json_string_value(json_object_get(e, "action")),
			 "Investigate"));

	e = json_array_get(sum, 3);
	cr_assert_str_eq(json_string_value(json_object_get(e, "subsystem")),
			 "frobnicator");
	cr_assert(json_is_null(json_object_get(e, "action")));
	json_decref(sum);

	cr_assert_null(advice_log_summary(a, "/nonexistent.log", NULL));
	cr_assert(strstr(err_msg(), "cannot open '/nonexistent.log'"));
	advice_free(a);
}

Test(advice, datadir_prefers_the_environment)
{
	char buf[PATH_BUF];

	setenv("SECVF_DATADIR", "/opt/secvf-data", 1);
	cr_assert_eq(datadir_path(buf, sizeof(buf), "advice.yaml"), 0);
	cr_assert_str_eq(buf, "/opt/secvf-data/advice.yaml");
	unsetenv("SECVF_DATADIR");
}

/* --- the command ------------------------------------------------------- */

Test(advice, command_prints_cause_and_action)
{
	char *out, *err;

	/* No SECVF_DATADIR: found next to the built binary. */
	unsetenv("SECVF_DATADIR");
	cr_assert_eq(th_secvf(&out, &err, "advise", "fsevents.file.unexpected",
			      NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "fsevents.file.unexpected\n"), "%s", out);
	cr_assert(strstr(out, "likely cause: an external process"), "%s",
		  out);
	cr_assert(strstr(out, "action:"), "%s", out);
	free(out);
	free(err);

	cr_assert_eq(th_secvf(&out, NULL, "advise", "--severity", "critical",
			      "virtiofs/symlink.escape-attempt", NULL),
		     0);
	cr_assert(strstr(out, "(CRITICAL)"), "%s", out);
	cr_assert(strstr(out, "Containment indicator"), "%s", out);
	free(out);
}

Test(advice, command_json)
{
	char *out;
	json_t *v;

	setenv("SECVF_DATADIR", SECVF_SRCDIR "/playbooks", 1);
	cr_assert_eq(th_secvf(&out, NULL, "--json", "advise", "--severity",
			      "EMERGENCY", "usb.device.unexpected", NULL),
		     0);
	v = json_loads(out, 0, NULL);
	cr_assert(v, "%s", out);
	cr_assert_str_eq(json_string_value(json_object_get(v, "severity")),
			 "EMERGENCY");
	cr_assert(strstr(json_string_value(json_object_get(v, "action")),
			 "Full response procedure"));
	json_decref(v);
	free(out);
}

Test(advice, command_unknown_event_says_no_advice)
{
	char *out, *err;

	setenv("SECVF_DATADIR", SECVF_SRCDIR "/playbooks", 1);
	cr_assert_eq(th_secvf(&out, &err, "advise", "frobnicator.widget.spun",
			      NULL),
		     3);
	cr_assert(strstr(out, "no advice for frobnicator.widget.spun"), "%s",
		  out);
	free(out);
	free(err);

	cr_assert_eq(th_secvf(NULL, &err, "advise", "nodot", NULL), 2);
	cr_assert(strstr(err, "'nodot' is not SUBSYSTEM.EVENT"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "advise", "--severity", "LOUD",
			      "a.b", NULL),
		     2);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "advise", NULL), 2);
	free(err);
}

Test(advice, command_log_summary)
{
	char *out, *err;

	setenv("SECVF_DATADIR", SECVF_SRCDIR "/playbooks", 1);
	cr_assert_eq(th_secvf(&out, &err, "advise", "--log",
			      th_fixture("advice/security.log"), NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "EMERGENCY     1x  containment.breach-suspected"),
		  "%s", out);
	cr_assert(strstr(out, "CRITICAL      3x  fsevents.file.unexpected"),
		  "%s", out);
	cr_assert(strstr(out, "no advice: no row of"), "%s", out);
	cr_assert(strstr(out, "1 line skipped"), "%s", out);
	free(out);
	free(err);

	cr_assert_eq(th_secvf(NULL, &err, "advise", "--log", "/nonexistent.log",
			      NULL),
		     3);
	cr_assert(strstr(err, "cannot open '/nonexistent.log'"), "%s", err);
	free(err);
}

Test(advice, command_missing_matrix_is_reported)
{
	char *err;

	setenv("SECVF_DATADIR", "/nonexistent/share", 1);
	cr_assert_eq(th_secvf(NULL, &err, "advise", "a.b", NULL), 7);
	cr_assert(strstr(err, "cannot load the advice matrix: cannot open "
			      "'/nonexistent/share/advice.yaml'"),
		  "%s", err);
	free(err);
}
