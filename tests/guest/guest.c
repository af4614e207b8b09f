#include "tests/guest/guest.h"
#include "tests/helpers.h"

#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUEST_SCRIPT SECVF_SRCDIR "/tests/guest/build-guest.sh"
#define GUEST_CMDLINE "console=ttyS0 quiet panic=-1"
#define GUEST_BOOT_TIMEOUT_MS 120000
#define GUEST_ARGS_MAX 48

/*
 * The serial console, read all the time by a thread of its own: QEMU
 * holds back a console nobody reads, and the guest kernel waits on it.
 * Output since the last console_clear() is kept, up to
 * GUEST_OUTPUT_MAX bytes; beyond that it is read and dropped.
 */
struct guest_console {
	int fd;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf;
	size_t len;
	int overflow;
	int closed;
};

/* QEMU's argument vector and the strings built for it. */
struct qemu_args {
	const char *argv[GUEST_ARGS_MAX];
	int argc;
	char append[1024];
	char chardev[1024];
	char qmp[512];
	char drive[PATH_BUF];
};

static int64_t
ms_now(void)
{
	return time_mono_ns() / 1000000;
}

static int
read_image_paths(FILE *f, char *kernel, size_t ksize, char *initrd,
		 size_t isize)
{
	char line[PATH_BUF];
	int found = 0;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "KERNEL=", 7) &&
		    path_fmt(kernel, ksize, "%s", line + 7) == 0)
			found |= 1;
		if (!strncmp(line, "INITRD=", 7) &&
		    path_fmt(initrd, isize, "%s", line + 7) == 0)
			found |= 2;
	}
	return found == 3 ? 0 : -1;
}

int
guest_image(char *kernel, size_t ksize, char *initrd, size_t isize)
{
	static char k[PATH_BUF], i[PATH_BUF];
	static int built;
	FILE *f;
	int rc;

	if (!built) {
		f = popen("sh '" GUEST_SCRIPT "'", "r");
		if (!f)
			return err_errno("cannot run '%s'", GUEST_SCRIPT);
		rc = read_image_paths(f, k, sizeof(k), i, sizeof(i));
		if (pclose(f) != 0 || rc < 0)
			return err_set("'%s' failed to build the guest",
				       GUEST_SCRIPT);
		built = 1;
	}
	if (path_fmt(kernel, ksize, "%s", k) < 0 ||
	    path_fmt(initrd, isize, "%s", i) < 0)
		return -1;
	return 0;
}

static int
guest_paths(struct guest *g, const struct guest_opts *o)
{
	if (o->dir) {
		if (path_fmt(g->dir, sizeof(g->dir), "%s", o->dir) < 0)
			return -1;
	} else {
		strcpy(g->dir, "/tmp/secvf-guest.XXXXXX");
		if (!mkdtemp(g->dir))
			return err_errno("cannot create '%s'", g->dir);
		g->own_dir = 1;
	}
	if (strchr(g->dir, ','))
		return err_set("directory '%s' has a comma", g->dir);
	if (path_fmt(g->qmp_path, sizeof(g->qmp_path), "%s/qmp.sock",
		     g->dir) < 0 ||
	    path_fmt(g->serial_path, sizeof(g->serial_path), "%s/serial.sock",
		     g->dir) < 0 ||
	    path_fmt(g->log_path, sizeof(g->log_path), "%s/serial.log",
		     g->dir) < 0 ||
	    path_fmt(g->qemu_log_path, sizeof(g->qemu_log_path),
		     "%s/qemu.log", g->dir) < 0)
		return -1;
	return 0;
}

static void
add(struct qemu_args *a, const char *arg)
{
	if (a->argc < GUEST_ARGS_MAX - 1)
		a->argv[a->argc++] = arg;
}

static int
build_args(struct qemu_args *a, const struct guest *g,
	   const struct guest_opts *o, const char *kernel, const char *initrd)
{
	static const char *const fixed[] = {
		"qemu-system-x86_64", "-accel", "tcg", "-machine", "q35",
		"-m", "256", "-smp", "1", "-nodefaults", "-no-user-config",
		"-display", "none", "-serial", "chardev:ser0", NULL,
	};
	size_t n_extra = 0;

	while (o->extra && o->extra[n_extra])
		n_extra++;
	if (n_extra > GUEST_ARGS_MAX - 32)
		return err_set("too many extra QEMU arguments");
	for (int i = 0; fixed[i]; i++)
		add(a, fixed[i]);

	if (path_fmt(a->append, sizeof(a->append), "%s %s", GUEST_CMDLINE,
		     o->append ? o->append : "") < 0 ||
	    path_fmt(a->chardev, sizeof(a->chardev),
		     "socket,id=ser0,path=%s,server=on,wait=off,logfile=%s",
		     g->serial_path, g->log_path) < 0 ||
	    path_fmt(a->qmp, sizeof(a->qmp), "unix:%s,server=on,wait=off",
		     g->qmp_path) < 0)
		return -1;
	add(a, "-kernel");
	add(a, kernel);
	add(a, "-initrd");
	add(a, initrd);
	add(a, "-append");
	add(a, a->append);
	add(a, "-chardev");
	add(a, a->chardev);
	add(a, "-qmp");
	add(a, a->qmp);

	if (o->disk) {
		if (strchr(o->disk, ','))
			return err_set("disk path '%s' has a comma", o->disk);
		if (path_fmt(a->drive, sizeof(a->drive),
			     "file=%s,format=raw,if=virtio", o->disk) < 0)
			return -1;
		add(a, "-drive");
		add(a, a->drive);
	}
	for (size_t i = 0; i < n_extra; i++)
		add(a, o->extra[i]);
	a->argv[a->argc] = NULL;
	return 0;
}

static int
spawn(struct guest *g, const struct qemu_args *a)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return err_errno("cannot fork");
	if (pid > 0) {
		g->pid = pid;
		return 0;
	}

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	fd = open(g->qemu_log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp(a->argv[0], (char *const *)a->argv);
	fprintf(stderr, "cannot run '%s': %s\n", a->argv[0], strerror(errno));
	_exit(127);
}

/* Append the last line QEMU printed to the current error. */
static int
qemu_said(const struct guest *g)
{
	char *text = NULL, *last;
	size_t len;
	char msg[ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", err_msg());
	if (file_read_all(g->qemu_log_path, 1 << 16, &text, &len) < 0 ||
	    len == 0) {
		free(text);
		return err_set("%s", msg);
	}
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	last = strrchr(text, '\n');
	err_set("%s (qemu: %.300s)", msg, last ? last + 1 : text);
	free(text);
	return -1;
}

static int
qemu_alive(struct guest *g)
{
	int st;

	if (g->pid <= 0)
		return 0;
	if (waitpid(g->pid, &st, WNOHANG) == g->pid) {
		g->pid = -1;
		return 0;
	}
	return 1;
}

static void *
console_reader(void *arg)
{
	struct guest_console *c = arg;
	char chunk[4096];
	ssize_t n;

	for (;;) {
		n = read(c->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		pthread_mutex_lock(&c->lock);
		if (n <= 0) {
			c->closed = 1;
			pthread_cond_broadcast(&c->cond);
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		if (c->len + (size_t)n > GUEST_OUTPUT_MAX) {
			c->overflow = 1;
		} else {
			memcpy(c->buf + c->len, chunk, (size_t)n);
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
		}
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
}

static int
console_start(struct guest *g, int fd)
{
	struct guest_console *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c || !(c->buf = malloc(GUEST_OUTPUT_MAX + 1))) {
		free(c);
		close(fd);
		return err_errno("cannot allocate the console");
	}
	c->fd = fd;
	c->buf[0] = '\0';
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	g->con = c;
	if (pthread_create(&c->thread, NULL, console_reader, c) != 0)
		return err_set("cannot start the console reader");
	c->started = 1;
	return 0;
}

static void
console_stop(struct guest_console *c)
{
	if (!c)
		return;
	shutdown(c->fd, SHUT_RDWR);
	if (c->started)
		pthread_join(c->thread, NULL);
	close(c->fd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->buf);
	free(c);
}

/* Forget what the console printed so far. */
static void
console_clear(struct guest_console *c)
{
	pthread_mutex_lock(&c->lock);
	c->len = 0;
	c->buf[0] = '\0';
	c->overflow = 0;
	pthread_mutex_unlock(&c->lock);
}

/*
 * Wait until done(buf, ctx) holds for the output kept, or the
 * deadline.  Calls done with the lock held.
 */
static int
console_wait(struct guest_console *c, int64_t deadline_ms,
	     int (*done)(const char *, const void *), const void *ctx)
{
	struct timespec ts = {
		.tv_sec = deadline_ms / 1000,
		.tv_nsec = (deadline_ms % 1000) * 1000000,
	};
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	while (!done(c->buf, ctx)) {
		if (c->overflow) {
			rc = err_set("the guest printed more than %d bytes",
				     GUEST_OUTPUT_MAX);
			break;
		}
		if (c->closed) {
			rc = err_set("the serial console closed (qemu "
				     "exited?)");
			break;
		}
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) ==
		    ETIMEDOUT && !done(c->buf, ctx)) {
			rc = err_set("timed out waiting for the guest");
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static int
connect_serial(struct guest *g, int64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memcpy(sa.sun_path, g->serial_path, sizeof(g->serial_path));
	while (ms_now() < deadline) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return err_errno("cannot create a socket");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return console_start(g, fd);
		close(fd);
		if (!qemu_alive(g))
			return err_set("qemu exited before its serial socket "
				       "came up");
		usleep(10000);
	}
	return err_set("cannot connect to '%s' in time", g->serial_path);
}

static int
has_text(const char *buf, const void *text)
{
	return strstr(buf, text) != NULL;
}

struct guest *
guest_boot(const struct guest_opts *o)
{
	static const struct guest_opts none;
	struct qemu_args a = {.argc = 0};
	char kernel[PATH_BUF], initrd[PATH_BUF];
	struct guest *g = calloc(1, sizeof(*g));
	int64_t start, deadline;

	if (!g) {
		err_errno("cannot allocate a guest");
		return NULL;
	}
	g->pid = -1;
	o = o ? o : &none;
	if (guest_image(kernel, sizeof(kernel), initrd, sizeof(initrd)) < 0 ||
	    guest_paths(g, o) < 0 || build_args(&a, g, o, kernel, initrd) < 0)
		goto fail;

	start = ms_now();
	deadline = start + (o->boot_timeout_ms > 0 ? o->boot_timeout_ms
						   : GUEST_BOOT_TIMEOUT_MS);
	if (spawn(g, &a) < 0 || connect_serial(g, deadline) < 0 ||
	    console_wait(g->con, deadline, has_text, GUEST_READY) < 0) {
		err_prefix("cannot boot the guest");
		qemu_said(g);
		goto fail;
	}
	g->boot_seconds = (double)(ms_now() - start) / 1000.0;
	return g;

fail:
	guest_kill(g);
	return NULL;
}

struct guest *
guest_attach(const char *serial_sock, const char *console_log, int timeout_ms)
{
	struct guest *g = calloc(1, sizeof(*g));
	int64_t deadline = ms_now() + (timeout_ms > 0 ? timeout_ms
						      : GUEST_BOOT_TIMEOUT_MS);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *log;
	int fd;

	if (!g) {
		err_errno("cannot allocate a guest");
		return NULL;
	}
	g->pid = -1;
	if (path_fmt(g->serial_path, sizeof(g->serial_path), "%s",
		     serial_sock) < 0 ||
	    path_fmt(g->log_path, sizeof(g->log_path), "%s", console_log) < 0)
		goto fail;

	/* The guest said it is up in the log before anyone listened. */
	for (;;) {
		log = th_read(console_log);
		if (log && strstr(log, GUEST_READY)) {
			free(log);
			break;
		}
		free(log);
		if (ms_now() > deadline) {
			err_set("no %s in '%s' in time", GUEST_READY,
				console_log);
			goto fail;
		}
		usleep(50000);
	}

	memcpy(sa.sun_path, g->serial_path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_errno("cannot connect to '%s'", serial_sock);
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (console_start(g, fd) < 0 || guest_run(g, "true", 20000, NULL) != 0)
		goto fail;
	return g;

fail:
	guest_kill(g);
	return NULL;
}

/*
 * The markers around a command's output.  The typed line spells them
 * with "" inside so that the console's echo of it never matches.
 */
struct markers {
	char begin[64];
	char end[64];
};

/* Has the end marker and the "__" after its status arrived? */
static int
has_end(const char *buf, const void *ctx)
{
	const struct markers *m = ctx;
	const char *p = strstr(buf, m->begin);

	p = p ? strstr(p, m->end) : NULL;
	return p && strstr(p + strlen(m->end), "__") != NULL;
}

/* Copy the output between the markers, turning "\r\n" into "\n". */
static char *
cut_output(const char *buf, const struct markers *m, int *status)
{
	const char *from = strstr(buf, m->begin) + strlen(m->begin);
	const char *to = strstr(from, m->end);
	char *out = malloc((size_t)(to - from) + 1), *o = out;

	*status = atoi(to + strlen(m->end));
	if (!out)
		return NULL;
	from += strspn(from, "\r");
	from += *from == '\n';
	for (; from < to; from++)
		if (*from != '\r')
			*o++ = *from;
	*o = '\0';
	return out;
}

static int
type_line(struct guest *g, const char *line)
{
	size_t len = strlen(line);

	if (send(g->con->fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		return err_errno("cannot type on the serial console");
	return 0;
}

int
guest_run(struct guest *g, const char *cmd, int timeout_ms, char **output)
{
	struct markers m;
	char line[GUEST_CMD_MAX + 128];
	int status = -1;
	unsigned n = ++g->seq;
	char *out;

	if (output)
		*output = NULL;
	if (strlen(cmd) > GUEST_CMD_MAX || strchr(cmd, '\n'))
		return err_set("command too long or not one line");
	snprintf(m.begin, sizeof(m.begin), "__BEG_%u__", n);
	snprintf(m.end, sizeof(m.end), "__END_%u_", n);
	if (path_fmt(line, sizeof(line),
		     "echo __B\"\"EG_%u__; %s; echo __E\"\"ND_%u_$?__\n", n,
		     cmd, n) < 0)
		return -1;

	console_clear(g->con);
	if (type_line(g, line) < 0 ||
	    console_wait(g->con, ms_now() + timeout_ms, has_end, &m) < 0)
		return err_prefix("'%.60s'", cmd);

	pthread_mutex_lock(&g->con->lock);
	out = cut_output(g->con->buf, &m, &status);
	pthread_mutex_unlock(&g->con->lock);
	if (!out)
		return err_errno("cannot allocate the output");
	if (output)
		*output = out;
	else
		free(out);
	return status;
}

int
guest_wait(struct guest *g, int timeout_ms)
{
	int64_t deadline = ms_now() + timeout_ms;
	int st;

	while (g->pid > 0) {
		if (waitpid(g->pid, &st, WNOHANG) == g->pid) {
			g->pid = -1;
			return st;
		}
		if (ms_now() >= deadline)
			return -1;
		usleep(20000);
	}
	return -1;
}

void
guest_kill(struct guest *g)
{
	char cmd[PATH_BUF];

	if (!g)
		return;
	if (g->pid > 0) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
	}
	console_stop(g->con);
	if (g->own_dir && !getenv("SECVF_KEEP_TEST_HOME") &&
	    path_fmt(cmd, sizeof(cmd), "rm -rf '%s'", g->dir) == 0 &&
	    system(cmd) != 0)
		err_set("cannot remove '%s'", g->dir);
	free(g);
}
