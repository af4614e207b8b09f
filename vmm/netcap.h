/*
 * netcap: a pcap tap inside the switch.
 *
 * A capture writes the frames that match its BPF filter (and its port,
 * when it has one) to a pcap file (DLT_EN10MB, snaplen 65535) through
 * libpcap's pcap_dump().  A file that reaches max_bytes is closed and
 * the next one opened: FILE, FILE.1, FILE.2 ...; at most `files` are
 * kept, the oldest removed.  A capture ends after count packets, at
 * its deadline, or when stopped.
 */
#ifndef SECVF_NETCAP_H
#define SECVF_NETCAP_H

#include <stddef.h>
#include <stdint.h>

struct netcap_opts {
	const char *path;   /* the first file; created 0600, not replaced */
	const char *filter; /* BPF expression, NULL or "" for all */
	int port;	    /* only frames of this port; -1 for all */
	uint64_t count;	    /* stop after this many packets (0: never) */
	int64_t until_us;   /* stop at this time; 0: no limit */
	uint64_t max_bytes; /* per file */
	unsigned files;	    /* files kept */
};

struct netcap;

/*
 * Check that filter compiles; -1 with err_msg() saying why (pcap's own
 * words) when it does not.
 */
int netcap_check_filter(const char *filter);

/* Start a capture; NULL with err_msg() set.  netcap_close() ends it. */
struct netcap *netcap_open(const struct netcap_opts *o);

/*
 * Offer a frame seen on port at now_us.  Returns 1 when the capture
 * has ended (count reached), 0 otherwise, -1 on a write error (the
 * capture should be closed).
 */
int netcap_packet(struct netcap *c, int port, const uint8_t *frame, size_t len,
		  int64_t now_us);

/* Has the deadline passed?  Also flushes the file. */
int netcap_expired(struct netcap *c, int64_t now_us);

uint64_t netcap_packets(const struct netcap *c);
const char *netcap_path(const struct netcap *c);

/* Flush and close; NULL is fine. */
void netcap_close(struct netcap *c);

#endif
