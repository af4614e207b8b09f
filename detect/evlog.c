/*
 * evlog: the event line, its encoding and decoding, and the names of
 * the log files.  Writing is in evlog_write.c, reading lines in
 * evlog_read.c, the chain check in evlog_verify.c.
 */
#include "evlog.h"

#include "lib/err.h"
#include "lib/home.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EVLOG_JSON_FLAGS                                                       \
	(JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII)

/* The keys of a line, in their order. */
/* clang-format off */
static const char *const line_keys[] = {
	"ts",
	"severity",
	"subsystem",
	"event",
	"vm",
	"host",
	"seq",
	"data",
	"prev",
};
/* clang-format on */

#define LINE_KEYS (sizeof(line_keys) / sizeof(line_keys[0]))

/* Lines carry the exact upper-case names; nothing else decodes. */
static int
severity_exact(const char *name, enum ev_severity *out)
{
	if (ev_severity_parse(name, out) < 0)
		return -1;
	if (strcmp(name, ev_severity_name(*out)))
		return err_set("unknown severity '%s'", name);
	return 0;
}

int
evlog_check_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	size_t i;

	if (len == 0)
		return err_set("empty name");
	if (len > EVLOG_NAME_MAX)
		return err_set("name longer than %d bytes", EVLOG_NAME_MAX);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '.' && c != '-')
			return err_set("bad character in name '%.*s' "
				       "(want a-z, 0-9, '.', '-')",
				       EVLOG_NAME_MAX, name);
	}
	return 0;
}

static int
is_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

int
evlog_check_vm(const char *name)
{
	if (!name || !*name)
		return err_set("empty VM name");
	if (strlen(name) > EVLOG_VM_MAX)
		return err_set("VM name longer than %d bytes", EVLOG_VM_MAX);
	if (!is_printable(name))
		return err_set("VM name has a space or control character");
	return path_check_name(name);
}

static int
check_event(const struct evlog_event *ev)
{
	if ((unsigned)ev->severity > EV_EMERGENCY)
		return err_set("bad severity %d", (int)ev->severity);
	if (evlog_check_name(ev->subsystem) < 0)
		return err_prefix("bad subsystem");
	if (evlog_check_name(ev->event) < 0)
		return err_prefix("bad event");
	if (ev->vm[0] && evlog_check_vm(ev->vm) < 0)
		return err_prefix("bad VM name");
	if (!ev->host[0] || !is_printable(ev->host))
		return err_set("bad host name");
	if (ev->data && !json_is_object(ev->data))
		return err_set("event data is not a JSON object");
	if (ev->seq < 1)
		return err_set("bad seq %lld", (long long)ev->seq);
	if (!sha256_is_hex(ev->prev))
		return err_set("bad prev hash '%.64s'", ev->prev);
	return 0;
}

static json_t *
event_object(const struct evlog_event *ev)
{
	json_t *obj = json_object();
	json_t *data = ev->data ? json_incref(ev->data) : json_object();
	int bad = !obj || !data;

	bad |= json_object_set_new(obj, "ts", json_string(ev->ts));
	bad |= json_object_set_new(obj, "severity",
				   json_string(ev_severity_name(ev->severity)));
	bad |= json_object_set_new(obj, "subsystem",
				   json_string(ev->subsystem));
	bad |= json_object_set_new(obj, "event", json_string(ev->event));
	bad |= json_object_set_new(
		obj, "vm", ev->vm[0] ? json_string(ev->vm) : json_null());
	bad |= json_object_set_new(obj, "host", json_string(ev->host));
	bad |= json_object_set_new(obj, "seq", json_integer(ev->seq));
	bad |= json_object_set_new(obj, "data", data);
	bad |= json_object_set_new(obj, "prev", json_string(ev->prev));
	if (bad) {
		json_decref(obj);
		err_set("cannot build the event (bad UTF-8 or no memory)");
		return NULL;
	}
	return obj;
}

char *
evlog_encode(const struct evlog_event *ev, size_t *len)
{
	json_t *obj;
	char *line;

	*len = 0;
	if (check_event(ev) < 0)
		return NULL;
	obj = event_object(ev);
	if (!obj)
		return NULL;
	line = json_dumps(obj, EVLOG_JSON_FLAGS);
	json_decref(obj);
	if (!line) {
		err_set("cannot encode the event");
		return NULL;
	}

	*len = strlen(line);
	if (*len > EVLOG_LINE_MAX) {
		free(line);
		*len = 0;
		err_set("event line longer than %d bytes", EVLOG_LINE_MAX);
		return NULL;
	}
	return line;
}

/* Copy a string member into a bounded field. */
static int
take_string(json_t *v, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (!s)
		return err_set("\"%s\" is not a string", key);
	if (len == 0 || len >= size || strlen(s) != len)
		return err_set("\"%s\" is empty, too long or holds NUL", key);
	memcpy(out, s, len + 1);
	return 0;
}

static int
take_ts(json_t *v, struct evlog_event *ev)
{
	if (take_string(v, "ts", ev->ts, sizeof(ev->ts)) < 0)
		return -1;
	if (strlen(ev->ts) != TIME_ISO_LEN - 1 || ev->ts[10] != 'T' ||
	    ev->ts[19] != '.' || ev->ts[26] != 'Z' ||
	    time_parse(ev->ts, &ev->ts_us) < 0)
		return err_set("\"ts\" is not a UTC time with microseconds");
	return 0;
}

static int
take_field(unsigned i, json_t *v, struct evlog_event *ev)
{
	switch (i) {
	case 0: return take_ts(v, ev);
	case 1:
		if (!json_is_string(v))
			return err_set("\"severity\" is not a string");
		return severity_exact(json_string_value(v), &ev->severity);
	case 2:
		if (take_string(v, "subsystem", ev->subsystem,
				sizeof(ev->subsystem)) < 0)
			return -1;
		return evlog_check_name(ev->subsystem);
	case 3:
		if (take_string(v, "event", ev->event, sizeof(ev->event)) < 0)
			return -1;
		return evlog_check_name(ev->event);
	case 4:
		if (json_is_null(v))
			return 0;
		if (take_string(v, "vm", ev->vm, sizeof(ev->vm)) < 0)
			return -1;
		return evlog_check_vm(ev->vm);
	case 5:
		if (take_string(v, "host", ev->host, sizeof(ev->host)) < 0)
			return -1;
		if (!is_printable(ev->host))
			return err_set("\"host\" has a control character");
		return 0;
	case 6:
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return err_set("\"seq\" is not a positive integer");
		ev->seq = json_integer_value(v);
		return 0;
	case 7:
		if (!json_is_object(v))
			return err_set("\"data\" is not an object");
		ev->data = json_incref(v);
		return 0;
	default:
		if (take_string(v, "prev", ev->prev, sizeof(ev->prev)) < 0 ||
		    !sha256_is_hex(ev->prev))
			return err_set("\"prev\" is not 64 hex digits");
		return 0;
	}
}

static int
take_fields(json_t *obj, struct evlog_event *ev)
{
	void *it = json_object_iter(obj);
	unsigned i;

	if (json_object_size(obj) != LINE_KEYS)
		return err_set("%zu keys, want %zu", json_object_size(obj),
			       LINE_KEYS);
	for (i = 0; i < LINE_KEYS; i++, it = json_object_iter_next(obj, it)) {
		if (!it || strcmp(json_object_iter_key(it), line_keys[i]))
			return err_set("key %u is not \"%s\"", i + 1,
				       line_keys[i]);
		if (take_field(i, json_object_iter_value(it), ev) < 0)
			return -1;
	}
	return 0;
}

int
evlog_decode(const char *line, size_t len, struct evlog_event *ev)
{
	json_error_t jerr;
	json_t *obj;

	memset(ev, 0, sizeof(*ev));
	if (len > EVLOG_LINE_MAX) {
		err_set("line longer than %d bytes", EVLOG_LINE_MAX);
		return EVLOG_DECODE_BAD;
	}

	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		err_set("bad JSON at column %d: %s", jerr.column, jerr.text);
		if (json_error_code(&jerr) == json_error_premature_end_of_input)
			return EVLOG_DECODE_TORN;
		return EVLOG_DECODE_BAD;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		err_set("not a JSON object");
		return EVLOG_DECODE_BAD;
	}

	if (take_fields(obj, ev) < 0) {
		json_decref(obj);
		evlog_event_release(ev);
		return EVLOG_DECODE_BAD;
	}
	json_decref(obj);
	return 0;
}

void
evlog_event_release(struct evlog_event *ev)
{
	json_decref(ev->data);
	ev->data = NULL;
}

int
evlog_path_for(int64_t ts_us, char *buf, size_t size)
{
	char dir[PATH_BUF];
	char date[11];
	struct stat st;

	/* Most calls find logs/ made: one stat instead of a mkdir each. */
	if (home_path(dir, sizeof(dir), "logs") < 0)
		return -1;
	if ((stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) &&
	    home_subdir(dir, sizeof(dir), "logs") < 0)
		return -1;
	time_date(ts_us, date);
	return path_fmt(buf, size, "%s/security-%s.log", dir, date);
}

int
evlog_is_log_name(const char *base)
{
	static const char shape[] = "security-dddd-dd-dd.log";
	size_t i;

	if (strlen(base) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? base[i] < '0' || base[i] > '9'
				    : base[i] != shape[i])
			return 0;
	}
	return 1;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append dir/name to the growing list; -1 on no memory. */
static int
add_file(char ***list, size_t *n, size_t *cap, const char *dir,
	 const char *name)
{
	char path[PATH_BUF];
	char **grown;

	if (path_fmt(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -1;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		grown = realloc(*list, *cap * sizeof(**list));
		if (!grown)
			return err_set("out of memory listing '%s'", dir);
		*list = grown;
	}
	(*list)[*n] = strdup(path);
	if (!(*list)[*n])
		return err_set("out of memory listing '%s'", dir);
	(*n)++;
	return 0;
}

int
evlog_files(char ***paths, size_t *n)
{
	char dir[PATH_BUF];
	struct dirent *de;
	char **list = NULL;
	size_t cap = 0;
	DIR *d;

	*paths = NULL;
	*n = 0;
	if (home_subdir(dir, sizeof(dir), "logs") < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return err_errno("cannot open '%s'", dir);

	while ((de = readdir(d)))
		if (evlog_is_log_name(de->d_name) &&
		    add_file(&list, n, &cap, dir, de->d_name) < 0) {
			closedir(d);
			evlog_files_free(list, *n);
			*n = 0;
			return -1;
		}
	closedir(d);

	/* The names hold the date, so their order is the time order. */
	if (*n)
		qsort(list, *n, sizeof(*list), compare_names);
	*paths = list;
	return 0;
}

void
evlog_files_free(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
