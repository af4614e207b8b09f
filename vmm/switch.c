/*
 * switch: the lab switch's poll loop, ports and queues.  The control
 * socket is in switch_ctl.c.
 */
#include "switch_int.h"

#include "detect/evlive.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define SUMMARY_US (60 * 1000000LL)

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --- the switch log --- */

void
sw_log(struct sw *s, const char *event, json_t *data)
{
	char date[11], ts[TIME_ISO_LEN], path[PATH_BUF], *line;
	int64_t now = time_now_us();
	json_t *o;

	time_date(now, date);
	if (s->log_fd < 0 || strcmp(date, s->log_date)) {
		if (s->log_fd >= 0)
			close(s->log_fd);
		s->log_fd = -1;
		if (home_subdir(path, sizeof(path), "logs") < 0 ||
		    home_path(path, sizeof(path), "logs/network-%s.log", date) <
			    0)
			goto out;
		s->log_fd = open(path,
				 O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
					 O_CLOEXEC,
				 0600);
		strcpy(s->log_date, date);
	}
	time_iso(now, ts);
	o = json_pack("{s:s,s:s,s:s}", "ts", ts, "lab", s->lab.name, "event",
		      event);
	if (o && data)
		json_object_update(o, data);
	line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
					 JSON_PRESERVE_ORDER)
		 : NULL;
	json_decref(o);
	if (line && s->log_fd >= 0) {
		size_t n = strlen(line);

		line[n] = '\n';
		(void)!write(s->log_fd, line, n + 1);
		line[n] = '\0';
	}
	free(line);
out:
	json_decref(data);
}

static void
on_event(void *ctx, enum ev_severity sev, const char *event, const char *vm,
	 json_t *data)
{
	struct sw *s = ctx;

	json_object_set_new(data, "lab", json_string(s->lab.name));
	if (evlive_write(s->live, sev, "network", event, vm, data) < 0)
		sw_log(s, "evlog.error",
		       json_pack("{s:s}", "error", err_msg()));
}

static void
on_learn(void *ctx, int port, const uint8_t mac[6])
{
	struct sw *s = ctx;
	char buf[18];

	nd_format_mac(mac, buf);
	sw_log(s, "mac.learned",
	       json_pack("{s:s,s:i,s:s}", "mac", buf, "port", port, "vm",
			 s->ports[port].vm));
}

/* --- ports --- */

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set("socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno("cannot make a socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
		err_errno("cannot listen on '%s'", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
sw_port_find(const struct sw *s, const char *vm, int mirror)
{
	int i;

	for (i = 0; i < ND_PORTS_MAX; i++)
		if (s->ports[i].used && !strcmp(s->ports[i].vm, vm) &&
		    (s->ports[i].kind == ND_PORT_MIRROR) == !!mirror)
			return i;
	return -1;
}

static enum nd_port_kind
port_kind(const struct sw *s, const char *vm, int mirror)
{
	if (mirror)
		return ND_PORT_MIRROR;
	if (s->lab.nd.mode != ND_VIRTUAL && !strcmp(vm, s->lab.router))
		return ND_PORT_ROUTER;
	return ND_PORT_GUEST;
}

static int
free_slot(const struct sw *s)
{
	int i;

	for (i = 0; i < ND_PORTS_MAX; i++)
		if (!s->ports[i].used)
			return i;
	return err_set("every one of the %d ports is taken", ND_PORTS_MAX);
}

int
sw_port_create(struct sw *s, const char *vm, int mirror)
{
	struct sw_port *p;
	char rel[PATH_BUF];
	int i = sw_port_find(s, vm, mirror);

	if (i >= 0)
		return i;
	if (path_check_name(vm) < 0 || (i = free_slot(s)) < 0)
		return -1;
	p = &s->ports[i];
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->kind = port_kind(s, vm, mirror);
	strcpy(p->vm, vm);
	if (path_fmt(rel, sizeof(rel), "ports/%s%s.sock", vm,
		     mirror ? ".mirror" : "") < 0 ||
	    netlab_run_path(s->lab.name, rel, p->path, sizeof(p->path)) < 0)
		return -1;

	p->in = malloc(sizeof(*p->in));
	p->qcap = s->lab.queue_bytes;
	p->q = malloc(p->qcap);
	if (!p->in || !p->q) {
		free(p->in);
		free(p->q);
		return err_set("out of memory");
	}
	p->listen_fd = listen_unix(p->path);
	if (p->listen_fd < 0) {
		free(p->in);
		free(p->q);
		return -1;
	}
	p->used = 1;
	nd_port_attach(s->nd, i, vm, p->kind);
	sw_log(s, "port.created",
	       json_pack("{s:i,s:s,s:s,s:s}", "port", i, "vm", vm, "kind",
			 p->kind == ND_PORT_MIRROR   ? "mirror"
			 : p->kind == ND_PORT_ROUTER ? "router"
						     : "guest",
			 "path", p->path));
	return i;
}

static void
port_disconnect(struct sw *s, int i, const char *why)
{
	struct sw_port *p = &s->ports[i];
	size_t pending = sw_stream_pending(p->in);

	close(p->fd);
	p->fd = -1;
	p->qhead = p->qlen = 0;
	nd_port_detach(s->nd, i);
	nd_port_attach(s->nd, i, p->vm, p->kind);
	sw_log(s, "port.disconnected",
	       json_pack("{s:i,s:s,s:s,s:I}", "port", i, "vm", p->vm, "reason",
			 why, "partial_bytes", (json_int_t)pending));
}

static void
port_accept(struct sw *s, int i)
{
	struct sw_port *p = &s->ports[i];
	int fd =
		accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (p->fd >= 0) {
		close(fd); /* one peer per port: the socket is the identity */
		sw_log(s, "port.refused",
		       json_pack("{s:i,s:s}", "port", i, "vm", p->vm));
		return;
	}
	p->fd = fd;
	sw_stream_init(p->in);
	sw_log(s, "port.connected",
	       json_pack("{s:i,s:s}", "port", i, "vm", p->vm));
}

/* --- output queues --- */

static void
enqueue(struct sw *s, int i, const uint8_t *frame, size_t len)
{
	struct sw_port *p = &s->ports[i];
	uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
			  (uint8_t)(len >> 8), (uint8_t)len};
	size_t tail, first;
	const uint8_t *parts[2] = {hdr, frame};
	size_t lens[2] = {4, len};
	int k;

	if (p->fd < 0)
		return;
	if (p->qcap - p->qlen < 4 + len) {
		nd_count_drop(s->nd, i, ND_DROP_QUEUE_FULL);
		return;
	}
	for (k = 0; k < 2; k++) {
		tail = (p->qhead + p->qlen) % p->qcap;
		first = p->qcap - tail < lens[k] ? p->qcap - tail : lens[k];
		memcpy(p->q + tail, parts[k], first);
		memcpy(p->q, parts[k] + first, lens[k] - first);
		p->qlen += lens[k];
	}
	nd_count_tx(s->nd, i, len);
}

static void
port_flush(struct sw *s, int i)
{
	struct sw_port *p = &s->ports[i];
	struct iovec iov[2];
	size_t first;
	ssize_t n;

	while (p->qlen && p->fd >= 0) {
		first = p->qcap - p->qhead;
		if (first > p->qlen)
			first = p->qlen;
		iov[0] = (struct iovec){p->q + p->qhead, first};
		iov[1] = (struct iovec){p->q, p->qlen - first};
		n = writev(p->fd, iov, iov[1].iov_len ? 2 : 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			port_disconnect(s, i, "write failed");
			return;
		}
		p->qhead = (p->qhead + (size_t)n) % p->qcap;
		p->qlen -= (size_t)n;
	}
	if (!p->qlen)
		p->qhead = 0;
}

/* --- frames --- */

static void
flood(struct sw *s, int in, const uint8_t *frame, size_t len)
{
	int i;

	for (i = 0; i < ND_PORTS_MAX; i++) {
		if (i == in || !s->ports[i].used || s->ports[i].fd < 0 ||
		    s->ports[i].kind == ND_PORT_MIRROR)
			continue;
		enqueue(s, i, frame, len);
	}
}

static void
tap(struct sw *s, int port, const uint8_t *frame, size_t len)
{
	int i, r;

	for (i = 0; i < SW_CAPTURES_MAX; i++) {
		struct sw_capture *c = &s->caps[i];

		if (!c->cap)
			continue;
		r = netcap_packet(c->cap, port, frame, len, s->now);
		if (r != 0)
			sw_capture_end(s, c, r < 0 ? err_msg() : NULL);
	}
}

static void
handle_frame(struct sw *s, int port, const uint8_t *frame, size_t len)
{
	struct nd_verdict v;

	if (s->ncaps)
		tap(s, port, frame, len);
	nd_frame(s->nd, port, frame, len, s->now, &v);
	switch (v.action) {
	case ND_FORWARD:
		if (s->ports[v.out_port].fd >= 0)
			enqueue(s, v.out_port, frame, len);
		else
			nd_count_drop(s->nd, port, ND_DROP_NO_PORT);
		break;
	case ND_FLOOD: flood(s, port, frame, len); break;
	default: break;
	}
}

static void
bad_length(struct sw *s, int i)
{
	struct sw_port *p = &s->ports[i];
	const uint8_t *h = p->in->buf + p->in->start;
	uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
		     (uint32_t)h[2] << 8 | h[3];

	nd_count_drop(s->nd, i, ND_DROP_MALFORMED);
	on_event(s, EV_WARNING, "frame.malformed", p->vm,
		 json_pack("{s:i,s:s,s:s,s:I,s:i}", "port", i, "vm", p->vm,
			   "reason", "length prefix above 65535; port closed",
			   "length", (json_int_t)n, "count", 1));
	port_disconnect(s, i, "bad length prefix");
}

static void
port_read(struct sw *s, int i)
{
	struct sw_port *p = &s->ports[i];
	const uint8_t *frame;
	size_t room, len;
	uint8_t *at;
	ssize_t n;
	int r;

	at = sw_stream_space(p->in, &room);
	n = read(p->fd, at, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		port_disconnect(s, i, n == 0 ? "closed" : "read failed");
		return;
	}
	sw_stream_commit(p->in, (size_t)n);
	while ((r = sw_stream_next(p->in, &frame, &len)) > 0)
		handle_frame(s, i, frame, len);
	if (r < 0)
		bad_length(s, i);
}

/* --- the loop --- */

static void
tick(struct sw *s)
{
	int i;

	nd_tick(s->nd, s->now);
	for (i = 0; i < SW_CAPTURES_MAX; i++)
		if (s->caps[i].cap && netcap_expired(s->caps[i].cap, s->now))
			sw_capture_end(s, &s->caps[i], NULL);
	if (s->now - s->last_summary >= SUMMARY_US) {
		s->last_summary = s->now;
		sw_log(s, "switch.summary", sw_stats(s));
	}
}

static size_t
build_poll(struct sw *s, struct pollfd *pfd, int *who)
{
	size_t n = 0;
	int i;

	pfd[n] = (struct pollfd){.fd = s->ctl_fd, .events = POLLIN};
	who[n++] = SW_WHO_CTL;
	for (i = 0; i < SW_CLIENTS_MAX; i++) {
		if (s->clients[i].fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = s->clients[i].fd,
					 .events = POLLIN};
		who[n++] = SW_WHO_CLIENT + i;
	}
	for (i = 0; i < ND_PORTS_MAX; i++) {
		struct sw_port *p = &s->ports[i];

		if (!p->used)
			continue;
		pfd[n] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
		who[n++] = SW_WHO_LISTEN + i;
		if (p->fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = p->fd, .events = POLLIN};
		if (p->qlen)
			pfd[n].events |= POLLOUT;
		who[n++] = SW_WHO_PORT + i;
	}
	return n;
}

static void
dispatch(struct sw *s, const struct pollfd *pfd, const int *who, size_t n)
{
	size_t k;
	int w;

	for (k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		w = who[k];
		if (w == SW_WHO_CTL)
			sw_ctl_accept(s);
		else if (w < SW_WHO_LISTEN)
			sw_ctl_read(s, w - SW_WHO_CLIENT);
		else if (w < SW_WHO_PORT)
			port_accept(s, w - SW_WHO_LISTEN);
		else if (s->ports[w - SW_WHO_PORT].fd == pfd[k].fd)
			port_read(s, w - SW_WHO_PORT);
	}
	for (k = 0; k < ND_PORTS_MAX; k++)
		if (s->ports[k].used && s->ports[k].qlen)
			port_flush(s, (int)k);
}

static int
run_loop(struct sw *s)
{
	struct pollfd pfd[1 + SW_CLIENTS_MAX + 2 * ND_PORTS_MAX];
	int who[1 + SW_CLIENTS_MAX + 2 * ND_PORTS_MAX];
	int64_t next_tick = time_now_us() + 1000000;
	size_t n;
	int r, wait;

	while (!stop_requested) {
		n = build_poll(s, pfd, who);
		wait = (int)((next_tick - time_now_us()) / 1000);
		r = poll(pfd, n, wait < 0 ? 0 : wait);
		if (r < 0 && errno != EINTR)
			return err_errno("poll failed");
		s->now = time_now_us();
		if (r > 0)
			dispatch(s, pfd, who, n);
		if (s->now >= next_tick) {
			tick(s);
			next_tick = s->now + 1000000;
		}
	}
	return 0;
}

/* --- start and stop --- */

static int
lock_pid_file(struct sw *s)
{
	char path[PATH_BUF], buf[32];
	int n;

	if (netlab_run_path(s->lab.name, "switch.pid", path, sizeof(path)) < 0)
		return -1;
	s->pid_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->pid_fd < 0)
		return err_errno("cannot open '%s'", path);
	if (flock(s->pid_fd, LOCK_EX | LOCK_NB) < 0)
		return err_set("lab network '%s' is already up", s->lab.name);
	s->locked = 1;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(s->pid_fd, 0) < 0 ||
	    file_write_full(s->pid_fd, buf, (size_t)n) < 0)
		return err_errno("cannot write '%s'", path);
	return 0;
}

static int
sw_start(struct sw *s, const struct netlab *lab)
{
	char dir[PATH_BUF], path[PATH_BUF];
	int i;

	memset(s, 0, sizeof(*s));
	s->lab = *lab;
	s->ctl_fd = s->pid_fd = s->log_fd = -1;
	for (i = 0; i < SW_CLIENTS_MAX; i++)
		s->clients[i].fd = -1;
	s->started = s->now = s->last_summary = time_now_us();

	if (netlab_run_path(lab->name, NULL, dir, sizeof(dir)) < 0 ||
	    path_mkdirs(dir, 0700) < 0 || chmod(dir, 0700) < 0)
		return err_errno("cannot make '%s'", dir);
	if (netlab_run_path(lab->name, "ports", path, sizeof(path)) < 0 ||
	    path_mkdirs(path, 0700) < 0)
		return -1;
	if (lock_pid_file(s) < 0)
		return -1;

	s->live = evlive_new();
	s->nd = nd_new(&lab->nd, on_event, s);
	if (!s->nd)
		return -1;
	nd_on_learn(s->nd, on_learn);
	if (netlab_run_path(lab->name, "ctl.sock", path, sizeof(path)) < 0)
		return -1;
	s->ctl_fd = listen_unix(path);
	return s->ctl_fd < 0 ? -1 : 0;
}

static void
sw_stop(struct sw *s)
{
	char path[PATH_BUF];
	int i;

	evlive_free(s->live);
	s->live = NULL;
	for (i = 0; i < SW_CAPTURES_MAX; i++)
		if (s->caps[i].cap)
			sw_capture_end(s, &s->caps[i], "switch stopped");
	for (i = 0; i < SW_CLIENTS_MAX; i++)
		if (s->clients[i].fd >= 0)
			close(s->clients[i].fd);
	for (i = 0; i < ND_PORTS_MAX; i++) {
		struct sw_port *p = &s->ports[i];

		if (!p->used)
			continue;
		if (p->fd >= 0)
			close(p->fd);
		close(p->listen_fd);
		unlink(p->path);
		free(p->in);
		free(p->q);
	}
	if (s->ctl_fd >= 0 &&
	    netlab_run_path(s->lab.name, "ctl.sock", path, sizeof(path)) == 0) {
		close(s->ctl_fd);
		unlink(path);
	}
	if (netlab_run_path(s->lab.name, "ports", path, sizeof(path)) == 0)
		rmdir(path);
	nd_free(s->nd);
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->pid_fd >= 0 && s->locked &&
	    netlab_run_path(s->lab.name, "switch.pid", path, sizeof(path)) ==
		    0) {
		unlink(path);
	}
	if (s->pid_fd >= 0)
		close(s->pid_fd);
}

static void
signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
tell_ready(int fd, const char *error)
{
	char buf[ERR_MSG_MAX + 16];
	int n;

	if (fd < 0)
		return;
	if (error)
		n = snprintf(buf, sizeof(buf), "error: %s\n", error);
	else
		n = snprintf(buf, sizeof(buf), "ok\n");
	if (n > 0)
		(void)!write(fd, buf,
			     (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf));
	close(fd);
}

int
switch_run(const struct netlab *lab, int ready_fd)
{
	struct sw *s = malloc(sizeof(*s));
	int r;

	if (!s) {
		tell_ready(ready_fd, "out of memory");
		return err_set("out of memory");
	}
	stop_requested = 0;
	signals();
	r = sw_start(s, lab);
	if (r < 0) {
		tell_ready(ready_fd, err_msg());
		sw_stop(s);
		free(s);
		return -1;
	}
	sw_log(s, "switch.started",
	       json_pack("{s:s,s:I}", "mode", nd_mode_name(lab->nd.mode), "pid",
			 (json_int_t)getpid()));
	tell_ready(ready_fd, NULL);

	r = run_loop(s);
	sw_log(s, "switch.stopped",
	       json_pack("{s:s}", "reason", r < 0 ? err_msg() : "signal"));
	sw_stop(s);
	free(s);
	return r;
}
