#include "detect/respond.h"

#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ENV_MAX 8
#define ENV_LEN 1024

static const char *const passed_env[] = {
	"HOME",
	"SECVF_HOME",
	"DISPLAY",
	"WAYLAND_DISPLAY",
	"DBUS_SESSION_BUS_ADDRESS",
	"XDG_RUNTIME_DIR",
};

/* A fresh environment: PATH and the variables named above. */
static void
make_env(char store[ENV_MAX][ENV_LEN], char *envp[ENV_MAX + 1])
{
	size_t i, n = 0;
	const char *v;

	snprintf(store[n], ENV_LEN, "PATH=/usr/local/bin:/usr/bin:/bin");
	envp[n] = store[n];
	n++;
	for (i = 0; i < sizeof(passed_env) / sizeof(passed_env[0]); i++) {
		v = getenv(passed_env[i]);
		if (!v || snprintf(store[n], ENV_LEN, "%s=%s", passed_env[i],
				   v) >= ENV_LEN)
			continue; /* absent, or too long to pass whole */
		envp[n] = store[n];
		n++;
	}
	envp[n] = NULL;
}

/* The event as a file on standard input: never blocks the writer. */
static int
event_fd(const char *line)
{
	size_t len = strlen(line);
	int fd = memfd_create("secvf-event", MFD_CLOEXEC);

	if (fd < 0)
		return err_errno("cannot create the event input");
	if (write(fd, line, len) != (ssize_t)len ||
	    (len && line[len - 1] != '\n' && write(fd, "\n", 1) != 1) ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return err_errno("cannot write the event input");
	}
	return fd;
}

static void __attribute__((noreturn))
child(const char *path, char *const argv[], char *const envp[], int in)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || null < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	execve(path, argv, envp);
	_exit(127);
}

static void
wait_for(pid_t pid, int64_t timeout_us, struct respond_run *run)
{
	int64_t deadline = time_mono_ns() + timeout_us * 1000;
	struct timespec nap = {0, 5 * 1000 * 1000};
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 &&
	       time_mono_ns() < deadline)
		nanosleep(&nap, NULL);
	if (got == 0) {
		run->timed_out = 1;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		got = waitpid(pid, &status, 0);
	}
	if (got < 0)
		return;
	if (WIFEXITED(status))
		run->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		run->signal = WTERMSIG(status);
}

static int
run_program(const char *path, char *const argv[], const char *line,
	    int64_t timeout_us, struct respond_run *run)
{
	char store[ENV_MAX][ENV_LEN];
	char *envp[ENV_MAX + 1];
	int in = event_fd(line);
	pid_t pid;

	run->status = -1;
	if (in < 0)
		return -1;
	make_env(store, envp);
	pid = fork();
	if (pid < 0) {
		close(in);
		return err_errno("cannot start '%s'", path);
	}
	if (pid == 0)
		child(path, argv, envp, in);
	close(in);
	run->ran = 1;
	setpgid(pid, pid); /* also here, so the group exists to kill */
	wait_for(pid, timeout_us, run);

	if (run->timed_out)
		return err_set("'%s' did not finish in %lld ms: killed", path,
			       (long long)(timeout_us / 1000));
	if (run->signal)
		return err_set("'%s' was killed by signal %d", path,
			       run->signal);
	if (run->status)
		return err_set("'%s' exited with status %d", path, run->status);
	return 0;
}

/* 1 acceptable, 0 absent, -1 refused (err_msg() says why). */
static int
hook_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_errno("cannot inspect hook '%s'", path);
	}
	if (!S_ISREG(st.st_mode))
		return err_set("refusing hook '%s': not a regular file", path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set("refusing hook '%s': writable by others", path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return err_set("refusing hook '%s': owned by another user",
			       path);
	if (access(path, X_OK) < 0)
		return err_errno("refusing hook '%s'", path);
	return 1;
}

/* Search PATH for name; 1 and out set when found, else 0. */
static int
which(const char *name, char *out, size_t size)
{
	const char *p = getenv("PATH"), *end;
	size_t len;

	while (p && *p) {
		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len &&
		    path_fmt(out, size, "%.*s/%s", (int)len, p, name) == 0 &&
		    access(out, X_OK) == 0)
			return 1;
		p += len + (end ? 1 : 0);
	}
	err_clear();
	return 0;
}

/* "vsock.message.oversized on lab1", without markup characters. */
static void
summary(const char *line, char *out, size_t size)
{
	json_t *ev = json_loads(line, 0, NULL);
	const char *sub = json_string_value(json_object_get(ev, "subsystem"));
	const char *name = json_string_value(json_object_get(ev, "event"));
	const char *vm = json_string_value(json_object_get(ev, "vm"));
	size_t i;

	if (sub && name)
		snprintf(out, size, "%s.%s%s%s", sub, name, vm ? " on " : "",
			 vm ? vm : "");
	else
		snprintf(out, size, "an EMERGENCY event");
	json_decref(ev);
	for (i = 0; out[i]; i++)
		if (strchr("<>&\"'", out[i]) || (unsigned char)out[i] < 0x20)
			out[i] = ' ';
}

static void
note(struct respond_result *res)
{
	if (!res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", err_msg());
}

int
respond_emergency(const char *event_line, int64_t timeout_us,
		  struct respond_result *res)
{
	char hook[PATH_BUF], notify[PATH_BUF], text[256];
	int rc = 0, ok;

	memset(res, 0, sizeof(*res));
	ok = home_path(hook, sizeof(hook), "hooks/on-emergency") < 0
		     ? -1
		     : hook_check(hook);
	if (ok < 0) {
		note(res);
		rc = -1;
	} else if (ok) {
		char *argv[] = {hook, NULL};

		res->hook.found = 1;
		if (run_program(hook, argv, event_line, timeout_us,
				&res->hook) < 0) {
			note(res);
			rc = -1;
		}
	}

	if (which("notify-send", notify, sizeof(notify))) {
		char *argv[] = {notify,
				"--urgency=critical",
				"--app-name=secvf",
				"secvf: containment alert",
				text,
				NULL};

		summary(event_line, text, sizeof(text));
		res->notify.found = 1;
		if (run_program(notify, argv, event_line, timeout_us,
				&res->notify) < 0) {
			note(res);
			rc = -1;
		}
	}
	if (rc < 0)
		err_set("%s", res->error);
	return rc;
}
