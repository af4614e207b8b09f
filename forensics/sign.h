/*
 * sign: Ed25519 evidence-signing keys and signatures (OpenSSL 3).
 *
 * The private key is a PKCS#8 PEM file, mode 0600, optionally encrypted
 * with a passphrase (PBES2, AES-256-CBC); the public key is a PEM
 * SubjectPublicKeyInfo beside it, mode 0644.  By default they are
 * $SECVF_HOME/keys/signing.pem and signing.pub.pem (keys/ is 0700).
 *
 * Signatures are raw 64-byte Ed25519 signatures over the message bytes,
 * as `openssl pkeyutl -sign -rawin` makes and `-verify -rawin` checks.
 * A key is named by its fingerprint, "SHA256:" and the hex SHA-256 of
 * its DER SubjectPublicKeyInfo:
 *
 *	openssl pkey -pubin -in signer.pub -outform DER | sha256sum
 *
 * Passphrases and key bytes are wiped with OPENSSL_cleanse after use;
 * nothing here logs or prints key material.  A process that reads or
 * makes a private key is kept out of core dumps from then on (see
 * sign_guard_process()).
 */
#ifndef SECVF_SIGN_H
#define SECVF_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_SIG_LEN 64
#define SIGN_FPR_LEN 72 /* "SHA256:" + 64 hex + NUL */
#define SIGN_PASS_MAX 1024

/* A private or public Ed25519 key (wraps an EVP_PKEY). */
struct sign_key;

/*
 * Supplies a passphrase for an encrypted key: copy at most size - 1
 * bytes and a NUL into buf; return the length or -1 to give up.
 */
typedef int (*sign_pass_fn)(char *buf, size_t size, void *arg);

/*
 * Keep this process's secrets out of core dumps for the rest of its
 * life: no core file (RLIMIT_CORE 0, soft and hard) and not dumpable
 * (PR_SET_DUMPABLE 0, which also keeps other unprivileged processes
 * from attaching to it or reading its memory).  sign_key_generate(),
 * sign_key_load(), sign_key_load_cb() and sign_key_is_encrypted() call
 * it before any private key byte is in memory; call it before reading
 * a passphrase.  0, or -1 with the reason in err_msg().
 */
int sign_guard_process(void);

/* The default key paths beneath $SECVF_HOME/keys (made 0700). */
int sign_default_paths(char *priv, size_t priv_size, char *pub,
		       size_t pub_size);

/*
 * The public key path for a private key path: "X.pem" gives
 * "X.pub.pem", anything else gets ".pub.pem" appended.
 */
int sign_pub_path(const char *priv, char *pub, size_t size);

/*
 * Generate a key pair and write priv (0600, encrypted when passphrase
 * is not NULL or empty) and its public key (0644) atomically, making
 * priv's directory 0700 when missing.  An existing key (either file)
 * is refused unless force.  *out (when not NULL) receives the key,
 * which the caller frees with sign_key_free().
 */
int sign_key_generate(const char *priv, const char *passphrase, int force,
		      struct sign_key **out);

/*
 * Load a private key.  An encrypted key needs the passphrase (or the
 * callback); a wrong one fails with "cannot decrypt key".  *out is
 * NULL on failure; free it with sign_key_free().
 */
int sign_key_load(const char *priv, const char *passphrase,
		  struct sign_key **out);
int sign_key_load_cb(const char *priv, sign_pass_fn fn, void *arg,
		     struct sign_key **out);

/* Load a public key from a PEM file, or from PEM text in memory. */
int sign_pub_load(const char *pub, struct sign_key **out);
int sign_pub_from_pem(const void *pem, size_t len, struct sign_key **out);

/* Is the PEM private key at priv encrypted?  1, 0, or -1 on error. */
int sign_key_is_encrypted(const char *priv);

void sign_key_free(struct sign_key *k);

/* Sign len bytes of buf with a private key. */
int sign_buf(struct sign_key *k, const void *buf, size_t len,
	     uint8_t sig[SIGN_SIG_LEN]);

/*
 * Verify sig over buf with a (public or private) key.  0 when it
 * verifies; -1 with err_msg() "signature does not verify" otherwise.
 */
int sign_verify(struct sign_key *k, const void *buf, size_t len,
		const uint8_t *sig, size_t sig_len);

/* "SHA256:<hex>" of the key's DER SubjectPublicKeyInfo. */
int sign_fingerprint(struct sign_key *k, char out[SIGN_FPR_LEN]);

/* The public key as PEM text: malloc'd, NUL-terminated, free() it. */
int sign_pub_pem(struct sign_key *k, char **pem, size_t *len);

#endif
