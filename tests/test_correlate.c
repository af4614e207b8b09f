#include "det_helpers.h"
#include "helpers.h"

#include "detect/correlate.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void fini(void);

TestSuite(correlate, .init = (void (*)(void))th_fresh_home, .fini = fini);

static struct det_config cfg;
static struct correlate corr;
static struct rec rec;

static void
fini(void)
{
	rec_release(&rec);
	th_remove_home();
}

static void
replay(const char *fixture)
{
	char *text = det_fixture(fixture, NULL), *line, *save = NULL;

	det_config_defaults(&cfg);
	rec_init(&rec);
	correlate_init(&corr, &cfg, &rec.sink);
	cr_assert_not_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *ev = json_loads(line, 0, NULL);
		enum ev_severity sev;

		cr_assert_not_null(ev, "%s", line);
		cr_assert_eq(
			ev_severity_parse(json_string_value(json_object_get(
						  ev, "severity")),
					  &sev),
			0);
		correlate_feed(
			&corr, json_string_value(json_object_get(ev, "vm")),
			sev,
			json_string_value(json_object_get(ev, "subsystem")),
			json_string_value(json_object_get(ev, "event")),
			1796324400000000LL +
				json_integer_value(json_object_get(ev, "t")) *
					1000000LL);
		json_decref(ev);
	}
	free(text);
}

Test(correlate, two_layers_raise_one_emergency_until_a_layer_joins)
{
	json_t *first, *events, *third;

	replay("corr-breach.jsonl");
	/* t=20: fsevents + virtiofs; t=25, t=30: the same events, quiet;
	 * t=32: another IPC event, the same layers, quiet;
	 * t=40: crashed joins, a new layer */
	cr_assert_eq(rec_count(&rec, NULL), 2, "%s", json_dumps(rec.events, 0));
	cr_assert_str_eq(rec_severity(&rec, "containment.breach-suspected"),
			 "EMERGENCY");
	first = json_object_get(json_array_get(rec.events, 0), "data");
	cr_assert_str_eq(json_string_value(json_object_get(first, "vm")),
			 "lab1");
	events = json_object_get(first, "events");
	cr_assert_eq(json_array_size(events), 2);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(events, 0), "ts")),
			 "2026-12-03T19:00:05.000000Z");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(events, 1), "layer")),
			 "ipc");
	third = json_object_get(json_array_get(rec.events, 1), "data");
	cr_assert_eq(json_array_size(json_object_get(third, "layers")), 3);
}

Test(correlate, one_layer_other_vms_and_old_events_stay_quiet)
{
	replay("corr-quiet.jsonl");
	cr_assert_eq(rec_count(&rec, NULL), 0, "%s", json_dumps(rec.events, 0));
}

Test(correlate, layers)
{
	cr_assert_str_eq(correlate_layer("vm-lifecycle"), "hypervisor");
	cr_assert_str_eq(correlate_layer("resource"), "hypervisor");
	cr_assert_str_eq(correlate_layer("network"), "network");
	cr_assert_str_eq(correlate_layer("fsevents"), "filesystem");
	cr_assert_str_eq(correlate_layer("usb"), "ipc");
	cr_assert_null(correlate_layer("containment"));
	cr_assert_null(correlate_layer(NULL));
	rec_init(&rec);
}

Test(correlate, same_set_again_after_the_window)
{
	det_config_defaults(&cfg);
	rec_init(&rec);
	correlate_init(&corr, &cfg, &rec.sink);
	correlate_feed(&corr, "v", EV_CRITICAL, "usb", "device.unexpected", 0);
	correlate_feed(&corr, "v", EV_EMERGENCY, "process", "child.unexpected",
		       1);
	correlate_feed(&corr, "v", EV_CRITICAL, "usb", "device.unexpected",
		       200000000);
	correlate_feed(&corr, "v", EV_EMERGENCY, "process", "child.unexpected",
		       200000001);
	cr_assert_eq(rec_count(&rec, NULL), 2);
}
