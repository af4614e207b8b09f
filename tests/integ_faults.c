/*
 * Evidence under faults: triage killed at each step, the disk filling
 * up, the case database locked or damaged, two triages at once, the
 * supervisor killed.  A real guest under secvf in every test; after
 * each fault nothing finished-looking is half done, the VM stays as
 * triage left it, and a bundle that exists verifies.
 */
#include "helpers.h"

#include "tests/guest/guest.h"
#include "vmm/qmp.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The loop-mounted filesystem of the disk-full test, when mounted. */
static char mnt[4096];
static char img[4096];

static void
setup(void)
{
	th_fresh_home();
	setenv("SECVF_ACCEL", "tcg", 1);
	unsetenv("SECVF_TEST_KILL_AT");
	mnt[0] = img[0] = '\0';
}

static void
unmount_small_fs(void)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (th_sh("umount '%s' 2>/dev/null", mnt) == 0)
			break;
		usleep(100000); /* the supervisor may still hold files */
	}
	if (i == 100)
		th_sh("umount -l '%s'", mnt);
	unlink(img);
	rmdir(mnt);
	mnt[0] = '\0';
}

static void
teardown(void)
{
	unsetenv("SECVF_TEST_KILL_AT");
	th_secvf(NULL, NULL, "vm", "stop", "lab1", "--force", NULL);
	if (mnt[0])
		unmount_small_fs();
	th_remove_home();
}

TestSuite(integ_faults, .init = setup, .fini = teardown, .timeout = 300);

static const char *
home(void)
{
	return getenv("SECVF_HOME");
}

/* QEMU's own run state, asked over its control socket. */
static int
qmp_says(const char *want)
{
	char path[4096], status[32] = "";
	struct qmp_conn *c = NULL;
	int running = 0, rc;

	snprintf(path, sizeof(path), "%s/run/lab1/qmp.sock", home());
	if (qmp_connect(path, 5000, &c) < 0)
		return 0;
	rc = qmp_status(c, 5000, status, sizeof(status), &running);
	qmp_close(c);
	return rc == 0 && !strcmp(status, want);
}

/* Is QEMU still writing a memory dump? */
static int
dump_active(void)
{
	char path[4096];
	struct qmp_conn *c = NULL;
	const char *status = NULL;
	json_t *ret = NULL;
	int active;

	snprintf(path, sizeof(path), "%s/run/lab1/qmp.sock", home());
	if (qmp_connect(path, 5000, &c) < 0)
		return 0;
	if (qmp_execute(c, "query-dump", NULL, 5000, &ret) == 0)
		status = json_string_value(json_object_get(ret, "status"));
	active = status && !strcmp(status, "active");
	json_decref(ret);
	qmp_close(c);
	return active;
}

/* Finished-looking names in incidents/: bundles and sidecars. */
static int
finished_names(void)
{
	static const char *const pats[] = {"*.tar.zst", "*.tar.gz", "*.tar",
					   "*.sha256"};
	char pattern[4096];
	size_t i;
	glob_t g;
	int n = 0;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		snprintf(pattern, sizeof(pattern), "%s/incidents/%s", home(),
			 pats[i]);
		if (glob(pattern, 0, NULL, &g) == 0) {
			n += (int)g.gl_pathc;
			globfree(&g);
		}
	}
	return n;
}

/* Every bundle in incidents/ verifies, and so does every sidecar. */
static int
all_bundles_verify(int want)
{
	char pattern[4096], *out = NULL, *err = NULL;
	size_t i;
	glob_t g;
	int ok = 1;

	snprintf(pattern, sizeof(pattern), "%s/incidents/*.tar.zst", home());
	if (glob(pattern, 0, NULL, &g) != 0)
		return want == 0;
	ok = (int)g.gl_pathc == want;
	cr_expect_eq(g.gl_pathc, (size_t)want, "bundles in incidents/");
	for (i = 0; i < g.gl_pathc; i++) {
		int rc = th_secvf(&out, &err, "evidence", "verify",
				  g.gl_pathv[i], NULL);

		cr_expect_eq(rc, 0, "%s: %s%s", g.gl_pathv[i], out, err);
		ok = ok && rc == 0;
		free(out);
		free(err);
	}
	globfree(&g);
	return ok && th_sh("cd '%s/incidents' && sha256sum -c --quiet "
			   "*.sha256",
			   home()) == 0;
}

/* The one bundle in incidents/ verifies (its sidecar may be missing). */
static int
bundle_verifies(void)
{
	char *bundle = th_the_bundle();
	int rc;

	if (!bundle)
		return 0;
	rc = th_secvf(NULL, NULL, "evidence", "verify", bundle, NULL);
	free(bundle);
	return rc == 0;
}

/* Run secvf triage lab1 with the fault hook at point; its status. */
static int
triage_killed_at(const char *point, int memory)
{
	int rc;

	setenv("SECVF_TEST_KILL_AT", point, 1);
	rc = memory ? th_secvf(NULL, NULL, "triage", "lab1", NULL)
		    : th_secvf(NULL, NULL, "triage", "lab1", "--no-memory",
			       NULL);
	unsetenv("SECVF_TEST_KILL_AT");
	return rc;
}

/* The triage summary printed by --json, parsed; the test fails if not. */
static json_t *
summary(const char *out)
{
	json_error_t e;
	json_t *j = json_loads(out ? out : "", 0, &e);

	cr_assert_not_null(j, "not JSON (%s): %s", e.text, out);
	return j;
}

/* ---- 1: killed at each step ------------------------------------- */

struct kill_case {
	char point[16];
	int memory;   /* dump memory (else --no-memory) */
	int paused;   /* the VM is paused once the kill has happened */
	int finished; /* the killed run had sealed its bundle already */
};

ParameterizedTestParameters(integ_faults, killed_at_each_step)
{
	static struct kill_case cases[] = {
		{"pause", 0, 0, 0},	   {"snapshot", 0, 1, 0},
		{"memory", 0, 1, 0},	   {"memory-dump", 1, 1, 0},
		{"collect", 0, 1, 0},	   {"hash", 0, 1, 0},
		{"seal", 0, 1, 0},	   {"seal-rename", 0, 1, 0},
		{"seal-sidecar", 0, 1, 1}, {"record", 0, 1, 1},
	};

	return cr_make_param_array(struct kill_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct kill_case *k, integ_faults, killed_at_each_step)
{
	char *out = NULL, *err = NULL;
	json_t *s;
	int rc;

	/* Memory enough that the dump outlasts the start of the rerun. */
	th_guest_vm_start_mem("lab1", k->memory ? "1G" : "128M");
	cr_assert_eq(triage_killed_at(k->point, k->memory), 128 + SIGKILL,
		     "triage was not killed at '%s'", k->point);

	/* Nothing half done looks finished; the VM is as triage left it. */
	if (!k->finished)
		cr_assert_eq(finished_names(), 0,
			     "killed at '%s', a finished-looking name is left",
			     k->point);
	else
		cr_assert(bundle_verifies(),
			  "killed at '%s' after sealing, the bundle is not "
			  "whole",
			  k->point);
	cr_assert(qmp_says(k->paused ? "paused" : "running"),
		  "killed at '%s', the VM is not %s", k->point,
		  k->paused ? "paused" : "running as before");
	if (k->memory)
		cr_assert(dump_active(), "QEMU is not dumping memory any more: "
					 "the rerun would not meet the dump");

	/* Run again: it completes, tidies the partials, verifies. */
	rc = k->memory ? th_secvf(&out, &err, "triage", "lab1", "--json", NULL)
		       : th_secvf(&out, &err, "triage", "lab1", "--no-memory",
				  "--json", NULL);
	cr_assert_eq(rc, 0, "rerun after '%s': %s%s", k->point, out, err);
	s = summary(out);
	cr_assert(json_is_true(json_object_get(s, "recorded")), "%s", out);
	if (k->memory)
		cr_assert_not_null(
			json_object_get(json_object_get(s, "memory"), "sha256"),
			"the rerun dumped no memory: %s", out);
	json_decref(s);
	free(out);
	free(err);

	cr_assert_not(th_partial_exists(), "a partial is left after '%s'",
		      k->point);
	cr_assert(all_bundles_verify(k->finished ? 2 : 1));
	cr_assert(qmp_says("paused"));
}

/* ---- 2: the disk fills up --------------------------------------- */

/* SECVF_HOME on a 96 MiB ext4 of its own, mounted from an image. */
static void
small_home(void)
{
	snprintf(img, sizeof(img), "%s/fs.img", home());
	snprintf(mnt, sizeof(mnt), "%s/small", home());
	cr_assert_eq(mkdir(mnt, 0700), 0);
	cr_assert_eq(th_sh("truncate -s 96M '%s' && mkfs.ext4 -q -m 0 -F '%s' "
			   "&& mount -o loop '%s' '%s' && chmod 700 '%s'",
			   img, img, img, mnt, mnt),
		     0);
	setenv("SECVF_HOME", mnt, 1);
}

/* Fill the filesystem but for room bytes. */
static void
fill_but(long room)
{
	cr_assert_eq(th_sh("avail=$(df --output=avail -B1 '%s' | tail -n 1) "
			   "&& fallocate -l $((avail - %ld)) '%s/fill' && "
			   "sync",
			   mnt, room, mnt),
		     0);
}

Test(integ_faults, disk_full_while_sealing)
{
	char *out = NULL, *err = NULL;

	small_home();
	th_guest_vm_start("lab1");
	cr_assert_eq(th_sh("mkdir -p '%s/Captures' && head -c 8M /dev/urandom "
			   "> '%s/Captures/big.bin'",
			   mnt, mnt),
		     0);
	fill_but(2L << 20);

	cr_assert_eq(
		th_secvf(&out, &err, "triage", "lab1", "--no-memory", NULL), 1,
		"%s%s", out, err);
	cr_assert(strstr(err, "No space left on device"), "%s", err);
	cr_assert(strstr(err, "/incidents/incident-lab1-") &&
			  strstr(err, ".partial'"),
		  "the message does not name the file: %s", err);
	cr_assert(strstr(err, "triage sealed no bundle"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(finished_names(), 0, "a finished name over half a bundle");
	cr_assert_not(th_partial_exists(), "the partial bundle is left");
	cr_assert(qmp_says("paused"), "the VM must stay paused");

	/* With room again, triage seals. */
	cr_assert_eq(th_sh("rm -f '%s/fill'", mnt), 0);
	cr_assert_eq(
		th_secvf(NULL, &err, "triage", "lab1", "--no-memory", NULL), 0,
		"%s", err);
	free(err);
	cr_assert(all_bundles_verify(1));
	cr_assert(qmp_says("paused"));
}

/* ---- 3: the case database locked or damaged --------------------- */

/* How many lines of the security logs hold text. */
static int
logged(const char *text)
{
	char path[4096], *out;
	int n;

	snprintf(path, sizeof(path), "%s/count", home());
	th_sh("cat '%s'/logs/security-*.log 2>/dev/null | grep -cF '%s' "
	      "> '%s'",
	      home(), text, path);
	out = th_read(path);
	n = out ? atoi(out) : -1;
	free(out);
	return n;
}

static int
await_logged(const char *text)
{
	int i, n = 0;

	for (i = 0; i < 100 && (n = logged(text)) == 0; i++)
		usleep(100000);
	return n;
}

/* Events reach the log: one written by hand, one from a detector. */
static void
events_still_logged(void)
{
	char *err = NULL;

	cr_assert_eq(th_secvf(NULL, &err, "log", "write", "--severity",
			      "WARNING", "--subsystem", "test", "--event",
			      "db.unavailable", "--vm", "lab1", NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(logged("\"event\":\"db.unavailable\""), 1);
	cr_assert_eq(
		th_sh("echo x > '%s/Linux/lab1.bundle/dropper.sh'", home()), 0);
	cr_assert_eq(await_logged("\"event\":\"file.unexpected\""), 1,
		     "the detector's event did not reach the log");
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Triage with the database unavailable: sealed and verified, not
 * recorded (exit 8), the reason printed, the VM paused first.
 */
static void
triage_without_db(const char *why)
{
	char *out = NULL, *err = NULL, *bundle;
	int64_t t0 = now_ms(), took;
	json_t *s;
	int rc;

	rc = th_secvf(&out, &err, "triage", "lab1", "--no-memory", "--json",
		      NULL);
	took = now_ms() - t0;
	cr_assert_eq(rc, 8, "%s%s", out, err);
	cr_assert(strstr(err, "is sealed but not recorded in the case "
			      "database") &&
			  strstr(err, why),
		  "%s", err);
	s = summary(out);
	cr_assert(
		strstr(json_string_value(json_object_get(s, "database")), why),
		"%s", out);
	cr_assert(json_is_false(json_object_get(s, "recorded")));
	cr_assert(json_is_null(json_object_get(s, "case")));
	cr_assert_lt(
		json_integer_value(json_object_get(s, "pause_ms_from_start")),
		100, "%s", out);
	cr_assert_lt(took, 30000, "triage waited %lld ms for the database",
		     (long long)took);
	json_decref(s);
	free(out);
	free(err);

	bundle = th_the_bundle();
	cr_assert_not_null(bundle);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify", bundle, NULL),
		     0);
	cr_assert_eq(th_sh("tar -xOf '%s' manifest.json | grep -q '\"case\": "
			   "null' && tar -xOf '%s' manifest.json | grep -qF "
			   "'%s'",
			   bundle, bundle, why),
		     0, "the manifest does not say why");
	free(bundle);
	cr_assert(qmp_says("paused"));
}

/* A child holding BEGIN EXCLUSIVE on cases.db until it is killed. */
static pid_t
lock_casedb(void)
{
	char path[4096], c;
	int fds[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/cases.db", home());
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sqlite3 *db;

		close(fds[0]);
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) !=
			    SQLITE_OK)
			_exit(1);
		if (write(fds[1], "L", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "the locker could not lock");
	close(fds[0]);
	return pid;
}

Test(integ_faults, case_database_locked)
{
	char *err = NULL;
	pid_t locker;

	th_guest_vm_start("lab1");
	cr_assert_eq(th_secvf(NULL, &err, "case", "list", NULL), 0, "%s", err);
	free(err);
	locker = lock_casedb();

	events_still_logged();
	triage_without_db("database is locked");

	/* Once the lock is gone, the next triage records. */
	kill(locker, SIGKILL);
	waitpid(locker, NULL, 0);
	cr_assert_eq(
		th_secvf(NULL, &err, "triage", "lab1", "--no-memory", NULL), 0,
		"%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "custody", "verify", "1", NULL), 0);
}

Test(integ_faults, case_database_damaged)
{
	char *before, *after, path[4096];

	th_guest_vm_start("lab1");
	cr_assert_eq(th_sh("head -c 8192 /dev/urandom > '%s/cases.db'", home()),
		     0);
	snprintf(path, sizeof(path), "%s/cases.db", home());
	before = th_read(path);

	events_still_logged();
	triage_without_db("file is not a database");

	/* The damaged file is left as it was, for whoever examines it. */
	after = th_read(path);
	cr_assert(before && after && !memcmp(before, after, 8192),
		  "triage changed the damaged case database");
	free(before);
	free(after);
}

/* ---- 4: two triages at once ------------------------------------- */

/* An artifact list with a command that keeps a triage busy. */
static const char *
slow_artifacts(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/slow.yaml", home());
	cr_assert_eq(th_write("slow.yaml", "artifacts:\n"
					   "  - member: host/slow.txt\n"
					   "    kind: command\n"
					   "    argv: [sleep, \"3\"]\n"
					   "    why: takes its time\n"),
		     0);
	return path;
}

/*
 * Fork a triage that waits for end-of-file on the pipe go, its errors
 * in HOME/triage-N.err.
 */
static pid_t
triage_on_signal(const int go[2], int n, const char *artifacts)
{
	char path[4096], c;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid != 0)
		return pid;
	close(go[1]);
	snprintf(path, sizeof(path), "%s/triage-%d.err", home(), n);
	dup2(open("/dev/null", O_WRONLY), 1);
	dup2(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
	if (read(go[0], &c, 1) < 0)
		_exit(126);
	execl(SECVF_BIN, "secvf", "triage", "lab1", "--no-memory",
	      "--artifacts", artifacts, (char *)NULL);
	_exit(127);
}

Test(integ_faults, two_triages_at_once)
{
	char path[4096], *text;
	int go[2], status[2], i, won = -1, lost = -1;
	const char *artifacts;
	pid_t pids[2];

	th_guest_vm_start("lab1");
	artifacts = slow_artifacts();
	cr_assert_eq(pipe(go), 0);
	for (i = 0; i < 2; i++)
		pids[i] = triage_on_signal(go, i, artifacts);
	close(go[0]);
	close(go[1]); /* both read end-of-file at once: go */
	for (i = 0; i < 2; i++) {
		cr_assert_eq(waitpid(pids[i], &status[i], 0), pids[i]);
		cr_assert(WIFEXITED(status[i]));
		if (WEXITSTATUS(status[i]) == 0)
			won = i;
		else if (WEXITSTATUS(status[i]) == 5)
			lost = i;
	}
	cr_assert(won >= 0 && lost >= 0,
		  "exactly one must proceed and one be refused: %d and %d",
		  WEXITSTATUS(status[0]), WEXITSTATUS(status[1]));

	snprintf(path, sizeof(path), "%s/triage-%d.err", home(), lost);
	text = th_read(path);
	cr_assert(text && strstr(text, "another triage of VM 'lab1' is "
				       "running"),
		  "%s", text);
	free(text);
	cr_assert_not(th_partial_exists(), "a partial is left");
	cr_assert(all_bundles_verify(1));
	cr_assert(qmp_says("paused"));
}

/* ---- 5: the supervisor killed ----------------------------------- */

static int
show_says(const char *text)
{
	char *out = NULL;
	int ok;

	th_secvf(&out, NULL, "vm", "show", "lab1", NULL);
	ok = out && strstr(out, text);
	free(out);
	return ok;
}

Test(integ_faults, supervisor_killed)
{
	char path[4096], serial[4096], log[4096], want[128];
	char *pidtext, *out = NULL, *err = NULL, *bundle;
	const char *missing = "\"event\":\"supervisor.missing\"";
	struct guest *g;
	long pid;
	int i;

	th_guest_vm_start("lab1");
	snprintf(path, sizeof(path), "%s/run/lab1/supervisor.pid", home());
	pidtext = th_read(path);
	cr_assert_not_null(pidtext);
	pid = atol(pidtext);
	free(pidtext);
	cr_assert_gt(pid, 1);
	cr_assert(show_says("supervisor:    pid "));
	cr_assert_eq(logged(missing), 0);

	cr_assert_eq(kill((pid_t)pid, SIGKILL), 0);
	snprintf(want, sizeof(want), "supervisor:    gone (pid %ld died)", pid);
	for (i = 0; i < 100 && !show_says(want); i++)
		usleep(100000);
	cr_assert(show_says(want), "vm show does not say the supervisor is "
				   "gone");

	/* QEMU and the guest go on. */
	cr_assert(qmp_says("running"));
	snprintf(serial, sizeof(serial), "%s/run/lab1/console.sock", home());
	snprintf(log, sizeof(log), "%s/run/lab1/console.log", home());
	g = guest_attach(serial, log, 30000);
	cr_assert_not_null(g, "the guest's console does not answer");
	cr_assert_eq(guest_run(g, "echo STILL-HERE", 30000, &out), 0);
	cr_assert(strstr(out, "STILL-HERE"), "%s", out);
	free(out);
	guest_kill(g);

	/* The loss is a security event, written once. */
	cr_assert_eq(logged(missing), 1);
	snprintf(want, sizeof(want),
		 "\"severity\":\"CRITICAL\",\"subsystem\":\"vm-lifecycle\","
		 "\"event\":\"supervisor.missing\"");
	cr_assert_eq(logged(want), 1);
	snprintf(want, sizeof(want), "\"supervisor_pid\":%ld,\"how\":\"died\"",
		 pid);
	cr_assert_eq(logged(want), 1);
	cr_assert_eq(th_secvf(&out, NULL, "vm", "list", NULL), 0);
	cr_assert(strstr(out, "(supervisor: gone)"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "vm", "show", "lab1", "--json", NULL),
		     0);
	cr_assert(strstr(out, "\"supervisor\":\"gone\""), "%s", out);
	free(out);

	/* Commands still work through QEMU's control socket. */
	cr_assert_eq(th_secvf(NULL, &err, "vm", "pause", "lab1", NULL), 0, "%s",
		     err);
	free(err);
	cr_assert(qmp_says("paused"));
	cr_assert_eq(
		th_secvf(&out, &err, "triage", "lab1", "--no-memory", NULL), 0,
		"%s%s", out, err);
	cr_assert(strstr(out, "supervisor of the VM is missing"), "%s", out);
	free(out);
	free(err);
	bundle = th_the_bundle();
	cr_assert_not_null(bundle);
	cr_assert_eq(th_secvf(NULL, NULL, "evidence", "verify", bundle, NULL),
		     0);
	cr_assert_eq(th_sh("tar -xOf '%s' manifest.json | tr -d ' \\n' | "
			   "grep -q '\"supervisor\":{\"state\":\"missing\","
			   "\"pid\":%ld}'",
			   bundle, pid),
		     0, "the manifest does not name the missing supervisor");
	free(bundle);
	cr_assert_eq(logged(missing), 1, "the loss was reported again");
	cr_assert(qmp_says("paused"));
}
