/*
 * vmctl: the commands that act on a running VM, sent straight to
 * QEMU's control socket so they work even when the supervisor is gone.
 *
 * Each records the request in run/NAME/requests.jsonl first, so that
 * the supervisor can tell a pause or stop someone asked for from one
 * nobody asked for.
 */
#ifndef SECVF_VMCTL_H
#define SECVF_VMCTL_H

#include <stddef.h>
#include <stdint.h>

#define VMCTL_TIMEOUT_MS 5000

/*
 * Pause the vCPUs (QMP stop) and confirm with query-status.  status
 * receives QEMU's run state afterwards ("paused", or what it already
 * was: "guest-panicked", "shutdown" ...).  *already is set to 1 when
 * the VM was not running to begin with.  -1 with err_msg() set when
 * the VM is not running or QEMU does not confirm.
 */
int vmctl_pause(const char *name, char *status, size_t size, int *already);

/* Resume (QMP cont) and confirm that the VM runs. */
int vmctl_resume(const char *name);

/*
 * Stop the VM: without force, ask the guest to power off (ACPI) and
 * wait up to timeout_s for it, then end QEMU; with force, end QEMU at
 * once (QMP quit, or SIGKILL when QMP does not answer).  Returns 0
 * once QEMU has exited; -1 with err_msg() set otherwise (the VM is
 * left as it is).
 */
int vmctl_stop(const char *name, int force, int timeout_s);

#endif
