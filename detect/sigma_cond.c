/*
 * sigma_cond: the condition of a rule, parsed by recursive descent
 * into a tree of nodes over the rule's search identifiers.
 *
 *	expr    = and-expr { "or" and-expr }
 *	and-expr = not-expr { "and" not-expr }
 *	not-expr = "not" not-expr | primary
 *	primary = "(" expr ")" | ("1" | "all") "of" (pattern | "them")
 *	        | identifier
 *
 * "x of" sets are expanded against the identifiers here, once.
 */
#include "sigma_int.h"

#include "lib/err.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX 256

struct parser {
	struct sigma_rule *r;
	const char *s;
	size_t pos;
	char tok[TOKEN_MAX]; /* "" at the end */
	int depth;
};

static int
next_token(struct parser *p)
{
	const char *s = p->s;
	size_t start, n;

	while (isspace((unsigned char)s[p->pos]))
		p->pos++;
	start = p->pos;
	if (s[p->pos] == '(' || s[p->pos] == ')') {
		p->pos++;
	} else {
		while (s[p->pos] && !isspace((unsigned char)s[p->pos]) &&
		       s[p->pos] != '(' && s[p->pos] != ')')
			p->pos++;
	}
	n = p->pos - start;
	if (n >= TOKEN_MAX)
		return err_set("condition word longer than %d bytes",
			       TOKEN_MAX - 1);
	memcpy(p->tok, s + start, n);
	p->tok[n] = '\0';
	return 0;
}

static int
is_tok(const struct parser *p, const char *word)
{
	return !strcmp(p->tok, word);
}

static int
new_node(struct sigma_rule *r, enum sg_node_kind kind, int a, int b)
{
	struct sg_cond *c = &r->cond;
	struct sg_node *v;

	if (c->n == c->cap) {
		if (c->cap >= SG_COND_MAX)
			return err_set("condition too complex");
		v = realloc(c->nodes, (c->cap ? c->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return err_set("out of memory");
		c->nodes = v;
		c->cap = c->cap ? c->cap * 2 : 16;
	}
	memset(&c->nodes[c->n], 0, sizeof(c->nodes[0]));
	c->nodes[c->n].kind = kind;
	c->nodes[c->n].a = a;
	c->nodes[c->n].b = b;
	return (int)c->n++;
}

static int
find_search(const struct sigma_rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nsearch; i++)
		if (!strcmp(r->searches[i].name, name))
			return (int)i;
	return -1;
}

static int
of_set(struct parser *p, enum sg_node_kind kind)
{
	struct sigma_rule *r = p->r;
	int them = is_tok(p, "them");
	int n = new_node(r, kind, -1, -1);
	struct sg_node *node;
	size_t i;

	if (n < 0)
		return -1;
	node = &r->cond.nodes[n];
	node->set = calloc(r->nsearch ? r->nsearch : 1, sizeof(int));
	if (!node->set)
		return err_set("out of memory");
	for (i = 0; i < r->nsearch; i++) {
		const char *name = r->searches[i].name;

		if (them ? name[0] != '_' : !fnmatch(p->tok, name, 0))
			node->set[node->nset++] = (int)i;
	}
	if (!node->nset)
		return err_set("'%s' matches no search identifier", p->tok);
	return next_token(p) < 0 ? -1 : n;
}

static int parse_or(struct parser *p);

static int
parse_primary(struct parser *p)
{
	enum sg_node_kind kind;
	int n;

	if (is_tok(p, "(")) {
		if (next_token(p) < 0 || (n = parse_or(p)) < 0)
			return -1;
		if (!is_tok(p, ")"))
			return err_set("missing ')' in condition");
		return next_token(p) < 0 ? -1 : n;
	}
	if (is_tok(p, "1") || is_tok(p, "all")) {
		kind = is_tok(p, "1") ? N_ONE_OF : N_ALL_OF;
		if (next_token(p) < 0)
			return -1;
		if (!is_tok(p, "of"))
			return err_set("want 'of' after '%s'",
				       kind == N_ONE_OF ? "1" : "all");
		if (next_token(p) < 0)
			return -1;
		if (!p->tok[0] || is_tok(p, "(") || is_tok(p, ")"))
			return err_set("want a pattern or 'them' after 'of'");
		return of_set(p, kind);
	}
	if (!p->tok[0])
		return err_set("condition ends too early");
	if (is_tok(p, ")") || is_tok(p, "and") || is_tok(p, "or") ||
	    is_tok(p, "of") || is_tok(p, "them"))
		return err_set("unexpected '%s' in condition", p->tok);
	if (strpbrk(p->tok, "*?|"))
		return err_set("'%s' is not a search identifier (x of, "
			       "aggregations and pipes are not supported)",
			       p->tok);
	if (find_search(p->r, p->tok) < 0)
		return err_set("unknown search identifier '%s'", p->tok);
	n = new_node(p->r, N_SEARCH, -1, -1);
	if (n < 0)
		return -1;
	p->r->cond.nodes[n].search = find_search(p->r, p->tok);
	return next_token(p) < 0 ? -1 : n;
}

static int
parse_not(struct parser *p)
{
	int a;

	if (!is_tok(p, "not"))
		return parse_primary(p);
	if (++p->depth > SG_DEPTH_MAX)
		return err_set("condition nested too deeply");
	if (next_token(p) < 0 || (a = parse_not(p)) < 0)
		return -1;
	p->depth--;
	return new_node(p->r, N_NOT, a, -1);
}

static int
parse_and(struct parser *p)
{
	int a, b;

	if ((a = parse_not(p)) < 0)
		return -1;
	while (is_tok(p, "and")) {
		if (next_token(p) < 0 || (b = parse_not(p)) < 0)
			return -1;
		if ((a = new_node(p->r, N_AND, a, b)) < 0)
			return -1;
	}
	return a;
}

static int
parse_or(struct parser *p)
{
	int a, b;

	if (++p->depth > SG_DEPTH_MAX)
		return err_set("condition nested too deeply");
	if ((a = parse_and(p)) < 0)
		return -1;
	while (is_tok(p, "or")) {
		if (next_token(p) < 0 || (b = parse_and(p)) < 0)
			return -1;
		if ((a = new_node(p->r, N_OR, a, b)) < 0)
			return -1;
	}
	p->depth--;
	return a;
}

/*
 * Parse text; the first condition becomes the root, a later one is
 * OR'ed with the root so far.
 */
int
sg_cond_parse(struct sigma_rule *r, const char *text)
{
	struct parser p = {.r = r, .s = text};
	int first = r->cond.nodes == NULL || r->cond.n == 0;
	int n;

	if (strlen(text) > SG_COND_MAX)
		return err_set("condition longer than %d bytes", SG_COND_MAX);
	if (next_token(&p) < 0 || (n = parse_or(&p)) < 0)
		return -1;
	if (p.tok[0] == '|')
		return err_set("'|' aggregations are not a search identifier "
			       "expression: write a correlation rule");
	if (p.tok[0])
		return err_set("unexpected '%s' in condition", p.tok);
	if (!first && (n = new_node(r, N_OR, r->cond.root, n)) < 0)
		return -1;
	r->cond.root = n;
	return 0;
}

void
sg_cond_release(struct sg_cond *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->nodes[i].set);
	free(c->nodes);
	memset(c, 0, sizeof(*c));
}
