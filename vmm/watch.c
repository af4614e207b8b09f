#include "watch.h"

#include "detect/chanproto.h"
#include "detect/config.h"
#include "detect/correlate.h"
#include "detect/evlive.h"
#include "detect/evlog.h"
#include "detect/fsdetect.h"
#include "detect/hvdetect.h"
#include "detect/respond.h"
#include "detect/sharescan.h"
#include "detect/usbdetect.h"
#include "lib/diag.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/path.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"
#include "vmm/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCAN_EVERY_US 5000000LL	    /* shares, without inotify activity */
#define SCAN_MIN_GAP_US 250000LL    /* shares, at most this often */
#define CHAN_RETRY_US 2000000LL	    /* reconnect the host channel */
#define TAIL_MAX (256 * 1024)	    /* bytes of a log read per wake-up */
#define NVRAM_MAX (64 << 20)
#define CHILDREN_MAX 64

struct vmwatch {
	char name[VM_NAME_MAX];
	char bundle[PATH_BUF];
	char run[PATH_BUF];
	pid_t qemu_pid;
	struct det_config cfg;
	struct evlive *live;	   /* the event log and the live rules */
	struct det_sink sink;	   /* detectors: log, correlate, respond */
	struct det_sink corr_sink; /* correlation: log, respond */
	struct hvdetect hv;
	struct fsdetect fs;
	struct correlate corr;
	struct usbdetect usb;
	int have_usb;
	struct sharescan shares[VM_MAX_SHARES];
	int share_wd[VM_MAX_SHARES];
	size_t nshares;
	int64_t last_scan_us;
	int ino;
	int wd_bundle;
	int wd_run;
	int chan_fd;
	struct chanproto_parser chan;
	int chan_ready;
	struct ratelimit chan_rl;
	int64_t chan_retry_us;
	off_t console_off;
	off_t requests_off;
	int64_t nvram_mtime_ns;
	char nvram_hash[65];
};

/* ---- where events go --------------------------------------------- */

struct emergency {
	char *line;
	int64_t timeout_us;
};

static void *
emergency_thread(void *arg)
{
	struct emergency *e = arg;
	struct respond_result res;

	if (respond_emergency(e->line, e->timeout_us, &res) < 0 ||
	    res.error[0]) {
		json_t *data = json_pack("{s:s}", "error",
					 res.error[0] ? res.error : err_msg());

		evlog_write(EV_WARNING, "secvf", "response.failed", NULL, data);
		json_decref(data);
	}
	free(e->line);
	free(e);
	return NULL;
}

/* Tell people (hook, notification) without holding up the loop. */
static void
respond_async(struct vmwatch *w, const char *subsystem, const char *event,
	      json_t *data)
{
	char ts[TIME_ISO_LEN];
	struct emergency *e = calloc(1, sizeof(*e));
	pthread_t t;
	json_t *ev;

	if (!e)
		return;
	time_iso(time_now_us(), ts);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "ts", ts, "severity",
		       "EMERGENCY", "subsystem", subsystem, "event", event,
		       "vm", w->name, "data", data);
	e->line = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER)
		     : NULL;
	json_decref(ev);
	e->timeout_us = w->cfg.hook_timeout_us;
	if (!e->line || pthread_create(&t, NULL, emergency_thread, e) != 0) {
		free(e->line);
		free(e);
		return;
	}
	pthread_detach(t);
}

static void
record(struct vmwatch *w, enum ev_severity sev, const char *subsystem,
       const char *event, json_t *data)
{
	if (evlive_write(w->live, sev, subsystem, event, w->name, data) < 0)
		diag_warn("cannot record %s.%s: %s", subsystem, event,
			  err_msg());
	if (sev == EV_EMERGENCY)
		respond_async(w, subsystem, event, data);
}

static void
sink_detector(void *ctx, enum ev_severity sev, const char *subsystem,
	      const char *event, json_t *data)
{
	struct vmwatch *w = ctx;

	record(w, sev, subsystem, event, data);
	json_decref(data);
	correlate_feed(&w->corr, w->name, sev, subsystem, event,
		       time_now_us());
}

static void
sink_correlation(void *ctx, enum ev_severity sev, const char *subsystem,
		 const char *event, json_t *data)
{
	record(ctx, sev, subsystem, event, data);
	json_decref(data);
}

void
vmwatch_emit(struct vmwatch *w, int severity, const char *subsystem,
	     const char *event, json_t *data)
{
	sink_detector(w, (enum ev_severity)severity, subsystem, event, data);
}

/* ---- layer 3: the bundle ----------------------------------------- */

static int
stat_file(struct vmwatch *w, const char *name, struct fs_stat *out,
	  char *hash)
{
	char path[PATH_BUF], *data;
	struct stat st;
	size_t len;
	int64_t mtime;

	if (path_fmt(path, sizeof(path), "%s/%s", w->bundle, name) < 0 ||
	    lstat(path, &st) < 0)
		return -1;
	*out = (struct fs_stat){
		.name = name, .mode = st.st_mode, .uid = st.st_uid,
		.gid = st.st_gid, .blocks = (int64_t)st.st_blocks,
		.size = (int64_t)st.st_size,
	};
	if (strcmp(name, "NVRAM") || !S_ISREG(st.st_mode))
		return 0;

	/* Hash NVRAM only when it may have changed. */
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (mtime != w->nvram_mtime_ns &&
	    file_read_all(path, NVRAM_MAX, &data, &len) == 0) {
		sha256_hex_buf(data, len, w->nvram_hash);
		w->nvram_mtime_ns = mtime;
		free(data);
	}
	memcpy(hash, w->nvram_hash, 65);
	out->sha256 = w->nvram_hash[0] ? hash : NULL;
	return 0;
}

static void
rescan_bundle(struct vmwatch *w, int64_t now)
{
	struct fs_stat list[FS_FILES];
	char names[FS_FILES][FS_NAME_MAX], hash[65];
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(w->bundle);

	if (!d)
		return;
	while ((e = readdir(d)) && n < FS_FILES) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    strlen(e->d_name) >= FS_NAME_MAX)
			continue;
		strcpy(names[n], e->d_name);
		if (stat_file(w, names[n], &list[n], hash) == 0)
			n++;
	}
	closedir(d);
	fsdetect_feed_rescan(&w->fs, list, n, now);
}

static void
sample_bundle(struct vmwatch *w, int64_t now)
{
	static const char *const files[] = {"config.plist", "Disk.img",
					    "NVRAM", "MachineIdentifier"};
	struct fs_stat st;
	char hash[65];
	size_t i;

	if (fsdetect_needs_rescan(&w->fs)) {
		rescan_bundle(w, now);
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (stat_file(w, files[i], &st, hash) == 0)
			fsdetect_feed_stat(&w->fs, &st, now);
}

/* A chmod or chown in the bundle is judged now, not at the next sample. */
static void
attrib_changed(struct vmwatch *w, const char *name, int64_t now)
{
	char path[PATH_BUF];
	struct fs_stat fst;
	struct stat st;

	if (path_fmt(path, sizeof(path), "%s/%s", w->bundle, name) < 0 ||
	    lstat(path, &st) < 0)
		return;
	fst = (struct fs_stat){
		.name = name,
		.mode = st.st_mode,
		.uid = st.st_uid,
		.gid = st.st_gid,
	};
	fsdetect_feed_attrib(&w->fs, &fst, now);
}

/* ---- layer 1: the QEMU process ------------------------------------ */

static int64_t
count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int64_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
proc_status(pid_t pid, int64_t *rss, int64_t *threads)
{
	char path[64], line[256];
	long long v;
	FILE *f;

	*rss = *threads = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %lld kB", &v) == 1)
			*rss = v * 1024;
		else if (sscanf(line, "Threads: %lld", &v) == 1)
			*threads = v;
	}
	fclose(f);
}

static void
read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Children of pid (every thread's), except skip. */
static size_t
children_of(pid_t pid, pid_t skip, struct hv_child *out, char comm[][64],
	    char exe[][PATH_BUF], size_t n, size_t max)
{
	char path[PATH_BUF], text[4096], *tok, *save;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if (!(d = opendir(path)))
		return n;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/children",
			 (long)pid, e->d_name);
		read_small(path, text, sizeof(text));
		for (tok = strtok_r(text, " ", &save); tok && n < max;
		     tok = strtok_r(NULL, " ", &save)) {
			pid_t child = (pid_t)atol(tok);
			ssize_t len;

			if (child == skip)
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/comm",
				 (long)child);
			read_small(path, comm[n], sizeof(comm[n]));
			snprintf(path, sizeof(path), "/proc/%ld/exe",
				 (long)child);
			len = readlink(path, exe[n], PATH_BUF - 1);
			exe[n][len > 0 ? len : 0] = '\0';
			out[n] = (struct hv_child){child, comm[n], exe[n]};
			n++;
		}
	}
	closedir(d);
	return n;
}

static void
sample_process(struct vmwatch *w, int64_t now)
{
	static struct hv_child kids[CHILDREN_MAX];
	static char comm[CHILDREN_MAX][64], exe[CHILDREN_MAX][PATH_BUF];
	struct hv_sample s = {0};
	size_t n;

	s.fds = count_fds(w->qemu_pid);
	if (s.fds < 0)
		return;
	proc_status(w->qemu_pid, &s.rss_bytes, &s.threads);
	n = children_of(w->qemu_pid, 0, kids, comm, exe, 0, CHILDREN_MAX);
	n = children_of(getpid(), w->qemu_pid, kids, comm, exe, n,
			CHILDREN_MAX);
	s.children = kids;
	s.n_children = n;
	hvdetect_feed_sample(&w->hv, &s, now);
}

/* ---- the run directory: console text, secvf's own requests ------- */

static char *
read_from(const char *path, off_t *off, size_t *len)
{
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size < *off)
		*off = 0; /* truncated: start over */
	buf = malloc(TAIL_MAX + 1);
	n = buf ? pread(fd, buf, TAIL_MAX, *off) : -1;
	close(fd);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	*off += n;
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void
read_console(struct vmwatch *w, int64_t now)
{
	char path[PATH_BUF], *text;
	size_t len;

	if (path_fmt(path, sizeof(path), "%s/console.log", w->run) < 0)
		return;
	while ((text = read_from(path, &w->console_off, &len))) {
		hvdetect_feed_console(&w->hv, text, len, now);
		free(text);
		if (len < TAIL_MAX)
			break;
	}
}

static enum hv_command
command_of(const char *action, int *known)
{
	*known = 1;
	if (!strcmp(action, "pause"))
		return HV_CMD_STOP;
	if (!strcmp(action, "stop"))
		return HV_CMD_POWERDOWN;
	if (!strcmp(action, "quit"))
		return HV_CMD_QUIT;
	*known = 0;
	return HV_CMD_STOP;
}

/* secvf's pause and stop requests explain the STOPs that follow. */
static void
read_requests(struct vmwatch *w)
{
	char path[PATH_BUF], *text, *line, *save;
	const char *action;
	json_int_t ts;
	size_t len;
	int known;
	json_t *o;

	if (path_fmt(path, sizeof(path), "%s/requests.jsonl", w->run) < 0 ||
	    !(text = read_from(path, &w->requests_off, &len)))
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		o = json_loads(line, 0, NULL);
		if (o && json_unpack(o, "{s:I, s:s}", "ts_us", &ts, "action",
				     &action) == 0) {
			enum hv_command c = command_of(action, &known);

			if (known)
				hvdetect_command(&w->hv, c, (int64_t)ts);
			if (known && c == HV_CMD_POWERDOWN)
				hvdetect_command(&w->hv, HV_CMD_QUIT,
						 (int64_t)ts);
		}
		json_decref(o);
	}
	free(text);
}

/* ---- layer 4: host channel and shares ----------------------------- */

static void
chan_message(void *ctx, const struct chan_msg *msg)
{
	(void)ctx;
	(void)msg;
}

static void
chan_close(struct vmwatch *w, int64_t now)
{
	if (w->chan_fd >= 0)
		close(w->chan_fd);
	w->chan_fd = -1;
	if (w->chan_ready)
		chanproto_release(&w->chan);
	w->chan_ready = 0;
	w->chan_retry_us = now + CHAN_RETRY_US;
}

static void
chan_connect(struct vmwatch *w, int64_t now)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[PATH_BUF];
	int fd;

	if (w->chan_fd >= 0 || now < w->chan_retry_us ||
	    path_fmt(path, sizeof(path), "%s/channel.sock", w->run) < 0 ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chanproto_init(&w->chan, (uint32_t)w->cfg.chan_max_message,
			   &w->sink, &w->chan_rl, chan_message, w) < 0) {
		close(fd);
		w->chan_retry_us = now + CHAN_RETRY_US;
		return;
	}
	w->chan_fd = fd;
	w->chan_ready = 1;
}

static void
chan_read(struct vmwatch *w, int64_t now)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(w->chan_fd, buf, sizeof(buf))) > 0)
		if (chanproto_feed(&w->chan, buf, (size_t)n, now) < 0 ||
		    w->chan.state == CHAN_DROP) {
			/* The rest of the stream is not read into memory. */
			chan_close(w, now);
			return;
		}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		chanproto_close(&w->chan, now);
		chan_close(w, now);
	}
}

static void
scan_shares(struct vmwatch *w, int64_t now)
{
	size_t i;

	if (now - w->last_scan_us < SCAN_MIN_GAP_US)
		return;
	w->last_scan_us = now;
	for (i = 0; i < w->nshares; i++)
		if (sharescan_scan(&w->shares[i], now) < 0)
			diag_debug("share scan: %s", err_msg());
}

/* ---- inotify ------------------------------------------------------- */

static void
handle_inotify(struct vmwatch *w, int64_t now)
{
	char buf[64 * 1024] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	int share_activity = 0, console = 0;
	ssize_t n;
	char *p;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n;
		     p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->wd == w->wd_run) {
				if (ev->len && !strcmp(ev->name,
						       "requests.jsonl"))
					read_requests(w);
				console |= ev->len &&
					   !strcmp(ev->name, "console.log");
				continue;
			}
			if (ev->wd == w->wd_bundle ||
			    ev->mask & IN_Q_OVERFLOW) {
				struct fs_event fe = {
					.wd = ev->wd,
					.mask = ev->mask,
					.name = ev->len ? ev->name : NULL,
				};

				fsdetect_feed_event(&w->fs, &fe, now);
				if (ev->mask & IN_ATTRIB && ev->len)
					attrib_changed(w, ev->name, now);
				continue;
			}
			share_activity = 1;
		}
	}
	if (fsdetect_needs_rescan(&w->fs))
		rescan_bundle(w, now);
	if (console)
		read_console(w, now);
	if (share_activity)
		scan_shares(w, now);
}

/* ---- the whole ---------------------------------------------------- */

static void
skip_to_end(struct vmwatch *w, const char *file, off_t *off)
{
	char path[PATH_BUF];
	struct stat st;

	if (path_fmt(path, sizeof(path), "%s/%s", w->run, file) == 0 &&
	    stat(path, &st) == 0)
		*off = st.st_size;
}

static int
hidden_name(const char *name, void *ctx)
{
	const struct vm_share *share = ctx;

	return share->hidden == VM_HIDE_DOTFILES && name[0] == '.';
}

static int
watch_shares(struct vmwatch *w, const struct vm_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nshares; i++) {
		if (sharescan_init(&w->shares[i], &w->cfg, &w->sink,
				   cfg->shares[i].path, hidden_name,
				   (void *)&cfg->shares[i]) < 0) {
			sharescan_release(&w->shares[i]);
			return err_prefix("share '%s'", cfg->shares[i].path);
		}
		w->nshares = i + 1;
		w->share_wd[i] = inotify_add_watch(
			w->ino, cfg->shares[i].path,
			IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB |
				IN_ONLYDIR);
	}
	return 0;
}

static int
watch_usb(struct vmwatch *w, const struct vm_config *cfg)
{
	json_t *configured = json_array();
	char id[32];
	size_t i;
	int rc;

	for (i = 0; i < cfg->nusb; i++) {
		snprintf(id, sizeof(id), "usb%zu", i);
		json_array_append_new(configured, json_pack("{s:s}", "id", id));
	}
	rc = usbdetect_init(&w->usb, &w->cfg, &w->sink, configured);
	json_decref(configured);
	w->have_usb = rc == 0;
	return rc;
}

static int
load_config(struct vmwatch *w)
{
	char path[PATH_BUF];

	det_config_defaults(&w->cfg);
	if (home_path(path, sizeof(path), "detect.conf") < 0)
		return -1;
	if (access(path, F_OK) == 0 && det_config_load(&w->cfg, path) < 0)
		return -1;
	return 0;
}

int
vmwatch_open(const struct vm_config *cfg, const char *bundle_dir,
	     const char *run_dir, pid_t qemu_pid, struct vmwatch **out)
{
	struct vmwatch *w = calloc(1, sizeof(*w));
	int64_t now = time_now_us();

	*out = NULL;
	if (!w)
		return err_set("out of memory");
	w->ino = w->chan_fd = w->wd_bundle = w->wd_run = -1;
	snprintf(w->name, sizeof(w->name), "%s", cfg->name);
	if (path_fmt(w->bundle, sizeof(w->bundle), "%s", bundle_dir) < 0 ||
	    path_fmt(w->run, sizeof(w->run), "%s", run_dir) < 0 ||
	    load_config(w) < 0)
		goto fail;
	w->qemu_pid = qemu_pid;
	w->live = evlive_new();
	w->sink = (struct det_sink){sink_detector, w};
	w->corr_sink = (struct det_sink){sink_correlation, w};
	correlate_init(&w->corr, &w->cfg, &w->corr_sink);
	ratelimit_init(&w->chan_rl, w->cfg.ratelimit_interval_us);
	if (hvdetect_init(&w->hv, &w->cfg, &w->sink,
			  (int64_t)cfg->memory_mb << 20) < 0)
		goto fail;
	fsdetect_init(&w->fs, &w->cfg, &w->sink, bundle_is_known_file,
		      "NVRAM", "Disk.img", now);

	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino < 0) {
		err_errno("cannot start inotify");
		goto fail;
	}
	/* Never IN_MODIFY on the bundle: every guest write would wake us. */
	w->wd_bundle = inotify_add_watch(
		w->ino, w->bundle,
		IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
			IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF |
			IN_MOVE_SELF | IN_ONLYDIR);
	w->wd_run = inotify_add_watch(w->ino, w->run,
				      IN_MODIFY | IN_CLOSE_WRITE | IN_ONLYDIR);
	if (w->wd_bundle < 0 || w->wd_run < 0) {
		err_errno("cannot watch '%s'", w->bundle);
		goto fail;
	}
	if (watch_shares(w, cfg) < 0 || watch_usb(w, cfg) < 0)
		goto fail;

	/* Only what is printed from now on is this run's. */
	skip_to_end(w, "console.log", &w->console_off);
	rescan_bundle(w, now);
	scan_shares(w, now);
	*out = w;
	return 0;

fail:
	vmwatch_close(w);
	return -1;
}

void
vmwatch_close(struct vmwatch *w)
{
	size_t i;

	if (!w)
		return;
	if (w->chan_fd >= 0 || w->chan_ready)
		chan_close(w, 0);
	for (i = 0; i < w->nshares; i++)
		sharescan_release(&w->shares[i]);
	if (w->have_usb)
		usbdetect_release(&w->usb);
	hvdetect_release(&w->hv);
	evlive_free(w->live);
	if (w->ino >= 0)
		close(w->ino);
	free(w);
}

int
vmwatch_pollfds(struct vmwatch *w, struct pollfd *fds)
{
	int n = 0;

	fds[n++] = (struct pollfd){.fd = w->ino, .events = POLLIN};
	if (w->chan_fd >= 0)
		fds[n++] = (struct pollfd){.fd = w->chan_fd, .events = POLLIN};
	return n;
}

void
vmwatch_handle(struct vmwatch *w, const struct pollfd *fds, int n)
{
	int64_t now = time_now_us();
	int i;

	for (i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == w->ino)
			handle_inotify(w, now);
		else if (fds[i].fd == w->chan_fd)
			chan_read(w, now);
	}
}

void
vmwatch_qmp_event(struct vmwatch *w, const json_t *event)
{
	const char *name = json_string_value(json_object_get(event, "event"));
	int64_t now = time_now_us();

	/* A request noted just before its command explains the event. */
	read_requests(w);
	if (name && !strcmp(name, "RESET"))
		fsdetect_boot(&w->fs, now);
	hvdetect_feed_qmp(&w->hv, event, now);
}

void
vmwatch_qmp_hup(struct vmwatch *w)
{
	hvdetect_feed_hup(&w->hv, time_now_us());
}

void
vmwatch_exit(struct vmwatch *w, int status)
{
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	read_requests(w);
	hvdetect_feed_exit(&w->hv, code, sig, time_now_us());
}

void
vmwatch_tick(struct vmwatch *w)
{
	int64_t now = time_now_us();

	read_requests(w);
	read_console(w, now);
	sample_bundle(w, now);
	sample_process(w, now);
	hvdetect_tick(&w->hv, now);
	chan_connect(w, now);
	if (now - w->last_scan_us >= SCAN_EVERY_US)
		scan_shares(w, now);
}

int
vmwatch_has_usb(const struct vmwatch *w)
{
	return w->have_usb;
}

/*
 * QEMU lists USB devices only as text (x-query-usb), one per line:
 * "  Device 0.1, Port 1, Speed 480 Mb/s, Product QEMU USB Tablet, ID: usb0"
 */
void
vmwatch_usb_text(struct vmwatch *w, const char *text)
{
	char line[512], port[32], speed[32], product[256], id[64];
	json_t *list = json_array();
	const char *p = text, *end;
	size_t len;

	while (p && *p) {
		end = strchr(p, '\n');
		len = end ? (size_t)(end - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p = end ? end + 1 : NULL;
		id[0] = product[0] = '\0';
		if (sscanf(line, " Device %*d.%*d, Port %31[^,], Speed %31[^,],"
				 " Product %255[^,], ID: %63s",
			   port, speed, product, id) < 3)
			continue;
		json_array_append_new(
			list, json_pack("{s:s, s:s, s:s, s:s}", "port", port,
					"speed", speed, "name", product, "id",
					id[0] ? id : port));
	}
	if (w->have_usb)
		usbdetect_feed(&w->usb, list, time_now_us());
	json_decref(list);
}
