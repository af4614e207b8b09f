#include "artifacts.h"

#include "lib/err.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *const kind_names[] = {
	[ARTIFACT_FILE] = "file",	  [ARTIFACT_GLOB] = "glob",
	[ARTIFACT_DIR] = "dir",		  [ARTIFACT_PROC] = "proc",
	[ARTIFACT_FDS] = "fds",		  [ARTIFACT_CHILDREN] = "children",
	[ARTIFACT_COMMAND] = "command",
};

const char *
artifact_kind_name(enum artifact_kind k)
{
	return kind_names[k];
}

static int
kind_parse(const char *text, enum artifact_kind *k)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(text, kind_names[i])) {
			*k = (enum artifact_kind)i;
			return 0;
		}
	return -1;
}

struct loader {
	const char *path;
	yaml_parser_t parser;
	yaml_event_t event;
	int have_event;
};

static int
next(struct loader *l)
{
	if (l->have_event)
		yaml_event_delete(&l->event);
	l->have_event = 0;
	if (!yaml_parser_parse(&l->parser, &l->event))
		return err_set("%s:%zu: %s", l->path,
			       l->parser.problem_mark.line + 1,
			       l->parser.problem ? l->parser.problem
						 : "YAML error");
	l->have_event = 1;
	return 0;
}

static size_t
line(const struct loader *l)
{
	return l->event.start_mark.line + 1;
}

static int
expect(struct loader *l, yaml_event_type_t type, const char *what)
{
	if (next(l) < 0)
		return -1;
	if (l->event.type != type)
		return err_set("%s:%zu: expected %s", l->path, line(l), what);
	return 0;
}

static int
scalar(struct loader *l, char *out, size_t size, const char *key)
{
	const char *value;

	if (expect(l, YAML_SCALAR_EVENT, "a text value") < 0)
		return err_prefix("'%s'", key);
	value = (const char *)l->event.data.scalar.value;
	if (strlen(value) >= size)
		return err_set("%s:%zu: '%s' is longer than %zu bytes",
			       l->path, line(l), key, size - 1);
	memcpy(out, value, strlen(value) + 1);
	return 0;
}

static int
read_argv(struct loader *l, struct artifact *a)
{
	if (expect(l, YAML_SEQUENCE_START_EVENT, "a list for 'argv'") < 0)
		return -1;
	for (;;) {
		if (next(l) < 0)
			return -1;
		if (l->event.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (l->event.type != YAML_SCALAR_EVENT)
			return err_set("%s:%zu: 'argv' holds text only",
				       l->path, line(l));
		if (a->argc >= ARTIFACT_ARGV_MAX)
			return err_set("%s:%zu: more than %d arguments",
				       l->path, line(l), ARTIFACT_ARGV_MAX);
		if (strlen((char *)l->event.data.scalar.value) >=
		    ARTIFACT_TEXT_MAX)
			return err_set("%s:%zu: argument too long", l->path,
				       line(l));
		strcpy(a->argv[a->argc++], (char *)l->event.data.scalar.value);
	}
	return 0;
}

static int
read_field(struct loader *l, struct artifact *a, const char *key,
	   int *have_kind)
{
	char text[ARTIFACT_TEXT_MAX], *end;

	if (!strcmp(key, "argv"))
		return read_argv(l, a);
	if (!strcmp(key, "member"))
		return scalar(l, a->member, sizeof(a->member), key);
	if (!strcmp(key, "path"))
		return scalar(l, a->path, sizeof(a->path), key);
	if (!strcmp(key, "why"))
		return scalar(l, a->why, sizeof(a->why), key);
	if (scalar(l, text, sizeof(text), key) < 0)
		return -1;
	if (!strcmp(key, "kind")) {
		if (kind_parse(text, &a->kind) < 0)
			return err_set("%s:%zu: unknown kind '%s'", l->path,
				       line(l), text);
		*have_kind = 1;
		return 0;
	}
	if (!strcmp(key, "timeout")) {
		a->timeout_s = (int)strtol(text, &end, 10);
		if (*end || a->timeout_s < 1 || a->timeout_s > 600)
			return err_set("%s:%zu: 'timeout' must be seconds "
				       "from 1 to 600",
				       l->path, line(l));
		return 0;
	}
	return err_set("%s:%zu: unknown key '%s'", l->path, line(l), key);
}

static int
check_entry(const struct loader *l, const struct artifact *a, int have_kind,
	    size_t at)
{
	if (!have_kind)
		return err_set("%s:%zu: entry has no 'kind'", l->path, at);
	if (!a->member[0] || a->member[0] == '/' || strstr(a->member, ".."))
		return err_set("%s:%zu: 'member' must be a relative path "
			       "without '..'",
			       l->path, at);
	if (a->kind == ARTIFACT_COMMAND && a->argc == 0)
		return err_set("%s:%zu: a command needs 'argv'", l->path, at);
	if (a->kind != ARTIFACT_COMMAND && !a->path[0])
		return err_set("%s:%zu: a %s needs 'path'", l->path, at,
			       kind_names[a->kind]);
	return 0;
}

static int
read_entry(struct loader *l, struct artifact *a)
{
	char key[64];
	int have_kind = 0;
	size_t at = line(l);

	memset(a, 0, sizeof(*a));
	a->timeout_s = 20;
	for (;;) {
		if (next(l) < 0)
			return -1;
		if (l->event.type == YAML_MAPPING_END_EVENT)
			break;
		if (l->event.type != YAML_SCALAR_EVENT ||
		    strlen((char *)l->event.data.scalar.value) >= sizeof(key))
			return err_set("%s:%zu: expected a key", l->path,
				       line(l));
		strcpy(key, (char *)l->event.data.scalar.value);
		if (read_field(l, a, key, &have_kind) < 0)
			return -1;
	}
	return check_entry(l, a, have_kind, at);
}

static int
read_list(struct loader *l, struct artifact_list *list)
{
	if (expect(l, YAML_STREAM_START_EVENT, "a YAML stream") < 0 ||
	    expect(l, YAML_DOCUMENT_START_EVENT, "a document") < 0 ||
	    expect(l, YAML_MAPPING_START_EVENT, "a mapping") < 0 ||
	    expect(l, YAML_SCALAR_EVENT, "the key 'artifacts'") < 0)
		return -1;
	if (strcmp((char *)l->event.data.scalar.value, "artifacts"))
		return err_set("%s:%zu: expected the key 'artifacts'", l->path,
			       line(l));
	if (expect(l, YAML_SEQUENCE_START_EVENT, "a list of artifacts") < 0)
		return -1;

	for (;;) {
		if (next(l) < 0)
			return -1;
		if (l->event.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (l->event.type != YAML_MAPPING_START_EVENT)
			return err_set("%s:%zu: an artifact is a mapping",
				       l->path, line(l));
		if (list->count >= ARTIFACT_MAX)
			return err_set("%s: more than %d artifacts", l->path,
				       ARTIFACT_MAX);
		if (read_entry(l, &list->items[list->count]) < 0)
			return -1;
		list->count++;
	}
	if (expect(l, YAML_MAPPING_END_EVENT, "nothing after the list") < 0)
		return -1;
	return 0;
}

int
artifacts_load(const char *path, struct artifact_list *list)
{
	struct loader l = {.path = path};
	FILE *f;
	int rc;

	list->count = 0;
	f = fopen(path, "rb");
	if (!f)
		return err_errno("cannot open artifact list '%s'", path);
	if (!yaml_parser_initialize(&l.parser)) {
		fclose(f);
		return err_set("cannot start a YAML parser");
	}
	yaml_parser_set_input_file(&l.parser, f);

	rc = read_list(&l, list);

	if (l.have_event)
		yaml_event_delete(&l.event);
	yaml_parser_delete(&l.parser);
	fclose(f);
	if (rc < 0)
		list->count = 0;
	return rc;
}

static const char *
var_value(const struct artifact_vars *v, const char *name, size_t len,
	  int *known)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{"home", offsetof(struct artifact_vars, home)},
		{"vm", offsetof(struct artifact_vars, vm)},
		{"run", offsetof(struct artifact_vars, run)},
		{"bundle", offsetof(struct artifact_vars, bundle)},
		{"date", offsetof(struct artifact_vars, date)},
		{"yesterday", offsetof(struct artifact_vars, yesterday)},
		{"since", offsetof(struct artifact_vars, since)},
		{"qemu_pid", offsetof(struct artifact_vars, qemu_pid)},
	};
	size_t i;

	*known = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len &&
		    !strncmp(names[i].name, name, len)) {
			*known = 1;
			return *(const char *const *)((const char *)v +
						      names[i].off);
		}
	return NULL;
}

static int
append(char *out, size_t size, size_t *used, const char *text, size_t n)
{
	if (*used + n >= size)
		return -1;
	memcpy(out + *used, text, n);
	*used += n;
	out[*used] = '\0';
	return 0;
}

int
artifact_expand(const char *text, const struct artifact_vars *v, char *out,
		size_t size)
{
	const char *p = text, *close, *value;
	size_t used = 0;
	int known, complete = 1, rc;

	out[0] = '\0';
	while (*p) {
		if (*p != '{' || !(close = strchr(p, '}'))) {
			rc = append(out, size, &used, p++, 1);
		} else {
			value = var_value(v, p + 1, (size_t)(close - p - 1),
					  &known);
			if (!known)
				return err_set("unknown placeholder '%.*s'",
					       (int)(close - p + 1), p);
			if (!value || !*value) {
				complete = 0;
				value = "";
			}
			rc = append(out, size, &used, value, strlen(value));
			p = close + 1;
		}
		if (rc < 0)
			return err_set("'%s' expands to more than %zu bytes",
				       text, size - 1);
	}
	return complete;
}
