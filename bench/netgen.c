/*
 * netgen: push frames from one switch port to another and count them.
 *
 *	netgen stream SOCK_A SOCK_B SIZE COUNT   secvf's switch (QEMU's
 *	                                          -netdev stream framing)
 *	netgen vde DIR SIZE COUNT                vde_switch's data sockets
 *	                                          (libvdeplug's protocol)
 *
 * Port B announces its MAC first, then A sends COUNT unicast IPv4/UDP
 * frames of SIZE bytes to it, one write per frame as QEMU does, while
 * B reads.  Prints "FRAMES_RECEIVED SECONDS FRAMES_PER_SECOND".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VDE_MAGIC 0xfeedface
#define VDE_VERSION 3

struct vde_request {
	uint32_t magic;
	uint32_t version;
	uint32_t type; /* REQ_NEW_CONTROL, 0 */
	struct sockaddr_un sock;
	char description[128];
} __attribute__((packed));

struct port {
	int fd;
	int stream; /* 4-byte length prefix */
	uint8_t buf[1 << 17];
	size_t len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "netgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
connect_stream(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(path);
	return fd;
}

/* Plug into vde_switch at dir: a datagram socket the switch talks to. */
static int
connect_vde(const char *dir, int n)
{
	struct vde_request req = {.magic = VDE_MAGIC, .version = VDE_VERSION};
	struct sockaddr_un data, me = {.sun_family = AF_UNIX};
	char ctl[120];
	int c, fd;

	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	c = connect_stream(ctl);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	snprintf(me.sun_path, sizeof(me.sun_path), "%s/netgen.%d.%d", dir,
		 (int)getpid(), n);
	unlink(me.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("bind");
	memcpy(&req.sock, &me, sizeof(me));
	snprintf(req.description, sizeof(req.description), "netgen %d", n);
	if (write(c, &req, sizeof(req)) != (ssize_t)sizeof(req))
		die("vde request");
	if (read(c, &data, sizeof(data)) <= 0)
		die("vde reply");
	if (connect(fd, (struct sockaddr *)&data, sizeof(data)) < 0)
		die("vde data socket");
	return fd; /* c stays open: closing it unplugs the port */
}

static void
frame(uint8_t *f, size_t size, const uint8_t *dst, const uint8_t *src)
{
	size_t ip = size - 14;

	memset(f, 0, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(ip >> 8);
	f[17] = (uint8_t)ip;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\x0a\x00\x64\x0a\x0a\x00\x64\x0b", 8);
	f[34] = 0x13;
	f[36] = 0x13;
	f[38] = (uint8_t)((ip - 20) >> 8);
	f[39] = (uint8_t)(ip - 20);
}

static int
send_one(struct port *p, const uint8_t *f, size_t size)
{
	uint8_t hdr[4] = {0, 0, (uint8_t)(size >> 8), (uint8_t)size};
	struct iovec iov[2] = {{hdr, 4}, {(void *)f, size}};

	if (p->stream)
		return writev(p->fd, iov, 2) == (ssize_t)(size + 4) ? 0 : -1;
	return send(p->fd, f, size, 0) == (ssize_t)size ? 0 : -1;
}

/* Count the frames in what B can read now. */
static long
drain(struct port *p)
{
	long frames = 0;
	ssize_t n;
	size_t off, len;

	n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
	if (n <= 0)
		return 0;
	if (!p->stream)
		return 1;
	p->len += (size_t)n;
	for (off = 0; p->len - off >= 4; off += 4 + len) {
		len = (size_t)p->buf[off + 2] << 8 | p->buf[off + 3];
		if (p->len - off - 4 < len)
			break;
		frames++;
	}
	memmove(p->buf, p->buf + off, p->len - off);
	p->len -= off;
	return frames;
}

static void
run(struct port *a, struct port *b, size_t size, long count)
{
	static const uint8_t ma[6] = {0x52, 0x54, 0, 0, 0, 0x0a};
	static const uint8_t mb[6] = {0x52, 0x54, 0, 0, 0, 0x0b};
	uint8_t f[1600];
	struct pollfd p[2] = {{.fd = a->fd, .events = POLLOUT},
			      {.fd = b->fd, .events = POLLIN}};
	long sent = 0, got = 0;
	double t0, last;

	frame(f, 64, ma, mb);
	send_one(b, f, 64); /* B's MAC is learned */
	frame(f, 64, mb, ma);
	send_one(a, f, 64);
	usleep(200000);
	while (drain(b) > 0 || drain(a) > 0)
		;
	b->len = a->len = 0;

	frame(f, size, mb, ma);
	t0 = last = now_s();
	while (got < count && now_s() - last < 1.0) {
		p[0].events = sent < count ? POLLOUT : 0;
		if (poll(p, 2, 100) < 0)
			die("poll");
		if ((p[0].revents & POLLOUT) && send_one(a, f, size) == 0)
			sent++;
		if (p[1].revents & POLLIN) {
			got += drain(b);
			last = now_s();
		}
	}
	last = last - t0;
	printf("%ld %.3f %.0f\n", got, last, (double)got / last);
}

int
main(int argc, char **argv)
{
	static struct port a, b;
	size_t size;
	long count;

	if (argc == 6 && !strcmp(argv[1], "stream")) {
		a.fd = connect_stream(argv[2]);
		b.fd = connect_stream(argv[3]);
		a.stream = b.stream = 1;
	} else if (argc == 5 && !strcmp(argv[1], "vde")) {
		a.fd = connect_vde(argv[2], 0);
		b.fd = connect_vde(argv[2], 1);
	} else {
		fprintf(stderr,
			"usage: netgen stream SOCK_A SOCK_B SIZE COUNT\n"
			"       netgen vde DIR SIZE COUNT\n");
		return 2;
	}
	fcntl(a.fd, F_SETFL, O_NONBLOCK);
	fcntl(b.fd, F_SETFL, O_NONBLOCK);
	size = strtoul(argv[argc - 2], NULL, 10);
	count = strtol(argv[argc - 1], NULL, 10);
	if (size < 64 || size > 1514 || count < 1)
		return 2;
	run(&a, &b, size, count);
	return 0;
}
