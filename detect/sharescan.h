/*
 * sharescan: the shares a VM sees (layer 4, virtiofs and 9p).
 *
 * The guest writes in a share; host tools later walk it.  sharescan
 * walks a share root with openat2 beneath the root, never following a
 * symlink, to a bounded depth and number of entries, and compares each
 * scan with the one before.  The caller scans on inotify activity in
 * the share and periodically.  It emits:
 *
 *   virtiofs.symlink.escape-attempt  CRITICAL  a symlink whose target,
 *                                    resolved lexically from its
 *                                    directory (absolute targets
 *                                    included), leaves the root; once
 *                                    per link and target
 *   virtiofs.access.unauthorized     WARNING   an entry the share hides
 *                                    (dotfiles by default, or in a
 *                                    hidden directory) created or
 *                                    modified since the last scan
 *   virtiofs.mass-create             WARNING   more new entries per
 *                                    second than mass_create_per_sec
 *
 * The first scan is the baseline: it reports escaping links only.
 */
#ifndef SECVF_SHARESCAN_H
#define SECVF_SHARESCAN_H

#include "detect/config.h"
#include "detect/detector.h"
#include "detect/ratelimit.h"
#include "lib/path.h"

#include <jansson.h>
#include <stdint.h>

/* Does the share hide this name (one path component)? */
typedef int (*sharescan_hidden_fn)(const char *name, void *ctx);

struct sharescan {
	const struct det_config *cfg;
	struct det_sink sink;
	struct ratelimit rl;
	char root[PATH_BUF]; /* absolute, as realpath() gave */
	sharescan_hidden_fn is_hidden;
	void *hidden_ctx;
	json_t *seen;	 /* relative path -> mtime in ns */
	json_t *escapes; /* relative path -> target */
	int64_t last_us;
	int scanned;
	int truncated;	/* the last scan hit a bound */
	size_t entries; /* entries the last scan visited */
};

/*
 * Prepare scans of root.  is_hidden NULL hides dotfiles.  cfg and the
 * contexts are borrowed.  -1 with err_msg() when root cannot be
 * resolved or memory is short; release with sharescan_release() in
 * every case.
 */
int sharescan_init(struct sharescan *ss, const struct det_config *cfg,
		   const struct det_sink *sink, const char *root,
		   sharescan_hidden_fn is_hidden, void *hidden_ctx);

void sharescan_release(struct sharescan *ss);

/*
 * Walk the share once at now_us and emit what changed.  -1 with
 * err_msg() when the root cannot be opened (nothing is emitted then).
 * A subdirectory that vanishes or cannot be opened mid-scan is
 * skipped.
 */
int sharescan_scan(struct sharescan *ss, int64_t now_us);

/*
 * Does target, a symlink's content found in directory dir (relative
 * to the root, "" for the root itself), leave the root rootabs?
 * Lexical: ".." above the root anywhere counts as leaving.
 */
int sharescan_escapes(const char *rootabs, const char *dir, const char *target);

#endif
