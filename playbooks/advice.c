#include "advice.h"

#include "detect/evlog.h"
#include "lib/datadir.h"
#include "lib/err.h"
#include "lib/path.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define ADVICE_LINE_MAX 65536

static const char *const severities[] = {"INFO", "WARNING", "CRITICAL",
					 "EMERGENCY"};

int
advice_severity_rank(const char *severity)
{
	int i;

	for (i = 0; severity && i < 4; i++)
		if (!strcmp(severity, severities[i]))
			return i;
	return -1;
}

void
advice_free(struct advice *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->rows[i].severity);
		free(a->rows[i].subsystem);
		free(a->rows[i].event);
		free(a->rows[i].likely_cause);
		free(a->rows[i].action);
	}
	free(a->rows);
	free(a);
}

static const char *
scalar(yaml_document_t *doc, yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	(void)doc;
	return (const char *)node->data.scalar.value;
}

static int
row_field(struct advice *a, struct advice_row *r, const char *key,
	  const char *value, int line)
{
	static const char *const keys[] = {"severity", "subsystem", "event",
					   "likely_cause", "action"};
	char **slots[] = {&r->severity, &r->subsystem, &r->event,
			  &r->likely_cause, &r->action};
	size_t i;

	for (i = 0; i < 5; i++) {
		if (strcmp(key, keys[i]))
			continue;
		if (*slots[i])
			return err_set("%s:%d: '%s' given twice", a->path, line,
				       key);
		*slots[i] = strdup(value);
		return *slots[i] ? 0 : err_set("out of memory");
	}
	return err_set("%s:%d: unknown key '%s'", a->path, line, key);
}

static int
row_check(struct advice *a, struct advice_row *r)
{
	if (!r->severity)
		r->severity = strdup("any");
	if (!r->severity)
		return err_set("out of memory");
	if (!r->subsystem || !r->event || !r->likely_cause || !r->action)
		return err_set("%s:%d: a row needs subsystem, event, "
			       "likely_cause and action",
			       a->path, r->line);
	if (strcmp(r->severity, "any") &&
	    advice_severity_rank(r->severity) < 0)
		return err_set("%s:%d: unknown severity '%s'", a->path,
			       r->line, r->severity);
	return 0;
}

static int
load_row(struct advice *a, yaml_document_t *doc, yaml_node_t *map)
{
	struct advice_row *r = &a->rows[a->n];
	yaml_node_pair_t *p;
	const char *k, *v;
	int line = (int)map->start_mark.line + 1;

	memset(r, 0, sizeof(*r));
	r->line = line;
	a->n++;
	if (map->type != YAML_MAPPING_NODE)
		return err_set("%s:%d: a row must be a mapping", a->path, line);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = scalar(doc, yaml_document_get_node(doc, p->key));
		v = scalar(doc, yaml_document_get_node(doc, p->value));
		if (!k || !v)
			return err_set("%s:%d: row keys and values must be "
				       "plain text",
				       a->path, line);
		if (row_field(a, r, k, v, line) < 0)
			return -1;
	}
	return row_check(a, r);
}

static yaml_node_t *
rules_node(struct advice *a, yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_pair_t *p;
	const char *k;

	if (!root || root->type != YAML_MAPPING_NODE) {
		err_set("%s: expected a mapping with a 'rules' list", a->path);
		return NULL;
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = scalar(doc, yaml_document_get_node(doc, p->key));
		if (k && !strcmp(k, "rules"))
			return yaml_document_get_node(doc, p->value);
	}
	err_set("%s: no 'rules' list", a->path);
	return NULL;
}

static int
load_doc(struct advice *a, yaml_document_t *doc)
{
	yaml_node_t *rules = rules_node(a, doc);
	yaml_node_item_t *it;
	size_t n;

	if (!rules)
		return -1;
	if (rules->type != YAML_SEQUENCE_NODE)
		return err_set("%s:%d: 'rules' must be a list", a->path,
			       (int)rules->start_mark.line + 1);
	n = (size_t)(rules->data.sequence.items.top -
		     rules->data.sequence.items.start);
	a->rows = calloc(n ? n : 1, sizeof(*a->rows));
	if (!a->rows)
		return err_set("out of memory");
	for (it = rules->data.sequence.items.start;
	     it < rules->data.sequence.items.top; it++)
		if (load_row(a, doc, yaml_document_get_node(doc, *it)) < 0)
			return -1;
	return 0;
}

static int
parse_file(struct advice *a, FILE *f)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return err_set("cannot start the YAML parser");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set("%s:%d: %s", a->path,
			     (int)parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = load_doc(a, &doc);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
advice_load(const char *path, struct advice **out)
{
	struct advice *a;
	FILE *f;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return err_set("out of memory");
	if (path_fmt(a->path, sizeof(a->path), "%s", path) < 0) {
		free(a);
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		free(a);
		return err_errno("cannot open '%s'", path);
	}
	rc = parse_file(a, f);
	fclose(f);
	if (rc < 0) {
		advice_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
advice_load_default(struct advice **out)
{
	char path[PATH_BUF];

	*out = NULL;
	if (datadir_path(path, sizeof(path), "advice.yaml") < 0)
		return -1;
	return advice_load(path, out);
}

/* How well a row's event pattern fits; -1 when it does not match. */
static int
event_score(const char *pattern, const char *event)
{
	int literal = 0;
	const char *p;

	if (!strcmp(pattern, event))
		return 200;
	if (fnmatch(pattern, event, 0) != 0)
		return -1;
	if (!strcmp(pattern, "*"))
		return 0;
	for (p = pattern; *p; p++)
		if (!strchr("*?[]", *p))
			literal++;
	return 100 + (literal < 99 ? literal : 99);
}

static int
row_score(const struct advice_row *r, const char *severity,
	  const char *subsystem, const char *event)
{
	int score = 0, ev;
	int any_sev = !strcmp(r->severity, "any");

	if (!any_sev && (!severity || strcmp(r->severity, severity)))
		return -1;
	if (!any_sev)
		score += 1000;
	if (strcmp(r->subsystem, "any")) {
		if (strcmp(r->subsystem, subsystem))
			return -1;
		score += 10;
	}
	ev = event_score(r->event, event);
	return ev < 0 ? -1 : score + ev;
}

const struct advice_row *
advice_lookup(const struct advice *a, const char *severity,
	      const char *subsystem, const char *event)
{
	const struct advice_row *best = NULL;
	int best_score = -1, s;
	size_t i;

	for (i = 0; i < a->n; i++) {
		s = row_score(&a->rows[i], severity, subsystem, event);
		if (s > best_score) {
			best = &a->rows[i];
			best_score = s;
		}
	}
	return best;
}

int
advice_split_event(const char *text, char sub[ADVICE_NAME_MAX],
		   char event[ADVICE_NAME_MAX])
{
	size_t n = strcspn(text, "./");

	if (!text[n] || n == 0 || !text[n + 1])
		return err_set("'%s' is not SUBSYSTEM.EVENT", text);
	if (n >= ADVICE_NAME_MAX || strlen(text + n + 1) >= ADVICE_NAME_MAX)
		return err_set("'%.40s...' is too long for an event name",
			       text);
	memcpy(sub, text, n);
	sub[n] = '\0';
	strcpy(event, text + n + 1);
	return 0;
}

/* Count one log line into the summary object; -1 if not an event. */
static int
summary_add(json_t *seen, const char *line)
{
	char fsub[ADVICE_NAME_MAX], fname[ADVICE_NAME_MAX], fsev[16];
	json_t *ev = NULL, *entry;
	const char *sub, *name, *sev;
	char key[ADVICE_NAME_MAX * 2 + 2];
	json_int_t count;
	int rc = -1;

	if (evlog_head_field(line, "subsystem", fsub, sizeof(fsub)) == 0 &&
	    evlog_head_field(line, "event", fname, sizeof(fname)) == 0 &&
	    evlog_head_field(line, "severity", fsev, sizeof(fsev)) == 0) {
		sub = fsub;
		name = fname;
		sev = fsev;
	} else {
		ev = json_loads(line, 0, NULL);
		sub = json_string_value(json_object_get(ev, "subsystem"));
		name = json_string_value(json_object_get(ev, "event"));
		sev = json_string_value(json_object_get(ev, "severity"));
	}
	if (!sub || !name || advice_severity_rank(sev) < 0 ||
	    strlen(sub) >= ADVICE_NAME_MAX || strlen(name) >= ADVICE_NAME_MAX)
		goto out;
	snprintf(key, sizeof(key), "%s.%s", sub, name);
	entry = json_object_get(seen, key);
	if (!entry) {
		entry = json_pack("{s:s, s:s, s:i, s:s}", "subsystem", sub,
				  "event", name, "count", 0, "severity", sev);
		json_object_set_new(seen, key, entry);
	}
	count = json_integer_value(json_object_get(entry, "count"));
	json_object_set_new(entry, "count", json_integer(count + 1));
	if (advice_severity_rank(sev) >
	    advice_severity_rank(
		    json_string_value(json_object_get(entry, "severity"))))
		json_object_set_new(entry, "severity", json_string(sev));
	rc = 0;
out:
	json_decref(ev);
	return rc;
}

static int
summary_cmp(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int ra = advice_severity_rank(
		json_string_value(json_object_get(a, "severity")));
	int rb = advice_severity_rank(
		json_string_value(json_object_get(b, "severity")));

	if (ra != rb)
		return rb - ra;
	return strcmp(json_string_value(json_object_get(a, "key")),
		      json_string_value(json_object_get(b, "key")));
}

static json_t *
summary_sorted(const struct advice *a, json_t *seen)
{
	size_t n = json_object_size(seen), i = 0;
	const struct advice_row *r;
	json_t **items, *out, *e;
	const char *key;

	items = calloc(n ? n : 1, sizeof(*items));
	out = json_array();
	if (!items || !out) {
		free(items);
		json_decref(out);
		err_set("out of memory");
		return NULL;
	}
	json_object_foreach(seen, key, e) {
		json_object_set_new(e, "key", json_string(key));
		items[i++] = e;
	}
	qsort(items, n, sizeof(*items), summary_cmp);
	for (i = 0; i < n; i++) {
		e = items[i];
		json_object_del(e, "key");
		r = advice_lookup(
			a, json_string_value(json_object_get(e, "severity")),
			json_string_value(json_object_get(e, "subsystem")),
			json_string_value(json_object_get(e, "event")));
		json_object_set_new(e, "likely_cause",
				    r ? json_string(r->likely_cause)
				      : json_null());
		json_object_set_new(e, "action",
				    r ? json_string(r->action) : json_null());
		json_array_append(out, e);
	}
	free(items);
	return out;
}

/* Skip the rest of a line longer than the buffer. */
static void
skip_line(FILE *f)
{
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n')
		;
}

json_t *
advice_log_summary(const struct advice *a, const char *log_path,
		   long *skipped)
{
	json_t *seen, *out;
	char *line;
	long bad = 0;
	size_t len;
	FILE *f;

	f = fopen(log_path, "re");
	if (!f) {
		err_errno("cannot open '%s'", log_path);
		return NULL;
	}
	line = malloc(ADVICE_LINE_MAX);
	seen = json_object();
	if (!line || !seen) {
		err_set("out of memory");
		goto fail;
	}
	while (fgets(line, ADVICE_LINE_MAX, f)) {
		len = strlen(line);
		if (len == ADVICE_LINE_MAX - 1 && line[len - 1] != '\n') {
			skip_line(f);
			bad++;
			continue;
		}
		if (len > 1 && summary_add(seen, line) < 0)
			bad++;
	}
	if (ferror(f)) {
		err_errno("cannot read '%s'", log_path);
		goto fail;
	}
	out = summary_sorted(a, seen);
	if (out && skipped)
		*skipped = bad;
	free(line);
	json_decref(seen);
	fclose(f);
	return out;

fail:
	free(line);
	json_decref(seen);
	fclose(f);
	return NULL;
}
