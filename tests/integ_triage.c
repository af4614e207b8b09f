/*
 * Triage end to end: a real guest under secvf, paused, snapshotted,
 * dumped, collected, sealed, and the bundle checked three ways.
 */
#include "helpers.h"

#include "tests/guest/guest.h"

#include <criterion/criterion.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <fcntl.h>
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

TestSuite(integ_triage, .init = setup, .fini = teardown, .timeout = 300);

static const char *
home(void)
{
	return getenv("SECVF_HOME");
}

static void
start_guest_vm(void)
{
	char kernel[4096], initrd[4096], serial[4096], log[4096];
	char *err = NULL;
	struct guest *g;

	cr_assert_eq(guest_image(kernel, sizeof(kernel), initrd,
				 sizeof(initrd)),
		     0);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "create", "lab1", "--kernel",
			      kernel, "--initrd", initrd, "--append",
			      "console=ttyS0 quiet panic=-1", "--memory",
			      "128M", "--cpus", "1", "--disk", "64M", "--net",
			      "virtual", NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", "lab1", NULL), 0,
		     "%s", err);
	free(err);
	snprintf(serial, sizeof(serial), "%s/run/lab1/console.sock", home());
	snprintf(log, sizeof(log), "%s/run/lab1/console.log", home());
	g = guest_attach(serial, log, 120000);
	cr_assert_not_null(g);
	cr_assert_eq(guest_run(g, "echo TRIAGE-MARK > /dev/vda; sync", 30000,
			       NULL),
		     0);
	guest_kill(g);
}

/* The one finished bundle in incidents/; NULL when there is none. */
static char *
the_bundle(void)
{
	char pattern[4096], *path = NULL;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/incidents/*.tar.zst", home());
	if (glob(pattern, 0, NULL, &g) != 0)
		return NULL;
	if (g.gl_pathc == 1)
		path = strdup(g.gl_pathv[0]);
	globfree(&g);
	return path;
}

static int
state_is(const char *state)
{
	char *out = NULL, want[64];
	int ok;

	th_secvf(&out, NULL, "vm", "show", "lab1", "--json", NULL);
	snprintf(want, sizeof(want), "\"state\":\"%s\"", state);
	ok = out && strstr(out, want);
	free(out);
	return ok;
}

/* A tree of hostile entries in Captures/: none may be followed or read. */
static void
plant_hostile_captures(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/Captures", home());
	mkdir(path, 0700);
	cr_assert_eq(th_write("Captures/lab.pcap", "pcap-bytes"), 0);
	snprintf(path, sizeof(path), "%s/Captures/shadow", home());
	cr_assert_eq(symlink("/etc/shadow", path), 0);
	snprintf(path, sizeof(path), "%s/Captures/fifo", home());
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/Captures/null", home());
	cr_assert_eq(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
	snprintf(path, sizeof(path), "%s/Captures/odd\nname", home());
	cr_assert_eq(th_write("Captures/odd\nname", "x"), 0);
}

Test(integ_triage, running_guest_to_verified_bundle)
{
	char *out = NULL, *err = NULL, *bundle, dir[4096];

	start_guest_vm();
	plant_hostile_captures();
	cr_assert_eq(th_secvf(&out, &err, "triage", "lab1", NULL), 0, "%s%s",
		     out, err);
	cr_assert(strstr(out, "VM paused, evidence preserved"), "%s", out);
	cr_assert(strstr(out, "was running, now paused"), "%s", out);
	free(out);
	free(err);
	cr_assert(state_is("paused"), "triage must leave the VM paused");

	bundle = the_bundle();
	cr_assert_not_null(bundle);

	/* 1: secvf itself. */
	cr_assert_eq(th_secvf(&out, &err, "evidence", "verify", bundle, NULL),
		     0, "%s%s", out, err);
	free(out);
	free(err);

	/* 2: tar, sha256sum -c and openssl, with no secvf at all. */
	snprintf(dir, sizeof(dir), "%s/x", home());
	cr_assert_eq(th_sh("mkdir '%s' && tar -xf '%s' -C '%s' 2>/dev/null "
			   "&& cd '%s' && sha256sum -c --quiet "
			   "MANIFEST.sha256 && openssl pkeyutl -verify "
			   "-pubin -inkey signer.pub -rawin -in "
			   "MANIFEST.sha256 -sigfile MANIFEST.sha256.sig "
			   ">/dev/null",
			   dir, bundle, dir, dir),
		     0);
	cr_assert_eq(th_sh("cd '%s/incidents' && sha256sum -c --quiet "
			   "*.sha256",
			   home()),
		     0);

	/* 3: a listing shows the evidence and no followed link. */
	cr_assert_eq(th_sh("tar -tf '%s' | grep -qx manifest.json && "
			   "tar -tf '%s' | grep -qx custody.jsonl && "
			   "tar -tf '%s' | grep -qx captures/lab.pcap && "
			   "tar -tf '%s' | grep -qx vm/console.log && "
			   "! tar -tf '%s' | grep -q 'captures/shadow$'",
			   bundle, bundle, bundle, bundle, bundle),
		     0);
	/* The views: covered by the manifest, rendered from the triage. */
	cr_assert_eq(th_sh("cd '%s' && grep -q '(report.html)' MANIFEST.sha256"
			   " && grep -q '(case.jsonld)' MANIFEST.sha256 && "
			   "grep -q 'id=\"panel-filesystem\"' report.html && "
			   "grep -q 'Incident report: VM lab1' report.html && "
			   "grep -q InvestigativeAction case.jsonld && "
			   "! grep -q '<script' report.html",
			   dir),
		     0);
	cr_assert_eq(th_sh("grep -q symlink '%s/skipped.tsv' && "
			   "grep -q fifo '%s/skipped.tsv' && "
			   "! grep -rq 'root:' '%s/captures'",
			   dir, dir, dir),
		     0);

	/* The snapshot holds the guest's write and a memory image. */
	cr_assert_eq(th_sh("grep -q TRIAGE-MARK %s/Linux/lab1-incident-*"
			   ".bundle/Disk.img && test -s %s/Linux/lab1-"
			   "incident-*.bundle/memory.elf",
			   home(), home()),
		     0);
	cr_assert_eq(th_sh("tar -xOf '%s' manifest.json | grep -q "
			   "sha256-chunked-4MiB",
			   bundle),
		     0);

	/* The case database has the case, the evidence and the custody. */
	cr_assert_eq(th_secvf(&out, NULL, "custody", "verify", "1", NULL), 0,
		     "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "evidence", "list", "--json", NULL),
		     0);
	cr_assert(strstr(out, "\"kind\":\"incident-bundle\"") &&
			  strstr(out, strrchr(bundle, '/') + 1),
		  "%s", out);
	free(out);
	free(bundle);
}

Test(integ_triage, tampered_bundle_fails_verification)
{
	char *bundle, *err = NULL, dir[4096];

	start_guest_vm();
	cr_assert_eq(th_secvf(NULL, NULL, "triage", "lab1", "--no-memory",
			      NULL),
		     0);
	bundle = the_bundle();
	cr_assert_not_null(bundle);

	/* Change one byte of manifest.json and pack the bundle again. */
	snprintf(dir, sizeof(dir), "%s/t", home());
	cr_assert_eq(th_sh("mkdir '%s' && cd '%s' && tar -xf '%s' && "
			   "sed -i 's/\"vm\": \"lab1\"/\"vm\": \"lab2\"/' "
			   "manifest.json && tar --zstd -cf '%s' * && "
			   "rm -f '%s.sha256'",
			   dir, dir, bundle, bundle, bundle),
		     0);
	cr_assert_eq(th_secvf(NULL, &err, "evidence", "verify", bundle, NULL),
		     4);
	cr_assert(strstr(err, "manifest.json") ||
			  strstr(err, "sha256 mismatch"),
		  "%s", err);
	free(err);
	cr_assert_neq(th_sh("cd '%s' && sha256sum -c --quiet MANIFEST.sha256 "
			    ">/dev/null 2>&1",
			    dir),
		      0);
	free(bundle);
}

Test(integ_triage, crashed_vm_is_triaged_with_what_is_there)
{
	char *out = NULL, *bundle;

	start_guest_vm();
	cr_assert_eq(th_sh("kill -9 $(cat '%s/run/lab1/qemu.pid')", home()),
		     0);
	for (int i = 0; i < 50 && !state_is("crashed"); i++)
		usleep(100000);
	cr_assert(state_is("crashed"));

	cr_assert_eq(th_secvf(&out, NULL, "triage", "lab1", NULL), 0, "%s",
		     out);
	cr_assert(strstr(out, "VM was crashed"), "%s", out);
	cr_assert(strstr(out, "no QEMU to dump memory from"), "%s", out);
	free(out);
	bundle = the_bundle();
	cr_assert_not_null(bundle);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify", bundle, NULL),
		     0);
	cr_assert_eq(th_sh("tar -tf '%s' | grep -qx vm/exit.json", bundle), 0);
	free(bundle);
}

/* An artifact list whose command takes long enough to interrupt. */
static const char *
slow_artifacts(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/slow.yaml", home());
	cr_assert_eq(th_write("slow.yaml", "artifacts:\n"
					   "  - member: host/slow.txt\n"
					   "    kind: command\n"
					   "    argv: [sleep, \"30\"]\n"
					   "    timeout: 60\n"
					   "    why: takes its time\n"),
		     0);
	return path;
}

static pid_t
triage_in_background(const char *artifacts)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", 1);

		dup2(null, 1);
		dup2(null, 2);
		execl(SECVF_BIN, "secvf", "triage", "lab1", "--no-memory",
		      "--artifacts", artifacts, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int
partial_exists(void)
{
	return th_sh("ls %s/incidents/*.partial >/dev/null 2>&1", home()) ==
	       0;
}

Test(integ_triage, killed_triage_leaves_nothing_finished_and_reruns)
{
	char *err = NULL, *bundle;
	pid_t pid;
	int i;

	start_guest_vm();
	pid = triage_in_background(slow_artifacts());
	for (i = 0; i < 100 && !partial_exists(); i++)
		usleep(100000);
	cr_assert(partial_exists(), "triage did not reach collection");

	/* A second triage of the same VM is refused while one runs. */
	cr_assert_eq(th_secvf(NULL, &err, "triage", "lab1", NULL), 5);
	cr_assert(strstr(err, "another triage of VM 'lab1' is running"), "%s",
		  err);
	free(err);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_null(the_bundle(), "a killed triage left a finished bundle");
	cr_assert(state_is("paused"), "the VM must stay paused");

	cr_assert_eq(th_secvf(NULL, &err, "triage", "lab1", "--no-memory",
			      NULL),
		     0, "%s", err);
	free(err);
	cr_assert(!partial_exists(), "the stale partial bundle is left");
	bundle = the_bundle();
	cr_assert_not_null(bundle);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify", bundle, NULL),
		     0);
	free(bundle);
	cr_assert(state_is("paused"));
}

Test(integ_triage, unknown_vm_and_bad_options)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, &err, "triage", "ghost", NULL), 3);
	cr_assert(strstr(err, "no VM named 'ghost'"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "triage", NULL), 2);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "triage", "lab1", "--case", "x",
			      NULL),
		     2);
	cr_assert(strstr(err, "bad case id 'x'"), "%s", err);
	free(err);
}
