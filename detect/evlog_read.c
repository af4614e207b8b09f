/*
 * evlog_read: reading a log line by line with bounded memory.  The
 * reader uses pread(2) at its own offset, so it can share an fd with a
 * writer holding the lock.
 */
#include "evlog.h"

#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BUF (64 * 1024)

int
evlog_reader_open(struct evlog_reader *r, const char *path, int fd)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	if (fd < 0) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return err_errno("cannot open '%s'", path);
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return err_set("'%s' is not a regular file", path);
		}
		r->fd = fd;
		r->own_fd = 1;
	}

	r->buf = malloc(READ_BUF);
	r->line = malloc(EVLOG_LINE_MAX + 1);
	if (!r->buf || !r->line) {
		evlog_reader_close(r);
		return err_set("out of memory reading '%s'", path);
	}
	r->line[0] = '\0';
	return 0;
}

/* Refill the buffer from the file; 1 bytes read, 0 end, -1 error. */
static int
reader_fill(struct evlog_reader *r)
{
	ssize_t n;

	r->buf_off += (off_t)r->buf_len;
	r->buf_len = 0;
	r->buf_pos = 0;
	do
		n = pread(r->fd, r->buf, READ_BUF, r->buf_off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read the log");
	r->buf_len = (size_t)n;
	return n > 0;
}

/* Keep what fits of len bytes at p in the line. */
static void
reader_keep(struct evlog_reader *r, const char *p, size_t len)
{
	size_t room = EVLOG_LINE_MAX - r->len;

	if (len > room) {
		r->overlong = 1;
		len = room;
	}
	memcpy(r->line + r->len, p, len);
	r->len += len;
}

int
evlog_reader_next(struct evlog_reader *r)
{
	size_t total = 0;
	int rc;

	r->len = 0;
	r->overlong = 0;
	r->newline = 0;
	r->start = r->next;

	for (;;) {
		const char *p = r->buf + r->buf_pos;
		size_t avail = r->buf_len - r->buf_pos;
		const char *nl = memchr(p, '\n', avail);
		size_t take = nl ? (size_t)(nl - p) : avail;

		reader_keep(r, p, take);
		total += take;
		r->buf_pos += take;
		if (nl) {
			r->buf_pos++;
			r->newline = 1;
			total++;
			break;
		}
		rc = reader_fill(r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}

	r->line[r->len] = '\0';
	if (total == 0)
		return 0;
	r->next = r->start + (off_t)total;
	r->lineno++;
	return 1;
}

void
evlog_reader_seek(struct evlog_reader *r, off_t off, int64_t lineno)
{
	r->next = off;
	r->buf_off = off;
	r->buf_len = 0;
	r->buf_pos = 0;
	r->lineno = lineno;
}

void
evlog_reader_close(struct evlog_reader *r)
{
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	free(r->line);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int
evlog_head_field(const char *line, const char *key, char *out, size_t size)
{
	const char *data = strstr(line, ",\"data\":");
	const char *p, *end;
	char pat[32];
	size_t n;

	if (!data || (size_t)snprintf(pat, sizeof(pat), "\"%s\":", key) >=
			     sizeof(pat))
		return -1;
	p = strstr(line, pat);
	if (!p || p > data)
		return -1;
	p += strlen(pat);
	if (!strncmp(p, "null,", 5))
		return 1;
	if (*p++ != '"')
		return -1;
	end = strchr(p, '"');
	n = end ? (size_t)(end - p) : 0;
	if (!end || end > data || n >= size || memchr(p, '\\', n))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}
