/*
 * libFuzzer target for the host channel parser.  The first byte picks
 * a chunk size so that the fuzzer also explores how the stream is cut;
 * the parser must never read past what it is given, never buffer more
 * than one payload, and never crash, whatever the guest sends.
 *
 *	clang -fsanitize=fuzzer,address -I. -D_GNU_SOURCE \
 *		fuzz/fuzz_chanproto.c detect/chanproto.c detect/detector.c \
 *		detect/ratelimit.c detect/severity.c lib/err.c -ljansson
 */
#include "detect/chanproto.h"

#include <stddef.h>
#include <stdint.h>

static void
drop(void *ctx, enum ev_severity sev, const char *subsystem, const char *event,
     json_t *data)
{
	json_decref(data);
}

static void
on_msg(void *ctx, const struct chan_msg *msg)
{
	volatile uint8_t sum = 0;
	uint32_t i;

	for (i = 0; i < msg->len; i++)
		sum ^= msg->payload[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct det_sink sink = {drop, NULL};
	struct chanproto_parser p;
	size_t chunk, off = 1, n;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	if (chanproto_init(&p, 4096, &sink, NULL, on_msg, NULL) < 0)
		return 0;
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		if (chanproto_feed(&p, data + off, n, 0) < 0)
			break;
		off += n;
	}
	chanproto_close(&p, 0);
	chanproto_release(&p);
	return 0;
}
