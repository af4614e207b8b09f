/*
 * fsdetect: the filesystem boundary (layer 3), one VM bundle.
 *
 * Only secvf writes in a VM bundle, and the guest only writes its disk
 * image, through the block device.  The supervisor watches the bundle
 * directory with inotify and feeds the events here; it also feeds
 * periodic stat samples of the bundle's files (with a content hash of
 * the NVRAM) and, after the start and after an IN_Q_OVERFLOW, a full
 * listing.  Which names secvf writes is the caller's is_known()
 * callback.  fsdetect emits:
 *
 *   fsevents.file.unexpected              CRITICAL  a name secvf does
 *                                         not write (once per
 *                                         appearance)
 *   fsevents.nvram.mutation               WARNING   NVRAM content
 *                                         changed after the boot window
 *   fsevents.bundle.deleted-while-running CRITICAL  the bundle deleted
 *                                         or moved, or a known file
 *                                         seen in a listing or sample
 *                                         deleted, moved away or
 *                                         missing at a rescan (names
 *                                         only ever seen in events,
 *                                         such as secvf's temporary
 *                                         files, do not count)
 *   fsevents.disk-image.size-spike        WARNING   allocated size grew
 *                                         faster than disk_growth_factor
 *                                         times the running average
 *                                         rate, by disk_growth_min or
 *                                         more (from samples only,
 *                                         never from IN_MODIFY)
 *   fsevents.permissions.changed          WARNING   mode or owner
 *                                         differs from the last sample
 *                                         (or, after IN_ATTRIB, from
 *                                         what was last seen)
 *   fsevents.watch.overflow               CRITICAL  IN_Q_OVERFLOW: events
 *                                         were lost; the next rescan is
 *                                         compared with the last known
 *                                         state and its findings carry
 *                                         "rescan": true
 */
#ifndef SECVF_FSDETECT_H
#define SECVF_FSDETECT_H

#include "detect/config.h"
#include "detect/detector.h"
#include "detect/ratelimit.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FS_FILES 256 /* names remembered */
#define FS_NAME_MAX 256
#define FS_WARMUP 3 /* disk samples before spikes are judged */

/* One inotify record (struct inotify_event without the length). */
struct fs_event {
	int wd;
	uint32_t mask;	  /* IN_* from <sys/inotify.h> */
	const char *name; /* NULL or "" for the watched directory itself */
};

/* A stat sample of one file of the bundle. */
struct fs_stat {
	const char *name;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t blocks; /* st_blocks, 512-byte units */
	int64_t size;
	const char *sha256; /* hex content hash, NULL when not hashed */
};

struct fs_file {
	char name[FS_NAME_MAX];
	int known, present, has_stat, has_blocks;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char sha256[65];
	int64_t bytes, sample_us;
	int64_t blocks;
};

struct fsdetect {
	const struct det_config *cfg;
	struct det_sink sink;
	struct ratelimit rl;
	int (*is_known)(const char *name);
	char nvram[FS_NAME_MAX];
	char disk[FS_NAME_MAX];
	int64_t boot_us;
	int awaiting_rescan;
	struct fs_file files[FS_FILES];
	size_t n_files;
	double disk_avg; /* bytes per second, running average */
	int disk_rates;
};

/*
 * Watch a bundle from start_us (the boot window starts there).  nvram
 * and disk name the NVRAM file and the disk image (e.g. "NVRAM",
 * "Disk.img"); cfg and the sink's ctx are borrowed.
 */
void fsdetect_init(struct fsdetect *fs, const struct det_config *cfg,
		   const struct det_sink *sink,
		   int (*is_known)(const char *name), const char *nvram,
		   const char *disk, int64_t start_us);

/* The guest reset or rebooted: a new boot window starts at now_us. */
void fsdetect_boot(struct fsdetect *fs, int64_t now_us);

void fsdetect_feed_event(struct fsdetect *fs, const struct fs_event *ev,
			 int64_t now_us);

void fsdetect_feed_stat(struct fsdetect *fs, const struct fs_stat *st,
			int64_t now_us);

/*
 * The attributes of one file changed (IN_ATTRIB): its mode and owner
 * are compared with the last sample at once, so that a change is
 * reported without waiting for the next sample.  Only files secvf
 * writes that were sampled before are judged; sizes and content are
 * left to the samples.
 */
void fsdetect_feed_attrib(struct fsdetect *fs, const struct fs_stat *st,
			  int64_t now_us);

/* A full listing of the bundle: compared with what was known. */
void fsdetect_feed_rescan(struct fsdetect *fs, const struct fs_stat *list,
			  size_t n, int64_t now_us);

/* Is a rescan awaited (after an overflow)? */
int fsdetect_needs_rescan(const struct fsdetect *fs);

#endif
