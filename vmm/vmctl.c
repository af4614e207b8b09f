#include "vmctl.h"

#include "lib/err.h"
#include "lib/timefmt.h"
#include "vmm/qmp.h"
#include "vmm/vmstate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Connect, then note the request before it is sent. */
static int
control(const char *name, const char *action, struct qmp_conn **c)
{
	if (vm_control_connect(name, VMCTL_TIMEOUT_MS, c) < 0)
		return -1;
	if (vm_request_note(name, action) < 0) {
		qmp_close(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

int
vmctl_pause(const char *name, char *status, size_t size, int *already)
{
	struct qmp_conn *c;
	int running = 0;

	*already = 0;
	if (control(name, "pause", &c) < 0)
		return -1;

	if (qmp_status(c, VMCTL_TIMEOUT_MS, status, size, &running) < 0)
		goto fail;
	if (!running) {
		*already = 1;
		qmp_close(c);
		vm_supervisor_report(name);
		return 0;
	}

	if (qmp_execute(c, "stop", NULL, VMCTL_TIMEOUT_MS, NULL) != 0 ||
	    qmp_status(c, VMCTL_TIMEOUT_MS, status, size, &running) != 0)
		goto fail;
	qmp_close(c);
	if (running)
		return err_set("VM '%s' still runs after the stop command",
			       name);
	vm_supervisor_report(name);
	return 0;

fail:
	qmp_close(c);
	return err_prefix("cannot pause VM '%s'", name);
}

int
vmctl_resume(const char *name)
{
	char status[32];
	struct qmp_conn *c;
	int running = 0;

	if (control(name, "resume", &c) < 0)
		return -1;
	if (qmp_execute(c, "cont", NULL, VMCTL_TIMEOUT_MS, NULL) != 0 ||
	    qmp_status(c, VMCTL_TIMEOUT_MS, status, sizeof(status),
		       &running) != 0) {
		qmp_close(c);
		return err_prefix("cannot resume VM '%s'", name);
	}
	qmp_close(c);
	vm_supervisor_report(name);
	if (!running)
		return err_set("VM '%s' is %s, not running, after resume",
			       name, status);
	return 0;
}

/* Wait until pid is gone; 0 when it is, -1 on timeout. */
static int
wait_gone(pid_t pid, int timeout_ms)
{
	int64_t deadline = time_mono_ns() + (int64_t)timeout_ms * 1000000;

	while (kill(pid, 0) == 0 || errno != ESRCH) {
		if (time_mono_ns() > deadline)
			return -1;
		usleep(20000);
	}
	return 0;
}

static int
stop_force(const char *name, pid_t pid)
{
	struct qmp_conn *c = NULL;

	if (vm_control_connect(name, 2000, &c) == 0) {
		qmp_execute(c, "quit", NULL, 2000, NULL);
		qmp_close(c);
		if (wait_gone(pid, 5000) == 0)
			return 0;
	}
	if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
		return err_errno("cannot end QEMU process %ld", (long)pid);
	if (wait_gone(pid, 5000) < 0)
		return err_set("QEMU process %ld does not end", (long)pid);
	return 0;
}

/* Ask the guest to power off and wait until it has (status shutdown). */
static int
powerdown(struct qmp_conn *c, const char *name, pid_t pid, int timeout_s)
{
	int64_t deadline = time_mono_ns() + (int64_t)timeout_s * 1000000000;
	char status[32];
	int running;

	if (qmp_execute(c, "system_powerdown", NULL, VMCTL_TIMEOUT_MS,
			NULL) != 0)
		return -1;
	while (time_mono_ns() < deadline) {
		if (kill(pid, 0) < 0)
			return 0;
		if (qmp_status(c, VMCTL_TIMEOUT_MS, status, sizeof(status),
			       &running) != 0)
			return kill(pid, 0) < 0 ? 0 : -1;
		if (!strcmp(status, "shutdown"))
			return 0;
		usleep(200000);
	}
	return err_set("the guest of VM '%s' did not power off within %d s "
		       "(use --force to end QEMU)",
		       name, timeout_s);
}

int
vmctl_stop(const char *name, int force, int timeout_s)
{
	struct qmp_conn *c;
	pid_t pid = vm_qemu_pid(name);

	if (!pid)
		return err_set("VM '%s' is not running", name);
	vm_supervisor_report(name);
	if (vm_request_note(name, "stop") < 0)
		return -1;
	if (force)
		return stop_force(name, pid);

	if (vm_control_connect(name, VMCTL_TIMEOUT_MS, &c) < 0)
		return -1;
	if (powerdown(c, name, pid, timeout_s) < 0) {
		qmp_close(c);
		return -1;
	}
	if (kill(pid, 0) == 0)
		qmp_execute(c, "quit", NULL, VMCTL_TIMEOUT_MS, NULL);
	qmp_close(c);
	if (wait_gone(pid, 10000) < 0)
		return err_set("QEMU of VM '%s' did not exit after quit", name);
	return 0;
}
