/*
 * guest: boot the Linux test guest under QEMU (TCG) and drive its
 * serial console.  Test-only code.
 *
 * The guest is Debian's cloud kernel with a busybox initramfs, built by
 * tests/guest/build-guest.sh and cached beneath SECVF_GUEST_CACHE
 * (default /var/cache/secvf-guest).  Its /init loads the virtio, vsock
 * and pvpanic drivers, prints SECVF-GUEST-READY on ttyS0, then serves
 * root shells on ttyS0.  A raw disk given in the options is /dev/vda,
 * left unformatted.  Kernel command line options the guest reads:
 * secvf.ip=A.B.C.D/NN and secvf.gw=A.B.C.D for eth0, secvf.share=TAG to
 * mount a virtiofs (or 9p) share on /mnt/TAG.  `echo c >
 * /proc/sysrq-trigger` panics it; with `-device pvpanic` QEMU then
 * emits GUEST_PANICKED on QMP.
 *
 *	struct guest_opts o = { .disk = "/tmp/x/disk.img" };
 *	struct guest *g = guest_boot(&o);
 *	char *out;
 *	int st = guest_run(g, "uname -r", 10000, &out);
 *	...
 *	free(out);
 *	guest_kill(g);
 *
 * Every function that fails returns -1 or NULL with err_msg() set.
 */
#ifndef SECVF_TEST_GUEST_H
#define SECVF_TEST_GUEST_H

#include <stddef.h>
#include <sys/types.h>

/* The line /init prints on the serial console once the guest is up. */
#define GUEST_READY "SECVF-GUEST-READY"

/* Longest command guest_run() accepts (the guest shell's line limit). */
#define GUEST_CMD_MAX 900

/* Room for a unix socket path (sun_path). */
#define GUEST_SOCK_MAX 108

/* Most serial output guest_run() collects for one command. */
#define GUEST_OUTPUT_MAX (1 << 20)

struct guest_opts {
	/* Raw disk image attached as virtio-blk (/dev/vda), or NULL. */
	const char *disk;
	/* Options appended to the kernel command line, or NULL. */
	const char *append;
	/* Further QEMU arguments, NULL-terminated, or NULL. */
	const char *const *extra;
	/* Directory for the sockets and logs; NULL makes a temporary one
	 * that guest_kill() removes. */
	const char *dir;
	/* How long to wait for GUEST_READY; 0 means 120 s. */
	int boot_timeout_ms;
};

/*
 * A running guest.  The fields are for reading: the QEMU pid (-1 once
 * reaped), the QMP socket (`-qmp unix:PATH,server=on,wait=off`, free
 * for the test to connect to), the serial console's socket and its log
 * file (QEMU writes everything the console printed there), QEMU's own
 * stdout and stderr, and how long the boot took.  A thread of the
 * helper reads the console all the time, so a guest that prints while
 * no command runs never stalls on it; the serial socket is therefore
 * taken: read the log file instead.
 */
struct guest_console;

struct guest {
	pid_t pid;
	struct guest_console *con;
	int own_dir;
	unsigned seq;
	char dir[256];
	char qmp_path[GUEST_SOCK_MAX];
	char serial_path[GUEST_SOCK_MAX];
	char log_path[300];
	char qemu_log_path[300];
	double boot_seconds;
};

/*
 * Build the guest image once per process (build-guest.sh, cached) and
 * copy the paths of its kernel and initramfs into kernel and initrd.
 * Returns 0, or -1 when the build failed (its messages went to stderr).
 */
int guest_image(char *kernel, size_t ksize, char *initrd, size_t isize);

/*
 * Start qemu-system-x86_64 -accel tcg -machine q35 -m 256 -smp 1 with
 * the guest image and the options, and wait until GUEST_READY appears
 * on the serial console.  QEMU dies with the calling process.  Returns
 * a guest the caller ends with guest_kill(), or NULL (QEMU killed, err_msg()
 * holds the reason and the tail of QEMU's messages).
 */
struct guest *guest_boot(const struct guest_opts *o);

/*
 * Attach to the serial console of a guest something else started (a VM
 * under secvf's supervisor): wait up to timeout_ms (0: the boot
 * timeout) for GUEST_READY in console_log, connect to serial_sock and
 * check that a shell answers.  guest_kill() on it only detaches.
 */
struct guest *guest_attach(const char *serial_sock, const char *console_log,
			   int timeout_ms);

/*
 * Type cmd (one shell command line, at most GUEST_CMD_MAX bytes, not
 * ending in '&' or ';') on the serial console and collect what it
 * prints until it ends, within timeout_ms.  Returns the command's exit
 * status (0-255), or -1 on timeout or error.  *output, when output is
 * not NULL, receives the malloc'd NUL-terminated text the command
 * printed, with "\r\n" turned into "\n" (kernel messages printed
 * meanwhile land there too); the caller frees it.  It is NULL after a
 * failure.
 */
int guest_run(struct guest *g, const char *cmd, int timeout_ms,
	      char **output);

/*
 * Wait up to timeout_ms for QEMU to exit.  Returns its wait status, or
 * -1 when it is still running.  guest_kill() is still needed after.
 */
int guest_wait(struct guest *g, int timeout_ms);

/* SIGKILL QEMU, reap it, remove a temporary directory, free g.  NULL is
 * fine. */
void guest_kill(struct guest *g);

#endif
