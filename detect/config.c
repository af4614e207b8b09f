#include "detect/config.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_FILE_MAX (64 * 1024)
#define CONFIG_LINE_MAX 1024

enum value_kind { V_DURATION, V_SIZE, V_COUNT, V_LIST };

struct key {
	const char *name;
	enum value_kind kind;
	size_t offset;
	int64_t min, max;
};

#define SEC 1000000LL
#define DAY (86400 * SEC)
#define OFF(field) offsetof(struct det_config, field)

/* clang-format off */
static const struct key keys[] = {
	{ "boot_window", V_DURATION, OFF(boot_window_us), 0, DAY },
	{ "command_grace", V_DURATION, OFF(command_grace_us), 0, DAY },
	{ "panic_window", V_DURATION, OFF(panic_window_us), 0, 7 * DAY },
	{ "fd_max", V_COUNT, OFF(fd_max), 1, 1 << 30 },
	{ "rss_overhead_max", V_SIZE, OFF(rss_overhead_max), 1, INT64_MAX / 2 },
	{ "threads_max", V_COUNT, OFF(threads_max), 1, 1 << 30 },
	{ "child_allow", V_LIST, 0, 0, 0 },
	{ "disk_growth_factor", V_COUNT, OFF(disk_growth_factor), 1, 1000000 },
	{ "disk_growth_min", V_SIZE, OFF(disk_growth_min), 0, INT64_MAX / 2 },
	{ "mass_create_per_sec", V_COUNT, OFF(mass_create_per_sec), 1,
	  1 << 30 },
	{ "share_max_depth", V_COUNT, OFF(share_max_depth), 1, 4096 },
	{ "share_max_entries", V_COUNT, OFF(share_max_entries), 1,
	  100000000 },
	{ "correlation_window", V_DURATION, OFF(correlation_window_us), 1,
	  DAY },
	{ "ratelimit_interval", V_DURATION, OFF(ratelimit_interval_us), 0,
	  DAY },
	{ "chan_max_message", V_SIZE, OFF(chan_max_message), 16,
	  16 * 1024 * 1024 },
	{ "hook_timeout", V_DURATION, OFF(hook_timeout_us), 1000,
	  3600 * SEC },
};
/* clang-format on */

static void
allow_add(struct det_config *cfg, const char *name)
{
	snprintf(cfg->child_allow[cfg->n_child_allow++], DET_NAME_MAX, "%s",
		 name);
}

void
det_config_defaults(struct det_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->boot_window_us = 120 * SEC;
	cfg->command_grace_us = 30 * SEC;
	cfg->panic_window_us = 600 * SEC;
	cfg->fd_max = 4096;
	cfg->rss_overhead_max = 1LL << 30;
	cfg->threads_max = 512;
	allow_add(cfg, "tshark");
	allow_add(cfg, "secvf");
	allow_add(cfg, "virtiofsd");
	cfg->disk_growth_factor = 10;
	cfg->disk_growth_min = 64LL << 20;
	cfg->mass_create_per_sec = 200;
	cfg->share_max_depth = 32;
	cfg->share_max_entries = 100000;
	cfg->correlation_window_us = 60 * SEC;
	cfg->ratelimit_interval_us = 10 * SEC;
	cfg->chan_max_message = 64 * 1024;
	cfg->hook_timeout_us = 10 * SEC;
}

/* A non-negative number and its unit suffix; -1 when not a number. */
static int
parse_number(const char *text, int64_t *num, const char **unit)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno)
		return -1;
	*num = v;
	*unit = end;
	return 0;
}

static int
scale(int64_t num, int64_t mult, int64_t *out)
{
	if (num > INT64_MAX / mult)
		return -1;
	*out = num * mult;
	return 0;
}

static int
parse_duration(const char *text, int64_t *us)
{
	const char *unit;
	int64_t num;

	if (parse_number(text, &num, &unit) < 0)
		return -1;
	if (!*unit || !strcmp(unit, "s"))
		return scale(num, SEC, us);
	if (!strcmp(unit, "ms"))
		return scale(num, 1000, us);
	if (!strcmp(unit, "m"))
		return scale(num, 60 * SEC, us);
	if (!strcmp(unit, "h"))
		return scale(num, 3600 * SEC, us);
	return -1;
}

static int
parse_size(const char *text, int64_t *bytes)
{
	const char *unit;
	int64_t num;

	if (parse_number(text, &num, &unit) < 0)
		return -1;
	if (!*unit)
		return scale(num, 1, bytes);
	if (!strcmp(unit, "K"))
		return scale(num, 1LL << 10, bytes);
	if (!strcmp(unit, "M"))
		return scale(num, 1LL << 20, bytes);
	if (!strcmp(unit, "G"))
		return scale(num, 1LL << 30, bytes);
	return -1;
}

static int
parse_count(const char *text, int64_t *n)
{
	const char *unit;

	if (parse_number(text, n, &unit) < 0 || *unit)
		return -1;
	return 0;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* The allow-list: the built-in names, then the comma-separated ones. */
static int
parse_list(struct det_config *cfg, char *value, const char *where)
{
	char *item, *save = NULL;

	cfg->n_child_allow = 0;
	allow_add(cfg, "tshark");
	allow_add(cfg, "secvf");
	allow_add(cfg, "virtiofsd");
	for (item = strtok_r(value, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (!*item || strlen(item) >= DET_NAME_MAX || strchr(item, '/'))
			return err_set("%s: bad process name '%s' in "
				       "'child_allow'",
				       where, item);
		if (det_config_child_allowed(cfg, item))
			continue;
		if (cfg->n_child_allow == DET_ALLOW_MAX)
			return err_set(
				"%s: more than %d names in 'child_allow'",
				where, DET_ALLOW_MAX);
		allow_add(cfg, item);
	}
	return 0;
}

static const char *
kind_hint(enum value_kind kind)
{
	switch (kind) {
	case V_DURATION: return "a duration such as 120s, 500ms, 5m or 1h";
	case V_SIZE: return "a size such as 65536, 64K, 1M or 2G";
	default: return "a whole number";
	}
}

static int
set_value(struct det_config *cfg, const struct key *k, char *value,
	  const char *where)
{
	int64_t v;
	int rc;

	if (k->kind == V_LIST)
		return parse_list(cfg, value, where);
	if (k->kind == V_DURATION)
		rc = parse_duration(value, &v);
	else if (k->kind == V_SIZE)
		rc = parse_size(value, &v);
	else
		rc = parse_count(value, &v);
	if (rc < 0)
		return err_set("%s: bad value '%s' for '%s': expected %s",
			       where, value, k->name, kind_hint(k->kind));
	if (v < k->min || v > k->max)
		return err_set("%s: value '%s' for '%s' is out of range", where,
			       value, k->name);
	*(int64_t *)((char *)cfg + k->offset) = v;
	return 0;
}

static int
parse_line(struct det_config *cfg, char *line, const char *where)
{
	char *eq, *key, *value, *hash;
	size_t i;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return 0;

	eq = strchr(line, '=');
	if (!eq)
		return err_set("%s: expected 'key = value'", where);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, key))
			return set_value(cfg, &keys[i], value, where);
	return err_set("%s: unknown key '%s'", where, key);
}

int
det_config_parse(struct det_config *cfg, const char *text, const char *origin)
{
	char line[CONFIG_LINE_MAX], where[256];
	const char *p = text, *nl;
	size_t len;
	int lineno = 0;

	while (*p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", origin, lineno);
		if (len >= sizeof(line))
			return err_set("%s: line too long", where);
		memcpy(line, p, len);
		line[len] = '\0';
		if (parse_line(cfg, line, where) < 0)
			return -1;
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

int
det_config_load(struct det_config *cfg, const char *path)
{
	char buf[PATH_BUF];
	struct stat st;
	char *text;
	size_t len;
	int rc;

	det_config_defaults(cfg);
	if (!path) {
		if (home_path(buf, sizeof(buf), "detect.conf") < 0)
			return -1;
		path = buf;
	}
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;

	if (file_read_all(path, CONFIG_FILE_MAX, &text, &len) < 0)
		return -1;
	if (strlen(text) != len) {
		free(text);
		return err_set("%s: contains a NUL byte", path);
	}
	rc = det_config_parse(cfg, text, path);
	free(text);
	if (rc < 0)
		det_config_defaults(cfg);
	return rc;
}

int
det_config_child_allowed(const struct det_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_child_allow; i++)
		if (!strcmp(cfg->child_allow[i], name))
			return 1;
	return 0;
}
