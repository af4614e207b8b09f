#include "helpers.h"

#include "lib/err.h"
#include "lib/home.h"
#include "vmm/netcap.h"
#include "vmm/netlab.h"
#include "vmm/swstream.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(switch, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

/* Frames of lengths 0, 1, ... n-1, each byte its index, framed. */
static size_t
make_stream(uint8_t *buf, int n)
{
	size_t pos = 0;
	int i, j;

	for (i = 0; i < n; i++) {
		buf[pos++] = 0;
		buf[pos++] = 0;
		buf[pos++] = (uint8_t)(i >> 8);
		buf[pos++] = (uint8_t)i;
		for (j = 0; j < i; j++)
			buf[pos++] = (uint8_t)j;
	}
	return pos;
}

/* Feed the stream in chunks of step bytes; count whole frames. */
static int
feed_in_chunks(const uint8_t *data, size_t len, size_t step)
{
	static struct sw_stream s;
	const uint8_t *frame;
	size_t off = 0, room, n, flen;
	int frames = 0;
	uint8_t *at;

	sw_stream_init(&s);
	while (off < len) {
		at = sw_stream_space(&s, &room);
		cr_assert_gt(room, 0);
		n = len - off < step ? len - off : step;
		n = n < room ? n : room;
		memcpy(at, data + off, n);
		sw_stream_commit(&s, n);
		off += n;
		while (sw_stream_next(&s, &frame, &flen) > 0) {
			cr_assert_eq(flen, (size_t)frames);
			if (flen)
				cr_assert_eq(frame[flen - 1],
					     (uint8_t)(flen - 1));
			frames++;
		}
	}
	cr_assert_eq(sw_stream_pending(&s), 0);
	return frames;
}

Test(switch, stream_reassembles_frames_across_any_cut)
{
	static uint8_t buf[300 * 304];
	size_t len = make_stream(buf, 300);
	size_t steps[] = {1, 3, 4, 5, 64, 1000, 65536, 200000};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		cr_assert_eq(feed_in_chunks(buf, len, steps[i]), 300);
}

Test(switch, stream_takes_the_largest_frames_back_to_back)
{
	static struct sw_stream s;
	static uint8_t frame[4 + SW_STREAM_FRAME_MAX];
	const uint8_t *got;
	size_t room, flen, off;
	uint8_t *at;
	int i, frames = 0;

	frame[1] = 0;
	frame[2] = 0xff;
	frame[3] = 0xff;
	sw_stream_init(&s);
	for (i = 0; i < 5; i++) {
		for (off = 0; off < sizeof(frame);) {
			at = sw_stream_space(&s, &room);
			room = room < sizeof(frame) - off ? room
							  : sizeof(frame) - off;
			memcpy(at, frame + off, room > 7000 ? 7000 : room);
			sw_stream_commit(&s, room > 7000 ? 7000 : room);
			off += room > 7000 ? 7000 : room;
			while (sw_stream_next(&s, &got, &flen) > 0) {
				cr_assert_eq(flen, SW_STREAM_FRAME_MAX);
				frames++;
			}
		}
	}
	cr_assert_eq(frames, 5);
}

Test(switch, stream_refuses_a_length_beyond_any_frame)
{
	static struct sw_stream s;
	const uint8_t bad[] = {0, 1, 0, 0, 'x'};
	const uint8_t *frame;
	size_t room, len;
	uint8_t *at;

	sw_stream_init(&s);
	at = sw_stream_space(&s, &room);
	memcpy(at, bad, sizeof(bad));
	sw_stream_commit(&s, sizeof(bad));
	cr_assert_eq(sw_stream_next(&s, &frame, &len), -1);
}

Test(switch, stream_keeps_a_partial_frame)
{
	static struct sw_stream s;
	const uint8_t part[] = {0, 0, 0, 60, 1, 2, 3};
	const uint8_t *frame;
	size_t room, len;
	uint8_t *at;

	sw_stream_init(&s);
	at = sw_stream_space(&s, &room);
	memcpy(at, part, sizeof(part));
	sw_stream_commit(&s, sizeof(part));
	cr_assert_eq(sw_stream_next(&s, &frame, &len), 0);
	cr_assert_eq(sw_stream_pending(&s), 7);
}

/* --- lab definitions --- */

static void
write_def(const char *name, const char *text)
{
	char dir[PATH_BUF], rel[128];

	cr_assert_eq(home_subdir(dir, sizeof(dir), "networks"), 0);
	snprintf(rel, sizeof(rel), "networks/%s.json", name);
	cr_assert_eq(th_write(rel, text), 0);
}

Test(switch, lab_definition_round_trips)
{
	struct netlab l, back;
	char path[PATH_BUF];
	struct stat st;

	cr_assert_eq(netlab_init(&l, "lab1"), 0);
	l.nd.mode = ND_FAKENET;
	strcpy(l.router, "kali");
	cr_assert_eq(netlab_save(&l), 0, "%s", err_msg());
	cr_assert_eq(netlab_load("lab1", &back), 0, "%s", err_msg());
	cr_assert_eq(back.nd.mode, ND_FAKENET);
	cr_assert_str_eq(back.router, "kali");
	cr_assert_eq(back.nd.gateway, 0x0a006401);
	cr_assert_eq(back.nd.nmgmt, 4);
	home_path(path, sizeof(path), "networks/lab1.json");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(switch, lab_definition_keeps_defaults_for_missing_keys)
{
	struct netlab l;

	write_def("mini", "{\"name\":\"mini\",\"mode\":\"virtual\","
			  "\"subnet\":\"192.168.7.0/24\"}");
	cr_assert_eq(netlab_load("mini", &l), 0, "%s", err_msg());
	cr_assert_eq(l.nd.gateway, 0xc0a80701);
	cr_assert_eq(l.nd.mtu, 1500);
	cr_assert_eq(l.nd.mac_max, 4096);
}

Test(switch, bad_lab_definitions_are_refused)
{
	struct netlab l;

	cr_assert_eq(netlab_load("none", &l), -1);
	cr_assert_str_eq(err_msg(), "no lab network 'none'");
	write_def("r", "{\"name\":\"r\",\"mode\":\"router\"}");
	cr_assert_eq(netlab_load("r", &l), -1);
	cr_assert(strstr(err_msg(), "needs a router VM"), "%s", err_msg());
	write_def("g", "{\"name\":\"g\",\"mode\":\"virtual\","
		       "\"gateway\":\"10.9.9.9\"}");
	cr_assert_eq(netlab_load("g", &l), -1);
	cr_assert(strstr(err_msg(), "gateway"), "%s", err_msg());
	write_def("j", "{\"name\":");
	cr_assert_eq(netlab_load("j", &l), -1);
	cr_assert_eq(netlab_init(&l, "../x"), -1);
}

Test(switch, port_path_is_beneath_the_lab_run_dir)
{
	char path[PATH_BUF], want[PATH_BUF];

	cr_assert_eq(netlab_port_path("lab1", "win10", path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/run/net-lab1/ports/win10.sock",
		 home_dir());
	cr_assert_str_eq(path, want);
	cr_assert_eq(netlab_port_path("lab1", "../x", path, sizeof(path)), -1);
}

Test(switch, port_open_says_when_the_lab_is_down)
{
	char path[PATH_BUF];

	cr_assert_eq(netlab_port_open("lab1", "vm1", NETLAB_PORT_VM, path,
				      sizeof(path)),
		     -1);
	cr_assert_str_eq(err_msg(), "lab network 'lab1' is not up");
}

Test(switch, bad_bpf_is_refused)
{
	cr_assert_eq(netcap_check_filter("udp port 53"), 0);
	cr_assert_eq(netcap_check_filter(NULL), 0);
	cr_assert_eq(netcap_check_filter("udp prot 53"), -1);
	cr_assert(strstr(err_msg(), "bad filter 'udp prot 53'"), "%s",
		  err_msg());
}

/* --- the command --- */

Test(switch, net_create_list_show_delete)
{
	char *out, *err;

	cr_assert_eq(th_secvf(&out, &err, "net", "create", "lab1", "--mode",
			      "virtual", "--subnet", "10.5.0.0/16", NULL),
		     0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(&out, NULL, "net", "list", NULL), 0);
	cr_assert(strstr(out, "lab1") && strstr(out, "10.5.0.0/16"));
	free(out);
	cr_assert_eq(
		th_secvf(&out, NULL, "--json", "net", "show", "lab1", NULL), 0);
	cr_assert(strstr(out, "\"gateway\":\"10.5.0.1\""), "%s", out);
	cr_assert(strstr(out, "\"up\":false"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "net", "delete", "lab1", NULL), 0);
	cr_assert_eq(th_secvf(NULL, NULL, "net", "show", "lab1", NULL), 3);
}

Test(switch, net_usage_errors)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, "net", "create", "x", NULL), 2);
	cr_assert(strstr(err, "--mode is required"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "create", "x", "--mode",
			      "router", NULL),
		     2);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "create", "x", "--mode",
			      "virtual", "--subnet", "10.0.0.0", NULL),
		     2);
	free(err);
	th_secvf(NULL, NULL, "net", "create", "x", "--mode", "virtual", NULL);
	cr_assert_eq(th_secvf(NULL, &err, "net", "capture", "x", "--filter",
			      "tcp prot 1", "-w", "a.pcap", NULL),
		     2);
	cr_assert(strstr(err, "bad filter"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "capture", "x", "-w", "a.pcap",
			      "--count", "1", NULL),
		     6);
	cr_assert(strstr(err, "lab network 'x' is not up"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "down", "x", NULL), 6);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "up", "nope", NULL), 3);
	free(err);
}
