/*
 * correlate: indicators of two boundaries at once.
 *
 * The supervisor feeds every event it logs.  Each subsystem belongs to
 * a layer: vm-lifecycle, process and resource to the hypervisor;
 * network to the network; fsevents to the filesystem; vsock, virtiofs
 * and usb to IPC.  When CRITICAL (or worse) events of two or more
 * layers arrive for the same VM within correlation_window, correlate
 * emits one
 *
 *   containment.breach-suspected  EMERGENCY
 *
 * naming every such event in the window (subsystem, event, ts, layer).
 * Further events of the same layers do not raise it again for that VM
 * within the window; a layer joining does.
 */
#ifndef SECVF_CORRELATE_H
#define SECVF_CORRELATE_H

#include "detect/config.h"
#include "detect/detector.h"

#include <stddef.h>
#include <stdint.h>

#define CORR_EVENTS 64
#define CORR_RAISED 16
#define CORR_VM_MAX 64
#define CORR_NAME_MAX 64
#define CORR_KEY_MAX 1024

struct corr_event {
	char vm[CORR_VM_MAX];
	char subsystem[CORR_NAME_MAX];
	char event[CORR_NAME_MAX];
	const char *layer;
	int64_t ts_us;
};

struct corr_raised {
	char vm[CORR_VM_MAX];
	char key[CORR_KEY_MAX];
	int64_t ts_us;
};

struct correlate {
	int64_t window_us;
	struct det_sink sink;
	struct corr_event events[CORR_EVENTS];
	size_t n_events;
	struct corr_raised raised[CORR_RAISED];
	size_t n_raised;
};

void correlate_init(struct correlate *c, const struct det_config *cfg,
		    const struct det_sink *sink);

/*
 * One logged event.  vm NULL (an event of no VM) and subsystems of no
 * layer are not correlated; neither is anything below CRITICAL.
 */
void correlate_feed(struct correlate *c, const char *vm, enum ev_severity sev,
		    const char *subsystem, const char *event, int64_t ts_us);

/* "hypervisor", "network", "filesystem", "ipc", or NULL. */
const char *correlate_layer(const char *subsystem);

#endif
