/*
 * fuzz_qmp: libFuzzer target for the QMP client, fed what a hostile
 * QEMU (or a guest that took it over) could send: the input is written
 * to the far end of a socketpair by a second thread, then the socket is
 * closed, while the client connects (greeting, qmp_capabilities with id
 * 1), runs query-status (id 2) and stop (id 3), waits for a STOP event
 * and reads every event left until the connection ends.
 *
 * The first byte picks the writer's chunk size (1 << (b & 15) bytes),
 * so that messages are cut anywhere (fewer, larger writes for a long
 * stream).  In the rest, a NUL byte followed
 * by n > 0 stands for n * 4096 spaces (JSON whitespace), so that short
 * inputs reach QMP_MAX_MSG; NUL followed by 0 is a NUL.
 *
 *	make fuzz FUZZ_ONLY=qmp
 */
#include "vmm/qmp.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXPANDED_MAX (2u << 20)
#define SENDS_MAX 4096 /* writes per input, whatever the chunk size */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	int fd;
	const uint8_t *p;
	size_t len;
	size_t chunk;
};

static void *
writer(void *arg)
{
	struct feed *f = arg;
	size_t done = 0, n;
	ssize_t w;

	while (done < f->len) {
		n = f->len - done < f->chunk ? f->len - done : f->chunk;
		w = send(f->fd, f->p + done, n, MSG_NOSIGNAL);
		if (w < 0)
			break;
		done += (size_t)w;
	}
	close(f->fd);
	return NULL;
}

/* Expand the NUL escapes of data into out (NULL: only count). */
static size_t
expand_into(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t i, n = 0, run;

	for (i = 0; i < size; i++) {
		if (data[i] || i + 1 == size) {
			if (out)
				out[n] = data[i];
			n++;
			continue;
		}
		run = data[++i] ? (size_t)data[i] * 4096 : 1;
		if (out)
			memset(out + n, data[i] ? ' ' : '\0', run);
		n += run;
	}
	return n;
}

static uint8_t *
expand(const uint8_t *data, size_t size, size_t *len)
{
	uint8_t *out;

	*len = expand_into(data, size, NULL);
	if (*len > EXPANDED_MAX || !(out = malloc(*len ? *len : 1)))
		return NULL;
	expand_into(data, size, out);
	return out;
}

static void
exercise(struct qmp_conn *c)
{
	json_t *ev = NULL, *ret = NULL;
	char status[16];
	int running;

	qmp_status(c, -1, status, sizeof(status), &running);
	if (qmp_execute(c, "stop", NULL, -1, &ret) == QMP_EREPLY &&
	    !qmp_error_class(c)[0])
		__builtin_trap();
	json_decref(ret);
	if (qmp_wait_event(c, "STOP", -1, &ev) == 0 &&
	    strcmp(json_string_value(json_object_get(ev, "event")), "STOP"))
		__builtin_trap();
	json_decref(ev);
	qmp_pump(c);
	while (qmp_next_event(c, -1, &ev) == 0) {
		if (!json_is_string(json_object_get(ev, "event")))
			__builtin_trap();
		json_decref(ev);
	}
	if (qmp_execute(c, "cont", NULL, -1, NULL) != -1)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_conn *c = NULL;
	struct feed f;
	pthread_t t;
	uint8_t *text;
	int sv[2];

	if (size < 1)
		return 0;
	text = expand(data + 1, size - 1, &f.len);
	if (!text)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	f.fd = sv[1];
	f.p = text;
	f.chunk = (size_t)1 << (data[0] & 15);
	if (f.len / f.chunk > SENDS_MAX)
		f.chunk = f.len / SENDS_MAX + 1;
	if (pthread_create(&t, NULL, writer, &f) != 0)
		abort();

	if (qmp_connect_fd(sv[0], -1, &c) == 0)
		exercise(c);
	qmp_close(c);
	pthread_join(t, NULL);
	free(text);
	return 0;
}
