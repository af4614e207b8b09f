/*
 * baseline_int: what the check modules of baseline share.  Not for
 * use outside playbooks/baseline*.c.
 */
#ifndef SECVF_BASELINE_INT_H
#define SECVF_BASELINE_INT_H

#include "baseline.h"

#include <stddef.h>

#define BL_TEXT_MAX 2048     /* an observed or why text */
#define BL_FILE_MAX (8u << 20) /* the largest file a check reads */
#define BL_WALK_MAX 400000   /* entries one directory walk visits */
#define BL_DEPTH_MAX 24      /* directory depth of one walk */
#define BL_LIST_MAX 20       /* items named in one observed text */

/* One run of checks or one capture over a root. */
struct bl_ctx {
	const char *root;
	int rootfd;
	int live;         /* root is the running system's "/" */
	json_t *results;  /* array of result objects */
	json_t *owned;    /* paths dpkg packages own, as an object's keys */
	int owned_state;  /* 0 not loaded, 1 loaded, -1 unavailable */
	char owned_why[256];
};

/* Bounded text that notes its own truncation with "...". */
struct bl_text {
	char buf[BL_TEXT_MAX];
	size_t len;
	int count; /* items added with bl_text_item() */
};

void bl_text_add(struct bl_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Add one item of a list: the first BL_LIST_MAX are named, separated by
 * ", "; the rest are counted, and bl_text_end() says how many more.
 */
void bl_text_item(struct bl_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bl_text_end(struct bl_text *t);

/* Append one result to c->results. */
void bl_result(struct bl_ctx *c, const char *id, const char *title,
	       enum baseline_verdict v, const char *observed, const char *why);

/* An "unknown" result whose why is err_msg(). */
void bl_unknown(struct bl_ctx *c, const char *id, const char *title);

/*
 * Open path (absolute, as seen from inside the root) beneath the root:
 * symlinks resolve as if the root were "/", and nothing leads out of
 * it.  Returns an fd or -1 with err_msg() naming path.
 */
int bl_open(struct bl_ctx *c, const char *path, int flags);

/* Does path exist beneath the root (without following a last link)? */
int bl_exists(struct bl_ctx *c, const char *path);

/*
 * Read a whole file beneath the root (kernel files too, whose size is
 * unknown until read), at most max bytes.  *buf is NUL-terminated and
 * the caller frees it; NULL with err_msg() set on failure.
 */
int bl_read(struct bl_ctx *c, const char *path, size_t max, char **buf,
	    size_t *len);

/* Read the target of a symlink beneath the root; -1 with err_msg(). */
int bl_readlink(struct bl_ctx *c, const char *path, char *buf, size_t n);

/*
 * The names in a directory beneath the root, sorted, without "." and
 * "..", as a new JSON array of strings.  NULL with err_msg() set.
 */
json_t *bl_list_dir(struct bl_ctx *c, const char *path);

/*
 * Is path owned by a dpkg package?  1 yes, 0 no, -1 when the root has
 * no readable dpkg database (c->owned_why says why).  /bin, /sbin and
 * /lib are treated as aliases of their /usr counterparts.
 */
int bl_owned(struct bl_ctx *c, const char *path);

/*
 * Compare a current set with the same set of a capture: items new since
 * the capture fail; with all_changes, removed items fail as well.
 * against NULL gives "skipped".  Steals current.
 */
void bl_compare(struct bl_ctx *c, const char *id, const char *title,
		const char *set, json_t *current, json_t *against,
		int all_changes);

/*
 * Walk the tree at top beneath the root without following symlinks,
 * calling fn for every entry below it (directories before their
 * contents) with its path as seen from inside the root and its lstat.
 * Stops after BL_WALK_MAX entries or BL_DEPTH_MAX levels and sets
 * *truncated.  fn returns 0 to go on, -1 to stop the walk.  Returns 0,
 * or -1 with err_msg() set when top cannot be opened.
 */
struct stat;
typedef int (*bl_walk_fn)(struct bl_ctx *c, const char *path,
			  const struct stat *st, void *arg);
int bl_walk(struct bl_ctx *c, const char *top, bl_walk_fn fn, void *arg,
	    int *truncated);

/* Sort a JSON array of strings in place and drop duplicates. */
void bl_sort_strings(json_t *array);

/* The checks and the sets of each family (baseline_linux.c, _macos.c). */
void bl_linux_checks(struct bl_ctx *c, json_t *against);
json_t *bl_linux_sets(struct bl_ctx *c);
void bl_macos_checks(struct bl_ctx *c, json_t *against);
json_t *bl_macos_sets(struct bl_ctx *c);

#endif
