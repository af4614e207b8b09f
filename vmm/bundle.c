#include "bundle.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_SUFFIX ".bundle"
#define TREE_DEPTH_MAX 16

int
bundle_is_known_file(const char *name)
{
	static const char *const known[] = {"config.plist", "Disk.img", "NVRAM",
					    "MachineIdentifier", NULL};
	static const char tmp[] = "config.plist.tmp.";
	const char *const *k;
	const char *p;

	for (k = known; *k; k++)
		if (!strcmp(*k, name))
			return 1;

	/* file_write_atomic's temporary name: "config.plist.tmp.PID". */
	if (strncmp(name, tmp, sizeof(tmp) - 1))
		return 0;
	p = name + sizeof(tmp) - 1;
	if (!*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int
bundle_path(const char *name, enum vm_family f, char *buf, size_t size)
{
	if (path_check_name(name) < 0)
		return err_prefix("invalid VM name");
	if (strlen(name) + sizeof(BUNDLE_SUFFIX) > VM_NAME_MAX)
		return err_set("invalid VM name: name is longer than %zu bytes",
			       VM_NAME_MAX - sizeof(BUNDLE_SUFFIX));
	return home_path(buf, size, "%s/%s" BUNDLE_SUFFIX, vm_family_dir(f),
			 name);
}

int
bundle_find(const char *name, char *buf, size_t size, enum vm_family *f)
{
	static const enum vm_family families[] = {VM_LINUX, VM_MACOS};
	struct stat st;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (bundle_path(name, families[i], buf, size) < 0)
			return -1;
		if (lstat(buf, &st) == 0) {
			if (f)
				*f = families[i];
			return 1;
		}
		if (errno != ENOENT)
			return err_errno("cannot stat '%s'", buf);
	}
	buf[0] = '\0';
	err_set("no VM named '%s'", name);
	return 0;
}

int
bundle_load(const char *name, struct vm_config *c, char *buf, size_t size)
{
	char dir[PATH_BUF], file[PATH_BUF];
	int rc;

	memset(c, 0, sizeof(*c));
	rc = bundle_find(name, dir, sizeof(dir), NULL);
	if (rc <= 0)
		return rc;
	if (path_fmt(file, sizeof(file), "%s/config.plist", dir) < 0 ||
	    vm_config_read(file, name, c) < 0)
		return -1;
	if (buf && path_fmt(buf, size, "%s", dir) < 0)
		return -1;
	return 1;
}

int
bundle_vars_template(const char *firmware, char *buf, size_t size)
{
	const char *base = strrchr(firmware, '/');
	struct stat st;
	char *code;

	base = base ? base + 1 : firmware;
	if (!strstr(base, "CODE"))
		return 0;
	if (path_fmt(buf, size, "%s", firmware) < 0)
		return -1;
	code = strstr(buf + (base - firmware), "CODE");
	memcpy(code, "VARS", 4);
	if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
		return 1;
	buf[0] = '\0';
	return 0;
}

/* Creating */

static int
write_new_file(int dirfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dirfd, name,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0)
		return err_errno("cannot create '%s'", name);
	if (file_write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		err_errno("cannot write '%s'", name);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return err_errno("cannot close '%s'", name);
	return 0;
}

static int
make_disk(int dirfd, uint64_t bytes)
{
	int fd = openat(dirfd, "Disk.img",
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0)
		return err_errno("cannot create 'Disk.img'");
	if (ftruncate(fd, (off_t)bytes) < 0 || fsync(fd) < 0) {
		err_errno("cannot size 'Disk.img'");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
make_nvram(int dirfd, const char *firmware)
{
	char tmpl[PATH_BUF];
	size_t len = 0;
	char *data = NULL;
	int rc;

	if (*firmware) {
		rc = bundle_vars_template(firmware, tmpl, sizeof(tmpl));
		if (rc < 0)
			return -1;
		if (rc == 1 && file_read_all(tmpl, 64 << 20, &data, &len) < 0)
			return -1;
	}
	rc = write_new_file(dirfd, "NVRAM", data ? data : "", len);
	free(data);
	return rc;
}

static int
make_machine_id(int dirfd, const char *name)
{
	struct vm_config scratch;
	char text[VM_UUID_LEN + 1];

	/* vm_config_init draws a fresh random UUID. */
	if (vm_config_init(&scratch, name) < 0)
		return -1;
	snprintf(text, sizeof(text), "%s\n", scratch.uuid);
	return write_new_file(dirfd, "MachineIdentifier", text, strlen(text));
}

static int
fill_bundle(const char *dir, const struct vm_config *c)
{
	char file[PATH_BUF];
	int dirfd, rc = -1;

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return err_errno("cannot open '%s'", dir);

	if (make_disk(dirfd, c->disk_bytes) < 0 ||
	    make_nvram(dirfd, c->firmware) < 0 ||
	    make_machine_id(dirfd, c->name) < 0)
		goto out;
	if (path_fmt(file, sizeof(file), "%s/config.plist", dir) < 0 ||
	    vm_config_write(file, c) < 0)
		goto out;
	if (fsync(dirfd) < 0) {
		err_errno("cannot sync '%s'", dir);
		goto out;
	}
	rc = 0;
out:
	close(dirfd);
	return rc;
}

/* Remove dir/name after a failure, keeping the failure's message. */
static void
discard(const char *dir, const char *name)
{
	char saved[ERR_MSG_MAX];
	int fd;

	snprintf(saved, sizeof(saved), "%s", err_msg());
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		bundle_remove_tree(fd, name);
		close(fd);
	}
	err_set("%s", saved);
}

int
bundle_create(const struct vm_config *c, char *path, size_t size)
{
	char fam[PATH_BUF], final[PATH_BUF], tmp[PATH_BUF];
	char tmpname[VM_NAME_MAX + 32];
	int rc;

	if (vm_config_validate(c) < 0)
		return -1;
	rc = bundle_find(c->name, final, sizeof(final), NULL);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_set("a VM named '%s' already exists", c->name);
	if (bundle_path(c->name, c->family, final, sizeof(final)) < 0 ||
	    home_subdir(fam, sizeof(fam), "%s", vm_family_dir(c->family)) < 0)
		return -1;

	/* Build under a hidden name, then rename into place. */
	if (path_fmt(tmpname, sizeof(tmpname), ".%s" BUNDLE_SUFFIX ".new.%ld",
		     c->name, (long)getpid()) < 0 ||
	    path_fmt(tmp, sizeof(tmp), "%s/%s", fam, tmpname) < 0)
		return -1;
	if (mkdir(tmp, 0700) < 0)
		return err_errno("cannot create '%s'", tmp);
	if (fill_bundle(tmp, c) < 0)
		goto fail;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			err_set("a VM named '%s' already exists", c->name);
		else
			err_errno("cannot rename '%s' to '%s'", tmp, final);
		goto fail;
	}
	if (file_sync_parent(final) < 0)
		return -1;
	if (path)
		return path_fmt(path, size, "%s", final);
	return 0;

fail:
	discard(fam, tmpname);
	return -1;
}

/* Listing */

static int
entry_cmp(const void *a, const void *b)
{
	const struct bundle_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
add_entry(struct bundle_entry **list, size_t *n, size_t *cap, const char *name,
	  size_t len, enum vm_family f)
{
	struct bundle_entry *e;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		e = realloc(*list, ncap * sizeof(**list));
		if (!e)
			return err_set("out of memory listing bundles");
		*list = e;
		*cap = ncap;
	}
	e = &(*list)[(*n)++];
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->family = f;
	return 0;
}

/* A family directory's bundles; an absent directory holds none. */
static int
list_family(enum vm_family f, struct bundle_entry **list, size_t *n,
	    size_t *cap)
{
	char dir[PATH_BUF], name[VM_NAME_MAX];
	const size_t slen = sizeof(BUNDLE_SUFFIX) - 1;
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int rc = 0;

	if (home_path(dir, sizeof(dir), "%s", vm_family_dir(f)) < 0)
		return -1;
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : err_errno("cannot open '%s'", dir);

	while (rc == 0 && (d = readdir(dp))) {
		size_t len = strlen(d->d_name);

		if (len <= slen || len - slen >= sizeof(name) ||
		    strcmp(d->d_name + len - slen, BUNDLE_SUFFIX))
			continue;
		memcpy(name, d->d_name, len - slen);
		name[len - slen] = '\0';
		if (path_check_name(name) < 0 ||
		    fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			    0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		rc = add_entry(list, n, cap, name, len - slen, f);
	}
	closedir(dp);
	return rc;
}

int
bundle_list(struct bundle_entry **entries, size_t *count)
{
	struct bundle_entry *list = NULL;
	size_t n = 0, cap = 0;

	*entries = NULL;
	*count = 0;
	if (list_family(VM_LINUX, &list, &n, &cap) < 0 ||
	    list_family(VM_MACOS, &list, &n, &cap) < 0) {
		free(list);
		return -1;
	}
	if (n)
		qsort(list, n, sizeof(*list), entry_cmp);
	*entries = list;
	*count = n;
	return 0;
}

/* Removing */

static int remove_tree(int dirfd, const char *name, int depth);

static int
remove_entries(int fd, const char *name, int depth)
{
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int rc = 0;

	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return err_errno("cannot read '%s'", name);
	}
	while (rc == 0 && (d = readdir(dp))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = err_errno("cannot stat '%s'", d->d_name);
		else if (S_ISDIR(st.st_mode))
			rc = remove_tree(fd, d->d_name, depth + 1);
		else if (unlinkat(fd, d->d_name, 0) < 0)
			rc = err_errno("cannot remove '%s'", d->d_name);
	}
	closedir(dp);
	return rc;
}

static int
remove_tree(int dirfd, const char *name, int depth)
{
	struct stat st;
	int fd;

	if (depth > TREE_DEPTH_MAX)
		return err_set("'%s' is nested too deeply", name);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno("cannot stat '%s'", name);
	if (!S_ISDIR(st.st_mode))
		return err_set("'%s' is not a directory", name);

	/* A clone is read-only: make it writable to empty it. */
	if ((st.st_mode & 0700) != 0700 && fchmodat(dirfd, name, 0700, 0) < 0)
		return err_errno("cannot make '%s' writable", name);

	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno("cannot open '%s'", name);
	if (remove_entries(fd, name, depth) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return err_errno("cannot remove '%s'", name);
	return 0;
}

int
bundle_remove_tree(int dirfd, const char *name)
{
	return remove_tree(dirfd, name, 0);
}

int
bundle_delete(const char *name)
{
	char path[PATH_BUF], gone[VM_NAME_MAX + 32];
	const char *base;
	struct stat st;
	int rc, fd;

	rc = bundle_find(name, path, sizeof(path), NULL);
	if (rc <= 0)
		return rc;
	if (lstat(path, &st) < 0)
		return err_errno("cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return err_set("'%s' is not a directory; refusing to delete it",
			       path);

	base = strrchr(path, '/') + 1;
	if (path_fmt(gone, sizeof(gone), ".%s.deleting.%ld", base,
		     (long)getpid()) < 0)
		return -1;
	path[base - path - 1] = '\0';

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (renameat(fd, base, fd, gone) < 0) {
		err_errno("cannot rename '%s'", base);
		close(fd);
		return -1;
	}
	rc = bundle_remove_tree(fd, gone);
	if (rc == 0 && fsync(fd) < 0)
		rc = err_errno("cannot sync '%s'", path);
	close(fd);
	return rc < 0 ? -1 : 1;
}
