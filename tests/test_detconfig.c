#include "helpers.h"

#include "detect/config.h"
#include "detect/ratelimit.h"
#include "detect/severity.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <string.h>

TestSuite(detconfig, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

Test(detconfig, defaults_without_a_file)
{
	struct det_config cfg;

	cr_assert_eq(det_config_load(&cfg, NULL), 0, "%s", err_msg());
	cr_assert_eq(cfg.boot_window_us, 120000000);
	cr_assert_eq(cfg.disk_growth_factor, 10);
	cr_assert_eq(cfg.correlation_window_us, 60000000);
	cr_assert_eq(cfg.chan_max_message, 65536);
	cr_assert_eq(cfg.hook_timeout_us, 10000000);
	cr_assert(det_config_child_allowed(&cfg, "tshark"));
	cr_assert(det_config_child_allowed(&cfg, "secvf"));
	cr_assert_not(det_config_child_allowed(&cfg, "sh"));
}

Test(detconfig, the_example_file_holds_the_defaults)
{
	struct det_config def, ex;

	det_config_defaults(&def);
	cr_assert_eq(det_config_load(&ex, SECVF_SRCDIR
				     "/playbooks/detect.conf.example"),
		     0, "%s", err_msg());
	cr_assert_eq(memcmp(&def, &ex, sizeof(def)), 0);
}

Test(detconfig, values_and_units)
{
	struct det_config cfg;

	cr_assert_eq(th_write("detect.conf",
			      "# thresholds\n\n"
			      "boot_window = 500ms\n"
			      "  panic_window=2h   # comment\n"
			      "correlation_window = 90\n"
			      "rss_overhead_max = 512M\n"
			      "chan_max_message = 1024\n"
			      "fd_max = 100\n"
			      "child_allow = helper, tshark,dumpcap\n"),
		     0);
	cr_assert_eq(det_config_load(&cfg, NULL), 0, "%s", err_msg());
	cr_assert_eq(cfg.boot_window_us, 500000);
	cr_assert_eq(cfg.panic_window_us, 7200LL * 1000000);
	cr_assert_eq(cfg.correlation_window_us, 90000000);
	cr_assert_eq(cfg.rss_overhead_max, 512LL << 20);
	cr_assert_eq(cfg.chan_max_message, 1024);
	cr_assert_eq(cfg.fd_max, 100);
	cr_assert_eq(cfg.n_child_allow, 5); /* and tshark, secvf, virtiofsd */
	cr_assert(det_config_child_allowed(&cfg, "dumpcap"));
	cr_assert(det_config_child_allowed(&cfg, "secvf"));
}

static void
expect_error(const char *text, const char *message)
{
	struct det_config cfg;

	cr_assert_eq(th_write("detect.conf", text), 0);
	cr_assert_eq(det_config_load(&cfg, NULL), -1, "%s", text);
	cr_assert(strstr(err_msg(), message), "got '%s', want '%s'", err_msg(),
		  message);
	cr_assert_eq(cfg.fd_max, 4096, "defaults after an error");
}

Test(detconfig, errors_name_the_line)
{
	expect_error("fd_max = 10\n\nfd_mx = 3\n",
		     "detect.conf:3: unknown key 'fd_mx'");
	expect_error("boot_window = soon\n",
		     "detect.conf:1: bad value 'soon' for 'boot_window': "
		     "expected a duration");
	expect_error("# x\nboot_window = 5d\n", "detect.conf:2: bad value");
	expect_error("rss_overhead_max = 12T\n", "expected a size");
	expect_error("fd_max = -1\n", "bad value '-1'");
	expect_error("fd_max = 0\n", "out of range");
	expect_error("chan_max_message = 1G\n", "out of range");
	expect_error("fd_max\n", "detect.conf:1: expected 'key = value'");
	expect_error("fd_max = 99999999999999999999999\n", "bad value");
	expect_error("child_allow = a/b\n", "bad process name 'a/b'");
	expect_error("child_allow = a,b,c,d,e,f,g,h,i,j,k,l,m,n,o\n",
		     "more than 16 names");
}

Test(ratelimit, one_per_cause_per_interval_with_repeats)
{
	struct ratelimit rl;
	int64_t rep;

	ratelimit_init(&rl, 10);
	cr_assert_eq(ratelimit_allow(&rl, "a", 100, &rep), 1);
	cr_assert_eq(rep, 0);
	cr_assert_eq(ratelimit_allow(&rl, "a", 101, &rep), 0);
	cr_assert_eq(ratelimit_allow(&rl, "a", 105, &rep), 0);
	cr_assert_eq(ratelimit_allow(&rl, "b", 105, &rep), 1);
	cr_assert_eq(ratelimit_allow(&rl, "a", 110, &rep), 1);
	cr_assert_eq(rep, 2);
	cr_assert_eq(ratelimit_allow(&rl, "a", 121, &rep), 1);
	cr_assert_eq(rep, 0);
}

Test(ratelimit, zero_interval_passes_everything)
{
	struct ratelimit rl;
	int64_t rep;
	int i;

	ratelimit_init(&rl, 0);
	for (i = 0; i < 10; i++)
		cr_assert_eq(ratelimit_allow(&rl, "a", 1, &rep), 1);
}

Test(ratelimit, table_overflow_forgets_the_oldest)
{
	struct ratelimit rl;
	char cause[32];
	int64_t rep;
	int i;

	ratelimit_init(&rl, 1000);
	for (i = 0; i < 3 * RATELIMIT_SLOTS; i++) {
		snprintf(cause, sizeof(cause), "c%d", i);
		cr_assert_eq(ratelimit_allow(&rl, cause, i, &rep), 1);
	}
	cr_assert_eq(ratelimit_allow(&rl, cause, 3 * RATELIMIT_SLOTS, &rep), 0);
}

Test(severity, names_round_trip)
{
	enum ev_severity s;

	cr_assert_str_eq(ev_severity_name(EV_CRITICAL), "CRITICAL");
	cr_assert_str_eq(ev_severity_name((enum ev_severity)9), "UNKNOWN");
	cr_assert_eq(ev_severity_parse("emergency", &s), 0);
	cr_assert_eq(s, EV_EMERGENCY);
	cr_assert_eq(ev_severity_parse("WARNING", &s), 0);
	cr_assert_eq(s, EV_WARNING);
	cr_assert_eq(ev_severity_parse("LOUD", &s), -1);
	cr_assert(strstr(err_msg(), "unknown severity 'LOUD'"));
	cr_assert(EV_INFO < EV_WARNING && EV_CRITICAL < EV_EMERGENCY);
}
