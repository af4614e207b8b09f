/*
 * config: the thresholds of every detector, in one place.
 *
 * det_config_defaults() gives the values below; det_config_load()
 * overrides them from $SECVF_HOME/detect.conf, a text file of
 * "key = value" lines where '#' starts a comment and blank lines are
 * ignored.  Durations take a unit (ms, s, m, h; a bare number is
 * seconds), sizes a suffix (K, M, G; a bare number is bytes).  An
 * unknown key or a bad value is an error naming the file and line.
 *
 * Keys, with their defaults:
 *
 *   boot_window = 120s        NVRAM may change this long after start
 *   command_grace = 30s       a stop, pause or quit asked through secvf
 *                             explains lifecycle events this long
 *   panic_window = 10m        the same panic signature again within
 *                             this is CRITICAL instead of WARNING
 *   fd_max = 4096             open files of the QEMU process
 *   rss_overhead_max = 1G     QEMU's resident memory beyond guest RAM
 *   threads_max = 512         threads of the QEMU process
 *   child_allow = tshark, secvf, virtiofsd
 *                             process names allowed as children, a
 *                             comma-separated list (at most
 *                             DET_ALLOW_MAX names); tshark and secvf
 *                             are always allowed
 *   disk_growth_factor = 10   a disk image growing faster than this
 *                             times its running average rate ...
 *   disk_growth_min = 64M     ... by at least this much between two
 *                             samples is a size spike
 *   mass_create_per_sec = 200 new entries per second in a share
 *   share_max_depth = 32      directory depth a share scan descends
 *   share_max_entries = 100000  entries a share scan visits
 *   correlation_window = 60s  CRITICAL events of two layers within
 *                             this suggest a breach
 *   ratelimit_interval = 10s  one event per cause per interval
 *   chan_max_message = 64K    largest host channel payload (16 to 16M)
 *   hook_timeout = 10s        the emergency hook is killed after this
 */
#ifndef SECVF_DETECT_CONFIG_H
#define SECVF_DETECT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define DET_ALLOW_MAX 16
#define DET_NAME_MAX 64

struct det_config {
	int64_t boot_window_us;
	int64_t command_grace_us;
	int64_t panic_window_us;
	int64_t fd_max;
	int64_t rss_overhead_max; /* bytes */
	int64_t threads_max;
	char child_allow[DET_ALLOW_MAX][DET_NAME_MAX];
	size_t n_child_allow;
	int64_t disk_growth_factor;
	int64_t disk_growth_min; /* bytes */
	int64_t mass_create_per_sec;
	int64_t share_max_depth;
	int64_t share_max_entries;
	int64_t correlation_window_us;
	int64_t ratelimit_interval_us;
	int64_t chan_max_message; /* bytes */
	int64_t hook_timeout_us;
};

/* Fill cfg with the defaults listed above. */
void det_config_defaults(struct det_config *cfg);

/*
 * Apply the "key = value" lines of text to cfg; origin names the text
 * in messages ("detect.conf").  On error, -1 with err_msg() such as
 * "detect.conf:7: unknown key 'fd_mx'"; cfg may then be partly
 * changed.
 */
int det_config_parse(struct det_config *cfg, const char *text,
		     const char *origin);

/*
 * Defaults, then path (NULL: $SECVF_HOME/detect.conf) when it exists.
 * A missing file is not an error.  On error cfg holds the defaults and
 * -1 is returned with err_msg() set.
 */
int det_config_load(struct det_config *cfg, const char *path);

/* Is name (a process comm or exe basename) an allowed child? */
int det_config_child_allowed(const struct det_config *cfg, const char *name);

#endif
