/*
 * libFuzzer target: one Ethernet frame through the parser, the DNS
 * walker and every detector of each mode.  Build as fuzz_switch_stream.c
 * says (or `make fuzz`).
 */
#include "detect/netdetect.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count(void *ctx, const uint8_t *addr, size_t len)
{
	(void)addr;
	*(size_t *)ctx += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nd *labs[3];
	struct nd_config c;
	struct nd_frame f;
	struct nd_verdict v;
	size_t seen = 0;
	int i, resp;

	if (!labs[0]) {
		for (i = 0; i < 3; i++) {
			nd_config_init(&c);
			c.mode = (enum nd_mode)i;
			labs[i] = nd_new(&c, NULL, NULL);
			nd_port_attach(labs[i], 0, "a", ND_PORT_GUEST);
			nd_port_attach(labs[i], 1, "r", ND_PORT_ROUTER);
			nd_port_attach(labs[i], 2, "m", ND_PORT_MIRROR);
		}
	}
	nd_parse(data, size, 1500, &f);
	nd_dns_walk(data, size, &resp, count, &seen);
	for (i = 0; i < 3; i++) {
		nd_frame(labs[i], (int)(size % 3), data, size, 1000000000, &v);
		if (v.action == ND_FORWARD &&
		    (v.out_port < 0 || v.out_port >= ND_PORTS_MAX))
			__builtin_trap();
	}
	return 0;
}
