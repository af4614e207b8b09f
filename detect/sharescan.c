#include "detect/sharescan.h"

#include "lib/err.h"
#include "lib/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUB "virtiofs"

/* One scan in progress. */
struct walk {
	struct sharescan *ss;
	int64_t now_us;
	json_t *seen;	 /* this scan's entries */
	json_t *escapes; /* this scan's escaping links */
	int64_t new_entries;
};

static int
dotfile(const char *name, void *ctx)
{
	return name[0] == '.';
}

int
sharescan_init(struct sharescan *ss, const struct det_config *cfg,
	       const struct det_sink *sink, const char *root,
	       sharescan_hidden_fn is_hidden, void *hidden_ctx)
{
	char abs[PATH_MAX];

	memset(ss, 0, sizeof(*ss));
	ss->cfg = cfg;
	ss->sink = *sink;
	ss->is_hidden = is_hidden ? is_hidden : dotfile;
	ss->hidden_ctx = hidden_ctx;
	ratelimit_init(&ss->rl, cfg->ratelimit_interval_us);
	ss->seen = json_object();
	ss->escapes = json_object();
	if (!ss->seen || !ss->escapes)
		return err_set("out of memory");
	if (!realpath(root, abs))
		return err_errno("cannot resolve share root '%s'", root);
	return path_fmt(ss->root, sizeof(ss->root), "%s", abs);
}

void
sharescan_release(struct sharescan *ss)
{
	json_decref(ss->seen);
	json_decref(ss->escapes);
	ss->seen = ss->escapes = NULL;
}

/* Apply the components of path to a depth; -1 once it goes above 0. */
static int
walk_components(const char *path, int depth)
{
	const char *p = path, *end;
	size_t len;

	while (*p) {
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 2 && !strncmp(p, "..", 2)) {
			if (--depth < 0)
				return -1;
		} else if (len && !(len == 1 && *p == '.')) {
			depth++;
		}
		p += len + (end ? 1 : 0);
	}
	return depth;
}

int
sharescan_escapes(const char *rootabs, const char *dir, const char *target)
{
	size_t n = strlen(rootabs);
	int depth;

	if (target[0] == '/') {
		while (n > 1 && rootabs[n - 1] == '/')
			n--;
		if (n == 1) /* the root is "/" itself */
			return walk_components(target, 0) < 0;
		while (target[0] == '/' && target[1] == '/')
			target++;
		if (strncmp(target, rootabs, n) ||
		    (target[n] != '/' && target[n] != '\0'))
			return 1;
		return walk_components(target + n, 0) < 0;
	}
	depth = walk_components(dir, 0);
	return depth < 0 || walk_components(target, depth) < 0;
}

static void
check_link(struct walk *w, int dirfd, const char *name, const char *dir,
	   const char *rel)
{
	char target[PATH_MAX];
	const char *old;
	ssize_t n;

	n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	if (!sharescan_escapes(w->ss->root, dir, target))
		return;

	json_object_set_new_nocheck(w->escapes, rel,
				    json_stringn_nocheck(target, (size_t)n));
	old = json_string_value(json_object_get(w->ss->escapes, rel));
	if (old && !strcmp(old, target))
		return;
	ratelimit_emit(&w->ss->rl, &w->ss->sink, w->now_us, rel, EV_CRITICAL,
		       SUB, "symlink.escape-attempt",
		       json_pack("{s:o,s:o,s:s}", "path", det_str(rel),
				 "target", det_str(target), "share",
				 w->ss->root));
}

static void
check_entry(struct walk *w, const char *rel, const struct stat *sb, int hidden)
{
	int64_t mtime =
		(int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
	json_t *old = json_object_get(w->ss->seen, rel);
	const char *what = NULL;

	json_object_set_new_nocheck(w->seen, rel, json_integer(mtime));
	if (!w->ss->scanned)
		return;
	if (!old)
		w->new_entries++;
	if (!hidden)
		return;

	if (!old)
		what = "created";
	else if (json_integer_value(old) != mtime)
		what = "modified";
	if (what)
		ratelimit_emit(&w->ss->rl, &w->ss->sink, w->now_us, rel,
			       EV_WARNING, SUB, "access.unauthorized",
			       json_pack("{s:o,s:s,s:s}", "path", det_str(rel),
					 "what", what, "share", w->ss->root));
}

static void walk_dir(struct walk *w, int dirfd, const char *dir, int depth,
		     int hidden);

static void
visit(struct walk *w, int dirfd, const char *dir, const char *name, int depth,
      int hidden)
{
	char rel[PATH_BUF];
	struct stat sb;
	int fd;

	if (w->ss->entries >= (size_t)w->ss->cfg->share_max_entries) {
		w->ss->truncated = 1;
		return;
	}
	if (snprintf(rel, sizeof(rel), "%s%s%s", dir, *dir ? "/" : "", name) >=
	    (int)sizeof(rel))
		return;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	w->ss->entries++;
	hidden = hidden || w->ss->is_hidden(name, w->ss->hidden_ctx);
	check_entry(w, rel, &sb, hidden);

	if (S_ISLNK(sb.st_mode)) {
		check_link(w, dirfd, name, dir, rel);
	} else if (S_ISDIR(sb.st_mode)) {
		if (depth + 1 >= w->ss->cfg->share_max_depth) {
			w->ss->truncated = 1;
			return;
		}
		fd = file_open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY, 0);
		if (fd < 0)
			return;
		walk_dir(w, fd, rel, depth + 1, hidden);
		close(fd);
	}
}

static void
walk_dir(struct walk *w, int dirfd, const char *dir, int depth, int hidden)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		visit(w, dirfd, dir, de->d_name, depth, hidden);
	}
	closedir(d);
}

static void
check_mass_create(struct walk *w)
{
	double secs = (double)(w->now_us - w->ss->last_us) / 1e6;
	double rate;

	if (!w->ss->scanned || !w->new_entries)
		return;
	if (secs < 1.0)
		secs = 1.0;
	rate = (double)w->new_entries / secs;
	if (rate <= (double)w->ss->cfg->mass_create_per_sec)
		return;
	ratelimit_emit(&w->ss->rl, &w->ss->sink, w->now_us, NULL, EV_WARNING,
		       SUB, "mass-create",
		       json_pack("{s:I,s:f,s:f,s:I,s:s}", "new_entries",
				 (json_int_t)w->new_entries, "seconds", secs,
				 "per_second", rate, "threshold",
				 (json_int_t)w->ss->cfg->mass_create_per_sec,
				 "share", w->ss->root));
}

int
sharescan_scan(struct sharescan *ss, int64_t now_us)
{
	struct walk w = {ss, now_us, json_object(), json_object(), 0};
	int rootfd;

	rootfd = open(ss->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || !w.seen || !w.escapes) {
		if (rootfd >= 0)
			close(rootfd);
		json_decref(w.seen);
		json_decref(w.escapes);
		return err_errno("cannot open share root '%s'", ss->root);
	}

	ss->entries = 0;
	ss->truncated = 0;
	walk_dir(&w, rootfd, "", 0, 0);
	close(rootfd);
	check_mass_create(&w);

	json_decref(ss->seen);
	json_decref(ss->escapes);
	ss->seen = w.seen;
	ss->escapes = w.escapes;
	ss->last_us = now_us;
	ss->scanned = 1;
	return 0;
}
