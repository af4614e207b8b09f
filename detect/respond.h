/*
 * respond: the automatic response to an EMERGENCY event.
 *
 * The only automatic responses are telling people: the user's hook
 * $SECVF_HOME/hooks/on-emergency, and a desktop notification through
 * notify-send when it is in PATH.  Nothing here stops or pauses a VM:
 * preserving state for forensics comes first, the analyst decides.
 *
 * The hook runs when it is a regular file, executable, owned by the
 * user (or root) and not writable by group or others.  It gets the
 * event line on standard input, /dev/null as output, no other open
 * file, its own process group, and a fresh environment (PATH, HOME,
 * SECVF_HOME and the desktop session variables DISPLAY,
 * WAYLAND_DISPLAY, DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR; nothing
 * else is inherited, so no secret leaks into it).  No shell is
 * involved.  After the timeout (hook_timeout) its process group is
 * killed with SIGKILL.  notify-send runs under the same rules.
 */
#ifndef SECVF_RESPOND_H
#define SECVF_RESPOND_H

#include <stdint.h>

/* How one program run went. */
struct respond_run {
	int found;     /* present and acceptable */
	int ran;       /* started */
	int status;    /* exit status, -1 when it did not exit */
	int signal;    /* the signal that ended it, 0 none */
	int timed_out; /* killed at the timeout */
};

struct respond_result {
	struct respond_run hook;
	struct respond_run notify;
	char error[512]; /* the first failure, "" when none */
};

/*
 * Respond to one EMERGENCY event, given as its JSON log line (without
 * or with the "\n").  Waits at most timeout_us for each program.
 * Returns 0 when every program that ran succeeded (or none was
 * present), -1 when one could not start, failed, was killed or a hook
 * was refused; res->error and err_msg() say which.  res is always
 * filled in.
 */
int respond_emergency(const char *event_line, int64_t timeout_us,
		      struct respond_result *res);

#endif
