#include "verify.h"

#include "forensics/manifest.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/path.h"
#include "lib/sha256.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BUF (1024 * 1024)

/* A member kept in memory for a later check, with its size limit. */
struct kept {
	const char *name;
	size_t max;
	char *data;
	size_t len;
	int present;
	int too_big;
};

enum { K_MANIFEST, K_SIG, K_SIGNER, K_CUSTODY, K_JSON, K_COUNT };

struct reader {
	int fd;
	struct sha256 file_hash;   /* of the bundle's bytes */
	uint8_t *buf;              /* the bundle's bytes, for libarchive */
	uint8_t *data;             /* member data out of libarchive */
	int read_error;            /* errno of a failed read, 0 if none */
	struct manifest seen;      /* members found, with their hashes */
	struct kept kept[K_COUNT];
	struct verify_report *r;
};

static void
problem(struct verify_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
problem(struct verify_report *r, const char *fmt, ...)
{
	char msg[1024];
	char **v;
	va_list ap;

	r->ok = 0;
	if (r->nproblems >= VERIFY_PROBLEMS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v = realloc(r->problems, (r->nproblems + 1) * sizeof(*v));
	if (!v)
		return;
	r->problems = v;
	v[r->nproblems] = strdup(msg);
	if (v[r->nproblems])
		r->nproblems++;
}

void
verify_report_release(struct verify_report *r)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		free(r->problems[i]);
	free(r->problems);
	r->problems = NULL;
	r->nproblems = 0;
}

static la_ssize_t
read_cb(struct archive *a, void *ctx, const void **out)
{
	struct reader *rd = ctx;
	ssize_t n;

	do
		n = read(rd->fd, rd->buf, READ_BUF);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		rd->read_error = errno;
		archive_set_error(a, errno, "read error");
		return -1;
	}
	sha256_update(&rd->file_hash, rd->buf, (size_t)n);
	*out = rd->buf;
	return n;
}

/* Hash what libarchive left unread (padding, trailing bytes). */
static void
drain(struct reader *rd)
{
	ssize_t n;

	while ((n = read(rd->fd, rd->buf, READ_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rd->read_error = errno;
			return;
		}
		sha256_update(&rd->file_hash, rd->buf, (size_t)n);
	}
}

static struct kept *
kept_for(struct reader *rd, const char *name)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if (!strcmp(rd->kept[i].name, name))
			return &rd->kept[i];
	return NULL;
}

static void
keep(struct kept *k, const void *buf, size_t len)
{
	char *grown;

	if (k->too_big || k->len + len > k->max) {
		k->too_big = 1;
		return;
	}
	grown = realloc(k->data, k->len + len + 1);
	if (!grown) {
		k->too_big = 1;
		return;
	}
	k->data = grown;
	memcpy(k->data + k->len, buf, len);
	k->len += len;
	k->data[k->len] = '\0';
}

/* Hash one member's data (and keep it when it is checked later). */
static int
read_member(struct reader *rd, struct archive *a, const char *name,
	    char hex[65])
{
	static const char empty[1];
	struct kept *k = kept_for(rd, name);
	uint8_t digest[SHA256_LEN];
	struct sha256 h;
	la_ssize_t n;

	if (sha256_init(&h) < 0)
		return -1;
	if (k) {
		k->present = 1;
		keep(k, empty, 0);
	}
	while ((n = archive_read_data(a, rd->data, READ_BUF)) > 0) {
		sha256_update(&h, rd->data, (size_t)n);
		if (k)
			keep(k, rd->data, (size_t)n);
	}
	if (n < 0) {
		sha256_release(&h);
		return -1;
	}
	sha256_final(&h, digest);
	sha256_to_hex(digest, hex);
	return 0;
}

static int
read_entries(struct reader *rd, struct archive *a)
{
	struct archive_entry *e;
	char hex[65], shown[512];
	const char *name;
	int rc;

	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       rc == ARCHIVE_WARN) {
		name = archive_entry_pathname(e);
		if (!name)
			name = "";
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG) {
			problem(rd->r, "member '%s' is not a regular file",
				manifest_display(name, shown, sizeof(shown)));
			continue;
		}
		if (read_member(rd, a, name, hex) < 0)
			return -1;
		if (manifest_add(&rd->seen, name, hex) < 0)
			return -1;
	}
	return rc == ARCHIVE_EOF ? 0 : -1;
}

static void
read_bundle(struct reader *rd)
{
	struct archive *a = archive_read_new();

	if (!a) {
		problem(rd->r, "cannot read bundle: out of memory");
		return;
	}
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, rd, NULL, read_cb, NULL) != ARCHIVE_OK ||
	    read_entries(rd, a) < 0)
		problem(rd->r, "cannot read bundle: %s",
			archive_error_string(a) ? archive_error_string(a)
						: err_msg());
	archive_read_free(a);
	drain(rd);
}

static void
check_sidecar(struct reader *rd, const char *path)
{
	char side[PATH_BUF];
	size_t len;
	char *text;

	if (path_fmt(side, sizeof(side), "%s.sha256", path) < 0 ||
	    access(side, F_OK) != 0)
		return;
	if (file_read_all(side, 64 * 1024, &text, &len) < 0) {
		rd->r->sidecar = VERIFY_SIDECAR_MISMATCH;
		problem(rd->r, "%s", err_msg());
		return;
	}
	if (len < 66 || strncmp(text, rd->r->sha256, 64) != 0 ||
	    (text[64] != ' ' && text[64] != '\t')) {
		rd->r->sidecar = VERIFY_SIDECAR_MISMATCH;
		problem(rd->r, "sidecar '%s' does not match the bundle's "
			       "SHA-256", side);
	} else {
		rd->r->sidecar = VERIFY_SIDECAR_MATCH;
	}
	free(text);
}

static int
kept_ok(struct reader *rd, int which)
{
	struct kept *k = &rd->kept[which];

	if (!k->present)
		return 0;
	if (k->too_big) {
		problem(rd->r, "member '%s' is larger than %zu bytes", k->name,
			k->max);
		return 0;
	}
	return 1;
}

/* The key to check with: the given one, or the bundled signer.pub. */
static struct sign_key *
pick_key(struct reader *rd, struct sign_key *given)
{
	struct kept *pub = &rd->kept[K_SIGNER];
	struct sign_key *bundled = NULL;
	char fpr[SIGN_FPR_LEN];
	int have = kept_ok(rd, K_SIGNER);

	if (!have && !pub->present)
		problem(rd->r, "%s is missing", MANIFEST_SIGNER_NAME);
	if (have && sign_pub_from_pem(pub->data, pub->len, &bundled) < 0)
		problem(rd->r, "%s is not an Ed25519 PEM public key",
			MANIFEST_SIGNER_NAME);
	if (!given) {
		rd->r->key_bundled = bundled != NULL;
		return bundled;
	}
	if (bundled && sign_fingerprint(bundled, fpr) == 0 &&
	    sign_fingerprint(given, rd->r->fingerprint) == 0 &&
	    strcmp(fpr, rd->r->fingerprint) != 0)
		problem(rd->r, "%s (%s) is not the key given to check with",
			MANIFEST_SIGNER_NAME, fpr);
	sign_key_free(bundled);
	return given;
}

static void
check_signature(struct reader *rd, struct sign_key *given)
{
	struct kept *man = &rd->kept[K_MANIFEST];
	struct kept *sig = &rd->kept[K_SIG];
	struct sign_key *key = pick_key(rd, given);

	if (!sig->present)
		problem(rd->r, "%s is missing", MANIFEST_SIG_NAME);
	if (key && !rd->r->fingerprint[0])
		sign_fingerprint(key, rd->r->fingerprint);
	if (key && kept_ok(rd, K_SIG) && kept_ok(rd, K_MANIFEST)) {
		if (sign_verify(key, man->data, man->len,
				(const uint8_t *)sig->data, sig->len) == 0)
			rd->r->signature_ok = 1;
		else
			problem(rd->r, "%s", err_msg());
	} else if (key && sig->present && !man->present) {
		problem(rd->r, "signature does not verify");
	}
	if (key != given)
		sign_key_free(key);
}

static void
check_members(struct reader *rd, const struct manifest *m)
{
	const struct manifest_entry *e;
	char shown[512];
	size_t i;

	for (i = 0; i < m->n; i++) {
		manifest_display(m->v[i].name, shown, sizeof(shown));
		e = manifest_find(&rd->seen, m->v[i].name);
		if (manifest_is_reserved(m->v[i].name))
			problem(rd->r, "%s lists '%s', which it cannot cover",
				MANIFEST_NAME, shown);
		else if (!e)
			problem(rd->r, "member '%s' is in the manifest but "
				       "missing from the bundle", shown);
		else if (strcmp(e->sha256, m->v[i].sha256) != 0)
			problem(rd->r, "member '%s': sha256 mismatch", shown);
	}
	for (i = 0; i < rd->seen.n; i++) {
		if (manifest_is_reserved(rd->seen.v[i].name) ||
		    manifest_find(m, rd->seen.v[i].name))
			continue;
		problem(rd->r, "member '%s' is not in the manifest",
			manifest_display(rd->seen.v[i].name, shown,
					 sizeof(shown)));
	}
}

/* Sort the members found and name each duplicate once. */
static void
check_duplicates(struct reader *rd)
{
	struct manifest_entry *v;
	char shown[512];
	size_t i;

	if (rd->seen.n < 2)
		return;
	manifest_sort(&rd->seen);
	v = rd->seen.v;
	for (i = 1; i < rd->seen.n; i++)
		if (!strcmp(v[i - 1].name, v[i].name) &&
		    (i < 2 || strcmp(v[i - 2].name, v[i].name)))
			problem(rd->r, "member '%s' appears more than once",
				manifest_display(v[i].name, shown,
						 sizeof(shown)));
}

static int
check_custody_line(const char *line, size_t len, const char *prev)
{
	json_error_t jerr;
	json_t *obj, *p;
	int rc = 0;

	if (len == 0)
		return err_set("empty line");
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return err_set("not a JSON object");
	}
	p = json_object_get(obj, "prev");
	if (!json_is_string(p))
		rc = err_set("no \"prev\" string");
	else if (strcmp(json_string_value(p), prev) != 0)
		rc = err_set("\"prev\" is not the hash of the line before");
	json_decref(obj);
	return rc;
}

int
verify_custody_chain(const char *text, size_t len, size_t *lines,
		     char head[65])
{
	const char *p = text, *end = text + len, *nl;
	char prev[65];
	size_t n = 0;

	*lines = 0;
	memset(prev, '0', 64);
	prev[64] = '\0';
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n++;
		if (check_custody_line(p, (size_t)(nl - p), prev) < 0)
			return err_prefix("%s line %zu", VERIFY_CUSTODY_NAME,
					  n);
		if (sha256_hex_buf(p, (size_t)(nl - p), prev) < 0)
			return -1;
		p = nl + 1;
	}
	*lines = n;
	memcpy(head, prev, sizeof(prev));
	return 0;
}

static void
check_custody(struct reader *rd)
{
	struct kept *k = &rd->kept[K_CUSTODY];

	if (!kept_ok(rd, K_CUSTODY))
		return;
	rd->r->custody = 1;
	if (verify_custody_chain(k->data, k->len, &rd->r->custody_lines,
				 rd->r->custody_head) < 0) {
		rd->r->custody_head[0] = '\0';
		problem(rd->r, "%s", err_msg());
	}
}

int
verify_manifest_json(const char *text, size_t len, const char *custody_head)
{
	const char *name = VERIFY_MANIFEST_JSON_NAME;
	json_error_t jerr;
	json_t *obj, *head;
	int rc = 0;

	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(obj)) {
		rc = err_set("%s is not a JSON object (line %d: %s)", name,
			     jerr.line, obj ? "not an object" : jerr.text);
		json_decref(obj);
		return rc;
	}
	head = json_object_get(obj, "custody_head");
	if (head && !json_is_null(head)) {
		if (!custody_head)
			rc = err_set("%s names a custody head but %s is "
				     "missing", name, VERIFY_CUSTODY_NAME);
		else if (!json_is_string(head) ||
			 (custody_head[0] &&
			  strcmp(json_string_value(head), custody_head) != 0))
			rc = err_set("%s custody_head is not the hash of the "
				     "last line of %s", name,
				     VERIFY_CUSTODY_NAME);
	}
	json_decref(obj);
	return rc;
}

static void
check_manifest_json(struct reader *rd)
{
	struct kept *k = &rd->kept[K_JSON];
	const char *head = NULL;

	if (!kept_ok(rd, K_JSON))
		return;
	if (rd->kept[K_CUSTODY].present)
		head = rd->r->custody_head;
	if (verify_manifest_json(k->data, k->len, head) < 0)
		problem(rd->r, "%s", err_msg());
}

static void
check_manifest(struct reader *rd, struct sign_key *given)
{
	struct kept *k = &rd->kept[K_MANIFEST];
	struct manifest m = {NULL, 0};

	check_signature(rd, given);
	if (!k->present) {
		problem(rd->r, "%s is missing", MANIFEST_NAME);
		return;
	}
	if (!kept_ok(rd, K_MANIFEST))
		return;
	if (manifest_parse(k->data, k->len, &m) < 0) {
		problem(rd->r, "%s", err_msg());
		return;
	}
	rd->r->members = m.n;
	check_members(rd, &m);
	manifest_release(&m);
}

static void
reader_init(struct reader *rd, struct verify_report *r)
{
	static const struct kept kept[K_COUNT] = {
		{MANIFEST_NAME, 256u << 20, NULL, 0, 0, 0},
		{MANIFEST_SIG_NAME, 4096, NULL, 0, 0, 0},
		{MANIFEST_SIGNER_NAME, 64 * 1024, NULL, 0, 0, 0},
		{VERIFY_CUSTODY_NAME, 256u << 20, NULL, 0, 0, 0},
		{VERIFY_MANIFEST_JSON_NAME, 64u << 20, NULL, 0, 0, 0},
	};

	memset(rd, 0, sizeof(*rd));
	memcpy(rd->kept, kept, sizeof(kept));
	rd->fd = -1;
	rd->r = r;
}

static void
reader_release(struct reader *rd)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		free(rd->kept[i].data);
	manifest_release(&rd->seen);
	sha256_release(&rd->file_hash);
	free(rd->buf);
	free(rd->data);
	if (rd->fd >= 0)
		close(rd->fd);
}

static int
open_bundle(struct reader *rd, const char *path)
{
	struct stat st;

	rd->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (rd->fd < 0)
		return err_errno("cannot open bundle '%s'", path);
	if (fstat(rd->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return err_set("bundle '%s' is not a regular file", path);
	rd->buf = malloc(READ_BUF);
	rd->data = malloc(READ_BUF);
	if (!rd->buf || !rd->data)
		return err_set("out of memory");
	return sha256_init(&rd->file_hash);
}

int
verify_bundle(const char *path, const char *pub_path,
	      struct verify_report *r)
{
	struct sign_key *given = NULL;
	uint8_t digest[SHA256_LEN];
	struct reader rd;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->ok = 1;
	reader_init(&rd, r);
	if (pub_path && sign_pub_load(pub_path, &given) < 0)
		goto out;
	if (open_bundle(&rd, path) < 0)
		goto out;

	read_bundle(&rd);
	if (rd.read_error)
		problem(r, "cannot read bundle '%s': %s", path,
			strerror(rd.read_error));
	sha256_final(&rd.file_hash, digest);
	sha256_to_hex(digest, r->sha256);
	check_sidecar(&rd, path);
	check_duplicates(&rd);
	check_manifest(&rd, given);
	check_custody(&rd);
	check_manifest_json(&rd);
	rc = 0;
out:
	sign_key_free(given);
	reader_release(&rd);
	if (rc < 0)
		r->ok = 0;
	return rc;
}
