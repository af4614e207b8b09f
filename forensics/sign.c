#include "sign.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/sha256.h"

#include <errno.h>
#include <libgen.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#define PEM_MAX (64 * 1024)

struct sign_key {
	EVP_PKEY *pkey;
};

struct pass_ctx {
	sign_pass_fn fn;
	void *arg;
	int asked;
	int refused;
};

int
sign_guard_process(void)
{
	const struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return err_errno("cannot turn off core dumps");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_errno("cannot make the process undumpable");
	return 0;
}

int
sign_pub_path(const char *priv, char *pub, size_t size)
{
	size_t n = strlen(priv);

	if (n > 4 && !strcmp(priv + n - 4, ".pem"))
		return path_fmt(pub, size, "%.*s.pub.pem", (int)(n - 4), priv);
	return path_fmt(pub, size, "%s.pub.pem", priv);
}

int
sign_default_paths(char *priv, size_t priv_size, char *pub,
		   size_t pub_size)
{
	char dir[PATH_BUF];

	if (home_subdir(dir, sizeof(dir), "keys") < 0)
		return -1;
	if (path_fmt(priv, priv_size, "%s/signing.pem", dir) < 0)
		return -1;
	return sign_pub_path(priv, pub, pub_size);
}

static struct sign_key *
key_wrap(EVP_PKEY *pkey, const char *what)
{
	struct sign_key *k;

	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		EVP_PKEY_free(pkey);
		err_set("%s is not an Ed25519 key", what);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		err_set("out of memory");
		return NULL;
	}
	k->pkey = pkey;
	return k;
}

void
sign_key_free(struct sign_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* Copy a memory BIO's bytes to a file atomically, then wipe them. */
static int
bio_to_file(BIO *bio, const char *path, mode_t mode)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	int rc;

	if (len <= 0)
		return err_set("cannot encode key for '%s'", path);
	rc = file_write_atomic(path, data, (size_t)len, mode);
	OPENSSL_cleanse(data, (size_t)len);
	return rc;
}

static int
write_private(EVP_PKEY *pkey, const char *path, const char *pass)
{
	const EVP_CIPHER *cipher = pass && *pass ? EVP_aes_256_cbc() : NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	if (!bio)
		return err_set("out of memory");
	if (!PEM_write_bio_PKCS8PrivateKey(bio, pkey, cipher, cipher ?
			(char *)pass : NULL, cipher ? (int)strlen(pass) : 0,
			NULL, NULL))
		err_set("cannot encode private key for '%s'", path);
	else
		rc = bio_to_file(bio, path, 0600);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

static int
write_public(EVP_PKEY *pkey, const char *path)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	if (!bio)
		return err_set("out of memory");
	if (!PEM_write_bio_PUBKEY(bio, pkey))
		err_set("cannot encode public key for '%s'", path);
	else
		rc = bio_to_file(bio, path, 0644);
	BIO_free(bio);
	return rc;
}

static int
make_key_dir(const char *priv)
{
	char copy[PATH_BUF];

	if (path_fmt(copy, sizeof(copy), "%s", priv) < 0)
		return -1;
	return path_mkdirs(dirname(copy), 0700);
}

int
sign_key_generate(const char *priv, const char *passphrase, int force,
		  struct sign_key **out)
{
	char pub[PATH_BUF];
	EVP_PKEY *pkey;

	if (out)
		*out = NULL;
	if (sign_pub_path(priv, pub, sizeof(pub)) < 0)
		return -1;
	if (!force && (access(priv, F_OK) == 0 || access(pub, F_OK) == 0))
		return err_set("signing key '%s' already exists", priv);
	if (sign_guard_process() < 0 || make_key_dir(priv) < 0)
		return -1;

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey)
		return err_set("cannot generate an Ed25519 key");
	if (write_private(pkey, priv, passphrase) < 0)
		goto fail;
	if (write_public(pkey, pub) < 0) {
		unlink(priv);
		goto fail;
	}

	if (out && !(*out = key_wrap(pkey, priv)))
		return -1;
	if (!out)
		EVP_PKEY_free(pkey);
	return 0;

fail:
	EVP_PKEY_free(pkey);
	return -1;
}

static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass_ctx *p = u;
	int n;

	p->asked = 1;
	if (!p->fn || size <= 0) {
		p->refused = 1;
		return -1;
	}
	n = p->fn(buf, (size_t)size, p->arg);
	if (n < 0)
		p->refused = 1;
	return n;
}

static int
string_pass(char *buf, size_t size, void *arg)
{
	size_t n = strlen(arg);

	if (n >= size)
		return -1;
	memcpy(buf, arg, n + 1);
	return (int)n;
}

static int
load_private_pem(const char *priv, char *pem, size_t len,
		 struct pass_ctx *p, struct sign_key **out)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;

	if (!bio)
		return err_set("out of memory");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, p);
	BIO_free(bio);
	ERR_clear_error();

	if (!pkey && p->asked && p->refused)
		return err_set("signing key '%s' is encrypted: a passphrase "
			       "is needed", priv);
	if (!pkey && p->asked)
		return err_set("cannot decrypt signing key '%s' (wrong "
			       "passphrase?)", priv);
	if (!pkey)
		return err_set("cannot parse signing key '%s'", priv);
	*out = key_wrap(pkey, priv);
	return *out ? 0 : -1;
}

int
sign_key_load_cb(const char *priv, sign_pass_fn fn, void *arg,
		 struct sign_key **out)
{
	struct pass_ctx p = {.fn = fn, .arg = arg};
	size_t len;
	char *pem;
	int rc;

	*out = NULL;
	if (sign_guard_process() < 0)
		return err_prefix("cannot load signing key");
	if (file_read_all(priv, PEM_MAX, &pem, &len) < 0)
		return err_prefix("cannot load signing key");
	rc = load_private_pem(priv, pem, len, &p, out);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

int
sign_key_load(const char *priv, const char *passphrase,
	      struct sign_key **out)
{
	return sign_key_load_cb(priv, passphrase ? string_pass : NULL,
				(void *)passphrase, out);
}

int
sign_pub_from_pem(const void *pem, size_t len, struct sign_key **out)
{
	BIO *bio;
	EVP_PKEY *pkey;

	*out = NULL;
	if (len > PEM_MAX)
		return err_set("public key is larger than %d bytes", PEM_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return err_set("out of memory");
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!pkey)
		return err_set("not a PEM public key");
	*out = key_wrap(pkey, "public key");
	return *out ? 0 : -1;
}

int
sign_pub_load(const char *pub, struct sign_key **out)
{
	size_t len;
	char *pem;
	int rc;

	*out = NULL;
	if (file_read_all(pub, PEM_MAX, &pem, &len) < 0)
		return err_prefix("cannot load public key");
	rc = sign_pub_from_pem(pem, len, out);
	free(pem);
	if (rc < 0)
		return err_prefix("'%s'", pub);
	return 0;
}

int
sign_key_is_encrypted(const char *priv)
{
	size_t len;
	char *pem;
	int rc;

	if (sign_guard_process() < 0 ||
	    file_read_all(priv, PEM_MAX, &pem, &len) < 0)
		return -1;
	rc = strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL;
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

int
sign_buf(struct sign_key *k, const void *buf, size_t len,
	 uint8_t sig[SIGN_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = SIGN_SIG_LEN;
	int ok;

	if (!ctx)
		return err_set("out of memory");
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &sig_len, buf, len) == 1 &&
	     sig_len == SIGN_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : err_set("cannot sign with the signing key");
}

int
sign_verify(struct sign_key *k, const void *buf, size_t len,
	    const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (sig_len != SIGN_SIG_LEN)
		return err_set("signature does not verify (it is %zu bytes, "
			       "not %d)", sig_len, SIGN_SIG_LEN);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return err_set("out of memory");
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, buf, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : err_set("signature does not verify");
}

int
sign_fingerprint(struct sign_key *k, char out[SIGN_FPR_LEN])
{
	unsigned char *der = NULL;
	char hex[SHA256_HEX];
	int len = i2d_PUBKEY(k->pkey, &der);
	int rc;

	if (len <= 0)
		return err_set("cannot encode public key");
	rc = sha256_hex_buf(der, (size_t)len, hex);
	OPENSSL_free(der);
	if (rc < 0)
		return -1;
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, hex, SHA256_HEX);
	return 0;
}

int
sign_pub_pem(struct sign_key *k, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	*pem = NULL;
	if (!bio)
		return err_set("out of memory");
	if (!PEM_write_bio_PUBKEY(bio, k->pkey) ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		BIO_free(bio);
		return err_set("cannot encode public key");
	}
	*pem = malloc((size_t)n + 1);
	if (*pem) {
		memcpy(*pem, data, (size_t)n);
		(*pem)[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(bio);
	return *pem ? 0 : err_set("out of memory");
}
