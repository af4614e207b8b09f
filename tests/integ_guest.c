/*
 * The Linux test guest under QEMU TCG: it boots, runs commands typed on
 * its serial console, writes its raw disk, and reports a panic over
 * pvpanic and QMP.
 */
#include "helpers.h"
#include "tests/guest/guest.h"

#include "lib/err.h"
#include "lib/timefmt.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

TestSuite(integ_guest, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static struct guest *
boot(const struct guest_opts *o)
{
	struct guest *g = guest_boot(o);

	cr_assert(g, "%s", err_msg());
	cr_log_info("guest booted under TCG in %.2f s", g->boot_seconds);
	fprintf(stderr, "integ_guest: boot took %.2f s\n", g->boot_seconds);
	return g;
}

Test(integ_guest, runs_commands_on_the_console, .timeout = 180)
{
	struct guest *g = boot(NULL);
	char *out;

	cr_assert_eq(guest_run(g, "echo hello", 20000, &out), 0, "%s",
		     err_msg());
	cr_assert_str_eq(out, "hello\n");
	free(out);

	cr_assert_eq(guest_run(g, "printf 'a\\nb\\n'; exit_code() { "
				  "return 3; }; exit_code", 20000, &out),
		     3);
	cr_assert_str_eq(out, "a\nb\n");
	free(out);

	cr_assert_eq(guest_run(g, "cat /proc/sys/kernel/sysrq", 20000, &out),
		     0);
	cr_assert_str_eq(out, "1\n");
	free(out);
	guest_kill(g);
}

Test(integ_guest, collects_long_output, .timeout = 180)
{
	struct guest *g = boot(NULL);
	char *out;
	int64_t t0;

	t0 = time_mono_ns();
	cr_assert_eq(guest_run(g, "seq 1 5000", 60000, &out), 0, "%s",
		     err_msg());
	cr_log_info("5000 lines over the console in %.2f s",
		    (double)(time_mono_ns() - t0) / 1e9);
	cr_assert(!strncmp(out, "1\n2\n3\n", 6));
	cr_assert(strstr(out, "\n4999\n5000\n"));
	cr_assert_eq(strlen(out), 23893);
	free(out);
	guest_kill(g);
}

Test(integ_guest, rejects_an_overlong_command, .timeout = 180)
{
	struct guest *g = boot(NULL);
	char cmd[GUEST_CMD_MAX + 2];
	char *out = (char *)"unset";

	memset(cmd, 'x', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	cr_assert_eq(guest_run(g, cmd, 1000, &out), -1);
	cr_assert_null(out);
	cr_assert(strstr(err_msg(), "too long"), "%s", err_msg());
	cr_assert_eq(guest_run(g, "echo still-here", 20000, &out), 0);
	cr_assert_str_eq(out, "still-here\n");
	free(out);
	guest_kill(g);
}

Test(integ_guest, times_out_on_a_hung_command, .timeout = 180)
{
	struct guest *g = boot(NULL);
	int64_t t0 = time_mono_ns();
	char *out;

	cr_assert_eq(guest_run(g, "sleep 30", 1000, &out), -1);
	cr_assert(strstr(err_msg(), "timed out"), "%s", err_msg());
	cr_assert_lt(time_mono_ns() - t0, 20LL * 1000000000);
	guest_kill(g);
}

static int
disk_has(const char *path, const char *text, off_t at)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert(fd >= 0, "cannot open '%s'", path);
	n = pread(fd, buf, strlen(text), at);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, strlen(text));
}

Test(integ_guest, dd_to_vda_reaches_the_host_image, .timeout = 180)
{
	const char *marker = "SECVF-DISK-MARKER-7f3a";
	struct guest_opts o = {0};
	char disk[512];
	struct guest *g;
	char *out;

	snprintf(disk, sizeof(disk), "%s/Disk.img", getenv("SECVF_HOME"));
	cr_assert_eq(th_sh("truncate -s 64M '%s'", disk), 0);
	cr_assert_not(disk_has(disk, marker, 1 << 20));
	o.disk = disk;
	g = boot(&o);

	cr_assert_eq(guest_run(g, "cat /sys/block/vda/size", 20000, &out), 0);
	cr_assert_str_eq(out, "131072\n");
	free(out);
	cr_assert_eq(guest_run(g,
			       "printf SECVF-DISK-MARKER-7f3a | dd of=/dev/vda "
			       "bs=512 seek=2048 conv=notrunc 2>/dev/null && "
			       "sync",
			       30000, &out),
		     0, "%s", out ? out : err_msg());
	free(out);
	cr_assert(disk_has(disk, marker, 1 << 20));
	cr_assert_not(disk_has(disk, marker, 0));
	guest_kill(g);
}

/* A few lines of QMP: connect, greet, read events. */
static int
qmp_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "cannot connect to '%s'", path);
	return fd;
}

/* Read from fd until text shows up; 1 if it did within timeout_ms. */
static int
qmp_wait_for(int fd, const char *text, int timeout_ms)
{
	static char buf[1 << 16];
	static size_t len;
	int64_t deadline = time_mono_ns() / 1000000 + timeout_ms;

	while (!strstr(buf, text)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - time_mono_ns() / 1000000;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
		if (len + 1 >= sizeof(buf))
			len = 0;
		n = read(fd, buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return 1;
}

Test(integ_guest, sysrq_crash_is_reported_by_pvpanic, .timeout = 180)
{
	static const char *const extra[] = {"-device", "pvpanic", NULL};
	const char *caps = "{\"execute\":\"qmp_capabilities\"}\n";
	struct guest_opts o = {.extra = extra};
	struct guest *g = boot(&o);
	char *out = NULL;
	int fd;

	fd = qmp_open(g->qmp_path);
	cr_assert(qmp_wait_for(fd, "\"QMP\"", 10000), "no QMP greeting");
	cr_assert_eq(write(fd, caps, strlen(caps)), (ssize_t)strlen(caps));
	cr_assert(qmp_wait_for(fd, "\"return\"", 10000), "no QMP return");
	cr_assert_not(qmp_wait_for(fd, "GUEST_PANICKED", 200));

	/* Nobody reads the console meanwhile but the helper's thread. */
	cr_assert_eq(guest_run(g, "echo c > /proc/sysrq-trigger", 300, &out),
		     -1, "the guest survived: %s", out);
	cr_assert(qmp_wait_for(fd, "GUEST_PANICKED", 30000),
		  "no GUEST_PANICKED event on QMP");
	close(fd);
	guest_kill(g);
}

Test(integ_guest, bad_qemu_argument_fails_with_its_message, .timeout = 60)
{
	static const char *const extra[] = {"-device", "no-such-device",
					    NULL};
	struct guest_opts o = {.extra = extra, .boot_timeout_ms = 20000};

	cr_assert_null(guest_boot(&o));
	cr_assert(strstr(err_msg(), "cannot boot the guest"), "%s", err_msg());
	cr_assert(strstr(err_msg(), "no-such-device"), "%s", err_msg());
}
