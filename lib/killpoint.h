/*
 * killpoint: deterministic crashes for the fault tests.
 *
 * When the environment variable SECVF_TEST_KILL_AT names a point, the
 * process sends itself SIGKILL on reaching it, as kill -9 or a power
 * cut would: no cleanup, no atexit handler, no flushed buffer.  The
 * points are named where they are called (see playbooks/triage.h and
 * forensics/seal.h).  Unset or empty, nothing happens; the variable is
 * for tests only, in the manner of git's GIT_TEST_* variables.
 */
#ifndef SECVF_KILLPOINT_H
#define SECVF_KILLPOINT_H

#define KILLPOINT_ENV "SECVF_TEST_KILL_AT"

/* SIGKILL this process when SECVF_TEST_KILL_AT equals name. */
void killpoint(const char *name);

#endif
