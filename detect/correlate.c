#include "detect/correlate.h"

#include "lib/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
correlate_init(struct correlate *c, const struct det_config *cfg,
	       const struct det_sink *sink)
{
	memset(c, 0, sizeof(*c));
	c->window_us = cfg->correlation_window_us;
	c->sink = *sink;
}

const char *
correlate_layer(const char *subsystem)
{
	static const struct {
		const char *sub, *layer;
	} map[] = {
		{"vm-lifecycle", "hypervisor"},
		{"process", "hypervisor"},
		{"resource", "hypervisor"},
		{"network", "network"},
		{"fsevents", "filesystem"},
		{"vsock", "ipc"},
		{"virtiofs", "ipc"},
		{"usb", "ipc"},
	};
	size_t i;

	for (i = 0; subsystem && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].sub, subsystem))
			return map[i].layer;
	return NULL;
}

static void
prune(struct correlate *c, int64_t now_us)
{
	size_t i, kept = 0;

	for (i = 0; i < c->n_events; i++)
		if (now_us - c->events[i].ts_us <= c->window_us)
			c->events[kept++] = c->events[i];
	c->n_events = kept;

	for (i = kept = 0; i < c->n_raised; i++)
		if (now_us - c->raised[i].ts_us <= c->window_us)
			c->raised[kept++] = c->raised[i];
	c->n_raised = kept;
}

static void
remember(struct correlate *c, const char *vm, const char *subsystem,
	 const char *event, const char *layer, int64_t ts_us)
{
	struct corr_event *e;

	if (c->n_events == CORR_EVENTS) {
		memmove(&c->events[0], &c->events[1],
			sizeof(c->events[0]) * (CORR_EVENTS - 1));
		c->n_events--;
	}
	e = &c->events[c->n_events++];
	snprintf(e->vm, sizeof(e->vm), "%s", vm);
	snprintf(e->subsystem, sizeof(e->subsystem), "%s", subsystem);
	snprintf(e->event, sizeof(e->event), "%s", event);
	e->layer = layer;
	e->ts_us = ts_us;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The VM's events in the window: how many layers, and the key naming
 * them (the sorted distinct layers, comma-separated).  A breach is
 * raised again only when a layer joins, not for every further event
 * of the same layers.
 */
static int
vm_set(struct correlate *c, const char *vm, char *key, size_t size)
{
	const char *layers[4];
	size_t i, j, n_layers = 0, used = 0;

	for (i = 0; i < c->n_events; i++) {
		struct corr_event *e = &c->events[i];

		if (strcmp(e->vm, vm))
			continue;
		for (j = 0; j < n_layers && strcmp(layers[j], e->layer); j++)
			;
		if (j == n_layers && n_layers < 4)
			layers[n_layers++] = e->layer;
	}

	qsort(layers, n_layers, sizeof(layers[0]), cmp_str);
	key[0] = '\0';
	for (i = 0; i < n_layers && used < size; i++)
		used += (size_t)snprintf(key + used, size - used, "%s%s",
					 used ? "," : "", layers[i]);
	return (int)n_layers;
}

static int
already_raised(const struct correlate *c, const char *vm, const char *key)
{
	size_t i;

	for (i = 0; i < c->n_raised; i++)
		if (!strcmp(c->raised[i].vm, vm) &&
		    !strncmp(c->raised[i].key, key, CORR_KEY_MAX - 1))
			return 1;
	return 0;
}

static void
raise_breach(struct correlate *c, const char *vm, int64_t now_us)
{
	json_t *events = json_array(), *layers = json_array();
	char ts[TIME_ISO_LEN];
	size_t i, j;

	for (i = 0; i < c->n_events; i++) {
		struct corr_event *e = &c->events[i];
		int dup = 0;

		if (strcmp(e->vm, vm))
			continue;
		time_iso(e->ts_us, ts);
		json_array_append_new(
			events, json_pack("{s:s,s:s,s:s,s:s}", "subsystem",
					  e->subsystem, "event", e->event, "ts",
					  ts, "layer", e->layer));
		for (j = 0; j < json_array_size(layers); j++)
			dup |= !strcmp(
				json_string_value(json_array_get(layers, j)),
				e->layer);
		if (!dup)
			json_array_append_new(layers, json_string(e->layer));
	}
	det_emit(&c->sink, EV_EMERGENCY, "containment", "breach-suspected",
		 json_pack("{s:o,s:o,s:o}", "vm", det_str(vm), "layers", layers,
			   "events", events));
	(void)now_us;
}

void
correlate_feed(struct correlate *c, const char *vm, enum ev_severity sev,
	       const char *subsystem, const char *event, int64_t ts_us)
{
	const char *layer = correlate_layer(subsystem);
	char key[CORR_KEY_MAX];
	struct corr_raised *r;

	if (!vm || !layer || !event || sev < EV_CRITICAL)
		return;
	prune(c, ts_us);
	remember(c, vm, subsystem, event, layer, ts_us);
	if (vm_set(c, vm, key, sizeof(key)) < 2 || already_raised(c, vm, key))
		return;

	if (c->n_raised == CORR_RAISED) {
		memmove(&c->raised[0], &c->raised[1],
			sizeof(c->raised[0]) * (CORR_RAISED - 1));
		c->n_raised--;
	}
	r = &c->raised[c->n_raised++];
	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->ts_us = ts_us;
	raise_breach(c, vm, ts_us);
}
