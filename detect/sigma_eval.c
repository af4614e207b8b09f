/*
 * sigma_eval: evaluating a compiled rule against one event.
 */
#include "sigma_int.h"

#include "lib/err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYWORD_DEPTH_MAX 32

static inline unsigned char
lc(unsigned char c)
{
	return (unsigned char)(c - 'A') < 26 ? (unsigned char)(c + 32) : c;
}

/* Does s equal the pattern bytes p (already folded unless cased)? */
static int
same(const char *s, const char *p, size_t n, int cased)
{
	size_t i;

	if (cased)
		return !memcmp(s, p, n);
	for (i = 0; i < n; i++)
		if (lc((unsigned char)s[i]) != (unsigned char)p[i])
			return 0;
	return 1;
}

static int
contains(const char *s, size_t n, const char *p, size_t m, int cased)
{
	size_t i;

	if (m == 0)
		return 1;
	if (cased)
		return memmem(s, n, p, m) != NULL;
	for (i = 0; i + m <= n; i++)
		if (lc((unsigned char)s[i]) == (unsigned char)p[0] &&
		    same(s + i + 1, p + 1, m - 1, 0))
			return 1;
	return 0;
}

/* Wildcard match with one backtrack point per star. */
static int
glob(const struct sg_value *v, const char *s, size_t n, int cased)
{
	size_t p = 0, i = 0, star_p = 0, star_i = 0;
	int star = 0;

	while (i < n) {
		if (p < v->len && v->wild[p] == '?') {
			p++, i++;
		} else if (p < v->len && v->wild[p] == '*') {
			star = 1, star_p = p++, star_i = i;
		} else if (p < v->len && same(s + i, v->text + p, 1, cased)) {
			p++, i++;
		} else if (star) {
			p = star_p + 1, i = ++star_i;
		} else {
			return 0;
		}
	}
	while (p < v->len && v->wild[p] == '*')
		p++;
	return p == v->len;
}

static int
text_match(const struct sg_value *v, const char *s, size_t n, int cased)
{
	switch (v->shape) {
	case SH_EXACT: return n == v->len && same(s, v->text, n, cased);
	case SH_PREFIX:
		return n >= v->lit_len && same(s, v->lit, v->lit_len, cased);
	case SH_SUFFIX:
		return n >= v->lit_len &&
		       same(s + n - v->lit_len, v->lit, v->lit_len, cased);
	case SH_CONTAINS: return contains(s, n, v->lit, v->lit_len, cased);
	case SH_ANY: return 1;
	default: return glob(v, s, n, cased);
	}
}

/* The text of a scalar JSON value; buf holds numbers.  NULL otherwise. */
static const char *
text_of(json_t *val, char *buf, size_t size, size_t *len)
{
	int n;

	if (json_is_string(val)) {
		*len = json_string_length(val);
		return json_string_value(val);
	}
	if (json_is_integer(val))
		n = snprintf(buf, size, "%lld",
			     (long long)json_integer_value(val));
	else if (json_is_real(val))
		n = snprintf(buf, size, "%.17g", json_real_value(val));
	else if (json_is_boolean(val))
		n = snprintf(buf, size, "%s",
			     json_is_true(val) ? "true" : "false");
	else
		return NULL;
	if (n < 0 || (size_t)n >= size)
		return NULL;
	*len = (size_t)n;
	return buf;
}

static int
number_of(json_t *val, double *out)
{
	const char *s;
	char *end;

	if (json_is_number(val)) {
		*out = json_number_value(val);
		return 0;
	}
	if (!json_is_string(val))
		return -1;
	s = json_string_value(val);
	if (!*s)
		return -1;
	*out = strtod(s, &end);
	return *end ? -1 : 0;
}

static int
cidr_match(const struct sg_value *v, const char *s)
{
	unsigned char addr[16];
	int full = v->bits / 8, rest = v->bits % 8;
	unsigned char mask;

	if (inet_pton(v->family, s, addr) != 1)
		return 0;
	if (memcmp(addr, v->net, (size_t)full))
		return 0;
	if (!rest)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (addr[full] & mask) == (v->net[full] & mask);
}

static int
match_scalar(const struct sg_item *it, const struct sg_value *v, json_t *val)
{
	char buf[64];
	const char *s;
	size_t n;
	double d;

	if (v->kind == V_NULL)
		return !val || json_is_null(val);
	if (!val || json_is_null(val))
		return 0;
	if (it->op >= OP_LT) {
		if (number_of(val, &d) < 0)
			return 0;
		return it->op == OP_LT	  ? d < v->num
		       : it->op == OP_LTE ? d <= v->num
		       : it->op == OP_GT  ? d > v->num
					  : d >= v->num;
	}
	if (v->kind == V_NUM && json_is_number(val))
		return json_number_value(val) == v->num;
	if (v->kind == V_BOOL && json_is_boolean(val))
		return json_is_true(val) == v->boolean;
	s = text_of(val, buf, sizeof(buf), &n);
	if (!s)
		return 0;
	if (it->op == OP_RE)
		return regexec(&v->re, s, 0, NULL, 0) == 0;
	if (it->op == OP_CIDR)
		return cidr_match(v, s);
	return text_match(v, s, n, it->cased);
}

/* A list in the event matches when one of its elements does. */
static int
match_value(const struct sg_item *it, const struct sg_value *v, json_t *val)
{
	size_t i;
	json_t *el;

	if (!json_is_array(val))
		return match_scalar(it, v, val);
	json_array_foreach(val, i, el) if (match_scalar(it, v, el)) return 1;
	return 0;
}

/* Keywords: a value found in any scalar anywhere in the event. */
static int
keyword_in(const struct sg_item *it, const struct sg_value *v, json_t *val,
	   int depth)
{
	const char *key;
	json_t *el;
	size_t i;

	if (depth > KEYWORD_DEPTH_MAX)
		return 0;
	if (json_is_object(val)) {
		json_object_foreach(
			val, key,
			el) if (keyword_in(it, v, el, depth + 1)) return 1;
		return 0;
	}
	if (json_is_array(val)) {
		json_array_foreach(
			val, i,
			el) if (keyword_in(it, v, el, depth + 1)) return 1;
		return 0;
	}
	return match_scalar(it, v, val);
}

json_t *
sg_event_get(struct sigma_event *ev, const struct sg_path *path)
{
	size_t k = ((uintptr_t)path >> 4) % SIGMA_EVENT_CACHE;
	json_t *val = ev->root;
	size_t i;

	if (ev->cache[k].key == path)
		return ev->cache[k].val;
	for (i = 0; i < path->nparts && val; i++)
		val = json_object_get(val, path->parts[i]);
	ev->cache[k].key = path;
	ev->cache[k].val = val;
	return val;
}

int
sg_item_match(const struct sg_item *it, struct sigma_event *ev)
{
	json_t *val = NULL;
	size_t i;
	int m;

	if (it->path) {
		val = sg_event_get(ev, it->path);
		if (it->op == OP_EXISTS)
			return (val && !json_is_null(val)) == it->v[0].boolean;
	}
	for (i = 0; i < it->nv; i++) {
		m = it->path ? match_value(it, &it->v[i], val)
			     : keyword_in(it, &it->v[i], ev->root, 0);
		if (m != it->all)
			return m;
	}
	return it->all;
}

static int
search_match(const struct sg_search *s, struct sigma_event *ev)
{
	size_t a, i;

	for (a = 0; a < s->n; a++) {
		for (i = 0; i < s->alts[a].n; i++)
			if (!sg_item_match(&s->alts[a].items[i], ev))
				break;
		if (i == s->alts[a].n)
			return 1;
	}
	return 0;
}

/* memo: 0 unknown, 1 false, 2 true, per search. */
static int
eval_search(const struct sigma_rule *r, int idx, struct sigma_event *ev,
	    unsigned char *memo)
{
	if (!memo[idx])
		memo[idx] = (unsigned char)(1 + search_match(&r->searches[idx],
							     ev));
	return memo[idx] == 2;
}

static int
eval_node(const struct sigma_rule *r, int n, struct sigma_event *ev,
	  unsigned char *memo)
{
	const struct sg_node *node = &r->cond.nodes[n];
	size_t i;

	switch (node->kind) {
	case N_SEARCH: return eval_search(r, node->search, ev, memo);
	case N_AND:
		return eval_node(r, node->a, ev, memo) &&
		       eval_node(r, node->b, ev, memo);
	case N_OR:
		return eval_node(r, node->a, ev, memo) ||
		       eval_node(r, node->b, ev, memo);
	case N_NOT: return !eval_node(r, node->a, ev, memo);
	case N_ONE_OF:
		for (i = 0; i < node->nset; i++)
			if (eval_search(r, node->set[i], ev, memo))
				return 1;
		return 0;
	case N_ALL_OF:
		for (i = 0; i < node->nset; i++)
			if (!eval_search(r, node->set[i], ev, memo))
				return 0;
		return 1;
	}
	return 0;
}

int
sg_cond_eval(const struct sigma_rule *r, struct sigma_event *ev)
{
	unsigned char memo[SG_SEARCHES_MAX];

	memset(memo, 0, r->nsearch);
	return eval_node(r, r->cond.root, ev, memo);
}

int
sigma_rule_match(const struct sigma_rule *rule, struct sigma_event *ev)
{
	if (rule->corr || !rule->cond.nodes)
		return 0;
	return sg_cond_eval(rule, ev);
}

void
sg_event_header(struct sigma_event *ev)
{
	json_t *ts, *seq;

	if (ev->ts_us == -1) {
		ts = json_object_get(ev->root, "ts");
		ev->ts_us = 0;
		if (json_is_string(ts) &&
		    time_parse(json_string_value(ts), &ev->ts_us) < 0)
			ev->ts_us = 0;
	}
	if (ev->seq == -1) {
		seq = json_object_get(ev->root, "seq");
		ev->seq = json_is_integer(seq)
				  ? (int64_t)json_integer_value(seq)
				  : 0;
	}
}

void
sigma_event_init(struct sigma_event *ev, json_t *root)
{
	memset(ev, 0, sizeof(*ev));
	ev->root = root;
	ev->ts_us = -1; /* read when a match needs them */
	ev->seq = -1;
}

int
sigma_event_parse(struct sigma_event *ev, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *root;

	memset(ev, 0, sizeof(*ev));
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set("not JSON: %s", jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set("not a JSON object");
	}
	sigma_event_init(ev, root);
	ev->own = 1;
	return 0;
}

void
sigma_event_release(struct sigma_event *ev)
{
	if (ev->own)
		json_decref(ev->root);
	ev->root = NULL;
	ev->own = 0;
}
