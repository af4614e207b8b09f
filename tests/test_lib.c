#include "helpers.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(lib, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

Test(lib, home_is_created_private)
{
	const char *home = home_dir();
	struct stat st;

	cr_assert_not_null(home, "%s", err_msg());
	cr_assert_eq(stat(home, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
}

Test(lib, home_open_to_others_is_refused)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/open", getenv("SECVF_HOME"));
	cr_assert_eq(mkdir(dir, 0755), 0);
	chmod(dir, 0755);
	setenv("SECVF_HOME", dir, 1);
	home_reset();
	cr_assert_null(home_dir());
	cr_assert(strstr(err_msg(), "open to other users"), "%s", err_msg());
}

Test(lib, path_fmt_reports_truncation)
{
	char small[8];

	cr_assert_eq(path_fmt(small, sizeof(small), "%s", "abcdefgh"), -1);
	cr_assert(strstr(err_msg(), "too long"));
	cr_assert_eq(path_fmt(small, sizeof(small), "%s", "abc"), 0);
	cr_assert_str_eq(small, "abc");
}

Test(lib, names_are_checked)
{
	char longname[300];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(path_check_name("lab-win10"), 0);
	cr_assert_eq(path_check_name(""), -1);
	cr_assert_eq(path_check_name("a/b"), -1);
	cr_assert_eq(path_check_name(".hidden"), -1);
	cr_assert_eq(path_check_name("a..b"), -1);
	cr_assert_eq(path_check_name(longname), -1);
}

Test(lib, time_round_trips)
{
	char iso[TIME_ISO_LEN], date[11], stamp[17];
	int64_t us = 1796324400123456LL, back;

	time_iso(us, iso);
	cr_assert_str_eq(iso, "2026-12-03T19:00:00.123456Z");
	time_date(us, date);
	cr_assert_str_eq(date, "2026-12-03");
	time_stamp(us, stamp);
	cr_assert_str_eq(stamp, "20261203T190000Z");
	cr_assert_eq(time_parse(iso, &back), 0);
	cr_assert_eq(back, us);
	cr_assert_eq(time_parse("2026-12-03", &back), 0);
	cr_assert_eq(back, 1796256000000000LL);
}

Test(lib, time_parse_spans_and_garbage)
{
	int64_t us, now = time_now_us();

	cr_assert_eq(time_parse("2h", &us), 0);
	cr_assert(now - us >= 7190000000LL && now - us < 7300000000LL);
	cr_assert_eq(time_parse("yesterday", &us), -1);
	cr_assert(strstr(err_msg(), "cannot parse time 'yesterday'"));
	cr_assert_eq(time_parse("2026-13-45T99:00:00Z", &us), -1);
}

Test(lib, time_parse_wants_iso_digits)
{
	static const char *const bad[] = {
		"2026-12-04T 4:15:55Z", "2026-12-4",
		" 2026-12-04",		"+026-12-04",
		"2026-12-04T04:15:5Z",	"2026-12-04 4:15:55",
		"20261-12-04",		"2026-12-04T04:15",
	};
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(time_parse(bad[i], &us), -1, "'%s' accepted",
			     bad[i]);
	cr_assert_eq(time_parse("2026-12-04 04:15:55", &us), 0);
	cr_assert_eq(us, 1796357755000000LL);
	cr_assert_eq(time_parse("2026-12-04T04:15:55.5Z", &us), 0);
	cr_assert_eq(us, 1796357755500000LL);
}

Test(lib, sha256_known_answer)
{
	char hex[SHA256_HEX];

	cr_assert_eq(sha256_hex_buf("abc", 3, hex), 0);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
	cr_assert(sha256_is_hex(hex));
	cr_assert_not(sha256_is_hex("ABC"));
}

Test(lib, atomic_write_replaces_whole_file)
{
	char path[512], *buf;
	size_t len;
	struct stat st;

	snprintf(path, sizeof(path), "%s/f", home_dir());
	cr_assert_eq(file_write_atomic(path, "one", 3, 0600), 0);
	cr_assert_eq(file_write_atomic(path, "second", 6, 0640), 0);
	cr_assert_eq(file_read_all(path, 100, &buf, &len), 0);
	cr_assert_str_eq(buf, "second");
	stat(path, &st);
	cr_assert_eq(st.st_mode & 0777, 0640);
	free(buf);
	cr_assert_eq(file_read_all(path, 3, &buf, &len), -1);
	cr_assert_null(buf);
	cr_assert(strstr(err_msg(), "larger than"));
}

Test(lib, read_all_refuses_symlink_and_fifo)
{
	char link[512], fifo[512], *buf;
	size_t len;

	snprintf(link, sizeof(link), "%s/link", home_dir());
	snprintf(fifo, sizeof(fifo), "%s/fifo", home_dir());
	cr_assert_eq(symlink("/etc/passwd", link), 0);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(file_read_all(link, 1 << 20, &buf, &len), -1);
	cr_assert_eq(file_read_all(fifo, 1 << 20, &buf, &len), -1);
	cr_assert(strstr(err_msg(), "not a regular file"), "%s", err_msg());
}

Test(lib, open_beneath_stays_inside)
{
	int dirfd = open(home_dir(), O_RDONLY | O_DIRECTORY);
	char link[512];
	int fd;

	snprintf(link, sizeof(link), "%s/out", home_dir());
	cr_assert_eq(symlink("/etc", link), 0);
	cr_assert_eq(th_write("inside", "x"), 0);

	fd = file_open_beneath(dirfd, "inside", O_RDONLY, 0);
	cr_assert_geq(fd, 0, "%s", err_msg());
	close(fd);
	cr_assert_eq(file_open_beneath(dirfd, "../etc/passwd", O_RDONLY, 0),
		     -1);
	cr_assert_eq(file_open_beneath(dirfd, "/etc/passwd", O_RDONLY, 0),
		     -1);
	cr_assert_eq(file_open_beneath(dirfd, "out/passwd", O_RDONLY, 0), -1);
	close(dirfd);
}

Test(lib, open_beneath_without_openat2_keeps_the_same_rules)
{
	int dirfd = open(home_dir(), O_RDONLY | O_DIRECTORY);
	char path[512];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/out", home_dir());
	cr_assert_eq(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/a", home_dir());
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a/b", home_dir());
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(th_write("a/b/inside", "x"), 0);
	snprintf(path, sizeof(path), "%s/a/link", home_dir());
	cr_assert_eq(symlink("b/inside", path), 0);

	fd = file_open_beneath_walk(dirfd, "a//b/inside", O_RDONLY, 0);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	cr_assert_eq(read(fd, path, 1), 1);
	cr_assert_eq(path[0], 'x');
	close(fd);
	fd = file_open_beneath_walk(dirfd, "a/b", O_RDONLY | O_DIRECTORY, 0);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	close(fd);

	/* Out of the root, and through symlinks: refused. */
	errno = 0;
	cr_assert_eq(file_open_beneath_walk(dirfd, "/etc/passwd", O_RDONLY, 0),
		     -1);
	cr_assert_eq(errno, EXDEV);
	cr_assert_eq(file_open_beneath_walk(dirfd, "../etc/passwd", O_RDONLY,
					    0),
		     -1);
	cr_assert_eq(errno, EXDEV);
	cr_assert_eq(file_open_beneath_walk(dirfd, "a/../a/b/inside",
					    O_RDONLY, 0),
		     -1);
	cr_assert_eq(file_open_beneath_walk(dirfd, "out/passwd", O_RDONLY, 0),
		     -1);
	cr_assert_eq(errno, ELOOP);
	cr_assert_eq(file_open_beneath_walk(dirfd, "a/link", O_RDONLY, 0), -1);
	cr_assert_eq(errno, ELOOP);
	cr_assert_eq(file_open_beneath_walk(dirfd, "a/missing", O_RDONLY, 0),
		     -1);
	cr_assert_eq(errno, ENOENT);

	/* O_PATH on a final symlink: the link itself, never its target. */
	fd = file_open_beneath_walk(dirfd, "a/link", O_PATH, 0);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	close(fd);

	/* O_CREAT makes the file beneath the root. */
	fd = file_open_beneath_walk(dirfd, "a/new", O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	close(fd);
	snprintf(path, sizeof(path), "%s/a/new", home_dir());
	cr_assert_eq(access(path, F_OK), 0);
	close(dirfd);
}
