/*
 * sigma_value: the values of a detection item, compiled once (escapes
 * resolved, case folded, wildcard shape found, regular expressions and
 * networks parsed), and the interned field paths.
 */
#include "sigma_int.h"

#include "lib/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sg_fields *
sg_fields_new(void)
{
	struct sg_fields *f = calloc(1, sizeof(*f));

	if (!f) {
		err_set("out of memory");
		return NULL;
	}
	f->refs = 1;
	return f;
}

struct sg_fields *
sg_fields_ref(struct sg_fields *f)
{
	f->refs++;
	return f;
}

static void
path_free(struct sg_path *p)
{
	size_t i;

	for (i = 0; i < p->nparts; i++)
		free(p->parts[i]);
	free(p->text);
	free(p);
}

void
sg_fields_unref(struct sg_fields *f)
{
	size_t i;

	if (!f || --f->refs > 0)
		return;
	for (i = 0; i < f->n; i++)
		path_free(f->v[i]);
	free(f->v);
	free(f);
}

static struct sg_path *
path_split(const char *text)
{
	struct sg_path *p = calloc(1, sizeof(*p));
	const char *s = text, *dot;

	if (!p || !(p->text = strdup(text)))
		goto oom;
	for (;;) {
		dot = strchr(s, '.');
		if (dot == s || !*s) {
			err_set("empty component in field name '%s'", text);
			goto fail;
		}
		if (p->nparts == SG_PATH_PARTS_MAX) {
			err_set("field name '%s' has more than %d components",
				text, SG_PATH_PARTS_MAX);
			goto fail;
		}
		p->parts[p->nparts] =
			dot ? strndup(s, (size_t)(dot - s)) : strdup(s);
		if (!p->parts[p->nparts++])
			goto oom;
		if (!dot)
			return p;
		s = dot + 1;
	}
oom:
	err_set("out of memory");
fail:
	if (p)
		path_free(p);
	return NULL;
}

struct sg_path *
sg_fields_get(struct sg_fields *f, const char *text)
{
	struct sg_path *p, **v;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i]->text, text))
			return f->v[i];
	if (f->n == f->cap) {
		v = realloc(f->v, (f->cap ? f->cap * 2 : 16) * sizeof(*v));
		if (!v) {
			err_set("out of memory");
			return NULL;
		}
		f->v = v;
		f->cap = f->cap ? f->cap * 2 : 16;
	}
	p = path_split(text);
	if (p)
		f->v[f->n++] = p;
	return p;
}

/*
 * Sigma's escapes: \* and \? are literal wildcards, \\ one backslash;
 * a backslash before anything else stays.  Unescaped * and ? become
 * wildcards.  wrap_l, wrap_r add * around (contains and friends).
 */
static int
unescape(struct sg_value *v, const char *in, size_t len, int wrap_l, int wrap_r,
	 int cased)
{
	size_t i, o = 0, cap = len + 3;
	int any = 0;

	v->text = malloc(cap);
	v->wild = calloc(cap, 1);
	if (!v->text || !v->wild)
		return err_set("out of memory");
	if (wrap_l)
		v->wild[o++] = '*';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		unsigned char n = i + 1 < len ? (unsigned char)in[i + 1] : 0;

		if (c == '\\' && (n == '*' || n == '?' || n == '\\')) {
			v->text[o++] = (char)n;
			i++;
		} else if (c == '*' || c == '?') {
			if (!(c == '*' && o && v->wild[o - 1] == '*'))
				v->wild[o++] = c;
		} else {
			v->text[o++] = (char)(cased ? c : tolower(c));
		}
	}
	if (wrap_r && !(o && v->wild[o - 1] == '*'))
		v->wild[o++] = '*';
	v->text[o] = '\0';
	v->len = o;
	for (i = 0; i < o; i++)
		any |= v->wild[i];
	if (!any) {
		free(v->wild);
		v->wild = NULL;
	}
	return 0;
}

/* Find the fast shape: wildcards only as one leading or trailing star. */
static void
find_shape(struct sg_value *v)
{
	size_t n = v->len, i, stars = 0, other = 0;
	int lead, trail;

	v->lit = v->text;
	v->lit_len = n;
	if (!v->wild) {
		v->shape = SH_EXACT;
		return;
	}
	for (i = 0; i < n; i++) {
		stars += v->wild[i] == '*';
		other += v->wild[i] == '?';
	}
	lead = v->wild[0] == '*';
	trail = n > 1 && v->wild[n - 1] == '*';
	v->shape = SH_GLOB;
	if (other || stars != (size_t)(lead + trail))
		return;
	v->lit = v->text + lead;
	v->lit_len = n - (size_t)(lead + trail);
	if (n == 1)
		v->shape = SH_ANY;
	else if (lead && trail)
		v->shape = SH_CONTAINS;
	else
		v->shape = lead ? SH_SUFFIX : SH_PREFIX;
}

static int
parse_number(const char *text, double *out)
{
	char *end;

	if (!*text || isspace((unsigned char)*text))
		return -1;
	*out = strtod(text, &end);
	if (*end || !isfinite(*out))
		return -1;
	return 0;
}

static int
is_word(const char *text, const char *a, const char *b, const char *c)
{
	return !strcmp(text, a) || !strcmp(text, b) || !strcmp(text, c);
}

/* The kind of a scalar as YAML reads it. */
static enum sg_vkind
scalar_kind(const char *text, int plain, struct sg_value *v)
{
	if (!plain)
		return V_STR;
	if (!*text || is_word(text, "null", "Null", "NULL") ||
	    !strcmp(text, "~"))
		return V_NULL;
	if (is_word(text, "true", "True", "TRUE")) {
		v->boolean = 1;
		return V_BOOL;
	}
	if (is_word(text, "false", "False", "FALSE"))
		return V_BOOL;
	if (parse_number(text, &v->num) == 0)
		return V_NUM;
	return V_STR;
}

int
sg_re_check(const char *p)
{
	size_t i, start = 0;
	int bracket = 0;

	for (i = 0; p[i]; i++) {
		char c = p[i], n = p[i + 1];

		if (bracket) {
			if (c == '\\')
				return err_set("a backslash inside [...] is "
					       "literal in POSIX ERE, not an "
					       "escape");
			if (c == '[' && (n == ':' || n == '.' || n == '=')) {
				const char *end = strchr(p + i + 2, n);

				if (!end || end[1] != ']')
					return err_set("unterminated [%c in "
						       "a bracket expression",
						       n);
				i = (size_t)(end - p) + 1;
			} else if (c == ']' && i > start) {
				bracket = 0;
			}
			continue;
		}
		if (c == '\\') {
			if (!n)
				return err_set("trailing backslash");
			if (isalnum((unsigned char)n))
				return err_set("'\\%c' is not POSIX ERE (no "
					       "\\d, \\w, \\s, \\b, "
					       "backreferences or letter "
					       "escapes; use [[:digit:]] and "
					       "the like)",
					       n);
			i++;
		} else if (c == '[') {
			bracket = 1;
			start = i + 1 + (n == '^');
		} else if (c == '(' && n == '?') {
			return err_set("'(?' (lookaround, inline flags, "
				       "non-capturing groups) is not POSIX "
				       "ERE");
		} else if ((c == '*' || c == '+' || c == '?' || c == '}') &&
			   (n == '?' || n == '+')) {
			return err_set("lazy or possessive quantifier '%c%c' "
				       "is not POSIX ERE",
				       c, n);
		}
	}
	return 0;
}

static int
compile_re(struct sg_value *v, const char *text, int flags)
{
	char msg[256];
	int rc;

	if (sg_re_check(text) < 0)
		return -1;
	rc = regcomp(&v->re, text, REG_EXTENDED | REG_NOSUB | flags);
	if (rc != 0) {
		regerror(rc, &v->re, msg, sizeof(msg));
		return err_set("bad regular expression '%s': %s", text, msg);
	}
	v->has_re = 1;
	return 0;
}

static int
compile_cidr(struct sg_value *v, const char *text)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int max;
	char *end;

	if (alen >= sizeof(addr))
		return err_set("bad network '%s'", text);
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	v->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = v->family == AF_INET ? 32 : 128;
	if (inet_pton(v->family, addr, v->net) != 1)
		return err_set("bad network '%s' (want 10.0.0.0/8 or "
			       "fd00::/8)",
			       text);
	v->bits = max;
	if (slash) {
		long b = strtol(slash + 1, &end, 10);

		if (!slash[1] || *end || b < 0 || b > max)
			return err_set("bad prefix length in '%s'", text);
		v->bits = (int)b;
	}
	return 0;
}

static int
need_kind(const struct sg_value *v, enum sg_vkind kind, const char *what)
{
	if (v->kind != kind)
		return err_set("%s wants %s", what,
			       kind == V_NUM	? "a number"
			       : kind == V_BOOL ? "true or false"
						: "a string");
	return 0;
}

static int
compile_match(struct sg_item *it, struct sg_value *v, const char *text,
	      size_t len, int wrap_l, int wrap_r)
{
	if (v->kind == V_NULL && (wrap_l || wrap_r))
		return err_set("null cannot be combined with contains, "
			       "startswith or endswith");
	if (v->kind == V_NULL)
		return 0;
	if (unescape(v, text, len, wrap_l, wrap_r, it->cased) < 0)
		return -1;
	find_shape(v);
	if ((wrap_l || wrap_r || v->wild) && v->kind != V_STR)
		v->kind = V_STR; /* a pattern, matched as text */
	return 0;
}

int
sg_value_compile(struct sg_item *it, struct sg_value *v, const char *text,
		 size_t len, int plain, int wrap_l, int wrap_r, int re_flags)
{
	memset(v, 0, sizeof(*v));
	if (memchr(text, '\0', len))
		return err_set("value holds a NUL byte");
	v->kind = scalar_kind(text, plain, v);
	switch (it->op) {
	case OP_MATCH: return compile_match(it, v, text, len, wrap_l, wrap_r);
	case OP_RE: v->kind = V_STR; return compile_re(v, text, re_flags);
	case OP_CIDR: v->kind = V_STR; return compile_cidr(v, text);
	case OP_EXISTS: return need_kind(v, V_BOOL, "exists");
	default: return need_kind(v, V_NUM, "lt, lte, gt and gte");
	}
}

void
sg_value_release(struct sg_value *v)
{
	free(v->text);
	free(v->wild);
	if (v->has_re)
		regfree(&v->re);
	memset(v, 0, sizeof(*v));
}
