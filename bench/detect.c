/*
 * detect: how long a running VM's supervisor takes from a cause to its
 * event in the security log, beside inotifywait -m and a bare inotify
 * read seeing the same cause; then the supervisor's CPU use beside
 * QEMU's, with the guest idle and with the guest busy.
 *
 * usage: detect SECVF_HOME VM ITERATIONS CPU_SECONDS
 *
 * VM runs the test guest under its supervisor (secvf vm start) and
 * nobody holds its serial console; $SECVF_HOME/detect.conf should set
 * ratelimit_interval = 0, or the limiter holds back the repeats of a
 * cause (one file's mode, the channel) and all but RATELIMIT_BURST new
 * names in each interval.  The causes, each
 * timed from the moment before it to the moment its line is read from
 * the log (inotify on logs/):
 *
 *   ITERATIONS files dropped into the bundle, each under a new name
 *     (fsevents.file.unexpected), seen by inotifywait and by this
 *     program's own inotify watch on the bundle too;
 *   ITERATIONS changes of the mode of MachineIdentifier
 *     (fsevents.permissions.changed), seen likewise;
 *   a few malformed frames the guest writes to its host channel port,
 *     typed on the serial console (vsock.protocol.violation), beside
 *     the guest's own echo on the console for the same command line:
 *     the host cannot write into that stream itself, since QEMU's
 *     channel socket takes one client and the supervisor is it.
 *
 * Needs inotifywait on PATH.
 */
#include "lib/err.h"
#include "lib/path.h"
#include "lib/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGET_MS 100.0
#define WAIT_MS 5000	      /* for one cause to be reported */
#define CHAN_WAIT_MS 15000    /* for the supervisor to reconnect */
#define SETTLE_MS 30	      /* between two causes */
#define LINE_MAX_LEN 65536    /* longest log line taken whole */
#define CON_KEEP 16384	      /* console text kept for markers */
#define CHAN_MIN_ITERATIONS 3 /* the channel reconnects in 2-3 s */

struct bench {
	char bundle[PATH_BUF];
	char logs[PATH_BUF];
	char run[PATH_BUF];
	char chan_sock[PATH_BUF];
	int bundle_fd;

	int log_ino;
	int log_fd;
	char log_date[11];
	char line[LINE_MAX_LEN];
	size_t line_len;

	int bare_ino;

	pid_t iw_pid;
	int iw_fd;
	char iw_buf[4096];
	size_t iw_len;

	int con_fd;
	char con[CON_KEEP + 1];
	size_t con_len;

	unsigned long chan_used; /* the channel connection used last */
	pid_t sup_pid, qemu_pid;
};

/* What one cause should produce, and when each observer saw it. */
struct expect {
	const char *event;     /* "\"event\":\"...\"" in the log line */
	char key[128];	       /* more text the line holds, "" none */
	char name[64];	       /* the name inotify reports, "" none */
	uint32_t mask;	       /* IN_CREATE or IN_ATTRIB */
	const char *iw_event;  /* inotifywait's name for mask */
	char marker[64];       /* console text, "" none */
	int64_t t0_ns, t0_us;  /* just before the cause */
	int64_t log_ns, ts_us; /* line read; its "ts" */
	int64_t bare_ns, iw_ns, con_ns;
};

/* Milliseconds from each cause to each observer. */
struct series {
	double *log, *ts, *bare, *iw, *con;
	int n, seen;
};

static int64_t
ms_since(int64_t t0_ns)
{
	return (time_mono_ns() - t0_ns) / 1000000;
}

static double
ms_between(int64_t t0_ns, int64_t t1_ns)
{
	return (double)(t1_ns - t0_ns) / 1e6;
}

/* ---- the security log -------------------------------------------- */

/* Read the log of date from its start (a new day's); -1 if absent. */
static int
log_switch(struct bench *b, const char *date)
{
	char path[PATH_BUF];
	int fd;

	if (path_fmt(path, sizeof(path), "%s/security-%s.log", b->logs, date) <
		    0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (b->log_fd >= 0)
		close(b->log_fd);
	b->log_fd = fd;
	snprintf(b->log_date, sizeof(b->log_date), "%s", date);
	b->line_len = 0;
	return 0;
}

/* Open today's log at its end: only lines from now on are read. */
static int
log_open(struct bench *b)
{
	char date[11];

	b->log_ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (b->log_ino < 0 ||
	    inotify_add_watch(b->log_ino, b->logs, IN_MODIFY | IN_CREATE) < 0)
		return err_errno("cannot watch '%s'", b->logs);
	time_date(time_now_us(), date);
	if (log_switch(b, date) < 0)
		return err_errno("cannot open the security log in '%s'",
				 b->logs);
	lseek(b->log_fd, 0, SEEK_END);
	return 0;
}

static void
log_line(struct expect *e, const char *line, int64_t now)
{
	const char *ts = strstr(line, "\"ts\":\"");
	char iso[TIME_ISO_LEN];
	int64_t us;

	if (e->log_ns >= 0 || !strstr(line, e->event) ||
	    (e->key[0] && !strstr(line, e->key)))
		return;
	e->log_ns = now;
	if (ts && sscanf(ts + 6, "%27[^\"]", iso) == 1 &&
	    time_parse(iso, &us) == 0)
		e->ts_us = us;
}

/* Read what was appended; hand each whole line to log_line(). */
static void
log_read(struct bench *b, struct expect *e)
{
	char buf[65536], date[11], *nl;
	ssize_t n;
	size_t i, take;

	while (read(b->log_ino, buf, sizeof(buf)) > 0)
		;
	if (b->log_fd < 0)
		return;
	while ((n = read(b->log_fd, buf, sizeof(buf))) > 0) {
		int64_t now = time_mono_ns();

		for (i = 0; i < (size_t)n; i += take) {
			nl = memchr(buf + i, '\n', (size_t)n - i);
			take = nl ? (size_t)(nl - (buf + i)) + 1
				  : (size_t)n - i;
			if (b->line_len + take < sizeof(b->line)) {
				memcpy(b->line + b->line_len, buf + i, take);
				b->line_len += take;
			}
			if (!nl)
				continue;
			b->line[b->line_len] = '\0';
			log_line(e, b->line, now);
			b->line_len = 0;
		}
	}
	time_date(time_now_us(), date);
	/* Past midnight (UTC), the lines go to the next day's log. */
	if (strcmp(date, b->log_date) && log_switch(b, date) == 0)
		log_read(b, e);
}

/* ---- the same cause seen by inotify itself ------------------------ */

static int
bare_open(struct bench *b)
{
	b->bare_ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (b->bare_ino < 0 || inotify_add_watch(b->bare_ino, b->bundle,
						 IN_CREATE | IN_ATTRIB) < 0)
		return err_errno("cannot watch '%s'", b->bundle);
	return 0;
}

static void
bare_read(struct bench *b, struct expect *e)
{
	char buf[16384] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	while ((n = read(b->bare_ino, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (e->bare_ns < 0 && ev->len && ev->mask & e->mask &&
			    !strcmp(ev->name, e->name))
				e->bare_ns = time_mono_ns();
		}
}

static int
iw_start(struct bench *b)
{
	int out[2];

	if (pipe2(out, O_CLOEXEC) < 0)
		return err_errno("cannot make a pipe");
	b->iw_pid = fork();
	if (b->iw_pid < 0)
		return err_errno("cannot fork");
	if (b->iw_pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execlp("inotifywait", "inotifywait", "-m", "-e", "create", "-e",
		       "attrib", "--format", "%e %f", b->bundle, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	b->iw_fd = out[0];
	fcntl(b->iw_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Lines of "EVENTS NAME", EVENTS a comma-separated list. */
static void
iw_line(struct expect *e, char *line, int64_t now)
{
	char *name = strchr(line, ' ');

	if (!name || e->iw_ns >= 0 || !e->iw_event)
		return;
	*name++ = '\0';
	if (!strcmp(name, e->name) && strstr(line, e->iw_event))
		e->iw_ns = now;
}

/* Read inotifywait's output; 1 once it said its watches are up. */
static int
iw_read(struct bench *b, struct expect *e)
{
	int64_t now = time_mono_ns();
	int ready = 0;
	char *nl, *p;
	ssize_t n;

	while ((n = read(b->iw_fd, b->iw_buf + b->iw_len,
			 sizeof(b->iw_buf) - 1 - b->iw_len)) > 0) {
		b->iw_len += (size_t)n;
		b->iw_buf[b->iw_len] = '\0';
		for (p = b->iw_buf; (nl = strchr(p, '\n')); p = nl + 1) {
			*nl = '\0';
			ready |= !strcmp(p, "Watches established.");
			if (e)
				iw_line(e, p, now);
		}
		b->iw_len -= (size_t)(p - b->iw_buf);
		memmove(b->iw_buf, p, b->iw_len);
		if (b->iw_len == sizeof(b->iw_buf) - 1)
			b->iw_len = 0; /* no line that long is ours */
	}
	return ready;
}

/* ---- the serial console ------------------------------------------- */

static int
con_open(struct bench *b)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[PATH_BUF];

	if (path_fmt(path, sizeof(path), "%s/console.sock", b->run) < 0 ||
	    strlen(path) >= sizeof(sa.sun_path))
		return err_set("console socket path too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	b->con_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->con_fd < 0 ||
	    connect(b->con_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_errno("cannot connect to '%s'", path);
	fcntl(b->con_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int
con_type(struct bench *b, const char *line)
{
	size_t len = strlen(line);

	if (send(b->con_fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		return err_errno("cannot type on the serial console");
	return 0;
}

/* Keep the console's text, the latest CON_KEEP bytes of it. */
static void
con_read(struct bench *b, struct expect *e)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(b->con_fd, buf, sizeof(buf))) > 0) {
		if ((size_t)n > CON_KEEP)
			n = CON_KEEP;
		if (b->con_len + (size_t)n > CON_KEEP) {
			size_t drop = b->con_len + (size_t)n - CON_KEEP;

			memmove(b->con, b->con + drop, b->con_len - drop);
			b->con_len -= drop;
		}
		memcpy(b->con + b->con_len, buf, (size_t)n);
		b->con_len += (size_t)n;
		b->con[b->con_len] = '\0';
	}
	if (e && e->marker[0] && e->con_ns < 0 && strstr(b->con, e->marker)) {
		e->con_ns = time_mono_ns();
		b->con_len = 0;
		b->con[0] = '\0';
	}
}

/* ---- waiting ------------------------------------------------------ */

static int
observed(const struct expect *e)
{
	return e->log_ns >= 0 && (!e->name[0] || e->bare_ns >= 0) &&
	       (!e->iw_event || e->iw_ns >= 0) &&
	       (!e->marker[0] || e->con_ns >= 0);
}

static void
discard(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Read whatever comes in, for at most ms (or until e is observed). */
static void
pump(struct bench *b, struct expect *e, int ms)
{
	int64_t t0 = time_mono_ns();
	struct pollfd fds[4] = {
		{.fd = b->bare_ino, .events = POLLIN},
		{.fd = b->iw_fd, .events = POLLIN},
		{.fd = b->log_ino, .events = POLLIN},
		{.fd = b->con_fd, .events = POLLIN},
	};
	int left;

	while ((left = ms - (int)ms_since(t0)) > 0) {
		if (poll(fds, 4, left) < 0 && errno != EINTR)
			return;
		if (fds[0].revents && e)
			bare_read(b, e);
		else if (fds[0].revents)
			discard(b->bare_ino);
		if (fds[1].revents)
			iw_read(b, e);
		if (fds[2].revents && e)
			log_read(b, e);
		else if (fds[2].revents)
			discard(b->log_ino);
		if (fds[3].revents)
			con_read(b, e);
		if (e && observed(e))
			return;
	}
}

/* Forget the log so far: the next cause's line is the next one. */
static void
skip_log(struct bench *b)
{
	pump(b, NULL, SETTLE_MS);
	if (b->log_fd >= 0)
		lseek(b->log_fd, 0, SEEK_END);
	b->line_len = 0;
}

static void
expect_init(struct expect *e, const char *event)
{
	memset(e, 0, sizeof(*e));
	e->event = event;
	e->log_ns = e->bare_ns = e->iw_ns = e->con_ns = -1;
	e->ts_us = -1;
}

static void
start_clock(struct expect *e)
{
	e->t0_us = time_now_us();
	e->t0_ns = time_mono_ns();
}

/* Add what the observers of e saw to s. */
static void
record(struct series *s, const struct expect *e)
{
	if (e->log_ns < 0)
		return;
	s->log[s->seen] = ms_between(e->t0_ns, e->log_ns);
	s->ts[s->seen] =
		e->ts_us >= 0 ? (double)(e->ts_us - e->t0_us) / 1e3 : -1;
	s->bare[s->seen] =
		e->bare_ns >= 0 ? ms_between(e->t0_ns, e->bare_ns) : -1;
	s->iw[s->seen] = e->iw_ns >= 0 ? ms_between(e->t0_ns, e->iw_ns) : -1;
	s->con[s->seen] = e->con_ns >= 0 ? ms_between(e->t0_ns, e->con_ns) : -1;
	s->seen++;
}

/* ---- the causes --------------------------------------------------- */

static int
drop_file(struct bench *b, int i, struct expect *e)
{
	int fd;

	expect_init(e, "\"event\":\"file.unexpected\"");
	snprintf(e->name, sizeof(e->name), "bench-drop-%04d", i);
	snprintf(e->key, sizeof(e->key), "\"name\":\"%s\"", e->name);
	e->mask = IN_CREATE;
	e->iw_event = "CREATE";

	start_clock(e);
	fd = openat(b->bundle_fd, e->name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno("cannot create '%s' in '%s'", e->name,
				 b->bundle);
	if (write(fd, "x\n", 2) != 2)
		err_errno("cannot write '%s'", e->name);
	close(fd);
	pump(b, e, WAIT_MS);
	unlinkat(b->bundle_fd, e->name, 0);
	return 0;
}

static int
change_mode(struct bench *b, int i, struct expect *e)
{
	mode_t mode = i % 2 ? 0600 : 0640;

	expect_init(e, "\"event\":\"permissions.changed\"");
	snprintf(e->name, sizeof(e->name), "MachineIdentifier");
	snprintf(e->key, sizeof(e->key), "\"new_mode\":\"%06o\"",
		 (unsigned)(S_IFREG | mode));
	e->mask = IN_ATTRIB;
	e->iw_event = "ATTRIB";

	start_clock(e);
	if (fchmodat(b->bundle_fd, e->name, mode, 0) < 0)
		return err_errno("cannot chmod '%s' in '%s'", e->name,
				 b->bundle);
	pump(b, e, WAIT_MS);
	return 0;
}

/*
 * The inode of a connection QEMU's channel socket has (the supervisor
 * is its one client), or 0.  A connection whose peer has just closed
 * is still listed until QEMU closes its end.
 */
static unsigned long
chan_inode(const struct bench *b)
{
	char line[1024], path[PATH_BUF];
	unsigned long ino, found = 0;
	unsigned st;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %*s %x %lu %4095s", &st, &ino,
			   path) == 3 &&
		    st == 3 && !strcmp(path, b->chan_sock))
			found = ino;
	fclose(f);
	return found;
}

static int
bad_frame(struct bench *b, int i, struct expect *e)
{
	char cmd[256];
	int64_t t0 = time_mono_ns();
	unsigned long ino;

	/* A new connection: the last one was dropped at its violation. */
	while (!(ino = chan_inode(b)) || ino == b->chan_used) {
		if (ms_since(t0) > CHAN_WAIT_MS)
			return err_set("the supervisor did not connect to "
				       "'%s'",
				       b->chan_sock);
		pump(b, NULL, 50);
	}
	b->chan_used = ino;
	pump(b, NULL, 300); /* and QEMU told the guest */

	skip_log(b);
	expect_init(e, "\"event\":\"protocol.violation\"");
	snprintf(e->marker, sizeof(e->marker), "__CH_%d__", i);
	snprintf(cmd, sizeof(cmd),
		 "printf 'XXXX\\001\\001\\000\\000\\000\\000\\000\\000' "
		 "> /dev/vport1p1; echo __C\"\"H_%d__\n",
		 i);
	start_clock(e);
	if (con_type(b, cmd) < 0)
		return -1;
	pump(b, e, WAIT_MS);
	return 0;
}

/* ---- CPU ---------------------------------------------------------- */

/* utime + stime of pid, in clock ticks; -1 when it is gone. */
static long long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* After "(comm)": state, then fields 4-13, then utime, stime. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

struct cpu {
	double sup, qemu; /* percent of one core */
};

static int
cpu_window(struct bench *b, int seconds, struct cpu *out)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	long long s0 = cpu_ticks(b->sup_pid), q0 = cpu_ticks(b->qemu_pid);
	int64_t t0 = time_mono_ns();
	long long s1, q1;
	double secs;

	pump(b, NULL, seconds * 1000);
	s1 = cpu_ticks(b->sup_pid);
	q1 = cpu_ticks(b->qemu_pid);
	secs = (double)(time_mono_ns() - t0) / 1e9;
	if (s0 < 0 || q0 < 0 || s1 < 0 || q1 < 0)
		return err_set("the supervisor or QEMU went away");
	out->sup = 100.0 * (double)(s1 - s0) / hz / secs;
	out->qemu = 100.0 * (double)(q1 - q0) / hz / secs;
	return 0;
}

/* Wait for text on the console (typed with "" inside it). */
static int
con_await(struct bench *b, const char *marker, int ms)
{
	struct expect e;

	expect_init(&e, "");
	e.log_ns = 0;
	snprintf(e.marker, sizeof(e.marker), "%s", marker);
	pump(b, &e, ms);
	return e.con_ns >= 0 ? 0 : err_set("no '%s' on the console", marker);
}

/* The guest writes random data to its disk in a loop for seconds. */
static int
cpu_busy(struct bench *b, int seconds, struct cpu *out)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "end=$(($(date +%%s) + %d)); while [ $(date +%%s) -lt $end ]; "
		 "do dd if=/dev/urandom of=/dev/vda bs=1M count=8 "
		 "2>/dev/null; done; echo __BU\"\"SY_END__\n",
		 seconds + 2);
	if (con_type(b, cmd) < 0)
		return -1;
	pump(b, NULL, 1000);
	if (cpu_window(b, seconds, out) < 0)
		return -1;
	return con_await(b, "__BUSY_END__", 60000);
}

/* ---- reporting ---------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and p99 of the n values of v that are not negative. */
static int
summarize(const double *v, int n, double *median, double *p99)
{
	double *w = calloc((size_t)(n > 0 ? n : 1), sizeof(*w));
	int i, m = 0, i99;

	if (!w)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] >= 0)
			w[m++] = v[i];
	if (m) {
		qsort(w, (size_t)m, sizeof(*w), cmp_double);
		i99 = (99 * m + 99) / 100 - 1;
		*median = m % 2 ? w[m / 2] : (w[m / 2 - 1] + w[m / 2]) / 2;
		*p99 = w[i99 < 0 ? 0 : i99];
	}
	free(w);
	return m;
}

static void
row(const char *label, const double *v, int n, double *median, double *p99)
{
	double med = 0, p = 0;
	int m = summarize(v, n, &med, &p);

	if (!m) {
		printf("    %-38s (not seen)\n", label);
		return;
	}
	printf("    %-38s median %8.3f ms  p99 %8.3f ms\n", label, med, p);
	if (median)
		*median = med;
	if (p99)
		*p99 = p;
}

/* One cause: secvf's line, then the baselines, the ratio, the target. */
static void
report(const char *title, const char *ours, const char *base_label,
       const struct series *s, int baseline_is_console)
{
	const double *base = baseline_is_console ? s->con : s->iw;
	double om = 0, op = 0, bm = 0;

	printf("  %s (%d of %d reported)\n", title, s->seen, s->n);
	if (!s->seen)
		return;
	row(ours, s->log, s->seen, &om, &op);
	row("  its \"ts\" field", s->ts, s->seen, NULL, NULL);
	row(base_label, base, s->seen, &bm, NULL);
	if (!baseline_is_console)
		row("bare inotify read", s->bare, s->seen, NULL, NULL);
	if (bm > 0)
		printf("    %-38s %.1fx\n", "ratio secvf/baseline (median)",
		       om / bm);
	printf("    %-38s %s\n", "target p99 under 100 ms",
	       op < TARGET_MS ? "met" : "MISSED");
}

static int
series_alloc(struct series *s, int n)
{
	size_t z = (size_t)(n > 0 ? n : 1);

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->log = calloc(z, sizeof(double));
	s->ts = calloc(z, sizeof(double));
	s->bare = calloc(z, sizeof(double));
	s->iw = calloc(z, sizeof(double));
	s->con = calloc(z, sizeof(double));
	return s->log && s->ts && s->bare && s->iw && s->con ? 0 : -1;
}

static void
series_free(struct series *s)
{
	free(s->log);
	free(s->ts);
	free(s->bare);
	free(s->iw);
	free(s->con);
}

/* ---- the run ------------------------------------------------------ */

static pid_t
read_pid(const struct bench *b, const char *file)
{
	char path[PATH_BUF];
	long pid = 0;
	FILE *f;

	if (path_fmt(path, sizeof(path), "%s/%s", b->run, file) < 0 ||
	    !(f = fopen(path, "re")))
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}

static int
setup(struct bench *b, const char *home, const char *vm)
{
	int64_t t0;

	if (path_fmt(b->bundle, sizeof(b->bundle), "%s/Linux/%s.bundle", home,
		     vm) < 0 ||
	    path_fmt(b->logs, sizeof(b->logs), "%s/logs", home) < 0 ||
	    path_fmt(b->run, sizeof(b->run), "%s/run/%s", home, vm) < 0 ||
	    path_fmt(b->chan_sock, sizeof(b->chan_sock), "%s/channel.sock",
		     b->run) < 0)
		return -1;
	b->sup_pid = read_pid(b, "supervisor.pid");
	b->qemu_pid = read_pid(b, "qemu.pid");
	if (b->sup_pid <= 0 || b->qemu_pid <= 0)
		return err_set("no supervisor.pid or qemu.pid in '%s'", b->run);
	b->bundle_fd = open(b->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->bundle_fd < 0)
		return err_errno("cannot open '%s'", b->bundle);
	if (log_open(b) < 0 || bare_open(b) < 0 || iw_start(b) < 0 ||
	    con_open(b) < 0)
		return -1;

	for (t0 = time_mono_ns(); !iw_read(b, NULL); usleep(10000))
		if (ms_since(t0) > 10000)
			return err_set("inotifywait did not set up its watch");
	if (con_type(b, "\necho __RE\"\"ADY__\n") < 0 ||
	    con_await(b, "__READY__", 30000) < 0)
		return err_prefix("the guest shell did not answer");
	return 0;
}

static int
run_causes(struct bench *b, struct series *drop, struct series *perm,
	   struct series *chan)
{
	struct expect e;
	int i;

	for (i = 0; i < drop->n; i++) {
		skip_log(b);
		if (drop_file(b, i, &e) < 0)
			return -1;
		record(drop, &e);
	}
	for (i = 0; i < perm->n; i++) {
		skip_log(b);
		if (change_mode(b, i, &e) < 0)
			return -1;
		record(perm, &e);
	}
	for (i = 0; i < chan->n; i++) {
		if (bad_frame(b, i, &e) < 0)
			return -1;
		record(chan, &e);
	}
	return 0;
}

static void
release(struct bench *b)
{
	if (b->iw_pid > 0) {
		kill(b->iw_pid, SIGTERM);
		waitpid(b->iw_pid, NULL, 0);
	}
	if (b->iw_fd >= 0)
		close(b->iw_fd);
	if (b->con_fd >= 0)
		close(b->con_fd);
	if (b->log_fd >= 0)
		close(b->log_fd);
	if (b->log_ino >= 0)
		close(b->log_ino);
	if (b->bare_ino >= 0)
		close(b->bare_ino);
	if (b->bundle_fd >= 0)
		close(b->bundle_fd);
}

static void
print_load(void)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "re");

	if (f && fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
	printf("  (load average at the end: %s; %ld cores)\n", buf,
	       sysconf(_SC_NPROCESSORS_ONLN));
}

static void
cpu_row(const char *label, const struct cpu *c)
{
	printf("  %-11s supervisor %6.2f %%   QEMU %6.1f %%   "
	       "ratio supervisor/QEMU %.4f\n",
	       label, c->sup, c->qemu, c->qemu > 0 ? c->sup / c->qemu : 0.0);
}

static void
print_results(const struct series *drop, const struct series *perm,
	      const struct series *chan, const struct cpu *idle,
	      const struct cpu *busy, int cpu_seconds)
{
	printf("detect: cause -> event line read from the security log, "
	       "VM under its supervisor\n"
	       "  (test guest, 128 MiB, 1 vCPU, TCG; inotify on logs/)\n");
	report("file dropped into the bundle, a new name each time",
	       "secvf fsevents.file.unexpected", "baseline inotifywait -m",
	       drop, 0);
	report("mode of MachineIdentifier changed",
	       "secvf fsevents.permissions.changed", "baseline inotifywait -m",
	       perm, 0);
	report("malformed frame the guest writes to its host channel",
	       "secvf vsock.protocol.violation",
	       "baseline guest's echo on the console", chan, 1);
	printf("supervisor CPU beside QEMU's, %d s windows (%% of one core; "
	       "one clock tick is %.2f %%)\n",
	       cpu_seconds, 100.0 / (double)sysconf(_SC_CLK_TCK) / cpu_seconds);
	cpu_row("guest idle", idle);
	cpu_row("guest busy", busy);
	printf("  (busy: dd from /dev/urandom to /dev/vda in a loop)\n");
	print_load();
}

int
main(int argc, char **argv)
{
	struct bench b = {
		.bundle_fd = -1,
		.log_ino = -1,
		.log_fd = -1,
		.bare_ino = -1,
		.iw_fd = -1,
		.con_fd = -1,
	};
	int n = argc > 3 ? atoi(argv[3]) : 0;
	int secs = argc > 4 ? atoi(argv[4]) : 0;
	int nchan = n / 8 > CHAN_MIN_ITERATIONS ? n / 8 : CHAN_MIN_ITERATIONS;
	struct series drop, perm, chan;
	struct cpu idle, busy;
	int status = 1;

	if (argc != 5 || n <= 0 || secs <= 0) {
		fprintf(stderr, "usage: detect SECVF_HOME VM ITERATIONS "
				"CPU_SECONDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (series_alloc(&drop, n) < 0 || series_alloc(&perm, n) < 0 ||
	    series_alloc(&chan, nchan) < 0)
		err_set("out of memory");
	else if (setup(&b, argv[1], argv[2]) == 0 &&
		 run_causes(&b, &drop, &perm, &chan) == 0 &&
		 cpu_window(&b, secs, &idle) == 0 &&
		 cpu_busy(&b, secs, &busy) == 0)
		status = 0;

	if (status == 0)
		print_results(&drop, &perm, &chan, &idle, &busy, secs);
	else
		fprintf(stderr, "detect: %s\n", err_msg());
	release(&b);
	series_free(&drop);
	series_free(&perm);
	series_free(&chan);
	return status;
}
