/*
 * libFuzzer target: a guest's byte stream into a switch port.  The
 * first input byte picks the read size, the rest is the stream; every
 * frame found goes through the detectors of a lab with two ports, as
 * the switch would.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	    fuzz/fuzz_switch_stream.c build/libsecvf.a \
 *	    $(pkg-config --libs jansson libcrypto) -o build/fuzz_stream
 *	build/fuzz_stream fuzz/corpus/stream
 *
 * (or `make fuzz`).
 */
#include "detect/netdetect.h"
#include "vmm/swstream.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_stream s;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nd *d;
	struct nd_config c;
	struct nd_verdict v;
	const uint8_t *frame;
	size_t step, room, n, len;
	int64_t now = 1000000000;
	uint8_t *at;

	if (!d) {
		nd_config_init(&c);
		c.mode = ND_FAKENET;
		d = nd_new(&c, NULL, NULL);
		nd_port_attach(d, 0, "a", ND_PORT_GUEST);
		nd_port_attach(d, 1, "r", ND_PORT_ROUTER);
	}
	if (size < 1)
		return 0;
	step = (size_t)data[0] * 7 + 1;
	data++;
	size--;

	sw_stream_init(&s);
	while (size) {
		at = sw_stream_space(&s, &room);
		n = size < step ? size : step;
		n = n < room ? n : room;
		memcpy(at, data, n);
		sw_stream_commit(&s, n);
		data += n;
		size -= n;
		while (sw_stream_next(&s, &frame, &len) > 0)
			nd_frame(d, (int)(len & 1), frame, len, now++, &v);
		if (sw_stream_pending(&s) > SW_STREAM_BUF)
			__builtin_trap();
	}
	nd_tick(d, now + 3600000000LL);
	return 0;
}
