/*
 * err: the last error of the calling thread, kept beside the status.
 *
 * Library code reports failure by returning -1 (or NULL) after
 * describing what failed with err_set() or err_errno().  The caller
 * reads the description with err_msg() and decides what to do with it;
 * nothing below cli/ prints it.
 *
 * Messages follow git's manner: lowercase, no full stop, what failed
 * first, the subject quoted, errno text last:
 *
 *	cannot open 'logs/x.log': No such file or directory
 */
#ifndef SECVF_ERR_H
#define SECVF_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

/* Record a message; always returns -1 so that "return err_set(...)" reads. */
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As err_set(), with ": strerror(errno)" appended; errno is preserved. */
int err_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Put "what: " in front of the current message, for context. */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current message; "" when none.  Valid until the next err_ call. */
const char *err_msg(void);

void err_clear(void);

#endif
