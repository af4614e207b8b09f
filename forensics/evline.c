#include "evline.h"

#include "lib/err.h"
#include "lib/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct evline_reader {
	int fd;
	int eof;
	size_t start, end; /* unread bytes are buf[start..end) */
	char path[PATH_BUF];
	char buf[EVLINE_BUF];
};

int
evline_open(const char *path, struct evline_reader **out)
{
	struct evline_reader *r;
	struct stat st;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set("out of memory");
	if (path_fmt(r->path, sizeof(r->path), "%s", path) < 0) {
		free(r);
		return -1;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r->fd < 0) {
		err_errno("cannot open '%s'", path);
		free(r);
		return -1;
	}
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		evline_close(r);
		return err_set("cannot read '%s': not a regular file", path);
	}
	*out = r;
	return 0;
}

void
evline_close(struct evline_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r);
}

static int
reader_fill(struct evline_reader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		n = read(r->fd, r->buf + r->end, EVLINE_BUF - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read '%s'", r->path);
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

/* Drop bytes up to and including the next "\n" of an over-long line. */
static int
reader_skip_line(struct evline_reader *r)
{
	char *nl;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			r->start = (size_t)(nl - r->buf) + 1;
			return 0;
		}
		r->start = r->end = 0;
		if (r->eof)
			return 0;
		if (reader_fill(r) < 0)
			return -1;
	}
}

int
evline_next(struct evline_reader *r, const char **line, size_t *len,
	    enum evline_kind *kind)
{
	char *nl;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			r->start += *len + 1;
			*kind = *len > EVLINE_MAX ? EVLINE_TOO_LONG : EVLINE_OK;
			return 0;
		}
		if (r->eof) {
			*kind = r->start < r->end ? EVLINE_PARTIAL : EVLINE_END;
			r->start = r->end;
			return 0;
		}
		if (r->start == 0 && r->end == EVLINE_BUF) {
			*kind = EVLINE_TOO_LONG;
			return reader_skip_line(r);
		}
		if (reader_fill(r) < 0)
			return -1;
	}
}

static int
severity_ok(const char *s)
{
	return s && (!strcmp(s, "INFO") || !strcmp(s, "WARNING") ||
		     !strcmp(s, "CRITICAL") || !strcmp(s, "EMERGENCY"));
}

/* "2026-12-03T19:00:00.123456Z" */
static int
ts_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	int i;

	if (!s || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9'
				    : s[i] != shape[i])
			return 0;
	return 1;
}

static int
hex64_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static const char *
member_string(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The general path: any key order, escapes, spacing. */
static int
parse_tree(const char *line, size_t len, struct evline_event *ev)
{
	json_t *o, *vm, *seq, *data;

	o = ev->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		return -1;
	vm = json_object_get(o, "vm");
	seq = json_object_get(o, "seq");
	data = json_object_get(o, "data");
	if (!json_is_integer(seq) || !json_is_object(data) ||
	    !(json_is_null(vm) || json_is_string(vm)))
		return -1;

	ev->ts = member_string(o, "ts");
	ev->severity = member_string(o, "severity");
	ev->subsystem = member_string(o, "subsystem");
	ev->event = member_string(o, "event");
	ev->host = member_string(o, "host");
	ev->prev = member_string(o, "prev");
	ev->vm = json_string_value(vm);
	ev->seq = json_integer_value(seq);
	ev->data = ev->data_text =
		json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
	return ev->data ? 0 : -1;
}

/* A cursor over a line in the writer's layout, copying into ev->buf. */
struct scan {
	const char *p, *end;
	char *out;
};

static int
scan_lit(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* A string of printable ASCII without escapes, up to its closing '"'. */
static int
scan_plain(struct scan *s, const char **out)
{
	const char *start = s->p;

	while (s->p < s->end && *s->p != '"') {
		if (*s->p < 0x20 || *s->p > 0x7e || *s->p == '\\')
			return -1;
		s->p++;
	}
	if (s->p == s->end)
		return -1;
	memcpy(s->out, start, (size_t)(s->p - start));
	*out = s->out;
	s->out += s->p - start;
	*s->out++ = '\0';
	s->p++;
	return 0;
}

static int
scan_seq(struct scan *s, int64_t *seq)
{
	int digits = 0;

	*seq = 0;
	if (s->p < s->end && *s->p == '0')
		return -1;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && digits < 18) {
		*seq = *seq * 10 + (*s->p++ - '0');
		digits++;
	}
	return digits ? 0 : -1;
}

/* ,"prev":"<64 hex>"} closes every line in the writer's layout. */
#define PREV_TAIL 75

static int
scan_data(struct scan *s, struct evline_event *ev)
{
	const char *tail = s->end - PREV_TAIL;
	json_t *data;

	if (tail < s->p || memcmp(tail, ",\"prev\":\"", 9) != 0 ||
	    memcmp(s->end - 2, "\"}", 2) != 0)
		return -1;
	memcpy(s->out, tail + 9, 64);
	ev->prev = s->out;
	s->out[64] = '\0';

	data = json_loadb(s->p, (size_t)(tail - s->p), JSON_REJECT_DUPLICATES,
			  NULL);
	if (json_is_object(data))
		ev->data = ev->data_text =
			json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(data);
	return ev->data ? 0 : -1;
}

/* The writer's layout: CONTRACTS.md's keys in order, compact. */
static int
parse_layout(const char *line, size_t len, struct evline_event *ev)
{
	struct scan s = {line, line + len, ev->buf};

	if (scan_lit(&s, "{\"ts\":\"") || scan_plain(&s, &ev->ts) ||
	    scan_lit(&s, ",\"severity\":\"") ||
	    scan_plain(&s, &ev->severity) ||
	    scan_lit(&s, ",\"subsystem\":\"") ||
	    scan_plain(&s, &ev->subsystem) ||
	    scan_lit(&s, ",\"event\":\"") || scan_plain(&s, &ev->event) ||
	    scan_lit(&s, ",\"vm\":"))
		return -1;
	if (scan_lit(&s, "null") == 0)
		ev->vm = NULL;
	else if (scan_lit(&s, "\"") || scan_plain(&s, &ev->vm))
		return -1;
	if (scan_lit(&s, ",\"host\":\"") || scan_plain(&s, &ev->host) ||
	    scan_lit(&s, ",\"seq\":") || scan_seq(&s, &ev->seq) ||
	    scan_lit(&s, ",\"data\":"))
		return -1;
	return scan_data(&s, ev);
}

static int
event_check(const struct evline_event *ev)
{
	if (!ts_ok(ev->ts) || !severity_ok(ev->severity) || !ev->subsystem ||
	    !*ev->subsystem || !ev->event || !*ev->event || !ev->host)
		return -1;
	if (!ev->prev || !hex64_ok(ev->prev) || !ev->data || ev->seq < 1)
		return -1;
	return 0;
}

void
evline_release(struct evline_event *ev)
{
	json_decref(ev->root);
	free(ev->data_text);
	ev->root = NULL;
	ev->data_text = NULL;
}

static void
evline_reset(struct evline_event *ev)
{
	ev->ts = ev->severity = ev->subsystem = ev->event = NULL;
	ev->vm = ev->host = ev->prev = ev->data = NULL;
	ev->seq = 0;
	ev->root = NULL;
	ev->data_text = NULL;
}

int
evline_parse(const char *line, size_t len, struct evline_event *ev)
{
	evline_reset(ev);
	if (len > EVLINE_MAX)
		return -1;
	if (parse_layout(line, len, ev) < 0) {
		evline_release(ev);
		evline_reset(ev);
		if (parse_tree(line, len, ev) < 0)
			return -1;
	}
	return event_check(ev);
}
