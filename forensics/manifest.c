#include "manifest.h"

#include "lib/err.h"
#include "lib/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG "SHA256 ("
#define TAIL_LEN (4 + 64) /* ") = " and the hex */

int
manifest_check_name(const char *name)
{
	const char *p = name, *end;
	size_t n;

	if (!*name)
		return err_set("empty member name");
	if (strlen(name) > MANIFEST_MEMBER_MAX)
		return err_set("member name longer than %d bytes",
			       MANIFEST_MEMBER_MAX);
	if (*name == '/')
		return err_set("member name '%s' is absolute", name);

	for (;;) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return err_set("member name '%s' has an empty, '.' or "
				       "'..' component", name);
		if (!end)
			return 0;
		p = end + 1;
	}
}

int
manifest_is_reserved(const char *name)
{
	return !strcmp(name, MANIFEST_NAME) ||
	       !strcmp(name, MANIFEST_SIG_NAME) ||
	       !strcmp(name, MANIFEST_SIGNER_NAME);
}

int
manifest_add(struct manifest *m, const char *name, const char *hex)
{
	struct manifest_entry *v;

	v = realloc(m->v, (m->n + 1) * sizeof(*v));
	if (!v)
		return err_set("out of memory");
	m->v = v;
	v[m->n].name = strdup(name);
	if (!v[m->n].name)
		return err_set("out of memory");
	memcpy(v[m->n].sha256, hex, sizeof(v[m->n].sha256));
	v[m->n].sha256[64] = '\0';
	m->n++;
	return 0;
}

void
manifest_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct manifest_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void
manifest_sort(struct manifest *m)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(m->v[0]), entry_cmp);
}

const struct manifest_entry *
manifest_find(const struct manifest *m, const char *name)
{
	struct manifest_entry key = {.name = (char *)name};

	if (m->n == 0)
		return NULL;
	return bsearch(&key, m->v, m->n, sizeof(key), entry_cmp);
}

/* Append the (escaped) line for e to out, which has room for it. */
static size_t
render_line(const struct manifest_entry *e, char *out)
{
	int esc = strpbrk(e->name, "\\\n") != NULL;
	const char *p;
	size_t n = 0;

	if (esc)
		out[n++] = '\\';
	memcpy(out + n, TAG, strlen(TAG));
	n += strlen(TAG);
	for (p = e->name; *p; p++) {
		if (esc && (*p == '\\' || *p == '\n')) {
			out[n++] = '\\';
			out[n++] = *p == '\n' ? 'n' : '\\';
		} else {
			out[n++] = *p;
		}
	}
	n += (size_t)sprintf(out + n, ") = %s\n", e->sha256);
	return n;
}

int
manifest_render(struct manifest *m, char **text, size_t *len)
{
	size_t i, cap = 1, n = 0;
	char *buf;

	*text = NULL;
	manifest_sort(m);
	for (i = 0; i < m->n; i++) {
		if (i > 0 && !strcmp(m->v[i - 1].name, m->v[i].name))
			return err_set("duplicate member '%s'", m->v[i].name);
		cap += 1 + strlen(TAG) + 2 * strlen(m->v[i].name) +
		       TAIL_LEN + 1;
	}

	buf = malloc(cap);
	if (!buf)
		return err_set("out of memory");
	for (i = 0; i < m->n; i++)
		n += render_line(&m->v[i], buf + n);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* Undo the escapes of name[0..len) into out (room for len + 1). */
static int
unescape(const char *name, size_t len, int esc, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (name[i] == '\0')
			return err_set("NUL byte in a name");
		if (!esc || name[i] != '\\') {
			out[n++] = name[i];
			continue;
		}
		if (++i == len || (name[i] != '\\' && name[i] != 'n'))
			return err_set("bad escape in a name");
		out[n++] = name[i] == 'n' ? '\n' : '\\';
	}
	out[n] = '\0';
	return n ? 0 : err_set("empty name");
}

static int
parse_line(const char *line, size_t len, struct manifest *m)
{
	int esc = len > 0 && line[0] == '\\';
	const char *name, *tail;
	char *raw;
	int rc;

	line += esc;
	len -= (size_t)esc;
	if (len < strlen(TAG) + 1 + TAIL_LEN ||
	    memcmp(line, TAG, strlen(TAG)) != 0)
		return err_set("not a BSD-tagged SHA256 line");
	tail = line + len - TAIL_LEN;
	if (memcmp(tail, ") = ", 4) != 0)
		return err_set("not a BSD-tagged SHA256 line");

	name = line + strlen(TAG);
	raw = malloc((size_t)(tail - name) + 1);
	if (!raw)
		return err_set("out of memory");
	rc = unescape(name, (size_t)(tail - name), esc, raw);
	if (rc == 0 && !esc && strpbrk(raw, "\\"))
		rc = err_set("backslash in a name of an unescaped line");
	if (rc == 0) {
		char hex[65];

		memcpy(hex, tail + 4, 64);
		hex[64] = '\0';
		rc = sha256_is_hex(hex) ? manifest_add(m, raw, hex)
					: err_set("bad hex digest");
	}
	free(raw);
	return rc;
}

int
manifest_parse(const char *text, size_t len, struct manifest *m)
{
	const char *p = text, *end = text + len, *nl;
	size_t lineno = 0;

	m->v = NULL;
	m->n = 0;
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			err_set("no newline at the end");
			goto fail;
		}
		if (parse_line(p, (size_t)(nl - p), m) < 0 ||
		    manifest_check_name(m->v[m->n - 1].name) < 0)
			goto fail;
		if (m->n > 1 &&
		    strcmp(m->v[m->n - 2].name, m->v[m->n - 1].name) >= 0) {
			err_set("not sorted or duplicate name");
			goto fail;
		}
		p = nl + 1;
	}
	return 0;

fail:
	err_prefix("%s line %zu", MANIFEST_NAME, lineno);
	manifest_release(m);
	return -1;
}

const char *
manifest_display(const char *name, char *buf, size_t size)
{
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		if (n + 8 >= size) {
			memcpy(buf + n, "...", 4);
			return buf;
		}
		if (*p == '\n')
			n += (size_t)sprintf(buf + n, "\\n");
		else if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			n += (size_t)sprintf(buf + n, "\\x%02x", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
	return buf;
}
