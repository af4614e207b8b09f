/*
 * netcap: pcap files written by the switch.
 */
#include "netcap.h"

#include "lib/err.h"
#include "lib/path.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define SNAPLEN 65535
#define PCAP_HDR 24
#define PCAP_REC 16

struct netcap {
	pcap_t *dead;
	struct bpf_program prog;
	int have_prog;
	pcap_dumper_t *dump;
	char path[PATH_BUF];
	int port;
	uint64_t count, packets;
	int64_t until_us;
	uint64_t max_bytes, bytes;
	unsigned files, index;
};

int
netcap_check_filter(const char *filter)
{
	struct bpf_program prog;
	pcap_t *p;
	int r = 0;

	if (!filter || !*filter)
		return 0;
	p = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!p)
		return err_set("cannot open a pcap handle");
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		r = err_set("bad filter '%s': %s", filter, pcap_geterr(p));
	else
		pcap_freecode(&prog);
	pcap_close(p);
	return r;
}

static int
file_name(const struct netcap *c, unsigned index, char *buf, size_t n)
{
	if (index == 0)
		return path_fmt(buf, n, "%s", c->path);
	return path_fmt(buf, n, "%s.%u", c->path, index);
}

/* Open file number c->index, and drop the one that falls out. */
static int
open_file(struct netcap *c)
{
	char name[PATH_BUF];
	FILE *f;
	int fd;

	if (file_name(c, c->index, name, sizeof(name)) < 0)
		return -1;
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return err_errno("cannot create '%s'", name);
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		return err_errno("cannot open '%s'", name);
	}
	c->dump = pcap_dump_fopen(c->dead, f);
	if (!c->dump) {
		fclose(f);
		unlink(name);
		return err_set("cannot write '%s': %s", name,
			       pcap_geterr(c->dead));
	}
	c->bytes = PCAP_HDR;

	if (c->index >= c->files &&
	    file_name(c, c->index - c->files, name, sizeof(name)) == 0)
		unlink(name);
	return 0;
}

struct netcap *
netcap_open(const struct netcap_opts *o)
{
	struct netcap *c = calloc(1, sizeof(*c));

	if (!c) {
		err_set("out of memory");
		return NULL;
	}
	c->port = o->port;
	c->count = o->count;
	c->until_us = o->until_us;
	c->max_bytes = o->max_bytes ? o->max_bytes : 64 << 20;
	c->files = o->files ? o->files : 1;
	if (path_fmt(c->path, sizeof(c->path), "%s", o->path) < 0)
		goto fail;
	c->dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!c->dead) {
		err_set("cannot open a pcap handle");
		goto fail;
	}
	if (o->filter && *o->filter) {
		if (pcap_compile(c->dead, &c->prog, o->filter, 1,
				 PCAP_NETMASK_UNKNOWN) < 0) {
			err_set("bad filter '%s': %s", o->filter,
				pcap_geterr(c->dead));
			goto fail;
		}
		c->have_prog = 1;
	}
	if (open_file(c) < 0)
		goto fail;
	return c;

fail:
	netcap_close(c);
	return NULL;
}

static int
rotate(struct netcap *c)
{
	pcap_dump_close(c->dump);
	c->dump = NULL;
	c->index++;
	return open_file(c);
}

int
netcap_packet(struct netcap *c, int port, const uint8_t *frame, size_t len,
	      int64_t now_us)
{
	struct pcap_pkthdr h;

	if (!c->dump)
		return -1;
	if (c->port >= 0 && port != c->port)
		return 0;
	h.ts.tv_sec = (time_t)(now_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(now_us % 1000000);
	h.caplen = h.len = (bpf_u_int32)len;
	if (c->have_prog && !pcap_offline_filter(&c->prog, &h, frame))
		return 0;

	if (c->bytes + PCAP_REC + len > c->max_bytes && c->bytes > PCAP_HDR &&
	    rotate(c) < 0)
		return -1;
	pcap_dump((u_char *)c->dump, &h, frame);
	c->bytes += PCAP_REC + len;
	c->packets++;
	if (c->count && c->packets >= c->count)
		return 1;
	return 0;
}

int
netcap_expired(struct netcap *c, int64_t now_us)
{
	if (c->dump)
		pcap_dump_flush(c->dump);
	return c->until_us && now_us >= c->until_us;
}

uint64_t
netcap_packets(const struct netcap *c)
{
	return c->packets;
}

const char *
netcap_path(const struct netcap *c)
{
	return c->path;
}

void
netcap_close(struct netcap *c)
{
	if (!c)
		return;
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->have_prog)
		pcap_freecode(&c->prog);
	if (c->dead)
		pcap_close(c->dead);
	free(c);
}
