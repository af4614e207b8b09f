#include "helpers.h"

#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "vmm/bundle.h"
#include "vmm/clone.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(clone, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

/* Make a bundle whose Disk.img holds data at a few offsets. */
static void
make_vm_with_data(const char *name, uint64_t disk, char *path, size_t size)
{
	struct vm_config c;

	cr_assert_eq(vm_config_init(&c, name), 0, "%s", err_msg());
	c.disk_bytes = disk;
	cr_assert_eq(bundle_create(&c, path, size), 0, "%s", err_msg());
	cr_assert_eq(th_sh("f='%s/Disk.img'; "
			   "for at in 0 100 700; do "
			   "dd if=/dev/urandom of=\"$f\" bs=1M count=2 "
			   "seek=$at conv=notrunc status=none || exit 1; "
			   "done",
			   path),
		     0);
}

static struct stat
stat_of(const char *dir, const char *file)
{
	char path[4096];
	struct stat st;

	cr_assert_eq(path_fmt(path, sizeof(path), "%s/%s", dir, file), 0);
	cr_assert_eq(lstat(path, &st), 0, "missing %s", path);
	return st;
}

Test(clone, file_fallback_copy_keeps_holes)
{
	char src[4096], dst[4096];
	enum clone_method m;
	struct stat st;
	int sfd, dfd;

	cr_assert_eq(home_path(src, sizeof(src), "sparse.img"), 0);
	cr_assert_eq(home_path(dst, sizeof(dst), "copy.img"), 0);
	cr_assert_eq(th_sh("truncate -s 1G '%s' && "
			   "dd if=/dev/urandom of='%s' bs=1M count=3 seek=5 "
			   "conv=notrunc status=none && "
			   "dd if=/dev/urandom of='%s' bs=1M count=1 "
			   "seek=1023 conv=notrunc status=none",
			   src, src, src),
		     0);

	sfd = open(src, O_RDONLY);
	dfd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert(sfd >= 0 && dfd >= 0);
	cr_assert_eq(clone_file(sfd, dfd, &m), 0, "%s", err_msg());
	close(sfd);
	close(dfd);

	cr_assert_eq(stat(dst, &st), 0);
	cr_expect_eq(st.st_size, 1LL << 30);
	cr_expect_lt(st.st_blocks * 512, 16LL << 20,
		     "copy allocates %lld bytes: holes lost",
		     (long long)st.st_blocks * 512);
	cr_expect_eq(th_sh("cmp -s '%s' '%s'", src, dst), 0);
	cr_expect(m == CLONE_COPY || m == CLONE_REFLINK);
	cr_expect_str_eq(clone_method_name(CLONE_COPY), "fallback copy");
}

Test(clone, file_copy_of_empty_and_all_hole_files)
{
	char src[4096], dst[4096];
	enum clone_method m;
	int sfd, dfd;

	cr_assert_eq(home_path(src, sizeof(src), "hole.img"), 0);
	cr_assert_eq(home_path(dst, sizeof(dst), "hole.copy"), 0);
	cr_assert_eq(th_sh("truncate -s 10M '%s'", src), 0);
	sfd = open(src, O_RDONLY);
	dfd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_eq(clone_file(sfd, dfd, &m), 0, "%s", err_msg());
	close(sfd);
	close(dfd);
	cr_expect_eq(th_sh("test $(stat -c %%s '%s') = 10485760 && "
			   "cmp -s '%s' '%s'",
			   dst, src, dst),
		     0);
}

Test(clone, bundle_clone_is_sealed_and_records_source)
{
	char src[4096], tmp[4096];
	struct clone_report r;
	struct vm_config a, b;
	struct stat st;
	size_t i;

	make_vm_with_data("lab1", 1ULL << 30, src, sizeof(src));
	cr_assert_eq(th_sh("echo dropped > '%s/dropper.sh'", src), 0);
	cr_assert_eq(clone_bundle("lab1", "lab1-snap", &r), 1, "%s", err_msg());

	cr_expect(strstr(r.path, "/Linux/lab1-snap.bundle"), "%s", r.path);
	cr_expect_eq(r.nfiles, 4,
		     "Disk.img, NVRAM, MachineIdentifier, "
		     "dropper.sh");
	cr_expect_gt(r.elapsed_ns, 0);
	for (i = 0; i < r.nfiles; i++)
		if (!strcmp(r.files[i].name, "Disk.img"))
			cr_expect_eq(r.files[i].size, 1ULL << 30);

	cr_expect_eq(stat_of(r.path, ".").st_mode & 07777, 0500);
	cr_expect_eq(stat_of(r.path, "Disk.img").st_mode & 07777, 0400);
	cr_expect_eq(stat_of(r.path, "config.plist").st_mode & 07777, 0400);
	cr_expect_eq(stat_of(r.path, "dropper.sh").st_mode & 07777, 0400);
	st = stat_of(r.path, "Disk.img");
	cr_expect_lt(st.st_blocks * 512, 64LL << 20, "clone is not sparse");
	cr_expect_eq(th_sh("cmp -s '%s/Disk.img' '%s/Disk.img' && "
			   "cmp -s '%s/NVRAM' '%s/NVRAM' && "
			   "cmp -s '%s/MachineIdentifier' "
			   "'%s/MachineIdentifier'",
			   src, r.path, src, r.path, src, r.path),
		     0);

	cr_assert_eq(bundle_load("lab1", &a, NULL, 0), 1);
	cr_assert_eq(bundle_load("lab1-snap", &b, NULL, 0), 1, "%s", err_msg());
	cr_expect_str_eq(b.name, "lab1-snap");
	cr_expect_str_eq(b.clone_of, "lab1");
	cr_expect_neq(b.cloned_at[0], '\0');
	cr_expect_str_eq(b.uuid, a.uuid);
	cr_expect_str_eq(b.mac, a.mac);

	/* No temporary directory stays behind. */
	cr_assert_eq(home_path(tmp, sizeof(tmp), "Linux"), 0);
	cr_expect_eq(th_sh("test $(ls -A '%s' | wc -l) = 2", tmp), 0);

	/* And the read-only clone deletes. */
	cr_expect_eq(bundle_delete("lab1-snap"), 1, "%s", err_msg());
}

Test(clone, bundle_clone_refusals)
{
	char src[4096], dir[4096];
	struct clone_report r;

	make_vm_with_data("lab1", 16ULL << 20, src, sizeof(src));
	cr_expect_eq(clone_bundle("nope", "x", &r), 0);
	cr_expect_str_eq(err_msg(), "no VM named 'nope'");
	cr_expect_eq(clone_bundle("lab1", "lab1", &r), -1);
	cr_expect(strstr(err_msg(), "already exists"), "%s", err_msg());
	cr_expect_eq(clone_bundle("lab1", "../x", &r), -1);
	cr_expect(strstr(err_msg(), "invalid VM name"), "%s", err_msg());

	/* A broken config.plist in the source: refused, nothing made. */
	cr_assert_eq(th_sh("echo garbage > '%s/config.plist'", src), 0);
	cr_expect_eq(clone_bundle("lab1", "lab1-snap", &r), -1);
	cr_expect(strstr(err_msg(), "config.plist"), "%s", err_msg());
	cr_assert_eq(home_path(dir, sizeof(dir), "Linux"), 0);
	cr_expect_eq(th_sh("test $(ls -A '%s' | wc -l) = 1", dir), 0);
}

/*
 * Reflink on a real XFS filesystem (a loop mount), checked with FIEMAP:
 * the clone's extents are shared and sit at the source's blocks.
 */
static char xfs_dir[4096];
static int xfs_mounted;
static char xfs_skip[256];

static void
xfs_setup(void)
{
	char home[4096];
	const char *base = th_fresh_home();

	xfs_mounted = 0;
	cr_assert_eq(path_fmt(xfs_dir, sizeof(xfs_dir), "%s/mnt", base), 0);
	if (th_sh("command -v mkfs.xfs >/dev/null") != 0) {
		snprintf(xfs_skip, sizeof(xfs_skip),
			 "mkfs.xfs is missing (apt-get install xfsprogs)");
		return;
	}
	if (th_sh("truncate -s 512M '%s/xfs.img' && "
		  "mkfs.xfs -q -m reflink=1 '%s/xfs.img' && mkdir '%s'",
		  base, base, xfs_dir) != 0) {
		snprintf(xfs_skip, sizeof(xfs_skip), "mkfs.xfs failed");
		return;
	}
	if (th_sh("mount -o loop '%s/xfs.img' '%s' 2>/dev/null", base,
		  xfs_dir) != 0) {
		snprintf(xfs_skip, sizeof(xfs_skip),
			 "cannot loop-mount an XFS image here (needs root "
			 "and loop devices)");
		return;
	}
	xfs_mounted = 1;
	cr_assert_eq(path_fmt(home, sizeof(home), "%s/home", xfs_dir), 0);
	mkdir(home, 0700);
	setenv("SECVF_HOME", home, 1);
	home_reset();
}

static void
xfs_teardown(void)
{
	/* A loop device set up by mount -o loop detaches on unmount. */
	if (xfs_mounted)
		th_sh("umount '%s'", xfs_dir);
	xfs_mounted = 0;
	th_remove_home();
}

struct extents {
	unsigned n;
	uint64_t physical[64];
	uint64_t length[64];
	uint32_t flags[64];
};

static void
fiemap_of(const char *path, struct extents *e)
{
	struct fiemap *fm;
	unsigned i;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0, "cannot open %s", path);
	fm = calloc(1, sizeof(*fm) + 64 * sizeof(struct fiemap_extent));
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 64;
	cr_assert_eq(ioctl(fd, FS_IOC_FIEMAP, fm), 0, "FIEMAP on %s", path);
	close(fd);

	e->n = fm->fm_mapped_extents;
	for (i = 0; i < e->n; i++) {
		e->physical[i] = fm->fm_extents[i].fe_physical;
		e->length[i] = fm->fm_extents[i].fe_length;
		e->flags[i] = fm->fm_extents[i].fe_flags;
	}
	free(fm);
}

TestSuite(clone_xfs, .init = xfs_setup, .fini = xfs_teardown);

Test(clone_xfs, reflink_shares_extents)
{
	char src[4096], a[4096], b[4096];
	struct extents es, ec;
	struct clone_report r;
	unsigned i;
	char *out = NULL;

	if (!xfs_mounted)
		cr_skip_test("%s", xfs_skip);
	make_vm_with_data("lab1", 1ULL << 30, src, sizeof(src));
	cr_assert_eq(clone_bundle("lab1", "snap", &r), 1, "%s", err_msg());
	cr_expect_eq(r.method, CLONE_REFLINK, "method %s",
		     clone_method_name(r.method));

	cr_assert_eq(path_fmt(a, sizeof(a), "%s/Disk.img", src), 0);
	cr_assert_eq(path_fmt(b, sizeof(b), "%s/Disk.img", r.path), 0);
	fiemap_of(a, &es);
	fiemap_of(b, &ec);
	cr_assert_gt(ec.n, 0, "clone has no extents");
	cr_assert_eq(ec.n, es.n);
	for (i = 0; i < ec.n; i++) {
		cr_expect(ec.flags[i] & FIEMAP_EXTENT_SHARED,
			  "extent %u not shared", i);
		cr_expect_eq(ec.physical[i], es.physical[i],
			     "extent %u elsewhere", i);
		cr_expect_eq(ec.length[i], es.length[i]);
	}
	cr_expect_eq(th_sh("cmp -s '%s' '%s'", a, b), 0);

	/* The command says so too. */
	cr_expect_eq(th_secvf(&out, NULL, "vm", "snapshot", "lab1", "--as",
			      "snap2", NULL),
		     0);
	cr_expect(strstr(out, "by reflink"), "%s", out);
	free(out);
}
