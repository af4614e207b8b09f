/*
 * Helpers shared by the test suites.
 */
#ifndef SECVF_TEST_HELPERS_H
#define SECVF_TEST_HELPERS_H

#include <stddef.h>

/*
 * Make a fresh temporary directory, point SECVF_HOME at it and forget
 * any cached home.  Returns the path (static; valid until the next
 * call).  Use as a Criterion .init fixture: every test gets its own.
 * Under tests/run-suites (SECVF_SAN_DIR set) it also sends the
 * sanitizer reports of the secvf processes the test starts to a
 * directory of the test's own.
 */
const char *th_fresh_home(void);

/*
 * Remove the home made by th_fresh_home() (a .fini fixture).  Under
 * tests/run-suites it first waits for the home's secvf processes to
 * end, then crashes the test (Criterion counts nothing else in a
 * teardown) when any of them wrote a sanitizer report.
 */
void th_remove_home(void);

/*
 * Run the secvf binary with the given arguments (NULL-terminated) and
 * the current environment, capturing stdout and stderr.  Returns the
 * exit status (128+signal when killed).  *out and *err, when not NULL,
 * receive malloc'd NUL-terminated text the caller frees.  A sanitizer
 * report written by then fails the test.
 */
int th_secvf(char **out, char **err, const char *arg, ...);

/* As th_secvf(), with the text in stdin_text fed to standard input. */
int th_secvf_stdin(const char *stdin_text, char **out, char **err,
		   const char *arg, ...);

/* Run a shell command line; returns its exit status. */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write text to a file beneath the fresh home; returns 0 or -1. */
int th_write(const char *rel, const char *text);

/* Read a whole file; malloc'd, NUL-terminated, NULL if absent. */
char *th_read(const char *path);

/* Path of a committed fixture: SECVF_SRCDIR/tests/fixtures/NAME. */
const char *th_fixture(const char *name);

/*
 * Create the VM name from the test guest (128M, one CPU, a 64M disk,
 * virtual network), start it under secvf, wait for its shell on the
 * console and write TRIAGE-MARK to its disk.  Fails the test (Criterion
 * assertions) when any of it fails.
 */
void th_guest_vm_start(const char *name);

/* As th_guest_vm_start(), with this much guest memory ("512M"). */
void th_guest_vm_start_mem(const char *name, const char *memory);

/* As th_guest_vm_start_mem(), plugged into lab network lab when not NULL. */
void th_guest_vm_start_on(const char *name, const char *memory,
			  const char *lab);

/* The one finished *.tar.zst in incidents/ (malloc'd); NULL if none. */
char *th_the_bundle(void);

/* Does `secvf vm show name --json` say "state":"state"? */
int th_vm_state_is(const char *name, const char *state);

/* Is there a *.partial file in incidents/? */
int th_partial_exists(void);

#endif
