#include "helpers.h"

#include "detect/evlog.h"
#include "forensics/custody.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"
#include "playbooks/report.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(report, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define DAY_US (86400LL * 1000000)

static json_t *
fixture_manifest(void)
{
	json_error_t e;
	json_t *m = json_load_file(th_fixture("report/manifest.json"), 0, &e);

	cr_assert_not_null(m, "%s", e.text);
	return m;
}

/* A custody trail of two entries, the second with a hostile note. */
static char *
fixture_custody(size_t *len)
{
	struct custody_entry a = {1, 1796324410000000LL, "paused",
				  "root@ws1", 0, NULL, "done: paused"};
	struct custody_entry b = {2, 1796324412000000LL, "sealed",
				  "root@ws1", 0, NULL,
				  "<script>alert(\"c\")</script>\x01"};
	char prev[SHA256_HEX], *la, *lb, *all;

	la = custody_line(7, &a, custody_zero_hash);
	cr_assert_not_null(la, "%s", err_msg());
	sha256_hex_buf(la, strlen(la), prev);
	lb = custody_line(7, &b, prev);
	cr_assert_not_null(lb, "%s", err_msg());
	cr_assert(asprintf(&all, "%s\n%s\n", la, lb) > 0);
	free(la);
	free(lb);
	*len = strlen(all);
	return all;
}

static void
write_event(enum ev_severity sev, const char *sub, const char *event,
	    const char *vm, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);

	cr_assert_not_null(d);
	cr_assert_eq(evlog_write(sev, sub, event, vm, d), 0, "%s", err_msg());
	json_decref(d);
}

static json_t *
hostile_events(void)
{
	json_t *events;

	write_event(EV_CRITICAL, "fsevents", "file.unexpected", "lab1",
		    "{\"path\":\"</td><script>alert(1)</script>\\\"'\","
		    "\"ctl\":\"\\u0001\\u001b[2J\"}");
	write_event(EV_WARNING, "network", "switch.drop", "lab1", "{}");
	write_event(EV_EMERGENCY, "vsock", "protocol.violation", "lab2",
		    "{}");
	write_event(EV_INFO, "triage", "sealed", "lab1", "{}");
	events = report_events_load("lab1", time_now_us() + 1000000, DAY_US);
	cr_assert_not_null(events, "%s", err_msg());
	return events;
}

static char *
render(json_t *events)
{
	json_t *m = fixture_manifest();
	size_t clen, len;
	char *custody = fixture_custody(&clen), *html;

	html = report_html(m, custody, clen, events, &len);
	cr_assert_not_null(html, "%s", err_msg());
	cr_assert_eq(strlen(html), len);
	json_decref(m);
	free(custody);
	return html;
}

Test(report, loads_the_events_of_the_vm_within_the_window)
{
	json_t *events = hostile_events(), *old;

	cr_assert_eq(json_array_size(events), 3);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(events, 0), "severity")),
			 "CRITICAL");
	old = report_events_load("lab1", time_now_us() - 60 * 1000000,
				 DAY_US);
	cr_assert_eq(json_array_size(old), 0);
	json_decref(old);
	json_decref(events);
}

Test(report, keeps_the_latest_events_of_a_long_log)
{
	char name[32];
	json_t *events, *first, *last;
	int i;

	for (i = 0; i < REPORT_EVENTS_MAX + 500; i++) {
		snprintf(name, sizeof(name), "ev.n%d", i);
		cr_assert_eq(evlog_write(EV_INFO, "test", name,
					 i % 2 ? "lab1" : "lab2", NULL),
			     0, "%s", err_msg());
	}
	events = report_events_load("lab1", time_now_us() + 1000000, DAY_US);
	cr_assert_not_null(events, "%s", err_msg());
	cr_assert_eq(json_array_size(events), (REPORT_EVENTS_MAX + 500) / 2);
	first = json_array_get(events, 0);
	last = json_array_get(events, json_array_size(events) - 1);
	cr_assert_str_eq(json_string_value(json_object_get(first, "event")),
			 "ev.n1");
	cr_assert_str_eq(json_string_value(json_object_get(last, "event")),
			 "ev.n2499");
	json_decref(events);

	for (i = 0; i < REPORT_EVENTS_MAX; i++)
		cr_assert_eq(evlog_write(EV_INFO, "test", "late", "lab1",
					 NULL),
			     0);
	events = report_events_load("lab1", time_now_us() + 1000000, DAY_US);
	cr_assert_eq(json_array_size(events), REPORT_EVENTS_MAX);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(events, 0), "event")),
			 "late");
	json_decref(events);
}

Test(report, escapes_every_hostile_string)
{
	json_t *events = hostile_events();
	char *html = render(events);
	const char *p;

	cr_assert_null(strstr(html, "<script"), "a script tag got through");
	cr_assert_null(strstr(html, "<img"));
	cr_assert_null(strstr(html, "</td><script"));
	cr_assert(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	cr_assert(strstr(html, "lab1&quot;&gt;&lt;script&gt;alert(&#39;vm"));
	cr_assert(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
	cr_assert(strstr(html, "Investigate &amp; check"));
	/* Control bytes are shown, never sent. */
	cr_assert(strstr(html, "\\u0007\\u001b[31m"), "bell and escape");
	for (p = html; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 || *p == '\n',
			  "control byte 0x%02x at %td", (unsigned char)*p,
			  p - html);
	free(html);
	json_decref(events);
}

Test(report, is_self_contained)
{
	json_t *events = hostile_events();
	char *html = render(events);

	cr_assert(strstr(html, "default-src 'none'"));
	cr_assert(strstr(html, "@media print"));
	cr_assert_null(strstr(html, "http://"));
	cr_assert_null(strstr(html, "https://"));
	cr_assert_null(strstr(html, "url("));
	cr_assert_null(strstr(html, "@import"));
	cr_assert_null(strstr(html, "<link"));
	cr_assert_null(strstr(html, "<img"));
	free(html);
	json_decref(events);
}

Test(report, holds_every_section_and_the_panels_from_the_events)
{
	json_t *events = hostile_events();
	char *html = render(events);
	const char *ids[] = {"summary", "steps", "panels", "timeline",
			     "hashes", "custody", "advice"};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(want, sizeof(want), "id=\"%s\"", ids[i]);
		cr_assert(strstr(html, want), "no section %s", ids[i]);
	}
	cr_assert(strstr(html,
			 "class=\"panel alert\" id=\"panel-filesystem\""));
	cr_assert(strstr(html, "class=\"panel ok\" id=\"panel-network\""));
	/* lab2's EMERGENCY is another VM's: IPC stays green. */
	cr_assert(strstr(html, "class=\"panel ok\" id=\"panel-ipc\""));
	cr_assert(strstr(html, "Events before the pause (3)"));
	cr_assert(strstr(html, "4d3c2b1a00112233445566778899aabbccddeeff"));
	cr_assert(strstr(html, "5891994d5012b7aee1e384e5ac2705b6983999b1"));
	cr_assert(strstr(html, "<span class=\"badge failed\">failed"));
	cr_assert(strstr(html, "External process touched the bundle "
			       "&lt;Spotlight&gt;"));
	free(html);
	json_decref(events);
}

Test(report, renders_an_empty_manifest_without_crashing)
{
	json_t *m = json_object(), *events = json_array();
	size_t len;
	char *html = report_html(m, NULL, 0, events, &len);

	cr_assert_not_null(html);
	cr_assert(strstr(html, "No security events of this VM"));
	cr_assert(strstr(html, "</html>"));
	free(html);
	json_decref(m);
	json_decref(events);
}
