/*
 * advice: the response advice matrix, data in playbooks/advice.yaml.
 *
 * Each row says, for a severity (or "any"), a subsystem (or "any") and
 * an event name (or a glob such as "frame.*"), what most likely caused
 * the event and what to do.  Adding a row needs no code change.
 *
 * Lookup picks the best row that matches:
 *   1. with a severity given, rows for that very severity beat "any"
 *      rows (so "EMERGENCY, any event" wins for every EMERGENCY); with
 *      no severity given, only "any" rows match;
 *   2. then an exact event name beats a glob, a longer glob beats a
 *      shorter one, and "*" comes last;
 *   3. then a named subsystem beats "any";
 *   4. then the earlier row in the file.
 */
#ifndef SECVF_ADVICE_H
#define SECVF_ADVICE_H

#include <jansson.h>
#include <stddef.h>

#define ADVICE_NAME_MAX 128 /* a subsystem or an event name */

struct advice_row {
	char *severity;     /* "any", "INFO", "WARNING", "CRITICAL",
			       "EMERGENCY" */
	char *subsystem;    /* a name or "any" */
	char *event;        /* a name or an fnmatch(3) glob */
	char *likely_cause;
	char *action;
	int line;           /* in the YAML file, from 1 */
};

struct advice {
	struct advice_row *rows;
	size_t n;
	char path[4096];
};

/*
 * Load the matrix from a YAML file:
 *
 *	rules:
 *	  - severity: CRITICAL
 *	    subsystem: fsevents
 *	    event: file.unexpected
 *	    likely_cause: ...
 *	    action: ...
 *
 * On success *out is set and the caller frees it with advice_free();
 * on failure *out is NULL and err_msg() names the file and line.
 */
int advice_load(const char *path, struct advice **out);

/* advice_load() of datadir_path("advice.yaml"). */
int advice_load_default(struct advice **out);

void advice_free(struct advice *a);

/*
 * The best row for (severity, subsystem, event); severity NULL means
 * "not known".  NULL when no row matches.  The row belongs to a.
 */
const struct advice_row *advice_lookup(const struct advice *a,
				       const char *severity,
				       const char *subsystem,
				       const char *event);

/*
 * Split "fsevents.file.unexpected" or "fsevents/file.unexpected" at the
 * first '.' or '/' into its subsystem and event.  -1 with err_msg() set
 * when either part is empty or longer than ADVICE_NAME_MAX - 1.
 */
int advice_split_event(const char *text, char sub[ADVICE_NAME_MAX],
		       char event[ADVICE_NAME_MAX]);

/* 0 INFO .. 3 EMERGENCY; -1 for anything else. */
int advice_severity_rank(const char *severity);

/*
 * Summarise a JSON-lines security log: one object per distinct
 * subsystem.event, ordered by highest severity then name:
 *
 *	{"subsystem":"fsevents","event":"file.unexpected","count":3,
 *	 "severity":"CRITICAL","likely_cause":"...","action":"..."}
 *
 * likely_cause and action are null when no row matches.  *skipped (when
 * not NULL) counts lines that are not security events.  Returns a new
 * array the caller json_decref()s; NULL with err_msg() set when the log
 * cannot be read.
 */
json_t *advice_log_summary(const struct advice *a, const char *log_path,
			   long *skipped);

#endif
