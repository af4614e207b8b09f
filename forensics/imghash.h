/*
 * imghash: the chunked SHA-256 of a disk image or memory dump.
 *
 * The image is cut into 4 MiB chunks (the last one keeps its actual
 * length); each chunk is hashed with SHA-256 and the image hash is the
 * SHA-256 of the concatenated 32-byte chunk digests.  Chunks hash in
 * parallel on every core, and a chunk that is entirely a hole is never
 * read: the digest of a zero chunk of its length stands in for it.
 *
 * Anyone can recompute it with coreutils and openssl:
 *
 *	split -b 4194304 --filter='openssl dgst -sha256 -binary' IMG |
 *		sha256sum
 *
 * The method name manifests record is IMGHASH_METHOD.  An empty file
 * has no chunks: its hash is the SHA-256 of nothing.
 */
#ifndef SECVF_IMGHASH_H
#define SECVF_IMGHASH_H

#include <stdint.h>

#define IMGHASH_METHOD "sha256-chunked-4MiB"
#define IMGHASH_CHUNK ((uint64_t)4 << 20)

/*
 * Called in the caller's thread as chunks complete, with the bytes
 * done so far and the image size; done == total at the end.
 */
typedef void (*imghash_progress_fn)(uint64_t done, uint64_t total,
				    void *arg);

/*
 * Hash the regular file open at fd (mapped read-only a chunk at a
 * time, or read with pread where it cannot be mapped; the file offset
 * is left alone) with nthreads threads (0: one per online core).  On
 * success hex holds the 64-digit hash and *size (when not NULL) the
 * image size.  -1 with err_msg() set on a read error, or when the file
 * is cut short while it is hashed.  While it runs, a SIGBUS handler of
 * this module is installed (the one before is put back afterwards).
 */
int imghash_fd(int fd, unsigned nthreads, imghash_progress_fn progress,
	       void *arg, char hex[65], uint64_t *size);

/* As imghash_fd() on path, opened without following a final symlink. */
int imghash_path(const char *path, imghash_progress_fn progress, void *arg,
		 char hex[65], uint64_t *size);

#endif
