#include "helpers.h"

#include "detect/dashboard.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(dashboard, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define MIN_US (60LL * 1000000)
/* 2026-12-03T19:00:00Z */
#define T0 1796324400000000LL

static void
feed(struct dash *d, int64_t ts_us, enum ev_severity sev, const char *sub,
     const char *event, const char *data)
{
	struct evlog_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_us = ts_us;
	time_iso(ts_us, ev.ts);
	ev.severity = sev;
	snprintf(ev.subsystem, sizeof(ev.subsystem), "%s", sub);
	snprintf(ev.event, sizeof(ev.event), "%s", event);
	snprintf(ev.vm, sizeof(ev.vm), "lab1");
	ev.data = data ? json_loads(data, 0, NULL) : json_object();
	cr_assert_not_null(ev.data);
	dash_feed(d, &ev);
	json_decref(ev.data);
}

static struct dash *
new_dash(int64_t window_us, int minutes, enum ev_severity min)
{
	struct dash *d = malloc(sizeof(*d));

	cr_assert_not_null(d);
	cr_assert_eq(dash_init(d, window_us, minutes, min), 0, "%s",
		     err_msg());
	return d;
}

static void
free_dash(struct dash *d)
{
	dash_release(d);
	free(d);
}

/* The line of the rendered screen holding needle, copied to out. */
static int
line_with(const char *screen, const char *needle, char *out, size_t size)
{
	const char *p = strstr(screen, needle), *start, *end;

	if (!p)
		return 0;
	for (start = p; start > screen && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	snprintf(out, size, "%.*s", (int)(end - start), start);
	return 1;
}

Test(dashboard, panels_alert_only_on_grave_events_of_their_layer)
{
	struct dash *d = new_dash(24 * 60 * MIN_US, 30, EV_CRITICAL);
	struct dash_counts c;

	feed(d, T0, EV_WARNING, "network", "switch.drop", NULL);
	feed(d, T0 + 1, EV_CRITICAL, "fsevents", "file.unexpected", NULL);
	feed(d, T0 + 2, EV_EMERGENCY, "vsock", "protocol.violation", NULL);
	feed(d, T0 + 3, EV_CRITICAL, "iso-cache", "checksum.mismatch", NULL);
	dash_counts(d, T0 + MIN_US, &c);
	cr_assert_eq(c.all[0], 0);
	cr_assert_eq(c.grave[0], 0);
	cr_assert_eq(c.all[1], 1);
	cr_assert_eq(c.grave[1], 0);
	cr_assert_eq(c.grave[2], 1);
	cr_assert_eq(c.grave[3], 1);
	cr_assert_eq(d->fed, 4);
	free_dash(d);
}

Test(dashboard, events_leave_the_window_as_time_passes)
{
	struct dash *d = new_dash(60 * MIN_US, 30, EV_CRITICAL);
	struct dash_counts c;

	feed(d, T0, EV_CRITICAL, "fsevents", "file.unexpected", NULL);
	dash_counts(d, T0 + 59 * MIN_US, &c);
	cr_assert_eq(c.grave[2], 1);
	dash_counts(d, T0 + 61 * MIN_US, &c);
	cr_assert_eq(c.grave[2], 0);
	/* A new minute reusing the old slot replaces it. */
	feed(d, T0 + 61 * MIN_US, EV_WARNING, "fsevents", "x", NULL);
	dash_counts(d, T0 + 61 * MIN_US, &c);
	cr_assert_eq(c.all[2], 1);
	cr_assert_eq(c.grave[2], 0);
	free_dash(d);
}

Test(dashboard, series_counts_per_minute_oldest_first)
{
	struct dash *d = new_dash(24 * 60 * MIN_US, 5, EV_CRITICAL);
	uint32_t v[5];

	feed(d, T0, EV_INFO, "network", "a", NULL);
	feed(d, T0 + 10, EV_INFO, "network", "a", NULL);
	feed(d, T0 + 3 * MIN_US, EV_INFO, "network", "a", NULL);
	dash_series(d, 1, T0 + 4 * MIN_US, v);
	cr_assert_eq(v[0], 2);
	cr_assert_eq(v[1], 0);
	cr_assert_eq(v[3], 1);
	cr_assert_eq(v[4], 0);
	free_dash(d);
}

Test(dashboard, tail_filter_never_hides_emergency)
{
	struct dash *d = new_dash(24 * 60 * MIN_US, 30, EV_EMERGENCY);
	char *screen;
	struct dash_style st = {.color = 0, .utf8 = 0};

	feed(d, T0, EV_CRITICAL, "fsevents", "file.unexpected", NULL);
	feed(d, T0 + 1, EV_EMERGENCY, "containment", "breach-suspected",
	     NULL);
	cr_assert_eq(d->tail_n, 1);
	screen = dash_render(d, T0 + MIN_US, 100, 30, &st);
	cr_assert_not_null(screen);
	cr_assert(strstr(screen, "breach-suspected"));
	cr_assert_null(strstr(screen, "file.unexpected"));
	free(screen);
	free_dash(d);

	d = new_dash(24 * 60 * MIN_US, 30, EV_WARNING);
	feed(d, T0, EV_INFO, "fsevents", "quiet", NULL);
	feed(d, T0, EV_WARNING, "fsevents", "loud", NULL);
	cr_assert_eq(d->tail_n, 1);
	free_dash(d);
}

Test(dashboard, render_colours_the_alerted_panel_red)
{
	struct dash *d = new_dash(24 * 60 * MIN_US, 30, EV_CRITICAL);
	struct dash_style st = {.color = 1, .utf8 = 1};
	char line[1024], *screen;

	feed(d, T0, EV_CRITICAL, "fsevents", "file.unexpected", NULL);
	dash_vm_add(d, "lab1", "running");
	dash_vm_add(d, "lab2", "crashed");
	screen = dash_render(d, T0 + MIN_US, 120, 30, &st);
	cr_assert_not_null(screen);
	cr_assert(line_with(screen, " filesystem ", line, sizeof(line)));
	cr_assert(strstr(line, "\033[1;97;41m"), "%s", line);
	cr_assert(strstr(line, "ALERT"));
	cr_assert(line_with(screen, " network ", line, sizeof(line)));
	cr_assert_null(strstr(line, "41m"), "%s", line);
	cr_assert(strstr(screen, "lab1"));
	cr_assert(strstr(screen, "crashed"));
	cr_assert(strstr(screen, "\u2588")); /* the series' glyph */
	cr_assert(strncmp(screen, "\033[H", 3) == 0);
	free(screen);
	free_dash(d);
}

Test(dashboard, render_without_colour_marks_alerts_and_fits_the_width)
{
	struct dash *d = new_dash(24 * 60 * MIN_US, 30, EV_CRITICAL);
	struct dash_style st = {.color = 0, .utf8 = 0};
	char *screen, *line, *save = NULL;
	int rows = 0;

	feed(d, T0, EV_CRITICAL, "fsevents", "file.unexpected",
	     "{\"path\":\"\\u001b]0;owned\\u0007 AAAAAAAAAAAAAAAAAAAAAAAAAA"
	     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
	screen = dash_render(d, T0 + MIN_US, 60, 20, &st);
	cr_assert_not_null(screen);
	cr_assert(strstr(screen, "ALERT    "));
	cr_assert(strstr(screen, "!!"));
	/* Only the cursor and line-clearing escapes, no guest bytes. */
	for (line = strtok_r(screen, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p, clean[512] = "";
		size_t n = 0;

		rows++;
		for (p = line; *p; p++) {
			if (*p == '\033') {
				p++;
				while (*p && !(*p >= 'A' && *p <= 'z' &&
					       *p != '['))
					p++;
				continue;
			}
			cr_assert_geq((unsigned char)*p, 0x20, "%s", line);
			cr_assert_lt((unsigned char)*p, 0x7f, "%s", line);
			clean[n++] = *p;
		}
		clean[n] = '\0';
		cr_assert_leq(strlen(clean), 60, "%s", clean);
	}
	cr_assert_eq(rows, 20);
	free(screen);
	free_dash(d);
}

Test(dashboard, summary_and_event_lines_are_one_safe_line)
{
	struct dash *d = new_dash(24 * 60 * MIN_US, 30, EV_CRITICAL);
	struct evlog_event ev;
	char *s;

	feed(d, T0, EV_CRITICAL, "fsevents", "file.unexpected", NULL);
	dash_vm_add(d, "lab1", "paused");
	s = dash_summary(d, T0 + MIN_US);
	cr_assert_not_null(s);
	cr_assert(strstr(s, "filesystem 1/1 ALERT"), "%s", s);
	cr_assert(strstr(s, "network 0/0;") || strstr(s, "network 0/0 "),
		  "%s", s);
	cr_assert(strstr(s, "lab1=paused"), "%s", s);
	cr_assert_null(strchr(s, '\n'));
	free(s);

	memset(&ev, 0, sizeof(ev));
	ev.ts_us = T0;
	time_iso(T0, ev.ts);
	ev.severity = EV_EMERGENCY;
	strcpy(ev.subsystem, "vsock");
	strcpy(ev.event, "message.oversized");
	ev.data = json_pack("{s:s}", "x", "\033[2J\n");
	s = dash_event_line(&ev);
	json_decref(ev.data);
	cr_assert_not_null(s);
	cr_assert(strstr(s, "EMERGENCY vsock message.oversized"), "%s", s);
	cr_assert_null(strchr(s, '\033'));
	cr_assert_null(strchr(s, '\n'));
	free(s);
	free_dash(d);
}

Test(dashboard, init_refuses_bad_windows)
{
	struct dash d;

	cr_assert_eq(dash_init(&d, 1000, 30, EV_CRITICAL), -1);
	dash_release(&d);
	cr_assert_eq(dash_init(&d, 365LL * 24 * 60 * MIN_US, 30, EV_CRITICAL),
		     -1);
	dash_release(&d);
	cr_assert_eq(dash_init(&d, 60 * MIN_US, 0, EV_CRITICAL), -1);
	dash_release(&d);
}
