/*
 * fuzz_file.h: what the file-reading targets share.  The input is
 * written to a file in a private directory (made once per process under
 * $TMPDIR, else /dev/shm, else /tmp, and removed at exit), so that the
 * code under test reads a real file by path as it does in use.
 */
#ifndef SECVF_FUZZ_FILE_H
#define SECVF_FUZZ_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[256];

static void
fuzz_dir_remove(void)
{
	char cmd[300];

	if (fuzz_dir[0] &&
	    (size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir) <
		    sizeof(cmd) &&
	    system(cmd) != 0)
		fuzz_dir[0] = '\0';
}

/* The private directory; aborts when none can be made. */
static const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_dir[0])
		return fuzz_dir;
	if (!base || !*base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/secvf-fuzz.XXXXXX", base);
	if (!mkdtemp(fuzz_dir))
		abort();
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

/* out = the private directory + "/" + name; aborts if it does not fit. */
static void
fuzz_path(char *out, size_t size, const char *name)
{
	if ((size_t)snprintf(out, size, "%s/%s", fuzz_tmpdir(), name) >= size)
		abort();
}

/* Replace the file at path with size bytes of data; aborts on failure. */
static void
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	while (done < size) {
		n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	close(fd);
}

#endif
