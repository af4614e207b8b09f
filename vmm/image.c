/*
 * image: the installation image cache and its index.
 */
#include "image.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "vmm/clone.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_MAX (16 * 1024 * 1024)
#define HASH_CHUNK (1024 * 1024)

static int
images_dir(char *buf, size_t size)
{
	return home_subdir(buf, size, "VMImages");
}

int
image_hash_fd(int fd, char out[SHA256_HEX])
{
	uint8_t digest[SHA256_LEN];
	struct sha256 h;
	char *buf = malloc(HASH_CHUNK);
	ssize_t n;

	if (!buf)
		return err_set("out of memory");
	if (sha256_init(&h) < 0) {
		free(buf);
		return -1;
	}
	while ((n = read(fd, buf, HASH_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sha256_release(&h);
			free(buf);
			return err_errno("cannot read the image");
		}
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_final(&h, digest);
	sha256_to_hex(digest, out);
	free(buf);
	return 0;
}

static int
entry_from_json(json_t *o, struct image_entry *e)
{
	const char *name, *sha, *added;
	json_int_t size;

	if (json_unpack(o, "{s:s, s:s, s:I, s:s}", "name", &name, "sha256",
			&sha, "size", &size, "added", &added) < 0 ||
	    path_check_name(name) < 0 || !sha256_is_hex(sha) || size < 0 ||
	    strlen(added) >= TIME_ISO_LEN)
		return err_set("bad image entry in VMImages/index.json");
	snprintf(e->name, sizeof(e->name), "%s", name);
	memcpy(e->sha256, sha, SHA256_HEX);
	e->size = (uint64_t)size;
	snprintf(e->added, sizeof(e->added), "%s", added);
	return 0;
}

static int
index_parse(const char *text, size_t len, struct image_index *idx)
{
	json_t *root = json_loadb(text, len, 0, NULL), *list, *o;
	size_t i;

	list = json_object_get(root, "images");
	if (!json_is_array(list)) {
		json_decref(root);
		return err_set("VMImages/index.json is not an image index");
	}
	idx->v = calloc(json_array_size(list) + 1, sizeof(*idx->v));
	if (!idx->v) {
		json_decref(root);
		return err_set("out of memory");
	}
	json_array_foreach(list, i, o)
	{
		if (entry_from_json(o, &idx->v[idx->n]) < 0) {
			json_decref(root);
			image_index_release(idx);
			return -1;
		}
		idx->n++;
	}
	json_decref(root);
	return 0;
}

int
image_index_load(struct image_index *idx)
{
	char path[PATH_BUF];
	char *text;
	size_t len;
	int rc;

	memset(idx, 0, sizeof(*idx));
	if (home_path(path, sizeof(path), "VMImages/index.json") < 0)
		return -1;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (file_read_all(path, INDEX_MAX, &text, &len) < 0)
		return -1;
	rc = index_parse(text, len, idx);
	free(text);
	return rc;
}

void
image_index_release(struct image_index *idx)
{
	free(idx->v);
	memset(idx, 0, sizeof(*idx));
}

const struct image_entry *
image_find(const struct image_index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		if (!strcmp(idx->v[i].name, name))
			return &idx->v[i];
	return NULL;
}

static int
index_save(const struct image_index *idx)
{
	json_t *list = json_array(), *root;
	char path[PATH_BUF];
	char *text;
	size_t i;
	int rc;

	for (i = 0; list && i < idx->n; i++)
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:I, s:s}", "name",
						idx->v[i].name, "sha256",
						idx->v[i].sha256, "size",
						(json_int_t)idx->v[i].size,
						"added", idx->v[i].added));
	root = json_pack("{s:o*}", "images", list);
	text = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER)
		    : NULL;
	json_decref(root);
	if (!text)
		return err_set("out of memory");
	rc = home_path(path, sizeof(path), "VMImages/index.json");
	if (rc == 0)
		rc = file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

/* Hold the index lock; returns the lock's fd or -1. */
static int
index_lock(void)
{
	char path[PATH_BUF];
	int fd;

	if (images_dir(path, sizeof(path)) < 0 ||
	    home_path(path, sizeof(path), "VMImages/.lock") < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return err_errno("cannot lock '%s'", path);
	}
	return fd;
}

static int
record_mismatch(const char *name, const char *expected, const char *got)
{
	json_t *data = json_pack("{s:s, s:s, s:s}", "file", name, "expected",
				 expected, "got", got);
	int rc;

	if (!data)
		return err_set("out of memory");
	rc = evlog_write(EV_CRITICAL, "iso-cache", "checksum.mismatch", NULL,
			 data);
	json_decref(data);
	return rc;
}

/* Copy src into tmp (reflink when possible), synced; its size. */
static int
copy_in(const char *src, const char *tmp, uint64_t *size)
{
	enum clone_method m;
	struct stat st;
	int in, out, rc = -1;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_errno("cannot open '%s'", src);
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(in);
		return err_set("'%s' is not a regular file", src);
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   0600);
	if (out < 0) {
		close(in);
		return err_errno("cannot create '%s'", tmp);
	}
	if (clone_file(in, out, &m) < 0)
		err_prefix("cannot copy '%s'", src);
	else if (fsync(out) < 0)
		err_errno("cannot sync '%s'", tmp);
	else
		rc = 0;
	*size = (uint64_t)st.st_size;
	close(out);
	close(in);
	return rc;
}

static int
hash_path(const char *path, char got[SHA256_HEX])
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	rc = image_hash_fd(fd, got);
	close(fd);
	return rc < 0 ? err_prefix("'%s'", path) : 0;
}

static int
check_args(const char *hex, const char *name, char want[SHA256_HEX])
{
	size_t i;

	if (path_check_name(name) < 0)
		return err_prefix("bad image name '%s'", name);
	if (!hex || strlen(hex) != 64)
		return err_set("bad SHA-256 '%s' (want 64 hex digits)",
			       hex ? hex : "");
	for (i = 0; i < 64; i++)
		want[i] = (char)tolower((unsigned char)hex[i]);
	want[64] = '\0';
	if (!sha256_is_hex(want))
		return err_set("bad SHA-256 '%s' (want 64 hex digits)", hex);
	return 0;
}

/* Move tmp into place as name and record it in the index. */
static int
commit(struct image_index *idx, const char *tmp, const char *dst,
       struct image_entry *e)
{
	struct image_entry *v;

	v = realloc(idx->v, (idx->n + 1) * sizeof(*v));
	if (!v)
		return err_set("out of memory");
	idx->v = v;
	if (rename(tmp, dst) < 0)
		return err_errno("cannot rename '%s' to '%s'", tmp, dst);
	if (file_sync_parent(dst) < 0)
		return -1;
	idx->v[idx->n++] = *e;
	return index_save(idx);
}

int
image_add(const char *src, const char *sha256_hex, const char *name,
	  struct image_entry *out, char got[SHA256_HEX])
{
	struct image_index idx = {0};
	struct image_entry e = {0};
	char dst[PATH_BUF], tmp[PATH_BUF];
	int lock, rc = -1;

	if (check_args(sha256_hex, name, e.sha256) < 0)
		return -1;
	snprintf(e.name, sizeof(e.name), "%s", name);
	if ((lock = index_lock()) < 0)
		return -1;
	if (image_index_load(&idx) < 0)
		goto out;
	if (image_find(&idx, name)) {
		err_set("image '%s' is already cached", name);
		goto out;
	}
	if (home_path(dst, sizeof(dst), "VMImages/%s", name) < 0 ||
	    home_path(tmp, sizeof(tmp), "VMImages/.%s.tmp", name) < 0)
		goto out;
	unlink(tmp);
	if (copy_in(src, tmp, &e.size) < 0 || hash_path(tmp, got) < 0)
		goto drop;
	if (strcmp(got, e.sha256)) {
		rc = record_mismatch(name, e.sha256, got) < 0 ? -1
							      : IMAGE_MISMATCH;
		goto drop;
	}
	time_iso(time_now_us(), e.added);
	if (commit(&idx, tmp, dst, &e) < 0)
		goto drop;
	*out = e;
	rc = IMAGE_OK;
	goto out;
drop:
	unlink(tmp);
out:
	image_index_release(&idx);
	close(lock);
	return rc;
}

int
image_verify(const struct image_entry *e, char got[SHA256_HEX])
{
	char path[PATH_BUF];

	if (home_path(path, sizeof(path), "VMImages/%s", e->name) < 0 ||
	    hash_path(path, got) < 0)
		return -1;
	if (!strcmp(got, e->sha256))
		return IMAGE_OK;
	if (record_mismatch(e->name, e->sha256, got) < 0)
		return -1;
	return IMAGE_MISMATCH;
}
