/*
 * sigma_load: a rule file read with libyaml and compiled: metadata
 * checked, search identifiers and their items built, the condition
 * parsed.  Every problem is collected with its file and line, so that
 * one pass over a rule names all of them.
 */
#include "sigma_int.h"

#include "lib/err.h"
#include "lib/fileio.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define TEXT_MAX 4096 /* title, description and other metadata */

struct ld {
	const char *file;
	yaml_document_t *doc;
	struct sigma_problems *probs;
	size_t first_problem; /* probs->n when this rule began */
	struct sigma_rule *r;
	size_t visits;
};

static const char *const level_names[] = {
	"informational", "low", "medium", "high", "critical",
};

const char *
sigma_level_name(enum sigma_level level)
{
	if ((unsigned)level > SIGMA_CRITICAL)
		return "?";
	return level_names[level];
}

enum ev_severity
sigma_level_severity(enum sigma_level level)
{
	switch (level) {
	case SIGMA_MEDIUM: return EV_WARNING;
	case SIGMA_HIGH: return EV_CRITICAL;
	case SIGMA_CRITICAL: return EV_EMERGENCY;
	default: return EV_INFO;
	}
}

void
sg_problem(struct sigma_problems *p, const char *file, long line,
	   const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	char full[ERR_MSG_MAX + PATH_BUF];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%ld: %s", file, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	if (p->n == 0)
		err_set("%s", full);
	if (p->kept < SIGMA_PROBLEMS_MAX)
		p->msg[p->kept++] = strdup(full);
	p->n++;
}

void
sigma_problems_release(struct sigma_problems *p)
{
	size_t i;

	for (i = 0; i < p->kept; i++)
		free(p->msg[i]);
	memset(p, 0, sizeof(*p));
}

static yaml_node_t *node_at(struct ld *c, int idx);
static const char *scalar(const yaml_node_t *n);

/* Is the key of pair upto repeated before it in map? */
static int
dup_key(struct ld *c, yaml_node_t *map, yaml_node_pair_t *upto)
{
	yaml_node_pair_t *p;
	const char *a = scalar(node_at(c, upto->key)), *b;

	for (p = map->data.mapping.pairs.start; p < upto; p++) {
		b = scalar(node_at(c, p->key));
		if (a && b && !strcmp(a, b))
			return 1;
	}
	return 0;
}

/* Report every repeated key of a map; 1 when there was one. */
static int has_dups(struct ld *c, yaml_node_t *map);

static long
line_of(const yaml_node_t *n)
{
	return n ? (long)n->start_mark.line + 1 : 0;
}

/* A problem at node n; msg from err_msg() when fmt is NULL. */
static void bad(struct ld *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
bad(struct ld *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sg_problem(c->probs, c->file, line_of(n), "%s", msg);
}

/* How messages name the rule: its title, else its file. */
static const char *
rule_name(const struct ld *c)
{
	return c->r->title ? c->r->title : c->file;
}

static int
failed(const struct ld *c)
{
	return c->probs->n > c->first_problem;
}

static yaml_node_t *
node_at(struct ld *c, int idx)
{
	if (++c->visits > SG_NODES_MAX)
		return NULL;
	return yaml_document_get_node(c->doc, idx);
}

static const char *
scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static int
has_dups(struct ld *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	int any = 0;

	if (map->type != YAML_MAPPING_NODE)
		return 0;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++)
		if (dup_key(c, map, p)) {
			bad(c, node_at(c, p->key), "duplicate key '%s'",
			    scalar(node_at(c, p->key)));
			any = 1;
		}
	return any;
}

static int
is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A metadata string: a scalar of at most TEXT_MAX bytes, copied. */
static void
take_text(struct ld *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = scalar(n);

	if (!s || strlen(s) > TEXT_MAX) {
		bad(c, n, "'%s' must be text of at most %d bytes", key,
		    TEXT_MAX);
		return;
	}
	free(*out);
	*out = strdup(s);
	if (!*out)
		bad(c, n, "out of memory");
}

/* A list of strings (or one string where one=1 allows it). */
static void
check_strings(struct ld *c, yaml_node_t *n, const char *key, int one)
{
	yaml_node_item_t *it;
	yaml_node_t *el;

	if (n->type == YAML_SCALAR_NODE && one)
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		bad(c, n, "'%s' must be a list of strings", key);
		return;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		el = node_at(c, *it);
		if (!scalar(el))
			bad(c, el ? el : n, "'%s' must be a list of strings",
			    key);
	}
}

static int
is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-'
				    : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
pick(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static void
take_level(struct ld *c, yaml_node_t *n)
{
	int i = pick(scalar(n), level_names, 5);

	if (i < 0)
		bad(c, n,
		    "level must be informational, low, medium, high "
		    "or critical");
	else
		c->r->level = (enum sigma_level)i;
}

static void
take_status(struct ld *c, yaml_node_t *n)
{
	static const char *const names[] = {
		"stable", "test", "experimental", "deprecated", "unsupported",
	};

	if (pick(scalar(n), names, 5) < 0)
		bad(c, n,
		    "status must be stable, test, experimental, "
		    "deprecated or unsupported");
	else
		take_text(c, n, "status", &c->r->status);
}

static void
take_logsource(struct ld *c, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *key;

	if (n->type != YAML_MAPPING_NODE) {
		bad(c, n, "logsource must be a map");
		return;
	}
	if (has_dups(c, n))
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		k = node_at(c, p->key);
		v = node_at(c, p->value);
		key = scalar(k);
		if (!key || !v) {
			bad(c, n, "bad logsource key");
		} else if (!strcmp(key, "category")) {
			take_text(c, v, key, &c->r->ls_category);
		} else if (!strcmp(key, "product")) {
			take_text(c, v, key, &c->r->ls_product);
		} else if (!strcmp(key, "service")) {
			take_text(c, v, key, &c->r->ls_service);
		} else if (strcmp(key, "definition") || !scalar(v)) {
			bad(c, k, "unknown logsource key '%s'", key);
		}
	}
}

/* Metadata keys that are checked for shape and otherwise kept out. */
static int
other_metadata(struct ld *c, const char *key, yaml_node_t *v)
{
	static const char *const texts[] = {
		"author", "date", "modified", "license", "taxonomy",
	};
	static const char *const lists[] = {
		"references",
		"tags",
		"fields",
		"scope",
	};
	char *ignored = NULL;

	if (pick(key, texts, 5) >= 0) {
		take_text(c, v, key, &ignored);
		free(ignored);
	} else if (pick(key, lists, 4) >= 0) {
		check_strings(c, v, key, 0);
	} else if (!strcmp(key, "falsepositives")) {
		check_strings(c, v, key, 1);
	} else if (!strcmp(key, "related")) {
		if (v->type != YAML_SEQUENCE_NODE)
			bad(c, v, "'related' must be a list");
	} else {
		return 0;
	}
	return 1;
}

static void
take_meta(struct ld *c, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	struct sigma_rule *r = c->r;

	if (!strcmp(key, "title"))
		take_text(c, v, key, &r->title);
	else if (!strcmp(key, "id"))
		take_text(c, v, key, &r->id);
	else if (!strcmp(key, "name"))
		take_text(c, v, key, &r->name);
	else if (!strcmp(key, "description"))
		take_text(c, v, key, &r->description);
	else if (!strcmp(key, "status"))
		take_status(c, v);
	else if (!strcmp(key, "level"))
		take_level(c, v);
	else if (!strcmp(key, "logsource"))
		take_logsource(c, v);
	else if (!strcmp(key, "action"))
		bad(c, k,
		    "rule collections ('action: %s') are not "
		    "supported: write one rule per file",
		    scalar(v) ? scalar(v) : "?");
	else if (!other_metadata(c, key, v))
		bad(c, k, "unknown key '%s' (not in the supported subset)",
		    key);
}

/* ---- detection ---- */

enum wrap { WRAP_NONE, WRAP_CONTAINS, WRAP_START, WRAP_END };

/* re|s: a flag of ours beside regcomp's, dropped before regcomp. */
#define RE_DOTALL 0x100000

struct mods {
	enum wrap wrap;
	int re_flags;
	int saw_re;
};

static int
set_op(struct sg_item *it, enum sg_op op, const char *name)
{
	if (it->op != OP_MATCH)
		return err_set("modifier '%s' cannot be combined with "
			       "another of re, cidr, exists, lt, lte, gt, "
			       "gte",
			       name);
	it->op = op;
	return 0;
}

static int
one_mod(struct sg_item *it, struct mods *m, const char *name)
{
	static const char *const ops[] = {"lt", "lte", "gt", "gte"};
	static const char *const unsupported[] = {
		"base64", "base64offset", "utf16le",  "utf16be", "wide",
		"utf16",  "windash",	  "fieldref", "expand",
	};
	int i;

	if ((i = pick(name,
		      (const char *const[]){"contains", "startswith",
					    "endswith"},
		      3)) >= 0) {
		if (m->wrap != WRAP_NONE)
			return err_set("only one of contains, startswith, "
				       "endswith may be given");
		m->wrap = (enum wrap)(i + 1);
	} else if (!strcmp(name, "all")) {
		it->all = 1;
	} else if (!strcmp(name, "cased")) {
		it->cased = 1;
	} else if (!strcmp(name, "re")) {
		m->saw_re = 1;
		return set_op(it, OP_RE, name);
	} else if (m->saw_re &&
		   (i = pick(name, (const char *const[]){"i", "m", "s"}, 3)) >=
			   0) {
		m->re_flags |= i == 0	? REG_ICASE
			       : i == 1 ? REG_NEWLINE
					: RE_DOTALL;
	} else if (!strcmp(name, "cidr")) {
		return set_op(it, OP_CIDR, name);
	} else if (!strcmp(name, "exists")) {
		return set_op(it, OP_EXISTS, name);
	} else if ((i = pick(name, ops, 4)) >= 0) {
		return set_op(it, (enum sg_op)(OP_LT + i), name);
	} else if (pick(name, unsupported, 9) >= 0) {
		return err_set("modifier '%s' is not supported", name);
	} else {
		return err_set("unknown modifier '%s'", name);
	}
	return 0;
}

/* Parse "field|mod|mod" into it and m. */
static int
parse_key(struct sg_fields *fields, const char *key, struct sg_item *it,
	  struct mods *m)
{
	char buf[512];
	char *save = NULL, *tok, *bar;

	if (strlen(key) >= sizeof(buf))
		return err_set("field name too long");
	strcpy(buf, key);
	bar = strchr(buf, '|');
	if (bar)
		*bar = '\0';
	if (!buf[0])
		return err_set("empty field name");
	it->path = sg_fields_get(fields, buf);
	if (!it->path)
		return -1;
	for (tok = bar ? strtok_r(bar + 1, "|", &save) : NULL; tok;
	     tok = strtok_r(NULL, "|", &save))
		if (one_mod(it, m, tok) < 0)
			return -1;
	if (m->wrap != WRAP_NONE && it->op != OP_MATCH)
		return err_set("contains, startswith and endswith apply to "
			       "plain values only");
	if (it->cased && it->op != OP_MATCH)
		return err_set("cased applies to plain values only (use re|i "
			       "for regular expressions)");
	if ((m->re_flags & REG_NEWLINE) && (m->re_flags & RE_DOTALL))
		return err_set("re|m|s together cannot be expressed in POSIX "
			       "ERE");
	m->re_flags &= ~RE_DOTALL;
	if (it->all && it->op == OP_EXISTS)
		return err_set("all cannot be combined with exists");
	return 0;
}

static int
add_value(struct sg_item *it, const struct mods *m, yaml_node_t *n)
{
	const char *s = scalar(n);
	struct sg_value *v;

	if (!s)
		return err_set("a value must be a scalar, not a list or map");
	if (it->nv >= SG_VALUES_MAX)
		return err_set("more than %d values", SG_VALUES_MAX);
	v = &it->v[it->nv];
	if (sg_value_compile(it, v, s, n->data.scalar.length, is_plain(n),
			     m->wrap == WRAP_CONTAINS || m->wrap == WRAP_END,
			     m->wrap == WRAP_CONTAINS || m->wrap == WRAP_START,
			     m->re_flags) < 0) {
		sg_value_release(v);
		return -1;
	}
	it->nv++;
	return 0;
}

static int
item_values(struct ld *c, struct sg_item *it, const struct mods *m,
	    yaml_node_t *v)
{
	yaml_node_item_t *p;
	size_t n = 1;

	if (v->type == YAML_SEQUENCE_NODE)
		n = (size_t)(v->data.sequence.items.top -
			     v->data.sequence.items.start);
	if (n == 0)
		return err_set("empty list of values");
	if (n > SG_VALUES_MAX)
		return err_set("more than %d values", SG_VALUES_MAX);
	it->v = calloc(n, sizeof(*it->v));
	if (!it->v)
		return err_set("out of memory");
	if (v->type != YAML_SEQUENCE_NODE)
		return add_value(it, m, v);
	for (p = v->data.sequence.items.start; p < v->data.sequence.items.top;
	     p++)
		if (add_value(it, m, node_at(c, *p)) < 0)
			return -1;
	if (it->op == OP_EXISTS && it->nv != 1)
		return err_set("exists takes one value");
	return 0;
}

static void
item_release(struct sg_item *it)
{
	size_t i;

	for (i = 0; i < it->nv; i++)
		sg_value_release(&it->v[i]);
	free(it->v);
}

static void
alt_release(struct sg_alt *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		item_release(&a->items[i]);
	free(a->items);
}

/* One "field|mods: values" entry; problems are reported here. */
static void
map_item(struct ld *c, struct sg_alt *alt, yaml_node_t *k, yaml_node_t *v)
{
	struct sg_item *it = &alt->items[alt->n];
	struct mods m = {0};
	const char *key = scalar(k);

	memset(it, 0, sizeof(*it));
	if (!key || !v) {
		bad(c, k, "rule '%s': a detection key must be a field name",
		    rule_name(c));
		return;
	}
	if (parse_key(c->r->fields, key, it, &m) < 0 ||
	    item_values(c, it, &m, v) < 0) {
		bad(c, v ? v : k, "rule '%s': field '%s': %s", rule_name(c),
		    key, err_msg());
		item_release(it);
		return;
	}
	alt->n++;
}

static void
map_alt(struct ld *c, struct sg_alt *alt, yaml_node_t *n)
{
	size_t count = (size_t)(n->data.mapping.pairs.top -
				n->data.mapping.pairs.start);
	yaml_node_pair_t *p;

	if (count == 0) {
		bad(c, n, "empty map in detection");
		return;
	}
	if (has_dups(c, n))
		return;
	alt->items = calloc(count, sizeof(*alt->items));
	if (!alt->items) {
		bad(c, n, "out of memory");
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++)
		map_item(c, alt, node_at(c, p->key), node_at(c, p->value));
}

/* A list of strings: keywords, searched in every value. */
static void
keyword_alt(struct ld *c, struct sg_alt *alt, yaml_node_t *n)
{
	struct sg_item *it;
	struct mods m = {.wrap = WRAP_CONTAINS};

	alt->items = calloc(1, sizeof(*alt->items));
	if (!alt->items) {
		bad(c, n, "out of memory");
		return;
	}
	it = &alt->items[0];
	if (item_values(c, it, &m, n) < 0) {
		bad(c, n, "rule '%s': keywords: %s", rule_name(c), err_msg());
		item_release(it);
		return;
	}
	alt->n = 1;
}

static int
seq_kind(struct ld *c, yaml_node_t *n, int *maps)
{
	yaml_node_item_t *p;
	yaml_node_t *el;
	int nmaps = 0, nscalars = 0;

	for (p = n->data.sequence.items.start; p < n->data.sequence.items.top;
	     p++) {
		el = node_at(c, *p);
		nmaps += el && el->type == YAML_MAPPING_NODE;
		nscalars += el && el->type == YAML_SCALAR_NODE;
	}
	*maps = nmaps > 0;
	if (nmaps + nscalars == 0 || (nmaps && nscalars) ||
	    nmaps + nscalars != (int)(p - n->data.sequence.items.start))
		return err_set("a list must hold only maps or only strings");
	return 0;
}

static void
take_search(struct ld *c, const char *name, yaml_node_t *k, yaml_node_t *v)
{
	struct sigma_rule *r = c->r;
	struct sg_search *s = &r->searches[r->nsearch];
	yaml_node_item_t *p;
	size_t n = 1;
	int maps = 0;

	memset(s, 0, sizeof(*s));
	if (v->type == YAML_SCALAR_NODE) {
		bad(c, k,
		    "unknown key '%s' in detection (a search "
		    "identifier must be a map or a list)",
		    name);
		return;
	}
	if (v->type == YAML_SEQUENCE_NODE && seq_kind(c, v, &maps) < 0) {
		bad(c, v, "search '%s': %s", name, err_msg());
		return;
	}
	if (maps)
		n = (size_t)(v->data.sequence.items.top -
			     v->data.sequence.items.start);
	s->name = strdup(name);
	s->alts = calloc(n, sizeof(*s->alts));
	if (!s->name || !s->alts) {
		free(s->name);
		free(s->alts);
		bad(c, v, "out of memory");
		return;
	}
	r->nsearch++;
	if (v->type == YAML_MAPPING_NODE)
		map_alt(c, &s->alts[s->n++], v);
	else if (!maps)
		keyword_alt(c, &s->alts[s->n++], v);
	else
		for (p = v->data.sequence.items.start;
		     p < v->data.sequence.items.top; p++)
			map_alt(c, &s->alts[s->n++], node_at(c, *p));
}

static void
take_condition(struct ld *c, yaml_node_t *v)
{
	yaml_node_item_t *p;
	yaml_node_t *el;

	if (scalar(v)) {
		if (sg_cond_parse(c->r, scalar(v)) < 0)
			bad(c, v, "rule '%s': condition: %s", rule_name(c),
			    err_msg());
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE ||
	    v->data.sequence.items.start == v->data.sequence.items.top) {
		bad(c, v, "condition must be a string or a list of strings");
		return;
	}
	for (p = v->data.sequence.items.start; p < v->data.sequence.items.top;
	     p++) {
		el = node_at(c, *p);
		if (!scalar(el))
			bad(c, v, "condition must be a list of strings");
		else if (sg_cond_parse(c->r, scalar(el)) < 0)
			bad(c, el, "rule '%s': condition: %s", rule_name(c),
			    err_msg());
	}
}

static int
valid_ident(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return 0;
	return 1;
}

static void
take_detection(struct ld *c, yaml_node_t *n)
{
	size_t count;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v, *cond = NULL;
	const char *key;

	if (n->type != YAML_MAPPING_NODE) {
		bad(c, n, "detection must be a map");
		return;
	}
	if (has_dups(c, n))
		return;
	count = (size_t)(n->data.mapping.pairs.top -
			 n->data.mapping.pairs.start);
	if (count > SG_SEARCHES_MAX) {
		bad(c, n, "more than %d search identifiers", SG_SEARCHES_MAX);
		return;
	}
	c->r->searches = calloc(count ? count : 1, sizeof(*c->r->searches));
	if (!c->r->searches) {
		bad(c, n, "out of memory");
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		k = node_at(c, p->key);
		v = node_at(c, p->value);
		key = scalar(k);
		if (!key || !v)
			bad(c, n, "bad key in detection");
		else if (!strcmp(key, "condition"))
			cond = v;
		else if (!strcmp(key, "timeframe"))
			bad(c, k,
			    "timeframe (Sigma 1 aggregations) is not "
			    "supported: write a correlation rule");
		else if (!valid_ident(key))
			bad(c, k, "bad search identifier '%s'", key);
		else
			take_search(c, key, k, v);
	}
	if (!cond)
		bad(c, n, "detection has no condition");
	else if (!failed(c))
		take_condition(c, cond);
}

/* ---- correlation ---- */

int
sg_parse_span(const char *text, int64_t *us)
{
	static const int64_t unit[] = {1000000LL, 60000000LL, 3600000000LL,
				       86400000000LL};
	const char *units = "smhd";
	char *end;
	long long n;
	const char *u;

	if (!text || !isdigit((unsigned char)*text))
		return err_set("bad timespan '%s' (want 30s, 5m, 1h, 1d)",
			       text ? text : "");
	n = strtoll(text, &end, 10);
	u = *end ? strchr(units, *end) : NULL;
	if (!u || end[1] || n <= 0 || n > 366 * 24 * 3600)
		return err_set("bad timespan '%s' (want 30s, 5m, 1h, 1d)",
			       text);
	*us = n * unit[u - units];
	if (*us > 366LL * 86400000000LL)
		return err_set("timespan '%s' longer than a year", text);
	return 0;
}

static int
bound(const yaml_node_t *v, long long *out)
{
	const char *s = scalar(v);
	char *end;

	if (!s || !is_plain(v) || !*s)
		return err_set("a count bound must be a whole number");
	*out = strtoll(s, &end, 10);
	if (*end || *out < 0 || *out > 1000000000LL)
		return err_set("bad count bound '%s'", s);
	return 0;
}

static void
corr_bound(struct ld *c, struct sg_corr *k, const char *key, yaml_node_t *v)
{
	long long n = 0;

	if (bound(v, &n) < 0) {
		bad(c, v, "correlation condition: %s", err_msg());
		return;
	}
	if (!strcmp(key, "lt") && n == 0) {
		bad(c, v, "correlation condition: no count is below 0");
		return;
	}
	if (!strcmp(key, "gt") && n + 1 > k->lo)
		k->lo = n + 1;
	else if (!strcmp(key, "gte") && n > k->lo)
		k->lo = n;
	else if (!strcmp(key, "lt") && (k->hi < 0 || n - 1 < k->hi))
		k->hi = n - 1;
	else if (!strcmp(key, "lte") && (k->hi < 0 || n < k->hi))
		k->hi = n;
	else if (!strcmp(key, "eq"))
		k->lo = k->hi = n;
}

static void
corr_field(struct ld *c, struct sg_corr *k, yaml_node_t *v)
{
	if (!scalar(v))
		bad(c, v, "condition.field must be a field name");
	else if (!(k->field = sg_fields_get(c->r->fields, scalar(v))))
		bad(c, v, "condition.field: %s", err_msg());
}

static void
corr_condition(struct ld *c, struct sg_corr *k, yaml_node_t *n)
{
	static const char *const cmp[] = {"gt", "gte", "lt", "lte", "eq"};
	yaml_node_pair_t *p;
	yaml_node_t *kn, *v;
	const char *key;

	if (n->type != YAML_MAPPING_NODE) {
		bad(c, n, "correlation condition must be a map");
		return;
	}
	if (has_dups(c, n))
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		kn = node_at(c, p->key);
		v = node_at(c, p->value);
		key = scalar(kn);
		if (!key || !v)
			bad(c, n, "bad key in correlation condition");
		else if (pick(key, cmp, 5) >= 0)
			corr_bound(c, k, key, v);
		else if (!strcmp(key, "field"))
			corr_field(c, k, v);
		else
			bad(c, kn, "unknown key '%s' in correlation condition",
			    key);
	}
}

static void
corr_rules(struct ld *c, struct sg_corr *k, yaml_node_t *n)
{
	yaml_node_item_t *p;
	const char *s;
	size_t count;

	check_strings(c, n, "rules", 1);
	if (failed(c))
		return;
	count = n->type == YAML_SCALAR_NODE
			? 1
			: (size_t)(n->data.sequence.items.top -
				   n->data.sequence.items.start);
	k->refs = calloc(count ? count : 1, sizeof(char *));
	k->targets = calloc(count ? count : 1, sizeof(*k->targets));
	if (!k->refs || !k->targets) {
		bad(c, n, "out of memory");
		return;
	}
	if (n->type == YAML_SCALAR_NODE) {
		if (!*scalar(n) || !(k->refs[k->nrefs++] = strdup(scalar(n))))
			bad(c, n, "bad rules list");
		return;
	}
	for (p = n->data.sequence.items.start; p < n->data.sequence.items.top;
	     p++) {
		s = scalar(node_at(c, *p));
		if (!s || !*s || !(k->refs[k->nrefs++] = strdup(s)))
			bad(c, n, "bad rules list");
	}
}

static void
corr_group(struct ld *c, struct sg_corr *k, yaml_node_t *n)
{
	yaml_node_item_t *p;
	const char *s;

	check_strings(c, n, "group-by", 1);
	if (failed(c))
		return;
	if (n->type == YAML_SCALAR_NODE) {
		k->group[k->ngroup] = sg_fields_get(c->r->fields, scalar(n));
		if (!k->group[k->ngroup++])
			bad(c, n, "group-by: %s", err_msg());
		return;
	}
	for (p = n->data.sequence.items.start; p < n->data.sequence.items.top;
	     p++) {
		s = scalar(node_at(c, *p));
		if (!s) {
			bad(c, n, "bad group-by list");
			return;
		}
		if (k->ngroup == 8) {
			bad(c, n, "more than 8 group-by fields");
			return;
		}
		k->group[k->ngroup] = sg_fields_get(c->r->fields, s);
		if (!k->group[k->ngroup++])
			bad(c, n, "group-by: %s", err_msg());
	}
}

static void
corr_type(struct ld *c, struct sg_corr *k, yaml_node_t *v)
{
	static const char *const types[] = {"event_count", "value_count",
					    "temporal"};
	int i = pick(scalar(v), types, 3);

	if (i < 0)
		bad(c, v,
		    "correlation type '%s' is not supported (want "
		    "event_count, value_count or temporal)",
		    scalar(v) ? scalar(v) : "?");
	else
		k->type = (enum sg_corr_type)i;
}

static void
corr_key(struct ld *c, struct sg_corr *k, yaml_node_t *kn, yaml_node_t *v,
	 int *seen)
{
	const char *key = scalar(kn);

	if (!key || !v) {
		bad(c, kn, "bad key in correlation");
	} else if (!strcmp(key, "type")) {
		corr_type(c, k, v);
		seen[0] = 1;
	} else if (!strcmp(key, "rules")) {
		corr_rules(c, k, v);
		seen[1] = 1;
	} else if (!strcmp(key, "group-by")) {
		corr_group(c, k, v);
	} else if (!strcmp(key, "timespan")) {
		if (sg_parse_span(scalar(v), &k->span_us) < 0)
			bad(c, v, "%s", err_msg());
		seen[2] = 1;
	} else if (!strcmp(key, "condition")) {
		corr_condition(c, k, v);
		seen[3] = 1;
	} else if (!strcmp(key, "generate")) {
		k->generate = scalar(v) && !strcmp(scalar(v), "true");
	} else {
		bad(c, kn,
		    "unknown key '%s' in correlation (not in the "
		    "supported subset)",
		    key);
	}
}

static void
corr_check(struct ld *c, struct sg_corr *k, yaml_node_t *n, const int *seen)
{
	if (!seen[0] || !seen[1] || !seen[2])
		bad(c, n, "a correlation needs type, rules and timespan");
	else if (k->type == C_TEMPORAL && seen[3])
		bad(c, n, "a temporal correlation takes no condition");
	else if (k->type != C_TEMPORAL && !seen[3])
		bad(c, n, "this correlation needs a condition");
	else if (k->type != C_TEMPORAL && k->lo < 1)
		bad(c, n,
		    "the condition needs a lower bound (gt, gte or eq) "
		    "to fire as events arrive");
	else if (k->hi >= 0 && k->hi < k->lo)
		bad(c, n, "the condition's bounds leave no count");
	else if (k->type == C_EVENT_COUNT && k->lo > SG_CORR_RING_MAX)
		bad(c, n, "a count above %d is not supported",
		    SG_CORR_RING_MAX);
	else if ((k->type == C_VALUE_COUNT) != (k->field != NULL))
		bad(c, n, "condition.field is for value_count, which needs it");
}

static void
take_correlation(struct ld *c, yaml_node_t *n)
{
	struct sg_corr *k;
	yaml_node_pair_t *p;
	int seen[4] = {0};

	if (n->type != YAML_MAPPING_NODE) {
		bad(c, n, "correlation must be a map");
		return;
	}
	if (has_dups(c, n))
		return;
	k = calloc(1, sizeof(*k));
	if (!k) {
		bad(c, n, "out of memory");
		return;
	}
	k->hi = -1;
	c->r->corr = k;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++)
		corr_key(c, k, node_at(c, p->key), node_at(c, p->value), seen);
	if (!failed(c))
		corr_check(c, k, n, seen);
}

/* ---- the rule ---- */

static void
take_rule(struct ld *c, yaml_node_t *root)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v, *det = NULL, *corr = NULL;
	const char *key;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		v = node_at(c, p->value);
		key = scalar(k);
		if (!key || !v)
			bad(c, root, "bad key in rule");
		else if (dup_key(c, root, p))
			bad(c, k, "duplicate key '%s'", key);
		else if (!strcmp(key, "detection"))
			det = v;
		else if (!strcmp(key, "correlation"))
			corr = v;
		else
			take_meta(c, key, k, v);
	}
	if (!c->r->title)
		bad(c, root, "rule has no title");
	if (!c->r->id)
		bad(c, root, "rule has no id");
	else if (!is_uuid(c->r->id))
		bad(c, root, "id '%s' is not a UUID", c->r->id);
	if (!det == !corr)
		bad(c, root, "a rule needs detection or correlation (one)");
	else if (det && !failed(c))
		take_detection(c, det);
	else if (corr && !failed(c))
		take_correlation(c, corr);
}

static void
load_document(struct ld *c, yaml_parser_t *parser)
{
	yaml_document_t doc, more;
	yaml_node_t *root;

	if (!yaml_parser_load(parser, &doc)) {
		sg_problem(c->probs, c->file,
			   (long)parser->problem_mark.line + 1, "bad YAML: %s",
			   parser->problem ? parser->problem : "?");
		return;
	}
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		bad(c, root, "a rule must be a YAML map");
		yaml_document_delete(&doc);
		return;
	}
	take_rule(c, root);
	if (c->visits > SG_NODES_MAX)
		bad(c, root, "rule too large (more than %d YAML nodes)",
		    SG_NODES_MAX);
	yaml_document_delete(&doc);
	if (!yaml_parser_load(parser, &more))
		return;
	if (yaml_document_get_root_node(&more))
		bad(c, yaml_document_get_root_node(&more),
		    "more than one YAML document: write one rule per file");
	yaml_document_delete(&more);
}

static void
corr_free(struct sg_corr *k)
{
	size_t i;

	if (!k)
		return;
	sg_corr_release(k);
	for (i = 0; i < k->nrefs; i++)
		free(k->refs[i]);
	free(k->refs);
	free(k->targets);
	free(k);
}

void
sigma_rule_free(struct sigma_rule *r)
{
	size_t i, a;

	if (!r)
		return;
	for (i = 0; i < r->nsearch; i++) {
		for (a = 0; a < r->searches[i].n; a++)
			alt_release(&r->searches[i].alts[a]);
		free(r->searches[i].alts);
		free(r->searches[i].name);
	}
	free(r->searches);
	sg_cond_release(&r->cond);
	corr_free(r->corr);
	sg_fields_unref(r->fields);
	free(r->file);
	free(r->title);
	free(r->id);
	free(r->name);
	free(r->status);
	free(r->description);
	free(r->ls_category);
	free(r->ls_product);
	free(r->ls_service);
	free(r);
}

int
sg_rule_parse(const char *text, size_t len, const char *file,
	      struct sg_fields *fields, struct sigma_rule **out,
	      struct sigma_problems *probs)
{
	struct sigma_problems local = {0};
	struct ld c = {.file = file, .probs = probs ? probs : &local};
	yaml_parser_t parser;

	*out = NULL;
	c.first_problem = c.probs->n;
	c.r = calloc(1, sizeof(*c.r));
	if (!c.r || !(c.r->file = strdup(file))) {
		free(c.r);
		return err_set("out of memory");
	}
	c.r->fields = fields ? sg_fields_ref(fields) : sg_fields_new();
	if (!c.r->fields || !yaml_parser_initialize(&parser)) {
		sigma_rule_free(c.r);
		return err_set("out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	load_document(&c, &parser);
	yaml_parser_delete(&parser);
	if (failed(&c)) {
		sigma_rule_free(c.r);
		if (c.first_problem < c.probs->kept)
			err_set("%s", c.probs->msg[c.first_problem]);
		else
			err_set("%s: %zu problems", file,
				c.probs->n - c.first_problem);
		sigma_problems_release(&local);
		return -1;
	}
	*out = c.r;
	return 0;
}

int
sigma_rule_parse(const char *text, size_t len, const char *file,
		 struct sigma_rule **out, struct sigma_problems *probs)
{
	return sg_rule_parse(text, len, file, NULL, out, probs);
}

int
sigma_rule_load(const char *path, struct sigma_rule **out,
		struct sigma_problems *probs)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if (file_read_all(path, SIGMA_FILE_MAX, &text, &len) < 0) {
		if (probs)
			sg_problem(probs, path, 0, "%s", err_msg());
		return -1;
	}
	rc = sigma_rule_parse(text, len, path, out, probs);
	free(text);
	return rc;
}

const char *
sigma_rule_title(const struct sigma_rule *r)
{
	return r->title;
}

const char *
sigma_rule_id(const struct sigma_rule *r)
{
	return r->id;
}

const char *
sigma_rule_name(const struct sigma_rule *r)
{
	return r->name;
}

const char *
sigma_rule_file(const struct sigma_rule *r)
{
	return r->file;
}

enum sigma_level
sigma_rule_level(const struct sigma_rule *r)
{
	return r->level;
}

int
sigma_rule_is_correlation(const struct sigma_rule *r)
{
	return r->corr != NULL;
}
