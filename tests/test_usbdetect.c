#include "det_helpers.h"
#include "helpers.h"

#include "detect/usbdetect.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void fini(void);

TestSuite(usbdetect, .init = (void (*)(void))th_fresh_home, .fini = fini);

static struct det_config cfg;
static struct usbdetect ud;
static struct rec rec;

static void
fini(void)
{
	usbdetect_release(&ud);
	rec_release(&rec);
	th_remove_home();
}

static void
start(void)
{
	char *text = det_fixture("usb-config.json", NULL);
	json_t *conf = json_loads(text, 0, NULL);

	cr_assert_not_null(conf);
	det_config_defaults(&cfg);
	rec_init(&rec);
	cr_assert_eq(usbdetect_init(&ud, &cfg, &rec.sink, conf), 0);
	json_decref(conf);
	free(text);
}

static void
replay(const char *fixture)
{
	char *text = det_fixture(fixture, NULL), *line, *save = NULL;
	int64_t t = 1000000;

	cr_assert_not_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *list = json_loads(line, 0, NULL);

		cr_assert_not_null(list, "%s", line);
		usbdetect_feed(&ud, list, t += 30000000);
		json_decref(list);
	}
	free(text);
}

Test(usbdetect, configured_devices_emit_nothing)
{
	start();
	replay("usb-session.jsonl");
	cr_assert_eq(rec_count(&rec, NULL), 0, "%s", json_dumps(rec.events, 0));
}

Test(usbdetect, descriptor_change_and_unexpected_device)
{
	json_t *changes;

	start();
	replay("usb-anomaly.jsonl");
	cr_assert_eq(rec_count(&rec, "usb.descriptor.anomaly"), 1, "%s",
		     json_dumps(rec.events, 0));
	cr_assert_eq(rec_count(&rec, "usb.device.unexpected"), 1);
	cr_assert_eq(rec_count(&rec, NULL), 2);
	cr_assert_str_eq(rec_severity(&rec, "usb.descriptor.anomaly"),
			 "CRITICAL");
	cr_assert_str_eq(rec_severity(&rec, "usb.device.unexpected"),
			 "CRITICAL");
	changes = json_object_get(
		json_object_get(rec_find(&rec, "usb.descriptor.anomaly"),
				"data"),
		"changes");
	cr_assert_eq(json_object_size(changes), 2);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(changes, "speed"), "new")),
			 "full");
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(rec_find(&rec, "usb.device.unexpected"),
					"data"),
			"device")),
		"port:3");
}

Test(usbdetect, no_configuration_means_every_device_is_unexpected)
{
	json_t *list = json_loads("[{\"port\":\"1\",\"vendor\":1,\"product\":2}"
				  ",{\"vendor\":3,\"product\":4}]",
				  0, NULL);

	det_config_defaults(&cfg);
	rec_init(&rec);
	cr_assert_eq(usbdetect_init(&ud, &cfg, &rec.sink, NULL), 0);
	usbdetect_feed(&ud, list, 1);
	usbdetect_feed(&ud, list, 2);
	cr_assert_eq(rec_count(&rec, "usb.device.unexpected"), 2);
	json_decref(list);
}

Test(usbdetect, junk_input_is_ignored_and_bad_config_refused)
{
	json_t *junk = json_loads("[1,\"x\",{},{\"return\":5}]", 0, NULL);
	json_t *obj = json_object();

	start();
	usbdetect_feed(&ud, junk, 1);
	usbdetect_feed(&ud, obj, 2);
	cr_assert_eq(rec_count(&rec, NULL), 0);
	usbdetect_release(&ud);
	cr_assert_eq(usbdetect_init(&ud, &cfg, &rec.sink, obj), -1);
	cr_assert(strstr(err_msg(), "must be a JSON array"));
	json_decref(junk);
	json_decref(obj);
}
