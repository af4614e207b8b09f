/*
 * verify: check a sealed incident bundle (see seal.h) end to end.
 *
 * One pass over the bundle (zstd, gzip or plain tar) checks: the
 * sidecar BUNDLE.sha256, when present, against the bundle's SHA-256;
 * MANIFEST.sha256 parses strictly (see manifest.h); its signature
 * verifies with the given public key, or else with the bundled
 * signer.pub (trust then rests on the fingerprint reported); every
 * member's SHA-256 matches its manifest line, none is missing and none
 * is extra; custody.jsonl, when present, is an intact hash chain; and
 * manifest.json, when present, is a JSON object whose "custody_head"
 * (when present) is the hash of custody.jsonl's last line.
 */
#ifndef SECVF_VERIFY_H
#define SECVF_VERIFY_H

#include "forensics/sign.h"

#include <stddef.h>

#define VERIFY_CUSTODY_NAME "custody.jsonl"
#define VERIFY_MANIFEST_JSON_NAME "manifest.json"
#define VERIFY_PROBLEMS_MAX 100

enum verify_sidecar {
	VERIFY_SIDECAR_ABSENT,
	VERIFY_SIDECAR_MATCH,
	VERIFY_SIDECAR_MISMATCH,
};

struct verify_report {
	int ok;                          /* every check passed */
	char sha256[65];                 /* of the bundle file */
	enum verify_sidecar sidecar;
	int signature_ok;
	int key_bundled;                 /* checked with signer.pub */
	char fingerprint[SIGN_FPR_LEN];  /* of that key; "" when none */
	size_t members;                  /* lines in the manifest */
	int custody;                     /* custody.jsonl present */
	size_t custody_lines;
	char custody_head[65];
	char **problems;                 /* what failed, one per entry */
	size_t nproblems;
};

/*
 * Verify the bundle at path, with the public key PEM at pub_path (NULL:
 * the bundled signer.pub).  Returns 0 when the checks ran: r->ok tells
 * the verdict and r->problems names each failure, e.g.
 *	member 'logs/a.log': sha256 mismatch
 *	signature does not verify
 *	member 'x' is not in the manifest
 * Returns -1 with err_msg() set when they could not run (no bundle,
 * errno ENOENT kept; an unreadable key).  Release r with
 * verify_report_release() in both cases.
 */
int verify_bundle(const char *path, const char *pub_path,
		  struct verify_report *r);

void verify_report_release(struct verify_report *r);

/*
 * Check a custody trail (CONTRACTS: each line's "prev" is the SHA-256
 * hex of the previous line's bytes without its "\n", the first's is 64
 * zeros).  0 with *lines and head (the last line's hash; zeros for an
 * empty trail) set, or -1 with err_msg() naming the first bad line.
 */
int verify_custody_chain(const char *text, size_t len, size_t *lines,
			 char head[65]);

/*
 * Check manifest.json text as verify_bundle() does: a JSON object (no
 * duplicate keys) whose "custody_head", when present and not null, is
 * a string equal to custody_head, the hash of custody.jsonl's last
 * line.  custody_head is NULL when the bundle has no custody.jsonl,
 * "" when its hash is not known (the trail did not verify).  0, or -1
 * with err_msg() saying what is wrong.
 */
int verify_manifest_json(const char *text, size_t len,
			 const char *custody_head);

#endif
