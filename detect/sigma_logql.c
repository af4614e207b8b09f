/*
 * sigma_logql: a rule as a LogQL query over the security stream that
 * Promtail ships to Loki, for Grafana alerting.  A condition becomes a
 * label filter expression after "| json" (nested keys joined with
 * "_", as Loki's json stage names them), negations pushed down to the
 * predicates; a correlation becomes an aggregation with a threshold.
 */
#include "sigma_int.h"

#include "lib/err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SELECTOR "{job=\"secvf_security\"}"

struct out {
	char *buf;
	size_t size, len;
};

static int put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		return err_set("query longer than %zu bytes", o->size);
	o->len += (size_t)n;
	return 0;
}

static int
label(struct out *o, const struct sg_path *p)
{
	const char *s;

	for (s = p->text; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return err_set("field '%s' is no Loki label name",
				       p->text);
	for (s = p->text; *s; s++)
		if (put(o, "%c", *s == '.' ? '_' : *s) < 0)
			return -1;
	return 0;
}

/* Fields whose values secvf writes in one case only. */
static int
canonical_case(const struct sg_path *p, int *upper)
{
	*upper = !strcmp(p->text, "severity");
	return *upper || !strcmp(p->text, "subsystem") ||
	       !strcmp(p->text, "event");
}

static int
plain_text(const struct sg_value *v)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (v->text[i] == '"' || v->text[i] == '\\' ||
		    !isprint((unsigned char)v->text[i]))
			return 0;
	return 1;
}

/* The value as an RE2 pattern, anchored as LogQL's =~ is. */
static int
glob_regex(struct out *o, const struct sg_item *it, const struct sg_value *v)
{
	size_t i;

	if (!it->cased && put(o, "(?i)") < 0)
		return -1;
	for (i = 0; i < v->len; i++) {
		char c = v->text[i];
		int w = v->wild ? v->wild[i] : 0;

		if (c == '`' && !w)
			return err_set("a backquote in a value");
		if (w && put(o, "%s", w == '*' ? ".*" : ".") < 0)
			return -1;
		if (!w && strchr("\\.+*?()|[]{}^$", c) && put(o, "\\") < 0)
			return -1;
		if (!w && put(o, "%c", c) < 0)
			return -1;
	}
	return 0;
}

static int
match_pred(struct out *o, const struct sg_item *it, const struct sg_value *v,
	   int neg)
{
	int upper = 0;
	size_t i;

	if (v->kind == V_NULL)
		return put(o, "%s\"\"", neg ? "!=" : "=");
	if (v->kind == V_NUM && !v->wild)
		return put(o, " %s %.17g", neg ? "!=" : "==", v->num);
	if (!v->wild && plain_text(v) &&
	    (it->cased || canonical_case(it->path, &upper))) {
		if (put(o, "%s\"", neg ? "!=" : "=") < 0)
			return -1;
		for (i = 0; i < v->len; i++)
			if (put(o, "%c",
				it->cased || !upper
					? v->text[i]
					: toupper((unsigned char)v->text[i])) <
			    0)
				return -1;
		return put(o, "\"");
	}
	if (put(o, "%s`", neg ? "!~" : "=~") < 0 || glob_regex(o, it, v) < 0)
		return -1;
	return put(o, "`");
}

static int
pred(struct out *o, const struct sg_item *it, const struct sg_value *v, int neg)
{
	static const char *const cmp[] = {"<", "<=", ">", ">="};
	static const char *const flip[] = {">=", ">", "<=", "<"};

	if (label(o, it->path) < 0)
		return -1;
	switch (it->op) {
	case OP_MATCH: return match_pred(o, it, v, neg);
	case OP_CIDR:
		return err_set("cidr on field '%s' (Loki's ip() filter takes "
			       "the network as written; not translated)",
			       it->path->text);
	case OP_EXISTS:
		return put(o, "%s\"\"", (v->boolean != neg) ? "!=" : "=");
	default: /* OP_RE is refused by item(); lt, lte, gt, gte */
		return put(o, " %s %.17g", (neg ? flip : cmp)[it->op - OP_LT],
			   v->num);
	}
}

/* An item: its values OR'ed (AND'ed with all), negated when neg. */
static int
item(struct out *o, const struct sg_item *it, int neg)
{
	int and = it->all != neg;
	size_t i;

	if (!it->path)
		return err_set("keyword searches have no label filter "
			       "equivalent");
	if (it->op == OP_RE)
		return err_set("regular expressions are not translated "
			       "(field '%s')",
			       it->path->text);
	if (it->nv > 1 && put(o, "(") < 0)
		return -1;
	for (i = 0; i < it->nv; i++) {
		if (i && put(o, " %s ", and? "and" : "or") < 0)
			return -1;
		if (pred(o, it, &it->v[i], neg) < 0)
			return -1;
	}
	return it->nv > 1 ? put(o, ")") : 0;
}

static int
alt(struct out *o, const struct sg_alt *a, int neg)
{
	size_t i;

	if (a->n > 1 && put(o, "(") < 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		if (i && put(o, " %s ", neg ? "or" : "and") < 0)
			return -1;
		if (item(o, &a->items[i], neg) < 0)
			return -1;
	}
	return a->n > 1 ? put(o, ")") : 0;
}

static int
search(struct out *o, const struct sg_search *s, int neg)
{
	size_t i;

	if (s->n > 1 && put(o, "(") < 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		if (i && put(o, " %s ", neg ? "and" : "or") < 0)
			return -1;
		if (alt(o, &s->alts[i], neg) < 0)
			return -1;
	}
	return s->n > 1 ? put(o, ")") : 0;
}

static int node(struct out *o, const struct sigma_rule *r, int n, int neg);

static int
binary(struct out *o, const struct sigma_rule *r, const struct sg_node *nd,
       int neg)
{
	int and = (nd->kind == N_AND) != neg;

	if (put(o, "(") < 0 || node(o, r, nd->a, neg) < 0 ||
	    put(o, " %s ", and? "and" : "or") < 0 || node(o, r, nd->b, neg) < 0)
		return -1;
	return put(o, ")");
}

static int
of_set(struct out *o, const struct sigma_rule *r, const struct sg_node *nd,
       int neg)
{
	int and = (nd->kind == N_ALL_OF) != neg;
	size_t i;

	if (nd->nset > 1 && put(o, "(") < 0)
		return -1;
	for (i = 0; i < nd->nset; i++) {
		if (i && put(o, " %s ", and? "and" : "or") < 0)
			return -1;
		if (search(o, &r->searches[nd->set[i]], neg) < 0)
			return -1;
	}
	return nd->nset > 1 ? put(o, ")") : 0;
}

static int
node(struct out *o, const struct sigma_rule *r, int n, int neg)
{
	const struct sg_node *nd = &r->cond.nodes[n];

	switch (nd->kind) {
	case N_SEARCH: return search(o, &r->searches[nd->search], neg);
	case N_NOT: return node(o, r, nd->a, !neg);
	case N_AND:
	case N_OR: return binary(o, r, nd, neg);
	default: return of_set(o, r, nd, neg);
	}
}

/* "{job=...} | json | FILTER" for a simple rule. */
static int
pipeline(struct out *o, const struct sigma_rule *r)
{
	if (put(o, SELECTOR " | json | ") < 0)
		return -1;
	return node(o, r, r->cond.root, 0);
}

/* A range in LogQL's units: 30s, 10m, 1h, 1d. */
static int
range(struct out *o, int s)
{
	if (s % 86400 == 0)
		return put(o, "[%dd]", s / 86400);
	if (s % 3600 == 0)
		return put(o, "[%dh]", s / 3600);
	if (s % 60 == 0)
		return put(o, "[%dm]", s / 60);
	return put(o, "[%ds]", s);
}

static int
group_by(struct out *o, const struct sg_corr *c, const struct sg_path *extra)
{
	size_t i;

	if (put(o, " by (") < 0)
		return -1;
	for (i = 0; i < c->ngroup; i++)
		if ((i && put(o, ", ") < 0) || label(o, c->group[i]) < 0)
			return -1;
	if (extra && ((c->ngroup && put(o, ", ") < 0) || label(o, extra) < 0))
		return -1;
	return put(o, ")");
}

static int
threshold(struct out *o, const struct sg_corr *c)
{
	if (put(o, " >= %lld", (long long)c->lo) < 0)
		return -1;
	return c->hi >= 0 ? put(o, " <= %lld", (long long)c->hi) : 0;
}

static int
correlation(struct out *o, const struct sigma_engine *e,
	    const struct sigma_rule *r, int window)
{
	const struct sg_corr *c = r->corr;
	const struct sigma_rule *t;
	size_t i;

	if (c->type == C_TEMPORAL)
		return err_set("temporal correlations have no LogQL "
			       "equivalent (one query cannot join rules)");
	if (c->nrefs != 1)
		return err_set("a correlation over several rules is not "
			       "translated");
	for (i = 0, t = NULL; e && i < sigma_engine_count(e); i++) {
		t = sigma_engine_rule(e, i);
		if (!strcmp(t->id, c->refs[0]) ||
		    (t->name && !strcmp(t->name, c->refs[0])))
			break;
		t = NULL;
	}
	if (!t || t->corr)
		return err_set("the rule '%s' it counts is not loaded",
			       c->refs[0]);
	if (c->type == C_VALUE_COUNT &&
	    (put(o, "count") < 0 || group_by(o, c, NULL) < 0 ||
	     put(o, " (") < 0))
		return -1;
	if (put(o, "sum") < 0 ||
	    group_by(o, c, c->type == C_VALUE_COUNT ? c->field : NULL) < 0 ||
	    put(o, " (count_over_time(") < 0 || pipeline(o, t) < 0 ||
	    put(o, " ") < 0 || range(o, window) < 0 || put(o, "))") < 0)
		return -1;
	if (c->type == C_VALUE_COUNT && put(o, ")") < 0)
		return -1;
	return threshold(o, c);
}

int
sigma_rule_window(const struct sigma_rule *rule)
{
	if (rule->corr)
		return (int)(rule->corr->span_us / 1000000);
	return 600;
}

int
sigma_rule_logql(const struct sigma_engine *e, const struct sigma_rule *rule,
		 int window_s, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	int rc;

	if (size)
		buf[0] = '\0';
	if (rule->corr)
		rc = correlation(&o, e, rule, window_s);
	else if (put(&o, "count_over_time(") < 0 || pipeline(&o, rule) < 0 ||
		 put(&o, " ") < 0 || range(&o, window_s) < 0 ||
		 put(&o, ") > 0") < 0)
		rc = -1;
	else
		rc = 0;
	if (rc < 0 && size)
		buf[0] = '\0';
	return rc;
}
