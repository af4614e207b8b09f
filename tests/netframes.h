/*
 * netframes: building Ethernet frames for the network tests.
 * Test-only code, header only.
 */
#ifndef SECVF_TEST_NETFRAMES_H
#define SECVF_TEST_NETFRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAC_A "\x52\x54\x00\x00\x00\x0a"
#define MAC_B "\x52\x54\x00\x00\x00\x0b"
#define MAC_R "\x52\x54\x00\x00\x00\x01"
#define MAC_HOST "\x52\x55\x0a\x00\x02\x02"
#define MAC_BCAST "\xff\xff\xff\xff\xff\xff"

static inline size_t
nf_eth(uint8_t *f, const char *dst, const char *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

/* An IPv4 header with total length 20 + payload at f (no checksum). */
static inline size_t
nf_ipv4(uint8_t *f, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
	size_t payload)
{
	size_t total = 20 + payload;

	memset(f, 0, 20);
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[8] = 64;
	f[9] = proto;
	memcpy(f + 12, src, 4);
	memcpy(f + 16, dst, 4);
	return 20;
}

static inline size_t
nf_udp(uint8_t *f, uint16_t sport, uint16_t dport, size_t payload)
{
	size_t len = 8 + payload;

	f[0] = (uint8_t)(sport >> 8);
	f[1] = (uint8_t)sport;
	f[2] = (uint8_t)(dport >> 8);
	f[3] = (uint8_t)dport;
	f[4] = (uint8_t)(len >> 8);
	f[5] = (uint8_t)len;
	f[6] = f[7] = 0;
	return 8;
}

/* A whole Ethernet/IPv4/UDP frame with payload; returns its length. */
static inline size_t
nf_udp_frame(uint8_t *f, const char *dst, const char *src, const uint8_t sip[4],
	     const uint8_t dip[4], uint16_t sport, uint16_t dport,
	     const void *payload, size_t plen)
{
	size_t n = nf_eth(f, dst, src, 0x0800);

	n += nf_ipv4(f + n, sip, dip, 17, 8 + plen);
	n += nf_udp(f + n, sport, dport, plen);
	memcpy(f + n, payload, plen);
	return n + plen;
}

/* A TCP SYN-sized frame (20-byte header, no options). */
static inline size_t
nf_tcp_frame(uint8_t *f, const char *dst, const char *src, const uint8_t sip[4],
	     const uint8_t dip[4], uint16_t dport)
{
	size_t n = nf_eth(f, dst, src, 0x0800);

	n += nf_ipv4(f + n, sip, dip, 6, 20);
	memset(f + n, 0, 20);
	f[n] = 0x9c;
	f[n + 1] = 0x40;
	f[n + 2] = (uint8_t)(dport >> 8);
	f[n + 3] = (uint8_t)dport;
	f[n + 12] = 0x50;
	f[n + 13] = 0x02;
	return n + 20;
}

/* An ARP request (or reply when op is 2) for IPv4 over Ethernet. */
static inline size_t
nf_arp(uint8_t *f, const char *dst, const char *src, int op,
       const uint8_t spa[4], const uint8_t tpa[4])
{
	size_t n = nf_eth(f, dst, src, 0x0806);
	uint8_t *p = f + n;

	memset(p, 0, 28);
	p[1] = 1;
	p[2] = 0x08;
	p[4] = 6;
	p[5] = 4;
	p[7] = (uint8_t)op;
	memcpy(p + 8, src, 6);
	memcpy(p + 14, spa, 4);
	memcpy(p + 24, tpa, 4);
	return n + 28;
}

/* A DNS query (qr 0) or response (qr 1) for "x.test" with answers. */
static inline size_t
nf_dns(uint8_t *m, int qr, const uint8_t (*a)[4], int nan, int aaaa)
{
	static const uint8_t q[] = {1,	 'x', 4, 't', 'e', 's',
				    't', 0,   0, 1,   0,   1};
	size_t n = 12;
	int i;

	memset(m, 0, 12);
	m[0] = 0x12;
	m[1] = 0x34;
	m[2] = (uint8_t)(qr ? 0x81 : 0x01);
	m[5] = 1;
	m[7] = (uint8_t)(nan + aaaa);
	memcpy(m + n, q, sizeof(q));
	n += sizeof(q);
	for (i = 0; i < nan + aaaa; i++) {
		int six = i >= nan;

		m[n++] = 0xc0; /* pointer to the question's name */
		m[n++] = 12;
		m[n++] = 0;
		m[n++] = six ? 28 : 1;
		m[n++] = 0;
		m[n++] = 1;
		memset(m + n, 0, 4);
		m[n + 3] = 60;
		n += 4;
		m[n++] = 0;
		m[n++] = six ? 16 : 4;
		if (six) {
			memset(m + n, 0x20, 16);
			n += 16;
		} else {
			memcpy(m + n, a[i], 4);
			n += 4;
		}
	}
	return n;
}

#endif
