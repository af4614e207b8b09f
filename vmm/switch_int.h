/*
 * switch_int: the switch's state, shared by switch.c and switch_ctl.c.
 * Not for use outside vmm/switch*.c.
 */
#ifndef SECVF_SWITCH_INT_H
#define SECVF_SWITCH_INT_H

#include "vmm/netcap.h"
#include "vmm/switch.h"
#include "vmm/swstream.h"

#include <poll.h>

#define SW_CLIENTS_MAX 8
#define SW_CAPTURES_MAX 8
#define SW_REQUEST_MAX (64 * 1024)

/* Poll slot owners: the control socket, clients, listeners, ports. */
#define SW_WHO_CTL 0
#define SW_WHO_CLIENT 1
#define SW_WHO_LISTEN (SW_WHO_CLIENT + SW_CLIENTS_MAX)
#define SW_WHO_PORT (SW_WHO_LISTEN + ND_PORTS_MAX)

struct sw_port {
	int used;
	enum nd_port_kind kind;
	char vm[ND_VM_MAX];
	char path[PATH_BUF];
	int listen_fd;
	int fd; /* the connected peer, or -1 */
	struct sw_stream *in;
	uint8_t *q; /* output ring of framed bytes */
	size_t qcap, qhead, qlen;
};

struct sw_client {
	int fd;
	size_t len;
	char buf[SW_REQUEST_MAX];
};

struct sw_capture {
	int id; /* 0: slot free */
	struct netcap *cap;
	char path[PATH_BUF];
	char vm[ND_VM_MAX];
	uint64_t packets;
	char error[256];
};

struct evlive;

struct sw {
	struct evlive *live; /* the event log and the live Sigma rules */
	struct netlab lab;
	struct nd *nd;
	int64_t now, started, last_summary;
	int ctl_fd, pid_fd, log_fd, locked;
	char log_date[11];
	struct sw_port ports[ND_PORTS_MAX];
	struct sw_client clients[SW_CLIENTS_MAX];
	struct sw_capture caps[SW_CAPTURES_MAX];
	int ncaps, next_capture;
};

/* Record a line in logs/network-DATE.log; takes the data reference. */
void sw_log(struct sw *s, const char *event, json_t *data);

/* The port of vm (a mirror port when mirror), or -1; create makes it. */
int sw_port_find(const struct sw *s, const char *vm, int mirror);
int sw_port_create(struct sw *s, const char *vm, int mirror);

/* The counters, ports and MAC table (a new reference). */
json_t *sw_stats(struct sw *s);

/* End a capture; error is NULL when it finished normally. */
void sw_capture_end(struct sw *s, struct sw_capture *c, const char *error);

void sw_ctl_accept(struct sw *s);
void sw_ctl_read(struct sw *s, int client);

#endif
