/*
 * netdetect: the lab switch's MAC table, forwarding policy and
 * detectors.  See netdetect.h for the contract.
 */
#include "netdetect.h"

#include "lib/err.h"

#include <stdlib.h>
#include <string.h>

#define US 1000000LL

enum cause {
	C_EGRESS,
	C_FLAP,
	C_IMPERSONATION,
	C_MALFORMED,
	C_DNS,
	C_GATEWAY,
	C_SUSTAINED,
	C_COUNT,
};

struct mac_entry {
	uint8_t mac[6];
	uint8_t used;
	int16_t port;
	int64_t seen;
	int64_t flap_start;
	unsigned moves;
};

/* One cause on one port: when it was last reported, what is held. */
struct limiter {
	int reported;
	int64_t last;
	uint64_t held;
	enum ev_severity sev;
	const char *event;
	json_t *data; /* the latest held event's data */
};

struct port {
	int attached;
	enum nd_port_kind kind;
	char vm[ND_VM_MAX];
	struct nd_port_stats st;
	int64_t gw_window;
	unsigned gw_count;
};

struct nd {
	struct nd_config c;
	nd_emit_fn emit;
	nd_learn_fn learned;
	void *ctx;

	struct port ports[ND_PORTS_MAX];
	struct limiter lim[C_COUNT][ND_PORTS_MAX];

	struct mac_entry *macs;
	size_t nslots; /* a power of two, at least twice mac_max */
	size_t used;   /* slots taken, live or aged */
	size_t live;   /* slots with a port, aged or not */
	int64_t compacted;
	uint8_t router_mac[6];
	int have_router_mac;

	uint64_t drops[ND_DROP_COUNT];
	uint64_t iv_drops[ND_DROP_COUNT];
	int64_t iv_start;
	int64_t drops_since; /* start of the current run of drops, or 0 */
};

static const char *const drop_names[ND_DROP_COUNT] = {
	"malformed",  "egress",	    "impersonation",
	"off-subnet", "queue-full", "no-port",
};

static const char *const mode_names[] = {"virtual", "router", "fakenet"};

const char *
nd_drop_name(enum nd_drop reason)
{
	return (unsigned)reason < ND_DROP_COUNT ? drop_names[reason] : "?";
}

const char *
nd_mode_name(enum nd_mode mode)
{
	return (unsigned)mode < 3 ? mode_names[mode] : "?";
}

int
nd_mode_parse(const char *name, enum nd_mode *mode)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (!strcmp(name, mode_names[i])) {
			*mode = (enum nd_mode)i;
			return 0;
		}
	}
	return err_set("unknown network mode '%s' "
		       "(virtual, router or fakenet)",
		       name);
}

void
nd_config_init(struct nd_config *c)
{
	static const uint8_t host[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
	static const uint16_t mgmt[] = {22, 3389, 5900, 8006};

	memset(c, 0, sizeof(*c));
	c->mode = ND_VIRTUAL;
	c->subnet = 0x0a006400; /* 10.0.100.0 */
	c->mask = 0xffffff00;
	c->gateway = 0x0a006401;
	c->mtu = 1500;
	memcpy(c->host_mac, host, 6);
	c->mac_max = 4096;
	c->mac_age = 300;
	c->flap_moves = 5;
	c->flap_window = 10;
	c->event_interval = 10;
	c->drop_interval = 60;
	c->drop_sustained = 300;
	c->gateway_pps = 1000;
	memcpy(c->mgmt_ports, mgmt, sizeof(mgmt));
	c->nmgmt = sizeof(mgmt) / sizeof(mgmt[0]);
}

struct nd *
nd_new(const struct nd_config *c, nd_emit_fn emit, void *ctx)
{
	struct nd *d = calloc(1, sizeof(*d));
	size_t slots = 16;

	if (!d) {
		err_set("out of memory");
		return NULL;
	}
	d->c = *c;
	if (d->c.mac_max < 1)
		d->c.mac_max = 1;
	while (slots < 2 * (size_t)d->c.mac_max)
		slots *= 2;
	d->macs = calloc(slots, sizeof(*d->macs));
	if (!d->macs) {
		free(d);
		err_set("out of memory");
		return NULL;
	}
	d->nslots = slots;
	d->emit = emit;
	d->ctx = ctx;
	return d;
}

void
nd_free(struct nd *d)
{
	int i, j;

	if (!d)
		return;
	for (i = 0; i < C_COUNT; i++)
		for (j = 0; j < ND_PORTS_MAX; j++)
			json_decref(d->lim[i][j].data);
	free(d->macs);
	free(d);
}

/* --- the MAC table --- */

static size_t
mac_hash(const uint8_t mac[6])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	v *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(v >> 29);
}

static int
mac_live(const struct nd *d, const struct mac_entry *e, int64_t now)
{
	return e->port >= 0 && now - e->seen < (int64_t)d->c.mac_age * US;
}

/* The slot holding mac, or NULL. */
static struct mac_entry *
mac_find(const struct nd *d, const uint8_t mac[6])
{
	size_t mask = d->nslots - 1, i = mac_hash(mac) & mask;

	while (d->macs[i].used) {
		if (!memcmp(d->macs[i].mac, mac, 6))
			return &d->macs[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

/* Rebuild the table with the live entries only. */
static void
mac_compact(struct nd *d, int64_t now)
{
	struct mac_entry *old = d->macs, *e;
	size_t mask = d->nslots - 1, i, j;
	struct mac_entry *fresh = calloc(d->nslots, sizeof(*fresh));

	if (!fresh)
		return; /* keep the old table; learning stops when full */
	d->macs = fresh;
	d->used = d->live = 0;
	for (i = 0; i < d->nslots; i++) {
		e = &old[i];
		if (!e->used || !mac_live(d, e, now))
			continue;
		j = mac_hash(e->mac) & mask;
		while (fresh[j].used)
			j = (j + 1) & mask;
		fresh[j] = *e;
		d->used++;
		d->live++;
	}
	free(old);
}

static struct mac_entry *
mac_insert(struct nd *d, const uint8_t mac[6], int64_t now)
{
	size_t mask = d->nslots - 1, i;

	if ((d->used + 1 > d->nslots * 3 / 4 || d->live >= d->c.mac_max) &&
	    now - d->compacted >= US) {
		d->compacted = now;
		mac_compact(d, now);
	}
	if (d->live >= d->c.mac_max || d->used + 1 > d->nslots * 3 / 4)
		return NULL;

	i = mac_hash(mac) & mask;
	while (d->macs[i].used)
		i = (i + 1) & mask;
	memset(&d->macs[i], 0, sizeof(d->macs[i]));
	memcpy(d->macs[i].mac, mac, 6);
	d->macs[i].used = 1;
	d->macs[i].port = -1;
	d->used++;
	return &d->macs[i];
}

int
nd_mac_lookup(const struct nd *d, const uint8_t mac[6], int64_t now_us)
{
	const struct mac_entry *e = mac_find(d, mac);

	return e && mac_live(d, e, now_us) ? e->port : -1;
}

json_t *
nd_mac_table(const struct nd *d, int64_t now_us)
{
	json_t *arr = json_array();
	char mac[18];
	size_t i;

	for (i = 0; arr && i < d->nslots; i++) {
		const struct mac_entry *e = &d->macs[i];

		if (!e->used || !mac_live(d, e, now_us))
			continue;
		nd_format_mac(e->mac, mac);
		json_array_append_new(
			arr, json_pack("{s:s,s:i,s:s,s:I}", "mac", mac, "port",
				       (int)e->port, "vm", d->ports[e->port].vm,
				       "age",
				       (json_int_t)((now_us - e->seen) / US)));
	}
	return arr;
}

/* --- reporting --- */

static void
emit_now(struct nd *d, struct limiter *l, enum ev_severity sev,
	 const char *event, int port, json_t *data, uint64_t count)
{
	json_object_set_new(data, "count", json_integer((json_int_t)count));
	if (d->emit)
		d->emit(d->ctx, sev, event,
			port >= 0 ? d->ports[port].vm : NULL, data);
	l->reported = 1;
}

/* Report an event, or hold it back when its cause spoke recently. */
static void
report(struct nd *d, enum cause cause, int port, enum ev_severity sev,
       const char *event, json_t *data, int64_t now)
{
	struct limiter *l = &d->lim[cause][port < 0 ? 0 : port];
	int64_t ivl = (int64_t)d->c.event_interval * US;

	if (!data)
		return;
	if (l->reported && now - l->last < ivl) {
		l->held++;
		json_decref(l->data);
		l->data = data;
		l->sev = sev;
		l->event = event;
		return;
	}
	emit_now(d, l, sev, event, port, data, l->held + 1);
	l->last = now;
	l->held = 0;
	json_decref(l->data);
	l->data = NULL;
	json_decref(data);
}

static void
flush_held(struct nd *d, int64_t now)
{
	int64_t ivl = (int64_t)d->c.event_interval * US;
	int cause, port;

	for (cause = 0; cause < C_COUNT; cause++) {
		for (port = 0; port < ND_PORTS_MAX; port++) {
			struct limiter *l = &d->lim[cause][port];

			if (!l->held || now - l->last < ivl)
				continue;
			emit_now(d, l, l->sev, l->event,
				 cause == C_SUSTAINED ? -1 : port, l->data,
				 l->held);
			json_decref(l->data);
			l->data = NULL;
			l->held = 0;
			l->last = now;
		}
	}
}

static void
set_ip(json_t *o, const char *key, const struct nd_frame *f, const uint8_t *ip)
{
	char buf[48];
	uint32_t v4;

	if (f->ip == 4) {
		v4 = (uint32_t)ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3];
		nd_format_ipv4(v4, buf);
	} else if (f->ip == 6) {
		snprintf(buf, sizeof(buf),
			 "%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
			 "%02x%02x:%02x%02x:%02x%02x:%02x%02x",
			 ip[0], ip[1], ip[2], ip[3], ip[4], ip[5], ip[6], ip[7],
			 ip[8], ip[9], ip[10], ip[11], ip[12], ip[13], ip[14],
			 ip[15]);
	} else {
		return;
	}
	json_object_set_new(o, key, json_string(buf));
}

/* The data every event of a frame starts from. */
static json_t *
frame_data(const struct nd *d, int port, const struct nd_frame *f, size_t len)
{
	json_t *o = json_object();
	char mac[18];

	if (!o)
		return NULL;
	json_object_set_new(o, "port", json_integer(port));
	json_object_set_new(o, "vm", json_string(d->ports[port].vm));
	json_object_set_new(o, "length", json_integer((json_int_t)len));
	if (f->src) {
		nd_format_mac(f->src, mac);
		json_object_set_new(o, "src_mac", json_string(mac));
		nd_format_mac(f->dst, mac);
		json_object_set_new(o, "dst_mac", json_string(mac));
	}
	set_ip(o, "src_ip", f, f->src_ip);
	set_ip(o, "dst_ip", f, f->dst_ip);
	if (f->has_ports) {
		json_object_set_new(o, "protocol",
				    json_string(f->proto == 6 ? "tcp" : "udp"));
		json_object_set_new(o, "src_port", json_integer(f->sport));
		json_object_set_new(o, "dst_port", json_integer(f->dport));
	}
	return o;
}

static void
count_drop(struct nd *d, int port, enum nd_drop reason, int64_t now)
{
	d->ports[port].st.drops[reason]++;
	d->drops[reason]++;
	d->iv_drops[reason]++;
	(void)now;
}

void
nd_count_drop(struct nd *d, int port, enum nd_drop reason)
{
	if (port < 0 || port >= ND_PORTS_MAX || reason >= ND_DROP_COUNT)
		return;
	count_drop(d, port, reason, 0);
}

void
nd_count_tx(struct nd *d, int port, size_t len)
{
	if (port < 0 || port >= ND_PORTS_MAX)
		return;
	d->ports[port].st.tx_frames++;
	d->ports[port].st.tx_bytes += len;
}

/* --- addresses --- */

static uint32_t
ipv4_of(const uint8_t *ip)
{
	return (uint32_t)ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3];
}

static int
in_subnet(const struct nd *d, uint32_t a)
{
	return (a & d->c.mask) == d->c.subnet;
}

/* Is the IPv4 destination one that never leaves the link? */
static int
ipv4_on_link(const struct nd *d, uint32_t a)
{
	return in_subnet(d, a) || a == 0xffffffffu ||
	       (a & 0xffffff00u) == 0xe0000000u;
}

static int
ipv6_on_link(const uint8_t *a)
{
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return 1; /* fe80::/10 */
	return a[0] == 0xff && (a[1] & 0x0f) <= 2;
}

static int
dst_off_link(const struct nd *d, const struct nd_frame *f)
{
	if (f->ip == 4)
		return !ipv4_on_link(d, ipv4_of(f->dst_ip));
	if (f->ip == 6)
		return !ipv6_on_link(f->dst_ip);
	return 0;
}

static int
src_off_link(const struct nd *d, const struct nd_frame *f)
{
	uint32_t a;

	if (f->ip == 4) {
		a = ipv4_of(f->src_ip);
		return a != 0 && !in_subnet(d, a);
	}
	if (f->ip == 6)
		return !ipv6_on_link(f->src_ip) &&
		       memcmp(f->src_ip, (uint8_t[16]){0}, 16);
	return 0;
}

static int
to_gateway(const struct nd *d, const struct nd_frame *f)
{
	return f->ip == 4 && ipv4_of(f->dst_ip) == d->c.gateway;
}

/* ARP whose sender claims the gateway's address. */
static int
arp_claims_gateway(const struct nd *d, const struct nd_frame *f)
{
	const uint8_t *p = f->l3;

	if (f->type != 0x0806 || f->l3_len < 28 || p[4] != 6 || p[5] != 4)
		return 0;
	return ipv4_of(p + 14) == d->c.gateway;
}

/* --- ports --- */

void
nd_on_learn(struct nd *d, nd_learn_fn fn)
{
	d->learned = fn;
}

int
nd_port_attach(struct nd *d, int port, const char *vm, enum nd_port_kind kind)
{
	struct port *p;

	if (port < 0 || port >= ND_PORTS_MAX)
		return err_set("port %d out of range", port);
	if (strlen(vm) >= ND_VM_MAX)
		return err_set("VM name too long");
	p = &d->ports[port];
	p->attached = 1;
	p->kind = kind;
	strcpy(p->vm, vm);
	if (kind == ND_PORT_ROUTER)
		d->have_router_mac = 0;
	return 0;
}

void
nd_port_detach(struct nd *d, int port)
{
	size_t i;

	if (port < 0 || port >= ND_PORTS_MAX)
		return;
	d->ports[port].attached = 0;
	for (i = 0; i < d->nslots; i++) {
		if (d->macs[i].used && d->macs[i].port == port) {
			d->macs[i].port = -1; /* aged: reused by compaction */
			d->live--;
		}
	}
}

const struct nd_port_stats *
nd_port_stats(const struct nd *d, int port)
{
	if (port < 0 || port >= ND_PORTS_MAX)
		return NULL;
	return &d->ports[port].st;
}

uint64_t
nd_drops(const struct nd *d, enum nd_drop reason)
{
	return reason < ND_DROP_COUNT ? d->drops[reason] : 0;
}

static int
router_port(const struct nd *d)
{
	int i;

	for (i = 0; i < ND_PORTS_MAX; i++)
		if (d->ports[i].attached && d->ports[i].kind == ND_PORT_ROUTER)
			return i;
	return -1;
}

/* --- the detectors --- */

static void
learn(struct nd *d, int port, const uint8_t *mac, int64_t now)
{
	struct mac_entry *e = mac_find(d, mac);
	json_t *data;
	char buf[18];

	if (!e || e->port < 0 || !mac_live(d, e, now)) {
		if (!e)
			e = mac_insert(d, mac, now);
		if (!e)
			return; /* the table is full of live entries */
		if (e->port < 0)
			d->live++;
		e->port = (int16_t)port;
		e->seen = now;
		e->moves = 0;
		if (d->learned)
			d->learned(d->ctx, port, mac);
		return;
	}
	e->seen = now;
	if (e->port == port)
		return;

	if (now - e->flap_start > (int64_t)d->c.flap_window * US) {
		e->flap_start = now;
		e->moves = 0;
	}
	e->moves++;
	if (e->moves > d->c.flap_moves) {
		nd_format_mac(mac, buf);
		data = json_pack("{s:i,s:s,s:s,s:i,s:s,s:i,s:i}", "port", port,
				 "vm", d->ports[port].vm, "mac", buf,
				 "from_port", (int)e->port, "from_vm",
				 d->ports[e->port].vm, "moves", e->moves,
				 "window", d->c.flap_window);
		report(d, C_FLAP, port, EV_WARNING, "mac-table.flap", data,
		       now);
	}
	e->port = (int16_t)port;
	if (d->learned)
		d->learned(d->ctx, port, mac);
}

static int
is_impersonation(const struct nd *d, int port, const struct nd_frame *f,
		 const char **what)
{
	if (!memcmp(f->src, d->c.host_mac, 6)) {
		*what = "host MAC";
		return 1;
	}
	if (d->ports[port].kind == ND_PORT_ROUTER && d->c.mode != ND_VIRTUAL)
		return 0;
	if (d->have_router_mac && !memcmp(f->src, d->router_mac, 6)) {
		*what = "router MAC";
		return 1;
	}
	if (arp_claims_gateway(d, f)) {
		*what = "gateway address in ARP";
		return 1;
	}
	return 0;
}

static int
drop(struct nd *d, int port, struct nd_verdict *v, enum nd_drop reason,
     int64_t now)
{
	count_drop(d, port, reason, now);
	v->action = ND_DROP;
	v->reason = reason;
	return 1;
}

/* Virtual mode: nothing may leave the lab or reach the host. */
static int
check_egress(struct nd *d, int port, const struct nd_frame *f, size_t len,
	     int64_t now, struct nd_verdict *v)
{
	const char *why = NULL;
	json_t *data;

	if (!memcmp(f->dst, d->c.host_mac, 6))
		why = "frame to the host MAC";
	else if (to_gateway(d, f))
		why = "packet to the gateway address";
	else if (dst_off_link(d, f))
		why = "packet to an address outside the lab subnet";
	if (!why)
		return 0;

	data = frame_data(d, port, f, len);
	json_object_set_new(data, "reason", json_string(why));
	report(d, C_EGRESS, port, EV_CRITICAL, "virtual-mode.unexpected-egress",
	       data, now);
	return drop(d, port, v, ND_DROP_EGRESS, now);
}

struct dns_check {
	const struct nd *d;
	unsigned bad;
	uint8_t addr[16];
	size_t len;
};

static void
dns_answer(void *ctx, const uint8_t *addr, size_t len)
{
	struct dns_check *c = ctx;

	if (len == 4 && ipv4_of(addr) == c->d->c.gateway)
		return;
	if (!c->bad++) {
		memcpy(c->addr, addr, len);
		c->len = len;
	}
}

/* FakeNet: every name must resolve to the gateway, through it. */
static void
check_dns(struct nd *d, int port, const struct nd_frame *f, size_t len,
	  int64_t now)
{
	struct dns_check c = {.d = d};
	int response;
	json_t *data;
	char buf[48];

	if (!f->udp_payload || (f->dport != 53 && f->sport != 53))
		return;
	if (nd_dns_walk(f->udp_payload, f->udp_len, &response, dns_answer, &c) <
	    0)
		return;

	if (!response && f->dport == 53 && !to_gateway(d, f) &&
	    d->ports[port].kind != ND_PORT_ROUTER) {
		data = frame_data(d, port, f, len);
		json_object_set_new(data, "kind", json_string("query"));
	} else if (response && f->sport == 53 && c.bad) {
		data = frame_data(d, port, f, len);
		json_object_set_new(data, "kind", json_string("answer"));
		if (c.len == 4)
			nd_format_ipv4(ipv4_of(c.addr), buf);
		else
			snprintf(buf, sizeof(buf), "AAAA record");
		json_object_set_new(data, "address", json_string(buf));
		json_object_set_new(data, "records", json_integer(c.bad));
	} else {
		return;
	}
	report(d, C_DNS, port, EV_WARNING, "dns.sinkhole-bypass", data, now);
}

static void
check_gateway(struct nd *d, int port, const struct nd_frame *f, size_t len,
	      int64_t now)
{
	struct port *p = &d->ports[port];
	json_t *data;
	size_t i;

	if (!to_gateway(d, f) || p->kind == ND_PORT_ROUTER)
		return;
	if (now - p->gw_window >= US) {
		p->gw_window = now;
		p->gw_count = 0;
	}
	if (++p->gw_count == d->c.gateway_pps + 1) {
		data = frame_data(d, port, f, len);
		json_object_set_new(data, "kind", json_string("rate"));
		json_object_set_new(data, "limit",
				    json_integer(d->c.gateway_pps));
		report(d, C_GATEWAY, port, EV_WARNING, "gateway.flood", data,
		       now);
	}
	if (!f->has_ports)
		return;
	for (i = 0; i < d->c.nmgmt; i++) {
		if (f->dport != d->c.mgmt_ports[i])
			continue;
		data = frame_data(d, port, f, len);
		json_object_set_new(data, "kind",
				    json_string("management-port"));
		report(d, C_GATEWAY, port, EV_WARNING, "gateway.flood", data,
		       now);
	}
}

static void
malformed(struct nd *d, int port, const uint8_t *frame, size_t len,
	  const struct nd_frame *f, int64_t now, struct nd_verdict *v)
{
	json_t *data;

	data = frame_data(d, port, f, len);
	json_object_set_new(data, "reason", json_string(f->bad));
	report(d, C_MALFORMED, port, EV_WARNING, "frame.malformed", data, now);
	drop(d, port, v, ND_DROP_MALFORMED, now);
	(void)frame;
}

/* Router and FakeNet: only the router carries off-subnet traffic. */
static int
check_off_subnet(struct nd *d, int port, const struct nd_frame *f, int64_t now,
		 struct nd_verdict *v)
{
	int router = router_port(d), out;

	if (d->ports[port].kind == ND_PORT_ROUTER)
		return 0;
	if (src_off_link(d, f))
		return drop(d, port, v, ND_DROP_OFF_SUBNET, now);
	if (!dst_off_link(d, f))
		return 0;
	if (router < 0)
		return drop(d, port, v, ND_DROP_OFF_SUBNET, now);

	out = f->dst[0] & 1 ? -1 : nd_mac_lookup(d, f->dst, now);
	if (out >= 0 && out != router)
		return drop(d, port, v, ND_DROP_OFF_SUBNET, now);
	v->action = ND_FORWARD;
	v->out_port = router;
	return 1;
}

static void
forward(struct nd *d, int port, const struct nd_frame *f, int64_t now,
	struct nd_verdict *v)
{
	int out;

	if (f->dst[0] & 1) {
		v->action = ND_FLOOD;
		return;
	}
	out = nd_mac_lookup(d, f->dst, now);
	if (out < 0 || !d->ports[out].attached) {
		v->action = ND_FLOOD;
	} else if (out == port) {
		v->action = ND_FILTER;
	} else {
		v->action = ND_FORWARD;
		v->out_port = out;
	}
}

/* The checks of a well-formed frame from a guest or router port. */
static void
judge(struct nd *d, int port, const struct nd_frame *f, size_t len, int64_t now,
      struct nd_verdict *v)
{
	const char *what;
	json_t *data;

	if (is_impersonation(d, port, f, &what)) {
		data = frame_data(d, port, f, len);
		json_object_set_new(data, "impersonates", json_string(what));
		report(d, C_IMPERSONATION, port, EV_CRITICAL,
		       "host-mac.impersonation", data, now);
		drop(d, port, v, ND_DROP_IMPERSONATION, now);
		return;
	}
	if (d->ports[port].kind == ND_PORT_ROUTER) {
		memcpy(d->router_mac, f->src, 6);
		d->have_router_mac = 1;
	}
	learn(d, port, f->src, now);

	if (d->c.mode == ND_VIRTUAL) {
		if (check_egress(d, port, f, len, now, v))
			return;
	} else {
		check_gateway(d, port, f, len, now);
		if (d->c.mode == ND_FAKENET)
			check_dns(d, port, f, len, now);
		if (check_off_subnet(d, port, f, now, v))
			return;
	}
	forward(d, port, f, now, v);
}

void
nd_frame(struct nd *d, int port, const uint8_t *frame, size_t len,
	 int64_t now_us, struct nd_verdict *v)
{
	struct nd_frame f;
	struct port *p;

	memset(v, 0, sizeof(*v));
	v->out_port = -1;
	if (port < 0 || port >= ND_PORTS_MAX || !d->ports[port].attached) {
		v->action = ND_DROP;
		v->reason = ND_DROP_NO_PORT;
		return;
	}
	p = &d->ports[port];
	p->st.rx_frames++;
	p->st.rx_bytes += len;

	if (nd_parse(frame, len, d->c.mtu, &f) < 0) {
		malformed(d, port, frame, len, &f, now_us, v);
		return;
	}
	if (p->kind == ND_PORT_MIRROR) {
		v->action = ND_OBSERVE;
		return;
	}
	judge(d, port, &f, len, now_us, v);
}

/* --- the interval summary --- */

static void
drop_summary(struct nd *d, int64_t start, int64_t now)
{
	json_t *data, *reasons;
	uint64_t sum = 0;
	int i;

	reasons = json_object();
	for (i = 0; i < ND_DROP_COUNT; i++) {
		sum += d->iv_drops[i];
		if (d->iv_drops[i])
			json_object_set_new(
				reasons, drop_names[i],
				json_integer((json_int_t)d->iv_drops[i]));
	}
	memset(d->iv_drops, 0, sizeof(d->iv_drops));
	if (!sum) {
		d->drops_since = 0;
		json_decref(reasons);
		return;
	}

	if (!d->drops_since)
		d->drops_since = start;
	data = json_pack("{s:I,s:I,s:o}", "interval",
			 (json_int_t)d->c.drop_interval, "dropped",
			 (json_int_t)sum, "reasons", reasons);
	if (data && d->emit)
		d->emit(d->ctx, EV_INFO, "switch.drop", NULL, data);
	if (data && now - d->drops_since >= (int64_t)d->c.drop_sustained * US) {
		json_object_set_new(data, "sustained",
				    json_integer((now - d->drops_since) / US));
		report(d, C_SUSTAINED, -1, EV_WARNING, "switch.drop",
		       json_incref(data), now);
	}
	json_decref(data);
}

void
nd_tick(struct nd *d, int64_t now_us)
{
	int64_t start;

	flush_held(d, now_us);
	if (!d->iv_start)
		d->iv_start = now_us;
	if (now_us - d->iv_start < (int64_t)d->c.drop_interval * US)
		return;
	start = d->iv_start;
	d->iv_start = now_us;
	drop_summary(d, start, now_us);
}
