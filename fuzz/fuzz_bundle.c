/*
 * fuzz_bundle: libFuzzer target for `secvf evidence verify`: the input
 * is written to a file as a bundle (zstd, gzip or plain tar, whichever
 * it is) and verified with the fixed test key fuzz/bundle-key.pub.pem
 * (the seeds were sealed with fuzz/bundle-key.pem), then with the
 * bundled signer.pub.  A verdict of ok must come with a good signature
 * and no problem, and a bundle the test key verifies must verify with
 * the signer.pub inside it too.
 *
 *	make fuzz FUZZ_ONLY=bundle
 */
#include "forensics/verify.h"
#include "fuzz/fuzz_file.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
verified(const char *path, const char *pub)
{
	struct verify_report r;
	size_t i;
	int ok;

	if (verify_bundle(path, pub, &r) < 0)
		abort();
	if (r.ok && (!r.signature_ok || r.nproblems))
		__builtin_trap();
	if (r.nproblems > VERIFY_PROBLEMS_MAX)
		__builtin_trap();
	for (i = 0; i < r.nproblems; i++)
		if (!r.problems[i] || !r.problems[i][0])
			__builtin_trap();
	ok = r.ok;
	verify_report_release(&r);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pub = FUZZ_SRCDIR "/fuzz/bundle-key.pub.pem";
	char path[512];

	fuzz_path(path, sizeof(path), "incident-lab1-20261203T190010Z.tar.zst");
	fuzz_write(path, data, size);
	if (verified(path, pub) && !verified(path, NULL))
		__builtin_trap();
	return 0;
}
