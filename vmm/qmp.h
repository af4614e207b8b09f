/*
 * qmp: a client for QEMU's machine protocol on a unix socket.
 *
 * One connection carries replies and asynchronous events interleaved.
 * qmp_execute() tags every command with an id and waits for the reply
 * bearing that id; events that arrive meanwhile are queued in order of
 * arrival and handed out later by qmp_next_event() or qmp_wait_event().
 * A reply whose id matches no waiting command (a late answer to a
 * command that timed out) is dropped.
 *
 * Timeouts are in milliseconds on the monotonic clock; a negative
 * timeout waits without limit, 0 only looks at what is already there.
 * Signals do not cut a wait short (EINTR is retried), and writing to a
 * socket QEMU closed fails with "QMP socket closed", never SIGPIPE.
 *
 * Everything QEMU sends is bounded: a message longer than QMP_MAX_MSG
 * bytes breaks the connection, and at most QMP_MAX_EVENTS events wait
 * in the queue (the oldest is dropped beyond that, and counted).
 * Once a connection is broken (socket closed, malformed message,
 * message too long) every call on it fails with -1 and says why; only
 * events already queued can still be read, and qmp_close() frees it.
 *
 * Return codes: 0 on success, -1 on a transport failure with err_msg()
 * set, QMP_EREPLY when QEMU answered a command with an error.  A
 * connection is used by one thread at a time.
 */
#ifndef SECVF_VMM_QMP_H
#define SECVF_VMM_QMP_H

#include <jansson.h>
#include <stddef.h>

#define QMP_MAX_MSG (1024 * 1024) /* bytes in one message, with "\r\n" */
#define QMP_MAX_EVENTS 4096	  /* queued events before the oldest go */
#define QMP_EREPLY (-2)		  /* QEMU answered {"error": ...} */

struct qmp_conn;

/*
 * Connect to the QMP socket at sock_path, read QEMU's greeting
 * {"QMP": ...} and leave capability negotiation with
 * qmp_capabilities, all within timeout_ms.  On success *out is a
 * connection the caller frees with qmp_close(); on failure (-1,
 * err_msg() set) *out is NULL.
 */
int qmp_connect(const char *sock_path, int timeout_ms, struct qmp_conn **out);

/*
 * As qmp_connect(), over fd, a stream socket already connected to
 * QEMU's QMP (one end of a socketpair(2), a socket passed down by a
 * parent).  The connection takes fd over: it is made non-blocking and
 * closed by qmp_close(), or before returning -1 when the greeting or
 * the negotiation fails.
 */
int qmp_connect_fd(int fd, int timeout_ms, struct qmp_conn **out);

/*
 * Run one command: send {"execute": command, "arguments": args,
 * "id": N} and wait up to timeout_ms for the reply with id N.  args is
 * borrowed and may be NULL.  When ret is not NULL, *ret receives the
 * value of "return" (a new reference the caller json_decref()s) on
 * success and NULL otherwise.
 *
 * Returns 0 on {"return": ...}; QMP_EREPLY on {"error": {"class",
 * "desc"}}, with err_msg() "QMP command 'x' failed: CLASS: DESC" and
 * qmp_error_class() giving CLASS (the connection stays usable); -1 on
 * a transport failure (timeout, closed socket, malformed or oversized
 * message), with err_msg() set.
 */
int qmp_execute(struct qmp_conn *c, const char *command, json_t *args,
		int timeout_ms, json_t **ret);

/*
 * The error class of the last command that returned QMP_EREPLY, such
 * as "CommandNotFound" or "GenericError"; "" after any other outcome.
 * Owned by the connection, valid until its next call.
 */
const char *qmp_error_class(const struct qmp_conn *c);

/*
 * Take the oldest queued event, reading from the socket for up to
 * timeout_ms when the queue is empty.  Returns 0 with *event set (the
 * whole message: "event", "data", "timestamp"; the caller
 * json_decref()s it), 1 on timeout with *event NULL, -1 with *event
 * NULL when the connection is closed or broken and the queue empty.
 */
int qmp_next_event(struct qmp_conn *c, int timeout_ms, json_t **event);

/*
 * Take the oldest event named name ("STOP", "SHUTDOWN" ...), looking
 * first in the queue (events that arrived before the call count) and
 * then reading for up to timeout_ms.  Events of other names stay in
 * the queue, in order, for qmp_next_event().  Returns as
 * qmp_next_event(); a timeout leaves err_msg() naming the event.
 */
int qmp_wait_event(struct qmp_conn *c, const char *name, int timeout_ms,
		   json_t **event);

/* The socket, for poll() in a supervisor loop; call qmp_pump() on POLLIN. */
int qmp_fd(const struct qmp_conn *c);

/*
 * Read whatever the socket holds without blocking and queue the events
 * in it.  Returns how many events this call queued (0 or more), or -1
 * when the connection is closed or broken (queued events stay
 * readable).
 */
int qmp_pump(struct qmp_conn *c);

/* Events dropped because the queue was full, since the connection began. */
unsigned long qmp_events_dropped(const struct qmp_conn *c);

/*
 * Run query-status: copy the run state ("running", "paused",
 * "shutdown", "guest-panicked" ...) into status (size bytes) and set
 * *running (may be NULL) to 1 or 0.  Returns as qmp_execute(); -1 too
 * when the reply lacks these members or status is too small.
 */
int qmp_status(struct qmp_conn *c, int timeout_ms, char *status, size_t size,
	       int *running);

/* Close the socket and free the connection and its queue; NULL is fine. */
void qmp_close(struct qmp_conn *c);

#endif
