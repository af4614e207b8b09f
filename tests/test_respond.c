#include "helpers.h"

#include "detect/respond.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char saved_path[4096];

static void
init(void)
{
	th_fresh_home();
	snprintf(saved_path, sizeof(saved_path), "%s", getenv("PATH"));
}

static void
fini(void)
{
	setenv("PATH", saved_path, 1);
	th_remove_home();
}

TestSuite(respond, .init = init, .fini = fini);

#define LINE                                                                   \
	"{\"ts\":\"2026-12-03T19:00:00.000000Z\",\"severity\":"                \
	"\"EMERGENCY\",\"subsystem\":\"containment\",\"event\":"               \
	"\"breach-suspected\",\"vm\":\"lab1\",\"data\":{}}"
#define SEC 1000000LL

static char path_buf[1024];

static const char *
home(const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", getenv("SECVF_HOME"),
		 rel);
	return path_buf;
}

/*
 * A PATH with only a directory of our own (and no notify-send); set up
 * everything that needs the shell before.
 */
static void
private_path(void)
{
	cr_assert_eq(th_sh("mkdir -p '%s'", home("bin")), 0);
	setenv("PATH", home("bin"), 1);
}

static void
hook(const char *body, const char *mode)
{
	char text[2048];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	cr_assert_eq(th_sh("mkdir -p '%s'", home("hooks")), 0);
	cr_assert_eq(th_write("hooks/on-emergency", text), 0);
	cr_assert_eq(th_sh("chmod %s '%s'", mode, home("hooks/on-emergency")),
		     0);
}

Test(respond, nothing_present_does_nothing)
{
	struct respond_result res;

	private_path();
	cr_assert_eq(respond_emergency(LINE, SEC, &res), 0, "%s", err_msg());
	cr_assert_not(res.hook.found);
	cr_assert_not(res.notify.found);
}

Test(respond, hook_gets_event_clean_env_no_fds)
{
	struct respond_result res;
	char *got, *env;
	int leak = open("/dev/null", O_RDONLY);

	cr_assert_eq(dup2(leak, 57), 57);
	setenv("SECVF_PASSPHRASE", "hunter2", 1);
	hook("out=\"$SECVF_HOME/out\"\n"
	     "cat > \"$out.event\"\n"
	     "/usr/bin/env > \"$out.env\"\n"
	     "[ -e /proc/$$/fd/57 ] && echo leaked > \"$out.fd\"\n"
	     "exit 0",
	     "700");
	private_path();
	cr_assert_eq(respond_emergency(LINE, 5 * SEC, &res), 0, "%s",
		     err_msg());
	cr_assert(res.hook.found && res.hook.ran);
	cr_assert_eq(res.hook.status, 0);

	got = th_read(home("out.event"));
	cr_assert_str_eq(got, LINE "\n");
	env = th_read(home("out.env"));
	cr_assert_not_null(env);
	cr_assert_null(strstr(env, "hunter2"), "%s", env);
	cr_assert_not_null(strstr(env, "SECVF_HOME="));
	cr_assert_null(th_read(home("out.fd")), "an fd leaked into the hook");
	free(got);
	free(env);
	close(leak);
	close(57);
}

Test(respond, slow_hook_is_killed)
{
	struct respond_result res;
	int64_t t0 = time(NULL);

	hook("sleep 30 & sleep 30", "700");
	private_path();
	cr_assert_eq(respond_emergency(LINE, 300000, &res), -1);
	cr_assert(res.hook.timed_out);
	cr_assert_eq(res.hook.signal, 9);
	cr_assert(strstr(err_msg(), "did not finish"), "%s", err_msg());
	cr_assert_lt(time(NULL) - t0, 10);
}

Test(respond, failing_hook_is_reported)
{
	struct respond_result res;

	hook("exit 3", "700");
	private_path();
	cr_assert_eq(respond_emergency(LINE, 5 * SEC, &res), -1);
	cr_assert_eq(res.hook.status, 3);
	cr_assert(strstr(res.error, "exited with status 3"), "%s", res.error);
}

Test(respond, hook_writable_by_others_is_refused)
{
	struct respond_result res;

	hook("touch \"$SECVF_HOME/ran\"", "777");
	private_path();
	cr_assert_eq(respond_emergency(LINE, 5 * SEC, &res), -1);
	cr_assert_not(res.hook.ran);
	cr_assert(strstr(err_msg(), "writable by others"), "%s", err_msg());
	cr_assert_null(th_read(home("ran")));
}

Test(respond, hook_not_executable_is_refused)
{
	struct respond_result res;

	hook("exit 0", "600");
	private_path();
	cr_assert_eq(respond_emergency(LINE, 5 * SEC, &res), -1);
	cr_assert_not(res.hook.ran);
}

Test(respond, notify_send_from_path)
{
	struct respond_result res;
	char script[1024], *args;

	snprintf(script, sizeof(script),
		 "#!/bin/sh\nprintf '%%s|' \"$@\" > '%s/notify.args'\n",
		 getenv("SECVF_HOME"));
	cr_assert_eq(th_sh("mkdir -p '%s'", home("bin")), 0);
	cr_assert_eq(th_write("bin/notify-send", script), 0);
	cr_assert_eq(th_sh("chmod 755 '%s'", home("bin/notify-send")), 0);
	private_path();
	cr_assert_eq(respond_emergency(LINE, 5 * SEC, &res), 0, "%s",
		     err_msg());
	cr_assert(res.notify.ran);
	args = th_read(home("notify.args"));
	cr_assert_not_null(args);
	cr_assert(strstr(args, "containment.breach-suspected on lab1"), "%s",
		  args);
	cr_assert(strstr(args, "--urgency=critical"));
	free(args);
}
