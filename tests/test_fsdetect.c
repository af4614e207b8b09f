#include "det_helpers.h"
#include "helpers.h"

#include "detect/fsdetect.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

static void fini(void);

TestSuite(fsdetect, .init = (void (*)(void))th_fresh_home, .fini = fini);

#define SEC 1000000LL
#define T0 (1796324400LL * SEC)
#define HASH_A                                                                 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B                                                                 \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct det_config cfg;
static struct fsdetect fs;
static struct rec rec;

/* The names secvf writes, and its temporary names while it writes. */
static int
is_known(const char *name)
{
	static const char *const names[] = {"config.plist", "Disk.img", "NVRAM",
					    "MachineIdentifier"};
	size_t i, n;

	for (i = 0; i < 4; i++) {
		n = strlen(names[i]);
		if (!strncmp(name, names[i], n) &&
		    (!name[n] || !strncmp(name + n, ".tmp.", 5)))
			return 1;
	}
	return 0;
}

static const struct fs_stat baseline[] = {
	{"config.plist", S_IFREG | 0600, 0, 0, 8, 2048, NULL},
	{"Disk.img", S_IFREG | 0600, 0, 0, 2048, 1LL << 30, NULL},
	{"NVRAM", S_IFREG | 0600, 0, 0, 256, 131072, HASH_A},
	{"MachineIdentifier", S_IFREG | 0600, 0, 0, 8, 16, NULL},
};

static void
fini(void)
{
	rec_release(&rec);
	th_remove_home();
}

static void
start(void)
{
	det_config_defaults(&cfg);
	rec_init(&rec);
	fsdetect_init(&fs, &cfg, &rec.sink, is_known, "NVRAM", "Disk.img", T0);
	fsdetect_feed_rescan(&fs, baseline, 4, T0);
	cr_assert_eq(rec_count(&rec, NULL), 0);
}

static uint32_t
parse_mask(char *text)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} bits[] = {
		{"IN_CREATE", IN_CREATE},
		{"IN_MODIFY", IN_MODIFY},
		{"IN_CLOSE_WRITE", IN_CLOSE_WRITE},
		{"IN_OPEN", IN_OPEN},
		{"IN_MOVED_FROM", IN_MOVED_FROM},
		{"IN_MOVED_TO", IN_MOVED_TO},
		{"IN_ATTRIB", IN_ATTRIB},
		{"IN_DELETE", IN_DELETE},
		{"IN_DELETE_SELF", IN_DELETE_SELF},
		{"IN_MOVE_SELF", IN_MOVE_SELF},
		{"IN_IGNORED", IN_IGNORED},
		{"IN_ISDIR", IN_ISDIR},
		{"IN_Q_OVERFLOW", IN_Q_OVERFLOW},
	};
	char *tok, *save = NULL;
	uint32_t mask = 0;
	size_t i;

	for (tok = strtok_r(text, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
			if (!strcmp(tok, bits[i].name))
				mask |= bits[i].bit;
	}
	cr_assert_neq(mask, 0);
	return mask;
}

/* Lines "SECONDS MASK[|MASK] [NAME]"; '#' lines are comments. */
static void
replay(const char *fixture)
{
	char *text = det_fixture(fixture, NULL), *line, *save = NULL;

	cr_assert_not_null(text, "missing fixture %s", fixture);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char masks[128], name[256] = "";
		struct fs_event ev = {1, 0, name};
		double t;

		if (line[0] == '#')
			continue;
		cr_assert_geq(sscanf(line, "%lf %127s %255s", &t, masks, name),
			      2);
		ev.mask = parse_mask(masks);
		fsdetect_feed_event(&fs, &ev, T0 + (int64_t)(t * SEC));
	}
	free(text);
}

Test(fsdetect, ordinary_activity_emits_nothing)
{
	start();
	replay("fs-normal.txt");
	fsdetect_feed_rescan(&fs, baseline, 4, T0 + 60 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 0, "%s", json_dumps(rec.events, 0));
}

Test(fsdetect, dropped_file_is_unexpected_once)
{
	start();
	replay("fs-dropper.txt");
	/* dropper.sh once, .hidden once after the rename, stage once */
	cr_assert_eq(rec_count(&rec, "fsevents.file.unexpected"), 3, "%s",
		     json_dumps(rec.events, 0));
	cr_assert_eq(rec_count(&rec, NULL), 3);
	cr_assert_str_eq(rec_severity(&rec, "fsevents.file.unexpected"),
			 "CRITICAL");
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(rec_find(&rec, NULL), "data"), "name")),
		"dropper.sh");
}

Test(fsdetect, deletions_while_running)
{
	json_t *last;

	start();
	replay("fs-deleted.txt");
	cr_assert_eq(rec_count(&rec, "fsevents.bundle.deleted-while-running"),
		     3);
	last = json_array_get(rec.events, 2);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(last, "data"), "what")),
			 "bundle deleted");
}

Test(fsdetect, overflow_then_rescan_reports_the_difference)
{
	struct fs_stat after[] = {
		baseline[0],
		baseline[1],
		{"NVRAM", S_IFREG | 0666, 0, 0, 256, 131072, HASH_B},
		{"payload.bin", S_IFREG | 0755, 1000, 1000, 8, 4000, NULL},
	};
	json_t *ev;
	size_t i;

	start();
	replay("fs-overflow.txt");
	cr_assert_eq(rec_count(&rec, "fsevents.file.unexpected"), 1);
	cr_assert_eq(rec_count(&rec, "fsevents.watch.overflow"), 1);
	cr_assert(fsdetect_needs_rescan(&fs));

	fsdetect_feed_rescan(&fs, after, 4, T0 + 300 * SEC);
	cr_assert_not(fsdetect_needs_rescan(&fs));
	/* a1 gone (unknown: forgotten), MachineIdentifier missing,
	 * NVRAM mode and content, payload.bin new */
	cr_assert_eq(rec_count(&rec, "fsevents.bundle.deleted-while-running"),
		     1, "%s", json_dumps(rec.events, 0));
	cr_assert_eq(rec_count(&rec, "fsevents.permissions.changed"), 1);
	cr_assert_eq(rec_count(&rec, "fsevents.nvram.mutation"), 1);
	cr_assert_eq(rec_count(&rec, "fsevents.file.unexpected"), 2);
	json_array_foreach(rec.events, i, ev)
	{
		if (i < 2)
			continue;
		cr_assert(json_is_true(json_object_get(
			json_object_get(ev, "data"), "rescan")));
	}
}

Test(fsdetect, nvram_changes_only_count_after_boot_window)
{
	struct fs_stat nv = baseline[2];

	start();
	nv.sha256 = HASH_B;
	fsdetect_feed_stat(&fs, &nv, T0 + 30 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 0);
	nv.sha256 = HASH_A;
	fsdetect_feed_stat(&fs, &nv, T0 + 200 * SEC);
	cr_assert_eq(rec_count(&rec, "fsevents.nvram.mutation"), 1);
	cr_assert_str_eq(rec_severity(&rec, "fsevents.nvram.mutation"),
			 "WARNING");
	/* a reboot opens a new window */
	fsdetect_boot(&fs, T0 + 1000 * SEC);
	nv.sha256 = HASH_B;
	fsdetect_feed_stat(&fs, &nv, T0 + 1010 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 1);
}

Test(fsdetect, permissions_change_is_reported)
{
	struct fs_stat cf = baseline[0];

	start();
	fsdetect_feed_stat(&fs, &cf, T0 + SEC);
	cr_assert_eq(rec_count(&rec, NULL), 0);
	cf.uid = 1000;
	fsdetect_feed_stat(&fs, &cf, T0 + 2 * SEC);
	cr_assert_eq(rec_count(&rec, "fsevents.permissions.changed"), 1);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(rec_find(&rec, NULL), "data"),
			     "new_uid")),
		     1000);
}

Test(fsdetect, attribute_change_is_judged_at_once)
{
	struct fs_stat mi = baseline[3];

	start();
	mi.mode = S_IFREG | 0644;
	fsdetect_feed_attrib(&fs, &mi, T0 + SEC);
	cr_assert_eq(rec_count(&rec, "fsevents.permissions.changed"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(rec_find(&rec, NULL), "data"),
				 "new_mode")),
			 "100644");

	/* The next sample agrees: no second event for the same change. */
	fsdetect_feed_stat(&fs, &mi, T0 + 2 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 1);

	/* Changed back before any sample (one interval on): reported. */
	mi.mode = S_IFREG | 0600;
	fsdetect_feed_attrib(&fs, &mi,
			     T0 + 2 * SEC + cfg.ratelimit_interval_us);
	cr_assert_eq(rec_count(&rec, "fsevents.permissions.changed"), 2);
}

Test(fsdetect, attribute_change_judges_nothing_else)
{
	struct fs_stat disk = baseline[1], drop = baseline[0];
	int i;

	start();
	/* Sizes are for the samples: a huge growth is not a spike here. */
	for (i = 1; i <= FS_WARMUP + 1; i++) {
		disk.blocks += 2048;
		fsdetect_feed_stat(&fs, &disk, T0 + i * SEC);
	}
	disk.blocks += 100LL << 21; /* 100 GiB */
	fsdetect_feed_attrib(&fs, &disk, T0 + 10 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 0);

	/* A name secvf does not write, or a known one never sampled. */
	drop.name = "dropper.sh";
	drop.mode = S_IFREG | 0777;
	fsdetect_feed_attrib(&fs, &drop, T0 + 11 * SEC);
	drop.name = "config.plist.tmp.42";
	fsdetect_feed_attrib(&fs, &drop, T0 + 12 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 0);

	/* The same growth in a sample is one. */
	fsdetect_feed_stat(&fs, &disk, T0 + 13 * SEC);
	cr_assert_eq(rec_count(&rec, "fsevents.disk-image.size-spike"), 1);
	cr_assert_eq(rec_count(&rec, NULL), 1);
}

Test(fsdetect, disk_spike_against_running_average)
{
	struct fs_stat d = baseline[1];
	int64_t t = T0, blocks = d.blocks;
	int i;

	start();
	/* steady 1 MiB per 10 s: ordinary */
	for (i = 0; i < 20; i++) {
		t += 10 * SEC;
		blocks += 2048;
		d.blocks = blocks;
		fsdetect_feed_stat(&fs, &d, t);
	}
	cr_assert_eq(rec_count(&rec, NULL), 0);

	/* 512 MiB in 10 s: a spike */
	t += 10 * SEC;
	blocks += 1024 * 2048;
	d.blocks = blocks;
	fsdetect_feed_stat(&fs, &d, t);
	cr_assert_eq(rec_count(&rec, "fsevents.disk-image.size-spike"), 1);

	/* IN_MODIFY storms never count */
	for (i = 0; i < 1000; i++) {
		struct fs_event ev = {1, IN_MODIFY, "Disk.img"};

		fsdetect_feed_event(&fs, &ev, t + i);
	}
	cr_assert_eq(rec_count(&rec, NULL), 1);
}

Test(fsdetect, small_growth_from_idle_is_not_a_spike)
{
	struct fs_stat d = baseline[1];
	int i;

	start();
	for (i = 1; i <= 10; i++)
		fsdetect_feed_stat(&fs, &d, T0 + i * 10 * SEC);
	d.blocks += 2048 * 8; /* 8 MiB after idling: under disk_growth_min */
	fsdetect_feed_stat(&fs, &d, T0 + 110 * SEC);
	cr_assert_eq(rec_count(&rec, NULL), 0);
}

Test(fsdetect, flood_of_names_is_rate_limited)
{
	char name[32];
	int i;

	start();
	for (i = 0; i < 500; i++) {
		struct fs_event ev = {1, IN_CREATE, name};

		snprintf(name, sizeof(name), "junk%d", i);
		fsdetect_feed_event(&fs, &ev, T0 + SEC + i);
	}
	cr_assert_eq(rec_count(&rec, NULL), RATELIMIT_BURST);
}
