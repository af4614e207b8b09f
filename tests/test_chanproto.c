#include "det_helpers.h"
#include "helpers.h"

#include "detect/chanproto.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(chanproto, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define MAX (64 * 1024)

/* What a run of the parser saw: messages as "type:len", and events. */
struct run {
	char msgs[1024];
	struct rec rec;
	int rc;
};

static void
on_msg(void *ctx, const struct chan_msg *m)
{
	struct run *r = ctx;
	size_t used = strlen(r->msgs);

	snprintf(r->msgs + used, sizeof(r->msgs) - used, "%d:%u ", m->type,
		 m->len);
}

/* Feed the stream in chunks of chunk bytes (0: random 1..97). */
static void
run_stream(struct run *r, const unsigned char *buf, size_t len, size_t chunk,
	   int close)
{
	struct chanproto_parser p;
	size_t off = 0, n;

	memset(r, 0, sizeof(*r));
	rec_init(&r->rec);
	cr_assert_eq(chanproto_init(&p, MAX, &r->rec.sink, NULL, on_msg, r), 0);
	while (off < len && r->rc == 0) {
		n = chunk ? chunk : (size_t)(rand() % 97 + 1);
		n = n < len - off ? n : len - off;
		r->rc = chanproto_feed(&p, buf + off, n, 1000);
		off += n;
	}
	if (close)
		chanproto_close(&p, 2000);
	chanproto_release(&p);
}

static unsigned char *
stream(const char *fixture, size_t *len)
{
	char *hex = det_fixture(fixture, NULL);
	unsigned char *buf;

	cr_assert_not_null(hex, "missing fixture %s", fixture);
	buf = det_unhex(hex, len);
	free(hex);
	return buf;
}

/* Whole, byte by byte and in random chunks give the same result. */
static void
check_all_chunkings(const char *fixture, const char *msgs, const char *event,
		    int rc)
{
	size_t len, chunks[] = {1000000, 1, 0, 0, 0, 5, 12, 13};
	unsigned char *buf = stream(fixture, &len);
	struct run r;
	size_t i;

	srand(7);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run_stream(&r, buf, len, chunks[i], 1);
		cr_assert_str_eq(r.msgs, msgs, "%s chunk %zu", fixture,
				 chunks[i]);
		cr_assert_eq(r.rc, rc, "%s chunk %zu", fixture, chunks[i]);
		if (event) {
			cr_assert_eq(rec_count(&r.rec, NULL), 1);
			cr_assert_str_eq(rec_severity(&r.rec, event),
					 "CRITICAL");
		} else {
			cr_assert_eq(rec_count(&r.rec, NULL), 0);
		}
		rec_release(&r.rec);
	}
	free(buf);
}

Test(chanproto, good_stream_parses_in_any_chunking)
{
	check_all_chunkings("chan-good.hex", "1:35 2:0 3:48 2:0 4:0 ", NULL, 0);
}

Test(chanproto, oversized_length_drops_without_reading)
{
	check_all_chunkings("chan-oversized.hex", "1:35 ",
			    "vsock.message.oversized", -1);
}

Test(chanproto, bad_magic_version_type)
{
	check_all_chunkings("chan-badmagic.hex", "1:35 ",
			    "vsock.protocol.violation", -1);
	check_all_chunkings("chan-badversion.hex", "",
			    "vsock.protocol.violation", -1);
	check_all_chunkings("chan-badtype.hex", "1:35 ",
			    "vsock.protocol.violation", -1);
}

Test(chanproto, out_of_order_messages)
{
	check_all_chunkings("chan-order.hex", "", "vsock.protocol.violation",
			    -1);
	check_all_chunkings("chan-after-bye.hex", "1:35 4:0 ",
			    "vsock.protocol.violation", -1);
}

Test(chanproto, close_mid_frame_is_a_violation)
{
	json_t *data;
	size_t len;
	unsigned char *buf = stream("chan-truncated.hex", &len);
	struct run r;

	run_stream(&r, buf, len, 3, 1);
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(rec_count(&r.rec, "vsock.protocol.violation"), 1);
	data = json_object_get(rec_find(&r.rec, NULL), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "reason")),
			 "closed in the middle of a message");
	rec_release(&r.rec);

	run_stream(&r, buf, 47, 3, 1); /* exactly the hello */
	cr_assert_eq(rec_count(&r.rec, NULL), 0);
	rec_release(&r.rec);
	free(buf);
}

Test(chanproto, drop_state_reads_nothing_more)
{
	struct chanproto_parser p;
	unsigned char hdr[CHAN_HDR_LEN] = "SVF1\1\1\0\0\xff\xff\xff\xff";
	struct rec rec;

	rec_init(&rec);
	cr_assert_eq(chanproto_init(&p, 1024, &rec.sink, NULL, NULL, NULL), 0);
	cr_assert_eq(chanproto_feed(&p, hdr, sizeof(hdr), 1), -1);
	cr_assert_eq(chanproto_feed(&p, "SVF1", 4, 2), -1);
	chanproto_close(&p, 3);
	cr_assert_eq(rec_count(&rec, NULL), 1);
	cr_assert_eq(p.offset, CHAN_HDR_LEN);
	chanproto_release(&p);
	rec_release(&rec);
}

Test(chanproto, encode_round_trips_and_checks_room)
{
	uint8_t out[64];
	struct run r;
	size_t n = chanproto_encode(CHAN_HELLO, 0, "{}", 2, out, sizeof(out));

	cr_assert_eq(n, CHAN_HDR_LEN + 2);
	cr_assert_eq(memcmp(out, "SVF1\1\1\0\0\0\0\0\2{}", n), 0);
	n += chanproto_encode(CHAN_REPORT, 0x0102, "abc", 3, out + n,
			      sizeof(out) - n);
	run_stream(&r, out, n, 1, 1);
	cr_assert_str_eq(r.msgs, "1:2 3:3 ");
	rec_release(&r.rec);
	cr_assert_eq(chanproto_encode(CHAN_BYE, 0, out, 60, out, 64), 0);
	cr_assert_eq(chanproto_encode(CHAN_BYE, 0, NULL, 0, out, 11), 0);
}

Test(chanproto, unauthorized_port_is_rate_limited)
{
	struct ratelimit rl;
	struct rec rec;
	int i;

	rec_init(&rec);
	ratelimit_init(&rl, 10000000);
	for (i = 0; i < 50; i++)
		chanproto_port_unauthorized(&rec.sink, &rl, 3, 22, 1000 + i);
	chanproto_port_unauthorized(&rec.sink, &rl, 3, 22, 20000000);
	cr_assert_eq(rec_count(&rec, "vsock.port.unauthorized"), 2);
	cr_assert_eq(
		json_integer_value(json_object_get(
			json_object_get(json_array_get(rec.events, 1), "data"),
			"repeats")),
		49);
	rec_release(&rec);
}
