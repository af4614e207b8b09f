/*
 * fileio: careful file access for evidence and hostile trees.
 */
#ifndef SECVF_FILEIO_H
#define SECVF_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Write buf to path atomically: a temporary name in the same directory,
 * fsync, rename over path, fsync the directory.  A crash leaves either
 * the old file or the new one, never a torn one.
 */
int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode);

/*
 * Read a whole regular file of at most max bytes, without following a
 * final symlink.  On success *buf (NUL-terminated, free() it) and *len
 * are set; on failure *buf is NULL and err_msg() says why.
 */
int file_read_all(const char *path, size_t max, char **buf, size_t *len);

/* fsync the directory holding path (after a rename or a create). */
int file_sync_parent(const char *path);

/* Write all of buf to fd, retrying short writes and EINTR. */
int file_write_full(int fd, const void *buf, size_t len);

/*
 * Open rel beneath the directory dirfd: no "..", no absolute path and no
 * symlink may lead out of it, and no symlink at all is followed
 * (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; where openat2 is
 * missing, file_open_beneath_walk()).  For trees a guest can write.
 * Returns an fd or -1 with errno and err_msg() set.
 */
int file_open_beneath(int dirfd, const char *rel, int flags, mode_t mode);

/*
 * The same rules without openat2 (kernels before 5.6, valgrind, seccomp
 * filters that answer ENOSYS): one component at a time with O_NOFOLLOW,
 * each directory opened beneath the one before.  Stricter on "..": any
 * ".." fails (EXDEV), as does an absolute rel; a symlink before the last
 * component fails with ELOOP.  A final symlink is opened only with
 * O_PATH (an fd for the link itself), as openat2 does.  Returns an fd or
 * -1 with errno set (err_msg() untouched).
 */
int file_open_beneath_walk(int dirfd, const char *rel, int flags,
			   mode_t mode);

#endif
