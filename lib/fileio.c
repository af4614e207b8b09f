#include "fileio.h"

#include "err.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
file_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_sync_parent(const char *path)
{
	char copy[PATH_BUF];
	int fd;

	if (path_fmt(copy, sizeof(copy), "%s", path) < 0)
		return -1;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("cannot open directory of '%s'", path);
	if (fsync(fd) < 0) {
		err_errno("cannot sync directory of '%s'", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
file_write_atomic(const char *path, const void *buf, size_t len,
		  mode_t mode)
{
	char tmp[PATH_BUF];
	int fd;

	if (path_fmt(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return err_errno("cannot create '%s'", tmp);

	if (file_write_full(fd, buf, len) < 0) {
		err_errno("cannot write '%s'", tmp);
		goto fail;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		err_errno("cannot sync '%s'", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		err_errno("cannot close '%s'", tmp);
		goto fail;
	}
	fd = -1;

	if (rename(tmp, path) < 0) {
		err_errno("cannot rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	return file_sync_parent(path);

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int
file_read_all(const char *path, size_t max, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *data;
	int fd;

	*buf = NULL;
	*len = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set("'%s' is not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return err_set("'%s' is larger than %zu bytes", path, max);
	}

	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		close(fd);
		return err_set("out of memory reading '%s'", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno("cannot read '%s'", path);
			free(data);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);

	data[got] = '\0';
	*buf = data;
	*len = got;
	return 0;
}

/* Is name, beneath dirfd, a symlink? */
static int
is_symlink_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISLNK(st.st_mode);
}

int
file_open_beneath_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char name[PATH_BUF];
	const char *p = rel, *end;
	int cur = dirfd, next, last, saved;
	size_t len;

	flags |= O_CLOEXEC | O_NOFOLLOW;
	if (*rel == '/') {
		errno = EXDEV;
		goto fail;
	}
	for (;;) {
		len = strcspn(p, "/");
		end = p + len + strspn(p + len, "/");
		last = *end == '\0';
		if (len >= sizeof(name) ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			errno = len >= sizeof(name) ? ENAMETOOLONG : EXDEV;
			goto fail;
		}
		memcpy(name, p, len);
		name[len] = '\0';

		if (last)
			next = openat(cur, name, flags, mode);
		else
			next = openat(cur, name,
				      O_PATH | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		if (next < 0) {
			if (errno == ENOTDIR && !last &&
			    is_symlink_at(cur, name))
				errno = ELOOP;
			goto fail;
		}
		if (cur != dirfd)
			close(cur);
		cur = next;
		if (last)
			return cur;
		p = end;
	}

fail:
	saved = errno;
	if (cur != dirfd)
		close(cur);
	errno = saved;
	return -1;
}

int
file_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (flags & O_CREAT)
		how.mode = mode;

	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = file_open_beneath_walk(dirfd, rel, flags, mode);
	if (fd < 0)
		return err_errno("cannot open '%s' beneath its root", rel);
	return (int)fd;
}
