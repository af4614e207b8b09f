/*
 * image: the cache of installation images (ISOs) beneath
 * $SECVF_HOME/VMImages, each with the SHA-256 it must hash to.
 *
 * VMImages/index.json lists the images:
 *
 *	{"images":[{"name":"debian-12.iso","sha256":"<64 hex>",
 *	            "size":658505728,"added":"2026-12-03T19:00:00.000000Z"}]}
 *
 * It is rewritten atomically (temporary file, fsync, rename) under an
 * exclusive flock of VMImages/.lock.  A rehash that disagrees with the
 * recorded digest is a security event: iso-cache checksum.mismatch,
 * CRITICAL, data {file, expected, got}.
 */
#ifndef SECVF_IMAGE_H
#define SECVF_IMAGE_H

#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <stddef.h>
#include <stdint.h>

#define IMAGE_NAME_MAX 255

struct image_entry {
	char name[IMAGE_NAME_MAX + 1];
	char sha256[SHA256_HEX];
	uint64_t size;
	char added[TIME_ISO_LEN];
};

struct image_index {
	struct image_entry *v;
	size_t n;
};

/* Read the index (none yet: empty).  0, or -1 with err_msg() set. */
int image_index_load(struct image_index *idx);
void image_index_release(struct image_index *idx);

/* The entry named name, or NULL. */
const struct image_entry *image_find(const struct image_index *idx,
				     const char *name);

/* image_add() and image_verify() results besides -1. */
#define IMAGE_OK 0
#define IMAGE_MISMATCH 1 /* the digest differs; the event was recorded */

/*
 * Copy the file src into the cache as name (a reflink when the
 * filesystem can), hash the copy and record it with sha256_hex (64
 * hex digits, either case).  When the copy does not hash to it,
 * nothing is cached, the event is recorded, got holds the digest, and
 * IMAGE_MISMATCH is returned.  A name already cached is refused.
 * IMAGE_OK with *out filled, or -1 with err_msg() set.
 */
int image_add(const char *src, const char *sha256_hex, const char *name,
	      struct image_entry *out, char got[SHA256_HEX]);

/*
 * Rehash the cached image of e; IMAGE_OK when it matches, else
 * IMAGE_MISMATCH (event recorded, got set), or -1 with err_msg() set
 * (a missing file among them).
 */
int image_verify(const struct image_entry *e, char got[SHA256_HEX]);

/* SHA-256 of everything readable from fd, in hex. */
int image_hash_fd(int fd, char out[SHA256_HEX]);

#endif
