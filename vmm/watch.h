/*
 * watch: a running VM's detectors, fed by its supervisor.
 *
 * The supervisor owns the poll loop; watch owns what the detectors
 * need to see: an inotify instance on the bundle (layer 3) and on the
 * run directory (console output and secvf's own requests), the host
 * channel connection (layer 4), scans of the shares (layer 4), process
 * samples of QEMU (layer 1), and the correlation of everything the
 * detectors report.  Events go to the security log; an EMERGENCY also
 * runs the user's hook.  Nothing here stops or pauses the VM.
 */
#ifndef SECVF_WATCH_H
#define SECVF_WATCH_H

#include <jansson.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

struct vm_config;
struct vmwatch;

#define WATCH_POLLFDS 4 /* descriptors vmwatch_pollfds() may add */

/*
 * Start watching the VM of cfg, whose bundle is bundle_dir and run
 * directory run_dir, with QEMU running as qemu_pid.  Thresholds come
 * from $SECVF_HOME/detect.conf when it exists.  *out is NULL on
 * failure (-1, err_msg() set); release with vmwatch_close().
 */
int vmwatch_open(const struct vm_config *cfg, const char *bundle_dir,
		 const char *run_dir, pid_t qemu_pid, struct vmwatch **out);

void vmwatch_close(struct vmwatch *w);

/* Fill fds (room for WATCH_POLLFDS) with what to poll; returns how many. */
int vmwatch_pollfds(struct vmwatch *w, struct pollfd *fds);

/* Handle what poll() reported on the fds vmwatch_pollfds() gave. */
void vmwatch_handle(struct vmwatch *w, const struct pollfd *fds, int n);

/* A QMP event from the event socket (borrowed). */
void vmwatch_qmp_event(struct vmwatch *w, const json_t *event);

/* The QMP event socket hung up. */
void vmwatch_qmp_hup(struct vmwatch *w);

/* QEMU ended with this wait status. */
void vmwatch_exit(struct vmwatch *w, int status);

/* Periodic work: samples, scans, timers.  Call about once a second. */
void vmwatch_tick(struct vmwatch *w);

/* Does the VM pass USB devices (then feed vmwatch_usb_text())? */
int vmwatch_has_usb(const struct vmwatch *w);

/* The text of QMP x-query-usb, the guest's USB devices. */
void vmwatch_usb_text(struct vmwatch *w, const char *text);

/*
 * Record an event from outside the detectors (the supervisor's own
 * findings); routed like a detector's, data stolen.
 */
void vmwatch_emit(struct vmwatch *w, int severity, const char *subsystem,
		  const char *event, json_t *data);

#endif
