/*
 * dashboard: the model behind `secvf watch`, fed security events.
 *
 * Four panels, one per boundary layer (correlate_layer(): hypervisor,
 * network, filesystem, IPC), each counting the layer's events and its
 * CRITICAL and EMERGENCY events within a window (24 h by default); a
 * panel is in alert when that second count is not zero.  Beside each
 * panel a series of event counts per minute over the last minutes, the
 * VMs with their state (set by the caller), and a tail of the latest
 * events at or above a minimum severity (CRITICAL by default).  An
 * EMERGENCY event is never kept out of the tail, whatever the minimum.
 *
 * Counting is by whole minutes: an event counts while its minute is
 * newer than now minus the window.  The model reads no clock and no
 * file; the caller passes the time and the events, so it is tested on
 * fixed data.  Everything shown is printable ASCII (guest text in event
 * data has its control bytes replaced), plus the escapes of colour and
 * the series' block glyphs when asked for.
 */
#ifndef SECVF_DASHBOARD_H
#define SECVF_DASHBOARD_H

#include "detect/evlog.h"

#include <stddef.h>
#include <stdint.h>

#define DASH_LAYERS 4
#define DASH_TAIL 64	      /* events kept for the tail */
#define DASH_SERIES_MAX 240   /* minutes of the series at most */
#define DASH_WINDOW_MAX_MIN (31 * 24 * 60)
#define DASH_VMS_MAX 64
#define DASH_DATA_MAX 200     /* bytes of an event's data shown */

/* "hypervisor", "network", "filesystem", "ipc" by index. */
extern const char *const dash_layer_names[DASH_LAYERS];

struct dash_bucket {
	int64_t minute; /* minutes since the epoch; -1 when unused */
	uint32_t all[DASH_LAYERS];
	uint32_t grave[DASH_LAYERS]; /* CRITICAL and EMERGENCY */
};

struct dash_tail_event {
	char ts[TIME_ISO_LEN];
	int64_t ts_us;
	enum ev_severity severity;
	char subsystem[EVLOG_NAME_MAX + 1];
	char event[EVLOG_NAME_MAX + 1];
	char vm[EVLOG_VM_MAX + 1];
	char data[DASH_DATA_MAX + 1]; /* compact JSON, printable ASCII */
};

struct dash_vm {
	char name[EVLOG_VM_MAX + 1];
	char state[32];
};

struct dash {
	int64_t window_min;
	int series_min;
	enum ev_severity tail_min;
	struct dash_bucket *ring;
	size_t nring;
	struct dash_tail_event tail[DASH_TAIL];
	size_t tail_n;	  /* kept, at most DASH_TAIL */
	size_t tail_next; /* where the next one goes */
	int64_t fed;	  /* events fed, all layers or none */
	struct dash_vm vms[DASH_VMS_MAX];
	size_t nvms;
	size_t vms_more;  /* VMs beyond DASH_VMS_MAX, not shown */
};

/*
 * Set up d for a window of window_us (at least a minute, at most
 * DASH_WINDOW_MAX_MIN minutes), a series of series_min minutes (1 ..
 * DASH_SERIES_MAX) and a tail from tail_min up.  0, or -1 with
 * err_msg() set; release with dash_release() either way.
 */
int dash_init(struct dash *d, int64_t window_us, int series_min,
	      enum ev_severity tail_min);
void dash_release(struct dash *d);

/* Count one event and keep it for the tail when it is grave enough. */
void dash_feed(struct dash *d, const struct evlog_event *ev);

/* Forget the VMs, then add them one at a time (sorted by the caller). */
void dash_vms_clear(struct dash *d);
void dash_vm_add(struct dash *d, const char *name, const char *state);

struct dash_counts {
	int64_t all[DASH_LAYERS];
	int64_t grave[DASH_LAYERS];
};

/* The panels' counts within the window ending at now_us. */
void dash_counts(const struct dash *d, int64_t now_us, struct dash_counts *c);

/* Events of layer per minute, oldest first: d->series_min values. */
void dash_series(const struct dash *d, int layer, int64_t now_us,
		 uint32_t *out);

struct dash_style {
	int color; /* SGR escapes */
	int utf8;  /* block glyphs for the series, else ASCII */
	const char *title; /* first line, printable ASCII; NULL: none */
};

/*
 * The whole screen for a terminal of cols x rows, starting at the home
 * position, each line cleared to its end and every line within cols
 * visible columns.  malloc'd, NUL-terminated; the caller free()s it.
 * NULL with err_msg() set when out of memory.
 */
char *dash_render(const struct dash *d, int64_t now_us, int cols, int rows,
		  const struct dash_style *style);

/*
 * One line for a pipe: the time, each layer's grave/all counts (with
 * "ALERT" for a panel in alert), the VMs and their states; no "\n".
 * malloc'd as above.
 */
char *dash_summary(const struct dash *d, int64_t now_us);

/* One event as a line of printable ASCII, no "\n"; malloc'd as above. */
char *dash_event_line(const struct evlog_event *ev);

#endif
