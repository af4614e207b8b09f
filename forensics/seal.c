#include "seal.h"

#include "forensics/manifest.h"
#include "forensics/sign.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/killpoint.h"
#include "lib/path.h"
#include "lib/sha256.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define READ_BUF (1024 * 1024)
#define ZSTD_LEVEL 3

struct seal {
	char final[PATH_BUF];
	char partial[PATH_BUF];
	enum seal_compression comp;
	int fd;
	struct archive *a;
	ZSTD_CCtx *zc;
	uint8_t *zout;
	size_t zout_cap;
	struct sha256 out_hash;  /* of the compressed bytes written */
	struct manifest members;
	uint64_t member_bytes;   /* data bytes of the members added */
	struct seal_skips skipped;
	time_t opened;
	int broken;              /* a write failed: only abort remains */
	char close_error[ERR_MSG_MAX]; /* why the last flush failed */
	uint8_t *buf;            /* file read buffer */
};

void
seal_skips_release(struct seal_skips *skips)
{
	size_t i;

	for (i = 0; i < skips->n; i++) {
		free(skips->v[i].name);
		free(skips->v[i].reason);
	}
	free(skips->v);
	skips->v = NULL;
	skips->n = 0;
}

static int
skips_add(struct seal_skips *skips, const char *name, const char *reason)
{
	struct seal_skip *v = realloc(skips->v, (skips->n + 1) * sizeof(*v));

	if (!v)
		return err_set("out of memory");
	skips->v = v;
	v[skips->n].name = strdup(name);
	v[skips->n].reason = strdup(reason);
	if (!v[skips->n].name || !v[skips->n].reason) {
		free(v[skips->n].name);
		free(v[skips->n].reason);
		return err_set("out of memory");
	}
	skips->n++;
	return 0;
}

int
seal_compression_for(const char *path, enum seal_compression *out)
{
	size_t n = strlen(path);

	if (n > 8 && !strcmp(path + n - 8, ".tar.zst"))
		*out = SEAL_ZSTD;
	else if (n > 7 && !strcmp(path + n - 7, ".tar.gz"))
		*out = SEAL_GZIP;
	else if (n > 4 && !strcmp(path + n - 4, ".tar"))
		*out = SEAL_NONE;
	else
		return err_set("bundle name '%s' does not end in .tar.zst, "
			       ".tar.gz or .tar", path);
	return 0;
}

/* The output end: hash and write compressed bytes. */
static int
emit(struct seal *s, const void *buf, size_t len)
{
	sha256_update(&s->out_hash, buf, len);
	if (file_write_full(s->fd, buf, len) < 0)
		return err_errno("cannot write '%s'", s->partial);
	return 0;
}

/* Run the zstd stream over in (NULL at the end), emitting its output. */
static int
zstd_push(struct seal *s, const void *buf, size_t len, ZSTD_EndDirective e)
{
	ZSTD_inBuffer in = {buf, len, 0};
	size_t left;

	do {
		ZSTD_outBuffer out = {s->zout, s->zout_cap, 0};

		left = ZSTD_compressStream2(s->zc, &out, &in, e);
		if (ZSTD_isError(left))
			return err_set("zstd: %s", ZSTD_getErrorName(left));
		if (out.pos && emit(s, s->zout, out.pos) < 0)
			return -1;
	} while (e == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static la_ssize_t
write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct seal *s = ctx;
	int rc;

	if (s->broken)
		return -1;
	if (s->comp == SEAL_ZSTD)
		rc = zstd_push(s, buf, len, ZSTD_e_continue);
	else
		rc = emit(s, buf, len);
	if (rc < 0) {
		archive_set_error(a, EIO, "%s", err_msg());
		return -1;
	}
	return (la_ssize_t)len;
}

/*
 * The end of the zstd stream: most of the compressed bytes may still
 * be inside zstd's workers here.  libarchive ignores what a close
 * callback returns, so a failure breaks the seal for close_archive()
 * to see.
 */
static int
close_cb(struct archive *a, void *ctx)
{
	struct seal *s = ctx;

	if (s->broken || s->comp != SEAL_ZSTD)
		return ARCHIVE_OK;
	if (zstd_push(s, NULL, 0, ZSTD_e_end) < 0) {
		s->broken = 1;
		snprintf(s->close_error, sizeof(s->close_error), "%s",
			 err_msg());
		archive_set_error(a, EIO, "%s", err_msg());
		return ARCHIVE_FATAL;
	}
	return ARCHIVE_OK;
}

static int
zstd_setup(struct seal *s)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	s->zc = ZSTD_createCCtx();
	s->zout_cap = ZSTD_CStreamOutSize();
	s->zout = malloc(s->zout_cap);
	if (!s->zc || !s->zout)
		return err_set("out of memory for zstd");
	ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(s->zc, ZSTD_c_checksumFlag, 1);
	/* Fails harmlessly on a libzstd built without threads. */
	ZSTD_CCtx_setParameter(s->zc, ZSTD_c_nbWorkers,
			       cores > 1 ? (int)cores : 0);
	return 0;
}

static int
archive_setup(struct seal *s)
{
	s->a = archive_write_new();
	if (!s->a)
		return err_set("out of memory for libarchive");
	if (archive_write_set_format_pax_restricted(s->a) != ARCHIVE_OK ||
	    (s->comp == SEAL_GZIP &&
	     archive_write_add_filter_gzip(s->a) != ARCHIVE_OK) ||
	    archive_write_set_bytes_in_last_block(s->a, 1) != ARCHIVE_OK ||
	    archive_write_open(s->a, s, NULL, write_cb, close_cb) !=
		    ARCHIVE_OK)
		return err_set("cannot start archive '%s': %s", s->partial,
			       archive_error_string(s->a));
	return 0;
}

static void
seal_free(struct seal *s)
{
	if (s->a)
		archive_write_free(s->a);
	ZSTD_freeCCtx(s->zc);
	free(s->zout);
	sha256_release(&s->out_hash);
	manifest_release(&s->members);
	seal_skips_release(&s->skipped);
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}

static int
check_final_name(const char *final)
{
	const char *base = strrchr(final, '/');

	base = base ? base + 1 : final;
	if (strpbrk(base, "\\\n"))
		return err_set("bundle name '%s' holds a backslash or newline",
			       final);
	if (access(final, F_OK) == 0)
		return err_set("bundle '%s' already exists", final);
	return 0;
}

static int
seal_start(struct seal *s, const char *final_path)
{
	if (path_fmt(s->final, sizeof(s->final), "%s", final_path) < 0 ||
	    path_fmt(s->partial, sizeof(s->partial), "%s.partial",
		     final_path) < 0 ||
	    check_final_name(final_path) < 0)
		return -1;
	s->buf = malloc(READ_BUF);
	if (!s->buf)
		return err_set("out of memory");
	if (sha256_init(&s->out_hash) < 0)
		return -1;
	if (s->comp == SEAL_ZSTD && zstd_setup(s) < 0)
		return -1;

	s->fd = open(s->partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			 O_CLOEXEC, 0600);
	if (s->fd < 0)
		return err_errno("cannot create '%s'", s->partial);
	return archive_setup(s);
}

int
seal_open(const char *final_path, enum seal_compression comp,
	  struct seal **out)
{
	struct seal *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return err_set("out of memory");
	s->fd = -1;
	s->comp = comp;
	s->opened = time(NULL);

	if (seal_start(s, final_path) < 0) {
		if (s->fd >= 0)
			unlink(s->partial);
		seal_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
seal_abort(struct seal *s)
{
	if (!s)
		return;
	s->broken = 1;
	if (s->fd >= 0)
		unlink(s->partial);
	seal_free(s);
}

const struct manifest *
seal_members(const struct seal *s)
{
	return &s->members;
}

uint64_t
seal_member_bytes(const struct seal *s)
{
	return s->member_bytes;
}

static int
check_member(struct seal *s, const char *name)
{
	if (s->broken)
		return err_set("bundle '%s' is broken by an earlier error",
			       s->final);
	if (manifest_check_name(name) < 0)
		return -1;
	if (manifest_is_reserved(name) || !strcmp(name, SEAL_SKIPPED_NAME))
		return err_set("member name '%s' is reserved", name);
	return 0;
}

/* Write an entry's header; the seal breaks when libarchive fails. */
static int
write_header(struct seal *s, struct archive_entry *e)
{
	int rc = archive_write_header(s->a, e);

	/* ARCHIVE_WARN: a name not in the locale's charset, kept raw. */
	if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN)
		return 0;
	s->broken = 1;
	return err_set("cannot write member '%s': %s",
		       archive_entry_pathname(e), archive_error_string(s->a));
}

static int
write_data(struct seal *s, const char *name, const void *buf, size_t len)
{
	if (archive_write_data(s->a, buf, len) == (la_ssize_t)len)
		return 0;
	s->broken = 1;
	return err_set("cannot write member '%s': %s", name,
		       archive_error_string(s->a));
}

/* A blob's member, not listed in the manifest when reserved. */
static int
put_blob(struct seal *s, const char *name, const void *buf, size_t len,
	 char hex[65])
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	if (!e)
		return err_set("out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, s->opened, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);

	rc = write_header(s, e);
	archive_entry_free(e);
	if (rc == 0 && len > 0)
		rc = write_data(s, name, buf, len);
	if (rc == 0)
		s->member_bytes += len;
	if (rc == 0 && hex)
		rc = sha256_hex_buf(buf, len, hex);
	return rc;
}

int
seal_add_blob(struct seal *s, const char *member_name, const void *buf,
	      size_t len, struct seal_member *out)
{
	char hex[65];

	if (check_member(s, member_name) < 0 ||
	    put_blob(s, member_name, buf, len, hex) < 0 ||
	    manifest_add(&s->members, member_name, hex) < 0)
		return -1;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->size = len;
		memcpy(out->sha256, hex, sizeof(hex));
	}
	return 0;
}

static const char *
skip_reason(mode_t mode)
{
	if (S_ISLNK(mode))
		return "symlink";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISDIR(mode))
		return "directory";
	return "not a regular file";
}

static int
skip(struct seal *s, const char *name, const char *reason,
     struct seal_member *out)
{
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
	out->skipped = 1;
	return skips_add(&s->skipped, name, reason) < 0 ? -1 : 1;
}

/* Stream size bytes of fd into the archive, hashing the same buffer. */
static int
stream_file(struct seal *s, const char *name, int fd, uint64_t size,
	    char hex[65])
{
	struct sha256 h;
	uint8_t digest[SHA256_LEN];

	if (sha256_init(&h) < 0)
		return -1;
	while (size > 0) {
		size_t want = size < READ_BUF ? (size_t)size : READ_BUF;
		ssize_t n = read(fd, s->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sha256_release(&h);
			s->broken = 1;
			if (n < 0)
				return err_errno("cannot read '%s'", name);
			return err_set("'%s' shrank while being sealed", name);
		}
		sha256_update(&h, s->buf, (size_t)n);
		if (write_data(s, name, s->buf, (size_t)n) < 0) {
			sha256_release(&h);
			return -1;
		}
		size -= (uint64_t)n;
	}
	sha256_final(&h, digest);
	sha256_to_hex(digest, hex);
	return 0;
}

static int
add_open_file(struct seal *s, const char *name, int fd,
	      const struct stat *st, struct seal_member *out)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	if (!e)
		return err_set("out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, st->st_mode & 0777);
	archive_entry_set_size(e, st->st_size);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	rc = write_header(s, e);
	archive_entry_free(e);
	if (rc < 0)
		return -1;

	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	out->size = (uint64_t)st->st_size;
	if (stream_file(s, name, fd, out->size, out->sha256) < 0)
		return -1;
	s->member_bytes += out->size;
	return manifest_add(&s->members, name, out->sha256);
}

/* Reopen an O_PATH fd of a regular file for reading: the same inode. */
static int
reopen_path_fd(int pfd, const char *relpath)
{
	char proc[64];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_errno("cannot open '%s'", relpath);
	return fd;
}

int
seal_add_file(struct seal *s, const char *member_name, int dirfd,
	      const char *relpath, struct seal_member *out)
{
	struct seal_member scratch;
	struct stat st;
	int pfd, fd = -1, rc = -1;

	if (!out)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	if (check_member(s, member_name) < 0)
		return -1;

	/* O_PATH: a FIFO or device is looked at, never opened. */
	pfd = file_open_beneath(dirfd, relpath, O_PATH, 0);
	if (pfd < 0)
		return -1;
	if (fstat(pfd, &st) < 0) {
		err_errno("cannot stat '%s'", relpath);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = skip(s, member_name, skip_reason(st.st_mode), out);
		goto out;
	}

	fd = reopen_path_fd(pfd, relpath);
	if (fd >= 0)
		rc = add_open_file(s, member_name, fd, &st, out);
out:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entry names of an open directory; closes dfd. */
static int
list_dir(int dfd, const char *where, char ***names, size_t *n)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char **v = NULL, **grown;

	*n = 0;
	*names = NULL;
	if (!d) {
		close(dfd);
		return err_errno("cannot read directory '%s'", where);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		grown = realloc(v, (*n + 1) * sizeof(*v));
		if (!grown || !(grown[*n] = strdup(de->d_name))) {
			*names = grown ? grown : v;
			closedir(d);
			return err_set("out of memory");
		}
		v = grown;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
}

static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

struct walk {
	struct seal *s;
	struct seal_skips *skips;
	const char *root;
};

static int walk_dir(struct walk *w, int dfd, const char *prefix, int depth);

static int
walk_entry(struct walk *w, int dfd, const char *name, const char *member,
	   int depth)
{
	struct seal_member m;
	struct stat st;
	int sub, rc;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno("cannot stat '%s' in '%s'", name, w->root);
	if (S_ISDIR(st.st_mode) && depth < SEAL_DEPTH_MAX) {
		sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
		if (sub < 0)
			return err_errno("cannot open '%s' in '%s'", name,
					 w->root);
		return walk_dir(w, sub, member, depth + 1);
	}
	if (S_ISDIR(st.st_mode)) {
		memset(&m, 0, sizeof(m));
		rc = skip(w->s, member, "too deep", &m);
	} else {
		rc = seal_add_file(w->s, member, dfd, name, &m);
	}
	if (rc == 1 && w->skips && skips_add(w->skips, member, m.reason) < 0)
		return -1;
	return rc < 0 ? -1 : 0;
}

/* Add everything in the directory open at dfd (closed here). */
static int
walk_dir(struct walk *w, int dfd, const char *prefix, int depth)
{
	char member[MANIFEST_MEMBER_MAX + 1];
	char **names;
	size_t i, n;
	int rc = 0;

	if (list_dir(dup(dfd), w->root, &names, &n) < 0) {
		close(dfd);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		rc = path_fmt(member, sizeof(member), "%s%s%s", prefix,
			      *prefix ? "/" : "", names[i]);
		if (rc == 0)
			rc = walk_entry(w, dfd, names[i], member, depth);
	}
	free_names(names, n);
	close(dfd);
	return rc;
}

int
seal_add_tree(struct seal *s, const char *member_prefix,
	      const char *dir_path, struct seal_skips *skips)
{
	struct walk w = {s, skips, dir_path};
	int dfd;

	if (s->broken)
		return err_set("bundle '%s' is broken by an earlier error",
			       s->final);
	dfd = open(dir_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return err_errno("cannot open directory '%s'", dir_path);
	return walk_dir(&w, dfd, member_prefix, 0);
}

/* skipped.tsv: one "reason\tname" line per skipped entry. */
static int
add_skipped_list(struct seal *s)
{
	char shown[1024], hex[65];
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	if (s->skipped.n == 0)
		return 0;
	f = open_memstream(&text, &len);
	if (!f)
		return err_set("out of memory");
	for (i = 0; i < s->skipped.n; i++)
		fprintf(f, "%s\t%s\n", s->skipped.v[i].reason,
			manifest_display(s->skipped.v[i].name, shown,
					 sizeof(shown)));
	if (fclose(f) != 0) {
		free(text);
		return err_set("out of memory");
	}
	rc = put_blob(s, SEAL_SKIPPED_NAME, text, len, hex);
	if (rc == 0)
		rc = manifest_add(&s->members, SEAL_SKIPPED_NAME, hex);
	free(text);
	return rc;
}

/* The manifest, its signature and signer.pub, the last members. */
static int
add_signed_manifest(struct seal *s, struct sign_key *key)
{
	uint8_t sig[SIGN_SIG_LEN];
	char *text = NULL, *pem = NULL;
	size_t len, pem_len;
	int rc = -1;

	if (manifest_render(&s->members, &text, &len) < 0 ||
	    sign_buf(key, text, len, sig) < 0 ||
	    sign_pub_pem(key, &pem, &pem_len) < 0)
		goto out;
	if (put_blob(s, MANIFEST_NAME, text, len, NULL) < 0 ||
	    put_blob(s, MANIFEST_SIG_NAME, sig, sizeof(sig), NULL) < 0 ||
	    put_blob(s, MANIFEST_SIGNER_NAME, pem, pem_len, NULL) < 0)
		goto out;
	rc = 0;
out:
	free(pem);
	free(text);
	return rc;
}

static int
load_key(const char *key_path, const char *passphrase,
	 struct sign_key **key)
{
	char priv[PATH_BUF], pub[PATH_BUF];

	if (!key_path) {
		if (sign_default_paths(priv, sizeof(priv), pub,
				       sizeof(pub)) < 0)
			return -1;
		key_path = priv;
	}
	return sign_key_load(key_path, passphrase, key);
}

/* Close the archive and sync the partial file. */
static int
close_archive(struct seal *s, char hex[65])
{
	uint8_t digest[SHA256_LEN];

	if (archive_write_close(s->a) != ARCHIVE_OK || s->broken) {
		s->broken = 1;
		return err_set("cannot finish '%s': %s", s->partial,
			       s->close_error[0] ? s->close_error
						 : archive_error_string(s->a));
	}
	sha256_final(&s->out_hash, digest);
	sha256_to_hex(digest, hex);
	if (fsync(s->fd) < 0)
		return err_errno("cannot sync '%s'", s->partial);
	if (close(s->fd) < 0) {
		s->fd = -1;
		return err_errno("cannot close '%s'", s->partial);
	}
	s->fd = -1;
	return 0;
}

/* Create or replace path holding buf, synced. */
static int
write_synced(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				    O_CLOEXEC,
		      0600);

	if (fd < 0)
		return err_errno("cannot create '%s'", path);
	if (file_write_full(fd, buf, len) < 0 || fsync(fd) < 0) {
		err_errno("cannot write '%s'", path);
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) < 0) {
		err_errno("cannot close '%s'", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static int
sidecar_paths(const char *final, char *side, char *side_partial,
	      size_t size)
{
	if (path_fmt(side, size, "%s.sha256", final) < 0 ||
	    path_fmt(side_partial, size, "%s.sha256.partial", final) < 0)
		return -1;
	return 0;
}

/* FINAL.sha256.partial, written before the bundle takes its name. */
static int
write_sidecar(const char *final, const char *side_partial, const char *hex)
{
	const char *base = strrchr(final, '/');
	char line[PATH_BUF];

	base = base ? base + 1 : final;
	if (path_fmt(line, sizeof(line), "%s  %s\n", hex, base) < 0)
		return -1;
	return write_synced(side_partial, line, strlen(line));
}

/*
 * Every byte that needs room on the disk is written and synced before
 * the bundle is renamed into place: after that rename, only another
 * rename is left, so a full disk or a kill never leaves a finished
 * name over half a bundle.
 */
int
seal_finish(struct seal *s, const char *key_path, const char *passphrase,
	    char bundle_sha256_hex[65])
{
	char side[PATH_BUF], side_partial[PATH_BUF], hex[65];
	struct sign_key *key = NULL;

	side_partial[0] = '\0';
	if (s->broken) {
		err_set("bundle '%s' is broken by an earlier error", s->final);
		goto fail;
	}
	if (sidecar_paths(s->final, side, side_partial, sizeof(side)) < 0)
		goto fail;
	if (load_key(key_path, passphrase, &key) < 0 ||
	    add_skipped_list(s) < 0 || add_signed_manifest(s, key) < 0 ||
	    close_archive(s, hex) < 0)
		goto fail;
	sign_key_free(key);
	key = NULL;
	if (write_sidecar(s->final, side_partial, hex) < 0) {
		side_partial[0] = '\0';
		goto fail;
	}

	killpoint("seal-rename");
	if (renameat2(AT_FDCWD, s->partial, AT_FDCWD, s->final,
		      RENAME_NOREPLACE) < 0) {
		err_errno("cannot rename '%s' to '%s'", s->partial, s->final);
		goto fail;
	}
	killpoint("seal-sidecar");
	if (rename(side_partial, side) < 0) {
		err_errno("cannot rename '%s' to '%s'", side_partial, side);
		unlink(side_partial);
		seal_free(s);
		return -1;
	}
	if (file_sync_parent(s->final) < 0) {
		seal_free(s);
		return -1;
	}
	memcpy(bundle_sha256_hex, hex, sizeof(hex));
	seal_free(s);
	return 0;

fail:
	sign_key_free(key);
	s->broken = 1;
	unlink(s->partial);
	if (side_partial[0])
		unlink(side_partial);
	seal_free(s);
	return -1;
}

/* Does name end in suffix?  Then its length without it, else 0. */
static size_t
stem_len(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && !strcmp(name + n - k, suffix) ? n - k : 0;
}

static void
recover_one(int dfd, const char *name)
{
	char bundle[NAME_MAX + 1], side[NAME_MAX + 1];
	size_t stem = stem_len(name, ".sha256.partial");
	struct stat st;

	if (stem && stem + 7 < sizeof(side)) {
		memcpy(bundle, name, stem);
		bundle[stem] = '\0';
		memcpy(side, name, stem + 7); /* FINAL.sha256 */
		side[stem + 7] = '\0';
		if (fstatat(dfd, bundle, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) &&
		    renameat(dfd, name, dfd, side) == 0)
			return;
	}
	if (stem || stem_len(name, ".partial"))
		unlinkat(dfd, name, 0);
}

int
seal_recover(const char *dir, int (*mine)(const char *name, void *arg),
	     void *arg)
{
	struct dirent *e;
	DIR *d;
	int dfd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return err_errno("cannot open directory '%s'", dir);
	d = fdopendir(dup(dfd));
	if (!d) {
		close(dfd);
		return err_errno("cannot read directory '%s'", dir);
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && mine(e->d_name, arg))
			recover_one(dfd, e->d_name);
	closedir(d);
	fsync(dfd);
	close(dfd);
	return 0;
}
