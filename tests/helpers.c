#include "helpers.h"

#include "lib/home.h"
#include "tests/guest/guest.h"

#include <criterion/criterion.h>

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
	return th_home;
}

void
th_remove_home(void)
{
	if (th_home[0] && !getenv("SECVF_KEEP_TEST_HOME"))
		th_sh("rm -rf '%s'", th_home);
	th_home[0] = '\0';
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
			      "virtual", NULL),
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
