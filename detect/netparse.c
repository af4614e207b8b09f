/*
 * netparse: taking Ethernet frames and DNS messages apart, with every
 * length checked against the bytes actually there.
 */
#include "netdetect.h"

#include "lib/err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_IPV6 0x86dd

#define DNS_HDR 12
#define DNS_RECORDS_MAX 256

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int
bad(struct nd_frame *f, const char *why)
{
	f->bad = why;
	return -1;
}

static int
parse_ports(struct nd_frame *f, const uint8_t *l4, size_t len)
{
	if (f->proto == 17) {
		if (len < 8)
			return bad(f, "truncated UDP header");
		if (get16(l4 + 4) < 8 || get16(l4 + 4) > len)
			return bad(f, "UDP length does not match the packet");
		f->udp_payload = l4 + 8;
		f->udp_len = get16(l4 + 4) - 8u;
	} else if (f->proto == 6) {
		if (len < 20)
			return 0; /* a fragment: no ports to judge */
	} else {
		return 0;
	}
	f->has_ports = 1;
	f->sport = get16(l4);
	f->dport = get16(l4 + 2);
	return 0;
}

static int
parse_ipv4(struct nd_frame *f, const uint8_t *p, size_t len)
{
	size_t ihl, total;
	int first;

	if (len < 20)
		return bad(f, "truncated IPv4 header");
	if (p[0] >> 4 != 4)
		return bad(f, "IPv4 EtherType carries another IP version");
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = get16(p + 2);
	if (ihl < 20 || ihl > len)
		return bad(f, "IPv4 header length does not fit the frame");
	if (total < ihl || total > len)
		return bad(f, "IPv4 total length does not fit the frame");

	f->ip = 4;
	f->l3_len = total;
	f->proto = p[9];
	memcpy(f->src_ip, p + 12, 4);
	memcpy(f->dst_ip, p + 16, 4);
	first = (get16(p + 6) & 0x1fff) == 0;
	if (!first)
		return 0;
	return parse_ports(f, p + ihl, total - ihl);
}

static int
parse_ipv6(struct nd_frame *f, const uint8_t *p, size_t len)
{
	size_t payload;

	if (len < 40)
		return bad(f, "truncated IPv6 header");
	if (p[0] >> 4 != 6)
		return bad(f, "IPv6 EtherType carries another IP version");
	payload = get16(p + 4);
	if (40 + payload > len)
		return bad(f, "IPv6 payload length does not fit the frame");

	f->ip = 6;
	f->l3_len = 40 + payload;
	f->proto = p[6];
	memcpy(f->src_ip, p + 8, 16);
	memcpy(f->dst_ip, p + 24, 16);
	return parse_ports(f, p + 40, payload);
}

static int
parse_arp(struct nd_frame *f, const uint8_t *p, size_t len)
{
	size_t need;

	if (len < 8)
		return bad(f, "truncated ARP header");
	need = 8 + 2 * ((size_t)p[4] + p[5]);
	if (need > len)
		return bad(f, "ARP address lengths do not fit the frame");
	if (get16(p) == 1 && get16(p + 2) == ET_IPV4 &&
	    (p[4] != 6 || p[5] != 4))
		return bad(f, "ARP for IPv4 over Ethernet with wrong lengths");
	f->l3_len = need;
	return 0;
}

/* The EtherType (or 802.3 length) at off, after at most one tag. */
static int
parse_ethertype(struct nd_frame *f, size_t len, unsigned mtu, size_t *off)
{
	const uint8_t *p = f->dst;
	uint16_t type = get16(p + 12);

	*off = ND_ETH_HDR;
	if (type == ET_VLAN || type == ET_QINQ) {
		if (len < ND_ETH_HDR + 4)
			return bad(f, "truncated VLAN tag");
		f->vlan = 1;
		type = get16(p + 16);
		*off += 4;
		if (type == ET_VLAN || type == ET_QINQ)
			return bad(f, "stacked VLAN tags");
	}
	if (len > (size_t)mtu + 18 + (f->vlan ? 4 : 0))
		return bad(f, "frame longer than the MTU allows");

	if (type < 0x0600) {
		if (type > 1500)
			return bad(f, "EtherType in the undefined range");
		if (type > len - *off)
			return bad(f, "802.3 length longer than the frame");
		type = 0;
	}
	f->type = type;
	return 0;
}

int
nd_parse(const uint8_t *frame, size_t len, unsigned mtu, struct nd_frame *f)
{
	size_t off;

	memset(f, 0, sizeof(*f));
	if (len < ND_ETH_HDR)
		return bad(f, "truncated Ethernet header");
	f->dst = frame;
	f->src = frame + 6;
	if (f->src[0] & 1)
		return bad(f, "source MAC is a group address");
	if (parse_ethertype(f, len, mtu, &off) < 0)
		return -1;

	f->l3 = frame + off;
	switch (f->type) {
	case ET_IPV4: return parse_ipv4(f, f->l3, len - off);
	case ET_IPV6: return parse_ipv6(f, f->l3, len - off);
	case ET_ARP: return parse_arp(f, f->l3, len - off);
	default: return 0;
	}
}

/* Skip a domain name at *pos; -1 when it runs out of the message. */
static int
dns_skip_name(const uint8_t *msg, size_t len, size_t *pos)
{
	size_t p = *pos;
	unsigned labels = 0;

	while (p < len) {
		uint8_t c = msg[p];

		if ((c & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return -1;
			*pos = p + 2;
			return 0;
		}
		if (c & 0xc0)
			return -1;
		if (c == 0) {
			*pos = p + 1;
			return 0;
		}
		if (++labels > 127)
			return -1;
		p += 1u + c;
	}
	return -1;
}

int
nd_dns_walk(const uint8_t *msg, size_t len, int *is_response,
	    void (*fn)(void *ctx, const uint8_t *addr, size_t len), void *ctx)
{
	unsigned qd, an, i;
	size_t pos = DNS_HDR;

	if (len < DNS_HDR)
		return -1;
	*is_response = msg[2] >> 7;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	if (qd > DNS_RECORDS_MAX || an > DNS_RECORDS_MAX)
		return -1;

	for (i = 0; i < qd; i++) {
		if (dns_skip_name(msg, len, &pos) < 0 || pos + 4 > len)
			return -1;
		pos += 4;
	}
	for (i = 0; i < an; i++) {
		uint16_t type, rdlen;

		if (dns_skip_name(msg, len, &pos) < 0 || pos + 10 > len)
			return -1;
		type = get16(msg + pos);
		rdlen = get16(msg + pos + 8);
		pos += 10;
		if (pos + rdlen > len)
			return -1;
		if (fn &&
		    ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)))
			fn(ctx, msg + pos, rdlen);
		pos += rdlen;
	}
	return (int)qd;
}

int
nd_parse_ipv4(const char *text, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		return err_set("'%s' is not an IPv4 address", text);
	*addr = ntohl(a.s_addr);
	return 0;
}

int
nd_parse_cidr(const char *text, uint32_t *subnet, uint32_t *mask)
{
	char buf[32];
	const char *slash = strchr(text, '/');
	unsigned bits;
	char end;

	if (!slash || (size_t)(slash - text) >= sizeof(buf))
		return err_set("'%s' is not a subnet (A.B.C.D/NN)", text);
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	if (sscanf(slash + 1, "%u%c", &bits, &end) != 1 || bits < 8 ||
	    bits > 30)
		return err_set("'%s': prefix length must be 8 to 30", text);
	if (nd_parse_ipv4(buf, subnet) < 0)
		return err_set("'%s' is not a subnet (A.B.C.D/NN)", text);
	*mask = 0xffffffffu << (32 - bits);
	*subnet &= *mask;
	return 0;
}

int
nd_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	int i;

	if (strlen(text) != 17 ||
	    sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &end) != 6)
		return err_set("'%s' is not a MAC address", text);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

void
nd_format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

void
nd_format_ipv4(uint32_t addr, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
}
