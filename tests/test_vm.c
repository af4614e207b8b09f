#include "helpers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(vm, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

static void
create(const char *name)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, &err, "vm", "create", name, "--disk", "64M",
			      NULL),
		     0, "%s", err);
	free(err);
}

Test(vm, create_then_list_and_show)
{
	char *out, *err;

	cr_assert_eq(th_secvf(&out, &err, "vm", "create", "lab1", "--cpus", "4",
			      "--memory", "512M", "--disk", "1G", "--net",
			      "virtual", "--network", "lab", "--share",
			      "/tmp:ro", "--usb", "usb-tablet", "--accel",
			      "tcg", NULL),
		     0, "%s", err);
	cr_expect(strstr(out, "created VM 'lab1' (linux, 4 CPUs, 512 MiB "
			      "memory, 1 GiB disk, virtual)"),
		  "%s", out);
	free(out);
	free(err);

	cr_assert_eq(th_secvf(&out, NULL, "vm", "list", NULL), 0);
	cr_expect(strstr(out, "NAME") && strstr(out, "lab1") &&
			  strstr(out, "512 MiB") && strstr(out, "virtual:lab"),
		  "%s", out);
	free(out);

	cr_assert_eq(th_secvf(&out, NULL, "vm", "show", "lab1", NULL), 0);
	cr_expect(strstr(out, "disk:          1 GiB apparent, 0 B allocated"),
		  "%s", out);
	cr_expect(strstr(out, "share:         /tmp as share0 (read-only)"),
		  "%s", out);
	free(out);

	cr_assert_eq(th_secvf(&out, NULL, "--json", "vm", "show", "lab1", NULL),
		     0);
	cr_expect(strstr(out, "\"disk_apparent\":1073741824") &&
			  strstr(out, "\"cpus\":4") &&
			  strstr(out, "\"running\":false"),
		  "%s", out);
	free(out);

	cr_assert_eq(th_secvf(&out, NULL, "vm", "list", "--json", NULL), 0);
	cr_expect(out[0] == '[' && strstr(out, "\"name\":\"lab1\""), "%s", out);
	free(out);
}

Test(vm, create_stores_absolute_kernel_paths)
{
	char *out, *err;

	cr_assert_eq(th_write("vmlinuz", "k"), 0);
	cr_assert_eq(th_write("initrd", "i"), 0);
	cr_assert_eq(chdir(getenv("SECVF_HOME")), 0);
	cr_assert_eq(th_secvf(&out, &err, "--json", "vm", "create", "k1",
			      "--kernel", "vmlinuz", "--initrd", "./initrd",
			      "--append", "console=ttyS0", NULL),
		     0, "%s", err);
	cr_expect(strstr(out, "\"kernel\":\"/") && strstr(out, "/vmlinuz\"") &&
			  strstr(out, "\"append\":\"console=ttyS0\""),
		  "%s", out);
	free(out);
	free(err);

	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", "k2", "--kernel",
			      "/nonexistent/vmlinuz", NULL),
		     2);
	cr_expect(strstr(err, "--kernel '/nonexistent/vmlinuz': No such file"),
		  "%s", err);
	free(err);
}

Test(vm, create_errors)
{
	char *err;

	create("lab1");
	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", "lab1", NULL), 1);
	cr_expect(strstr(err, "secvf: a VM named 'lab1' already exists"), "%s",
		  err);
	free(err);

	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", ".x", NULL), 2);
	cr_expect(strstr(err, "invalid VM name"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", "a/b", NULL), 2);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", NULL), 2);
	cr_expect(strstr(err, "missing VM name"), "%s", err);
	free(err);
	cr_expect_eq(
		th_secvf(NULL, &err, "vm", "create", "x", "--cpus", "0", NULL),
		2);
	cr_expect(strstr(err, "--cpus must be a number from 1 to 64"), "%s",
		  err);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", "x", "--memory", "4X",
			      NULL),
		     2);
	cr_expect(strstr(err, "invalid size '4X'"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", "x", "--net",
			      "bridge", NULL),
		     2);
	cr_expect(strstr(err, "unknown network mode 'bridge'"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "create", "x", "--usb",
			      "bad device", NULL),
		     2);
	cr_expect(strstr(err, "'usb' entries must be"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "frob", NULL), 2);
}

Test(vm, unknown_vm_is_not_found)
{
	char *err;

	cr_expect_eq(th_secvf(NULL, &err, "vm", "show", "nope", NULL), 3);
	cr_expect(strstr(err, "secvf: no VM named 'nope'"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "delete", "nope", NULL), 3);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "snapshot", "nope", "--as", "x",
			      NULL),
		     3);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "show", "..", NULL), 2);
}

Test(vm, snapshot_and_delete)
{
	char *out, *err;

	create("lab1");
	cr_assert_eq(th_secvf(&out, &err, "vm", "snapshot", "lab1", "--as",
			      "lab1-s", NULL),
		     0, "%s", err);
	cr_expect(strstr(out, "snapshot 'lab1-s' of 'lab1' by "), "%s", out);
	free(out);
	free(err);

	cr_expect_eq(th_secvf(NULL, &err, "vm", "snapshot", "lab1", "--as",
			      "lab1-s", NULL),
		     1);
	cr_expect(strstr(err, "already exists"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "snapshot", "lab1", NULL), 2);
	cr_expect(strstr(err, "missing --as"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "snapshot", "lab1", "--as",
			      ".bad", NULL),
		     2);

	cr_assert_eq(
		th_secvf(&out, NULL, "--json", "vm", "show", "lab1-s", NULL),
		0);
	cr_expect(strstr(out, "\"clone_of\":\"lab1\""), "%s", out);
	free(out);

	/* A snapshot is evidence: --force to delete it. */
	cr_expect_eq(th_secvf(NULL, &err, "vm", "delete", "lab1-s", NULL), 1);
	cr_expect(strstr(err, "use --force"), "%s", err);
	free(err);
	cr_expect_eq(
		th_secvf(&out, NULL, "vm", "delete", "lab1-s", "--force", NULL),
		0);
	cr_expect(strstr(out, "deleted VM 'lab1-s'"), "%s", out);
	free(out);
	cr_expect_eq(th_secvf(&out, NULL, "vm", "delete", "lab1", NULL), 0);
	free(out);
	cr_expect_eq(th_secvf(&out, NULL, "vm", "list", NULL), 0);
	cr_expect_str_eq(out, "");
	free(out);
}

Test(vm, delete_broken_bundle_needs_force)
{
	char *err;

	create("lab1");
	cr_assert_eq(th_write("Linux/lab1.bundle/config.plist", "junk"), 0);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "delete", "lab1", NULL), 1);
	cr_expect(strstr(err, "config.plist: not a property list") &&
			  strstr(err, "--force"),
		  "%s", err);
	free(err);
	cr_expect_eq(
		th_secvf(NULL, NULL, "vm", "delete", "lab1", "--force", NULL),
		0);
}

/* A process whose command is qemu-system-*, and its pid file. */
static pid_t
fake_qemu(const char *name)
{
	char bin[4096], rel[512], pidfile[4096];
	const char *home = getenv("SECVF_HOME");
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/qemu-system-x86_64", home);
	snprintf(pidfile, sizeof(pidfile), "%s/run/%s/qemu.pid", home, name);
	cr_assert_eq(symlink("/bin/sh", bin), 0);
	pid = fork();
	if (pid == 0) {
		/* QEMU is known by the pid file it was given. */
		execl(bin, bin, "-c", "sleep 30; :", "qemu", "-pidfile",
		      pidfile, (char *)NULL);
		_exit(127);
	}
	snprintf(rel, sizeof(rel), "run/%s", name);
	cr_assert_eq(th_sh("mkdir -p '%s/%s'", home, rel), 0);
	snprintf(rel, sizeof(rel), "run/%s/qemu.pid", name);
	{
		char text[32];

		snprintf(text, sizeof(text), "%ld\n", (long)pid);
		cr_assert_eq(th_write(rel, text), 0);
	}
	usleep(100 * 1000); /* let exec happen */
	return pid;
}

Test(vm, live_vm_is_not_deleted_or_snapshotted)
{
	char *err;
	pid_t pid;

	create("lab1");
	pid = fake_qemu("lab1");

	cr_expect_eq(
		th_secvf(NULL, &err, "vm", "delete", "lab1", "--force", NULL),
		6);
	cr_expect(strstr(err, "stop it first with secvf vm stop"), "%s", err);
	free(err);
	cr_expect_eq(th_secvf(NULL, &err, "vm", "snapshot", "lab1", "--as", "s",
			      NULL),
		     6);
	/* No control socket answers: it cannot be confirmed paused. */
	cr_expect(strstr(err, "cannot be confirmed paused"), "%s", err);
	free(err);

	/* Once the process is gone the pid file is stale: ignored. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "snapshot", "lab1", "--as", "s",
			      NULL),
		     0);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "delete", "lab1", NULL), 0);
}

Test(vm, pid_of_another_program_is_not_live)
{
	char text[32];

	create("lab1");
	cr_assert_eq(th_sh("mkdir -p \"$SECVF_HOME/run/lab1\""), 0);
	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	cr_assert_eq(th_write("run/lab1/qemu.pid", text), 0);
	cr_expect_eq(th_secvf(NULL, NULL, "vm", "delete", "lab1", NULL), 0);
}

Test(vm, help_texts)
{
	char *out;

	cr_assert_eq(th_secvf(&out, NULL, "help", "vm", "create", NULL), 0);
	cr_expect(strstr(out, "usage: secvf vm create NAME"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "vm", "--help", NULL), 0);
	cr_expect(strstr(out, "snapshot"), "%s", out);
	free(out);
}
