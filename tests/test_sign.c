#include "helpers.h"

#include "forensics/sign.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

TestSuite(sign, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static const char msg[] = "SHA256 (logs/a.log) = 00\n";

static const char *
key_at(const char *name)
{
	static char path[2][4096];
	static int i;

	i ^= 1;
	snprintf(path[i], sizeof(path[i]), "%s/%s", getenv("SECVF_HOME"),
		 name);
	return path[i];
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

Test(sign, round_trip_and_tamper)
{
	struct sign_key *k, *pub;
	uint8_t sig[SIGN_SIG_LEN];
	char bad[sizeof(msg)];

	cr_assert_eq(sign_key_generate(key_at("k/a.pem"), NULL, 0, &k), 0,
		     "%s", err_msg());
	cr_assert_eq(sign_buf(k, msg, strlen(msg), sig), 0);
	cr_assert_eq(sign_pub_load(key_at("k/a.pub.pem"), &pub), 0, "%s",
		     err_msg());
	cr_assert_eq(sign_verify(pub, msg, strlen(msg), sig, sizeof(sig)), 0);

	memcpy(bad, msg, sizeof(msg));
	bad[3] ^= 1;
	cr_assert_eq(sign_verify(pub, bad, strlen(bad), sig, sizeof(sig)), -1);
	cr_assert_str_eq(err_msg(), "signature does not verify");
	sig[10] ^= 0x40;
	cr_assert_eq(sign_verify(pub, msg, strlen(msg), sig, sizeof(sig)), -1);
	cr_assert_eq(sign_verify(pub, msg, strlen(msg), sig, 63), -1);
	sign_key_free(pub);
	sign_key_free(k);
}

Test(sign, wrong_key_fails)
{
	struct sign_key *a, *b;
	uint8_t sig[SIGN_SIG_LEN];

	cr_assert_eq(sign_key_generate(key_at("a.pem"), NULL, 0, &a), 0);
	cr_assert_eq(sign_key_generate(key_at("b.pem"), NULL, 0, &b), 0);
	cr_assert_eq(sign_buf(a, msg, strlen(msg), sig), 0);
	cr_assert_eq(sign_verify(b, msg, strlen(msg), sig, sizeof(sig)), -1);
	cr_assert_str_eq(err_msg(), "signature does not verify");
	sign_key_free(a);
	sign_key_free(b);
}

Test(sign, passphrase_key_loads_only_with_the_passphrase)
{
	const char *priv = key_at("enc.pem");
	struct sign_key *k = NULL;
	char *pem;

	cr_assert_eq(sign_key_generate(priv, "correct horse", 0, NULL), 0);
	pem = th_read(priv);
	cr_assert(strstr(pem, "BEGIN ENCRYPTED PRIVATE KEY"), "%s", pem);
	free(pem);
	cr_assert_eq(sign_key_is_encrypted(priv), 1);

	cr_assert_eq(sign_key_load(priv, NULL, &k), -1);
	cr_assert(strstr(err_msg(), "is encrypted"), "%s", err_msg());
	cr_assert_null(k);
	cr_assert_eq(sign_key_load(priv, "wrong horse", &k), -1);
	cr_assert(strstr(err_msg(), "cannot decrypt"), "%s", err_msg());
	cr_assert_eq(sign_key_load(priv, "correct horse", &k), 0, "%s",
		     err_msg());
	sign_key_free(k);

	/* AES-256-CBC under PBES2, readable by openssl itself. */
	cr_assert_eq(th_sh("openssl asn1parse -in '%s' | grep -q aes-256-cbc",
			   priv), 0);
	cr_assert_eq(th_sh("openssl pkey -in '%s' -passin pass:'correct horse'"
			   " -noout", priv), 0);
}

Test(sign, modes_default_paths_and_no_silent_overwrite)
{
	char priv[4096], pub[4096], dir[4096];
	struct sign_key *k;
	char *before, *after;

	cr_assert_eq(sign_default_paths(priv, sizeof(priv), pub, sizeof(pub)),
		     0);
	cr_assert(strstr(priv, "/keys/signing.pem"));
	cr_assert(strstr(pub, "/keys/signing.pub.pem"));
	cr_assert_eq(sign_key_generate(priv, NULL, 0, NULL), 0);
	snprintf(dir, sizeof(dir), "%s/keys", getenv("SECVF_HOME"));
	cr_assert_eq(mode_of(dir), 0700);
	cr_assert_eq(mode_of(priv), 0600);
	cr_assert_eq(mode_of(pub), 0644);

	before = th_read(priv);
	cr_assert_eq(sign_key_generate(priv, NULL, 0, NULL), -1);
	cr_assert(strstr(err_msg(), "already exists"), "%s", err_msg());
	after = th_read(priv);
	cr_assert_str_eq(before, after);
	free(after);
	cr_assert_eq(sign_key_generate(priv, NULL, 1, &k), 0);
	after = th_read(priv);
	cr_assert_str_neq(before, after);
	free(before);
	free(after);
	sign_key_free(k);
}

Test(sign, fingerprint_matches_openssl_der_sha256)
{
	const char *priv = key_at("f.pem");
	char fpr[SIGN_FPR_LEN], cmd[8192], hex[65];
	struct sign_key *k;
	FILE *p;

	cr_assert_eq(sign_key_generate(priv, NULL, 0, &k), 0);
	cr_assert_eq(sign_fingerprint(k, fpr), 0);
	snprintf(cmd, sizeof(cmd), "openssl pkey -pubin -in '%s' -outform DER"
		 " | sha256sum", key_at("f.pub.pem"));
	p = popen(cmd, "r");
	cr_assert_eq(fscanf(p, "%64s", hex), 1);
	pclose(p);
	cr_assert(!strncmp(fpr, "SHA256:", 7));
	cr_assert_str_eq(fpr + 7, hex);
	sign_key_free(k);
}

Test(sign, openssl_pkeyutl_verifies_our_signature)
{
	const char *priv = key_at("o.pem");
	uint8_t sig[SIGN_SIG_LEN];
	struct sign_key *k;
	FILE *f;

	cr_assert_eq(sign_key_generate(priv, NULL, 0, &k), 0);
	cr_assert_eq(sign_buf(k, msg, strlen(msg), sig), 0);
	f = fopen(key_at("m.sig"), "w");
	fwrite(sig, 1, sizeof(sig), f);
	fclose(f);
	cr_assert_eq(th_write("m", msg), 0);
	cr_assert_eq(th_sh("cd \"$SECVF_HOME\" && openssl pkeyutl -verify "
			   "-pubin -inkey o.pub.pem -rawin -in m -sigfile "
			   "m.sig >/dev/null"), 0);
	sign_key_free(k);
}

Test(sign, public_key_garbage_is_refused)
{
	struct sign_key *k;

	cr_assert_eq(sign_pub_from_pem("hello", 5, &k), -1);
	cr_assert_null(k);
	cr_assert_eq(sign_pub_load(key_at("absent.pem"), &k), -1);
	cr_assert(strstr(err_msg(), "No such file"), "%s", err_msg());
}

Test(sign, cli_generate_and_show)
{
	char *out, *err;

	cr_assert_eq(th_write("pass", "s3cret\n"), 0);
	cr_assert_eq(th_sh("cd \"$SECVF_HOME\" && %s key generate "
			   "--passphrase-file pass >/dev/null", SECVF_BIN), 0);
	cr_assert_eq(th_secvf(&out, NULL, "key", "show", "--json", NULL), 0);
	cr_assert(strstr(out, "\"encrypted\":true") &&
		  strstr(out, "\"fingerprint\":\"SHA256:"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, &err, "key", "generate", NULL), 1);
	cr_assert(strstr(err, "already exists") && strstr(err, "--force"),
		  "%s", err);
	free(err);
	setenv("SECVF_KEY_PASSPHRASE", "other", 1);
	cr_assert_eq(th_secvf(&out, NULL, "key", "generate", "--force", NULL),
		     0);
	unsetenv("SECVF_KEY_PASSPHRASE");
	free(out);
}

Test(sign, cli_show_without_key_is_not_found)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, "key", "show", NULL), 3);
	cr_assert(strstr(err, "no signing key"), "%s", err);
	free(err);
}

/*
 * Each test runs in a process of its own, which starts dumpable.  Let
 * its soft core limit up to the hard one, so that the guard has
 * something to turn off.
 */
static void
expect_dumpable(void)
{
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_CORE, &rl), 0);
	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

static void
assert_no_core_dumps(const char *after)
{
	struct rlimit rl;

	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0,
		     "still dumpable after %s", after);
	cr_assert_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	cr_assert(rl.rlim_cur == 0 && rl.rlim_max == 0,
		  "core limit %llu/%llu after %s",
		  (unsigned long long)rl.rlim_cur,
		  (unsigned long long)rl.rlim_max, after);
}

Test(sign, loading_a_private_key_turns_core_dumps_off)
{
	struct sign_key *k, *pub;

	cr_assert_eq(th_secvf(NULL, NULL, "key", "generate", "--key",
			      key_at("c.pem"), NULL),
		     0);
	expect_dumpable();

	/* A public key is no secret. */
	cr_assert_eq(sign_pub_load(key_at("c.pub.pem"), &pub), 0);
	sign_key_free(pub);
	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);

	cr_assert_eq(sign_key_load(key_at("c.pem"), NULL, &k), 0, "%s",
		     err_msg());
	assert_no_core_dumps("sign_key_load");
	sign_key_free(k);
}

Test(sign, generating_a_key_turns_core_dumps_off)
{
	expect_dumpable();
	cr_assert_eq(sign_key_generate(key_at("g.pem"), "pass", 0, NULL), 0);
	assert_no_core_dumps("sign_key_generate");
}

Test(sign, reading_a_private_key_file_turns_core_dumps_off)
{
	cr_assert_eq(th_secvf(NULL, NULL, "key", "generate", "--key",
			      key_at("e.pem"), NULL),
		     0);
	expect_dumpable();
	cr_assert_eq(sign_key_is_encrypted(key_at("e.pem")), 0);
	assert_no_core_dumps("sign_key_is_encrypted");
}

Test(sign, guard_is_idempotent)
{
	expect_dumpable();
	cr_assert_eq(sign_guard_process(), 0, "%s", err_msg());
	cr_assert_eq(sign_guard_process(), 0, "%s", err_msg());
	assert_no_core_dumps("sign_guard_process twice");
}
