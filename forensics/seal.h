/*
 * seal: write a signed incident bundle.
 *
 * A bundle is a pax tar, compressed with zstd (multi-threaded, level 3,
 * with frame checksums) or gzip, holding the evidence members and, as
 * its last three members, MANIFEST.sha256 (see manifest.h), its raw
 * Ed25519 signature MANIFEST.sha256.sig and the signer's public key
 * signer.pub.  Beside it, FINAL.sha256 ("hex  basename\n") holds the
 * SHA-256 of the compressed bundle for `sha256sum -c`.
 *
 * The bundle is written as FINAL.partial and its sidecar as
 * FINAL.sha256.partial; only when both are complete and synced is the
 * bundle renamed to its final name, then the sidecar to its own.  A
 * killed process or a full disk leaves at most ".partial" files, never
 * a finished name over half a bundle; seal_recover() tidies up after
 * one.  For the fault tests, SECVF_TEST_KILL_AT (lib/killpoint.h) may
 * name two points of seal_finish(): "seal-rename" (both files synced,
 * the bundle not yet renamed) and "seal-sidecar" (the bundle renamed,
 * its sidecar not yet).
 *
 * Members keep the mtime, uid, gid and permission bits of the files
 * they come from; blobs get uid and gid 0, mode 0644 and the time the
 * seal was opened.  Every file member is read once: the same buffer is
 * hashed and handed to libarchive.  Anything not a regular file is
 * skipped, never opened for reading, and listed in the member
 * "skipped.tsv" (reason, a tab, the name as manifest_display() shows
 * it) when there is any.
 *
 * One thread uses a seal at a time.
 */
#ifndef SECVF_SEAL_H
#define SECVF_SEAL_H

#include <stddef.h>
#include <stdint.h>

struct manifest;

enum seal_compression {
	SEAL_ZSTD,
	SEAL_GZIP,
	SEAL_NONE, /* plain tar, for tests and for piping elsewhere */
};

#define SEAL_SKIPPED_NAME "skipped.tsv"
#define SEAL_DEPTH_MAX 32 /* directory levels seal_add_tree() descends */

struct seal;

/* What became of one file. */
struct seal_member {
	uint64_t size;
	char sha256[65];  /* hex; "" when skipped */
	int skipped;      /* 1: not a regular file, not read */
	char reason[32];  /* "symlink", "fifo", "device", ... when skipped */
};

struct seal_skip {
	char *name;   /* member name it would have had */
	char *reason;
};

/* Skipped entries, appended to by seal_add_tree(). */
struct seal_skips {
	struct seal_skip *v;
	size_t n;
};

void seal_skips_release(struct seal_skips *skips);

/* The compression a name asks for: .tar.zst, .tar.gz or .tar. */
int seal_compression_for(const char *path, enum seal_compression *out);

/*
 * Start a bundle to be named final_path: creates final_path.partial
 * (mode 0600, which must not exist; nor may final_path).  *out is NULL
 * on failure.  The seal is released by seal_finish() or seal_abort().
 */
int seal_open(const char *final_path, enum seal_compression comp,
	      struct seal **out);

/*
 * Add the regular file relpath, opened beneath dirfd without following
 * any symlink, as member_name.  Returns 0 when added, 1 when skipped
 * (out->skipped and out->reason set; the file was not read), -1 on
 * error.  After an error while writing (the file shrank, a write
 * failed) the seal is broken: only seal_abort() remains.
 */
int seal_add_file(struct seal *s, const char *member_name, int dirfd,
		  const char *relpath, struct seal_member *out);

/*
 * Add every regular file beneath dir_path as member_prefix/relative
 * path ("" for no prefix), in sorted order, never following a symlink
 * and descending at most SEAL_DEPTH_MAX levels.  What is skipped is
 * appended to skips when not NULL.
 */
int seal_add_tree(struct seal *s, const char *member_prefix,
		  const char *dir_path, struct seal_skips *skips);

/* Add len bytes of buf as member_name (out may be NULL). */
int seal_add_blob(struct seal *s, const char *member_name, const void *buf,
		  size_t len, struct seal_member *out);

/*
 * The members added so far, sorted only after seal_finish() starts.
 * Borrowed: valid until the next call on s.
 */
const struct manifest *seal_members(const struct seal *s);

/* The bytes of member data written so far (file and blob contents). */
uint64_t seal_member_bytes(const struct seal *s);

/*
 * Sign and finish: writes the manifest, its signature and signer.pub,
 * closes the archive, syncs it, renames it to its final name, syncs the
 * directory and writes the sidecar atomically.  key_path NULL means the
 * default key; passphrase NULL for an unencrypted key.  On success
 * bundle_sha256_hex holds the bundle's SHA-256.  Always releases s; on
 * failure the partial file is removed.
 */
int seal_finish(struct seal *s, const char *key_path, const char *passphrase,
		char bundle_sha256_hex[65]);

/* Give up: remove the partial file and release s.  NULL is ignored. */
void seal_abort(struct seal *s);

/*
 * Tidy what killed seals left in dir, among the names for which
 * mine(name, arg) returns non-zero: a FINAL.sha256.partial whose
 * bundle FINAL was already renamed into place becomes FINAL.sha256,
 * and every other ".partial" file is removed.  Finished bundles are
 * never touched.  The caller makes sure no seal of those names is in
 * progress.  0, or -1 with err_msg() set when dir cannot be read.
 */
int seal_recover(const char *dir, int (*mine)(const char *name, void *arg),
		 void *arg);

#endif
