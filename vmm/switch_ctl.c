/*
 * switch_ctl: the switch's control socket, its statistics and its
 * captures.
 */
#include "switch_int.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define US 1000000LL

static const char *
kind_name(enum nd_port_kind k)
{
	return k == ND_PORT_MIRROR   ? "mirror"
	       : k == ND_PORT_ROUTER ? "router"
				     : "guest";
}

static json_t *
drops_json(const uint64_t *drops)
{
	json_t *o = json_object();
	int i;

	for (i = 0; o && i < ND_DROP_COUNT; i++)
		json_object_set_new(o, nd_drop_name((enum nd_drop)i),
				    json_integer((json_int_t)drops[i]));
	return o;
}

static json_t *
port_json(struct sw *s, int i)
{
	const struct sw_port *p = &s->ports[i];
	const struct nd_port_stats *st = nd_port_stats(s->nd, i);

	return json_pack("{s:i,s:s,s:s,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:o}",
			 "port", i, "vm", p->vm, "kind", kind_name(p->kind),
			 "connected", p->fd >= 0, "path", p->path, "rx_frames",
			 (json_int_t)st->rx_frames, "rx_bytes",
			 (json_int_t)st->rx_bytes, "tx_frames",
			 (json_int_t)st->tx_frames, "tx_bytes",
			 (json_int_t)st->tx_bytes, "queued",
			 (json_int_t)p->qlen, "drops", drops_json(st->drops));
}

json_t *
sw_stats(struct sw *s)
{
	uint64_t total[ND_DROP_COUNT];
	json_t *ports = json_array(), *caps = json_array();
	char started[TIME_ISO_LEN];
	int i;

	for (i = 0; i < ND_PORTS_MAX; i++)
		if (s->ports[i].used)
			json_array_append_new(ports, port_json(s, i));
	for (i = 0; i < ND_DROP_COUNT; i++)
		total[i] = nd_drops(s->nd, (enum nd_drop)i);
	for (i = 0; i < SW_CAPTURES_MAX; i++)
		if (s->caps[i].cap)
			json_array_append_new(
				caps,
				json_pack("{s:i,s:s,s:I}", "id", s->caps[i].id,
					  "path", s->caps[i].path, "packets",
					  (json_int_t)netcap_packets(
						  s->caps[i].cap)));
	time_iso(s->started, started);
	return json_pack("{s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:o}", "lab",
			 s->lab.name, "mode", nd_mode_name(s->lab.nd.mode),
			 "pid", (json_int_t)getpid(), "started", started,
			 "ports", ports, "mac_table",
			 nd_mac_table(s->nd, s->now), "drops",
			 drops_json(total), "captures", caps);
}

/* --- captures --- */

void
sw_capture_end(struct sw *s, struct sw_capture *c, const char *error)
{
	c->packets = netcap_packets(c->cap);
	if (error)
		snprintf(c->error, sizeof(c->error), "%s", error);
	netcap_close(c->cap);
	c->cap = NULL;
	s->ncaps--;
	sw_log(s, "capture.ended",
	       json_pack("{s:i,s:s,s:I,s:s?}", "id", c->id, "path", c->path,
			 "packets", (json_int_t)c->packets, "error", error));
}

/* A free slot: never used, or the oldest finished capture. */
static struct sw_capture *
capture_slot(struct sw *s)
{
	struct sw_capture *best = NULL;
	int i;

	for (i = 0; i < SW_CAPTURES_MAX; i++) {
		struct sw_capture *c = &s->caps[i];

		if (c->cap)
			continue;
		if (!best || c->id < best->id)
			best = c;
	}
	return best;
}

static json_t *
op_capture(struct sw *s, json_t *req)
{
	struct netcap_opts o = {.port = -1};
	struct sw_capture *c = capture_slot(s);
	const char *vm = NULL;
	json_int_t duration = 0, count = 0;

	if (json_unpack(req, "{s:s,s?s,s?s,s?I,s?I}", "path", &o.path, "filter",
			&o.filter, "vm", &vm, "count", &count, "duration",
			&duration) < 0 ||
	    o.path[0] != '/' || count < 0 || duration < 0)
		return json_pack("{s:s}", "error", "bad capture request");
	if (!c)
		return json_pack("{s:s}", "error", "too many captures running");
	if (vm && (o.port = sw_port_find(s, vm, 0)) < 0 &&
	    (o.port = sw_port_find(s, vm, 1)) < 0)
		return json_pack("{s:s}", "error", "no port for that VM");

	o.count = (uint64_t)count;
	o.until_us = duration ? s->now + duration * US : 0;
	o.max_bytes = s->lab.capture_max_bytes;
	o.files = s->lab.capture_files;
	memset(c, 0, sizeof(*c));
	c->cap = netcap_open(&o);
	if (!c->cap)
		return json_pack("{s:s}", "error", err_msg());
	c->id = ++s->next_capture;
	snprintf(c->path, sizeof(c->path), "%s", o.path);
	snprintf(c->vm, sizeof(c->vm), "%s", vm ? vm : "");
	s->ncaps++;
	sw_log(s, "capture.started",
	       json_pack("{s:i,s:s,s:s,s:s}", "id", c->id, "path", c->path,
			 "filter", o.filter ? o.filter : "", "vm", c->vm));
	return json_pack("{s:i,s:s}", "id", c->id, "path", c->path);
}

static struct sw_capture *
capture_by_id(struct sw *s, json_t *req)
{
	json_int_t id = 0;
	int i;

	if (json_unpack(req, "{s:I}", "id", &id) < 0)
		return NULL;
	for (i = 0; i < SW_CAPTURES_MAX; i++)
		if (s->caps[i].id && s->caps[i].id == id)
			return &s->caps[i];
	return NULL;
}

static json_t *
op_capture_status(struct sw *s, json_t *req, int stop)
{
	struct sw_capture *c = capture_by_id(s, req);

	if (!c)
		return json_pack("{s:s}", "error", "no such capture");
	if (stop && c->cap)
		sw_capture_end(s, c, NULL);
	return json_pack(
		"{s:i,s:s,s:b,s:I,s:s?}", "id", c->id, "path", c->path,
		"running", c->cap != NULL, "packets",
		(json_int_t)(c->cap ? netcap_packets(c->cap) : c->packets),
		"error", c->error[0] ? c->error : NULL);
}

static json_t *
op_port(struct sw *s, json_t *req)
{
	const char *vm, *kind = "vm";
	int mirror, i;

	if (json_unpack(req, "{s:s,s?s}", "vm", &vm, "kind", &kind) < 0 ||
	    (strcmp(kind, "vm") && strcmp(kind, "mirror")))
		return json_pack("{s:s}", "error", "bad port request");
	mirror = !strcmp(kind, "mirror");
	i = sw_port_create(s, vm, mirror);
	if (i < 0)
		return json_pack("{s:s}", "error", err_msg());
	return json_pack("{s:s,s:i,s:s}", "path", s->ports[i].path, "port", i,
			 "kind", kind_name(s->ports[i].kind));
}

static json_t *
handle(struct sw *s, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr), *reply;
	const char *op = NULL;

	if (!json_is_object(req) || json_unpack(req, "{s:s}", "op", &op) < 0)
		reply = json_pack("{s:s}", "error", "bad request");
	else if (!strcmp(op, "port"))
		reply = op_port(s, req);
	else if (!strcmp(op, "stats"))
		reply = sw_stats(s);
	else if (!strcmp(op, "capture"))
		reply = op_capture(s, req);
	else if (!strcmp(op, "capture-status"))
		reply = op_capture_status(s, req, 0);
	else if (!strcmp(op, "capture-stop"))
		reply = op_capture_status(s, req, 1);
	else
		reply = json_pack("{s:s}", "error", "unknown request");
	json_decref(req);
	return reply;
}

/* --- clients --- */

void
sw_ctl_accept(struct sw *s)
{
	int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < SW_CLIENTS_MAX; i++) {
		if (s->clients[i].fd < 0) {
			s->clients[i].fd = fd;
			s->clients[i].len = 0;
			return;
		}
	}
	close(fd); /* busy: the client sees the connection closed */
}

static void
reply_and_close(struct sw_client *c, json_t *reply)
{
	struct timeval tv = {.tv_sec = 2};
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	int flags = fcntl(c->fd, F_GETFL);

	json_decref(reply);
	/* A short, bounded blocking write: replies are small and the
	 * client is the user's own secvf command. */
	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (text) {
		(void)file_write_full(c->fd, text, strlen(text));
		(void)file_write_full(c->fd, "\n", 1);
	}
	free(text);
	close(c->fd);
	c->fd = -1;
}

void
sw_ctl_read(struct sw *s, int client)
{
	struct sw_client *c = &s->clients[client];
	char *nl;
	ssize_t n;

	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->len += (size_t)n;
	nl = memchr(c->buf, '\n', c->len);
	if (nl)
		reply_and_close(c, handle(s, c->buf, (size_t)(nl - c->buf)));
	else if (c->len == sizeof(c->buf))
		reply_and_close(
			c, json_pack("{s:s}", "error", "request too long"));
}
