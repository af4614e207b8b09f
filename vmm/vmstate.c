#include "vmstate.h"

#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/timefmt.h"
#include "vmm/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_TIMEOUT_MS 2000
#define REQUESTS_TAIL (64 * 1024)

static const char *const state_names[] = {
	[VM_STOPPED] = "stopped",
	[VM_RUNNING] = "running",
	[VM_PAUSED] = "paused",
	[VM_CRASHED] = "crashed",
	[VM_UNRESPONSIVE] = "unresponsive",
};

const char *
vm_run_state_name(enum vm_run_state s)
{
	return state_names[s];
}

int
vm_run_dir(const char *name, char *buf, size_t size)
{
	if (path_check_name(name) < 0)
		return err_prefix("bad VM name");
	if (home_subdir(buf, size, "run/%s", name) < 0)
		return -1;
	if (chmod(buf, 0700) < 0)
		return err_errno("cannot set mode of '%s'", buf);
	return 0;
}

int
vm_run_file(char *buf, size_t size, const char *name, const char *file)
{
	char dir[PATH_BUF];

	if (vm_run_dir(name, dir, sizeof(dir)) < 0)
		return -1;
	return path_fmt(buf, size, "%s/%s", dir, file);
}

static pid_t
read_pid(const char *path)
{
	char *text;
	size_t len;
	long pid;

	if (file_read_all(path, 64, &text, &len) < 0)
		return 0;
	pid = strtol(text, NULL, 10);
	free(text);
	return pid > 1 ? (pid_t)pid : 0;
}

/* Does /proc/PID/cmdline hold needle as one of its arguments' text? */
static int
cmdline_has(pid_t pid, const char *needle)
{
	char path[64], buf[8192];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

pid_t
vm_qemu_pid(const char *name)
{
	char path[PATH_BUF], dir[PATH_BUF];
	pid_t pid;

	if (vm_run_file(path, sizeof(path), name, "qemu.pid") < 0 ||
	    vm_run_dir(name, dir, sizeof(dir)) < 0)
		return 0;
	pid = read_pid(path);
	if (pid == 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return 0;
	/* The pid is ours only if that process was given our pid file. */
	if (!cmdline_has(pid, path))
		return 0;
	return pid;
}

pid_t
vm_supervisor_pid(const char *name)
{
	char path[PATH_BUF];
	pid_t pid;
	int fd, held;

	if (vm_run_file(path, sizeof(path), name, "supervisor.lock") < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	if (!held)
		return 0;

	if (vm_run_file(path, sizeof(path), name, "supervisor.pid") < 0)
		return 0;
	pid = read_pid(path);
	return pid && kill(pid, 0) == 0 ? pid : 0;
}

int
vm_control_connect(const char *name, int timeout_ms, struct qmp_conn **c)
{
	char path[PATH_BUF];

	*c = NULL;
	if (vm_run_file(path, sizeof(path), name, "qmp.sock") < 0)
		return -1;
	if (!vm_qemu_pid(name))
		return err_set("VM '%s' is not running", name);
	if (qmp_connect(path, timeout_ms, c) < 0)
		return err_prefix("cannot reach VM '%s'", name);
	return 0;
}

static void
read_exit(const char *name, struct vm_status *st, int *have)
{
	char path[PATH_BUF];
	json_t *root;
	const char *reason = NULL;
	int requested = 0;

	*have = 0;
	if (vm_run_file(path, sizeof(path), name, "exit.json") < 0)
		return;
	root = json_load_file(path, 0, NULL);
	if (!root)
		return;
	if (json_unpack(root, "{s:i, s:i, s?s, s:b}", "code", &st->exit_code,
			"signal", &st->exit_signal, "shutdown_reason", &reason,
			"requested", &requested) == 0) {
		*have = 1;
		snprintf(st->shutdown_reason, sizeof(st->shutdown_reason),
			 "%s", reason ? reason : "");
		st->state = requested && st->exit_signal == 0 ? VM_STOPPED
							      : VM_CRASHED;
	}
	json_decref(root);
}

static enum vm_run_state
state_of(const char *qemu_status, int running)
{
	if (running)
		return VM_RUNNING;
	if (!strcmp(qemu_status, "shutdown"))
		return VM_STOPPED;
	return VM_PAUSED;
}

static void
query_live(const char *name, struct vm_status *st)
{
	struct qmp_conn *c = NULL;
	int running = 0;

	st->state = VM_UNRESPONSIVE;
	if (vm_control_connect(name, STATUS_TIMEOUT_MS, &c) < 0)
		return;
	if (qmp_status(c, STATUS_TIMEOUT_MS, st->qemu_status,
		       sizeof(st->qemu_status), &running) == 0)
		st->state = state_of(st->qemu_status, running);
	qmp_close(c);
}

/* QEMU lives: is its supervisor gone, and did it die or leave? */
static void
lost_supervisor(const char *name, struct vm_status *st)
{
	char path[PATH_BUF];

	if (st->supervisor_pid)
		return;
	/* Checked again: a supervisor that just took its lock counts. */
	if (vm_supervisor_pid(name))
		return;
	st->supervisor_gone = 1;
	if (vm_run_file(path, sizeof(path), name, "supervisor.pid") == 0)
		st->lost_supervisor_pid = read_pid(path);
}

int
vm_status_get(const char *name, struct vm_status *st)
{
	char path[PATH_BUF];
	int have_exit;

	memset(st, 0, sizeof(*st));
	st->state = VM_STOPPED;
	if (vm_run_file(path, sizeof(path), name, "qemu.pid") < 0)
		return -1;

	st->supervisor_pid = vm_supervisor_pid(name);
	st->qemu_pid = vm_qemu_pid(name);
	if (st->qemu_pid) {
		lost_supervisor(name, st);
		query_live(name, st);
		return 0;
	}

	read_exit(name, st, &have_exit);
	if (have_exit)
		return 0;
	/* QEMU is gone and nobody wrote down how: no stop was asked for. */
	if (access(path, F_OK) == 0 && vm_request_since(name, "stop", 0) != 1)
		st->state = VM_CRASHED;
	return 0;
}

int
vm_request_note(const char *name, const char *action)
{
	char path[PATH_BUF], line[256];
	int fd, n;

	if (vm_run_file(path, sizeof(path), name, "requests.jsonl") < 0)
		return -1;
	n = snprintf(line, sizeof(line),
		     "{\"ts_us\":%lld,\"action\":\"%s\",\"pid\":%ld}\n",
		     (long long)time_now_us(), action, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return err_set("request '%s' is too long", action);

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	if (file_write_full(fd, line, (size_t)n) < 0) {
		err_errno("cannot write '%s'", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
vm_request_since(const char *name, const char *action, long long since_us)
{
	char path[PATH_BUF], needle[64], *text, *line, *save;
	long long ts;
	size_t len;
	int found = 0;

	if (vm_run_file(path, sizeof(path), name, "requests.jsonl") < 0)
		return -1;
	if (file_read_all(path, 16 * REQUESTS_TAIL, &text, &len) < 0)
		return errno == ENOENT ? 0 : -1;

	snprintf(needle, sizeof(needle), "\"action\":\"%s\"", action);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, needle))
			continue;
		if (sscanf(line, "{\"ts_us\":%lld", &ts) == 1 && ts >= since_us)
			found = 1;
	}
	free(text);
	return found;
}

/* Was the loss of the supervisor of this QEMU recorded already? */
static int
missing_reported(const char *path, pid_t qemu_pid)
{
	json_t *root = json_load_file(path, 0, NULL);
	json_int_t pid = 0;

	if (!root)
		return 0;
	json_unpack(root, "{s:I}", "qemu_pid", &pid);
	json_decref(root);
	return pid == (json_int_t)qemu_pid;
}

/* Claim the report: 1 when this process is the first to notice. */
static int
missing_claim(const char *path, const struct vm_status *st)
{
	char line[128];
	int fd, n;

	if (missing_reported(path, st->qemu_pid))
		return 0;
	unlink(path); /* a marker of another QEMU is stale */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return err_errno("cannot create '%s'", path);
	n = snprintf(line, sizeof(line),
		     "{\"qemu_pid\":%ld,\"supervisor_pid\":%ld,\"ts_us\":%lld}"
		     "\n",
		     (long)st->qemu_pid, (long)st->lost_supervisor_pid,
		     (long long)time_now_us());
	if (file_write_full(fd, line, (size_t)n) < 0) {
		err_errno("cannot write '%s'", path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 1;
}

int
vm_supervisor_report(const char *name)
{
	struct vm_status st = {0};
	char path[PATH_BUF];
	json_t *data;
	int died, rc;

	st.qemu_pid = vm_qemu_pid(name);
	if (!st.qemu_pid)
		return 0;
	st.supervisor_pid = vm_supervisor_pid(name);
	lost_supervisor(name, &st);
	if (!st.supervisor_gone)
		return 0;
	died = st.lost_supervisor_pid != 0;
	if (vm_run_file(path, sizeof(path), name,
			"supervisor-missing.json") < 0)
		return -1;
	rc = missing_claim(path, &st);
	if (rc <= 0)
		return rc < 0 ? -1 : 1;

	data = json_pack("{s:I, s:o, s:s}", "qemu_pid",
			 (json_int_t)st.qemu_pid, "supervisor_pid",
			 died ? json_integer(st.lost_supervisor_pid)
			      : json_null(),
			 "how", died ? "died" : "left");
	rc = evlog_write(died ? EV_CRITICAL : EV_WARNING, "vm-lifecycle",
			 "supervisor.missing", name, data);
	json_decref(data);
	if (rc < 0) {
		unlink(path);
		return err_prefix("cannot record the loss of the supervisor "
				  "of VM '%s'",
				  name);
	}
	return 1;
}
