/*
 * severity: the four severities of a security event.
 *
 * INFO is recorded only; WARNING is shown; CRITICAL and above also go
 * to syslog; EMERGENCY also runs the user's notification hook and is
 * never hidden by a severity filter.  The order of the values is the
 * order of gravity, so they compare with < and >.
 */
#ifndef SECVF_SEVERITY_H
#define SECVF_SEVERITY_H

enum ev_severity { EV_INFO, EV_WARNING, EV_CRITICAL, EV_EMERGENCY };

/* "INFO", "WARNING", "CRITICAL", "EMERGENCY"; "UNKNOWN" out of range. */
const char *ev_severity_name(enum ev_severity sev);

/*
 * Parse a severity name, case-insensitively.  0 and *out set, or -1
 * with err_msg() set and *out untouched.
 */
int ev_severity_parse(const char *name, enum ev_severity *out);

#endif
