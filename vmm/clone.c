#include "clone.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/timefmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/fs.h>
#endif
#ifdef __APPLE__
#include <sys/clonefile.h>
#endif

#define COPY_CHUNK (1 << 20)

const char *
clone_method_name(enum clone_method m)
{
	switch (m) {
	case CLONE_REFLINK: return "reflink";
	case CLONE_CLONEFILE: return "clonefile";
	case CLONE_COPY: return "fallback copy";
	}
	return "?";
}

/* Did the filesystem say "I cannot share blocks" (not a real error)? */
static int
no_reflink(int e)
{
	return e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL ||
	       e == ENOSYS;
}

static int
copy_rw(int src, int dst, off_t off, off_t len)
{
	char *buf = malloc(COPY_CHUNK);
	int rc = 0;

	if (!buf)
		return err_set("out of memory copying");
	while (len > 0) {
		size_t want = len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
		ssize_t n = pread(src, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_errno("cannot read source");
			break;
		}
		if (n == 0)
			break; /* the source shrank */
		if (pwrite(dst, buf, (size_t)n, off) != n) {
			rc = err_errno("cannot write copy");
			break;
		}
		off += n;
		len -= n;
	}
	free(buf);
	return rc;
}

/* Copy [off, off+len) of src to the same offset of dst. */
static int
copy_range(int src, int dst, off_t off, off_t len)
{
	loff_t in = off, out = off;

	while (len > 0) {
		ssize_t n =
			copy_file_range(src, &in, dst, &out, (size_t)len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (no_reflink(errno) || errno == EBADF))
			return copy_rw(src, dst, in, len);
		if (n < 0)
			return err_errno("cannot copy data");
		if (n == 0)
			break;
		len -= n;
	}
	return 0;
}

static int
copy_sparse(int src, int dst)
{
	struct stat st;
	off_t off = 0, data, hole;

	if (fstat(src, &st) < 0)
		return err_errno("cannot stat source");

	while (off < st.st_size) {
		data = lseek(src, off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0) {
			/* No SEEK_DATA here: copy everything. */
			data = off;
			hole = st.st_size;
		} else {
			hole = lseek(src, data, SEEK_HOLE);
			if (hole < 0)
				hole = st.st_size;
		}
		if (copy_range(src, dst, data, hole - data) < 0)
			return -1;
		off = hole;
	}

	if (ftruncate(dst, st.st_size) < 0)
		return err_errno("cannot size copy");
	return 0;
}

int
clone_file(int src_fd, int dst_fd, enum clone_method *method)
{
#ifdef FICLONE
	if (ioctl(dst_fd, FICLONE, src_fd) == 0) {
		*method = CLONE_REFLINK;
		return 0;
	}
	if (!no_reflink(errno))
		return err_errno("cannot clone");
#endif
	*method = CLONE_COPY;
	return copy_sparse(src_fd, dst_fd);
}

/* One file of a bundle */

static void
note_file(struct clone_report *r, const char *name, enum clone_method m,
	  const struct stat *st)
{
	struct clone_file_report *f;

	if (m > r->method)
		r->method = m;
	if (r->nfiles++ >= CLONE_MAX_FILES)
		return;
	f = &r->files[r->nfiles - 1];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->method = m;
	f->size = (uint64_t)st->st_size;
	f->allocated = (uint64_t)st->st_blocks * 512;
}

#ifdef __APPLE__
static int
clone_path(int srcdir, int dstdir, const char *name, enum clone_method *m)
{
	int fd = openat(srcdir, name, O_RDONLY | O_NOFOLLOW);

	if (fd < 0)
		return err_errno("cannot open '%s'", name);
	if (fclonefileat(fd, dstdir, name, 0) == 0) {
		close(fd);
		*m = CLONE_CLONEFILE;
		return 1;
	}
	close(fd);
	return 0;
}
#endif

static int
clone_one(int srcdir, int dstdir, const char *name, struct clone_report *r)
{
	enum clone_method m;
	struct stat st;
	int sfd, dfd = -1, rc = -1;

#ifdef __APPLE__
	if (clone_path(srcdir, dstdir, name, &m) == 1) {
		if (fstatat(dstdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dstdir, name, 0400, 0) < 0)
			return err_errno("cannot seal clone of '%s'", name);
		note_file(r, name, m, &st);
		return 0;
	}
#endif
	sfd = openat(srcdir, name,
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (sfd < 0)
		return err_errno("cannot open '%s'", name);
	if (fstat(sfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(sfd);
		return 0; /* only regular files are cloned */
	}

	dfd = openat(dstdir, name,
		     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (dfd < 0) {
		err_errno("cannot create clone of '%s'", name);
		goto out;
	}
	if (clone_file(sfd, dfd, &m) < 0) {
		err_prefix("'%s'", name);
		goto out;
	}
	if (fsync(dfd) < 0 || fchmod(dfd, 0400) < 0 || fstat(dfd, &st) < 0) {
		err_errno("cannot seal clone of '%s'", name);
		goto out;
	}
	note_file(r, name, m, &st);
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);
	close(sfd);
	return rc;
}

static int
clone_files(int srcdir, int dstdir, struct clone_report *r)
{
	struct dirent *d;
	DIR *dp;
	int fd, rc = 0;

	fd = dup(srcdir);
	if (fd < 0 || !(dp = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_errno("cannot read source bundle");
	}
	while (rc == 0 && (d = readdir(dp))) {
		/* config.plist is written anew for the clone. */
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
		    !strcmp(d->d_name, "config.plist"))
			continue;
		rc = clone_one(srcdir, dstdir, d->d_name, r);
	}
	closedir(dp);
	return rc;
}

/* A whole bundle */

struct clone_job {
	const char *src, *dst;
	char srcpath[PATH_BUF];
	char famdir[PATH_BUF];
	char tmpname[VM_NAME_MAX + 32];
	char dstname[VM_NAME_MAX + 8];
	struct vm_config cfg;
	int famfd, srcfd, tmpfd;
};

static int
clone_prepare(struct clone_job *j)
{
	char file[PATH_BUF], path[PATH_BUF];
	enum vm_family fam;
	int rc;

	rc = bundle_find(j->src, j->srcpath, sizeof(j->srcpath), &fam);
	if (rc <= 0)
		return rc;
	if (bundle_path(j->dst, fam, path, sizeof(path)) < 0)
		return -1;
	rc = bundle_find(j->dst, path, sizeof(path), NULL);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_set("a VM named '%s' already exists", j->dst);

	if (path_fmt(file, sizeof(file), "%s/config.plist", j->srcpath) < 0 ||
	    vm_config_read(file, j->src, &j->cfg) < 0)
		return err_prefix("cannot clone '%s'", j->src);
	if (home_path(j->famdir, sizeof(j->famdir), "%s", vm_family_dir(fam)) <
		    0 ||
	    path_fmt(j->tmpname, sizeof(j->tmpname), ".%s.bundle.clone.%ld",
		     j->dst, (long)getpid()) < 0 ||
	    path_fmt(j->dstname, sizeof(j->dstname), "%s.bundle", j->dst) < 0)
		return -1;
	return 1;
}

static int
clone_open(struct clone_job *j)
{
	const int dirflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

	j->famfd = open(j->famdir, dirflags);
	if (j->famfd < 0)
		return err_errno("cannot open '%s'", j->famdir);
	j->srcfd = open(j->srcpath, dirflags);
	if (j->srcfd < 0)
		return err_errno("cannot open '%s'", j->srcpath);
	if (mkdirat(j->famfd, j->tmpname, 0700) < 0)
		return err_errno("cannot create '%s/%s'", j->famdir,
				 j->tmpname);
	j->tmpfd = openat(j->famfd, j->tmpname, dirflags);
	if (j->tmpfd < 0) {
		err_errno("cannot open '%s/%s'", j->famdir, j->tmpname);
		unlinkat(j->famfd, j->tmpname, AT_REMOVEDIR);
		return -1;
	}
	return 0;
}

static int
clone_config(struct clone_job *j)
{
	char path[PATH_BUF];

	snprintf(j->cfg.name, sizeof(j->cfg.name), "%s", j->dst);
	snprintf(j->cfg.clone_of, sizeof(j->cfg.clone_of), "%s", j->src);
	time_iso(time_now_us(), j->cfg.cloned_at);

	if (path_fmt(path, sizeof(path), "%s/%s/config.plist", j->famdir,
		     j->tmpname) < 0 ||
	    vm_config_write(path, &j->cfg) < 0)
		return -1;
	if (fchmodat(j->tmpfd, "config.plist", 0400, 0) < 0)
		return err_errno("cannot seal '%s'", path);
	return 0;
}

/* Seal the finished clone and move it under its final name. */
static int
clone_commit(struct clone_job *j)
{
	if (fsync(j->tmpfd) < 0 || fchmod(j->tmpfd, 0500) < 0)
		return err_errno("cannot seal '%s/%s'", j->famdir, j->tmpname);
	if (renameat2(j->famfd, j->tmpname, j->famfd, j->dstname,
		      RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			return err_set("a VM named '%s' already exists",
				       j->dst);
		return err_errno("cannot rename '%s' to '%s'", j->tmpname,
				 j->dstname);
	}
	if (fsync(j->famfd) < 0)
		return err_errno("cannot sync '%s'", j->famdir);
	return 0;
}

static void
clone_discard(struct clone_job *j)
{
	char saved[ERR_MSG_MAX];

	snprintf(saved, sizeof(saved), "%s", err_msg());
	bundle_remove_tree(j->famfd, j->tmpname);
	err_set("%s", saved);
}

static void
clone_close(struct clone_job *j)
{
	if (j->tmpfd >= 0)
		close(j->tmpfd);
	if (j->srcfd >= 0)
		close(j->srcfd);
	if (j->famfd >= 0)
		close(j->famfd);
}

int
clone_bundle(const char *src_name, const char *new_name,
	     struct clone_report *report)
{
	struct clone_job *j;
	int64_t t0 = time_mono_ns();
	int rc;

	memset(report, 0, sizeof(*report));
	j = calloc(1, sizeof(*j));
	if (!j)
		return err_set("out of memory");
	j->src = src_name;
	j->dst = new_name;
	j->famfd = j->srcfd = j->tmpfd = -1;

	rc = clone_prepare(j);
	if (rc <= 0)
		goto out;
	rc = -1;
	if (clone_open(j) < 0) {
		if (j->tmpfd >= 0)
			clone_discard(j);
		goto out;
	}
	if (clone_files(j->srcfd, j->tmpfd, report) < 0 ||
	    clone_config(j) < 0 || clone_commit(j) < 0) {
		clone_discard(j);
		goto out;
	}
	if (path_fmt(report->path, sizeof(report->path), "%s/%s", j->famdir,
		     j->dstname) < 0)
		goto out;
	report->elapsed_ns = time_mono_ns() - t0;
	rc = 1;
out:
	clone_close(j);
	free(j);
	return rc;
}
