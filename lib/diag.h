/*
 * diag: the one leveled logger for diagnostics on standard error.
 *
 * Quiet by default: only errors and warnings show.  The command line
 * raises the level with -v (info), -vv (debug) and lowers it with -q
 * (errors only).  Detectors and libraries log at debug at most; what a
 * user must see travels back to cli/ as a status and an err_msg().
 */
#ifndef SECVF_DIAG_H
#define SECVF_DIAG_H

enum diag_level {
	DIAG_ERROR = 0,
	DIAG_WARN = 1,
	DIAG_INFO = 2,
	DIAG_DEBUG = 3,
};

void diag_set_level(enum diag_level level);
enum diag_level diag_get_level(void);

/* Use colour for the level tag (cli decides from isatty and NO_COLOR). */
void diag_set_color(int on);

void diag(enum diag_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define diag_error(...) diag(DIAG_ERROR, __VA_ARGS__)
#define diag_warn(...) diag(DIAG_WARN, __VA_ARGS__)
#define diag_info(...) diag(DIAG_INFO, __VA_ARGS__)
#define diag_debug(...) diag(DIAG_DEBUG, __VA_ARGS__)

#endif
