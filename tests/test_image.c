#include "helpers.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/home.h"
#include "vmm/image.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(image, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

/* A digest the sample does not have. */
#define WRONG "1f1ba3a4ff9d4bbcbc5ea37ec8c0ee6ed42cb0c2a82d1a2bbce8a4e0bc77e2c0"

static const char *
sample(char hex[SHA256_HEX])
{
	static char path[4096];

	cr_assert_eq(th_write("sample.iso", "install me\n"), 0);
	snprintf(path, sizeof(path), "%s/sample.iso", getenv("SECVF_HOME"));
	cr_assert_eq(sha256_hex_buf("install me\n", 11, hex), 0);
	return path;
}

/* The number of iso-cache checksum.mismatch events logged. */
static int
mismatches(void)
{
	char *out;
	int n = 0;
	const char *p;

	cr_assert_eq(th_secvf(&out, NULL, "events", "--json", NULL), 0);
	for (p = out; (p = strstr(p, "\"checksum.mismatch\"")); p++)
		n++;
	free(out);
	return n;
}

Test(image, add_records_and_verify_passes)
{
	struct image_index idx;
	struct image_entry e;
	char hex[SHA256_HEX], got[SHA256_HEX];
	const char *src = sample(hex);

	cr_assert_eq(image_add(src, hex, "debian.iso", &e, got), IMAGE_OK, "%s",
		     err_msg());
	cr_assert_eq(e.size, 11);
	cr_assert_eq(image_index_load(&idx), 0);
	cr_assert_eq(idx.n, 1);
	cr_assert_str_eq(idx.v[0].sha256, hex);
	cr_assert_eq(image_verify(&idx.v[0], got), IMAGE_OK);
	image_index_release(&idx);
	cr_assert_eq(mismatches(), 0);
	cr_assert_eq(image_add(src, hex, "debian.iso", &e, got), -1);
	cr_assert(strstr(err_msg(), "already cached"), "%s", err_msg());
}

Test(image, tampered_image_fails_verify_with_an_event)
{
	char hex[SHA256_HEX], *out, *err, *log;
	const char *src = sample(hex);

	cr_assert_eq(th_secvf(&out, &err, "image", "add", src, "--sha256", hex,
			      "--name", "lab.iso", NULL),
		     0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(th_secvf(&out, NULL, "image", "verify", NULL), 0);
	cr_assert(strstr(out, "lab.iso: OK"), "%s", out);
	free(out);
	cr_assert_eq(th_write("VMImages/lab.iso", "install mE\n"), 0);
	cr_assert_eq(th_secvf(&out, NULL, "image", "verify", "lab.iso", NULL),
		     4);
	cr_assert(strstr(out, "lab.iso: MISMATCH"), "%s", out);
	free(out);
	cr_assert_eq(mismatches(), 1);
	cr_assert_eq(th_secvf(&log, NULL, "events", "--json", NULL), 0);
	cr_assert(strstr(log, "\"severity\":\"CRITICAL\",\"subsystem\":"
			      "\"iso-cache\",\"event\":\"checksum.mismatch\""),
		  "%s", log);
	cr_assert(strstr(log, "\"file\":\"lab.iso\""), "%s", log);
	cr_assert(strstr(log, hex), "%s", log);
	free(log);
}

Test(image, wrong_digest_caches_nothing)
{
	char hex[SHA256_HEX], got[SHA256_HEX], path[4096];
	const char *src = sample(hex);
	struct image_entry e;

	cr_assert_eq(image_add(src, WRONG, "x.iso", &e, got), IMAGE_MISMATCH);
	cr_assert_str_eq(got, hex);
	cr_assert_eq(home_path(path, sizeof(path), "VMImages/x.iso"), 0);
	cr_assert_neq(access(path, F_OK), 0);
	cr_assert_eq(mismatches(), 1);
	cr_assert_eq(th_secvf(NULL, NULL, "image", "add", src, "--sha256",
			      WRONG, NULL),
		     4);
}

Test(image, bad_arguments_are_refused)
{
	char hex[SHA256_HEX], got[SHA256_HEX];
	const char *src = sample(hex);
	struct image_entry e;

	cr_assert_eq(image_add(src, "abc", "x.iso", &e, got), -1);
	cr_assert(strstr(err_msg(), "bad SHA-256"), "%s", err_msg());
	cr_assert_eq(image_add(src, hex, "../x.iso", &e, got), -1);
	cr_assert_eq(image_add("/nonexistent", hex, "x.iso", &e, got), -1);
	cr_assert_eq(th_secvf(NULL, NULL, "image", "add", src, NULL), 2);
	cr_assert_eq(th_secvf(NULL, NULL, "image", "verify", "ghost.iso", NULL),
		     3);
}

Test(image, list_shows_the_index)
{
	char hex[SHA256_HEX], *out;
	const char *src = sample(hex);

	cr_assert_eq(th_secvf(NULL, NULL, "image", "add", src, "--sha256", hex,
			      NULL),
		     0);
	cr_assert_eq(th_secvf(&out, NULL, "image", "list", "--json", NULL), 0);
	cr_assert(strstr(out, "\"name\":\"sample.iso\""), "%s", out);
	cr_assert(strstr(out, hex), "%s", out);
	free(out);
}
