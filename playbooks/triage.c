#include "triage.h"

#include "detect/evlog.h"
#include "forensics/casedb.h"
#include "forensics/caseuco.h"
#include "forensics/custody.h"
#include "forensics/imghash.h"
#include "forensics/sign.h"
#include "lib/datadir.h"
#include "lib/diag.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"
#include "lib/killpoint.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"
#include "playbooks/advice.h"
#include "playbooks/collect.h"
#include "playbooks/report.h"
#include "vmm/bundle.h"
#include "vmm/clone.h"
#include "vmm/qmp.h"
#include "vmm/vmstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 5000
#define DUMP_TIMEOUT_S 1800
#define CUSTODY_MAX 16
#define STAMP_TRIES 100

static const char *const step_names[TRIAGE_STEPS] = {
	[TRIAGE_PAUSE] = "pause",     [TRIAGE_SNAPSHOT] = "snapshot",
	[TRIAGE_MEMORY] = "memory",   [TRIAGE_COLLECT] = "collect",
	[TRIAGE_HASH] = "hash",	      [TRIAGE_SEAL] = "seal",
	[TRIAGE_RECORD] = "record",
};

/* The custody action each step records. */
static const char *const step_actions[TRIAGE_STEPS] = {
	[TRIAGE_PAUSE] = "paused",	   [TRIAGE_SNAPSHOT] = "snapshot",
	[TRIAGE_MEMORY] = "memory-dumped", [TRIAGE_COLLECT] = "collected",
	[TRIAGE_HASH] = "hashed",	   [TRIAGE_SEAL] = "sealed",
	[TRIAGE_RECORD] = "recorded",
};

struct custody_rec {
	struct custody_entry e;
	char action[32];
	char sha256[65];
	char note[512];
	char hash[65];
};

struct triage {
	const struct triage_opts *o;
	struct triage_result *r;
	int64_t t0_ns;
	int64_t t0_us;
	int64_t mono_start[TRIAGE_STEPS];
	char stamp[24]; /* YYYYMMDDTHHMMSSZ, then -2, -3 ... if taken */
	char home[PATH_BUF];
	char run[PATH_BUF];
	char bundle_dir[PATH_BUF];
	char actor[320];
	int lock_fd;
	struct qmp_conn *qmp;
	pid_t qemu_pid;
	struct casedb *db;
	char prev[65];
	int64_t next_seq;
	struct custody_rec custody[CUSTODY_MAX];
	size_t ncustody;
	char *custody_text;
	size_t custody_len;
	struct seal *seal;
	struct collect_report collected;
	json_t *snapshot_files;
	json_t *memory;
	struct disk_hash {
		pthread_t thread;
		int started;
		char path[PATH_BUF];
		char hex[65];
		uint64_t size;
		int rc;
		char error[ERR_MSG_MAX];
	} disk;
};

const char *
triage_outcome_name(enum triage_outcome o)
{
	static const char *const names[] = {"done", "skipped", "failed"};

	return names[o];
}

static struct triage_step *
step(struct triage *t, enum triage_step_id id)
{
	return &t->r->steps[id];
}

static void
step_begin(struct triage *t, enum triage_step_id id)
{
	struct triage_step *s = step(t, id);

	killpoint(step_names[id]);
	s->start_us = time_now_us();
	t->mono_start[id] = time_mono_ns();
	if (t->o->ui.step_begin)
		t->o->ui.step_begin(t->o->ui.arg, s);
}

static void
step_end(struct triage *t, enum triage_step_id id,
	 enum triage_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
step_end(struct triage *t, enum triage_step_id id,
	 enum triage_outcome outcome, const char *fmt, ...)
{
	struct triage_step *s = step(t, id);
	va_list ap;

	s->ns = time_mono_ns() - t->mono_start[id];
	s->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(s->note, sizeof(s->note), fmt, ap);
	va_end(ap);
	if (t->o->ui.step_end)
		t->o->ui.step_end(t->o->ui.arg, s);
}

/* Append a custody entry for a finished step to the in-memory trail. */
static int
custody_note(struct triage *t, enum triage_step_id id, const char *sha256)
{
	struct custody_rec *c;
	char *line;

	if (t->ncustody >= CUSTODY_MAX)
		return err_set("too many custody entries");
	c = &t->custody[t->ncustody];
	memset(c, 0, sizeof(*c));
	snprintf(c->action, sizeof(c->action), "%s", step_actions[id]);
	snprintf(c->note, sizeof(c->note), "%s: %s",
		 triage_outcome_name(step(t, id)->outcome), step(t, id)->note);
	if (sha256)
		snprintf(c->sha256, sizeof(c->sha256), "%s", sha256);
	c->e = (struct custody_entry){
		.seq = t->next_seq,
		.ts_us = step(t, id)->start_us,
		.action = c->action,
		.actor = t->actor,
		.evidence_id = 0,
		.sha256 = sha256 ? c->sha256 : NULL,
		.note = c->note,
	};

	line = custody_line(t->r->case_id, &c->e, t->prev);
	if (!line)
		return -1;
	sha256_hex_buf(line, strlen(line), c->hash);
	memcpy(t->prev, c->hash, sizeof(t->prev));

	t->custody_text = realloc(t->custody_text,
				  t->custody_len + strlen(line) + 2);
	if (!t->custody_text) {
		free(line);
		return err_set("out of memory");
	}
	t->custody_len += (size_t)sprintf(t->custody_text + t->custody_len,
					  "%s\n", line);
	free(line);
	t->next_seq++;
	t->ncustody++;
	return 0;
}

/* ---- step 1: pause ---------------------------------------------- */

static void
pause_vm(struct triage *t)
{
	char status[32] = "";
	int running = 0;
	struct vm_status st;

	step_begin(t, TRIAGE_PAUSE);
	t->qemu_pid = vm_qemu_pid(t->o->vm);
	if (!t->qemu_pid) {
		vm_status_get(t->o->vm, &st);
		snprintf(t->r->initial_state, sizeof(t->r->initial_state),
			 "%s", vm_run_state_name(st.state));
		step_end(t, TRIAGE_PAUSE, TRIAGE_SKIPPED,
			 "VM was %s: no QEMU process to pause",
			 t->r->initial_state);
		return;
	}

	if (vm_control_connect(t->o->vm, QMP_TIMEOUT_MS, &t->qmp) < 0 ||
	    qmp_status(t->qmp, QMP_TIMEOUT_MS, status, sizeof(status),
		       &running) != 0) {
		snprintf(t->r->initial_state, sizeof(t->r->initial_state),
			 "unresponsive");
		step_end(t, TRIAGE_PAUSE, TRIAGE_FAILED,
			 "cannot reach QEMU: %s", err_msg());
		qmp_close(t->qmp);
		t->qmp = NULL;
		return;
	}
	snprintf(t->r->initial_state, sizeof(t->r->initial_state), "%s",
		 status);
	if (!running) {
		t->r->pause_ms_from_start =
			(time_mono_ns() - t->t0_ns) / 1000000;
		step_end(t, TRIAGE_PAUSE, TRIAGE_SKIPPED,
			 "VM was already %s", status);
		return;
	}

	vm_request_note(t->o->vm, "pause");
	if (qmp_execute(t->qmp, "stop", NULL, QMP_TIMEOUT_MS, NULL) != 0 ||
	    qmp_status(t->qmp, QMP_TIMEOUT_MS, status, sizeof(status),
		       &running) != 0 ||
	    running) {
		step_end(t, TRIAGE_PAUSE, TRIAGE_FAILED,
			 "VM not confirmed paused: %s",
			 running ? "it still runs" : err_msg());
		return;
	}
	t->r->pause_ms_from_start = (time_mono_ns() - t->t0_ns) / 1000000;
	step_end(t, TRIAGE_PAUSE, TRIAGE_DONE,
		 "was running, now %s (%lld ms after start)", status,
		 (long long)t->r->pause_ms_from_start);
}

/* Once the VM is paused: is its supervisor still watching it? */
static void
check_supervisor(struct triage *t)
{
	struct vm_status st;

	snprintf(t->r->supervisor, sizeof(t->r->supervisor), "none");
	if (!t->qemu_pid || vm_status_get(t->o->vm, &st) < 0)
		return;
	if (st.supervisor_pid) {
		snprintf(t->r->supervisor, sizeof(t->r->supervisor),
			 "running");
		t->r->supervisor_pid = st.supervisor_pid;
		return;
	}
	if (!st.supervisor_gone)
		return;
	snprintf(t->r->supervisor, sizeof(t->r->supervisor), "missing");
	t->r->supervisor_pid = st.lost_supervisor_pid;
	if (vm_supervisor_report(t->o->vm) < 0)
		diag_warn("%s", err_msg());
}

/*
 * A stamp no earlier triage of this VM used: a run again within the
 * second after a killed one must not meet its snapshot or its bundle.
 */
static int
stamp_taken(struct triage *t, const char *dir)
{
	static const char *const exts[] = {"tar.zst", "tar.gz", "tar"};
	char name[VM_NAME_MAX], path[PATH_BUF];
	size_t i;
	int n;

	n = snprintf(name, sizeof(name), "%s-incident-%s", t->o->vm,
		     t->stamp);
	if (n > 0 && (size_t)n < sizeof(name) &&
	    bundle_find(name, path, sizeof(path), NULL) == 1)
		return 1;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (path_fmt(path, sizeof(path), "%s/incident-%s-%s.%s", dir,
			     t->o->vm, t->stamp, exts[i]) == 0 &&
		    access(path, F_OK) == 0)
			return 1;
	return 0;
}

static int
choose_stamp(struct triage *t)
{
	char dir[PATH_BUF], base[17];
	int i;

	if (home_subdir(dir, sizeof(dir), "incidents") < 0)
		return -1;
	memcpy(base, t->stamp, sizeof(base));
	for (i = 2; stamp_taken(t, dir); i++) {
		if (i > STAMP_TRIES)
			return err_set("every incident name of VM '%s' at %s "
				       "is taken",
				       t->o->vm, base);
		snprintf(t->stamp, sizeof(t->stamp), "%s-%d", base, i);
	}
	return 0;
}

/* ---- the case database, opened once the VM is paused ------------ */

static void
open_case(struct triage *t)
{
	char title[600];
	int exists;

	memcpy(t->prev, custody_zero_hash, sizeof(t->prev));
	t->next_seq = 1;
	if (casedb_open_wait(NULL, TRIAGE_DB_WAIT_MS, &t->db) < 0) {
		snprintf(t->r->db_error, sizeof(t->r->db_error), "%s",
			 err_msg());
		return;
	}

	exists = t->o->case_id ? casedb_case_exists(t->db, t->o->case_id) : 0;
	if (exists == 1) {
		t->r->case_id = t->o->case_id;
	} else {
		snprintf(title, sizeof(title), "triage of VM '%s' at %s",
			 t->o->vm, t->stamp);
		if (casedb_case_new(t->db, title, &t->r->case_id) < 0)
			goto fail;
	}
	if (casedb_custody_head(t->db, t->r->case_id, t->prev,
				&t->next_seq) < 0)
		goto fail;
	return;

fail:
	snprintf(t->r->db_error, sizeof(t->r->db_error), "%s", err_msg());
	casedb_close(t->db);
	t->db = NULL;
	t->r->case_id = 0;
	memcpy(t->prev, custody_zero_hash, sizeof(t->prev));
	t->next_seq = 1;
}

/*
 * The snapshot's disk is hashed in the background from the moment it
 * exists, while memory is dumped and artifacts are collected: its
 * reads and the compression overlap instead of adding up.
 */
static void *
disk_hash_thread(void *arg)
{
	struct disk_hash *d = arg;

	d->rc = imghash_path(d->path, NULL, NULL, d->hex, &d->size);
	if (d->rc < 0)
		snprintf(d->error, sizeof(d->error), "%s", err_msg());
	return NULL;
}

static void
disk_hash_start(struct triage *t)
{
	struct disk_hash *d = &t->disk;

	if (path_fmt(d->path, sizeof(d->path), "%s/Disk.img",
		     t->r->snapshot) < 0 ||
	    access(d->path, F_OK) < 0)
		return;
	d->started = pthread_create(&d->thread, NULL, disk_hash_thread, d) ==
		     0;
}

/* Wait for the disk's hash; -1 with err_msg() when it failed. */
static int
disk_hash_join(struct triage *t)
{
	struct disk_hash *d = &t->disk;

	if (!d->started)
		return err_set("the disk was not hashed");
	pthread_join(d->thread, NULL);
	d->started = 0;
	if (d->rc < 0)
		return err_set("%s", d->error);
	return 0;
}

/* ---- step 2: snapshot ------------------------------------------- */

static void
snapshot(struct triage *t)
{
	struct clone_report rep;
	char name[VM_NAME_MAX];
	int n, rc;

	step_begin(t, TRIAGE_SNAPSHOT);
	n = snprintf(name, sizeof(name), "%s-incident-%s", t->o->vm,
		     t->stamp);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		step_end(t, TRIAGE_SNAPSHOT, TRIAGE_FAILED,
			 "VM name too long for a snapshot name");
		return;
	}
	rc = clone_bundle(t->o->vm, name, &rep);
	if (rc != 1) {
		step_end(t, TRIAGE_SNAPSHOT, TRIAGE_FAILED, "%s", err_msg());
		return;
	}
	snprintf(t->r->snapshot, sizeof(t->r->snapshot), "%s", rep.path);
	step_end(t, TRIAGE_SNAPSHOT, TRIAGE_DONE, "%s (%s)", name,
		 clone_method_name(rep.method));
	disk_hash_start(t);
}

/* ---- step 3: memory --------------------------------------------- */

/* QEMU's dump status ("none", "active", "completed", "failed"). */
static int
query_dump(struct triage *t, char *status, size_t size)
{
	json_int_t done = 0, total = 0;
	const char *word = NULL;
	json_t *ret = NULL;

	if (qmp_execute(t->qmp, "query-dump", NULL, QMP_TIMEOUT_MS, &ret) !=
	    0)
		return -1;
	json_unpack(ret, "{s:s, s:I, s:I}", "status", &word, "completed",
		    &done, "total", &total);
	snprintf(status, size, "%s", word ? word : "none");
	if (!strcmp(status, "active") && total > 0 && t->o->ui.progress)
		t->o->ui.progress(t->o->ui.arg, "memory", (uint64_t)done,
				  (uint64_t)total);
	json_decref(ret);
	return 0;
}

/*
 * Wait for the dump to end.  QEMU's status, not the DUMP_COMPLETED
 * event, decides: the event of a dump an earlier, killed triage left
 * running may arrive on this connection too.
 */
static int
dump_poll(struct triage *t)
{
	int64_t deadline =
		time_mono_ns() + (int64_t)DUMP_TIMEOUT_S * 1000000000;
	char status[32], error[256] = "";
	const char *why;
	json_t *ev = NULL;
	int rc;

	while (time_mono_ns() < deadline) {
		rc = qmp_wait_event(t->qmp, "DUMP_COMPLETED", 100, &ev);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			why = json_string_value(json_object_get(
				json_object_get(ev, "data"), "error"));
			snprintf(error, sizeof(error), "%s", why ? why : "");
			json_decref(ev);
		}
		if (query_dump(t, status, sizeof(status)) < 0)
			return -1;
		if (!strcmp(status, "completed"))
			return 0;
		if (strcmp(status, "active"))
			return err_set("dump %s: %s", status,
				       error[0] ? error : "QEMU says no more");
	}
	return err_set("dump did not complete within %d s", DUMP_TIMEOUT_S);
}

/* A dump left running by a killed triage: let it end before ours. */
static int
dump_wait_idle(struct triage *t)
{
	int64_t deadline =
		time_mono_ns() + (int64_t)DUMP_TIMEOUT_S * 1000000000;
	char status[32];

	for (;;) {
		if (query_dump(t, status, sizeof(status)) < 0)
			return -1;
		if (strcmp(status, "active"))
			return 0;
		if (time_mono_ns() > deadline)
			return err_set("an earlier memory dump still runs "
				       "after %d s",
				       DUMP_TIMEOUT_S);
		usleep(100000);
	}
}

static void
dump_memory(struct triage *t)
{
	char path[PATH_BUF];
	json_t *args;
	int rc;

	step_begin(t, TRIAGE_MEMORY);
	if (t->o->no_memory) {
		step_end(t, TRIAGE_MEMORY, TRIAGE_SKIPPED, "--no-memory");
		return;
	}
	if (!t->qmp || !t->r->snapshot[0]) {
		step_end(t, TRIAGE_MEMORY, TRIAGE_SKIPPED, "%s",
			 !t->qmp ? "no QEMU to dump memory from"
				 : "no snapshot to dump into");
		return;
	}

	if (path_fmt(path, sizeof(path), "%s/memory.elf", t->r->snapshot) < 0) {
		step_end(t, TRIAGE_MEMORY, TRIAGE_FAILED, "%s", err_msg());
		return;
	}
	if (dump_wait_idle(t) < 0) {
		step_end(t, TRIAGE_MEMORY, TRIAGE_FAILED, "%s", err_msg());
		return;
	}
	chmod(t->r->snapshot, 0700);
	args = json_pack("{s:b, s:s+, s:b, s:s}", "paging", 0, "protocol",
			 "file:", path, "detach", 1, "format", "elf");
	rc = qmp_execute(t->qmp, "dump-guest-memory", args, QMP_TIMEOUT_MS,
			 NULL);
	json_decref(args);
	if (rc == 0) {
		killpoint("memory-dump");
		rc = dump_poll(t);
	}
	chmod(path, 0400);
	chmod(t->r->snapshot, 0500);

	if (rc != 0) {
		step_end(t, TRIAGE_MEMORY, TRIAGE_FAILED, "%s", err_msg());
		return;
	}
	step_end(t, TRIAGE_MEMORY, TRIAGE_DONE, "memory.elf in the snapshot");
}

/* ---- step 4: collect -------------------------------------------- */

static void
collect_progress(size_t i, size_t n, const struct artifact *a, void *arg)
{
	struct triage *t = arg;

	if (t->o->ui.progress)
		t->o->ui.progress(t->o->ui.arg, a->member, i, n);
}

static int
artifacts_path(const struct triage *t, char *buf, size_t size)
{
	if (t->o->artifacts)
		return path_fmt(buf, size, "%s", t->o->artifacts);
	return datadir_path(buf, size, "artifacts.yaml");
}

static int
collect(struct triage *t)
{
	static struct artifact_list list;
	char path[PATH_BUF], date[11], yesterday[11], since[TIME_ISO_LEN];
	char pid[24] = "";
	struct artifact_vars v;

	step_begin(t, TRIAGE_COLLECT);
	if (artifacts_path(t, path, sizeof(path)) < 0 ||
	    artifacts_load(path, &list) < 0) {
		step_end(t, TRIAGE_COLLECT, TRIAGE_FAILED, "%s", err_msg());
		return 0;
	}

	time_date(t->t0_us, date);
	time_date(t->t0_us - 86400LL * 1000000, yesterday);
	time_iso(t->t0_us - 3600LL * 1000000, since);
	since[19] = '\0'; /* journalctl takes "YYYY-MM-DD HH:MM:SS" */
	since[10] = ' ';
	if (t->qemu_pid)
		snprintf(pid, sizeof(pid), "%ld", (long)t->qemu_pid);
	v = (struct artifact_vars){
		.home = t->home, .vm = t->o->vm, .run = t->run,
		.bundle = t->bundle_dir, .date = date,
		.yesterday = yesterday, .since = since, .qemu_pid = pid,
	};

	if (collect_artifacts(t->seal, &list, &v, &t->collected,
			      collect_progress, t) < 0) {
		step_end(t, TRIAGE_COLLECT, TRIAGE_FAILED, "%s", err_msg());
		return -1;
	}
	step_end(t, TRIAGE_COLLECT, TRIAGE_DONE,
		 "%zu members, %llu bytes; %zu missing, %zu skipped",
		 json_array_size(t->collected.collected),
		 (unsigned long long)t->collected.bytes,
		 json_array_size(t->collected.missing),
		 json_array_size(t->collected.skipped));
	return 0;
}

/* ---- step 5: hash the snapshot ---------------------------------- */

static void
hash_progress(uint64_t done, uint64_t total, void *arg)
{
	struct triage *t = arg;

	if (t->o->ui.progress)
		t->o->ui.progress(t->o->ui.arg, "hash", done, total);
}

static int
is_image(const char *name)
{
	return !strcmp(name, "Disk.img") || !strcmp(name, "memory.elf");
}

static int
hash_file(struct triage *t, const char *name, json_t *files)
{
	char path[PATH_BUF], hex[65];
	uint64_t size = 0;
	char *text;
	size_t len;

	if (path_fmt(path, sizeof(path), "%s/%s", t->r->snapshot, name) < 0)
		return -1;
	if (!strcmp(name, "Disk.img") && t->disk.started) {
		if (disk_hash_join(t) < 0)
			return -1;
		memcpy(hex, t->disk.hex, sizeof(hex));
		size = t->disk.size;
	} else if (is_image(name)) {
		if (imghash_path(path, hash_progress, t, hex, &size) < 0)
			return -1;
	} else {
		if (file_read_all(path, 64 << 20, &text, &len) < 0)
			return -1;
		sha256_hex_buf(text, len, hex);
		size = len;
		free(text);
	}
	json_array_append_new(files,
			      json_pack("{s:s, s:I, s:s, s:s}", "name", name,
					"size", (json_int_t)size, "method",
					is_image(name) ? IMGHASH_METHOD
						       : "sha256",
					"sha256", hex));
	if (!strcmp(name, "memory.elf"))
		t->memory = json_pack("{s:s, s:s, s:I, s:s, s:s}", "file",
				      "memory.elf", "format", "elf", "size",
				      (json_int_t)size, "method",
				      IMGHASH_METHOD, "sha256", hex);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
hash_snapshot(struct triage *t)
{
	char *names[64];
	struct dirent *e;
	size_t n = 0, i;
	DIR *d;
	int failed = 0;

	step_begin(t, TRIAGE_HASH);
	t->snapshot_files = json_array();
	if (!t->r->snapshot[0] || !(d = opendir(t->r->snapshot))) {
		step_end(t, TRIAGE_HASH, TRIAGE_SKIPPED, "no snapshot");
		return;
	}
	while ((e = readdir(d)) && n < 64)
		if (e->d_type == DT_REG)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);

	for (i = 0; i < n; i++) {
		if (hash_file(t, names[i], t->snapshot_files) < 0 && !failed) {
			failed = 1;
			step_end(t, TRIAGE_HASH, TRIAGE_FAILED, "'%s': %s",
				 names[i], err_msg());
		}
		free(names[i]);
	}
	if (!failed)
		step_end(t, TRIAGE_HASH, TRIAGE_DONE, "%zu snapshot files", n);
}

/* ---- step 6: seal ----------------------------------------------- */

static json_t *
steps_json(const struct triage *t)
{
	char ts[TIME_ISO_LEN];
	json_t *a = json_array();
	int i;

	for (i = 0; i < TRIAGE_STEPS; i++) {
		const struct triage_step *s = &t->r->steps[i];

		if (!s->start_us)
			continue;
		time_iso(s->start_us, ts);
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:s, s:f, s:s}", "name",
				     s->name, "outcome",
				     triage_outcome_name(s->outcome), "start",
				     ts, "seconds", (double)s->ns / 1e9,
				     "note", s->note));
	}
	return a;
}

/* What the response procedure advises for the events seen so far. */
static json_t *
advice_json(const struct triage *t)
{
	char path[PATH_BUF], date[11];
	json_t *all = json_array(), *one;
	struct advice *a;
	int64_t day;

	if (advice_load_default(&a) < 0)
		return all;
	for (day = 1; day >= 0; day--) {
		time_date(t->t0_us - day * 86400LL * 1000000, date);
		if (home_path(path, sizeof(path), "logs/security-%s.log",
			      date) < 0 ||
		    access(path, F_OK) < 0)
			continue;
		one = advice_log_summary(a, path, NULL);
		if (one)
			json_array_extend(all, one);
		json_decref(one);
	}
	advice_free(a);
	return all;
}

static json_t *
manifest_json(struct triage *t)
{
	char started[TIME_ISO_LEN], host[256] = "";
	json_t *m, *memory;

	time_iso(t->t0_us, started);
	gethostname(host, sizeof(host) - 1);
	m = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "format",
		      "secvf-incident/1", "case",
		      t->r->case_id ? json_integer(t->r->case_id)
				    : json_null(),
		      "vm", t->o->vm, "host", host, "analyst", t->actor,
		      "started", started, "initial_state",
		      t->r->initial_state);
	json_object_set_new(m, "tool",
			    json_pack("{s:s, s:s}", "name", "secvf", "version",
				      SECVF_VERSION));
	json_object_set_new(m, "pause_ms_from_start",
			    json_integer(t->r->pause_ms_from_start));
	json_object_set_new(
		m, "supervisor",
		json_pack("{s:s, s:o}", "state", t->r->supervisor, "pid",
			  t->r->supervisor_pid
				  ? json_integer(t->r->supervisor_pid)
				  : json_null()));
	json_object_set_new(m, "steps", steps_json(t));
	json_object_set_new(
		m, "snapshot",
		json_pack("{s:s, s:O}", "path", t->r->snapshot, "files",
			  t->snapshot_files ? t->snapshot_files
					    : json_array()));
	memory = t->memory ? json_incref(t->memory)
			   : json_pack("{s:s}", "skipped",
				       step(t, TRIAGE_MEMORY)->note);
	json_object_set_new(m, "memory", memory);
	json_object_set_new(m, "artifacts",
			    json_pack("{s:O, s:O, s:O}", "collected",
				      t->collected.collected, "missing",
				      t->collected.missing, "skipped",
				      t->collected.skipped));
	json_object_set_new(m, "database",
			    json_string(t->r->db_error[0] ? t->r->db_error
							  : "ok"));
	json_object_set_new(m, "advice", advice_json(t));
	json_object_set_new(m, "custody_head", json_string(t->prev));
	return m;
}

static int
ensure_key(struct triage *t)
{
	char priv[PATH_BUF], pub[PATH_BUF];
	struct sign_key *k;

	if (t->o->key_path)
		return 0;
	if (sign_default_paths(priv, sizeof(priv), pub, sizeof(pub)) < 0)
		return -1;
	if (access(priv, F_OK) == 0)
		return 0;
	if (sign_key_generate(priv, t->o->passphrase, 0, &k) < 0)
		return -1;
	t->r->key_created = 1;
	sign_fingerprint(k, t->r->key_fingerprint);
	sign_key_free(k);
	return 0;
}

/*
 * The views for people and for other tools, rendered from the manifest
 * and the trail: report.html and case.jsonld.  Evidence comes first:
 * a view that cannot be made is left out with a warning.
 */
static int
add_views(struct triage *t)
{
	json_t *events, *doc;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	events = report_events_load(t->o->vm, t->t0_us, 86400LL * 1000000);
	if (!events) {
		diag_warn("cannot read the events for the report: %s",
			  err_msg());
		events = json_array();
	}
	text = report_html(t->r->manifest, t->custody_text, t->custody_len,
			   events, &len);
	json_decref(events);
	if (!text)
		diag_warn("cannot render report.html: %s", err_msg());
	else
		rc = seal_add_blob(t->seal, "report.html", text, len, NULL);
	free(text);

	doc = caseuco_from_manifest(t->r->manifest, t->custody_text,
				    t->custody_len);
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII)
		   : NULL;
	json_decref(doc);
	if (!text)
		diag_warn("cannot write case.jsonld: %s", err_msg());
	else if (rc == 0)
		rc = seal_add_blob(t->seal, "case.jsonld", text, strlen(text),
				   NULL);
	free(text);
	return rc;
}

static int
seal_bundle(struct triage *t)
{
	struct triage_step *s = step(t, TRIAGE_SEAL);
	char *text;

	step_begin(t, TRIAGE_SEAL);
	if (ensure_key(t) < 0)
		goto fail;

	/* The trail inside the bundle ends with the sealing itself. */
	s->outcome = TRIAGE_DONE;
	snprintf(s->note, sizeof(s->note), "manifest signed%s",
		 t->r->key_created ? " with a key made now" : "");
	if (custody_note(t, TRIAGE_SEAL, NULL) < 0)
		goto fail;

	t->r->manifest = manifest_json(t);
	if (add_views(t) < 0)
		goto fail;
	text = json_dumps(t->r->manifest, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (!text || seal_add_blob(t->seal, "manifest.json", text,
				   strlen(text), NULL) < 0) {
		free(text);
		goto fail;
	}
	free(text);
	if (seal_add_blob(t->seal, "custody.jsonl", t->custody_text,
			  t->custody_len, NULL) < 0)
		goto fail;

	if (seal_finish(t->seal, t->o->key_path, t->o->passphrase,
			t->r->bundle_sha256) < 0) {
		t->seal = NULL;
		goto fail;
	}
	t->seal = NULL;
	step_end(t, TRIAGE_SEAL, TRIAGE_DONE, "%s",
		 t->r->key_created ? "manifest signed with a key made now"
				   : "manifest signed");
	return 0;

fail:
	step_end(t, TRIAGE_SEAL, TRIAGE_FAILED, "%s", err_msg());
	return -1;
}

/* ---- step 7: record --------------------------------------------- */

static void
record(struct triage *t)
{
	char hash[65];
	struct custody_entry sealed;
	int64_t evidence = 0;
	struct stat st;
	size_t i;

	step_begin(t, TRIAGE_RECORD);
	if (!t->db) {
		step_end(t, TRIAGE_RECORD, TRIAGE_FAILED,
			 "case database unavailable: %s", t->r->db_error);
		return;
	}
	if (stat(t->r->bundle, &st) < 0)
		st.st_size = 0;
	if (casedb_begin(t->db) < 0)
		goto fail;
	if (casedb_evidence_add(t->db, t->r->case_id, "incident-bundle",
				t->r->bundle, t->r->bundle_sha256,
				(int64_t)st.st_size, &evidence) < 0)
		goto fail;
	for (i = 0; i < t->ncustody; i++) {
		if (casedb_custody_add(t->db, t->r->case_id,
				       &t->custody[i].e, hash) < 0)
			goto fail;
		if (strcmp(hash, t->custody[i].hash))
			diag_warn("custody entry %zu was chained to a newer "
				  "head in the case database",
				  i + 1);
	}

	/* The bundle as a whole, now that its hash is known. */
	sealed = (struct custody_entry){
		.ts_us = time_now_us(),
		.action = "recorded",
		.actor = t->actor,
		.evidence_id = evidence,
		.sha256 = t->r->bundle_sha256,
		.note = t->r->bundle,
	};
	if (casedb_custody_add(t->db, t->r->case_id, &sealed, hash) < 0 ||
	    casedb_commit(t->db) < 0)
		goto fail;

	step_end(t, TRIAGE_RECORD, TRIAGE_DONE, "case %lld, evidence %lld",
		 (long long)t->r->case_id, (long long)evidence);
	return;

fail:
	casedb_abort(t->db);
	snprintf(t->r->db_error, sizeof(t->r->db_error), "%s", err_msg());
	step_end(t, TRIAGE_RECORD, TRIAGE_FAILED, "%s", err_msg());
}

/* ---- the whole ---------------------------------------------------- */

/* Is name one of this VM's bundles: incident-VM-STAMP...? */
static int
is_ours(const char *name, void *arg)
{
	const struct triage *t = arg;
	size_t n = strlen(t->o->vm);
	const char *p;
	int i;

	if (strncmp(name, "incident-", 9) || strncmp(name + 9, t->o->vm, n) ||
	    name[9 + n] != '-')
		return 0;
	p = name + 10 + n;
	for (i = 0; i < 15; i++)
		if (i == 8 ? p[i] != 'T' : (p[i] < '0' || p[i] > '9'))
			return 0;
	return p[15] == 'Z';
}

static int
lock_vm(struct triage *t)
{
	char path[PATH_BUF];

	if (vm_run_file(path, sizeof(path), t->o->vm, "triage.lock") < 0)
		return -1;
	t->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (t->lock_fd < 0)
		return err_errno("cannot open '%s'", path);
	if (flock(t->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err_set("another triage of VM '%s' is running", t->o->vm);
		return TRIAGE_EBUSY;
	}
	return 0;
}

static void
set_actor(struct triage *t)
{
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "";

	if (t->o->actor) {
		snprintf(t->actor, sizeof(t->actor), "%s", t->o->actor);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(t->actor, sizeof(t->actor), "%s@%s",
		 pw ? pw->pw_name : "unknown", host);
}

static int
open_bundle(struct triage *t)
{
	char dir[PATH_BUF];
	const char *ext = t->o->compression == SEAL_GZIP   ? "tar.gz"
			  : t->o->compression == SEAL_NONE ? "tar"
							   : "tar.zst";

	if (home_subdir(dir, sizeof(dir), "incidents") < 0)
		return -1;
	/* What a killed triage of this VM left is not evidence. */
	if (seal_recover(dir, is_ours, t) < 0)
		return -1;
	if (path_fmt(t->r->bundle, sizeof(t->r->bundle),
		     "%s/incident-%s-%s.%s", dir, t->o->vm, t->stamp, ext) < 0)
		return -1;
	return seal_open(t->r->bundle, t->o->compression, &t->seal);
}

static void
triage_release(struct triage *t)
{
	if (t->disk.started)
		pthread_join(t->disk.thread, NULL);
	seal_abort(t->seal);
	qmp_close(t->qmp); /* never "cont": the VM stays as it is */
	casedb_close(t->db);
	collect_report_release(&t->collected);
	json_decref(t->snapshot_files);
	json_decref(t->memory);
	free(t->custody_text);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
}

static int
triage_steps(struct triage *t)
{
	pause_vm(t);
	check_supervisor(t);
	if (choose_stamp(t) < 0)
		return -1;
	open_case(t);
	if (custody_note(t, TRIAGE_PAUSE, NULL) < 0)
		return -1;

	snapshot(t);
	if (custody_note(t, TRIAGE_SNAPSHOT, NULL) < 0)
		return -1;
	dump_memory(t);
	if (custody_note(t, TRIAGE_MEMORY, NULL) < 0)
		return -1;

	if (open_bundle(t) < 0 || collect(t) < 0)
		return -1;
	if (custody_note(t, TRIAGE_COLLECT, NULL) < 0)
		return -1;
	hash_snapshot(t);
	if (custody_note(t, TRIAGE_HASH, NULL) < 0)
		return -1;

	if (seal_bundle(t) < 0)
		return -1;
	record(t);
	return 0;
}

int
triage_run(const struct triage_opts *o, struct triage_result *r)
{
	struct triage t = {.o = o, .r = r, .lock_fd = -1};
	const char *home;
	int i, rc;

	t.t0_ns = time_mono_ns();
	t.t0_us = time_now_us();
	memset(r, 0, sizeof(*r));
	for (i = 0; i < TRIAGE_STEPS; i++)
		r->steps[i].name = step_names[i];
	time_stamp(t.t0_us, t.stamp);
	set_actor(&t);

	rc = bundle_find(o->vm, t.bundle_dir, sizeof(t.bundle_dir), NULL);
	if (rc != 1)
		return rc == 0 ? TRIAGE_ENOVM : -1;
	home = home_dir();
	if (!home || path_fmt(t.home, sizeof(t.home), "%s", home) < 0 ||
	    vm_run_dir(o->vm, t.run, sizeof(t.run)) < 0 ||
	    collect_report_init(&t.collected) < 0)
		return -1;

	rc = lock_vm(&t);
	if (rc == 0)
		rc = triage_steps(&t);
	if (rc == 0) {
		json_t *data = json_pack("{s:s, s:s, s:I}", "bundle",
					 r->bundle, "sha256", r->bundle_sha256,
					 "case", (json_int_t)r->case_id);

		if (evlog_write(EV_INFO, "triage", "sealed", o->vm, data) < 0)
			diag_warn("cannot record the triage: %s", err_msg());
		json_decref(data);
	}
	triage_release(&t);
	return rc;
}

void
triage_result_release(struct triage_result *r)
{
	json_decref(r->manifest);
	r->manifest = NULL;
}
