/*
 * qmp_pause: how long pausing a VM takes, from sending "stop" to
 * receiving the STOP event, through secvf's QMP client on one
 * connection, beside the same round trip made the way a shell script
 * makes it (a socat process per command, connecting and negotiating
 * each time).
 *
 * usage: qmp_pause [ITERATIONS]
 *
 * Starts its own QEMU (q35, 64 MiB, TCG, no guest: the vCPU runs the
 * firmware) with two QMP sockets, one for each client, and kills it at
 * the end.  Needs qemu-system-x86_64 and socat on PATH.
 */
#include "lib/err.h"
#include "lib/timefmt.h"
#include "vmm/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_MS 5000
#define TARGET_MS 50.0

static char dir[] = "/tmp/secvf-bench-XXXXXX";
static char ctl_sock[64], base_sock[64];
static pid_t qemu_pid = -1;

static int
start_qemu(void)
{
	char ctl_arg[96], base_arg[96];
	int null;

	snprintf(ctl_arg, sizeof(ctl_arg), "unix:%s,server=on,wait=off",
		 ctl_sock);
	snprintf(base_arg, sizeof(base_arg), "unix:%s,server=on,wait=off",
		 base_sock);
	qemu_pid = fork();
	if (qemu_pid < 0)
		return err_errno("cannot fork");
	if (qemu_pid > 0)
		return 0;

	null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	execlp("qemu-system-x86_64", "qemu-system-x86_64", "-machine", "q35",
	       "-accel", "tcg", "-m", "64", "-smp", "1", "-nodefaults",
	       "-display", "none", "-qmp", ctl_arg, "-qmp", base_arg,
	       (char *)NULL);
	_exit(127);
}

/* Wait for QEMU's sockets, then connect (it binds before it listens). */
static int
connect_ctl(struct qmp_conn **c)
{
	struct stat st;
	int i;

	for (i = 0; i < 1000; i++) {
		if (waitpid(qemu_pid, NULL, WNOHANG) != 0)
			return err_set("QEMU exited at start-up");
		if (stat(base_sock, &st) == 0 &&
		    qmp_connect(ctl_sock, T_MS, c) == 0)
			return 0;
		usleep(10000);
	}
	return err_prefix("QEMU did not answer in 10 s");
}

static void
drain(struct qmp_conn *c)
{
	json_t *ev;

	qmp_pump(c);
	while (qmp_next_event(c, 0, &ev) == 0)
		json_decref(ev);
}

static int
resume(struct qmp_conn *c)
{
	json_t *ev;

	if (qmp_execute(c, "cont", NULL, T_MS, NULL) != 0 ||
	    qmp_wait_event(c, "RESUME", T_MS, &ev) != 0)
		return -1;
	json_decref(ev);
	drain(c);
	return 0;
}

/* One pause through our client; the time in ms, or -1. */
static double
pause_client(struct qmp_conn *c)
{
	int64_t t0 = time_mono_ns();
	json_t *ev;

	if (qmp_execute(c, "stop", NULL, T_MS, NULL) != 0 ||
	    qmp_wait_event(c, "STOP", T_MS, &ev) != 0)
		return -1;
	json_decref(ev);
	return (double)(time_mono_ns() - t0) / 1e6;
}

static pid_t
spawn_socat(int *in, int *out)
{
	char addr[96];
	int pin[2], pout[2];
	pid_t pid;

	snprintf(addr, sizeof(addr), "UNIX-CONNECT:%s", base_sock);
	if (pipe(pin) < 0)
		return -1;
	if (pipe(pout) < 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(null, 2);
		close(pin[1]);
		close(pout[0]);
		execlp("socat", "socat", "-", addr, (char *)NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	*in = pin[1];
	*out = pout[0];
	return pid;
}

/* Read socat's output until the STOP event shows: 0, or -1. */
static int
await_stop(int fd)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1) {
		if (poll(&pfd, 1, T_MS) <= 0)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\"event\": \"STOP\""))
			return 0;
	}
	return -1;
}

/* One pause as a script makes it: spawn, connect, negotiate, stop. */
static double
pause_socat(void)
{
	static const char cmds[] = "{\"execute\":\"qmp_capabilities\"}\n"
				   "{\"execute\":\"stop\"}\n";
	int64_t t0 = time_mono_ns();
	int in, out, ok;
	double ms;
	pid_t pid;

	pid = spawn_socat(&in, &out);
	if (pid < 0)
		return -1;
	ok = write(in, cmds, sizeof(cmds) - 1) == sizeof(cmds) - 1 &&
	     await_stop(out) == 0;
	ms = (double)(time_mono_ns() - t0) / 1e6;

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(in);
	close(out);
	return ok ? ms : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
summarize(double *v, int n, double *median, double *p99)
{
	int i99 = (99 * n + 99) / 100 - 1;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*p99 = v[i99 < 0 ? 0 : i99];
}

static int
measure(struct qmp_conn *c, int n, double *ours, double *base)
{
	int i;

	for (i = 0; i < n; i++) {
		drain(c);
		ours[i] = pause_client(c);
		if (ours[i] < 0 || resume(c) < 0)
			return -1;

		base[i] = pause_socat();
		if (base[i] < 0)
			return err_set("socat saw no STOP event");
		if (resume(c) < 0)
			return -1;
	}
	return 0;
}

static void
report(double *ours, double *base, int n)
{
	double om, op, bm, bp;

	summarize(ours, n, &om, &op);
	summarize(base, n, &bm, &bp);
	printf("qmp_pause: %d pauses, \"stop\" sent -> STOP event received "
	       "(q35, TCG, no guest)\n", n);
	printf("  secvf qmp client, one connection:  median %7.3f ms  "
	       "p99 %7.3f ms\n", om, op);
	printf("  baseline socat per command:        median %7.3f ms  "
	       "p99 %7.3f ms\n", bm, bp);
	printf("  ratio baseline/secvf (median):     %.1fx\n", bm / om);
	printf("  target median under %.0f ms:         %s\n", TARGET_MS,
	       om < TARGET_MS ? "met" : "MISSED");
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	double *ours = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
	double *base = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
	struct qmp_conn *c = NULL;
	int status = 1;

	if (n <= 0 || !ours || !base || !mkdtemp(dir)) {
		fprintf(stderr, "usage: qmp_pause [ITERATIONS]\n");
		return 2;
	}
	snprintf(ctl_sock, sizeof(ctl_sock), "%s/ctl.sock", dir);
	snprintf(base_sock, sizeof(base_sock), "%s/base.sock", dir);

	if (start_qemu() < 0 || connect_ctl(&c) < 0 || measure(c, n, ours,
							       base) < 0)
		fprintf(stderr, "qmp_pause: %s\n", err_msg());
	else {
		report(ours, base, n);
		status = 0;
	}

	qmp_close(c);
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
	}
	unlink(ctl_sock);
	unlink(base_sock);
	rmdir(dir);
	free(ours);
	free(base);
	return status;
}
