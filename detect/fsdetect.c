#include "detect/fsdetect.h"

#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>

#define SUB "fsevents"

void
fsdetect_init(struct fsdetect *fs, const struct det_config *cfg,
	      const struct det_sink *sink, int (*is_known)(const char *name),
	      const char *nvram, const char *disk, int64_t start_us)
{
	memset(fs, 0, sizeof(*fs));
	fs->cfg = cfg;
	fs->sink = *sink;
	fs->is_known = is_known;
	snprintf(fs->nvram, sizeof(fs->nvram), "%s", nvram ? nvram : "");
	snprintf(fs->disk, sizeof(fs->disk), "%s", disk ? disk : "");
	fs->boot_us = start_us;
	ratelimit_init(&fs->rl, cfg->ratelimit_interval_us);
}

void
fsdetect_boot(struct fsdetect *fs, int64_t now_us)
{
	fs->boot_us = now_us;
}

int
fsdetect_needs_rescan(const struct fsdetect *fs)
{
	return fs->awaiting_rescan;
}

static void
emit(struct fsdetect *fs, int64_t now_us, const char *key, enum ev_severity sev,
     const char *event, json_t *data, int rescan)
{
	if (rescan)
		json_object_set_new(data, "rescan", json_true());
	ratelimit_emit(&fs->rl, &fs->sink, now_us, key, sev, SUB, event, data);
}

static struct fs_file *
file_find(struct fsdetect *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n_files; i++)
		if (!strncmp(fs->files[i].name, name, FS_NAME_MAX - 1))
			return &fs->files[i];
	return NULL;
}

/* The entry of name, added when new; NULL when the table is full. */
static struct fs_file *
file_get(struct fsdetect *fs, const char *name, int *added)
{
	struct fs_file *f = file_find(fs, name);

	*added = 0;
	if (f || fs->n_files == FS_FILES)
		return f;
	f = &fs->files[fs->n_files++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->known = fs->is_known ? fs->is_known(name) : 0;
	*added = 1;
	return f;
}

static void
file_drop(struct fsdetect *fs, struct fs_file *f)
{
	*f = fs->files[--fs->n_files];
}

static json_t *
mask_names(uint32_t mask)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{IN_ACCESS, "IN_ACCESS"},
		{IN_MODIFY, "IN_MODIFY"},
		{IN_ATTRIB, "IN_ATTRIB"},
		{IN_CLOSE_WRITE, "IN_CLOSE_WRITE"},
		{IN_CLOSE_NOWRITE, "IN_CLOSE_NOWRITE"},
		{IN_OPEN, "IN_OPEN"},
		{IN_MOVED_FROM, "IN_MOVED_FROM"},
		{IN_MOVED_TO, "IN_MOVED_TO"},
		{IN_CREATE, "IN_CREATE"},
		{IN_DELETE, "IN_DELETE"},
		{IN_DELETE_SELF, "IN_DELETE_SELF"},
		{IN_MOVE_SELF, "IN_MOVE_SELF"},
		{IN_ISDIR, "IN_ISDIR"},
	};
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (mask & bits[i].bit)
			json_array_append_new(out, json_string(bits[i].name));
	return out;
}

/* A name secvf does not write is present: report it once. */
static void
unexpected(struct fsdetect *fs, const char *name, json_t *data, int64_t now_us,
	   int rescan)
{
	struct fs_file *f;
	int added;

	f = file_get(fs, name, &added);
	if (f && f->present) {
		json_decref(data);
		return;
	}
	if (f)
		f->present = 1;
	json_object_set_new(data, "name", det_str(name));
	emit(fs, now_us, name, EV_CRITICAL, "file.unexpected", data, rescan);
}

static void
deleted(struct fsdetect *fs, const char *name, const char *what, int64_t now_us,
	int rescan)
{
	emit(fs, now_us, name ? name : "", EV_CRITICAL,
	     "bundle.deleted-while-running",
	     json_pack("{s:o,s:s}", "name", det_str(name), "what", what),
	     rescan);
}

static void
on_named(struct fsdetect *fs, const struct fs_event *ev, int64_t now_us)
{
	int known = fs->is_known ? fs->is_known(ev->name) : 0;
	struct fs_file *f = file_find(fs, ev->name);
	int added;

	if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		if (known && f && f->has_stat) /* not a temporary name */
			deleted(fs, ev->name,
				ev->mask & IN_DELETE ? "deleted" : "moved away",
				now_us, 0);
		if (f && !known)
			file_drop(fs, f);
		else if (f)
			f->present = 0;
		return;
	}
	if (!known) {
		unexpected(fs, ev->name,
			   json_pack("{s:o}", "mask", mask_names(ev->mask)),
			   now_us, 0);
		return;
	}
	f = file_get(fs, ev->name, &added);
	if (f)
		f->present = 1;
}

void
fsdetect_feed_event(struct fsdetect *fs, const struct fs_event *ev,
		    int64_t now_us)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		fs->awaiting_rescan = 1;
		emit(fs, now_us, "overflow", EV_CRITICAL, "watch.overflow",
		     json_pack("{s:s}", "reason",
			       "inotify queue overflowed; events were lost"),
		     0);
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		deleted(fs, NULL,
			ev->mask & IN_DELETE_SELF ? "bundle deleted"
						  : "bundle moved",
			now_us, 0);
		return;
	}
	if (ev->mask & IN_IGNORED || !ev->name || !*ev->name)
		return;
	on_named(fs, ev, now_us);
}

static json_t *
mode_str(mode_t mode)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%06o", (unsigned)mode);
	return json_string(buf);
}

static void
check_perms(struct fsdetect *fs, struct fs_file *f, const struct fs_stat *st,
	    int64_t now_us, int rescan)
{
	if (f->has_stat &&
	    (f->mode != st->mode || f->uid != st->uid || f->gid != st->gid))
		emit(fs, now_us, f->name, EV_WARNING, "permissions.changed",
		     json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I}", "name",
			       det_str(f->name), "old_mode", mode_str(f->mode),
			       "new_mode", mode_str(st->mode), "old_uid",
			       (json_int_t)f->uid, "new_uid",
			       (json_int_t)st->uid, "old_gid",
			       (json_int_t)f->gid, "new_gid",
			       (json_int_t)st->gid),
		     rescan);
	f->mode = st->mode;
	f->uid = st->uid;
	f->gid = st->gid;
	f->has_stat = 1;
}

static void
check_nvram(struct fsdetect *fs, struct fs_file *f, const struct fs_stat *st,
	    int64_t now_us, int rescan)
{
	if (!st->sha256 || strcmp(f->name, fs->nvram))
		return;
	if (f->sha256[0] && strcmp(f->sha256, st->sha256) &&
	    now_us - fs->boot_us > fs->cfg->boot_window_us)
		emit(fs, now_us, f->name, EV_WARNING, "nvram.mutation",
		     json_pack("{s:o,s:o,s:o,s:I}", "name", det_str(f->name),
			       "old_sha256", det_str(f->sha256), "new_sha256",
			       det_str(st->sha256), "seconds_since_boot",
			       (json_int_t)((now_us - fs->boot_us) / 1000000)),
		     rescan);
	snprintf(f->sha256, sizeof(f->sha256), "%s", st->sha256);
}

/*
 * Growth of the allocated size between two samples, judged against
 * the running average rate (an exponential average, weight 1/8).
 */
static void
check_disk(struct fsdetect *fs, struct fs_file *f, const struct fs_stat *st,
	   int64_t now_us, int rescan)
{
	int64_t bytes = st->blocks * 512, growth, dt = now_us - f->sample_us;
	double rate;

	if (strcmp(f->name, fs->disk))
		return;
	if (!f->has_blocks || dt <= 0)
		goto record;

	growth = bytes - f->bytes;
	rate = growth > 0 ? (double)growth * 1e6 / (double)dt : 0.0;
	if (fs->disk_rates >= FS_WARMUP && growth >= fs->cfg->disk_growth_min &&
	    rate > (double)fs->cfg->disk_growth_factor * fs->disk_avg)
		emit(fs, now_us, f->name, EV_WARNING, "disk-image.size-spike",
		     json_pack("{s:o,s:I,s:I,s:f,s:f,s:I}", "name",
			       det_str(f->name), "growth_bytes",
			       (json_int_t)growth, "interval_us",
			       (json_int_t)dt, "rate_bytes_per_s", rate,
			       "average_bytes_per_s", fs->disk_avg,
			       "allocated_bytes", (json_int_t)bytes),
		     rescan);
	fs->disk_avg = fs->disk_rates ? fs->disk_avg + (rate - fs->disk_avg) / 8
				      : rate;
	fs->disk_rates++;

record:
	f->bytes = bytes;
	f->blocks = st->blocks;
	f->sample_us = now_us;
	f->has_blocks = 1;
}

static void
stat_one(struct fsdetect *fs, const struct fs_stat *st, int64_t now_us,
	 int rescan)
{
	struct fs_file *f;
	int added;

	if (!st->name || !*st->name)
		return;
	if (!(fs->is_known && fs->is_known(st->name)))
		unexpected(fs, st->name,
			   json_pack("{s:I,s:o,s:I}", "size",
				     (json_int_t)st->size, "mode",
				     mode_str(st->mode), "uid",
				     (json_int_t)st->uid),
			   now_us, rescan);

	f = file_get(fs, st->name, &added);
	if (!f)
		return;
	f->present = 1;
	check_perms(fs, f, st, now_us, rescan);
	check_nvram(fs, f, st, now_us, rescan);
	check_disk(fs, f, st, now_us, rescan);
}

void
fsdetect_feed_stat(struct fsdetect *fs, const struct fs_stat *st,
		   int64_t now_us)
{
	stat_one(fs, st, now_us, 0);
}

void
fsdetect_feed_attrib(struct fsdetect *fs, const struct fs_stat *st,
		     int64_t now_us)
{
	struct fs_file *f;

	if (!st->name || !*st->name || !fs->is_known || !fs->is_known(st->name))
		return;
	f = file_find(fs, st->name);
	if (f && f->has_stat)
		check_perms(fs, f, st, now_us, 0);
}

static int
listed(const struct fs_stat *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].name &&
		    !strncmp(list[i].name, name, FS_NAME_MAX - 1))
			return 1;
	return 0;
}

void
fsdetect_feed_rescan(struct fsdetect *fs, const struct fs_stat *list, size_t n,
		     int64_t now_us)
{
	int rescan = fs->awaiting_rescan;
	size_t i;

	for (i = 0; i < fs->n_files;) {
		struct fs_file *f = &fs->files[i];

		if (f->present && !listed(list, n, f->name)) {
			if (f->known && f->has_stat)
				deleted(fs, f->name, "missing at rescan",
					now_us, rescan);
			f->present = 0;
			if (!f->known) {
				file_drop(fs, f);
				continue;
			}
		}
		i++;
	}
	for (i = 0; i < n; i++)
		stat_one(fs, &list[i], now_us, rescan);
	fs->awaiting_rescan = 0;
}
