/*
 * baseline: post-incident host checks with verdicts.
 *
 * Every check reads the kernel's and the system's own files beneath a
 * root directory ("/" for the running host, or a mounted disk or a test
 * fixture), so a check never runs a program of the host it judges
 * (except the macOS tools on a live macOS host).  Each check yields one
 * result object:
 *
 *	{"id":"lockdown","title":"kernel lockdown","verdict":"fail",
 *	 "observed":"none","why":"..."}
 *
 * verdict is "pass", "fail", "unknown" (the state could not be read:
 * why says what was missing) or "skipped" (the check does not apply
 * here: why says why).  A missing or unreadable file never fails the
 * run; it makes that one check "unknown".
 *
 * The comparison checks (listening sockets, loaded modules, SSH keys,
 * SUID files, units, launch items, kexts) compare the current state with
 * a capture taken earlier on a known-good host; without one they are
 * "skipped".
 */
#ifndef SECVF_BASELINE_H
#define SECVF_BASELINE_H

#include <jansson.h>

enum baseline_verdict {
	BASELINE_PASS,
	BASELINE_FAIL,
	BASELINE_UNKNOWN,
	BASELINE_SKIPPED,
};

enum baseline_family {
	BASELINE_AUTO,  /* decide from the root */
	BASELINE_LINUX,
	BASELINE_MACOS,
};

/* "pass", "fail", "unknown", "skipped". */
const char *baseline_verdict_name(enum baseline_verdict v);

/* "linux", "macos" ("auto" for BASELINE_AUTO). */
const char *baseline_family_name(enum baseline_family f);

/* Parse "linux" or "macos"; -1 with err_msg() set otherwise. */
int baseline_family_parse(const char *name, enum baseline_family *out);

/*
 * The family of the system beneath root: macOS when
 * System/Library/CoreServices/SystemVersion.plist exists there, Linux
 * otherwise.
 */
enum baseline_family baseline_family_detect(const char *root);

/*
 * Run every check of family (BASELINE_AUTO: detected) against the
 * system beneath root; against is a capture from baseline_capture()
 * (borrowed; NULL: the comparison checks are skipped).  Returns a new
 * JSON array of result objects, in a fixed order; the caller
 * json_decref()s it.  NULL with err_msg() set when root cannot be
 * opened or memory runs out.
 */
json_t *baseline_check(const char *root, enum baseline_family family,
		       json_t *against);

/*
 * Record what the comparison checks need, as a new JSON object:
 *
 *	{"format":"secvf-baseline","version":1,"family":"linux",
 *	 "root":"/","time":"...Z","sets":{"listening":[...],...}}
 *
 * Each set is a sorted array of strings.  The caller json_decref()s
 * it; NULL with err_msg() set on failure.
 */
json_t *baseline_capture(const char *root, enum baseline_family family);

/*
 * Check that a capture read back from disk has the expected shape; 0 or
 * -1 with err_msg() set.
 */
int baseline_capture_valid(json_t *capture);

/* How many results of an array from baseline_check() have verdict v. */
int baseline_count(json_t *results, enum baseline_verdict v);

#endif
