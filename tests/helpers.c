#include "helpers.h"

#include "lib/home.h"
#include "tests/guest/guest.h"

#include <criterion/criterion.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char th_home[PATH_MAX];

/*
 * Sanitizer reports.  tests/run-suites sends every report to a file
 * beneath SECVF_SAN_DIR; each test moves log_path to a directory of its
 * own there (named after its home), so that a report written by any
 * secvf process the test started, a detached one included, is a file
 * the test finds and fails on.
 */
static char th_san_dir[PATH_MAX];
static int th_san_failed;

static void
san_log_path(const char *var, const char *tool)
{
	const char *old = getenv(var);
	char opts[8192];

	if ((size_t)snprintf(opts, sizeof(opts), "%s%slog_path=%s/%s",
			     old ? old : "", old && *old ? ":" : "", th_san_dir,
			     tool) >= sizeof(opts))
		abort();
	setenv(var, opts, 1);
}

static void
san_redirect(void)
{
	const char *root = getenv("SECVF_SAN_DIR");

	th_san_dir[0] = '\0';
	th_san_failed = 0;
	if (!root || !*root)
		return;
	if ((size_t)snprintf(th_san_dir, sizeof(th_san_dir), "%s/%s", root,
			     strrchr(th_home, '/') + 1) >= sizeof(th_san_dir) ||
	    mkdir(th_san_dir, 0700) < 0) {
		perror("sanitizer report directory");
		abort();
	}
	san_log_path("ASAN_OPTIONS", "asan");
	san_log_path("UBSAN_OPTIONS", "ubsan");
}

/* The reports written so far, concatenated; NULL when there are none. */
static char *
san_reports(void)
{
	char path[PATH_MAX * 2], *all = NULL, *text;
	size_t len = 0, n;
	struct dirent *e;
	DIR *d;

	if (!th_san_dir[0] || !(d = opendir(th_san_dir)))
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", th_san_dir, e->d_name);
		text = th_read(path);
		n = text ? strlen(text) : 0;
		if (n && (all = realloc(all, len + n + 1))) {
			memcpy(all + len, text, n + 1);
			len += n;
		}
		free(text);
	}
	closedir(d);
	return all;
}

/*
 * Fail the running test on a sanitizer report, once.  An expectation,
 * not an assertion: in a .fini fixture an assertion would skip the rest
 * of the teardown, and th_remove_home() has the last word anyway.
 */
static void
san_check(void)
{
	char *text;

	if (th_san_failed || !(text = san_reports()))
		return;
	th_san_failed = 1;
	cr_expect_fail("a secvf process reported a sanitizer error:\n%s", text);
	free(text);
}

/*
 * LeakSanitizer's hook: no leak check in the Criterion runner, the one
 * process with no current test.  It runs no secvf code, and exits with
 * some of its own allocations unfreed.  The test workers and every
 * secvf process are checked.
 */
int __lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return criterion_current_test == NULL;
}

const char *
th_fresh_home(void)
{
	snprintf(th_home, sizeof(th_home), "/tmp/secvf-test-XXXXXX");
	if (!mkdtemp(th_home)) {
		perror("mkdtemp");
		abort();
	}
	setenv("SECVF_HOME", th_home, 1);
	setenv("NO_COLOR", "1", 1);
	home_reset();
	san_redirect();
	return th_home;
}

/* Is pid a live secvf process (not a zombie) of the test's home? */
static int
secvf_of_home(pid_t pid, const char *bin)
{
	char path[64], exe[PATH_MAX], env[65536], want[PATH_MAX + 16], *p;
	size_t len, wlen;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if (strcmp(exe, bin))
		return 0;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, env, sizeof(env) - 1);
	close(fd);
	if (n <= 0)
		return 0; /* a zombie has no environment left */
	len = (size_t)n;
	env[len] = '\0';
	wlen = (size_t)snprintf(want, sizeof(want), "SECVF_HOME=%s", th_home);
	for (p = env; p < env + len; p += strlen(p) + 1)
		if (strlen(p) == wlen && !memcmp(p, want, wlen))
			return 1;
	return 0;
}

/*
 * Wait (up to 10 s) for the secvf processes still running for the
 * test's home, detached supervisors and switches: they check for leaks
 * as they exit.
 */
static void
wait_detached(void)
{
	char bin[PATH_MAX];
	struct dirent *e;
	int tries, alive;
	DIR *d;

	if (!realpath(SECVF_BIN, bin))
		return;
	for (tries = 0; tries < 100; tries++) {
		if (!(d = opendir("/proc")))
			return;
		alive = 0;
		while (!alive && (e = readdir(d)))
			if (atol(e->d_name) > 0 && atol(e->d_name) != getpid())
				alive = secvf_of_home((pid_t)atol(e->d_name),
						      bin);
		closedir(d);
		if (!alive)
			return;
		usleep(100000);
	}
}

void
th_remove_home(void)
{
	char *text;

	if (th_home[0] && th_san_dir[0])
		wait_detached();
	if (th_home[0] && !getenv("SECVF_KEEP_TEST_HOME"))
		th_sh("rm -rf '%s'", th_home);
	th_home[0] = '\0';

	/*
	 * Criterion ignores assertions in a .fini fixture; a crash makes
	 * the test binary exit non-zero, which tests/run-suites counts.
	 */
	if ((text = san_reports())) {
		if (!th_san_failed)
			fprintf(stderr,
				"sanitizer report from a secvf "
				"process:\n%s",
				text);
		free(text);
		abort();
	}
}

static char *
read_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf && (n = read(fd, buf + len, cap - len - 1)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int
run_argv(const char *stdin_text, char **out, char **err, char **argv)
{
	char outpath[] = "/tmp/secvf-out-XXXXXX";
	char errpath[] = "/tmp/secvf-err-XXXXXX";
	int ofd = mkstemp(outpath), efd = mkstemp(errpath);
	int in[2], status;
	pid_t pid;

	if (pipe(in) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		close(in[1]);
		execv(SECVF_BIN, argv);
		_exit(127);
	}
	close(in[0]);
	if (stdin_text) {
		signal(SIGPIPE, SIG_IGN);
		if (write(in[1], stdin_text, strlen(stdin_text)) < 0)
			perror("write");
	}
	close(in[1]);
	waitpid(pid, &status, 0);
	san_check();

	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	if (out)
		*out = read_fd(ofd);
	if (err)
		*err = read_fd(efd);
	close(ofd);
	close(efd);
	unlink(outpath);
	unlink(errpath);

	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int
run_va(const char *stdin_text, char **out, char **err, const char *arg,
       va_list ap)
{
	char *argv[64];
	int n = 0;

	argv[n++] = "secvf";
	for (; arg && n < 63; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	argv[n] = NULL;
	return run_argv(stdin_text, out, err, argv);
}

int
th_secvf(char **out, char **err, const char *arg, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = run_va(NULL, out, err, arg, ap);
	va_end(ap);
	return rc;
}

int
th_secvf_stdin(const char *stdin_text, char **out, char **err,
	       const char *arg, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = run_va(stdin_text, out, err, arg, ap);
	va_end(ap);
	return rc;
}

int
th_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);

	status = system(cmd);
	if (status < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int
th_write(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", th_home, rel) >=
	    sizeof(path))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

char *
th_read(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *text;

	if (fd < 0)
		return NULL;
	text = read_fd(fd);
	close(fd);
	return text;
}

const char *
th_fixture(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", SECVF_SRCDIR,
		 name);
	return path;
}

void
th_guest_vm_start(const char *name)
{
	th_guest_vm_start_mem(name, "128M");
}

void
th_guest_vm_start_mem(const char *name, const char *memory)
{
	th_guest_vm_start_on(name, memory, NULL);
}

void
th_guest_vm_start_on(const char *name, const char *memory, const char *lab)
{
	char kernel[4096], initrd[4096], serial[4096], log[4096];
	const char *home = getenv("SECVF_HOME");
	char *err = NULL;
	struct guest *g;

	cr_assert_eq(guest_image(kernel, sizeof(kernel), initrd,
				 sizeof(initrd)),
		     0);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "create", name, "--kernel",
			      kernel, "--initrd", initrd, "--append",
			      "console=ttyS0 quiet panic=-1", "--memory",
			      memory, "--cpus", "1", "--disk", "64M", "--net",
			      "virtual", lab ? "--network" : NULL, lab, NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "vm", "start", name, NULL), 0,
		     "%s", err);
	free(err);
	snprintf(serial, sizeof(serial), "%s/run/%s/console.sock", home,
		 name);
	snprintf(log, sizeof(log), "%s/run/%s/console.log", home, name);
	g = guest_attach(serial, log, 120000);
	cr_assert_not_null(g);
	cr_assert_eq(guest_run(g, "echo TRIAGE-MARK > /dev/vda; sync", 30000,
			       NULL),
		     0);
	guest_kill(g);
}

char *
th_the_bundle(void)
{
	char pattern[PATH_MAX], *path = NULL;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/incidents/*.tar.zst",
		 getenv("SECVF_HOME"));
	if (glob(pattern, 0, NULL, &g) == 0) {
		if (g.gl_pathc == 1)
			path = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	return path;
}

int
th_vm_state_is(const char *name, const char *state)
{
	char *out = NULL, want[64];
	int ok;

	th_secvf(&out, NULL, "vm", "show", name, "--json", NULL);
	snprintf(want, sizeof(want), "\"state\":\"%s\"", state);
	ok = out && strstr(out, want);
	free(out);
	return ok;
}

int
th_partial_exists(void)
{
	return th_sh("ls '%s'/incidents/*.partial >/dev/null 2>&1",
		     getenv("SECVF_HOME")) == 0;
}
