/*
 * triage: from a suspect VM to "paused, evidence preserved, sealed and
 * signed" in one call.
 *
 * The steps, in order, each timed and each a custody entry:
 *
 *	pause     QMP stop, confirmed with query-status; the first thing
 *	          done.  A VM already paused, crashed or stopped is
 *	          recorded as found.
 *	snapshot  a copy-on-write clone of the bundle, NAME-incident-TIME
 *	memory    dump-guest-memory (ELF, paging off, detached) into the
 *	          snapshot as memory.elf, unless skipped
 *	collect   the artifacts of playbooks/artifacts.yaml, hashed as they
 *	          are written into the bundle
 *	hash      the snapshot's disk and memory, chunk-hashed in parallel
 *	seal      manifest, signature, the bundle renamed into place
 *	record    case, evidence and custody in the case database
 *
 * Triage never resumes, stops or deletes the VM, whatever fails.  A
 * triage killed at any step leaves no finished-looking bundle and the
 * VM paused (once the pause step is done); running it again completes,
 * waiting first for a memory dump the killed run left running in QEMU,
 * and under a new name (STAMP-2 ...) if it starts within the same
 * second.  What the killed run left is tidied (see seal_recover())
 * except its snapshot, which stays as evidence.  Two triages of one VM
 * at once: the second is refused before it does anything.
 *
 * For the fault tests, SECVF_TEST_KILL_AT=STEP (lib/killpoint.h) makes
 * triage SIGKILL itself on entering that step, STEP being one of the
 * names above, or "memory-dump" (QEMU has started dumping memory into
 * the snapshot and goes on without us), or one of the points of
 * seal_finish() named in forensics/seal.h.
 *
 * The case database is opened after the pause and waited for at most
 * TRIAGE_DB_WAIT_MS at each statement.  When it is locked, damaged or
 * missing, triage goes on without it: the bundle is sealed all the
 * same (its manifest says why the case is null) and the record step
 * fails with the reason in result->db_error.  The record step is one
 * transaction: the evidence and all its custody entries, or nothing.
 * NEEDSWORK: a bundle sealed while the database was unavailable is
 * found only in incidents/; no command records it and its
 * custody.jsonl in a case afterwards.
 *
 * A QEMU found without its supervisor (killed, or told to go) is
 * reported once as vm-lifecycle supervisor.missing and named in the
 * manifest ("supervisor": {"state": "missing", "pid": ...}).
 */
#ifndef SECVF_TRIAGE_H
#define SECVF_TRIAGE_H

#include "forensics/seal.h"
#include "lib/path.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#define TRIAGE_STEPS 7
#define TRIAGE_DB_WAIT_MS 1500

enum triage_step_id {
	TRIAGE_PAUSE,
	TRIAGE_SNAPSHOT,
	TRIAGE_MEMORY,
	TRIAGE_COLLECT,
	TRIAGE_HASH,
	TRIAGE_SEAL,
	TRIAGE_RECORD,
};

enum triage_outcome {
	TRIAGE_DONE,	/* the step did its work */
	TRIAGE_SKIPPED, /* not asked for, or nothing to do */
	TRIAGE_FAILED,	/* recorded; triage went on without it */
};

struct triage_step {
	const char *name;
	enum triage_outcome outcome;
	int64_t start_us; /* wall clock */
	int64_t ns;	  /* duration */
	char note[512];
};

/* Callbacks for a terminal's progress display; any may be NULL. */
struct triage_ui {
	void (*step_begin)(void *arg, const struct triage_step *step);
	void (*step_end)(void *arg, const struct triage_step *step);
	/* Bytes of a long step (memory dump, hashing): done of total. */
	void (*progress)(void *arg, const char *what, uint64_t done,
			 uint64_t total);
	void *arg;
};

struct triage_opts {
	const char *vm;
	int64_t case_id;	/* 0: open a new case */
	int no_memory;		/* skip the memory dump */
	enum seal_compression compression;
	const char *key_path;	/* NULL: the default signing key */
	const char *passphrase; /* NULL: an unencrypted key */
	const char *artifacts;	/* NULL: the shipped artifact list */
	const char *actor;	/* NULL: user@host */
	struct triage_ui ui;
};

struct triage_result {
	struct triage_step steps[TRIAGE_STEPS];
	char initial_state[32]; /* running, paused, crashed, stopped ... */
	int64_t pause_ms_from_start;
	char snapshot[PATH_BUF];
	char bundle[PATH_BUF];
	char bundle_sha256[65];
	int64_t case_id;	/* 0 when the database was unavailable */
	int key_created;	/* a signing key was made on first use */
	char key_fingerprint[80];
	char db_error[512];	/* "" when the database was used */
	char supervisor[16];	/* "running", "missing" or "none" */
	pid_t supervisor_pid;	/* its pid (a missing one's last), or 0 */
	json_t *manifest;	/* manifest.json as written; owned here */
};

/*
 * Run triage.  Returns 0 when a sealed bundle exists (some steps may
 * have failed: see result->steps), TRIAGE_EBUSY when another triage of
 * this VM is running, or -1 with err_msg() set when no bundle could be
 * sealed (the VM is still left as the pause step left it).  Release
 * the result with triage_result_release() in every case.
 */
#define TRIAGE_EBUSY (-2)
#define TRIAGE_ENOVM (-3)

int triage_run(const struct triage_opts *opts, struct triage_result *result);

void triage_result_release(struct triage_result *result);

const char *triage_outcome_name(enum triage_outcome o);

#endif
