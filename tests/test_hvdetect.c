#include "det_helpers.h"
#include "helpers.h"

#include "detect/config.h"
#include "detect/hvdetect.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(hvdetect, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define GUEST_MEM (256LL << 20)

static struct det_config cfg;
static struct hvdetect hv;
static struct rec rec;

static void
start(void)
{
	det_config_defaults(&cfg);
	rec_init(&rec);
	cr_assert_eq(hvdetect_init(&hv, &cfg, &rec.sink, GUEST_MEM), 0);
}

static void
finish(void)
{
	hvdetect_release(&hv);
	rec_release(&rec);
}

static enum hv_command
command(const char *name)
{
	if (!strcmp(name, "stop"))
		return HV_CMD_STOP;
	if (!strcmp(name, "quit"))
		return HV_CMD_QUIT;
	if (!strcmp(name, "powerdown"))
		return HV_CMD_POWERDOWN;
	return HV_CMD_RESET;
}

static void
feed_sample(const json_t *s, int64_t now)
{
	struct hv_child kids[8];
	struct hv_sample sample = {
		.fds = json_integer_value(json_object_get(s, "fds")),
		.rss_bytes = json_integer_value(json_object_get(s, "rss")),
		.threads = json_integer_value(json_object_get(s, "threads")),
		.children = kids,
	};
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(s, "children"), i, c)
	{
		if (i == 8)
			break;
		kids[i].pid =
			(pid_t)json_integer_value(json_object_get(c, "pid"));
		kids[i].comm = json_string_value(json_object_get(c, "comm"));
		kids[i].exe = json_string_value(json_object_get(c, "exe"));
		sample.n_children = i + 1;
	}
	hvdetect_feed_sample(&hv, &sample, now);
}

static void
feed_console(const char *fixture, int64_t now)
{
	size_t len;
	char *text = det_fixture(fixture, &len);

	cr_assert_not_null(text, "%s", fixture);
	hvdetect_feed_console(&hv, text, len, now);
	free(text);
}

/* One recorded line: {"t": seconds, and one of qmp, cmd, hup, ...}. */
static void
replay_line(const json_t *step)
{
	int64_t now =
		1796324400000000LL +
		(int64_t)(json_number_value(json_object_get(step, "t")) * 1e6);
	json_t *v;

	if ((v = json_object_get(step, "qmp")))
		hvdetect_feed_qmp(&hv, v, now);
	else if ((v = json_object_get(step, "cmd")))
		hvdetect_command(&hv, command(json_string_value(v)), now);
	else if (json_object_get(step, "hup"))
		hvdetect_feed_hup(&hv, now);
	else if ((v = json_object_get(step, "exit")))
		hvdetect_feed_exit(
			&hv,
			(int)json_integer_value(json_object_get(v, "status")),
			(int)json_integer_value(json_object_get(v, "signal")),
			now);
	else if ((v = json_object_get(step, "sample")))
		feed_sample(v, now);
	else if ((v = json_object_get(step, "console")))
		feed_console(json_string_value(v), now);
	else
		hvdetect_tick(&hv, now);
}

static void
replay(const char *fixture)
{
	char *text = det_fixture(fixture, NULL), *line, *save = NULL;

	cr_assert_not_null(text, "missing fixture %s", fixture);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *step = json_loads(line, 0, NULL);

		cr_assert_not_null(step, "bad fixture line: %s", line);
		replay_line(step);
		json_decref(step);
	}
	free(text);
}

Test(hvdetect, ordinary_session_emits_nothing)
{
	start();
	replay("hv-normal.jsonl");
	cr_assert_eq(rec_count(&rec, NULL), 0, "%s", json_dumps(rec.events, 0));
	finish();
}

Test(hvdetect, kill_is_a_crash)
{
	json_t *data;

	start();
	replay("hv-killed.jsonl");
	cr_assert_eq(rec_count(&rec, NULL), 1);
	cr_assert_str_eq(rec_severity(&rec, "vm-lifecycle.crashed"),
			 "CRITICAL");
	data = json_object_get(rec_find(&rec, "vm-lifecycle.crashed"), "data");
	cr_assert_eq(json_integer_value(json_object_get(data, "signal")), 9);
	cr_assert_str_eq(
		json_string_value(json_object_get(data, "signal_name")),
		"KILL");
	cr_assert(json_is_null(json_object_get(data, "last_shutdown_reason")));
	cr_assert(json_is_true(json_object_get(data, "qmp_hup")));
	finish();
}

Test(hvdetect, requested_quit_is_not_a_crash)
{
	start();
	replay("hv-segv-after-quit.jsonl");
	cr_assert_eq(rec_count(&rec, NULL), 0);
	finish();
}

Test(hvdetect, failure_exit_without_shutdown_is_a_crash)
{
	start();
	hvdetect_feed_hup(&hv, 1000);
	hvdetect_feed_exit(&hv, 1, 0, 2000);
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.crashed"), 1);
	finish();
}

Test(hvdetect, guest_shutdown_is_one_unexpected_stop)
{
	json_t *data;

	start();
	replay("hv-guest-shutdown.jsonl");
	cr_assert_eq(rec_count(&rec, NULL), 1, "%s", json_dumps(rec.events, 0));
	cr_assert_str_eq(rec_severity(&rec, "vm-lifecycle.unexpected-stop"),
			 "WARNING");
	data = json_object_get(rec_find(&rec, "vm-lifecycle.unexpected-stop"),
			       "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "reason")),
			 "guest-shutdown");
	cr_assert(json_is_true(json_object_get(data, "guest")));
	/* QEMU then exits 0: a shutdown, not a crash. */
	hvdetect_feed_hup(&hv, 1796324421000000LL);
	hvdetect_feed_exit(&hv, 0, 0, 1796324421000000LL);
	cr_assert_eq(rec_count(&rec, NULL), 1);
	finish();
}

Test(hvdetect, stop_long_after_command_is_unexpected)
{
	start();
	replay("hv-stop-unasked.jsonl");
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.unexpected-stop"), 1);
	cr_assert_eq(rec_count(&rec, NULL), 1);
	finish();
}

Test(hvdetect, io_errors_are_framework_errors_rate_limited)
{
	json_t *ev;
	size_t i;
	int with_repeats = 0;

	start();
	replay("hv-io-error.jsonl");
	/* BLOCK_IO_ERROR at 10 (passes), 10.5 and 11 (held back), 25
	 * (passes with repeats 2); io-error status; the error reply. */
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.framework-error"), 4, "%s",
		     json_dumps(rec.events, 0));
	cr_assert_eq(rec_count(&rec, NULL), 4,
		     "STOP after an I/O error "
		     "is explained");
	json_array_foreach(rec.events, i, ev)
	{
		json_t *r =
			json_object_get(json_object_get(ev, "data"), "repeats");
		if (r) {
			cr_assert_eq(json_integer_value(r), 2);
			with_repeats++;
		}
	}
	cr_assert_eq(with_repeats, 1);
	finish();
}

Test(hvdetect, repeated_panic_signature_is_critical)
{
	json_t *ev, *last = NULL;
	size_t i;

	start();
	replay("hv-panic.jsonl");
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.guest-panic"), 3, "%s",
		     json_dumps(rec.events, 0));
	cr_assert_eq(rec_count(&rec, NULL), 3);
	cr_assert_str_eq(rec_severity(&rec, "vm-lifecycle.guest-panic"),
			 "WARNING");
	json_array_foreach(rec.events, i, ev) last = ev;
	cr_assert_str_eq(json_string_value(json_object_get(last, "severity")),
			 "CRITICAL");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(last, "data"), "signature")),
			 "Kernel panic - not syncing: sysrq triggered crash");
	finish();
}

Test(hvdetect, panic_signature_carries_rip)
{
	json_t *data;

	start();
	feed_console("oops-console.txt", 1000);
	data = json_object_get(rec_find(&rec, "vm-lifecycle.guest-panic"),
			       "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "signature")),
			 "Kernel panic - not syncing: Fatal exception @ "
			 "RIP: 0010:evil_ioctl+0x2a/0x80 [evilmod]");
	finish();
}

Test(hvdetect, distinct_panics_stay_warnings)
{
	start();
	feed_console("oops-console.txt", 1000);
	feed_console("panic-console.txt", 60000000);
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.guest-panic"), 2);
	cr_assert_eq(rec_count(&rec, NULL), 2);
	cr_assert_str_eq(rec_severity(&rec, "vm-lifecycle.guest-panic"),
			 "WARNING");
	finish();
}

Test(hvdetect, same_panic_outside_window_is_a_warning)
{
	json_t *ev;
	size_t i;

	start();
	feed_console("panic-console.txt", 0);
	feed_console("panic-console.txt", cfg.panic_window_us + 1000000);
	cr_assert_eq(rec_count(&rec, NULL), 2);
	json_array_foreach(rec.events, i, ev) cr_assert_str_eq(
		json_string_value(json_object_get(ev, "severity")), "WARNING");
	finish();
}

Test(hvdetect, console_fed_byte_by_byte_is_the_same)
{
	size_t len, i;
	char *text = det_fixture("oops-console.txt", &len);

	start();
	for (i = 0; i < len; i++)
		hvdetect_feed_console(&hv, text + i, 1, 1000);
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.guest-panic"), 1);
	free(text);
	finish();
}

Test(hvdetect, unexpected_child_is_an_emergency_once)
{
	struct hv_child kids[] = {
		{10, "tshark", "/usr/bin/tshark"},
		{11, "sh", "/usr/bin/dash"},
		{12, "helper", "/opt/lab/helper"},
	};
	struct hv_sample s = {-1, -1, -1, kids, 3};

	start();
	cfg.n_child_allow = 0;
	cr_assert_eq(det_config_parse(&cfg, "child_allow = helper\n", "t"), 0);
	hvdetect_feed_sample(&hv, &s, 1000);
	hvdetect_feed_sample(&hv, &s, 60000000);
	cr_assert_eq(rec_count(&rec, NULL), 1);
	cr_assert_str_eq(rec_severity(&rec, "process.child.unexpected"),
			 "EMERGENCY");
	cr_assert_eq(
		json_integer_value(json_object_get(
			json_object_get(rec_find(&rec, NULL), "data"), "pid")),
		11);
	finish();
}

Test(hvdetect, resources_over_threshold)
{
	struct hv_sample ok = {100, GUEST_MEM + (100LL << 20), 10, NULL, 0};
	struct hv_sample bad = {5000, GUEST_MEM + (2LL << 30), 900, NULL, 0};

	start();
	hvdetect_feed_sample(&hv, &ok, 1000);
	cr_assert_eq(rec_count(&rec, NULL), 0);
	hvdetect_feed_sample(&hv, &bad, 2000);
	hvdetect_feed_sample(&hv, &bad, 3000);
	cr_assert_eq(rec_count(&rec, "resource.exhaustion"), 3, "%s",
		     json_dumps(rec.events, 0));
	finish();
}

Test(hvdetect, hangup_without_exit)
{
	start();
	hvdetect_feed_hup(&hv, 1000000);
	hvdetect_tick(&hv, 2000000);
	cr_assert_eq(rec_count(&rec, NULL), 0);
	hvdetect_tick(&hv, 7000000);
	hvdetect_tick(&hv, 9000000);
	cr_assert_eq(rec_count(&rec, "vm-lifecycle.framework-error"), 1);
	finish();
}

Test(hvdetect, hostile_strings_stay_valid_json)
{
	struct hv_child kid = {66,
			       "\xff\xfe\x01"
			       "evil",
			       "/tmp/\x80x"};
	struct hv_sample s = {-1, -1, -1, &kid, 1};
	json_t *data;

	start();
	hvdetect_feed_sample(&hv, &s, 1000);
	data = json_object_get(rec_find(&rec, NULL), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "comm")),
			 "???evil");
	hvdetect_feed_qmp_line(&hv, "not json {", 2000);
	cr_assert_eq(rec_count(&rec, NULL), 1);
	finish();
}
