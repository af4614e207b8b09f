#include "helpers.h"

#include "forensics/manifest.h"
#include "forensics/seal.h"
#include "forensics/sign.h"
#include "forensics/verify.h"
#include "lib/err.h"
#include "lib/sha256.h"

#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(seal, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

#define LOG_NAME "logs/security-2026-12-03.log"
#define ODD_NAME "host/odd\nname\377-x"

/* rel beneath the test's home; 32 results stay valid at once. */
static char *
hp(const char *rel)
{
	static char bufs[32][4096];
	static int i;

	i = (i + 1) % 32;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", getenv("SECVF_HOME"),
		 rel);
	return bufs[i];
}

/* A custody trail of n lines chained per CONTRACTS; head in head. */
static char *
custody_text(int n, char head[65])
{
	static char text[8192];
	char prev[65], line[512];
	size_t len = 0;
	int i;

	memset(prev, '0', 64);
	prev[64] = '\0';
	for (i = 1; i <= n; i++) {
		snprintf(line, sizeof(line),
			 "{\"case\":1,\"seq\":%d,\"ts\":\"2026-12-03T19:00:0"
			 "%dZ\",\"action\":\"sealed\",\"actor\":\"root@ws1\","
			 "\"evidence\":null,\"sha256\":null,\"note\":null,"
			 "\"prev\":\"%s\"}", i, i, prev);
		cr_assert_eq(sha256_hex_buf(line, strlen(line), prev), 0);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n",
					line);
	}
	memcpy(head, prev, 65);
	return text;
}

/* The evidence tree, with things that must never be read. */
static const char *
make_fixture(void)
{
	const char *ev = hp("ev");
	char head[65], json[256], *custody = custody_text(3, head);

	cr_assert_eq(th_sh("mkdir -p '%s/logs' '%s/captures' '%s/host'", ev,
			   ev, ev), 0);
	cr_assert_eq(th_write("ev/" LOG_NAME, "{\"event\":\"x\"}\n"), 0);
	cr_assert_eq(th_sh("head -c 200000 /dev/urandom > '%s/captures/a.pcap'",
			   ev), 0);
	cr_assert_eq(th_write("ev/custody.jsonl", custody), 0);
	snprintf(json, sizeof(json), "{\"case\":1,\"custody_head\":\"%s\"}\n",
		 head);
	cr_assert_eq(th_write("ev/manifest.json", json), 0);
	cr_assert_eq(th_write("ev/" ODD_NAME, "odd"), 0);
	cr_assert_eq(th_write("ev/host/-rf", "dash"), 0);
	cr_assert_eq(symlink("/etc/shadow", hp("ev/host/shadow")), 0);
	cr_assert_eq(mkfifo(hp("ev/host/fifo"), 0600), 0);
	cr_assert_eq(mknod(hp("ev/host/null"), S_IFCHR | 0600,
			   makedev(1, 3)), 0);
	return ev;
}

static void
make_key(void)
{
	cr_assert_eq(sign_key_generate(hp("keys/signing.pem"), NULL, 0,
				       NULL), 0, "%s", err_msg());
}

/* Seal the fixture into path; the skipped entries go to skips. */
static void
seal_fixture(const char *path, struct seal_skips *skips)
{
	enum seal_compression comp;
	struct seal *s;
	char hex[65];

	cr_assert_eq(seal_compression_for(path, &comp), 0);
	cr_assert_eq(seal_open(path, comp, &s), 0, "%s", err_msg());
	cr_assert_eq(seal_add_tree(s, "", make_fixture(), skips), 0, "%s",
		     err_msg());
	cr_assert_eq(seal_finish(s, NULL, NULL, hex), 0, "%s", err_msg());
	cr_assert(sha256_is_hex(hex));
}

static struct verify_report rep;

static void
verify_fails_with(const char *path, const char *what)
{
	size_t i;
	int found = 0;

	cr_assert_eq(verify_bundle(path, NULL, &rep), 0, "%s", err_msg());
	cr_assert_eq(rep.ok, 0, "%s verified", path);
	for (i = 0; i < rep.nproblems; i++)
		found |= strstr(rep.problems[i], what) != NULL;
	cr_assert(found, "no problem says '%s'; first: '%s'", what,
		  rep.nproblems ? rep.problems[0] : "");
	verify_report_release(&rep);
}

Test(seal, bundle_verifies_three_ways_and_skips_specials)
{
	const char *b = hp("incidents/b.tar.zst");
	struct seal_skips skips = {NULL, 0};
	char *out, *tsv;
	size_t i;

	make_key();
	cr_assert_eq(th_sh("mkdir -p '%s'", hp("incidents")), 0);
	seal_fixture(b, &skips);

	cr_assert_eq(skips.n, 3);
	for (i = 0; i < skips.n; i++)
		cr_assert(strstr("host/fifo host/null host/shadow",
				 skips.v[i].name), "%s", skips.v[i].name);
	cr_assert_str_eq(skips.v[0].reason, "fifo");
	cr_assert_str_eq(skips.v[1].reason, "character device");
	cr_assert_str_eq(skips.v[2].reason, "symlink");
	seal_skips_release(&skips);

	/* 1: secvf itself. */
	cr_assert_eq(th_secvf(&out, NULL, "evidence", "verify", b, NULL), 0);
	cr_assert(strstr(out, "verified") && strstr(out, "sidecar: match") &&
		  strstr(out, "custody      3 lines"), "%s", out);
	free(out);

	/* 2: tar, sha256sum and openssl only. */
	cr_assert_eq(th_sh("cd \"$SECVF_HOME\" && mkdir x && tar -C x -xf "
			   "'%s' 2>/dev/null && cd x && sha256sum -c --quiet "
			   "MANIFEST.sha256 && openssl pkeyutl -verify -pubin "
			   "-inkey signer.pub -rawin -in MANIFEST.sha256 "
			   "-sigfile MANIFEST.sha256.sig >/dev/null", b), 0);
	cr_assert_eq(access(hp("x/" ODD_NAME), F_OK), 0);
	cr_assert_neq(access(hp("x/host/shadow"), F_OK), 0);
	cr_assert_neq(access(hp("x/host/fifo"), F_OK), 0);
	cr_assert_neq(access(hp("x/host/null"), F_OK), 0);
	tsv = th_read(hp("x/skipped.tsv"));
	cr_assert_str_eq(tsv, "fifo\thost/fifo\ncharacter device\thost/null\n"
			      "symlink\thost/shadow\n");
	free(tsv);

	/* 3: the sidecar. */
	cr_assert_eq(th_sh("cd '%s' && sha256sum -c --quiet b.tar.zst.sha256",
			   hp("incidents")), 0);
}

Test(seal, gzip_bundle_and_encrypted_key)
{
	const char *b = hp("b.tar.gz");
	struct seal *s;
	char hex[65];

	cr_assert_eq(sign_key_generate(hp("k.pem"), "pw", 0, NULL), 0);
	cr_assert_eq(seal_open(b, SEAL_GZIP, &s), 0);
	cr_assert_eq(seal_add_blob(s, "notes.txt", "hi\n", 3, NULL), 0);
	cr_assert_eq(seal_finish(s, hp("k.pem"), "pw", hex), 0, "%s",
		     err_msg());
	cr_assert_eq(th_sh("gzip -t '%s' && cd \"$SECVF_HOME\" && mkdir y && "
			   "tar -C y -xzf b.tar.gz && cd y && sha256sum -c "
			   "--quiet MANIFEST.sha256", b), 0);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify", b, "--key",
			      hp("k.pub.pem"), NULL), 0);
}

Test(seal, finish_with_wrong_passphrase_leaves_nothing)
{
	const char *b = hp("c.tar.zst");
	struct seal *s;
	char hex[65];

	cr_assert_eq(sign_key_generate(hp("k.pem"), "pw", 0, NULL), 0);
	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), 0);
	cr_assert_eq(seal_add_blob(s, "a", "a", 1, NULL), 0);
	cr_assert_eq(seal_finish(s, hp("k.pem"), "nope", hex), -1);
	cr_assert(strstr(err_msg(), "cannot decrypt"), "%s", err_msg());
	cr_assert_neq(access(b, F_OK), 0);
	cr_assert_neq(access(hp("c.tar.zst.partial"), F_OK), 0);
}

enum tamper { FLIP, DROP, REPLACE, ADD };

/* Copy one member from r to w, changed as asked. */
static void
copy_member(struct archive *r, struct archive *w, struct archive_entry *e,
	    enum tamper how, const char *data)
{
	static char buf[1 << 20];
	size_t len = 0;
	la_ssize_t n;

	while ((n = archive_read_data(r, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	cr_assert(n == 0 && len < sizeof(buf));
	if (how == FLIP)
		buf[len > 40 ? 40 : len - 1] ^= 1;
	if (how == REPLACE) {
		len = strlen(data);
		memcpy(buf, data, len);
	}
	archive_entry_set_size(e, (la_int64_t)len);
	cr_assert(archive_write_header(w, e) >= ARCHIVE_WARN);
	cr_assert_eq(archive_write_data(w, buf, len), (la_ssize_t)len);
}

/* Rebuild src as dst (.tar.gz) with target changed. */
static void
rebuild(const char *src, const char *dst, const char *target,
	enum tamper how, const char *data)
{
	struct archive *r = archive_read_new(), *w = archive_write_new();
	struct archive_entry *e;

	archive_read_support_filter_all(r);
	archive_read_support_format_tar(r);
	cr_assert_eq(archive_read_open_filename(r, src, 65536), ARCHIVE_OK);
	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_gzip(w);
	cr_assert_eq(archive_write_open_filename(w, dst), ARCHIVE_OK);

	while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
		int hit = !strcmp(archive_entry_pathname(e), target);

		if (hit && how == DROP)
			continue;
		copy_member(r, w, e, hit ? how : ADD, data);
	}
	if (how == ADD) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, target);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(data));
		archive_write_header(w, e);
		archive_write_data(w, data, strlen(data));
		archive_entry_free(e);
	}
	archive_read_free(r);
	cr_assert_eq(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
}

static const char *
sealed_bundle(void)
{
	static char b[4096];

	snprintf(b, sizeof(b), "%s", hp("b.tar.zst"));
	make_key();
	seal_fixture(b, NULL);
	return b;
}

Test(seal, untouched_rebuild_still_verifies)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, "", FLIP, NULL);
	cr_assert_eq(verify_bundle(t, NULL, &rep), 0);
	cr_assert(rep.ok, "%s", rep.nproblems ? rep.problems[0] : "");
	cr_assert_eq(rep.sidecar, VERIFY_SIDECAR_ABSENT);
	verify_report_release(&rep);
}

Test(seal, tampered_log_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");
	char *err;

	rebuild(b, t, LOG_NAME, FLIP, NULL);
	verify_fails_with(t, "member '" LOG_NAME "': sha256 mismatch");
	cr_assert_eq(th_secvf(NULL, &err, "evidence", "verify", t, NULL), 4);
	cr_assert(strstr(err, "member '" LOG_NAME "': sha256 mismatch"),
		  "%s", err);
	free(err);
}

Test(seal, tampered_odd_name_member_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, ODD_NAME, REPLACE, "ODD");
	verify_fails_with(t, "member 'host/odd\\nname\\xff-x': sha256 "
			     "mismatch");
}

Test(seal, tampered_manifest_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, MANIFEST_NAME, FLIP, NULL);
	verify_fails_with(t, "signature does not verify");
}

Test(seal, tampered_signature_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, MANIFEST_SIG_NAME, FLIP, NULL);
	verify_fails_with(t, "signature does not verify");
}

Test(seal, signer_replaced_by_another_key_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");
	char *other;

	cr_assert_eq(sign_key_generate(hp("o.pem"), NULL, 0, NULL), 0);
	other = th_read(hp("o.pub.pem"));
	rebuild(b, t, MANIFEST_SIGNER_NAME, REPLACE, other);
	free(other);
	verify_fails_with(t, "signature does not verify");

	/* With the right key given, the swapped signer.pub is named. */
	cr_assert_eq(verify_bundle(t, hp("keys/signing.pub.pem"), &rep),
		     0);
	cr_assert(!rep.ok && rep.signature_ok);
	cr_assert(strstr(rep.problems[0], "signer.pub"), "%s",
		  rep.problems[0]);
	verify_report_release(&rep);
}

Test(seal, wrong_key_given_fails)
{
	const char *b = sealed_bundle();

	cr_assert_eq(sign_key_generate(hp("o.pem"), NULL, 0, NULL), 0);
	cr_assert_eq(verify_bundle(b, hp("o.pub.pem"), &rep), 0);
	cr_assert(!rep.ok && !rep.signature_ok && !rep.key_bundled);
	verify_report_release(&rep);
}

Test(seal, tampered_custody_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, VERIFY_CUSTODY_NAME, FLIP, NULL);
	verify_fails_with(t, "member 'custody.jsonl': sha256 mismatch");
	verify_fails_with(t, "custody.jsonl line 2");
}

Test(seal, tampered_manifest_json_fails)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, VERIFY_MANIFEST_JSON_NAME, FLIP, NULL);
	verify_fails_with(t, "member 'manifest.json': sha256 mismatch");
}

Test(seal, extra_and_missing_members_fail)
{
	const char *b = sealed_bundle(), *t = hp("t.tar.gz");

	rebuild(b, t, "extra.txt", ADD, "planted\n");
	verify_fails_with(t, "member 'extra.txt' is not in the manifest");
	rebuild(b, t, LOG_NAME, DROP, NULL);
	verify_fails_with(t, "member '" LOG_NAME "' is in the manifest but "
			     "missing");
	rebuild(b, t, MANIFEST_NAME, DROP, NULL);
	verify_fails_with(t, "MANIFEST.sha256 is missing");
	rebuild(b, t, LOG_NAME, ADD, "second copy\n");
	verify_fails_with(t, "appears more than once");
}

Test(seal, flipped_byte_of_compressed_bundle_fails)
{
	const char *b = sealed_bundle();
	struct stat st;
	char c;
	int fd = open(b, O_RDWR);

	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(pread(fd, &c, 1, st.st_size / 2), 1);
	c ^= 0x10;
	cr_assert_eq(pwrite(fd, &c, 1, st.st_size / 2), 1);
	close(fd);
	verify_fails_with(b, "sidecar");
	cr_assert_eq(th_sh("rm '%s.sha256'", b), 0);
	cr_assert_eq(verify_bundle(b, NULL, &rep), 0);
	cr_assert(!rep.ok);
	verify_report_release(&rep);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify", b, NULL), 4);
}

Test(seal, broken_custody_chain_and_head_are_named)
{
	const char *b = hp("h.tar.zst");
	char head[65], text[8192], *line2;
	struct seal *s;
	char hex[65];

	make_key();
	snprintf(text, sizeof(text), "%s", custody_text(3, head));
	line2 = strchr(text, '\n') + 1;
	line2[strlen("{\"case\":")] = '2'; /* line 3's prev no longer fits */
	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), 0);
	cr_assert_eq(seal_add_blob(s, "custody.jsonl", text, strlen(text),
				   NULL), 0);
	cr_assert_eq(seal_add_blob(s, "manifest.json", "{\"custody_head\":"
				   "\"00\"}", 21, NULL), 0);
	cr_assert_eq(seal_finish(s, NULL, NULL, hex), 0);
	verify_fails_with(b, "custody.jsonl line 3");

	cr_assert_eq(th_sh("rm '%s' '%s.sha256'", b, b), 0);
	snprintf(text, sizeof(text), "%s", custody_text(2, head));
	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), 0);
	cr_assert_eq(seal_add_blob(s, "custody.jsonl", text, strlen(text),
				   NULL), 0);
	cr_assert_eq(seal_add_blob(s, "manifest.json", "{\"custody_head\":"
				   "\"00\"}", 21, NULL), 0);
	cr_assert_eq(seal_finish(s, NULL, NULL, hex), 0);
	verify_fails_with(b, "manifest.json custody_head is not the hash");
}

Test(seal, custody_chain_check)
{
	char head[65], got[65], *text = custody_text(4, head);
	size_t lines;

	cr_assert_eq(verify_custody_chain(text, strlen(text), &lines, got), 0);
	cr_assert_eq(lines, 4);
	cr_assert_str_eq(got, head);
	cr_assert_eq(verify_custody_chain("", 0, &lines, got), 0);
	cr_assert_eq(lines, 0);
	text[10] = 'X';
	cr_assert_eq(verify_custody_chain(text, strlen(text), &lines, got),
		     -1);
	cr_assert(strstr(err_msg(), "line 1"), "%s", err_msg());
}

Test(seal, abort_leaves_nothing)
{
	const char *b = hp("a.tar.zst");
	struct seal *s;

	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), 0);
	cr_assert_eq(access(hp("a.tar.zst.partial"), F_OK), 0);
	cr_assert_eq(seal_add_blob(s, "a", "abc", 3, NULL), 0);
	seal_abort(s);
	cr_assert_neq(access(b, F_OK), 0);
	cr_assert_neq(access(hp("a.tar.zst.partial"), F_OK), 0);
}

Test(seal, killed_mid_write_leaves_only_partial)
{
	const char *b = hp("k.tar.zst");
	const char *partial = hp("k.tar.zst.partial");
	struct stat st;
	pid_t pid;
	int i;

	make_key();
	cr_assert_eq(th_sh("head -c 64M /dev/urandom > '%s' && cat '%s' '%s' "
			   "'%s' '%s' > '%s'", hp("r"), hp("r"),
			   hp("r"), hp("r"), hp("r"),
			   hp("big")), 0);
	pid = fork();
	if (pid == 0) {
		struct seal *s;
		char hex[65];

		if (seal_open(b, SEAL_ZSTD, &s) == 0 &&
		    seal_add_file(s, "big", AT_FDCWD, hp("big"),
				  NULL) == 0)
			seal_finish(s, NULL, NULL, hex);
		_exit(0);
	}
	for (i = 0; i < 5000; i++) {
		if (stat(partial, &st) == 0 && st.st_size > 0)
			break;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(access(partial, F_OK), 0);
	cr_assert_neq(access(b, F_OK), 0, "a killed seal left '%s'", b);
	cr_assert_neq(access(hp("k.tar.zst.sha256"), F_OK), 0);
}

/*
 * A file size limit stands in for a full disk: writes fail with EFBIG.
 * Most of a zstd stream leaves zstd only when it ends, inside
 * libarchive's close callback, whose failure libarchive ignores; the
 * seal must fail all the same and leave no finished name behind.
 */
Test(seal, write_failure_at_the_end_leaves_nothing_finished)
{
	const char *b = hp("f.tar.zst");
	pid_t pid;
	int status;

	make_key();
	pid = fork();
	if (pid == 0) {
		struct rlimit lim = {256 << 10, 256 << 10};
		size_t len = 1 << 20, i;
		unsigned char *noise = malloc(len);
		struct seal *s;
		char hex[65];

		srand(7);
		for (i = 0; noise && i < len; i++)
			noise[i] = (unsigned char)rand();
		signal(SIGXFSZ, SIG_IGN);
		if (!noise || setrlimit(RLIMIT_FSIZE, &lim) < 0 ||
		    seal_open(b, SEAL_ZSTD, &s) < 0)
			_exit(2);
		if (seal_add_blob(s, "noise", noise, len, NULL) < 0) {
			seal_abort(s);
			_exit(3); /* failed early: not the case under test */
		}
		if (seal_finish(s, NULL, NULL, hex) == 0)
			_exit(1);
		_exit(strstr(err_msg(), "File too large") &&
				      strstr(err_msg(), "f.tar.zst.partial")
			      ? 0
			      : 4);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0,
		     "%d (1: sealed in spite of the failed writes)",
		     WEXITSTATUS(status));
	cr_assert_neq(access(b, F_OK), 0, "a failed seal left '%s'", b);
	cr_assert_neq(access(hp("f.tar.zst.partial"), F_OK), 0);
	cr_assert_neq(access(hp("f.tar.zst.sha256"), F_OK), 0);
	cr_assert_neq(access(hp("f.tar.zst.sha256.partial"), F_OK), 0);
}

Test(seal, refuses_bad_names_existing_bundle_and_duplicates)
{
	const char *b = hp("d.tar.zst");
	struct seal *s;
	char hex[65];

	make_key();
	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), 0);
	cr_assert_eq(seal_add_blob(s, "../x", "a", 1, NULL), -1);
	cr_assert_eq(seal_add_blob(s, "/etc/x", "a", 1, NULL), -1);
	cr_assert_eq(seal_add_blob(s, MANIFEST_NAME, "a", 1, NULL), -1);
	cr_assert(strstr(err_msg(), "reserved"), "%s", err_msg());
	cr_assert_eq(seal_add_blob(s, "a", "a", 1, NULL), 0);
	cr_assert_eq(seal_add_blob(s, "a", "b", 1, NULL), 0);
	cr_assert_eq(seal_finish(s, NULL, NULL, hex), -1);
	cr_assert(strstr(err_msg(), "duplicate member 'a'"), "%s", err_msg());
	cr_assert_neq(access(b, F_OK), 0);

	cr_assert_eq(th_write("d.tar.zst", "x"), 0);
	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), -1);
	cr_assert(strstr(err_msg(), "already exists"), "%s", err_msg());
	cr_assert_null(s);
}

Test(seal, add_file_refuses_to_follow_symlinks)
{
	struct seal_member m;
	struct seal *s;
	int dfd;

	make_fixture();
	dfd = open(hp("ev"), O_RDONLY | O_DIRECTORY);
	cr_assert_eq(seal_open(hp("s.tar"), SEAL_NONE, &s), 0);
	cr_assert_eq(seal_add_file(s, "x", dfd, "host/shadow", &m), 1);
	cr_assert(m.skipped);
	cr_assert_str_eq(m.reason, "symlink");
	cr_assert_eq(seal_add_file(s, "y", dfd, "../../etc/passwd", &m), -1);
	cr_assert_eq(seal_add_file(s, "z", dfd, LOG_NAME, &m), 0);
	cr_assert_eq(m.size, 14);
	seal_abort(s);
	close(dfd);
}

Test(seal, cli_seal_and_verify_missing_bundle)
{
	char *out, *err;

	make_key();
	make_fixture();
	cr_assert_eq(th_secvf(&out, &err, "evidence", "seal", "-o",
			      hp("cli.tar.zst"), hp("ev"), NULL),
		     0, "%s", err);
	cr_assert(strstr(err, "skipped symlink 'ev/host/shadow'"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify",
			      hp("cli.tar.zst"), "--json", NULL), 0);
	cr_assert_eq(th_secvf(NULL, &err, "evidence", "verify",
			      hp("none.tar.zst"), NULL), 3);
	cr_assert(strstr(err, "no bundle"), "%s", err);
	free(err);
}

Test(seal, members_larger_than_the_read_buffers_verify)
{
	const char *b = hp("big.tar.zst");
	struct seal *s;
	char hex[65];

	make_key();
	cr_assert_eq(th_sh("mkdir -p '%s' && head -c 6M /dev/urandom > "
			   "'%s/r.bin'", hp("in"), hp("in")), 0);
	cr_assert_eq(seal_open(b, SEAL_ZSTD, &s), 0);
	cr_assert_eq(seal_add_tree(s, "cap", hp("in"), NULL), 0);
	cr_assert_eq(seal_finish(s, NULL, NULL, hex), 0);
	cr_assert_eq(verify_bundle(b, NULL, &rep), 0);
	cr_assert(rep.ok, "%s", rep.nproblems ? rep.problems[0] : "");
	verify_report_release(&rep);
}

Test(seal, manifest_json_check)
{
	static const char head[] = "53cd6542117cf7dc0e94d00461fc5ec8"
				   "ad1cf206d9fc33c3b51f77ad193218bf";
	char with[160];

	snprintf(with, sizeof(with), "{\"case\":7,\"custody_head\":\"%s\"}",
		 head);
	cr_assert_eq(verify_manifest_json(with, strlen(with), head), 0, "%s",
		     err_msg());
	cr_assert_eq(verify_manifest_json(with, strlen(with), ""), 0);
	cr_assert_eq(verify_manifest_json("{\"custody_head\":null}", 21, NULL),
		     0);
	cr_assert_eq(verify_manifest_json("{}", 2, NULL), 0);

	cr_assert_eq(verify_manifest_json(with, strlen(with), NULL), -1);
	cr_assert(strstr(err_msg(), "names a custody head but "
				    "custody.jsonl is missing"),
		  "%s", err_msg());
	cr_assert_eq(verify_manifest_json(with, strlen(with) - 3, head), -1);
	cr_assert(strstr(err_msg(), "manifest.json is not a JSON object"),
		  "%s", err_msg());
	cr_assert_eq(verify_manifest_json("[1]", 3, head), -1);
	cr_assert(strstr(err_msg(), "not an object"), "%s", err_msg());
	cr_assert_eq(verify_manifest_json("{\"a\":1,\"a\":2}", 13, NULL), -1);
	snprintf(with, sizeof(with), "{\"custody_head\":\"%064d\"}", 0);
	cr_assert_eq(verify_manifest_json(with, strlen(with), head), -1);
	cr_assert(strstr(err_msg(), "custody_head is not the hash of the "
				    "last line of custody.jsonl"),
		  "%s", err_msg());
	cr_assert_eq(verify_manifest_json("{\"custody_head\":7}", 18, head),
		     -1);
}

Test(seal, counts_the_bytes_of_every_member_of_a_tree)
{
	struct seal_skips skips = {NULL, 0};
	struct seal *s;
	struct stat st;
	uint64_t want;

	cr_assert_eq(seal_open(hp("n.tar"), SEAL_NONE, &s), 0, "%s",
		     err_msg());
	cr_assert_eq(seal_member_bytes(s), 0);
	cr_assert_eq(seal_add_blob(s, "note.txt", "12345", 5, NULL), 0);
	cr_assert_eq(seal_member_bytes(s), 5);
	cr_assert_eq(seal_add_tree(s, "ev", make_fixture(), &skips), 0, "%s",
		     err_msg());

	/* The capture dominates; the small files and skipped.tsv add a
	 * little; the symlink, FIFO and device add nothing. */
	cr_assert_eq(stat(hp("ev/captures/a.pcap"), &st), 0);
	want = 5 + (uint64_t)st.st_size;
	cr_assert_geq(seal_member_bytes(s), want);
	cr_assert_lt(seal_member_bytes(s), want + 4096);
	seal_skips_release(&skips);
	seal_abort(s);
}

Test(seal, manifest_refuses_names_that_leave_the_bundle)
{
	static const char hex[] = "9f86d081884c7d659a2feaa0c55ad015"
				  "a3bf4f1b2b0b822cd15d6c15b0f00a08";
	static const char *bad[] = {"../x", "/etc/passwd", "a/../../b",
				    "a//b", "./a"};
	char text[256];
	struct manifest m;
	size_t i;

	snprintf(text, sizeof(text), "SHA256 (logs/a.log) = %s\n", hex);
	cr_assert_eq(manifest_parse(text, strlen(text), &m), 0, "%s",
		     err_msg());
	cr_assert_eq(m.n, 1);
	manifest_release(&m);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "SHA256 (%s) = %s\n", bad[i], hex);
		cr_assert_eq(manifest_parse(text, strlen(text), &m), -1,
			     "'%s' was taken", bad[i]);
		cr_assert(strstr(err_msg(), "line 1"), "%s", err_msg());
		cr_assert_null(m.v);
	}
}
