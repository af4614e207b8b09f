/*
 * sha256: SHA-256 through OpenSSL's EVP interface, and its hex form.
 */
#ifndef SECVF_SHA256_H
#define SECVF_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX 65 /* 64 hex digits and NUL */

struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

/* Start a digest; -1 with err_msg() set if OpenSSL cannot. */
int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Finish into out and release the context. */
void sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN]);
/* Release without finishing (on an error path). */
void sha256_release(struct sha256 *h);

/* One-shot digests. */
int sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN]);
int sha256_hex_buf(const void *data, size_t len, char out[SHA256_HEX]);

void sha256_to_hex(const uint8_t digest[SHA256_LEN], char out[SHA256_HEX]);

/* Is text exactly 64 lowercase hex digits? */
int sha256_is_hex(const char *text);

#endif
