#include "helpers.h"
#include "netframes.h"

#include "detect/netdetect.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(netdetect, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define SEC 1000000LL
#define T0 (1000 * SEC)

struct seen {
	enum ev_severity sev;
	char event[64];
	char vm[64];
	json_t *data;
};

static struct seen events[64];
static int nevents;

static void
sink(void *ctx, enum ev_severity sev, const char *event, const char *vm,
     json_t *data)
{
	struct seen *e;

	(void)ctx;
	cr_assert_lt(nevents, 64);
	e = &events[nevents++];
	e->sev = sev;
	snprintf(e->event, sizeof(e->event), "%s", event);
	snprintf(e->vm, sizeof(e->vm), "%s", vm ? vm : "");
	e->data = json_deep_copy(data);
}

static void
forget_events(void)
{
	while (nevents)
		json_decref(events[--nevents].data);
}

static int
count_events(const char *name)
{
	int i, n = 0;

	for (i = 0; i < nevents; i++)
		n += !strcmp(events[i].event, name);
	return n;
}

static struct seen *
find_event(const char *name)
{
	int i;

	for (i = 0; i < nevents; i++)
		if (!strcmp(events[i].event, name))
			return &events[i];
	return NULL;
}

static const char *
data_str(struct seen *e, const char *key)
{
	return json_string_value(json_object_get(e->data, key));
}

static long long
data_int(struct seen *e, const char *key)
{
	return json_integer_value(json_object_get(e->data, key));
}

static const uint8_t IP_A[4] = {10, 0, 100, 10};
static const uint8_t IP_B[4] = {10, 0, 100, 11};
static const uint8_t IP_GW[4] = {10, 0, 100, 1};
static const uint8_t IP_OUT[4] = {192, 0, 2, 1};

/* A lab of mode with guests a (port 0), b (port 1) and router r (2). */
static struct nd *
lab(enum nd_mode mode)
{
	struct nd_config c;
	struct nd *d;

	forget_events();
	nd_config_init(&c);
	c.mode = mode;
	d = nd_new(&c, sink, NULL);
	cr_assert_not_null(d);
	cr_assert_eq(nd_port_attach(d, 0, "a", ND_PORT_GUEST), 0);
	cr_assert_eq(nd_port_attach(d, 1, "b", ND_PORT_GUEST), 0);
	if (mode != ND_VIRTUAL)
		cr_assert_eq(nd_port_attach(d, 2, "r", ND_PORT_ROUTER), 0);
	return d;
}

static enum nd_action
feed(struct nd *d, int port, const uint8_t *f, size_t len, int64_t now,
     struct nd_verdict *out)
{
	struct nd_verdict v;

	nd_frame(d, port, f, len, now, &v);
	if (out)
		*out = v;
	return v.action;
}

/* Port learns mac by sending a broadcast ARP. */
static void
announce(struct nd *d, int port, const char *mac, const uint8_t ip[4],
	 int64_t now)
{
	uint8_t f[64];
	size_t n = nf_arp(f, MAC_BCAST, mac, 1, ip, IP_GW);

	cr_assert_eq(feed(d, port, f, n, now, NULL), ND_FLOOD);
}

/* --- parsing --- */

Test(netdetect, parses_a_udp_frame)
{
	uint8_t f[128];
	size_t n = nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_B, 1000, 53, "hi", 2);
	struct nd_frame p;

	cr_assert_eq(nd_parse(f, n, 1500, &p), 0, "%s", p.bad);
	cr_assert_eq(p.ip, 4);
	cr_assert_eq(p.proto, 17);
	cr_assert_eq(p.dport, 53);
	cr_assert_eq(p.udp_len, 2);
}

Test(netdetect, short_frames_are_not_runts)
{
	uint8_t f[64];
	size_t n = nf_arp(f, MAC_BCAST, MAC_A, 1, IP_A, IP_B);
	struct nd_frame p;

	cr_assert_eq(n, 42);
	cr_assert_eq(nd_parse(f, n, 1500, &p), 0);
}

Test(netdetect, flags_malformed_frames)
{
	uint8_t f[2048] = {0};
	struct nd_frame p;
	size_t n;

	cr_assert_eq(nd_parse(f, 13, 1500, &p), -1);
	cr_assert_str_eq(p.bad, "truncated Ethernet header");

	n = nf_eth(f, MAC_B, MAC_A, 0x0800);
	cr_assert_eq(nd_parse(f, 1518, 1500, &p), -1); /* zero IP version */
	nf_ipv4(f + n, IP_A, IP_B, 6, 1500 - 20);
	cr_assert_eq(nd_parse(f, 1514, 1500, &p), 0, "%s", p.bad);
	cr_assert_eq(nd_parse(f, 1519, 1500, &p), -1);
	cr_assert_str_eq(p.bad, "frame longer than the MTU allows");

	nf_ipv4(f + n, IP_A, IP_B, 6, 400); /* says 420 in a 100-byte frame */
	cr_assert_eq(nd_parse(f, 100, 1500, &p), -1);
	cr_assert_str_eq(p.bad, "IPv4 total length does not fit the frame");

	f[n] = 0x65; /* IPv6 behind the IPv4 EtherType */
	cr_assert_eq(nd_parse(f, 100, 1500, &p), -1);

	nf_eth(f, MAC_B, MAC_A, 0x05f0);
	cr_assert_eq(nd_parse(f, 100, 1500, &p), -1);
	cr_assert_str_eq(p.bad, "EtherType in the undefined range");

	nf_eth(f, MAC_B, MAC_A, 0x8100);
	f[16] = 0x81;
	f[17] = 0x00;
	cr_assert_eq(nd_parse(f, 100, 1500, &p), -1);
	cr_assert_str_eq(p.bad, "stacked VLAN tags");
}

Test(netdetect, vlan_frames_get_four_more_bytes)
{
	uint8_t f[2048] = {0};
	struct nd_frame p;

	nf_eth(f, MAC_B, MAC_A, 0x8100);
	f[16] = 0x08;
	f[17] = 0x00;
	nf_ipv4(f + 18, IP_A, IP_B, 6, 1500 - 20);
	cr_assert_eq(nd_parse(f, 1518, 1500, &p), 0, "%s", p.bad);
	cr_assert_eq(nd_parse(f, 1522, 1500, &p), 0, "%s", p.bad);
	cr_assert_eq(nd_parse(f, 1523, 1500, &p), -1);
}

Test(netdetect, flags_arp_whose_lengths_lie)
{
	uint8_t f[64];
	size_t n = nf_arp(f, MAC_BCAST, MAC_A, 1, IP_A, IP_B);
	struct nd_frame p;

	f[14 + 4] = 8; /* hardware address length 8 for Ethernet */
	cr_assert_eq(nd_parse(f, n, 1500, &p), -1);
	f[14 + 4] = 200;
	cr_assert_eq(nd_parse(f, n, 1500, &p), -1);
	cr_assert_str_eq(p.bad, "ARP address lengths do not fit the frame");
}

Test(netdetect, malformed_frame_is_dropped_and_reported)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[64] = {0};
	struct nd_verdict v;
	struct seen *e;

	nf_eth(f, MAC_B, MAC_A, 0x0800);
	cr_assert_eq(feed(d, 0, f, 30, T0, &v), ND_DROP);
	cr_assert_eq(v.reason, ND_DROP_MALFORMED);
	e = find_event("frame.malformed");
	cr_assert_not_null(e);
	cr_assert_eq(e->sev, EV_WARNING);
	cr_assert_str_eq(data_str(e, "vm"), "a");
	cr_assert_str_eq(data_str(e, "reason"), "truncated IPv4 header");
	cr_assert_eq(nd_port_stats(d, 0)->drops[ND_DROP_MALFORMED], 1);
	nd_free(d);
}

/* --- virtual mode egress --- */

Test(netdetect, virtual_mode_drops_egress_with_a_critical_event)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[128];
	size_t n =
		nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_OUT, 4000, 443, "x", 1);
	struct nd_verdict v;
	struct seen *e;

	cr_assert_eq(feed(d, 0, f, n, T0, &v), ND_DROP);
	cr_assert_eq(v.reason, ND_DROP_EGRESS);
	e = find_event("virtual-mode.unexpected-egress");
	cr_assert_not_null(e);
	cr_assert_eq(e->sev, EV_CRITICAL);
	cr_assert_str_eq(e->vm, "a");
	cr_assert_str_eq(data_str(e, "dst_ip"), "192.0.2.1");
	cr_assert_str_eq(data_str(e, "src_mac"), "52:54:00:00:00:0a");
	cr_assert_eq(data_int(e, "count"), 1);
	nd_free(d);
}

Test(netdetect, virtual_mode_forwards_inside_the_subnet)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[128];
	size_t n;
	struct nd_verdict v;

	announce(d, 1, MAC_B, IP_B, T0);
	n = nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_B, 4000, 80, "x", 1);
	cr_assert_eq(feed(d, 0, f, n, T0, &v), ND_FORWARD);
	cr_assert_eq(v.out_port, 1);
	n = nf_udp_frame(f, MAC_BCAST, MAC_A, IP_A,
			 (uint8_t[4]){255, 255, 255, 255}, 68, 67, "x", 1);
	cr_assert_eq(feed(d, 0, f, n, T0, NULL), ND_FLOOD);
	cr_assert_eq(nevents, 0);
	nd_free(d);
}

Test(netdetect, virtual_mode_drops_frames_to_the_host_and_gateway)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[128];
	size_t n;

	n = nf_udp_frame(f, MAC_HOST, MAC_A, IP_A, IP_B, 1, 2, "x", 1);
	cr_assert_eq(feed(d, 0, f, n, T0, NULL), ND_DROP);
	n = nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_GW, 1, 2, "x", 1);
	cr_assert_eq(feed(d, 1, f, n, T0, NULL), ND_DROP);
	cr_assert_eq(count_events("virtual-mode.unexpected-egress"), 2);
	nd_free(d);
}

Test(netdetect, events_are_rate_limited_with_a_count)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[128];
	size_t n = nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_OUT, 1, 2, "x", 1);
	int i;

	for (i = 0; i < 5; i++)
		feed(d, 0, f, n, T0 + i * SEC, NULL);
	cr_assert_eq(nevents, 1);
	nd_tick(d, T0 + 5 * SEC);
	cr_assert_eq(nevents, 1);
	nd_tick(d, T0 + 11 * SEC);
	cr_assert_eq(nevents, 2);
	cr_assert_eq(data_int(&events[1], "count"), 4);
	nd_free(d);
}

/* --- MAC table --- */

Test(netdetect, mac_flapping_between_ports_warns)
{
	struct nd *d = lab(ND_VIRTUAL);
	struct seen *e;
	int i;

	for (i = 0; i < 8; i++)
		announce(d, i % 2, MAC_A, IP_A, T0 + i * 100000);
	e = find_event("mac-table.flap");
	cr_assert_not_null(e);
	cr_assert_eq(e->sev, EV_WARNING);
	cr_assert_str_eq(data_str(e, "mac"), "52:54:00:00:00:0a");
	nd_free(d);
}

Test(netdetect, slow_mac_moves_are_not_a_flap)
{
	struct nd *d = lab(ND_VIRTUAL);
	int i;

	for (i = 0; i < 4; i++)
		announce(d, i % 2, MAC_A, IP_A, T0 + i * SEC);
	for (i = 0; i < 10; i++)
		announce(d, i % 2, MAC_B, IP_B, T0 + i * 11 * SEC);
	cr_assert_eq(count_events("mac-table.flap"), 0);
	nd_free(d);
}

Test(netdetect, mac_table_is_bounded_and_ages)
{
	struct nd_config c;
	struct nd *d;
	char mac[6] = {0x52, 0x54, 0, 0, 0, 0};
	json_t *t;
	int i;

	nd_config_init(&c);
	c.mac_max = 16;
	d = nd_new(&c, NULL, NULL);
	nd_port_attach(d, 0, "a", ND_PORT_GUEST);
	for (i = 0; i < 1000; i++) {
		mac[4] = (char)(i >> 8);
		mac[5] = (char)i;
		announce(d, 0, mac, IP_A, T0 + i);
	}
	t = nd_mac_table(d, T0 + 1000);
	cr_assert_leq(json_array_size(t), 16);
	json_decref(t);

	cr_assert_eq(nd_mac_lookup(d, (uint8_t *)mac, T0 + 1000), -1);
	mac[4] = 0;
	mac[5] = 0;
	cr_assert_eq(nd_mac_lookup(d, (uint8_t *)mac, T0 + 1000), 0);
	cr_assert_eq(nd_mac_lookup(d, (uint8_t *)mac, T0 + 301 * SEC), -1);
	nd_free(d);
}

/* --- impersonation --- */

Test(netdetect, host_mac_on_a_guest_port_is_impersonation)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[128];
	size_t n = nf_udp_frame(f, MAC_B, MAC_HOST, IP_A, IP_B, 1, 2, "x", 1);
	struct nd_verdict v;
	struct seen *e;

	cr_assert_eq(feed(d, 0, f, n, T0, &v), ND_DROP);
	cr_assert_eq(v.reason, ND_DROP_IMPERSONATION);
	e = find_event("host-mac.impersonation");
	cr_assert_not_null(e);
	cr_assert_eq(e->sev, EV_CRITICAL);
	cr_assert_str_eq(data_str(e, "src_mac"), "52:55:0a:00:02:02");
	nd_free(d);
}

Test(netdetect, router_mac_and_gateway_arp_from_a_guest_are_impersonation)
{
	struct nd *d = lab(ND_ROUTER);
	uint8_t f[128];
	size_t n;

	announce(d, 2, MAC_R, IP_GW, T0); /* the router may claim it */
	cr_assert_eq(nevents, 0);
	n = nf_arp(f, MAC_BCAST, MAC_R, 2, IP_A, IP_B);
	cr_assert_eq(feed(d, 0, f, n, T0, NULL), ND_DROP);
	n = nf_arp(f, MAC_BCAST, MAC_B, 2, IP_GW, IP_A);
	cr_assert_eq(feed(d, 1, f, n, T0, NULL), ND_DROP);
	cr_assert_eq(count_events("host-mac.impersonation"), 2);
	cr_assert_eq(nd_drops(d, ND_DROP_IMPERSONATION), 2);
	nd_free(d);
}

/* --- router mode --- */

Test(netdetect, router_mode_sends_off_subnet_traffic_to_the_router)
{
	struct nd *d = lab(ND_ROUTER);
	uint8_t f[128];
	size_t n;
	struct nd_verdict v;

	announce(d, 2, MAC_R, IP_GW, T0);
	announce(d, 1, MAC_B, IP_B, T0);
	n = nf_udp_frame(f, MAC_R, MAC_A, IP_A, IP_OUT, 1, 443, "x", 1);
	cr_assert_eq(feed(d, 0, f, n, T0, &v), ND_FORWARD);
	cr_assert_eq(v.out_port, 2);

	/* b posing as a router for a: dropped */
	n = nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_OUT, 1, 443, "x", 1);
	cr_assert_eq(feed(d, 0, f, n, T0, &v), ND_DROP);
	cr_assert_eq(v.reason, ND_DROP_OFF_SUBNET);

	/* a guest may not carry off-subnet sources */
	n = nf_udp_frame(f, MAC_A, MAC_B, IP_OUT, IP_A, 443, 1, "x", 1);
	cr_assert_eq(feed(d, 1, f, n, T0, &v), ND_DROP);

	/* the router may */
	announce(d, 0, MAC_A, IP_A, T0);
	n = nf_udp_frame(f, MAC_A, MAC_R, IP_OUT, IP_A, 443, 1, "x", 1);
	cr_assert_eq(feed(d, 2, f, n, T0, &v), ND_FORWARD);
	cr_assert_eq(v.out_port, 0);
	cr_assert_eq(count_events("virtual-mode.unexpected-egress"), 0);
	nd_free(d);
}

Test(netdetect, router_mode_without_a_router_drops_off_subnet)
{
	struct nd *d = lab(ND_ROUTER);
	uint8_t f[128];
	size_t n =
		nf_udp_frame(f, MAC_BCAST, MAC_A, IP_A, IP_OUT, 1, 2, "x", 1);

	nd_port_detach(d, 2);
	cr_assert_eq(feed(d, 0, f, n, T0, NULL), ND_DROP);
	cr_assert_eq(nd_drops(d, ND_DROP_OFF_SUBNET), 1);
	nd_free(d);
}

Test(netdetect, gateway_rate_and_management_ports_warn)
{
	struct nd *d = lab(ND_ROUTER);
	uint8_t f[128];
	size_t n;
	struct seen *e;
	int i;

	n = nf_tcp_frame(f, MAC_R, MAC_A, IP_A, IP_GW, 80);
	for (i = 0; i < 900; i++)
		feed(d, 0, f, n, T0 + i, NULL);
	cr_assert_eq(count_events("gateway.flood"), 0);
	for (i = 0; i < 200; i++)
		feed(d, 0, f, n, T0 + 1000 + i, NULL);
	e = find_event("gateway.flood");
	cr_assert_not_null(e);
	cr_assert_str_eq(data_str(e, "kind"), "rate");

	n = nf_tcp_frame(f, MAC_R, MAC_B, IP_B, IP_GW, 3389);
	feed(d, 1, f, n, T0, NULL);
	cr_assert_eq(count_events("gateway.flood"), 2);
	cr_assert_str_eq(data_str(&events[1], "kind"), "management-port");
	cr_assert_eq(data_int(&events[1], "dst_port"), 3389);
	nd_free(d);
}

/* --- FakeNet DNS --- */

Test(netdetect, fakenet_flags_queries_to_other_resolvers)
{
	struct nd *d = lab(ND_FAKENET);
	uint8_t f[256], m[128];
	size_t n, mlen = nf_dns(m, 0, NULL, 0, 0);

	n = nf_udp_frame(f, MAC_R, MAC_A, IP_A, IP_GW, 5000, 53, m, mlen);
	feed(d, 0, f, n, T0, NULL);
	cr_assert_eq(count_events("dns.sinkhole-bypass"), 0);
	n = nf_udp_frame(f, MAC_R, MAC_A, IP_A, (uint8_t[4]){8, 8, 8, 8}, 5000,
			 53, m, mlen);
	feed(d, 0, f, n, T0, NULL);
	cr_assert_eq(count_events("dns.sinkhole-bypass"), 1);
	cr_assert_str_eq(data_str(&events[0], "kind"), "query");
	nd_free(d);
}

Test(netdetect, fakenet_flags_answers_not_pointing_at_the_gateway)
{
	struct nd *d = lab(ND_FAKENET);
	const uint8_t good[1][4] = {{10, 0, 100, 1}};
	const uint8_t bad[2][4] = {{10, 0, 100, 1}, {93, 184, 216, 34}};
	uint8_t f[256], m[128];
	size_t n, mlen;
	struct seen *e;

	mlen = nf_dns(m, 1, good, 1, 0);
	n = nf_udp_frame(f, MAC_A, MAC_R, IP_GW, IP_A, 53, 5000, m, mlen);
	feed(d, 2, f, n, T0, NULL);
	cr_assert_eq(nevents, 0);

	mlen = nf_dns(m, 1, bad, 2, 0);
	n = nf_udp_frame(f, MAC_A, MAC_R, IP_GW, IP_A, 53, 5000, m, mlen);
	feed(d, 2, f, n, T0, NULL);
	e = find_event("dns.sinkhole-bypass");
	cr_assert_not_null(e);
	cr_assert_str_eq(data_str(e, "address"), "93.184.216.34");

	mlen = nf_dns(m, 1, good, 1, 1); /* an AAAA can't be the gateway */
	n = nf_udp_frame(f, MAC_A, MAC_R, IP_GW, IP_A, 53, 5000, m, mlen);
	feed(d, 2, f, n, T0 + 20 * SEC, NULL);
	cr_assert_eq(count_events("dns.sinkhole-bypass"), 2);
	nd_free(d);
}

Test(netdetect, dns_walk_survives_lies)
{
	uint8_t m[128];
	size_t len = nf_dns(m, 1, (const uint8_t[1][4]){{1, 2, 3, 4}}, 1, 0);
	int resp;
	size_t cut;

	cr_assert_eq(nd_dns_walk(m, len, &resp, NULL, NULL), 1);
	cr_assert_eq(resp, 1);
	for (cut = 0; cut < len; cut++)
		cr_assert_eq(nd_dns_walk(m, cut, &resp, NULL, NULL), -1);
	m[7] = 200; /* 200 answers claimed */
	cr_assert_eq(nd_dns_walk(m, len, &resp, NULL, NULL), -1);
	m[7] = 1;
	m[12] = 0x80; /* a label with reserved bits */
	cr_assert_eq(nd_dns_walk(m, len, &resp, NULL, NULL), -1);
}

/* --- drops --- */

Test(netdetect, drops_are_summarised_per_interval)
{
	struct nd *d = lab(ND_VIRTUAL);
	struct seen *e;
	json_t *reasons;

	nd_tick(d, T0);
	nd_count_drop(d, 1, ND_DROP_QUEUE_FULL);
	nd_count_drop(d, 1, ND_DROP_QUEUE_FULL);
	nd_tick(d, T0 + 30 * SEC);
	cr_assert_eq(nevents, 0);
	nd_tick(d, T0 + 60 * SEC);
	e = find_event("switch.drop");
	cr_assert_not_null(e);
	cr_assert_eq(e->sev, EV_INFO);
	reasons = json_object_get(e->data, "reasons");
	cr_assert_eq(json_integer_value(json_object_get(reasons, "queue-full")),
		     2);
	nd_tick(d, T0 + 120 * SEC);
	cr_assert_eq(nevents, 1); /* no drops, no summary */
	nd_free(d);
}

Test(netdetect, sustained_drops_warn_after_five_minutes)
{
	struct nd *d = lab(ND_VIRTUAL);
	int i, warnings = 0;

	nd_tick(d, T0);
	for (i = 1; i <= 6; i++) {
		nd_count_drop(d, 0, ND_DROP_QUEUE_FULL);
		nd_tick(d, T0 + i * 60 * SEC);
	}
	for (i = 0; i < nevents; i++)
		warnings += events[i].sev == EV_WARNING;
	cr_assert_eq(count_events("switch.drop"), 6 + warnings);
	cr_assert_geq(warnings, 1);
	cr_assert_eq(events[nevents - 1].sev, EV_WARNING);
	nd_free(d);
}

Test(netdetect, mirror_ports_only_observe)
{
	struct nd *d = lab(ND_VIRTUAL);
	uint8_t f[128];
	size_t n = nf_udp_frame(f, MAC_B, MAC_A, IP_A, IP_OUT, 1, 2, "x", 1);

	nd_port_attach(d, 5, "nat1", ND_PORT_MIRROR);
	cr_assert_eq(feed(d, 5, f, n, T0, NULL), ND_OBSERVE);
	cr_assert_eq(nevents, 0);
	cr_assert_eq(nd_mac_lookup(d, (const uint8_t *)MAC_A, T0), -1);
	nd_free(d);
}

Test(netdetect, config_text_forms)
{
	uint32_t net, mask, ip;
	uint8_t mac[6];
	enum nd_mode m;

	cr_assert_eq(nd_parse_cidr("10.1.2.3/16", &net, &mask), 0);
	cr_assert_eq(net, 0x0a010000);
	cr_assert_eq(mask, 0xffff0000);
	cr_assert_eq(nd_parse_cidr("10.1.2.3", &net, &mask), -1);
	cr_assert_eq(nd_parse_cidr("10.1.2.3/33", &net, &mask), -1);
	cr_assert_eq(nd_parse_ipv4("300.1.1.1", &ip), -1);
	cr_assert_eq(nd_parse_mac("52:54:00:ab:cd:ef", mac), 0);
	cr_assert_eq(nd_parse_mac("52:54:00:ab:cd", mac), -1);
	cr_assert_eq(nd_mode_parse("fakenet", &m), 0);
	cr_assert_eq(m, ND_FAKENET);
	cr_assert_eq(nd_mode_parse("nat", &m), -1);
	cr_assert_str_eq(err_msg(), "unknown network mode 'nat' "
				    "(virtual, router or fakenet)");
}
