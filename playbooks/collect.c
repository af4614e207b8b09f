#include "collect.h"

#include "forensics/manifest.h"
#include "forensics/seal.h"
#include "lib/err.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int truncated;
};

static int
buf_add(struct buf *b, const void *data, size_t len)
{
	size_t room;
	char *grown;

	if (b->len + len > COLLECT_OUTPUT_MAX) {
		b->truncated = 1;
		len = COLLECT_OUTPUT_MAX - b->len;
	}
	if (b->len + len + 1 > b->cap) {
		room = b->cap ? b->cap * 2 : 65536;
		while (room < b->len + len + 1)
			room *= 2;
		grown = realloc(b->data, room);
		if (!grown)
			return err_set("out of memory collecting output");
		b->data = grown;
		b->cap = room;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
collect_report_init(struct collect_report *r)
{
	r->collected = json_array();
	r->missing = json_array();
	r->skipped = json_array();
	r->bytes = 0;
	if (!r->collected || !r->missing || !r->skipped) {
		collect_report_release(r);
		return err_set("out of memory");
	}
	return 0;
}

void
collect_report_release(struct collect_report *r)
{
	json_decref(r->collected);
	json_decref(r->missing);
	json_decref(r->skipped);
	r->collected = r->missing = r->skipped = NULL;
}

static void
note_missing(struct collect_report *r, const struct artifact *a,
	     const char *member, const char *path, const char *reason)
{
	json_array_append_new(
		r->missing,
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "member", member,
			  "kind", artifact_kind_name(a->kind), "path", path,
			  "why", a->why, "reason", reason));
}

static void
note_collected(struct collect_report *r, const struct artifact *a,
	       const char *member, const struct seal_member *m)
{
	json_array_append_new(
		r->collected,
		json_pack("{s:s, s:s, s:I, s:s}", "member", member, "kind",
			  artifact_kind_name(a->kind), "size",
			  (json_int_t)m->size, "sha256", m->sha256));
	r->bytes += m->size;
}

/* A member name may appear once; the first artifact to claim it wins. */
static int
member_taken(struct seal *s, const char *member)
{
	const struct manifest *m = seal_members(s);
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, member))
			return 1;
	return 0;
}

static int
add_blob(struct seal *s, struct collect_report *r, const struct artifact *a,
	 const char *member, const struct buf *b)
{
	struct seal_member m;

	if (member_taken(s, member))
		return 0;
	if (seal_add_blob(s, member, b->data ? b->data : "", b->len, &m) < 0)
		return -1;
	note_collected(r, a, member, &m);
	return 0;
}

/* One regular file at path, opened beneath its own directory. */
static int
add_one_file(struct seal *s, struct collect_report *r,
	     const struct artifact *a, const char *member, const char *path)
{
	char dir[PATH_BUF], base[PATH_BUF];
	struct seal_member m;
	int dirfd, rc;

	if (member_taken(s, member))
		return 0;
	if (path_fmt(dir, sizeof(dir), "%s", path) < 0 ||
	    path_fmt(base, sizeof(base), "%s", path) < 0) {
		note_missing(r, a, member, path, "path too long");
		return 0;
	}
	dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		note_missing(r, a, member, path, strerror(errno));
		return 0;
	}
	rc = seal_add_file(s, member, dirfd, basename(base), &m);
	close(dirfd);

	if (rc == 0)
		note_collected(r, a, member, &m);
	else if (rc == 1)
		json_array_append_new(r->skipped,
				      json_pack("{s:s, s:s}", "member", member,
						"reason", m.reason));
	else if (errno == ENOENT || errno == EACCES || errno == ELOOP)
		note_missing(r, a, member, path, strerror(errno));
	else
		return -1;
	return 0;
}

static int
collect_file(struct seal *s, struct collect_report *r,
	     const struct artifact *a, const char *member, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		note_missing(r, a, member, path, strerror(errno));
		return 0;
	}
	return add_one_file(s, r, a, member, path);
}

static int
collect_glob(struct seal *s, struct collect_report *r,
	     const struct artifact *a, const char *member, const char *pattern)
{
	char name[PATH_BUF], copy[PATH_BUF];
	glob_t g;
	size_t i;
	int rc = 0;

	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0) {
		note_missing(r, a, member, pattern, "no match");
		return 0;
	}
	for (i = 0; i < g.gl_pathc && rc == 0; i++) {
		snprintf(copy, sizeof(copy), "%s", g.gl_pathv[i]);
		if (path_fmt(name, sizeof(name), "%s/%s", member,
			     basename(copy)) < 0)
			continue;
		rc = add_one_file(s, r, a, name, g.gl_pathv[i]);
	}
	globfree(&g);
	return rc;
}

static int
collect_dir(struct seal *s, struct collect_report *r,
	    const struct artifact *a, const char *member, const char *path)
{
	struct seal_skips skips = {0};
	size_t before = seal_members(s)->n, i;
	uint64_t bytes_before = seal_member_bytes(s);
	const struct manifest *m;
	struct stat st;
	int rc;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		note_missing(r, a, member, path,
			     errno == ENOENT ? strerror(errno)
					     : "not a directory");
		return 0;
	}
	rc = seal_add_tree(s, member, path, &skips);
	for (i = 0; i < skips.n; i++)
		json_array_append_new(r->skipped,
				      json_pack("{s:s, s:s}", "member",
						skips.v[i].name, "reason",
						skips.v[i].reason));
	seal_skips_release(&skips);

	m = seal_members(s);
	for (i = before; i < m->n; i++)
		json_array_append_new(
			r->collected,
			json_pack("{s:s, s:s, s:s}", "member", m->v[i].name,
				  "kind", "dir", "sha256", m->v[i].sha256));
	r->bytes += seal_member_bytes(s) - bytes_before;
	return rc;
}

/* Kernel files report size 0: read them whole, then add the bytes. */
static int
collect_proc(struct seal *s, struct collect_report *r,
	     const struct artifact *a, const char *member, const char *path)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		note_missing(r, a, member, path, strerror(errno));
		return 0;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && !b.truncated)
		if (buf_add(&b, chunk, (size_t)n) < 0)
			break;
	close(fd);
	if (n < 0) {
		note_missing(r, a, member, path, strerror(errno));
		free(b.data);
		return 0;
	}
	rc = add_blob(s, r, a, member, &b);
	free(b.data);
	return rc;
}

static int
collect_fds(struct seal *s, struct collect_report *r,
	    const struct artifact *a, const char *member, const char *pid)
{
	char dir[64], link[PATH_BUF + 64], target[PATH_BUF], line[PATH_BUF * 2];
	struct buf b = {0};
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int rc;

	if (path_fmt(dir, sizeof(dir), "/proc/%s/fd", pid) < 0) {
		note_missing(r, a, member, pid, "bad pid");
		return 0;
	}
	d = opendir(dir);
	if (!d) {
		note_missing(r, a, member, dir, strerror(errno));
		return 0;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		n = snprintf(line, sizeof(line), "%s -> %s\n", e->d_name,
			     target);
		buf_add(&b, line, (size_t)n < sizeof(line) ? (size_t)n
							   : sizeof(line) - 1);
	}
	closedir(d);
	rc = add_blob(s, r, a, member, &b);
	free(b.data);
	return rc;
}

static void
add_cmdline(struct buf *b, const char *pid)
{
	char path[64], text[4096], line[4200];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? 0 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	n = n < 0 ? 0 : n;
	for (i = 0; i < n; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	text[n] = '\0';
	n = snprintf(line, sizeof(line), "%s %s\n", pid, text);
	buf_add(b, line, (size_t)n < sizeof(line) ? (size_t)n
						  : sizeof(line) - 1);
}

static int
collect_children(struct seal *s, struct collect_report *r,
		 const struct artifact *a, const char *member,
		 const char *pid)
{
	char dir[64], path[PATH_BUF], text[4096], *tok, *save;
	struct buf b = {0};
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int fd, rc;

	if (path_fmt(dir, sizeof(dir), "/proc/%s/task", pid) < 0) {
		note_missing(r, a, member, pid, "bad pid");
		return 0;
	}
	d = opendir(dir);
	if (!d) {
		note_missing(r, a, member, dir, strerror(errno));
		return 0;
	}
	buf_add(&b, "", 0);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? 0 : read(fd, text, sizeof(text) - 1);
		if (fd >= 0)
			close(fd);
		text[n < 0 ? 0 : n] = '\0';
		for (tok = strtok_r(text, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save))
			add_cmdline(&b, tok);
	}
	closedir(d);
	rc = add_blob(s, r, a, member, &b);
	free(b.data);
	return rc;
}

/* Run argv without a shell; its stdout into out; its status returned. */
static int
run_command(const struct artifact *a, char *const argv[], struct buf *out,
	    int *status, int *timed_out)
{
	int64_t deadline = time_mono_ns() + (int64_t)a->timeout_s * 1000000000;
	struct pollfd p;
	char chunk[65536];
	int fds[2], left;
	ssize_t n;
	pid_t pid;

	*timed_out = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_errno("cannot create a pipe");
	pid = fork();
	if (pid < 0)
		return err_errno("cannot fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);

	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	for (;;) {
		left = (int)((deadline - time_mono_ns()) / 1000000);
		if (left <= 0) {
			*timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (!out->truncated)
			buf_add(out, chunk, (size_t)n);
	}
	close(fds[0]);
	waitpid(pid, status, 0);
	return 0;
}

static int
collect_command(struct seal *s, struct collect_report *r,
		const struct artifact *a, const char *member,
		const struct artifact_vars *v)
{
	char args[ARTIFACT_ARGV_MAX][ARTIFACT_TEXT_MAX];
	char *argv[ARTIFACT_ARGV_MAX + 1];
	struct buf b = {0};
	int i, status = 0, timed_out, code, rc;

	for (i = 0; i < a->argc; i++) {
		if (artifact_expand(a->argv[i], v, args[i], sizeof(args[i])) <
		    0) {
			note_missing(r, a, member, a->argv[0], err_msg());
			return 0;
		}
		argv[i] = args[i];
	}
	argv[a->argc] = NULL;

	if (run_command(a, argv, &b, &status, &timed_out) < 0) {
		note_missing(r, a, member, argv[0], err_msg());
		return 0;
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 127 && b.len == 0) {
		note_missing(r, a, member, argv[0], "not installed");
		free(b.data);
		return 0;
	}
	rc = add_blob(s, r, a, member, &b);
	if (rc == 0 && (code != 0 || timed_out || b.truncated))
		note_missing(r, a, member, argv[0],
			     timed_out     ? "timed out; output kept"
			     : b.truncated ? "output truncated"
					   : "failed; output kept");
	free(b.data);
	return rc;
}

static int
collect_one(struct seal *s, struct collect_report *r,
	    const struct artifact *a, const struct artifact_vars *v)
{
	char member[ARTIFACT_TEXT_MAX], path[ARTIFACT_TEXT_MAX];
	int have;

	if (artifact_expand(a->member, v, member, sizeof(member)) != 1) {
		note_missing(r, a, a->member, a->path, "placeholder unset");
		return 0;
	}
	if (a->kind == ARTIFACT_COMMAND)
		return collect_command(s, r, a, member, v);

	have = artifact_expand(a->path, v, path, sizeof(path));
	if (have != 1) {
		note_missing(r, a, member, a->path,
			     have == 0 ? "not available (no QEMU process?)"
				       : err_msg());
		return 0;
	}
	switch (a->kind) {
	case ARTIFACT_FILE: return collect_file(s, r, a, member, path);
	case ARTIFACT_GLOB: return collect_glob(s, r, a, member, path);
	case ARTIFACT_DIR: return collect_dir(s, r, a, member, path);
	case ARTIFACT_PROC: return collect_proc(s, r, a, member, path);
	case ARTIFACT_FDS: return collect_fds(s, r, a, member, path);
	case ARTIFACT_CHILDREN: return collect_children(s, r, a, member, path);
	case ARTIFACT_COMMAND: break;
	}
	return 0;
}

int
collect_artifacts(struct seal *s, const struct artifact_list *list,
		  const struct artifact_vars *vars, struct collect_report *r,
		  collect_progress_fn progress, void *arg)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		if (progress)
			progress(i, list->count, &list->items[i], arg);
		if (collect_one(s, r, &list->items[i], vars) < 0)
			return err_prefix("cannot collect '%s'",
					  list->items[i].member);
	}
	return 0;
}
