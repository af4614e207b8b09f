#include "baseline_int.h"

#include "lib/err.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *
baseline_verdict_name(enum baseline_verdict v)
{
	switch (v) {
	case BASELINE_PASS: return "pass";
	case BASELINE_FAIL: return "fail";
	case BASELINE_UNKNOWN: return "unknown";
	case BASELINE_SKIPPED: return "skipped";
	}
	return "unknown";
}

const char *
baseline_family_name(enum baseline_family f)
{
	switch (f) {
	case BASELINE_LINUX: return "linux";
	case BASELINE_MACOS: return "macos";
	case BASELINE_AUTO: return "auto";
	}
	return "auto";
}

int
baseline_family_parse(const char *name, enum baseline_family *out)
{
	if (!strcmp(name, "linux"))
		*out = BASELINE_LINUX;
	else if (!strcmp(name, "macos"))
		*out = BASELINE_MACOS;
	else
		return err_set("unknown family '%s' (linux or macos)", name);
	return 0;
}

void
bl_text_add(struct bl_text *t, const char *fmt, ...)
{
	size_t room = sizeof(t->buf) - t->len;
	va_list ap;
	int n;

	if (room <= 4)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		t->len = sizeof(t->buf) - 4;
		memcpy(t->buf + t->len, "...", 4);
		t->len = sizeof(t->buf) - 1;
		return;
	}
	t->len += (size_t)n;
}

void
bl_text_item(struct bl_text *t, const char *fmt, ...)
{
	char item[512];
	va_list ap;
	int n;

	t->count++;
	if (t->count > BL_LIST_MAX)
		return;
	va_start(ap, fmt);
	n = vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	bl_text_add(t, "%s%s", t->count > 1 ? ", " : "", item);
}

void
bl_text_end(struct bl_text *t)
{
	if (t->count > BL_LIST_MAX)
		bl_text_add(t, " and %d more", t->count - BL_LIST_MAX);
}

void
bl_result(struct bl_ctx *c, const char *id, const char *title,
	  enum baseline_verdict v, const char *observed, const char *why)
{
	json_array_append_new(
		c->results,
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "title",
			  title, "verdict", baseline_verdict_name(v),
			  "observed", observed ? observed : "", "why",
			  why ? why : ""));
}

void
bl_unknown(struct bl_ctx *c, const char *id, const char *title)
{
	bl_result(c, id, title, BASELINE_UNKNOWN, "", err_msg());
}

int
bl_open(struct bl_ctx *c, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = path;
	long fd;

	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	fd = syscall(SYS_openat2, c->rootfd, rel, &how, sizeof(how));
	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	return (int)fd;
}

int
bl_exists(struct bl_ctx *c, const char *path)
{
	int fd = bl_open(c, path, O_PATH | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int
read_fd_all(int fd, const char *path, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, got = 0;
	char *data = malloc(cap), *bigger;
	ssize_t n;

	while (data) {
		if (cap - got < 2) {
			if (cap > max)
				break;
			bigger = realloc(data, cap * 2);
			if (!bigger)
				break;
			data = bigger;
			cap *= 2;
		}
		n = read(fd, data + got, cap - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(data);
			return err_errno("cannot read '%s'", path);
		}
		if (n == 0) {
			data[got] = '\0';
			*buf = data;
			*len = got;
			return 0;
		}
		got += (size_t)n;
	}
	free(data);
	return err_set("'%s' is larger than %zu bytes or memory ran out",
		       path, max);
}

int
bl_read(struct bl_ctx *c, const char *path, size_t max, char **buf,
	size_t *len)
{
	struct stat st;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	fd = bl_open(c, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set("'%s' is not a regular file", path);
	}
	rc = read_fd_all(fd, path, max, buf, len);
	close(fd);
	return rc;
}

int
bl_readlink(struct bl_ctx *c, const char *path, char *buf, size_t n)
{
	char dir[PATH_BUF];
	const char *slash = strrchr(path, '/');
	ssize_t got;
	int fd;

	if (!slash || path_fmt(dir, sizeof(dir), "%.*s",
			       (int)(slash - path), path) < 0)
		return err_set("bad link path '%s'", path);
	fd = bl_open(c, dir[0] ? dir : "/", O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -1;
	got = readlinkat(fd, slash + 1, buf, n - 1);
	close(fd);
	if (got < 0)
		return err_errno("cannot read link '%s'", path);
	buf[got] = '\0';
	return 0;
}

static int
cmp_json_strings(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

void
bl_sort_strings(json_t *array)
{
	size_t n = json_array_size(array), i, out = 0;
	json_t **items;

	if (n < 2)
		return;
	items = calloc(n, sizeof(*items));
	if (!items)
		return;
	for (i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(array, i));
	qsort(items, n, sizeof(*items), cmp_json_strings);
	json_array_clear(array);
	for (i = 0; i < n; i++) {
		if (out && json_equal(items[i], json_array_get(array, out - 1)))
			json_decref(items[i]);
		else if (json_array_append_new(array, items[i]) == 0)
			out++;
	}
	free(items);
}

json_t *
bl_list_dir(struct bl_ctx *c, const char *path)
{
	struct dirent *de;
	json_t *names;
	DIR *d;
	int fd;

	fd = bl_open(c, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		err_errno("cannot read directory '%s'", path);
		close(fd);
		return NULL;
	}

	names = json_array();
	while (names && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		json_array_append_new(names, json_string(de->d_name));
	}
	closedir(d);
	if (!names)
		err_set("out of memory listing '%s'", path);
	bl_sort_strings(names);
	return names;
}

struct walk {
	struct bl_ctx *c;
	bl_walk_fn fn;
	void *arg;
	long seen;
	int truncated;
	int stopped;
};

static void
walk_dir(struct walk *w, int dirfd, const char *path, int depth)
{
	char child[PATH_BUF];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	while (!w->stopped && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++w->seen > BL_WALK_MAX) {
			w->truncated = 1;
			w->stopped = 1;
			break;
		}
		if (path_fmt(child, sizeof(child), "%s/%s",
			     strcmp(path, "/") ? path : "", de->d_name) < 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (w->fn(w->c, child, &st, w->arg) < 0) {
			w->stopped = 1;
			break;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (depth >= BL_DEPTH_MAX) {
			w->truncated = 1;
			continue;
		}
		fd = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			walk_dir(w, fd, child, depth + 1);
	}
	closedir(d);
}

int
bl_walk(struct bl_ctx *c, const char *top, bl_walk_fn fn, void *arg,
	int *truncated)
{
	struct walk w = {c, fn, arg, 0, 0, 0};
	int fd;

	fd = bl_open(c, top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	walk_dir(&w, fd, top, 1);
	if (truncated)
		*truncated = w.truncated;
	return 0;
}

static int
load_list(struct bl_ctx *c, const char *name)
{
	char path[PATH_BUF];
	char *buf, *line, *save = NULL;
	size_t len;

	if (path_fmt(path, sizeof(path), "/var/lib/dpkg/info/%s", name) < 0 ||
	    bl_read(c, path, BL_FILE_MAX, &buf, &len) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] == '/')
			json_object_set_new(c->owned, line, json_true());
	free(buf);
	return 0;
}

static void
load_owned(struct bl_ctx *c)
{
	json_t *names, *v;
	size_t i, n;
	int lists = 0;

	names = bl_list_dir(c, "/var/lib/dpkg/info");
	if (!names) {
		snprintf(c->owned_why, sizeof(c->owned_why),
			 "no dpkg database, so package ownership is "
			 "unknown: %s",
			 err_msg());
		c->owned_state = -1;
		return;
	}
	c->owned = json_object();
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);

		n = strlen(name);
		if (n > 5 && !strcmp(name + n - 5, ".list") &&
		    load_list(c, name) == 0)
			lists++;
	}
	json_decref(names);
	c->owned_state = lists ? 1 : -1;
	if (!lists)
		snprintf(c->owned_why, sizeof(c->owned_why),
			 "the dpkg database lists no package files, so "
			 "package ownership is unknown");
}

/* The /usr-merged twin of path ("/bin/su" <-> "/usr/bin/su"), or "". */
static void
usr_twin(const char *path, char *out, size_t n)
{
	static const char *const dirs[] = {"/bin/",  "/sbin/",  "/lib/",
					   "/lib32/", "/lib64/", "/libx32/"};
	size_t i;

	out[0] = '\0';
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t l = strlen(dirs[i]);

		if (!strncmp(path, "/usr", 4) && !strncmp(path + 4, dirs[i], l))
			snprintf(out, n, "%s", path + 4);
		else if (!strncmp(path, dirs[i], l))
			snprintf(out, n, "/usr%s", path);
		if (out[0])
			return;
	}
}

int
bl_owned(struct bl_ctx *c, const char *path)
{
	char twin[PATH_BUF];

	if (c->owned_state == 0)
		load_owned(c);
	if (c->owned_state < 0)
		return -1;
	if (json_object_get(c->owned, path))
		return 1;
	usr_twin(path, twin, sizeof(twin));
	return twin[0] && json_object_get(c->owned, twin) ? 1 : 0;
}

static json_t *
set_difference(json_t *a, json_t *b)
{
	json_t *out = json_array(), *v, *w;
	size_t i, j;
	int found;

	json_array_foreach(a, i, v) {
		found = 0;
		json_array_foreach(b, j, w) {
			if (json_equal(v, w)) {
				found = 1;
				break;
			}
		}
		if (!found)
			json_array_append(out, v);
	}
	return out;
}

static void
text_list(struct bl_text *t, const char *label, json_t *items)
{
	json_t *v;
	size_t i;

	if (!json_array_size(items))
		return;
	t->count = 0;
	bl_text_add(t, "%s%zu %s: ", t->len ? "; " : "",
		    json_array_size(items), label);
	json_array_foreach(items, i, v)
		bl_text_item(t, "%s", json_string_value(v));
	bl_text_end(t);
}

void
bl_compare(struct bl_ctx *c, const char *id, const char *title,
	   const char *set, json_t *current, json_t *against, int all_changes)
{
	json_t *old, *added = NULL, *removed = NULL;
	struct bl_text t = {0};
	enum baseline_verdict v;

	if (!current) {
		bl_unknown(c, id, title);
		return;
	}
	if (!against) {
		bl_result(c, id, title, BASELINE_SKIPPED, "",
			  "no captured baseline to compare with: run "
			  "'secvf baseline capture' on the known-good host");
		goto out;
	}
	old = json_object_get(json_object_get(against, "sets"), set);
	if (!json_is_array(old)) {
		bl_result(c, id, title, BASELINE_SKIPPED, "",
			  "the captured baseline has no such set (taken on "
			  "another family or an older version)");
		goto out;
	}

	added = set_difference(current, old);
	removed = set_difference(old, current);
	text_list(&t, "new", added);
	text_list(&t, "gone", removed);
	if (!t.len)
		bl_text_add(&t, "unchanged (%zu)", json_array_size(current));
	v = json_array_size(added) ||
			    (all_changes && json_array_size(removed))
		    ? BASELINE_FAIL
		    : BASELINE_PASS;
	bl_result(c, id, title, v, t.buf,
		  v == BASELINE_FAIL
			  ? "changed since the capture on the known-good host"
			  : "as captured on the known-good host");
out:
	json_decref(added);
	json_decref(removed);
	json_decref(current);
}

enum baseline_family
baseline_family_detect(const char *root)
{
	char path[PATH_BUF];
	struct stat st;

	if (path_fmt(path, sizeof(path),
		     "%s/System/Library/CoreServices/SystemVersion.plist",
		     root) == 0 &&
	    lstat(path, &st) == 0)
		return BASELINE_MACOS;
	return BASELINE_LINUX;
}

static int
ctx_open(struct bl_ctx *c, const char *root)
{
	char real[PATH_BUF];

	memset(c, 0, sizeof(*c));
	c->root = root;
	c->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return err_errno("cannot open root '%s'", root);
	c->live = realpath(root, real) && !strcmp(real, "/");
	c->results = json_array();
	return 0;
}

static void
ctx_close(struct bl_ctx *c)
{
	if (c->rootfd >= 0)
		close(c->rootfd);
	json_decref(c->owned);
	json_decref(c->results);
}

json_t *
baseline_check(const char *root, enum baseline_family family,
	       json_t *against)
{
	struct bl_ctx c;
	json_t *out;

	if (ctx_open(&c, root) < 0)
		return NULL;
	if (family == BASELINE_AUTO)
		family = baseline_family_detect(root);

	if (family == BASELINE_MACOS)
		bl_macos_checks(&c, against);
	else
		bl_linux_checks(&c, against);

	out = json_incref(c.results);
	ctx_close(&c);
	return out;
}

json_t *
baseline_capture(const char *root, enum baseline_family family)
{
	char now[TIME_ISO_LEN];
	struct bl_ctx c;
	json_t *sets, *out;

	if (ctx_open(&c, root) < 0)
		return NULL;
	if (family == BASELINE_AUTO)
		family = baseline_family_detect(root);

	sets = family == BASELINE_MACOS ? bl_macos_sets(&c)
					: bl_linux_sets(&c);
	ctx_close(&c);
	if (!sets)
		return NULL;

	time_iso(time_now_us(), now);
	out = json_pack("{s:s, s:i, s:s, s:s, s:s, s:o}", "format",
			"secvf-baseline", "version", 1, "family",
			baseline_family_name(family), "root", root, "time",
			now, "sets", sets);
	if (!out)
		err_set("out of memory building the baseline capture");
	return out;
}

int
baseline_capture_valid(json_t *capture)
{
	const char *key;
	json_t *sets, *set, *v;
	size_t i;

	if (!json_is_object(capture) ||
	    !json_is_string(json_object_get(capture, "format")) ||
	    strcmp(json_string_value(json_object_get(capture, "format")),
		   "secvf-baseline"))
		return err_set("not a secvf baseline capture");
	sets = json_object_get(capture, "sets");
	if (!json_is_object(sets))
		return err_set("baseline capture has no \"sets\" object");
	json_object_foreach(sets, key, set) {
		if (!json_is_array(set))
			return err_set("baseline set '%s' is not an array",
				       key);
		json_array_foreach(set, i, v)
			if (!json_is_string(v))
				return err_set("baseline set '%s' holds a "
					       "non-string",
					       key);
	}
	return 0;
}

int
baseline_count(json_t *results, enum baseline_verdict v)
{
	const char *name = baseline_verdict_name(v);
	json_t *r;
	size_t i;
	int n = 0;

	json_array_foreach(results, i, r) {
		const char *got =
			json_string_value(json_object_get(r, "verdict"));

		if (got && !strcmp(got, name))
			n++;
	}
	return n;
}
