#include "sha256.h"

#include "err.h"

#include <openssl/evp.h>
#include <string.h>

int
sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (!ctx)
		return err_set("cannot allocate a SHA-256 context");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return err_set("cannot start a SHA-256 digest");
	}
	h->ctx = ctx;
	return 0;
}

void
sha256_update(struct sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void
sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	sha256_release(h);
}

void
sha256_release(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		return err_set("SHA-256 digest failed");
	return 0;
}

int
sha256_hex_buf(const void *data, size_t len, char out[SHA256_HEX])
{
	uint8_t digest[SHA256_LEN];

	if (sha256_buf(data, len, digest) < 0)
		return -1;
	sha256_to_hex(digest, out);
	return 0;
}

void
sha256_to_hex(const uint8_t digest[SHA256_LEN], char out[SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[64] = '\0';
}

int
sha256_is_hex(const char *text)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", text[i]) || !text[i])
			return 0;
	return text[64] == '\0';
}
