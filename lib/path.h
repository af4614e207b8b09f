/*
 * path: building file names without silent truncation.
 */
#ifndef SECVF_PATH_H
#define SECVF_PATH_H

#include <stddef.h>
#include <sys/types.h>

#define PATH_BUF 4096

/* snprintf into buf; -1 with err_msg() set when the result does not fit. */
int path_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Create dir and its missing parents with mode; existing ones are kept. */
int path_mkdirs(const char *dir, mode_t mode);

/*
 * Is name a single safe path component: non-empty, at most 255 bytes,
 * no '/', no NUL, not "." or "..", no leading '.'?  Returns 0 or -1
 * with err_msg() naming the problem.
 */
int path_check_name(const char *name);

#endif
