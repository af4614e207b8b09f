/*
 * netdetect: the layer 2 detectors and the forwarding policy of a lab
 * switch, as pure code fed one frame at a time.
 *
 * The caller (the switch, a test, a fuzzer) owns the sockets; it tells
 * a struct nd which port a frame came in on and when, and gets back a
 * verdict: forward to one port, flood, or drop and why.  The detectors
 * report through the emit callback (subsystem "network"); every event's
 * data names the port, the VM, the MACs and IPs involved and a count.
 * Events are rate-limited per cause and port: at most one every
 * event_interval seconds, the ones held back are counted and reported
 * by nd_tick() with that count.
 *
 * Ports are small integers below ND_PORTS_MAX.  The MAC table is
 * bounded (mac_max entries) and ages entries out after mac_age seconds.
 * Nothing here allocates per frame.
 */
#ifndef SECVF_NETDETECT_H
#define SECVF_NETDETECT_H

#include "detect/evlog.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define ND_PORTS_MAX 64
#define ND_VM_MAX 256  /* VM names, with NUL */
#define ND_MGMT_MAX 16 /* management ports watched on the gateway */
#define ND_ETH_HDR 14
#define ND_FRAME_MAX 65535 /* the largest frame the stream can carry */

enum nd_mode {
	ND_VIRTUAL, /* VMs reach each other only */
	ND_ROUTER,  /* the router VM carries everything off the subnet */
	ND_FAKENET, /* as router, the gateway sinkholes DNS */
};

enum nd_port_kind {
	ND_PORT_GUEST,
	ND_PORT_ROUTER, /* the lab's router VM */
	ND_PORT_MIRROR, /* receives copies only; never forwarded to */
};

/* Why a frame was dropped; the names are in nd_drop_name(). */
enum nd_drop {
	ND_DROP_MALFORMED,
	ND_DROP_EGRESS,	       /* virtual mode: leaving the lab */
	ND_DROP_IMPERSONATION, /* host, gateway or router MAC as source */
	ND_DROP_OFF_SUBNET,    /* off-subnet traffic not via the router */
	ND_DROP_QUEUE_FULL,    /* the output port's queue is full */
	ND_DROP_NO_PORT,       /* no port to deliver to */
	ND_DROP_COUNT,
};

/* "malformed", "egress", "impersonation", "off-subnet", "queue-full",
 * "no-port". */
const char *nd_drop_name(enum nd_drop reason);

/* "virtual", "router", "fakenet"; nd_mode_parse() is its inverse. */
const char *nd_mode_name(enum nd_mode mode);
int nd_mode_parse(const char *name, enum nd_mode *mode);

/* Thresholds and the lab's addresses; nd_config_init() sets defaults. */
struct nd_config {
	enum nd_mode mode;
	uint32_t subnet;  /* host byte order, masked */
	uint32_t mask;	  /* host byte order */
	uint32_t gateway; /* host byte order */
	unsigned mtu;
	uint8_t host_mac[6]; /* the host's side, never a guest's source */
	unsigned mac_max;
	unsigned mac_age;	 /* seconds */
	unsigned flap_moves;	 /* more moves than this ... */
	unsigned flap_window;	 /* ... within this many seconds: flap */
	unsigned event_interval; /* seconds between events of one cause */
	unsigned drop_interval;	 /* seconds per switch.drop summary */
	unsigned drop_sustained; /* seconds of drops before a WARNING */
	unsigned gateway_pps;	 /* packets a second to the gateway */
	uint16_t mgmt_ports[ND_MGMT_MAX];
	size_t nmgmt;
};

/*
 * Defaults: virtual, 10.0.100.0/24, gateway .1, MTU 1500, host MAC
 * 52:55:0a:00:02:02 (QEMU user networking's gateway: a guest that
 * reaches it has found the host), 4096 MACs aged 300 s, a flap is more
 * than 5 moves within 10 s, events 10 s apart, drop summaries every
 * 60 s and a WARNING after 300 s of drops, 1000 packets a second to
 * the gateway, management ports 22, 3389, 5900, 8006.
 */
void nd_config_init(struct nd_config *c);

/* Parse "A.B.C.D/NN" into c->subnet and c->mask; -1 with err_msg(). */
int nd_parse_cidr(const char *text, uint32_t *subnet, uint32_t *mask);
int nd_parse_ipv4(const char *text, uint32_t *addr);
int nd_parse_mac(const char *text, uint8_t mac[6]);
void nd_format_mac(const uint8_t mac[6], char out[18]);
void nd_format_ipv4(uint32_t addr, char out[16]);

/* A frame taken apart; pointers point into the caller's bytes. */
struct nd_frame {
	const uint8_t *dst;
	const uint8_t *src;
	uint16_t type; /* EtherType after any VLAN tag; 0 for 802.3 */
	int vlan;
	const uint8_t *l3;
	size_t l3_len; /* as the L3 header says, within the frame */
	int ip;	       /* 0, 4 or 6 */
	uint8_t src_ip[16];
	uint8_t dst_ip[16]; /* IPv4 in the first four bytes */
	uint8_t proto;	    /* IP protocol or IPv6 next header */
	int has_ports;	    /* TCP or UDP with a whole header */
	uint16_t sport;
	uint16_t dport;
	const uint8_t *udp_payload; /* NULL unless UDP */
	size_t udp_len;
	const char *bad; /* why the frame is malformed, or NULL */
};

/*
 * Take frame apart.  0 when it is well formed, -1 when it is not, with
 * f->bad saying why (no err_msg(): this runs for every frame).  Frames
 * under 60 bytes are not malformed; frames above mtu + 18 (+ 4 with a
 * VLAN tag), truncated headers, IP and ARP lengths that lie and
 * impossible EtherType combinations are.
 */
int nd_parse(const uint8_t *frame, size_t len, unsigned mtu,
	     struct nd_frame *f);

/*
 * Walk a DNS message: call fn for every A (len 4) and AAAA (len 16)
 * answer record.  Returns the number of questions (>= 0) when the
 * message is a well-formed response or query, -1 when it is not.
 * *is_response gets the QR bit.
 */
int nd_dns_walk(const uint8_t *msg, size_t len, int *is_response,
		void (*fn)(void *ctx, const uint8_t *addr, size_t len),
		void *ctx);

/* An event for the caller to record; data is borrowed for the call. */
typedef void (*nd_emit_fn)(void *ctx, enum ev_severity sev, const char *event,
			   const char *vm, json_t *data);

/* What to do with a frame. */
enum nd_action {
	ND_FORWARD, /* to out_port */
	ND_FLOOD,   /* to every other guest and router port */
	ND_DROP,    /* reason says why; already counted */
	ND_OBSERVE, /* a mirror port's frame: seen, never forwarded */
	ND_FILTER,  /* the destination is on the port it came from */
};

struct nd_verdict {
	enum nd_action action;
	int out_port;
	enum nd_drop reason;
};

/* Counters of one port. */
struct nd_port_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t drops[ND_DROP_COUNT];
};

struct nd;

/*
 * A detector state for one lab.  emit (may be NULL) receives the
 * events.  Returns NULL with err_msg() set when memory runs out; free
 * with nd_free().
 */
struct nd *nd_new(const struct nd_config *c, nd_emit_fn emit, void *ctx);
void nd_free(struct nd *d);

/* fn(ctx, port, mac) runs when mac is learned on (or moves to) port. */
typedef void (*nd_learn_fn)(void *ctx, int port, const uint8_t mac[6]);
void nd_on_learn(struct nd *d, nd_learn_fn fn);

/* Plug vm into port (0 <= port < ND_PORTS_MAX); -1 with err_msg(). */
int nd_port_attach(struct nd *d, int port, const char *vm,
		   enum nd_port_kind kind);

/* Unplug port: its MACs are forgotten, its counters kept. */
void nd_port_detach(struct nd *d, int port);

/* Judge the frame that came in on port at now_us (microseconds). */
void nd_frame(struct nd *d, int port, const uint8_t *frame, size_t len,
	      int64_t now_us, struct nd_verdict *v);

/* Count a frame delivered to port, or dropped for it by the caller. */
void nd_count_tx(struct nd *d, int port, size_t len);
void nd_count_drop(struct nd *d, int port, enum nd_drop reason);

/*
 * Called about once a second: reports held-back events, the switch.drop
 * summary of the interval and sustained drops.
 */
void nd_tick(struct nd *d, int64_t now_us);

/* A port's counters, or NULL when port is out of range. */
const struct nd_port_stats *nd_port_stats(const struct nd *d, int port);

/* Total drops per reason since the start. */
uint64_t nd_drops(const struct nd *d, enum nd_drop reason);

/*
 * The live MAC table as a JSON array of {"mac","port","vm","age"}
 * (a new reference, NULL when out of memory).
 */
json_t *nd_mac_table(const struct nd *d, int64_t now_us);

/* The port a live entry places mac on, or -1. */
int nd_mac_lookup(const struct nd *d, const uint8_t mac[6], int64_t now_us);

#endif
