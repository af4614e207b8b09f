#include "helpers.h"

#include "forensics/imghash.h"
#include "lib/err.h"
#include "lib/sha256.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(imghash, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static char *
home_file(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", getenv("SECVF_HOME"), name);
	return path;
}

/* A sparse file of size bytes with a few data runs, holes elsewhere. */
static void
make_sparse(const char *path, off_t size)
{
	static const off_t at[] = {0, 5 << 20, (12 << 20) + 777, 40 << 20};
	char buf[65536];
	size_t i;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + i / 256);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (at[i] + (off_t)sizeof(buf) <= size)
			cr_assert_eq(pwrite(fd, buf, sizeof(buf), at[i]),
				     (ssize_t)sizeof(buf));
	if (size > 100)
		cr_assert_eq(pwrite(fd, "tail", 4, size - 4), 4);
	close(fd);
}

/* The reference: one thread, every chunk read, nothing skipped. */
static void
naive_hash(const char *path, char hex[65])
{
	uint8_t *buf = malloc(IMGHASH_CHUNK), digest[SHA256_LEN];
	struct sha256 outer;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0 && buf);
	cr_assert_eq(sha256_init(&outer), 0);
	while ((n = read(fd, buf, IMGHASH_CHUNK)) > 0) {
		size_t got = (size_t)n;

		while (got < IMGHASH_CHUNK &&
		       (n = read(fd, buf + got, IMGHASH_CHUNK - got)) > 0)
			got += (size_t)n;
		cr_assert_eq(sha256_buf(buf, got, digest), 0);
		sha256_update(&outer, digest, SHA256_LEN);
	}
	sha256_final(&outer, digest);
	sha256_to_hex(digest, hex);
	free(buf);
	close(fd);
}

/* The README's coreutils + openssl command, run by the shell. */
static void
coreutils_hash(const char *path, char hex[65])
{
	char cmd[8192];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "split -b 4194304 --filter='openssl dgst "
		 "-sha256 -binary' '%s' | sha256sum", path);
	p = popen(cmd, "r");
	cr_assert(p);
	cr_assert_eq(fscanf(p, "%64s", hex), 1);
	cr_assert_eq(pclose(p), 0);
}

static void
check_all_three(off_t size)
{
	const char *path = home_file("Disk.img");
	char ours[65], naive[65], coreutils[65];
	uint64_t got;

	make_sparse(path, size);
	cr_assert_eq(imghash_path(path, NULL, NULL, ours, &got), 0, "%s",
		     err_msg());
	cr_assert_eq(got, (uint64_t)size);
	naive_hash(path, naive);
	coreutils_hash(path, coreutils);
	cr_assert_str_eq(ours, naive);
	cr_assert_str_eq(ours, coreutils);
}

Test(imghash, sparse_64mib_matches_coreutils_openssl_and_naive)
{
	check_all_three((off_t)64 << 20);
}

Test(imghash, short_last_chunk_matches_coreutils_and_naive)
{
	check_all_three(((off_t)9 << 20) + 12345);
}

Test(imghash, all_hole_file_with_short_tail_chunk)
{
	const char *path = home_file("holes.img");
	char ours[65], naive[65];
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	cr_assert_eq(ftruncate(fd, ((off_t)8 << 20) + 100), 0);
	close(fd);
	cr_assert_eq(imghash_path(path, NULL, NULL, ours, NULL), 0);
	naive_hash(path, naive);
	cr_assert_str_eq(ours, naive);
}

Test(imghash, empty_file_is_hash_of_nothing)
{
	const char *path = home_file("empty.img");
	char ours[65], coreutils[65];

	cr_assert_eq(th_sh("touch '%s'", path), 0);
	cr_assert_eq(imghash_path(path, NULL, NULL, ours, NULL), 0);
	coreutils_hash(path, coreutils);
	cr_assert_str_eq(ours, coreutils);
	cr_assert_str_eq(ours, "e3b0c44298fc1c149afbf4c8996fb924"
			       "27ae41e4649b934ca495991b7852b855");
}

Test(imghash, thread_count_does_not_change_the_hash)
{
	const char *path = home_file("t.img");
	char one[65], many[65];
	int fd;

	make_sparse(path, (off_t)21 << 20);
	fd = open(path, O_RDONLY);
	cr_assert_eq(imghash_fd(fd, 1, NULL, NULL, one, NULL), 0);
	cr_assert_eq(imghash_fd(fd, 7, NULL, NULL, many, NULL), 0);
	close(fd);
	cr_assert_str_eq(one, many);
}

static void
record_progress(uint64_t done, uint64_t total, void *arg)
{
	uint64_t *last = arg;

	cr_assert(done >= last[0] && done <= total);
	last[0] = done;
	last[1] = total;
}

Test(imghash, progress_reaches_the_total)
{
	const char *path = home_file("p.img");
	uint64_t last[2] = {0, 0};
	char hex[65];

	make_sparse(path, (off_t)30 << 20);
	cr_assert_eq(imghash_path(path, record_progress, last, hex, NULL), 0);
	cr_assert_eq(last[0], (uint64_t)30 << 20);
	cr_assert_eq(last[1], (uint64_t)30 << 20);
}

Test(imghash, missing_file_and_directory_fail_clearly)
{
	char hex[65];

	cr_assert_eq(imghash_path(home_file("nope.img"), NULL, NULL, hex,
				  NULL), -1);
	cr_assert(strstr(err_msg(), "cannot open") &&
		  strstr(err_msg(), "No such file"), "%s", err_msg());
	cr_assert_eq(imghash_path(getenv("SECVF_HOME"), NULL, NULL, hex,
				  NULL), -1);
	cr_assert(strstr(err_msg(), "not a regular file"), "%s", err_msg());
}

Test(imghash, cli_prints_method_and_hash)
{
	const char *path = home_file("c.img");
	char hex[65], *out;

	make_sparse(path, (off_t)5 << 20);
	coreutils_hash(path, hex);
	cr_assert_eq(th_secvf(&out, NULL, "evidence", "hash", path, NULL), 0);
	cr_assert(strstr(out, IMGHASH_METHOD) && strstr(out, hex), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "hash",
			      home_file("absent"), NULL), 3);
}

struct cutter {
	int fd;
	int cut;
};

/* Cut the image to one byte once its first chunk is done. */
static void
cut_after_first_chunk(uint64_t done, uint64_t total, void *arg)
{
	struct cutter *c = arg;

	(void)total;
	if (!c->cut && done >= IMGHASH_CHUNK) {
		cr_assert_eq(ftruncate(c->fd, 1), 0);
		c->cut = 1;
	}
}

/*
 * An image cut short while it is hashed (the mapped pages vanish, and
 * touching them raises SIGBUS) gives an error naming the offset, or a
 * hash of what was there, never a crash.  Run a few times: where the
 * cut lands in the hashing thread's work varies.
 */
Test(imghash, image_cut_short_while_hashed_is_an_error_not_a_crash)
{
	struct sigaction before, after;
	char hex[65], buf[65536];
	int round, errors = 0;
	size_t i;

	cr_assert_eq(sigaction(SIGBUS, NULL, &before), 0);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 13);
	for (round = 0; round < 8; round++) {
		struct cutter c = {.cut = 0};
		off_t off;

		c.fd = open(home_file("cut.img"), O_RDWR | O_CREAT | O_TRUNC,
			    0600);
		cr_assert(c.fd >= 0);
		for (off = 0; off < (64 << 20); off += sizeof(buf))
			cr_assert_eq(pwrite(c.fd, buf, sizeof(buf), off),
				     (ssize_t)sizeof(buf));
		if (imghash_fd(c.fd, 1, cut_after_first_chunk, &c, hex,
			       NULL) < 0) {
			cr_assert(strstr(err_msg(), "shrank"), "%s",
				  err_msg());
			errors++;
		}
		close(c.fd);
	}
	cr_log_info("cut short: %d of 8 rounds ended in an error", errors);

	/* Outside a hash, SIGBUS goes where it went before. */
	cr_assert_eq(sigaction(SIGBUS, NULL, &after), 0);
	cr_assert(after.sa_sigaction == before.sa_sigaction);
}
