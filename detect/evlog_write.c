/*
 * evlog_write: appending a chained line under an exclusive flock.
 *
 * The tail of the file tells the new line its seq and prev.  The fast
 * way reads the last line back from the end (at most EVLOG_LINE_MAX
 * bytes); when the last line is torn, overlong or not an event, the
 * slow way walks the whole file so that every line, damaged or not,
 * still counts as one line of the chain.
 */
#include "evlog.h"

#include "lib/err.h"
#include "lib/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define TAIL_PEEK 4096

/* What the file's last line gives the next one. */
struct tail {
	int64_t seq;	       /* seq of the last line; 0 in an empty file */
	char hash[SHA256_HEX]; /* hash of the last line */
	int torn;	       /* the last line lacks its "\n" */
};

static int
read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read the log");
	if ((size_t)n != len)
		return err_set("the log shrank while locked");
	return 0;
}

/* Hash bytes [from, to) of the file without holding them all. */
static int
hash_range(int fd, off_t from, off_t to, char out[SHA256_HEX])
{
	uint8_t digest[SHA256_LEN];
	char chunk[TAIL_PEEK];
	struct sha256 h;

	if (sha256_init(&h) < 0)
		return -1;
	while (from < to) {
		size_t n = sizeof(chunk);

		if (to - from < (off_t)n)
			n = (size_t)(to - from);

		if (read_at(fd, chunk, n, from) < 0) {
			sha256_release(&h);
			return -1;
		}
		sha256_update(&h, chunk, n);
		from += (off_t)n;
	}
	sha256_final(&h, digest);
	sha256_to_hex(digest, out);
	return 0;
}

/*
 * Read the complete last line from the end.  1 when t is filled, 0
 * when the slow way must decide, -1 on error.
 */
static int
tail_fast(int fd, off_t size, struct tail *t)
{
	char small[TAIL_PEEK];
	char *buf = small;
	size_t want = size < TAIL_PEEK ? (size_t)size : TAIL_PEEK;
	struct evlog_event ev;
	const char *start;
	int rc = 0;

	if (read_at(fd, buf, want, size - (off_t)want) < 0)
		return -1;
	if (buf[want - 1] != '\n')
		return 0;
	start = memrchr(buf, '\n', want - 1);

	if (!start && (off_t)want < size) {
		want = size < EVLOG_LINE_MAX + 2 ? (size_t)size
						 : EVLOG_LINE_MAX + 2;
		buf = malloc(want);
		if (!buf)
			return err_set("out of memory reading the log");
		if (read_at(fd, buf, want, size - (off_t)want) < 0) {
			rc = -1;
			goto out;
		}
		start = memrchr(buf, '\n', want - 1);
		if (!start && (off_t)want < size)
			goto out; /* longer than any line of ours */
	}
	start = start ? start + 1 : buf;

	if (evlog_decode(start, (size_t)(buf + want - 1 - start), &ev) != 0)
		goto out;
	t->seq = ev.seq;
	evlog_event_release(&ev);
	rc = sha256_hex_buf(start, (size_t)(buf + want - 1 - start), t->hash);
	rc = rc < 0 ? -1 : 1;
out:
	if (buf != small)
		free(buf);
	return rc;
}

/*
 * Walk every line: the new seq follows the last line that decodes,
 * plus one for each line after it, and prev is the hash of the last
 * line whatever it holds.
 */
static int
tail_slow(int fd, const char *path, off_t size, struct tail *t)
{
	struct evlog_reader r;
	struct evlog_event ev;
	int64_t base = 0, since = 0;
	off_t last = 0;
	int rc;

	if (evlog_reader_open(&r, path, fd) < 0)
		return -1;
	while ((rc = evlog_reader_next(&r)) == 1) {
		last = r.start;
		t->torn = !r.newline;
		if (!r.overlong && evlog_decode(r.line, r.len, &ev) == 0) {
			base = ev.seq;
			since = 0;
			evlog_event_release(&ev);
		} else {
			since++;
		}
	}
	evlog_reader_close(&r);
	if (rc < 0)
		return -1;

	t->seq = base + since;
	return hash_range(fd, last, size - (t->torn ? 0 : 1), t->hash);
}

static int
read_tail(int fd, const char *path, struct tail *t)
{
	struct stat st;
	int rc;

	memset(t, 0, sizeof(*t));
	memset(t->hash, '0', SHA256_HEX - 1);
	if (fstat(fd, &st) < 0)
		return err_errno("cannot stat '%s'", path);
	if (st.st_size == 0)
		return 0;

	rc = tail_fast(fd, st.st_size, t);
	if (rc == 0)
		rc = tail_slow(fd, path, st.st_size, t);
	if (rc < 0)
		return err_prefix("'%s'", path);
	return 0;
}

/* Open path for appending, refusing links and others' files; locked. */
static int
open_log(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path,
		  O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
			  O_NONBLOCK,
		  0600);
	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return err_set("'%s' is not a regular file of ours", path);
	}
	if ((st.st_mode & 0077) && fchmod(fd, 0600) < 0) {
		err_errno("cannot chmod '%s'", path);
		close(fd);
		return -1;
	}

	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_errno("cannot lock '%s'", path);
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void
fill_host(char *host, size_t size)
{
	char *p;

	if (gethostname(host, size) < 0 || !host[0])
		strcpy(host, "unknown");
	host[size - 1] = '\0';
	for (p = host; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			*p = '?';
}

/* Build "[\n]LINE\n" for the event after t; malloc'd, NULL on error. */
static char *
build_line(struct evlog_event *ev, const struct tail *t, size_t *len,
	   char hash[SHA256_HEX])
{
	size_t n, lead = t->torn ? 1 : 0;
	char *line, *out;

	ev->seq = t->seq + 1;
	memcpy(ev->prev, t->hash, SHA256_HEX);
	line = evlog_encode(ev, &n);
	if (!line)
		return NULL;
	if (sha256_hex_buf(line, n, hash) < 0) {
		free(line);
		return NULL;
	}

	out = malloc(n + 2);
	if (!out) {
		free(line);
		err_set("out of memory");
		return NULL;
	}
	out[0] = '\n';
	memcpy(out + lead, line, n);
	out[lead + n] = '\n';
	*len = lead + n + 1;
	free(line);
	return out;
}

static int
append_locked(int fd, const char *path, struct evlog_event *ev,
	      struct evlog_written *out)
{
	struct tail t;
	char *buf;
	size_t len;

	if (read_tail(fd, path, &t) < 0)
		return -1;
	buf = build_line(ev, &t, &len, out->hash);
	if (!buf)
		return -1;

	if (file_write_full(fd, buf, len) < 0) {
		free(buf);
		return err_errno("cannot append to '%s'", path);
	}
	free(buf);
	out->seq = ev->seq;

	if (ev->severity < EV_CRITICAL)
		return 0;
	if (fsync(fd) < 0)
		return err_errno("cannot sync '%s'", path);
	return ev->seq == 1 ? file_sync_parent(path) : 0;
}

static void
to_syslog(const struct evlog_event *ev, const struct evlog_written *w)
{
	static int opened;

	if (!opened) {
		openlog("secvf", LOG_PID, LOG_USER);
		opened = 1;
	}
	syslog(LOG_ERR, "%s %s %s vm=%s seq=%lld file=%s",
	       ev_severity_name(ev->severity), ev->subsystem, ev->event,
	       ev->vm[0] ? ev->vm : "-", (long long)w->seq, w->path);
}

static int
fill_event(struct evlog_event *ev, enum ev_severity sev, const char *subsystem,
	   const char *event, const char *vm, json_t *data)
{
	memset(ev, 0, sizeof(*ev));
	if ((unsigned)sev > EV_EMERGENCY)
		return err_set("bad severity %d", (int)sev);
	ev->severity = sev;
	if (evlog_check_name(subsystem) < 0)
		return err_prefix("bad subsystem");
	if (evlog_check_name(event) < 0)
		return err_prefix("bad event");
	if (vm && evlog_check_vm(vm) < 0)
		return err_prefix("bad VM name");
	if (data && !json_is_object(data))
		return err_set("event data is not a JSON object");

	strcpy(ev->subsystem, subsystem);
	strcpy(ev->event, event);
	if (vm)
		strcpy(ev->vm, vm);
	ev->data = data;
	fill_host(ev->host, sizeof(ev->host));
	return 0;
}

/*
 * Open and lock the file for ev, stamping ev->ts under the lock.  For
 * today's log a day may turn while waiting for the lock: then the
 * event goes to the new day's file instead.
 */
static int
open_for(const char *path, struct evlog_event *ev, char *used, size_t size)
{
	char day[11], now_day[11];
	int tries, fd;

	for (tries = 0;; tries++) {
		ev->ts_us = time_now_us();
		if (path && path_fmt(used, size, "%s", path) < 0)
			return -1;
		if (!path && evlog_path_for(ev->ts_us, used, size) < 0)
			return -1;
		time_date(ev->ts_us, day);

		fd = open_log(used);
		if (fd < 0)
			return -1;
		ev->ts_us = time_now_us();
		time_date(ev->ts_us, now_day);
		if (path || !strcmp(day, now_day) || tries == 2)
			break;
		close(fd);
	}
	time_iso(ev->ts_us, ev->ts);
	return fd;
}

int
evlog_append(const char *path, enum ev_severity sev, const char *subsystem,
	     const char *event, const char *vm, json_t *data,
	     struct evlog_written *out)
{
	struct evlog_written local;
	struct evlog_event ev;
	int fd, rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (fill_event(&ev, sev, subsystem, event, vm, data) < 0)
		return -1;

	fd = open_for(path, &ev, out->path, sizeof(out->path));
	if (fd < 0)
		return -1;
	rc = append_locked(fd, out->path, &ev, out);
	close(fd); /* drops the lock */

	if (rc == 0 && sev >= EV_CRITICAL)
		to_syslog(&ev, out);
	return rc;
}

int
evlog_write(enum ev_severity sev, const char *subsystem, const char *event,
	    const char *vm, json_t *data)
{
	return evlog_append(NULL, sev, subsystem, event, vm, data, NULL);
}
