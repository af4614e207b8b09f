/*
 * secvf key generate | show: the evidence signing key.
 */
#include "cli.h"

#include "forensics/sign.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/path.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char key_usage[] =
	"usage: secvf key generate [--key PATH] [--passphrase-file FILE] "
	"[--force]\n"
	"       secvf key show [--key PATH] [--json]\n"
	"\n"
	"The Ed25519 key that signs incident bundles: by default\n"
	"$SECVF_HOME/keys/signing.pem (0600) and signing.pub.pem beside it.\n"
	"A passphrase (first line of FILE, or $SECVF_KEY_PASSPHRASE)\n"
	"encrypts the private key.  Publish the fingerprint out of band:\n"
	"it, not the signer.pub inside a bundle, is what a verifier trusts.\n";

static const char generate_usage[] =
	"usage: secvf key generate [--key PATH] [--passphrase-file FILE] "
	"[--force]\n"
	"\n"
	"Generate the signing key; an existing key is kept unless --force.\n"
	"The passphrase comes from the first line of FILE or from\n"
	"$SECVF_KEY_PASSPHRASE; without one the key is not encrypted.\n";

static const char show_usage[] =
	"usage: secvf key show [--key PATH] [--json]\n"
	"\n"
	"Print the key's path, fingerprint and whether it is encrypted.\n";

int
cli_passphrase(const char *file, char *buf, size_t size, int *have)
{
	const char *env = getenv("SECVF_KEY_PASSPHRASE");
	size_t len, n;
	char *text;

	*have = 0;
	buf[0] = '\0';
	if ((file || (env && *env)) && sign_guard_process() < 0)
		return -1;
	if (!file) {
		if (!env || !*env)
			return 0;
		if (path_fmt(buf, size, "%s", env) < 0)
			return err_set("SECVF_KEY_PASSPHRASE is too long");
		*have = 1;
		return 0;
	}
	if (file_read_all(file, SIGN_PASS_MAX, &text, &len) < 0)
		return err_prefix("cannot read passphrase");
	n = strcspn(text, "\r\n");
	if (n > 0 && n < size) {
		memcpy(buf, text, n);
		buf[n] = '\0';
		*have = 1;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (!*have)
		return err_set("passphrase file '%s' has no passphrase on its "
			       "first line", file);
	return 0;
}

/* The private and public key paths: --key PATH or the defaults. */
static int
key_paths(const char *key, char *priv, char *pub)
{
	if (!key)
		return sign_default_paths(priv, PATH_BUF, pub, PATH_BUF);
	if (path_fmt(priv, PATH_BUF, "%s", key) < 0)
		return -1;
	return sign_pub_path(priv, pub, PATH_BUF);
}

static int
report_key(const char *priv, const char *pub, struct sign_key *k,
	   int encrypted)
{
	char fpr[SIGN_FPR_LEN];

	if (sign_fingerprint(k, fpr) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (cli.json) {
		cli_print_json(json_pack("{s:s, s:s, s:s, s:b}", "private",
					 priv, "public", pub, "fingerprint",
					 fpr, "encrypted", encrypted));
		return EXIT_OK;
	}
	printf("private      %s%s\n", priv, encrypted ? " (encrypted)" : "");
	printf("public       %s\n", pub);
	printf("fingerprint  %s\n", fpr);
	return EXIT_OK;
}

static int
key_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"force", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *passfile = NULL;
	char priv[PATH_BUF], pub[PATH_BUF], pass[SIGN_PASS_MAX];
	struct sign_key *k;
	int opt, force = 0, have, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': key = optarg; break;
		case 'p': passfile = optarg; break;
		case 'f': force = 1; break;
		case 'j': cli.json = 1; break;
		default: return cli_usage_error("key generate", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("key generate",
				       "unexpected argument '%s'",
				       argv[optind]);
	if (key_paths(key, priv, pub) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (cli_passphrase(passfile, pass, sizeof(pass), &have) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);

	rc = sign_key_generate(priv, have ? pass : NULL, force, &k);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (rc < 0 && !force && access(priv, F_OK) == 0)
		return cli_fail(EXIT_FAIL, "%s (use --force to replace it)",
				err_msg());
	if (rc < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	rc = report_key(priv, pub, k, have);
	sign_key_free(k);
	return rc;
}

/* The key's public half: from the .pub.pem, else from the private key. */
static int
load_public(const char *priv, const char *pub, struct sign_key **k)
{
	char pass[SIGN_PASS_MAX];
	int have, rc;

	if (access(pub, F_OK) == 0)
		return sign_pub_load(pub, k);
	if (cli_passphrase(NULL, pass, sizeof(pass), &have) < 0)
		return -1;
	rc = sign_key_load(priv, have ? pass : NULL, k);
	OPENSSL_cleanse(pass, sizeof(pass));
	return rc;
}

static int
key_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char priv[PATH_BUF], pub[PATH_BUF];
	const char *key = NULL;
	struct sign_key *k;
	int opt, enc, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'k')
			key = optarg;
		else if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("key show", "bad option");
	}
	if (optind < argc)
		return cli_usage_error("key show", "unexpected argument '%s'",
				       argv[optind]);
	if (key_paths(key, priv, pub) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (access(priv, F_OK) != 0)
		return cli_fail(EXIT_NOT_FOUND, "no signing key at '%s' (run "
				"'secvf key generate')", priv);

	enc = sign_key_is_encrypted(priv);
	if (enc < 0 || load_public(priv, pub, &k) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	rc = report_key(priv, pub, k, enc);
	sign_key_free(k);
	return rc;
}

int
cmd_key(int argc, char **argv)
{
	static const struct cli_cmd subs[] = {
		{"generate", key_generate, "generate the signing key",
		 generate_usage},
		{"show", key_show, "show the signing key's fingerprint",
		 show_usage},
		{NULL, NULL, NULL, NULL},
	};

	return cli_dispatch("key", subs, key_usage, argc, argv);
}
