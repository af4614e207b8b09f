#include "qmp.h"

#include "lib/err.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define QMP_BUF_START 4096
#define QMP_PUMP_BATCH 1024 /* messages one qmp_pump() handles at most */

struct qmp_conn {
	int fd;
	char *buf; /* bytes read; unparsed from off, no '\n' before scan */
	size_t off;
	size_t len;
	size_t cap;
	size_t scan;
	json_t *events; /* array, oldest first */
	unsigned long dropped;
	json_int_t next_id;
	int closed;		      /* the peer closed the socket */
	char broken[ERR_MSG_MAX / 2]; /* why the connection is unusable */
	char err_class[64];
};

/* What route() did with a message. */
enum { ROUTE_DROPPED, ROUTE_EVENT, ROUTE_REPLY };

static int64_t
deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return time_mono_ns() + (int64_t)timeout_ms * 1000000;
}

/* Milliseconds left before deadline, rounded up; -1 for no deadline. */
static int
remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - time_mono_ns();
	if (left <= 0)
		return 0;
	if (left / 1000000 >= INT32_MAX)
		return INT32_MAX;
	return (int)((left + 999999) / 1000000);
}

static void
conn_shut(struct qmp_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	free(c->buf);
	c->buf = NULL;
	c->off = c->len = c->cap = c->scan = 0;
}

/* The peer went away; err is 0 for an orderly close, else the errno. */
static int
conn_closed(struct qmp_conn *c, int err)
{
	if (err)
		snprintf(c->broken, sizeof(c->broken), "QMP socket closed: %s",
			 strerror(err));
	else
		snprintf(c->broken, sizeof(c->broken), "QMP socket closed");
	c->closed = 1;
	conn_shut(c);
	return err_set("%s", c->broken);
}

/* The stream can no longer be trusted: say why and stop using it. */
static int
conn_break(struct qmp_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->broken, sizeof(c->broken), fmt, ap);
	va_end(ap);
	conn_shut(c);
	return err_set("%s; connection unusable", c->broken);
}

static int
conn_check(const struct qmp_conn *c)
{
	if (!c->broken[0])
		return 0;
	if (c->closed)
		return err_set("%s", c->broken);
	return err_set("QMP connection unusable: %s", c->broken);
}

/* Wait for events on the socket: 1 when ready, 0 at the deadline. */
static int
conn_wait(struct qmp_conn *c, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, remaining_ms(deadline));
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return err_errno("cannot poll QMP socket");
	}
}

/* Make room for more input, never beyond QMP_MAX_MSG. */
static int
conn_grow(struct qmp_conn *c)
{
	size_t cap;
	char *buf;

	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->scan -= c->off;
		c->off = 0;
	}
	if (c->len < c->cap)
		return 0;
	if (c->cap >= QMP_MAX_MSG)
		return conn_break(c, "QMP message longer than %d bytes",
				  QMP_MAX_MSG);

	cap = c->cap ? c->cap * 2 : QMP_BUF_START;
	if (cap > QMP_MAX_MSG)
		cap = QMP_MAX_MSG;
	buf = realloc(c->buf, cap);
	if (!buf)
		return err_set("out of memory reading QMP socket");
	c->buf = buf;
	c->cap = cap;
	return 0;
}

/* One non-blocking read: 1 when bytes came, 0 when none were there. */
static int
conn_fill(struct qmp_conn *c)
{
	ssize_t n;

	if (conn_grow(c) < 0)
		return -1;
	for (;;) {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			return 1;
		}
		if (n == 0)
			return conn_closed(c, 0);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == ECONNRESET)
			return conn_closed(c, errno);
		return conn_break(c, "cannot read QMP socket: %s",
				  strerror(errno));
	}
}

static int
blank(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	return n == 0;
}

static int
parse_line(struct qmp_conn *c, const char *line, size_t n, json_t **msg)
{
	json_error_t jerr;

	*msg = json_loadb(line, n, 0, &jerr);
	if (!*msg)
		return conn_break(c, "malformed QMP message: %s", jerr.text);
	if (!json_is_object(*msg)) {
		json_decref(*msg);
		*msg = NULL;
		return conn_break(c, "malformed QMP message: not an object");
	}
	return 0;
}

/* Take one complete message from the buffer: 1 when there was one. */
static int
take_line(struct qmp_conn *c, json_t **msg)
{
	const char *line;
	char *nl;
	size_t n;

	*msg = NULL;
	while (c->scan < c->len) {
		nl = memchr(c->buf + c->scan, '\n', c->len - c->scan);
		if (!nl) {
			c->scan = c->len;
			return 0;
		}

		line = c->buf + c->off;
		n = (size_t)(nl - line) + 1;
		c->off += n;
		c->scan = c->off;
		if (!blank(line, n) && parse_line(c, line, n, msg) < 0)
			return -1;
		if (*msg)
			return 1;
	}
	return 0;
}

/* The next message before deadline: 0 with *msg, 1 on timeout, -1. */
static int
read_msg(struct qmp_conn *c, int64_t deadline, json_t **msg)
{
	int r;

	for (;;) {
		r = take_line(c, msg);
		if (r != 0)
			return r > 0 ? 0 : -1;
		r = conn_fill(c);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		r = conn_wait(c, POLLIN, deadline);
		if (r <= 0)
			return r == 0 ? 1 : -1;
	}
}

static void
queue_event(struct qmp_conn *c, json_t *event)
{
	if (json_array_size(c->events) >= QMP_MAX_EVENTS) {
		json_array_remove(c->events, 0);
		c->dropped++;
	}
	json_array_append_new(c->events, event);
}

/*
 * Queue an event, hand over the reply with id want through *reply
 * (when reply is not NULL), drop anything else: late replies, a
 * repeated greeting, unknown kinds.
 */
static int
route(struct qmp_conn *c, json_t *msg, json_int_t want, json_t **reply)
{
	json_t *id;

	if (json_is_string(json_object_get(msg, "event"))) {
		queue_event(c, msg);
		return ROUTE_EVENT;
	}

	id = json_object_get(msg, "id");
	if (reply && json_is_integer(id) && json_integer_value(id) == want &&
	    (json_object_get(msg, "return") || json_object_get(msg, "error"))) {
		*reply = msg;
		return ROUTE_REPLY;
	}
	json_decref(msg);
	return ROUTE_DROPPED;
}

/*
 * The peer is gone while we were writing: keep the events it sent
 * before it went (a SHUTDOWN, say), then report the close.
 */
static int
conn_lost(struct qmp_conn *c, int err)
{
	json_t *msg;

	while (read_msg(c, deadline_of(0), &msg) == 0)
		route(c, msg, 0, NULL);
	if (!c->broken[0])
		conn_closed(c, err);
	return conn_check(c);
}

static int
send_all(struct qmp_conn *c, const char *p, size_t n, int64_t deadline,
	 const char *command)
{
	size_t done = 0;
	ssize_t w;
	int r;

	while (done < n) {
		w = send(c->fd, p + done, n - done, MSG_NOSIGNAL);
		if (w >= 0) {
			done += (size_t)w;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			return conn_lost(c, errno);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return conn_break(c, "cannot write QMP socket: %s",
					  strerror(errno));

		r = conn_wait(c, POLLOUT, deadline);
		if (r < 0)
			return -1;
		if (r == 0 && done)
			return conn_break(c, "timed out sending QMP command "
					  "'%s'", command);
		if (r == 0)
			return err_set("timed out sending QMP command '%s'",
				       command);
	}
	return 0;
}

static int
send_command(struct qmp_conn *c, const char *command, json_t *args,
	     json_int_t id, int64_t deadline)
{
	json_t *msg;
	char *text;
	size_t n;
	int r;

	msg = json_pack("{s:s, s:I}", "execute", command, "id", id);
	if (!msg || (args && json_object_set(msg, "arguments", args) < 0)) {
		json_decref(msg);
		return err_set("cannot encode QMP command '%s'", command);
	}
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return err_set("cannot encode QMP command '%s'", command);

	/* json_dumps leaves no newline; there is room where its NUL was. */
	n = strlen(text);
	text[n] = '\n';
	r = send_all(c, text, n + 1, deadline, command);
	free(text);
	return r;
}

static int
wait_reply(struct qmp_conn *c, json_int_t id, int timeout_ms,
	   const char *command, json_t **reply)
{
	int64_t deadline = deadline_of(timeout_ms);
	json_t *msg;
	int r;

	*reply = NULL;
	while (!*reply) {
		r = read_msg(c, deadline, &msg);
		if (r < 0)
			return -1;
		if (r > 0)
			return err_set("timed out after %d ms waiting for QMP "
				       "command '%s'", timeout_ms, command);
		route(c, msg, id, reply);
	}
	return 0;
}

static int
reply_error(struct qmp_conn *c, const char *command, json_t *reply)
{
	json_t *error = json_object_get(reply, "error");
	const char *cls = json_string_value(json_object_get(error, "class"));
	const char *desc = json_string_value(json_object_get(error, "desc"));

	snprintf(c->err_class, sizeof(c->err_class), "%s",
		 cls ? cls : "GenericError");
	err_set("QMP command '%s' failed: %s: %s", command, c->err_class,
		desc ? desc : "(no description)");
	return QMP_EREPLY;
}

int
qmp_execute(struct qmp_conn *c, const char *command, json_t *args,
	    int timeout_ms, json_t **ret)
{
	json_int_t id = ++c->next_id;
	json_t *reply, *value;
	int r;

	if (ret)
		*ret = NULL;
	c->err_class[0] = '\0';
	if (conn_check(c) < 0)
		return err_prefix("cannot run QMP command '%s'", command);

	if (send_command(c, command, args, id, deadline_of(timeout_ms)) < 0 ||
	    wait_reply(c, id, timeout_ms, command, &reply) < 0)
		return err_prefix("cannot run QMP command '%s'", command);

	value = json_object_get(reply, "return");
	r = value ? 0 : reply_error(c, command, reply);
	if (value && ret)
		*ret = json_incref(value);
	json_decref(reply);
	return r;
}

const char *
qmp_error_class(const struct qmp_conn *c)
{
	return c->err_class;
}

/*
 * Read up to the greeting.  QEMU may send an event first when one
 * fires while it accepts the connection (RESUME at start-up); such
 * events are queued like any other.
 */
static int
read_greeting(struct qmp_conn *c, int64_t deadline)
{
	json_t *msg;
	char *text;
	int r;

	for (;;) {
		r = read_msg(c, deadline, &msg);
		if (r < 0)
			return -1;
		if (r > 0)
			return err_set("timed out waiting for QMP greeting");
		if (!json_is_string(json_object_get(msg, "event")))
			break;
		queue_event(c, msg);
	}

	if (json_is_object(json_object_get(msg, "QMP"))) {
		json_decref(msg);
		return 0;
	}
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	conn_break(c, "unexpected QMP greeting '%.64s'", text ? text : "");
	free(text);
	return -1;
}

static int
open_socket(const char *sock_path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	*fd = -1;
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return err_set("QMP socket path too long: '%s'", sock_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);

	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return err_errno("cannot create socket");
	while (connect(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EISCONN)
			break;
		if (errno != EINTR) {
			err_errno("cannot connect to QMP socket '%s'",
				  sock_path);
			close(*fd);
			*fd = -1;
			return -1;
		}
	}
	return 0;
}

/* Take fd over, read the greeting and negotiate; -1 with fd closed. */
static int
conn_start(int fd, int64_t deadline, struct qmp_conn **out)
{
	struct qmp_conn *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->events = json_array())) {
		free(c);
		close(fd);
		return err_set("out of memory");
	}
	c->fd = fd;

	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0) {
		err_errno("cannot set QMP socket non-blocking");
		goto fail;
	}
	if (read_greeting(c, deadline) < 0 ||
	    qmp_execute(c, "qmp_capabilities", NULL, remaining_ms(deadline),
			NULL) != 0)
		goto fail;
	*out = c;
	return 0;

fail:
	qmp_close(c);
	return -1;
}

int
qmp_connect(const char *sock_path, int timeout_ms, struct qmp_conn **out)
{
	int64_t deadline = deadline_of(timeout_ms);
	int fd;

	*out = NULL;
	if (open_socket(sock_path, &fd) < 0)
		return -1;
	if (conn_start(fd, deadline, out) < 0)
		return err_prefix("cannot negotiate QMP on '%s'", sock_path);
	return 0;
}

int
qmp_connect_fd(int fd, int timeout_ms, struct qmp_conn **out)
{
	if (conn_start(fd, deadline_of(timeout_ms), out) < 0)
		return err_prefix("cannot negotiate QMP");
	return 0;
}

static json_t *
take_event(struct qmp_conn *c, size_t i)
{
	json_t *event = json_incref(json_array_get(c->events, i));

	json_array_remove(c->events, i);
	return event;
}

static int
event_named(const json_t *event, const char *name)
{
	const char *s = json_string_value(json_object_get(event, "event"));

	return s && !strcmp(s, name);
}

/* Read until an event is queued that matches name (any when NULL). */
static int
read_event(struct qmp_conn *c, const char *name, int64_t deadline,
	   json_t **event)
{
	json_t *msg;
	size_t last;
	int r;

	for (;;) {
		r = read_msg(c, deadline, &msg);
		if (r != 0)
			return r;
		if (route(c, msg, 0, NULL) != ROUTE_EVENT)
			continue;
		last = json_array_size(c->events) - 1;
		if (!name || event_named(msg, name)) {
			*event = take_event(c, last);
			return 0;
		}
	}
}

int
qmp_next_event(struct qmp_conn *c, int timeout_ms, json_t **event)
{
	int r;

	*event = NULL;
	if (json_array_size(c->events)) {
		*event = take_event(c, 0);
		return 0;
	}
	if (conn_check(c) < 0)
		return -1;

	r = read_event(c, NULL, deadline_of(timeout_ms), event);
	if (r > 0)
		err_set("timed out after %d ms waiting for a QMP event",
			timeout_ms);
	return r;
}

int
qmp_wait_event(struct qmp_conn *c, const char *name, int timeout_ms,
	       json_t **event)
{
	size_t i;
	int r;

	*event = NULL;
	for (i = 0; i < json_array_size(c->events); i++) {
		if (event_named(json_array_get(c->events, i), name)) {
			*event = take_event(c, i);
			return 0;
		}
	}
	if (conn_check(c) < 0)
		return -1;

	r = read_event(c, name, deadline_of(timeout_ms), event);
	if (r > 0)
		err_set("timed out after %d ms waiting for QMP event '%s'",
			timeout_ms, name);
	return r;
}

int
qmp_fd(const struct qmp_conn *c)
{
	return c->fd;
}

int
qmp_pump(struct qmp_conn *c)
{
	int64_t now = deadline_of(0);
	json_t *msg;
	int i, r, queued = 0;

	if (conn_check(c) < 0)
		return -1;
	for (i = 0; i < QMP_PUMP_BATCH; i++) {
		r = read_msg(c, now, &msg);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		if (route(c, msg, 0, NULL) == ROUTE_EVENT)
			queued++;
	}
	return queued;
}

unsigned long
qmp_events_dropped(const struct qmp_conn *c)
{
	return c->dropped;
}

int
qmp_status(struct qmp_conn *c, int timeout_ms, char *status, size_t size,
	   int *running)
{
	json_t *ret;
	const char *s;
	json_t *run;
	int r;

	r = qmp_execute(c, "query-status", NULL, timeout_ms, &ret);
	if (r != 0)
		return r;

	s = json_string_value(json_object_get(ret, "status"));
	run = json_object_get(ret, "running");
	r = 0;
	if (!s || !json_is_boolean(run))
		r = err_set("query-status reply lacks 'status' or 'running'");
	else if ((size_t)snprintf(status, size, "%s", s) >= size)
		r = err_set("QMP run state '%.32s' too long", s);
	else if (running)
		*running = json_is_true(run);
	json_decref(ret);
	return r;
}

void
qmp_close(struct qmp_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	json_decref(c->events);
	free(c);
}
