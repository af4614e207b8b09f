/*
 * The lab switch as a real process: `secvf net up`, frames sent by the
 * test over the port sockets (QEMU's stream framing), a real QEMU on a
 * port (the guest-free harness: slirp joined to the stream netdev on a
 * hub) and a capture read back by tshark.
 */
#include "helpers.h"
#include "netframes.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/home.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
net_fini(void)
{
	th_secvf(NULL, NULL, "net", "down", "lab", NULL);
	th_remove_home();
}

TestSuite(integ_net, .init = (void (*)(void))th_fresh_home, .fini = net_fini,
	  .timeout = 60);

static const uint8_t IP_A[4] = {10, 0, 100, 10};
static const uint8_t IP_B[4] = {10, 0, 100, 11};
static const uint8_t IP_OUT[4] = {192, 0, 2, 1};

static void
lab_up(const char *mode_args)
{
	char *err = NULL;

	cr_assert_eq(
		th_sh("%s net create lab %s >/dev/null", SECVF_BIN, mode_args),
		0);
	cr_assert_eq(th_secvf(NULL, &err, "net", "up", "lab", NULL), 0, "%s",
		     err);
	free(err);
}

static void
pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait until the switch has accepted n port connections. */
static void
wait_connected(int n)
{
	char *out = NULL;
	const char *p;
	int i, seen = 0;

	for (i = 0; i < 100 && seen < n; i++) {
		free(out);
		th_secvf(&out, NULL, "--json", "net", "show", "lab", NULL);
		for (seen = 0, p = out;
		     p && (p = strstr(p, "\"connected\":true")); p++)
			seen++;
		if (seen < n)
			pause_ms(20);
	}
	free(out);
	cr_assert_geq(seen, n, "the switch accepted %d of %d ports", seen, n);
}

/* Ask for vm's port and connect to it as QEMU would. */
static int
plug(const char *vm)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *out, *err;
	int fd;

	cr_assert_eq(th_secvf(&out, &err, "net", "port", "lab", vm, NULL), 0,
		     "%s", err);
	out[strcspn(out, "\n")] = '\0';
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", out);
	free(out);
	free(err);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
send_frame(int fd, const uint8_t *f, size_t len)
{
	uint8_t hdr[4] = {0, 0, (uint8_t)(len >> 8), (uint8_t)len};

	cr_assert_eq(write(fd, hdr, 4), 4);
	cr_assert_eq(write(fd, f, len), (ssize_t)len);
}

static int
read_full(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* The next frame on fd within timeout_ms: its length, or -1. */
static int
recv_frame(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	uint8_t hdr[4];
	size_t len;

	if (read_full(fd, hdr, 4, timeout_ms) < 0)
		return -1;
	len = (size_t)hdr[2] << 8 | hdr[3];
	cr_assert(!hdr[0] && !hdr[1] && len <= cap);
	if (read_full(fd, buf, len, timeout_ms) < 0)
		return -1;
	return (int)len;
}

/* Every security event line, concatenated (malloc'd). */
static char *
security_log(void)
{
	char **paths, *all = strdup(""), *text, *grown;
	size_t n, i;

	cr_assert_eq(evlog_files(&paths, &n), 0);
	for (i = 0; i < n; i++) {
		text = th_read(paths[i]);
		if (!text)
			continue;
		grown = malloc(strlen(all) + strlen(text) + 1);
		strcpy(grown, all);
		strcat(grown, text);
		free(all);
		free(text);
		all = grown;
	}
	evlog_files_free(paths, n);
	return all;
}

Test(integ_net, forwards_between_two_ports)
{
	uint8_t f[128], got[2048];
	int a, b, n;
	size_t len;
	char *out;

	lab_up("--mode virtual");
	a = plug("vma");
	b = plug("vmb");
	wait_connected(2);
	len = nf_arp(f, MAC_BCAST, MAC_A, 1, IP_A, IP_B);
	send_frame(a, f, len);
	n = recv_frame(b, got, sizeof(got), 3000);
	cr_assert_eq(n, (int)len);
	cr_assert_eq(memcmp(got, f, len), 0);

	len = nf_udp_frame(f, MAC_A, MAC_B, IP_B, IP_A, 9, 9, "hello", 5);
	send_frame(b, f, len);
	cr_assert_eq(recv_frame(a, got, sizeof(got), 3000), (int)len);

	cr_assert_eq(th_secvf(&out, NULL, "--json", "net", "show", "lab", NULL),
		     0);
	cr_assert(strstr(out, "\"mac\":\"52:54:00:00:00:0a\""), "%s", out);
	cr_assert(strstr(out, "\"rx_frames\":1"), "%s", out);
	free(out);
	close(a);
	close(b);
}

Test(integ_net, virtual_mode_drops_egress_and_logs_it)
{
	uint8_t f[128], got[2048];
	size_t len;
	char *log;
	int a, b;

	lab_up("--mode virtual");
	a = plug("vma");
	b = plug("vmb");
	wait_connected(2);
	len = nf_udp_frame(f, MAC_BCAST, MAC_A, IP_A, IP_OUT, 5353, 53, "q", 1);
	send_frame(a, f, len);
	len = nf_arp(f, MAC_BCAST, MAC_A, 1, IP_A, IP_B);
	send_frame(a, f, len);
	/* Only the ARP arrives: the egress attempt was dropped. */
	cr_assert_eq(recv_frame(b, got, sizeof(got), 3000), (int)len);
	cr_assert_eq(recv_frame(b, got, sizeof(got), 300), -1);

	log = security_log();
	cr_assert(strstr(log, "\"severity\":\"CRITICAL\",\"subsystem\":"
			      "\"network\",\"event\":\"virtual-mode."
			      "unexpected-egress\",\"vm\":\"vma\""),
		  "%s", log);
	cr_assert(strstr(log, "\"dst_ip\":\"192.0.2.1\""), "%s", log);
	free(log);
	close(a);
	close(b);
}

Test(integ_net, spoofed_host_mac_is_dropped)
{
	uint8_t f[128], got[2048];
	size_t len;
	char *log;
	int a, b;

	lab_up("--mode virtual");
	a = plug("vma");
	b = plug("vmb");
	wait_connected(2);
	len = nf_arp(f, MAC_BCAST, MAC_HOST, 2, IP_A, IP_B);
	send_frame(a, f, len);
	cr_assert_eq(recv_frame(b, got, sizeof(got), 500), -1);
	log = security_log();
	cr_assert(strstr(log, "\"event\":\"host-mac.impersonation\""), "%s",
		  log);
	free(log);
	close(a);
	close(b);
}

/* Run secvf net capture in the background; returns its pid. */
static pid_t
start_capture(const char *const *args)
{
	char *argv[16] = {SECVF_BIN, "net", "capture", "lab"};
	pid_t pid;
	int i;

	for (i = 0; args[i]; i++)
		argv[4 + i] = (char *)args[i];
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execv(SECVF_BIN, argv);
		_exit(127);
	}
	return pid;
}

static void
wait_capture_running(void)
{
	char *out = NULL;
	int i;

	for (i = 0; i < 100; i++) {
		free(out);
		th_secvf(&out, NULL, "--json", "net", "show", "lab", NULL);
		if (out && strstr(out, "\"captures\":[{"))
			break;
		pause_ms(50);
	}
	cr_assert(out && strstr(out, "\"captures\":[{"), "%s", out);
	free(out);
}

static int
tshark_count(const char *path)
{
	char cmd[4200], line[256];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -T fields -e frame.number 2>/dev/null", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p))
		n++;
	cr_assert_eq(pclose(p), 0, "tshark could not read %s", path);
	return n;
}

Test(integ_net, capture_is_readable_by_tshark)
{
	const char *args[] = {"--filter", "udp",    "--count", "3",
			      "-w",	  "t.pcap", NULL};
	uint8_t f[128];
	char path[4096];
	size_t len;
	int a, i, status;
	pid_t pid;

	if (th_sh("command -v tshark >/dev/null") != 0)
		cr_skip_test("tshark is not installed");
	lab_up("--mode virtual");
	a = plug("vma");
	pid = start_capture(args);
	wait_capture_running();
	for (i = 0; i < 5; i++) {
		len = nf_arp(f, MAC_BCAST, MAC_A, 1, IP_A, IP_B);
		send_frame(a, f, len);
		len = nf_udp_frame(f, MAC_BCAST, MAC_A, IP_A, IP_B, 7, 7, "x",
				   1);
		send_frame(a, f, len);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	home_path(path, sizeof(path), "Captures/t.pcap");
	cr_assert_eq(tshark_count(path), 3);
	close(a);
}

Test(integ_net, a_stalled_port_does_not_stall_the_others)
{
	uint8_t f[1100] = {0}, got[2048];
	int a, b, c, i, n, received = 0;
	size_t len = 1000;
	char *out;

	lab_up("--mode virtual");
	a = plug("vma");
	b = plug("vmb");
	wait_connected(2);
	c = plug("vmc"); /* connected, never reads */
	wait_connected(3);
	fcntl(a, F_SETFL, O_NONBLOCK);
	nf_eth(f, MAC_BCAST, MAC_A, 0x88b5); /* local experimental */
	for (i = 0; i < 3000; i++) {
		uint8_t hdr[4] = {0, 0, (uint8_t)(len >> 8), (uint8_t)len};
		struct pollfd p = {.fd = a, .events = POLLOUT};

		poll(&p, 1, 1000);
		cr_assert_eq(write(a, hdr, 4), 4);
		while (write(a, f, len) < 0 && errno == EAGAIN)
			poll(&p, 1, 1000);
		while ((n = recv_frame(b, got, sizeof(got), 0)) > 0)
			received++;
	}
	while (recv_frame(b, got, sizeof(got), 500) > 0)
		received++;
	cr_assert_gt(received, 2000, "b received %d of 3000", received);

	cr_assert_eq(th_secvf(&out, NULL, "--json", "net", "show", "lab", NULL),
		     0);
	cr_assert(strstr(out, "\"queue-full\":"), "%s", out);
	cr_assert(!strstr(out, "\"queue-full\":0}"), "%s", out);
	free(out);
	close(a);
	close(b);
	close(c);
}

Test(integ_net, survives_a_port_hanging_up_mid_frame_and_bad_lengths)
{
	const uint8_t half[] = {0, 0, 0, 60, 1, 2, 3, 4, 5};
	const uint8_t huge[] = {0x7f, 0, 0, 0, 1, 2};
	uint8_t f[128], got[2048];
	size_t len;
	char path[4096], *log;
	int a, b;

	lab_up("--mode virtual");
	a = plug("vma");
	b = plug("vmb");
	wait_connected(2);
	cr_assert_eq(write(a, half, sizeof(half)), (ssize_t)sizeof(half));
	close(a);
	pause_ms(100);
	a = plug("vma");
	wait_connected(2);
	len = nf_arp(f, MAC_BCAST, MAC_A, 1, IP_A, IP_B);
	send_frame(a, f, len);
	cr_assert_eq(recv_frame(b, got, sizeof(got), 3000), (int)len);

	cr_assert_eq(write(a, huge, sizeof(huge)), (ssize_t)sizeof(huge));
	cr_assert_eq(recv_frame(a, got, sizeof(got), 3000), -1); /* closed */
	close(a);

	home_path(path, sizeof(path), "logs");
	cr_assert_eq(
		th_sh("grep -q '\"partial_bytes\":9' %s/network-*.log", path),
		0);
	log = security_log();
	cr_assert(strstr(log, "length prefix above 65535"), "%s", log);
	free(log);
	close(b);
}

/* QEMU's slirp answers an ARP request sent through the switch. */
Test(integ_net, real_qemu_on_a_port_answers_and_mirrors, .timeout = 60)
{
	char port[4096], mirror[4096], *out;
	uint8_t f[128], got[2048];
	const uint8_t me[4] = {10, 0, 2, 15}, slirp[4] = {10, 0, 2, 2};
	size_t len;
	pid_t qemu;
	int t, n = -1, i;

	cr_assert_eq(th_sh("mkdir -p %s/networks && printf '%%s' "
			   "'{\"name\":\"lab\",\"mode\":\"virtual\","
			   "\"subnet\":\"10.0.2.0/24\",\"gateway\":"
			   "\"10.0.2.1\",\"host_mac\":\"02:00:00:00:00:01\"}' "
			   "> %s/networks/lab.json",
			   home_dir(), home_dir()),
		     0);
	cr_assert_eq(th_secvf(NULL, NULL, "net", "up", "lab", NULL), 0);
	cr_assert_eq(th_sh("%s net port lab qemu1 > %s/p && "
			   "%s net port --mirror lab qemu1 > %s/m",
			   SECVF_BIN, home_dir(), SECVF_BIN, home_dir()),
		     0);
	snprintf(port, sizeof(port), "%s/run/net-lab/ports/qemu1.sock",
		 home_dir());
	snprintf(mirror, sizeof(mirror),
		 "%s/run/net-lab/ports/qemu1.mirror.sock", home_dir());

	qemu = fork();
	cr_assert_geq(qemu, 0);
	if (qemu == 0) {
		char nd[4200], cd[4200];

		snprintf(nd, sizeof(nd),
			 "stream,id=s,server=off,addr.type=unix,addr.path=%s",
			 port);
		snprintf(cd, sizeof(cd), "socket,id=mc,path=%s", mirror);
		execlp("qemu-system-x86_64", "qemu-system-x86_64", "-machine",
		       "none", "-nodefaults", "-display", "none", "-netdev",
		       "user,id=u", "-netdev", nd, "-netdev",
		       "hubport,id=h1,hubid=0,netdev=u", "-netdev",
		       "hubport,id=h2,hubid=0,netdev=s", "-chardev", cd,
		       "-object",
		       "filter-mirror,id=m0,netdev=s,queue=all,outdev=mc",
		       (char *)NULL);
		_exit(127);
	}
	t = plug("tester");
	wait_connected(2);
	len = nf_arp(f, MAC_BCAST, MAC_A, 1, me, slirp);
	for (i = 0; i < 20 && n < 0; i++) {
		send_frame(t, f, len);
		n = recv_frame(t, got, sizeof(got), 500);
	}
	kill(qemu, SIGKILL);
	waitpid(qemu, NULL, 0);
	cr_assert_geq(n, 42, "no ARP reply from slirp through the switch");
	cr_assert_eq(memcmp(got + 6, "\x52\x55\x0a\x00\x02\x02", 6), 0);

	cr_assert_eq(th_secvf(&out, NULL, "--json", "net", "show", "lab", NULL),
		     0);
	cr_assert(strstr(out, "\"kind\":\"mirror\",\"connected\""), "%s", out);
	free(out);
	close(t);
}
