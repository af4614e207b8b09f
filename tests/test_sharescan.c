#include "det_helpers.h"
#include "helpers.h"

#include "detect/sharescan.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fini(void);

TestSuite(sharescan, .init = (void (*)(void))th_fresh_home, .fini = fini);

#define SEC 1000000LL

static struct det_config cfg;
static struct sharescan ss;
static struct rec rec;
static char root[512];

static void
fini(void)
{
	sharescan_release(&ss);
	rec_release(&rec);
	th_remove_home();
}

/* A share with an ordinary tree, made fresh for each test. */
static void
start(void)
{
	snprintf(root, sizeof(root), "%s/share", getenv("SECVF_HOME"));
	cr_assert_eq(th_sh("cd '%s' && mkdir -p share/docs/sub && "
			   "echo hi > share/docs/a.txt && "
			   "echo x > share/docs/sub/b.txt && "
			   "ln -s ../a.txt share/docs/sub/to-a && "
			   "ln -s docs/a.txt share/inside && "
			   "ln -s '%s/docs' share/abs-inside",
			   getenv("SECVF_HOME"), root),
		     0);
	det_config_defaults(&cfg);
	rec_init(&rec);
	cr_assert_eq(sharescan_init(&ss, &cfg, &rec.sink, root, NULL, NULL), 0);
}

static void
sh_in_share(const char *cmd)
{
	cr_assert_eq(th_sh("cd '%s' && %s", root, cmd), 0, "%s", cmd);
}

Test(sharescan, ordinary_tree_and_activity_emit_nothing)
{
	start();
	cr_assert_eq(sharescan_scan(&ss, SEC), 0);
	sh_in_share("echo more >> docs/a.txt && touch docs/new.txt && "
		    "mkdir docs/new-dir");
	cr_assert_eq(sharescan_scan(&ss, 10 * SEC), 0);
	cr_assert_eq(rec_count(&rec, NULL), 0, "%s", json_dumps(rec.events, 0));
	cr_assert_eq(ss.entries, 9);
}

Test(sharescan, symlinks_out_of_the_share_are_escapes)
{
	json_t *ev;
	size_t i;
	int saw_root = 0;

	start();
	sh_in_share("ln -s / root-link && ln -s ../.. docs/up && "
		    "ln -s ../../../etc/passwd docs/sub/pw && "
		    "ln -s /etc docs/etc && ln -s . loop");
	cr_assert_eq(sharescan_scan(&ss, SEC), 0);
	cr_assert_eq(rec_count(&rec, "virtiofs.symlink.escape-attempt"), 4,
		     "%s", json_dumps(rec.events, 0));
	json_array_foreach(rec.events, i, ev)
	{
		json_t *d = json_object_get(ev, "data");

		cr_assert_str_eq(
			json_string_value(json_object_get(ev, "severity")),
			"CRITICAL");
		if (!strcmp(json_string_value(json_object_get(d, "path")),
			    "root-link"))
			saw_root = 1;
	}
	cr_assert(saw_root);
	/* no link was followed: /etc was not walked */
	cr_assert_lt(ss.entries, 20);

	/* the same links again: not repeated; a changed one is */
	cr_assert_eq(sharescan_scan(&ss, 60 * SEC), 0);
	cr_assert_eq(rec_count(&rec, NULL), 4);
	sh_in_share("ln -sfn /root docs/etc");
	cr_assert_eq(sharescan_scan(&ss, 120 * SEC), 0);
	cr_assert_eq(rec_count(&rec, NULL), 5);
}

Test(sharescan, lexical_resolution)
{
	cr_assert_eq(sharescan_escapes("/s", "", "a/b"), 0);
	cr_assert_eq(sharescan_escapes("/s", "a/b", "../../c"), 0);
	cr_assert_eq(sharescan_escapes("/s", "a/b", "../../../c"), 1);
	cr_assert_eq(sharescan_escapes("/s", "a", "x/../../.."), 1);
	cr_assert_eq(sharescan_escapes("/s", "", ".."), 1);
	cr_assert_eq(sharescan_escapes("/s", "", "./././x"), 0);
	cr_assert_eq(sharescan_escapes("/s", "", "/s/x"), 0);
	cr_assert_eq(sharescan_escapes("/s", "", "//s/x"), 0);
	cr_assert_eq(sharescan_escapes("/s", "", "/s/../etc"), 1);
	cr_assert_eq(sharescan_escapes("/s", "", "/sx/y"), 1);
	cr_assert_eq(sharescan_escapes("/s", "", "/"), 1);
	cr_assert_eq(sharescan_escapes("/", "", "/etc"), 0);
}

Test(sharescan, hidden_entries_written_by_the_guest)
{
	json_t *data, *ev;
	size_t i;

	start();
	sh_in_share("mkdir .config && touch .config/old");
	cr_assert_eq(sharescan_scan(&ss, SEC), 0);
	cr_assert_eq(rec_count(&rec, NULL), 0, "baseline reports nothing");

	sh_in_share("mkdir .ssh && echo key > .ssh/authorized_keys && "
		    "touch -d '2030-01-01' .config/old");
	cr_assert_eq(sharescan_scan(&ss, 10 * SEC), 0);
	/* .ssh, .ssh/authorized_keys created; .config/old modified */
	cr_assert_eq(rec_count(&rec, "virtiofs.access.unauthorized"), 3, "%s",
		     json_dumps(rec.events, 0));
	json_array_foreach(rec.events, i, ev)
	{
		data = json_object_get(ev, "data");
		if (!strcmp(json_string_value(json_object_get(data, "path")),
			    ".config/old"))
			cr_assert_str_eq(json_string_value(
						 json_object_get(data, "what")),
					 "modified");
	}
	cr_assert_str_eq(rec_severity(&rec, "virtiofs.access.unauthorized"),
			 "WARNING");
}

static int
hide_secret(const char *name, void *ctx)
{
	return !strcmp(name, ctx);
}

Test(sharescan, configured_hidden_names)
{
	sharescan_release(&ss);
	start();
	sharescan_release(&ss);
	cr_assert_eq(sharescan_init(&ss, &cfg, &rec.sink, root, hide_secret,
				    "secret"),
		     0);
	cr_assert_eq(sharescan_scan(&ss, SEC), 0);
	sh_in_share("touch .dot secret");
	cr_assert_eq(sharescan_scan(&ss, 10 * SEC), 0);
	cr_assert_eq(rec_count(&rec, NULL), 1);
}

Test(sharescan, mass_create_over_threshold)
{
	start();
	cfg.mass_create_per_sec = 50;
	cr_assert_eq(sharescan_scan(&ss, SEC), 0);
	sh_in_share("mkdir burst && cd burst && "
		    "for i in $(seq 1 300); do : > f$i; done");
	cr_assert_eq(sharescan_scan(&ss, 3 * SEC), 0);
	cr_assert_eq(rec_count(&rec, "virtiofs.mass-create"), 1);
	/* the same 300 over 10 minutes are ordinary */
	sh_in_share("mkdir slow && cd slow && "
		    "for i in $(seq 1 300); do : > f$i; done");
	cr_assert_eq(sharescan_scan(&ss, 603 * SEC), 0);
	cr_assert_eq(rec_count(&rec, NULL), 1);
}

Test(sharescan, bounds_on_depth_and_entries)
{
	start();
	cfg.share_max_depth = 4;
	sh_in_share("mkdir -p d1/d2/d3/d4/d5/d6 && ln -s /../../.. "
		    "d1/d2/d3/d4/d5/d6/deep");
	cr_assert_eq(sharescan_scan(&ss, SEC), 0);
	cr_assert(ss.truncated);
	cr_assert_eq(rec_count(&rec, NULL), 0);

	cfg.share_max_depth = 32;
	cfg.share_max_entries = 3;
	cr_assert_eq(sharescan_scan(&ss, 2 * SEC), 0);
	cr_assert_eq(ss.entries, 3);
	cr_assert(ss.truncated);
}

Test(sharescan, missing_root_is_an_error)
{
	start();
	cr_assert_eq(th_sh("rm -rf '%s'", root), 0);
	cr_assert_eq(sharescan_scan(&ss, SEC), -1);
	cr_assert(strstr(err_msg(), "cannot open share root"), "%s", err_msg());
}
