#include "detect/usbdetect.h"

#include "lib/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB "usb"

static const char *const fields[] = {"vendor", "product", "class", "speed"};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

int
usbdetect_init(struct usbdetect *ud, const struct det_config *cfg,
	       const struct det_sink *sink, json_t *configured)
{
	memset(ud, 0, sizeof(*ud));
	ud->sink = *sink;
	ratelimit_init(&ud->rl, cfg->ratelimit_interval_us);
	if (configured && !json_is_array(configured))
		return err_set("configured USB devices must be a JSON array");
	ud->configured = configured ? json_incref(configured) : json_array();
	ud->devices = json_object();
	ud->reported = json_object();
	if (!ud->configured || !ud->devices || !ud->reported)
		return err_set("out of memory");
	return 0;
}

void
usbdetect_release(struct usbdetect *ud)
{
	json_decref(ud->configured);
	json_decref(ud->devices);
	json_decref(ud->reported);
	ud->configured = ud->devices = ud->reported = NULL;
}

static int
nonempty(const json_t *v)
{
	return json_is_string(v) && *json_string_value(v);
}

/* The key a device is known by; 0 when it has none. */
static int
device_key(const json_t *dev, char *key, size_t size)
{
	const json_t *id = json_object_get(dev, "id");
	const json_t *port = json_object_get(dev, "port");
	char *v, *p;
	int n;

	if (nonempty(id))
		n = snprintf(key, size, "id:%s", json_string_value(id));
	else if (nonempty(port))
		n = snprintf(key, size, "port:%s", json_string_value(port));
	else if (!json_object_get(dev, "vendor") &&
		 !json_object_get(dev, "product"))
		return 0;
	else {
		v = json_dumps(json_object_get(dev, "vendor"), JSON_ENCODE_ANY);
		p = json_dumps(json_object_get(dev, "product"),
			       JSON_ENCODE_ANY);
		n = snprintf(key, size, "vp:%s:%s", v ? v : "null",
			     p ? p : "null");
		free(v);
		free(p);
	}
	return n > 0 && (size_t)n < size;
}

static int
matches(const json_t *conf, const json_t *dev)
{
	const json_t *id = json_object_get(conf, "id");
	size_t i, given = 0;

	if (nonempty(id))
		return json_equal(id, json_object_get(dev, "id"));
	for (i = 0; i < N_FIELDS; i++) {
		json_t *want = json_object_get(conf, fields[i]);

		if (!want)
			continue;
		given++;
		if (!json_equal(want, json_object_get(dev, fields[i])))
			return 0;
	}
	return given > 0;
}

static int
configured(const struct usbdetect *ud, const json_t *dev)
{
	size_t i;
	json_t *conf;

	json_array_foreach(ud->configured, i,
			   conf) if (matches(conf, dev)) return 1;
	return 0;
}

static json_t *
descriptor(const json_t *dev)
{
	json_t *d = json_object();
	size_t i;

	for (i = 0; i < N_FIELDS; i++) {
		json_t *v = json_object_get(dev, fields[i]);

		json_object_set(d, fields[i], v ? v : json_null());
	}
	return d;
}

static void
check_descriptor(struct usbdetect *ud, const char *key, const json_t *dev,
		 int64_t now_us)
{
	json_t *now = descriptor(dev), *was = json_object_get(ud->devices, key);
	json_t *changes;
	size_t i;

	if (!was) {
		json_object_set_new(ud->devices, key, now);
		return;
	}
	changes = json_object();
	for (i = 0; i < N_FIELDS; i++) {
		json_t *a = json_object_get(was, fields[i]);
		json_t *b = json_object_get(now, fields[i]);

		if (!json_equal(a, b))
			json_object_set_new(
				changes, fields[i],
				json_pack("{s:O,s:O}", "old", a, "new", b));
	}
	if (json_object_size(changes))
		ratelimit_emit(&ud->rl, &ud->sink, now_us, key, EV_CRITICAL,
			       SUB, "descriptor.anomaly",
			       json_pack("{s:s,s:o}", "device", key, "changes",
					 changes));
	else
		json_decref(changes);
	json_object_set_new(ud->devices, key, now);
}

static void
check_device(struct usbdetect *ud, const json_t *dev, int64_t now_us)
{
	char key[256];

	if (!json_is_object(dev) || !device_key(dev, key, sizeof(key)))
		return;
	if (json_object_size(ud->devices) < 1024 ||
	    json_object_get(ud->devices, key))
		check_descriptor(ud, key, dev, now_us);
	if (configured(ud, dev) || json_object_get(ud->reported, key))
		return;

	json_object_set_new(ud->reported, key, json_true());
	ratelimit_emit(&ud->rl, &ud->sink, now_us, key, EV_CRITICAL, SUB,
		       "device.unexpected",
		       json_pack("{s:s,s:O}", "device", key, "descriptor",
				 (json_t *)dev));
}

void
usbdetect_feed(struct usbdetect *ud, const json_t *list, int64_t now_us)
{
	const json_t *ret = json_object_get(list, "return");
	json_t *dev;
	size_t i;

	if (json_is_array(ret))
		list = ret;
	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, dev) check_device(ud, dev, now_us);
}
