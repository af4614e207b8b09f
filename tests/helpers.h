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

#endif
