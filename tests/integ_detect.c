/*
 * The detectors end to end: a real guest under its supervisor, each
 * boundary provoked from the host or from inside the guest, and the
 * security log checked for exactly the expected event.
 */
#include "helpers.h"

#include "tests/guest/guest.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char share[4096];

static void
setup(void)
{
	th_fresh_home();
	setenv("SECVF_ACCEL", "tcg", 1);
	snprintf(share, sizeof(share), "%s/share", getenv("SECVF_HOME"));
	mkdir(share, 0700);
}

static void
teardown(void)
{
	th_secvf(NULL, NULL, "vm", "stop", "lab1", "--force", NULL);
	th_remove_home();
}

TestSuite(integ_detect, .init = setup, .fini = teardown, .timeout = 300);

static struct guest *
boot(void)
{
	char kernel[4096], initrd[4096], serial[4096], log[4096];
	char *err = NULL;
	struct guest *g;

	cr_assert_eq(guest_image(kernel, sizeof(kernel), initrd,
				 sizeof(initrd)),
		     0);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "create", "lab1", "--kernel",
			      kernel, "--initrd", initrd, "--append",
			      "console=ttyS0 quiet panic=-1 "
			      "secvf.share=share0",
			      "--memory", "128M", "--cpus", "1", "--disk",
			      "16M", "--net", "virtual", "--share", share,
			      NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", "lab1", NULL), 0,
		     "%s", err);
	free(err);
	snprintf(serial, sizeof(serial), "%s/run/lab1/console.sock",
		 getenv("SECVF_HOME"));
	snprintf(log, sizeof(log), "%s/run/lab1/console.log",
		 getenv("SECVF_HOME"));
	g = guest_attach(serial, log, 120000);
	cr_assert_not_null(g);
	return g;
}

/* How many events named subsystem.event (with severity) are logged. */
static int
count(const char *subsystem, const char *event, const char *severity)
{
	char cmd[1024], *out;
	int n;

	snprintf(cmd, sizeof(cmd),
		 "cat '%s'/logs/security-*.log 2>/dev/null | grep "
		 "'\"severity\":\"%s\",\"subsystem\":\"%s\",\"event\":\"%s\"' "
		 "| wc -l > '%s/count'",
		 getenv("SECVF_HOME"), severity, subsystem, event,
		 getenv("SECVF_HOME"));
	th_sh("%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s/count", getenv("SECVF_HOME"));
	out = th_read(cmd);
	n = out ? atoi(out) : -1;
	free(out);
	return n;
}

/* Wait (bounded) until the event is logged; the count then. */
static int
await(const char *subsystem, const char *event, const char *severity)
{
	int i, n = 0;

	for (i = 0; i < 100 && (n = count(subsystem, event, severity)) == 0;
	     i++)
		usleep(100000);
	return n;
}

/* Anything at WARNING or above in the log. */
static int
alarms(void)
{
	return th_sh("cat '%s'/logs/security-*.log | grep -q "
		     "'\"severity\":\"\\(WARNING\\|CRITICAL\\|EMERGENCY\\)\"'",
		     getenv("SECVF_HOME")) == 0;
}

Test(integ_detect, each_boundary_gives_exactly_its_event)
{
	char path[4096];
	struct guest *g = boot();

	/* Ordinary guest activity: nothing to report. */
	cr_assert_eq(guest_run(g, "dd if=/dev/zero of=/dev/vda bs=64k "
				  "count=16 2>/dev/null; ls /mnt/share0; "
				  "echo ok > /mnt/share0/notes.txt",
			       30000, NULL),
		     0);
	sleep(3);
	cr_assert_not(alarms(), "ordinary activity raised an alarm");

	/* Layer 3: a file nobody in secvf wrote appears in the bundle. */
	snprintf(path, sizeof(path), "%s/Linux/lab1.bundle/dropper.sh",
		 getenv("SECVF_HOME"));
	cr_assert_eq(th_sh("echo x > '%s'", path), 0);
	cr_assert_eq(await("fsevents", "file.unexpected", "CRITICAL"), 1);
	/* The shipped Sigma rule fires live, without a SIEM. */
	cr_assert_eq(await("sigma", "rule.match", "CRITICAL"), 1);

	/* Layer 3: a bundle file's mode changes; inotify and the next
	 * sample both see it, the log has it once. */
	snprintf(path, sizeof(path), "%s/Linux/lab1.bundle/MachineIdentifier",
		 getenv("SECVF_HOME"));
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(await("fsevents", "permissions.changed", "WARNING"), 1);
	sleep(2);
	cr_assert_eq(count("fsevents", "permissions.changed", "WARNING"), 1);

	/* Layer 4: the guest makes a symlink out of its share. */
	cr_assert_eq(guest_run(g, "ln -s / /mnt/share0/escape", 30000, NULL),
		     0);
	cr_assert_eq(await("virtiofs", "symlink.escape-attempt", "CRITICAL"),
		     1);

	/* Layer 4: an oversized host channel message from inside. */
	cr_assert_eq(guest_run(g, "printf 'SVF1\\001\\001\\000\\000\\000\\000"
				  "\\000\\000SVF1\\001\\003\\000\\000\\000\\020"
				  "\\000\\000' > /dev/vport1p1",
			       30000, NULL),
		     0);
	cr_assert_eq(await("vsock", "message.oversized", "CRITICAL"), 1);

	/* Two CRITICALs from different layers: one EMERGENCY. */
	cr_assert_eq(await("containment", "breach-suspected", "EMERGENCY"),
		     1);

	/* Layer 4: a malformed frame, once the channel is back. */
	sleep(3);
	cr_assert_eq(guest_run(g, "printf 'XXXX\\001\\001\\000\\000\\000\\000"
				  "\\000\\000' > /dev/vport1p1",
			       30000, NULL),
		     0);
	cr_assert_eq(await("vsock", "protocol.violation", "CRITICAL"), 1);

	/* Layer 1: the guest kernel panics; pvpanic tells QEMU. */
	guest_run(g, "echo c > /proc/sysrq-trigger", 3000, NULL);
	cr_assert_eq(await("vm-lifecycle", "guest-panic", "WARNING"), 1);
	guest_kill(g);

	/* The panicked VM is kept, paused, for forensics. */
	cr_assert_eq(th_sh("%s vm show lab1 --json | grep -q "
			   "'\"state\":\"paused\"'",
			   SECVF_BIN),
		     0);
	cr_assert_eq(count("vm-lifecycle", "crashed", "CRITICAL"), 0);
	cr_assert_eq(count("vm-lifecycle", "unexpected-stop", "WARNING"), 0,
		     "a panic is reported as a panic, not an unexplained stop");
}
