/*
 * vmstate: what a VM is doing now, told from QEMU itself.
 *
 * The state comes from QEMU's control socket (query-status) and from
 * the QEMU process, never from a pid file alone: a pid file whose
 * process is gone, or is not this VM's QEMU, is stale.  How QEMU last
 * ended comes from exit.json, which the supervisor writes when it sees
 * QEMU exit; when the supervisor died too, a pid file without a stop
 * request still tells a crash from a requested stop.
 */
#ifndef SECVF_VMSTATE_H
#define SECVF_VMSTATE_H

#include <stddef.h>
#include <sys/types.h>

struct qmp_conn;

enum vm_run_state {
	VM_STOPPED,	 /* no QEMU, or the guest shut down */
	VM_RUNNING,
	VM_PAUSED,	 /* vCPUs stopped: by a user, a panic, an I/O error */
	VM_CRASHED,	 /* QEMU ended without a stop anyone asked for */
	VM_UNRESPONSIVE, /* QEMU lives but its control socket does not answer */
};

struct vm_status {
	enum vm_run_state state;
	char qemu_status[32];	   /* QEMU's run state when it answered */
	pid_t qemu_pid;		   /* 0 when no QEMU process */
	pid_t supervisor_pid;	   /* 0 when no supervisor */
	int supervisor_gone;	   /* QEMU lives, its supervisor does not */
	pid_t lost_supervisor_pid; /* when gone: the pid its pid file
				      still names (it died), else 0 (it
				      was told to go and left) */
	int exit_code;		   /* how QEMU ended, when state says so */
	int exit_signal;
	char shutdown_reason[48];  /* last SHUTDOWN reason QEMU gave */
};

const char *vm_run_state_name(enum vm_run_state s);

/* $SECVF_HOME/run/NAME into buf, created with mode 0700. */
int vm_run_dir(const char *name, char *buf, size_t size);

/* A file in the run dir: vm_run_file(buf, n, name, "qmp.sock"). */
int vm_run_file(char *buf, size_t size, const char *name, const char *file);

/*
 * Fill st for the VM name (the bundle need not be checked first).
 * Returns 0, or -1 with err_msg() set when the run dir is unusable.
 */
int vm_status_get(const char *name, struct vm_status *st);

/*
 * The live QEMU pid of name, checked against /proc (the process must
 * be QEMU started with this VM's run dir); 0 when there is none.
 */
pid_t vm_qemu_pid(const char *name);

/* The live supervisor pid of name (it holds supervisor.lock); 0 if none. */
pid_t vm_supervisor_pid(const char *name);

/*
 * When the QEMU of name lives without its supervisor, the VM's
 * boundaries are no longer watched: record one vm-lifecycle
 * supervisor.missing event for each supervisor lost.
 * The first command to notice writes it and leaves
 * run/NAME/supervisor-missing.json; later ones find that file and
 * write nothing, until a new supervisor starts.  The event is CRITICAL
 * when the supervisor died without cleaning up (its pid file remains),
 * WARNING when it was told to go.  Returns 1 when the supervisor is
 * missing, 0 when not (or there is no QEMU), -1 with err_msg() set
 * when the event could not be written (a later call tries again).
 * It looks at the processes and the run dir only, never at QMP, so a
 * command may call it after its own work at no noticeable cost.
 */
int vm_supervisor_report(const char *name);

/*
 * Connect to name's control socket.  On failure *c is NULL and
 * err_msg() says "VM 'x' is not running" when there is no QEMU.
 */
int vm_control_connect(const char *name, int timeout_ms, struct qmp_conn **c);

/*
 * Record that a user asked secvf to pause, resume or stop name, so
 * the supervisor can tell these from stops nobody asked for.
 */
int vm_request_note(const char *name, const char *action);

/* Is there a request for action newer than since_us?  1, 0 or -1. */
int vm_request_since(const char *name, const char *action, long long since_us);

#endif
