/*
 * sigma_engine: a set of rules sharing their field paths, fed events
 * one by one; matches go to a callback and to the security log.
 */
#include "sigma_int.h"

#include "lib/err.h"
#include "lib/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sigma_engine {
	unsigned flags;
	struct sg_fields *fields;
	struct sg_path *subsystem;
	struct sigma_rule **rules;
	size_t n, cap;
	int finished;
};

struct sigma_engine *
sigma_engine_new(unsigned flags)
{
	struct sigma_engine *e = calloc(1, sizeof(*e));

	if (!e) {
		err_set("out of memory");
		return NULL;
	}
	e->flags = flags;
	e->fields = sg_fields_new();
	if (!e->fields ||
	    !(e->subsystem = sg_fields_get(e->fields, "subsystem"))) {
		sigma_engine_free(e);
		return NULL;
	}
	return e;
}

void
sigma_engine_free(struct sigma_engine *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		sigma_rule_free(e->rules[i]);
	free(e->rules);
	sg_fields_unref(e->fields);
	free(e);
}

static struct sigma_rule *
find_rule(const struct sigma_engine *e, const char *ref)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->rules[i]->id, ref) ||
		    (e->rules[i]->name && !strcmp(e->rules[i]->name, ref)))
			return e->rules[i];
	return NULL;
}

static int
append(struct sigma_engine *e, struct sigma_rule *r)
{
	struct sigma_rule **v;

	if (e->n == e->cap) {
		v = realloc(e->rules, (e->cap ? e->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return err_set("out of memory");
		e->rules = v;
		e->cap = e->cap ? e->cap * 2 : 16;
	}
	e->rules[e->n++] = r;
	e->finished = 0;
	return 0;
}

int
sigma_engine_add_file(struct sigma_engine *e, const char *path, unsigned flags,
		      struct sigma_problems *probs)
{
	struct sigma_problems local = {0};
	struct sigma_rule *r, *old;
	char *text;
	size_t len;
	int rc;

	if (!probs)
		probs = &local;
	if (file_read_all(path, SIGMA_FILE_MAX, &text, &len) < 0) {
		sg_problem(probs, path, 0, "%s", err_msg());
		rc = -1;
		goto out;
	}
	rc = sg_rule_parse(text, len, path, e->fields, &r, probs);
	free(text);
	if (rc < 0)
		goto out;
	old = find_rule(e, r->id);
	if (old && (flags & SIGMA_SKIP_DUPLICATES)) {
		sigma_rule_free(r);
	} else if (old) {
		sg_problem(probs, path, 0,
			   "rule id %s is already loaded from "
			   "'%s'",
			   r->id, old->file);
		sigma_rule_free(r);
		rc = -1;
	} else if ((rc = append(e, r)) < 0) {
		sigma_rule_free(r);
	}
out:
	sigma_problems_release(&local);
	return rc;
}

static int
is_rule_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	return (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rule file names of dir, sorted; *n = 0 when dir is absent. */
static int
list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : err_errno("cannot open '%s'", dir);
	while ((de = readdir(d))) {
		if (!is_rule_name(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[*n] = strdup(de->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (de) {
		while (*n)
			free(v[--*n]);
		free(v);
		return err_set("out of memory");
	}
	qsort(v, *n, sizeof(*v), by_name);
	*names = v;
	return 0;
}

int
sigma_engine_add_dir(struct sigma_engine *e, const char *dir, unsigned flags,
		     struct sigma_problems *probs)
{
	char path[PATH_BUF];
	char **names;
	size_t n, i;
	int rc = 0;

	if (list_dir(dir, &names, &n) < 0) {
		if (probs)
			sg_problem(probs, dir, 0, "%s", err_msg());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (path_fmt(path, sizeof(path), "%s/%s", dir, names[i]) < 0 ||
		    sigma_engine_add_file(e, path, flags, probs) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
resolve(struct sigma_engine *e, struct sigma_rule *r,
	struct sigma_problems *probs)
{
	struct sg_corr *c = r->corr;
	struct sigma_rule *t;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nrefs; i++) {
		t = find_rule(e, c->refs[i]);
		if (!t || t->corr) {
			sg_problem(probs, r->file, 0,
				   "rule '%s': correlation refers to '%s', "
				   "%s",
				   r->title, c->refs[i],
				   t ? "a correlation (not supported)"
				     : "which is not loaded");
			rc = -1;
			continue;
		}
		c->targets[i] = t;
		t->referenced = 1;
		t->generate |= c->generate;
	}
	return rc;
}

int
sigma_engine_finish(struct sigma_engine *e, struct sigma_problems *probs)
{
	struct sigma_problems local = {0};
	size_t i;
	int rc = 0;

	if (!probs)
		probs = &local;
	for (i = 0; i < e->n; i++)
		if (e->rules[i]->corr && resolve(e, e->rules[i], probs) < 0)
			rc = -1;
	sigma_problems_release(&local);
	e->finished = rc == 0;
	return rc;
}

size_t
sigma_engine_count(const struct sigma_engine *e)
{
	return e->n;
}

const struct sigma_rule *
sigma_engine_rule(const struct sigma_engine *e, size_t i)
{
	return i < e->n ? e->rules[i] : NULL;
}

static int
record(const struct sigma_match *m)
{
	const struct sigma_rule *r = m->rule;
	json_t *data, *seqs = json_array();
	size_t i;
	int rc;

	for (i = 0; seqs && i < m->nseqs; i++)
		json_array_append_new(seqs, json_integer(m->seqs[i]));
	data = json_pack("{s:s, s:s, s:s, s:o*}", "rule_id", r->id, "title",
			 r->title, "level", sigma_level_name(r->level), "seqs",
			 seqs);
	if (!data)
		return err_set("out of memory");
	rc = evlog_write(sigma_level_severity(r->level), "sigma", "rule.match",
			 m->vm && evlog_check_vm(m->vm) == 0 ? m->vm : NULL,
			 data);
	json_decref(data);
	return rc;
}

static int
emit(struct sigma_engine *e, struct sigma_match *m, sigma_match_fn fn,
     void *arg)
{
	if (fn)
		fn(m, arg);
	if ((e->flags & SIGMA_WRITE_EVENTS) && record(m) < 0)
		return err_prefix("cannot record a match of '%s'",
				  m->rule->title);
	return 0;
}

static int
emit_simple(struct sigma_engine *e, struct sigma_rule *r,
	    struct sigma_event *ev, sigma_match_fn fn, void *arg)
{
	json_t *vm = json_object_get(ev->root, "vm");
	struct sigma_match m = {.rule = r, .nseqs = 1};

	sg_event_header(ev);
	m.seqs = &ev->seq;
	m.ts_us = ev->ts_us;
	m.vm = json_is_string(vm) ? json_string_value(vm) : NULL;
	return emit(e, &m, fn, arg);
}

static int
emit_hit(struct sigma_engine *e, struct sigma_rule *r, struct sigma_event *ev,
	 const struct sg_corr_hit *hit, sigma_match_fn fn, void *arg)
{
	struct sigma_match m = {.rule = r, .seqs = hit->seqs};

	m.nseqs = hit->nseqs;
	m.ts_us = ev ? ev->ts_us : 0;
	m.vm = hit->vm[0] ? hit->vm : NULL;
	return emit(e, &m, fn, arg);
}

static int
feed_corr(struct sigma_engine *e, struct sigma_rule *r, struct sigma_event *ev,
	  sigma_match_fn fn, void *arg)
{
	struct sg_corr_hit hit;
	size_t i;
	int n = 0;

	for (i = 0; i < r->corr->nrefs; i++) {
		if (!r->corr->targets[i]->matched)
			continue;
		if (sg_corr_feed(r->corr, i, ev, &hit) < 0)
			return -1;
		if (hit.fired && emit_hit(e, r, ev, &hit, fn, arg) < 0)
			return -1;
		n += hit.fired;
	}
	return n;
}

static int
is_own_event(struct sigma_engine *e, struct sigma_event *ev)
{
	json_t *s = sg_event_get(ev, e->subsystem);

	return json_is_string(s) && !strcmp(json_string_value(s), "sigma");
}

int
sigma_engine_feed_event(struct sigma_engine *e, struct sigma_event *ev,
			sigma_match_fn fn, void *arg)
{
	struct sigma_rule *r;
	size_t i;
	int n = 0, k;

	if (!e->finished && sigma_engine_finish(e, NULL) < 0)
		return -1;
	if (is_own_event(e, ev))
		return 0;
	/*
	 * NEEDSWORK: every rule is tried; an index of the exact subsystem
	 * and event values rules require would skip most of hundreds.
	 */
	for (i = 0; i < e->n; i++) {
		r = e->rules[i];
		if (r->corr)
			continue;
		r->matched = sg_cond_eval(r, ev);
		if (!r->matched || (r->referenced && !r->generate))
			continue;
		if (emit_simple(e, r, ev, fn, arg) < 0)
			return -1;
		n++;
	}
	for (i = 0; i < e->n; i++) {
		if (!e->rules[i]->corr)
			continue;
		if ((k = feed_corr(e, e->rules[i], ev, fn, arg)) < 0)
			return -1;
		n += k;
	}
	return n;
}

int
sigma_engine_feed(struct sigma_engine *e, const char *line, size_t len,
		  sigma_match_fn fn, void *arg)
{
	struct sigma_event ev;
	int n;

	if (sigma_event_parse(&ev, line, len) < 0)
		return -1;
	n = sigma_engine_feed_event(e, &ev, fn, arg);
	sigma_event_release(&ev);
	return n;
}

int
sigma_engine_flush(struct sigma_engine *e, sigma_match_fn fn, void *arg)
{
	struct sg_corr_hit hit;
	size_t i;
	int n = 0;

	for (i = 0; i < e->n; i++) {
		if (!e->rules[i]->corr)
			continue;
		while (sg_corr_flush(e->rules[i]->corr, &hit) == 1) {
			if (emit_hit(e, e->rules[i], NULL, &hit, fn, arg) < 0)
				return -1;
			n++;
		}
	}
	return n;
}

int
sigma_rule_refers_to(const struct sigma_rule *corr,
		     const struct sigma_rule *target)
{
	size_t i;

	for (i = 0; corr->corr && i < corr->corr->nrefs; i++)
		if (corr->corr->targets[i] == target)
			return 1;
	return 0;
}
