#include "supervisor.h"

#include "detect/evlog.h"
#include "lib/diag.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/path.h"
#include "lib/timefmt.h"
#include "vmm/bundle.h"
#include "vmm/netlab.h"
#include "vmm/qemu.h"
#include "vmm/qmp.h"
#include "vmm/vmstate.h"
#include "vmm/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TICK_MS 1000
#define STDERR_TAIL 2048

struct sup {
	const char *name;
	char fs_socks[VM_MAX_SHARES][PATH_BUF];
	char net_sock[PATH_BUF];
	char mirror_sock[PATH_BUF];
	pid_t fs_pids[VM_MAX_SHARES];
	struct vm_config cfg;
	char bundle[PATH_BUF];
	char run[PATH_BUF];
	int lock_fd;
	pid_t qemu_pid;
	int pidfd;
	int sigfd;
	int events_fd; /* qmp-events.jsonl */
	struct qmp_conn *qmp;
	struct vmwatch *watch;
	char shutdown_reason[48];
	int64_t started_us;
	int64_t last_usb_us;
};

static int
run_path(const struct sup *s, char *buf, size_t size, const char *file)
{
	return path_fmt(buf, size, "%s/%s", s->run, file);
}

/* Take the run dir: one supervisor per VM, and no stale files left. */
static int
sup_claim(struct sup *s)
{
	static const char *const stale[] = {
		"exit.json",	"qemu.pid",	 "qmp.sock", "qmp-events.sock",
		"console.sock", "channel.sock", "requests.jsonl",
		"supervisor-missing.json",
	};
	char path[PATH_BUF], pid[32];
	size_t i;

	if (vm_run_dir(s->name, s->run, sizeof(s->run)) < 0 ||
	    run_path(s, path, sizeof(path), "supervisor.lock") < 0)
		return -1;
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (s->lock_fd < 0)
		return err_errno("cannot open '%s'", path);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return err_set("VM '%s' is already running", s->name);
	if (vm_qemu_pid(s->name))
		return err_set("VM '%s' is already running (its QEMU lives "
			       "without a supervisor)",
			       s->name);

	for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++)
		if (run_path(s, path, sizeof(path), stale[i]) == 0)
			unlink(path);

	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (run_path(s, path, sizeof(path), "supervisor.pid") < 0)
		return -1;
	return file_write_atomic(path, pid, strlen(pid), 0600);
}

static int
spec_from_config(const struct sup *s, struct qemu_spec *q, char *disk,
		 char *nvram, size_t size)
{
	const struct vm_config *c = &s->cfg;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (path_fmt(disk, size, "%s/Disk.img", s->bundle) < 0 ||
	    path_fmt(nvram, size, "%s/NVRAM", s->bundle) < 0)
		return -1;
	q->name = c->name;
	q->uuid = c->uuid;
	q->cpus = c->cpus;
	q->memory_mb = (long)c->memory_mb;
	q->run_dir = s->run;
	q->disk = disk;
	q->firmware = c->firmware[0] ? c->firmware : NULL;
	q->nvram = q->firmware ? nvram : NULL;
	q->kernel = c->kernel[0] ? c->kernel : NULL;
	q->initrd = c->initrd[0] ? c->initrd : NULL;
	q->append = c->append[0] ? c->append : NULL;
	q->accel = c->accel;
	q->net_mode = vm_net_mode_name(c->net_mode);
	q->mac = c->mac;
	q->net_socket = s->net_sock[0] ? s->net_sock : NULL;
	q->mirror_socket = s->mirror_sock[0] ? s->mirror_sock : NULL;
	q->router = c->router;
	q->host_channel = c->host_channel;
	for (i = 0; i < c->nshares && i < QEMU_MAX_SHARES; i++) {
		q->shares[i].path = c->shares[i].path;
		q->shares[i].tag = c->shares[i].tag;
		q->shares[i].readonly = c->shares[i].read_only;
		q->shares[i].vhost_socket =
			c->shares[i].read_only ? NULL : s->fs_socks[i];
	}
	q->nshares = (int)i;
	for (i = 0; i < c->nusb && i < QEMU_MAX_USB; i++)
		q->usb[i] = c->usb[i];
	q->nusb = (int)i;
	return 0;
}

/* Where virtiofsd lives: $SECVF_VIRTIOFSD, else Debian's path. */
static const char *
virtiofsd_path(void)
{
	const char *env = getenv("SECVF_VIRTIOFSD");

	return env && *env ? env : "/usr/lib/qemu/virtiofsd";
}

/* One virtiofsd per writable share, listening before QEMU starts. */
static int
sup_spawn_virtiofsd(struct sup *s)
{
	char source[PATH_BUF + 16], sock[PATH_BUF + 16];
	int64_t deadline;
	size_t i;

	for (i = 0; i < s->cfg.nshares; i++) {
		if (s->cfg.shares[i].read_only)
			continue;
		if (path_fmt(s->fs_socks[i], sizeof(s->fs_socks[i]),
			     "%s/fs%zu.sock", s->run, i) < 0 ||
		    path_fmt(source, sizeof(source), "source=%s",
			     s->cfg.shares[i].path) < 0 ||
		    path_fmt(sock, sizeof(sock), "--socket-path=%s",
			     s->fs_socks[i]) < 0)
			return -1;
		unlink(s->fs_socks[i]);
		s->fs_pids[i] = fork();
		if (s->fs_pids[i] < 0)
			return err_errno("cannot fork for virtiofsd");
		if (s->fs_pids[i] == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			setpgid(0, 0);
			execl(virtiofsd_path(), "virtiofsd", sock, "-o",
			      source, "-o", "cache=none", "-o",
			      "no_posix_lock", (char *)NULL);
			dprintf(STDERR_FILENO, "cannot run virtiofsd: %s\n",
				strerror(errno));
			_exit(127);
		}
		deadline = time_mono_ns() + 10000000000LL;
		while (access(s->fs_socks[i], F_OK) < 0) {
			if (waitpid(s->fs_pids[i], NULL, WNOHANG) ==
				    s->fs_pids[i] ||
			    time_mono_ns() > deadline)
				return err_set("virtiofsd could not serve "
					       "share '%s' (%s)",
					       s->cfg.shares[i].path,
					       virtiofsd_path());
			usleep(10000);
		}
	}
	return 0;
}

/* Plug the VM into its lab network's switch, which must be up. */
static int
sup_plug_network(struct sup *s)
{
	const struct vm_config *c = &s->cfg;
	enum netlab_port_kind kind = c->net_mode == VM_NET_NAT
					     ? NETLAB_PORT_MIRROR
					     : NETLAB_PORT_VM;
	char *path = kind == NETLAB_PORT_MIRROR ? s->mirror_sock : s->net_sock;

	if (!c->network[0])
		return 0;
	if (netlab_port_open(c->network, c->name, kind, path, PATH_BUF) < 0)
		return err_prefix("VM '%s' cannot join lab network '%s' "
				  "(secvf net up %s)",
				  c->name, c->network, c->network);
	return 0;
}

static int
sup_spawn(struct sup *s)
{
	char disk[PATH_BUF], nvram[PATH_BUF], errpath[PATH_BUF];
	struct qemu_spec spec;
	char **argv;
	int errfd;

	if (sup_plug_network(s) < 0 || sup_spawn_virtiofsd(s) < 0 ||
	    spec_from_config(s, &spec, disk, nvram, sizeof(disk)) < 0 ||
	    qemu_argv(&spec, &argv) < 0)
		return -1;
	if (run_path(s, errpath, sizeof(errpath), "qemu.stderr") < 0) {
		qemu_argv_free(argv);
		return -1;
	}

	s->qemu_pid = fork();
	if (s->qemu_pid < 0) {
		qemu_argv_free(argv);
		return err_errno("cannot fork for QEMU");
	}
	if (s->qemu_pid == 0) {
		/* Its own process group: a terminal's ^C is not for QEMU. */
		setpgid(0, 0);
		umask(077);
		errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (errfd >= 0) {
			dup2(errfd, STDOUT_FILENO);
			dup2(errfd, STDERR_FILENO);
		}
		int nullfd = open("/dev/null", O_RDONLY);
		if (nullfd >= 0)
			dup2(nullfd, STDIN_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run '%s': %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	qemu_argv_free(argv);

	s->pidfd = (int)syscall(SYS_pidfd_open, s->qemu_pid, 0);
	if (s->pidfd < 0)
		return err_errno("cannot watch QEMU process %ld",
				 (long)s->qemu_pid);
	return 0;
}

/* What QEMU said on stderr, for the error message of a failed start. */
static void
qemu_stderr_tail(const struct sup *s, char *buf, size_t size)
{
	char path[PATH_BUF], *text, *start;
	size_t len;

	buf[0] = '\0';
	if (run_path(s, path, sizeof(path), "qemu.stderr") < 0 ||
	    file_read_all(path, 1 << 20, &text, &len) < 0)
		return;
	start = len > STDERR_TAIL ? text + len - STDERR_TAIL : text;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	snprintf(buf, size, "%s", start);
	free(text);
}

static int
qemu_exited(struct sup *s, int *status)
{
	pid_t r = waitpid(s->qemu_pid, status, WNOHANG);

	return r == s->qemu_pid;
}

static int
sup_connect(struct sup *s)
{
	char path[PATH_BUF], said[STDERR_TAIL + 1];
	int64_t deadline = time_mono_ns() +
			   (int64_t)SUPERVISOR_START_TIMEOUT_MS * 1000000;
	int status;

	if (run_path(s, path, sizeof(path), "qmp-events.sock") < 0)
		return -1;
	for (;;) {
		if (qemu_exited(s, &status)) {
			s->qemu_pid = 0;
			qemu_stderr_tail(s, said, sizeof(said));
			return err_set("QEMU could not start VM '%s': %s",
				       s->name,
				       said[0] ? said : "it exited at once");
		}
		if (access(path, F_OK) == 0 &&
		    qmp_connect(path, 5000, &s->qmp) == 0)
			return 0;
		if (time_mono_ns() > deadline)
			return err_set("QEMU did not open its QMP socket "
				       "within %d s",
				       SUPERVISOR_START_TIMEOUT_MS / 1000);
		usleep(20000);
	}
}

static void
sup_emit(struct sup *s, enum ev_severity sev, const char *subsystem,
	 const char *event, json_t *data)
{
	if (s->watch) {
		vmwatch_emit(s->watch, sev, subsystem, event, data);
		return;
	}
	if (evlog_write(sev, subsystem, event, s->name, data) < 0)
		diag_warn("cannot record %s.%s: %s", subsystem, event,
			  err_msg());
	json_decref(data);
}

static void
sup_log_qmp_event(struct sup *s, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	const char *reason;
	char *line;

	if (name && !strcmp(name, "SHUTDOWN")) {
		reason = json_string_value(json_object_get(
			json_object_get(ev, "data"), "reason"));
		snprintf(s->shutdown_reason, sizeof(s->shutdown_reason), "%s",
			 reason ? reason : "");
	}

	line = json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line && s->events_fd >= 0) {
		size_t len = strlen(line);

		line[len] = '\n';
		if (file_write_full(s->events_fd, line, len + 1) < 0)
			diag_warn("cannot write QMP event history: %s",
				  strerror(errno));
		line[len] = '\0';
	}
	free(line);
}

static void
sup_drain_qmp(struct sup *s)
{
	json_t *ev;

	while (qmp_next_event(s->qmp, 0, &ev) == 0) {
		sup_log_qmp_event(s, ev);
		if (s->watch)
			vmwatch_qmp_event(s->watch, ev);
		json_decref(ev);
	}
}

static int
sup_write_exit(struct sup *s, int status)
{
	char path[PATH_BUF], ts[TIME_ISO_LEN];
	int requested = vm_request_since(s->name, "stop", 0) == 1;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	int crashed = !requested || sig != 0;
	json_t *exit;
	char *text;
	int rc;

	time_iso(time_now_us(), ts);
	exit = json_pack("{s:s, s:i, s:i, s:s, s:b, s:b}", "ts", ts, "code",
			 code, "signal", sig, "shutdown_reason",
			 s->shutdown_reason, "requested", requested, "crashed",
			 crashed);
	text = json_dumps(exit, JSON_COMPACT);
	if (run_path(s, path, sizeof(path), "exit.json") < 0 || !text)
		rc = -1;
	else
		rc = file_write_atomic(path, text, strlen(text), 0600);
	free(text);

	if (s->watch)
		vmwatch_exit(s->watch, status);
	json_decref(exit);
	return rc;
}

static int
sup_signals(struct sup *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (s->sigfd < 0)
		return err_errno("cannot create a signalfd");
	return 0;
}

static void
sup_poll_usb(struct sup *s)
{
	int64_t now = time_mono_ns();
	json_t *ret = NULL;

	if (!s->qmp || !vmwatch_has_usb(s->watch) ||
	    now - s->last_usb_us < 5000000000LL)
		return;
	s->last_usb_us = now;
	if (qmp_execute(s->qmp, "x-query-usb", NULL, 2000, &ret) == 0)
		vmwatch_usb_text(s->watch,
				 json_string_value(json_object_get(
					 ret, "human-readable-text")));
	json_decref(ret);
}

static void
sup_qmp_readable(struct sup *s)
{
	if (qmp_pump(s->qmp) >= 0) {
		sup_drain_qmp(s);
		return;
	}
	sup_drain_qmp(s);
	qmp_close(s->qmp);
	s->qmp = NULL;
	vmwatch_qmp_hup(s->watch);
}

/* The poll loop: QEMU's exit, signals, QMP events, the detectors. */
static int
sup_loop(struct sup *s)
{
	struct pollfd fds[3 + WATCH_POLLFDS];
	int64_t next_tick = time_mono_ns();
	int status, n, nw, timeout;

	for (;;) {
		fds[0] = (struct pollfd){.fd = s->pidfd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
		fds[2] = (struct pollfd){
			.fd = s->qmp ? qmp_fd(s->qmp) : -1, .events = POLLIN};
		nw = vmwatch_pollfds(s->watch, fds + 3);
		timeout = (int)((next_tick - time_mono_ns()) / 1000000);
		n = poll(fds, 3 + (nw > 0 ? (nfds_t)nw : 0),
			 timeout > 0 ? timeout : 0);
		if (n < 0 && errno != EINTR)
			return err_errno("poll failed");

		if (fds[2].revents)
			sup_qmp_readable(s);
		vmwatch_handle(s->watch, fds + 3, nw);
		if (fds[0].revents) {
			waitpid(s->qemu_pid, &status, 0);
			if (s->qmp)
				sup_qmp_readable(s);
			return sup_write_exit(s, status);
		}
		if (fds[1].revents) {
			diag_info("supervisor of '%s' told to go; QEMU %ld "
				  "goes on",
				  s->name, (long)s->qemu_pid);
			return 0;
		}
		if (time_mono_ns() >= next_tick) {
			vmwatch_tick(s->watch);
			sup_poll_usb(s);
			next_tick = time_mono_ns() + TICK_MS * 1000000LL;
		}
	}
}

static void
sup_ready(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sup_ready(int fd, const char *fmt, ...)
{
	va_list ap;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
	close(fd);
}

static void
sup_release(struct sup *s)
{
	char path[PATH_BUF];
	size_t i;

	for (i = 0; i < VM_MAX_SHARES; i++)
		if (s->fs_pids[i] > 0 && waitpid(s->fs_pids[i], NULL,
						 WNOHANG) == 0 &&
		    (s->qemu_pid <= 0 || kill(s->qemu_pid, 0) < 0)) {
			kill(s->fs_pids[i], SIGTERM);
			waitpid(s->fs_pids[i], NULL, 0);
		}

	vmwatch_close(s->watch);
	qmp_close(s->qmp);
	if (s->events_fd >= 0)
		close(s->events_fd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->lock_fd >= 0) {
		if (run_path(s, path, sizeof(path), "supervisor.pid") == 0)
			unlink(path);
		close(s->lock_fd);
	}
}

static int
sup_start(struct sup *s)
{
	char path[PATH_BUF];

	if (bundle_load(s->name, &s->cfg, s->bundle, sizeof(s->bundle)) != 1)
		return -1;
	if (sup_claim(s) < 0 || sup_signals(s) < 0)
		return -1;

	if (run_path(s, path, sizeof(path), "qmp-events.jsonl") < 0)
		return -1;
	s->events_fd = open(path,
			    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
	if (s->events_fd < 0)
		return err_errno("cannot open '%s'", path);

	s->started_us = time_now_us();
	if (sup_spawn(s) < 0 || sup_connect(s) < 0)
		return -1;
	return vmwatch_open(&s->cfg, s->bundle, s->run, s->qemu_pid,
			    &s->watch);
}

int
supervisor_run(const char *name, int ready_fd)
{
	struct sup s = {
		.name = name,
		.lock_fd = -1,
		.pidfd = -1,
		.sigfd = -1,
		.events_fd = -1,
	};
	int rc;

	if (sup_start(&s) < 0) {
		sup_ready(ready_fd, "error %s\n", err_msg());
		if (s.qemu_pid > 0) {
			/* A QEMU that never answered is of no use to anyone. */
			kill(s.qemu_pid, SIGKILL);
			waitpid(s.qemu_pid, NULL, 0);
		}
		sup_release(&s);
		return -1;
	}

	sup_emit(&s, EV_INFO, "vm-lifecycle", "started",
		 json_pack("{s:I, s:I}", "qemu_pid", (json_int_t)s.qemu_pid,
			   "supervisor_pid", (json_int_t)getpid()));
	sup_ready(ready_fd, "ok %ld\n", (long)s.qemu_pid);

	rc = sup_loop(&s);
	sup_release(&s);
	return rc;
}
