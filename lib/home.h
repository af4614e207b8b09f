/*
 * home: $SECVF_HOME, the root of everything secvf keeps on disk.
 *
 * SECVF_HOME defaults to ~/.avf.  It is created with mode 0700 on first
 * use; an existing one that others can read or write is refused, since
 * it holds evidence and a signing key.
 */
#ifndef SECVF_HOME_H
#define SECVF_HOME_H

#include <stddef.h>

/*
 * The home directory, created on first call.  NULL with err_msg() set
 * when it cannot be made or is unsafe.  The string is static.
 */
const char *home_dir(void);

/*
 * Format a path beneath the home directory into buf ("logs/x" becomes
 * "$SECVF_HOME/logs/x").  -1 with err_msg() set on truncation or when
 * the home directory is unavailable.
 */
int home_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* home_path(), then create that directory (and parents) with mode 0700. */
int home_subdir(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forget the cached directory (tests change SECVF_HOME between cases). */
void home_reset(void);

#endif
