/*
 * qemu: the QEMU command line for a lab VM, and the run directory it
 * lives in while it runs.
 *
 * Every VM that runs has $SECVF_HOME/run/NAME/ (mode 0700) holding:
 *
 *	qmp-events.sock   QMP for the supervisor's event stream
 *	qmp.sock          QMP for control commands (pause, stop, triage)
 *	console.sock      the serial console (secvf vm console)
 *	console.log       everything the serial console printed
 *	channel.sock      the host channel (virtio-serial org.secvf.channel)
 *	qemu.pid          QEMU's pid, written by QEMU
 *	supervisor.pid    the supervisor's pid
 *	supervisor.lock   held by the running supervisor
 *	qemu.stderr       what QEMU printed on standard error
 *	qmp-events.jsonl  every QMP event the supervisor saw, one per line
 *	requests.jsonl    pause, resume and stop requests made with secvf
 *	exit.json         how QEMU ended (written by the supervisor)
 */
#ifndef SECVF_QEMU_H
#define SECVF_QEMU_H

#include <stddef.h>

#define QEMU_MAX_SHARES 8
#define QEMU_MAX_USB 8

#define QEMU_CHANNEL_NAME "org.secvf.channel"

/*
 * A host directory shared with the guest.  Writable shares travel over
 * virtiofs, served by a virtiofsd the supervisor starts on
 * vhost_socket; read-only ones over virtio-9p with readonly=on, since
 * virtiofsd cannot refuse writes.
 */
struct qemu_share {
	const char *path;
	const char *tag;
	int readonly;
	const char *vhost_socket; /* virtiofsd's socket, writable shares */
};

/* What the command line is built from; every string is borrowed. */
struct qemu_spec {
	const char *name;
	const char *uuid;
	int cpus;
	long memory_mb;
	const char *run_dir;	/* run/NAME, absolute */
	const char *disk;	/* raw image, absolute */
	const char *nvram;	/* UEFI variable store, with firmware only */
	const char *firmware;	/* UEFI code; NULL boots kernel directly */
	const char *kernel;
	const char *initrd;	/* NULL: none */
	const char *append;	/* NULL: none */
	const char *accel;	/* "kvm", "tcg", NULL or "" = kvm then tcg */
	const char *net_mode;	/* "nat", "virtual", "router", "fakenet" */
	const char *mac;
	const char *net_socket;	/* switch port socket; NULL: no uplink */
	const char *mirror_socket; /* NAT: the switch's mirror port */
	int router;		/* a second NIC on NAT routes for the lab */
	int host_channel;
	struct qemu_share shares[QEMU_MAX_SHARES];
	int nshares;
	const char *usb[QEMU_MAX_USB];
	int nusb;
};

/* The QEMU binary: $SECVF_QEMU or qemu-system-x86_64 from PATH. */
const char *qemu_binary(void);

/*
 * Build the argument vector for spec.  On success *argv is a
 * NULL-terminated vector the caller frees with qemu_argv_free(); on
 * failure it is NULL and err_msg() says which field is wrong.
 */
int qemu_argv(const struct qemu_spec *spec, char ***argv);
void qemu_argv_free(char **argv);

/*
 * The accelerators to try, in order, separated by ':' ($SECVF_ACCEL,
 * else spec->accel, else "kvm:tcg": QEMU falls back to the next).
 */
const char *qemu_accel(const struct qemu_spec *spec);

#endif
