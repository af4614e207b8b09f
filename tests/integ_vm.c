/*
 * The VM manager end to end: real QEMU (TCG) running the test guest
 * under secvf's supervisor.
 */
#include "helpers.h"

#include "tests/guest/guest.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
setup(void)
{
	th_fresh_home();
	setenv("SECVF_ACCEL", "tcg", 1);
}

static void
teardown(void)
{
	th_secvf(NULL, NULL, "vm", "stop", "lab1", "--force", NULL);
	th_remove_home();
}

TestSuite(integ_vm, .init = setup, .fini = teardown, .timeout = 240);

static void
create_guest_vm(const char *name)
{
	char kernel[4096], initrd[4096], *err = NULL;

	cr_assert_eq(guest_image(kernel, sizeof(kernel), initrd,
				 sizeof(initrd)),
		     0, "cannot build the test guest");
	cr_assert_eq(th_secvf(NULL, &err, "vm", "create", name, "--kernel",
			      kernel, "--initrd", initrd, "--append",
			      "console=ttyS0 quiet panic=-1", "--memory",
			      "256M", "--cpus", "1", "--disk", "64M", "--net",
			      "virtual", NULL),
		     0, "%s", err);
	free(err);
}

static char *
run_file(const char *name, const char *file)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/run/%s/%s", getenv("SECVF_HOME"),
		 name, file);
	return path;
}

static struct guest *
start_and_attach(const char *name)
{
	char serial[4096], *out = NULL, *err = NULL;
	struct guest *g;

	cr_assert_eq(th_secvf(&out, &err, "vm", "start", name, NULL), 0,
		     "%s", err);
	cr_assert(strstr(out, "running"), "%s", out);
	free(out);
	free(err);
	snprintf(serial, sizeof(serial), "%s", run_file(name, "console.sock"));
	g = guest_attach(serial, run_file(name, "console.log"), 120000);
	cr_assert_not_null(g, "cannot attach to the console");
	return g;
}

static int
state_is(const char *name, const char *state)
{
	char *out = NULL, want[64];
	int ok;

	th_secvf(&out, NULL, "vm", "show", name, "--json", NULL);
	snprintf(want, sizeof(want), "\"state\":\"%s\"", state);
	ok = out && strstr(out, want);
	if (!ok)
		fprintf(stderr, "vm show: %s\n", out ? out : "(nothing)");
	free(out);
	return ok;
}

Test(integ_vm, lifecycle_pause_snapshot_resume_stop)
{
	char *out = NULL, *err = NULL, cmd[256];
	struct guest *g;

	create_guest_vm("lab1");
	g = start_and_attach("lab1");
	cr_assert(state_is("lab1", "running"));

	/* The guest writes to its disk. */
	cr_assert_eq(guest_run(g, "echo SECVF-DISK-MARK | dd of=/dev/vda "
				  "bs=512 seek=2048 conv=fsync 2>/dev/null",
			       30000, NULL),
		     0);

	cr_assert_eq(th_secvf(&out, &err, "vm", "pause", "lab1", NULL), 0,
		     "%s", err);
	cr_assert(strstr(out, "paused"), "%s", out);
	free(out);
	free(err);
	cr_assert(state_is("lab1", "paused"));

	/* Starting it again is refused while it runs. */
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", "lab1", NULL), 6);
	cr_assert(strstr(err, "already running"), "%s", err);
	free(err);

	cr_assert_eq(th_secvf(NULL, &err, "vm", "snapshot", "lab1", "--as",
			      "lab1-snap", NULL),
		     0, "%s", err);
	free(err);
	snprintf(cmd, sizeof(cmd),
		 "grep -q SECVF-DISK-MARK '%s/Linux/lab1-snap.bundle/Disk.img'",
		 getenv("SECVF_HOME"));
	cr_assert_eq(th_sh("%s", cmd), 0, "the snapshot lacks the write");

	cr_assert_eq(th_secvf(NULL, &err, "vm", "resume", "lab1", NULL), 0,
		     "%s", err);
	free(err);
	cr_assert(state_is("lab1", "running"));
	cr_assert_eq(guest_run(g, "echo alive", 30000, &out), 0);
	cr_assert(strstr(out, "alive"));
	free(out);

	/* This guest ignores ACPI: a plain stop times out and changes
	 * nothing; --force ends QEMU. */
	cr_assert_eq(th_secvf(NULL, &err, "vm", "stop", "lab1", "--timeout",
			      "2", NULL),
		     1);
	cr_assert(strstr(err, "did not power off"), "%s", err);
	free(err);
	cr_assert(state_is("lab1", "running"));
	guest_kill(g);

	cr_assert_eq(th_secvf(NULL, &err, "vm", "stop", "lab1", "--force",
			      NULL),
		     0, "%s", err);
	free(err);
	cr_assert(state_is("lab1", "stopped"));

	/* A stop someone asked for is not a crash. */
	cr_assert_neq(th_sh("grep -q vm-lifecycle.*crashed "
			    "'%s'/logs/security-*.log",
			    getenv("SECVF_HOME")),
		      0);
}

Test(integ_vm, killed_qemu_shows_as_crashed)
{
	char *pidtext;
	struct guest *g;
	pid_t pid;
	int i;

	create_guest_vm("lab1");
	g = start_and_attach("lab1");
	guest_kill(g);
	pidtext = th_read(run_file("lab1", "qemu.pid"));
	cr_assert_not_null(pidtext);
	pid = (pid_t)atoi(pidtext);
	free(pidtext);
	cr_assert_eq(kill(pid, SIGKILL), 0);

	for (i = 0; i < 100 && !state_is("lab1", "crashed"); i++)
		usleep(100000);
	cr_assert(state_is("lab1", "crashed"));

	/* The supervisor recorded it as a security event. */
	for (i = 0; i < 50; i++) {
		if (th_sh("grep -q '\"event\":\"crashed\"' "
			  "'%s'/logs/security-*.log",
			  getenv("SECVF_HOME")) == 0)
			break;
		usleep(100000);
	}
	cr_assert_lt(i, 50, "no vm-lifecycle crashed event");
}

Test(integ_vm, qemu_message_reaches_the_user)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, NULL, "vm", "create", "lab1", "--kernel",
			      "/etc/hostname", "--memory", "128M", "--disk",
			      "8M", "--net", "virtual", NULL),
		     0);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", "lab1", NULL), 1);
	cr_assert(strstr(err, "QEMU could not start VM 'lab1'"), "%s", err);
	cr_assert(strstr(err, "invalid kernel header"), "QEMU's own words: %s",
		  err);
	free(err);
	cr_assert(state_is("lab1", "stopped") || state_is("lab1", "crashed"));
}

Test(integ_vm, commands_on_a_stopped_vm_say_so)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, NULL, "vm", "create", "lab1", "--disk",
			      "8M", NULL),
		     0);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "pause", "lab1", NULL), 6);
	cr_assert(strstr(err, "not running"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "stop", "lab1", NULL), 6);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "pause", "nope", NULL), 3);
	cr_assert(strstr(err, "no VM named 'nope'"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", "bad/name", NULL), 2);
	free(err);
}
