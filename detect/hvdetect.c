#include "detect/hvdetect.h"

#include "lib/err.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_VM "vm-lifecycle"

int
hvdetect_init(struct hvdetect *hv, const struct det_config *cfg,
	      const struct det_sink *sink, int64_t guest_mem)
{
	memset(hv, 0, sizeof(*hv));
	hv->cfg = cfg;
	hv->sink = *sink;
	hv->guest_mem = guest_mem;
	ratelimit_init(&hv->rl, cfg->ratelimit_interval_us);
	hv->children_seen = json_object();
	if (!hv->children_seen)
		return err_set("out of memory");
	return 0;
}

void
hvdetect_release(struct hvdetect *hv)
{
	json_decref(hv->children_seen);
	hv->children_seen = NULL;
}

void
hvdetect_command(struct hvdetect *hv, enum hv_command cmd, int64_t now_us)
{
	if ((unsigned)cmd > HV_CMD_RESET)
		return;
	hv->cmd_us[cmd] = now_us;
	hv->has_cmd[cmd] = 1;
}

/* Did secvf ask for cmd within command_grace before now_us? */
static int
cmd_recent(const struct hvdetect *hv, enum hv_command cmd, int64_t now_us)
{
	return hv->has_cmd[cmd] && hv->cmd_us[cmd] <= now_us &&
	       now_us - hv->cmd_us[cmd] <= hv->cfg->command_grace_us;
}

static int
any_cmd_recent(const struct hvdetect *hv, int64_t now_us)
{
	int c;

	for (c = HV_CMD_STOP; c <= HV_CMD_RESET; c++)
		if (cmd_recent(hv, (enum hv_command)c, now_us))
			return 1;
	return 0;
}

static void
emit(struct hvdetect *hv, int64_t now_us, const char *key, enum ev_severity sev,
     const char *subsystem, const char *event, json_t *data)
{
	ratelimit_emit(&hv->rl, &hv->sink, now_us, key, sev, subsystem, event,
		       data);
}

static void
framework_error(struct hvdetect *hv, int64_t now_us, const char *key,
		json_t *data)
{
	emit(hv, now_us, key, EV_WARNING, SUB_VM, "framework-error", data);
}

static void
explained(struct hvdetect *hv, int64_t now_us)
{
	hv->explained_us = now_us;
	hv->has_explained = 1;
}

static void
on_stop(struct hvdetect *hv, int64_t now_us)
{
	if (cmd_recent(hv, HV_CMD_STOP, now_us) ||
	    cmd_recent(hv, HV_CMD_QUIT, now_us) ||
	    cmd_recent(hv, HV_CMD_POWERDOWN, now_us))
		return;
	if (hv->has_explained && now_us - hv->explained_us <= HV_MERGE_US)
		return;
	emit(hv, now_us, "STOP", EV_WARNING, SUB_VM, "unexpected-stop",
	     json_pack("{s:s}", "qmp_event", "STOP"));
}

static void
on_shutdown(struct hvdetect *hv, const json_t *data, int64_t now_us)
{
	const char *reason = json_string_value(json_object_get(data, "reason"));
	json_t *guest = json_object_get(data, "guest");

	snprintf(hv->last_reason, sizeof(hv->last_reason), "%s",
		 reason ? reason : "unknown");
	explained(hv, now_us);

	if (reason && !strcmp(reason, "host-error")) {
		framework_error(hv, now_us, "host-error",
				json_pack("{s:s,s:s}", "qmp_event", "SHUTDOWN",
					  "reason", reason));
		return;
	}
	if (any_cmd_recent(hv, now_us) || hv->has_cmd[HV_CMD_QUIT])
		return;
	if (reason && !strcmp(reason, "guest-panic"))
		return; /* reported as guest-panic */
	emit(hv, now_us, hv->last_reason, EV_WARNING, SUB_VM, "unexpected-stop",
	     json_pack("{s:s,s:o,s:O}", "qmp_event", "SHUTDOWN", "reason",
		       det_str(hv->last_reason), "guest",
		       guest ? guest : json_null()));
}

static void
on_block_io_error(struct hvdetect *hv, const json_t *data, int64_t now_us)
{
	const char *dev = json_string_value(json_object_get(data, "device"));
	json_t *copy = json_deep_copy(data);

	if (!json_is_object(copy)) {
		json_decref(copy);
		copy = json_object();
	}
	json_object_set_new(copy, "qmp_event", json_string("BLOCK_IO_ERROR"));
	explained(hv, now_us);
	framework_error(hv, now_us, dev ? dev : "block", copy);
}

/* Repeats of sig within panic_window, then remember this one. */
static int
panic_count(struct hvdetect *hv, const char *sig, int64_t now_us)
{
	int seen = 0;
	size_t i;

	if (!*sig)
		return 0;
	for (i = 0; i < hv->n_panics; i++)
		if (!strcmp(hv->panics[i].sig, sig) &&
		    now_us - hv->panics[i].ts_us <= hv->cfg->panic_window_us)
			seen++;

	if (hv->n_panics == HV_PANICS) {
		memmove(&hv->panics[0], &hv->panics[1],
			sizeof(hv->panics[0]) * (HV_PANICS - 1));
		hv->n_panics--;
	}
	snprintf(hv->panics[hv->n_panics].sig, HV_SIG_MAX, "%s", sig);
	hv->panics[hv->n_panics++].ts_us = now_us;
	return seen;
}

/*
 * One panic, from QMP or the console.  The other source reporting the
 * same panic within HV_MERGE_US emits nothing more, unless its
 * signature turns the panic into a repeat (then CRITICAL follows).
 */
static void
panic_occurred(struct hvdetect *hv, const char *source, const char *sig,
	       json_t *data, int64_t now_us)
{
	int merged, repeats, critical;
	char key[HV_SIG_MAX + 16];

	merged = hv->has_panic && now_us - hv->last_panic_us <= HV_MERGE_US &&
		 strcmp(hv->last_panic_source, source) != 0;
	repeats = panic_count(hv, sig, now_us);
	critical = repeats > 0;

	hv->has_panic = 1;
	hv->last_panic_us = now_us;
	snprintf(hv->last_panic_source, sizeof(hv->last_panic_source), "%s",
		 source);
	if (merged && (!critical || hv->last_panic_critical)) {
		json_decref(data);
		return;
	}
	hv->last_panic_critical =
		merged ? hv->last_panic_critical || critical : critical;

	json_object_set_new(data, "source", json_string(source));
	json_object_set_new(data, "signature",
			    *sig ? det_str(sig) : json_null());
	json_object_set_new(data, "occurrences", json_integer(repeats + 1));
	snprintf(key, sizeof(key), "%s:%s", critical ? "C" : "W", sig);
	emit(hv, now_us, key, critical ? EV_CRITICAL : EV_WARNING, SUB_VM,
	     "guest-panic", data);
}

/* A signature from GUEST_PANICKED's info (Hyper-V crash MSRs). */
static void
info_signature(const json_t *info, char *sig, size_t size)
{
	char *text;

	sig[0] = '\0';
	if (!json_is_object(info))
		return;
	text = json_dumps(info, JSON_COMPACT | JSON_SORT_KEYS);
	if (text && snprintf(sig, size, "info:%s", text) < 0)
		sig[0] = '\0';
	free(text);
}

static void
on_panicked(struct hvdetect *hv, const json_t *data, int64_t now_us)
{
	json_t *info = json_object_get(data, "info");
	char sig[HV_SIG_MAX];

	explained(hv, now_us);
	info_signature(info, sig, sizeof(sig));
	panic_occurred(hv, "qmp", sig,
		       json_pack("{s:O,s:O}", "action",
				 json_object_get(data, "action")
					 ? json_object_get(data, "action")
					 : json_null(),
				 "info", info ? info : json_null()),
		       now_us);
}

static void
on_event(struct hvdetect *hv, const char *name, const json_t *data,
	 int64_t now_us)
{
	if (!strcmp(name, "STOP"))
		on_stop(hv, now_us);
	else if (!strcmp(name, "SHUTDOWN"))
		on_shutdown(hv, data, now_us);
	else if (!strcmp(name, "GUEST_PANICKED"))
		on_panicked(hv, data, now_us);
	else if (!strcmp(name, "BLOCK_IO_ERROR"))
		on_block_io_error(hv, data, now_us);
}

static void
on_status(struct hvdetect *hv, const char *status, int64_t now_us)
{
	if (strcmp(status, "internal-error") && strcmp(status, "io-error"))
		return;
	framework_error(hv, now_us, status,
			json_pack("{s:s}", "status", status));
}

static void
on_error(struct hvdetect *hv, const json_t *msg, int64_t now_us)
{
	const json_t *e = json_object_get(msg, "error");
	const char *cls = json_string_value(json_object_get(e, "class"));
	const char *desc = json_string_value(json_object_get(e, "desc"));
	json_t *id = json_object_get(msg, "id");

	framework_error(hv, now_us, cls ? cls : "error",
			json_pack("{s:o,s:o,s:O}", "class", det_str(cls),
				  "desc", det_str(desc), "id",
				  id ? id : json_null()));
}

void
hvdetect_feed_qmp(struct hvdetect *hv, const json_t *msg, int64_t now_us)
{
	const char *event, *status;
	const json_t *ret;

	if (!json_is_object(msg))
		return;

	event = json_string_value(json_object_get(msg, "event"));
	if (event) {
		on_event(hv, event, json_object_get(msg, "data"), now_us);
		return;
	}
	if (json_is_object(json_object_get(msg, "error"))) {
		on_error(hv, msg, now_us);
		return;
	}
	ret = json_object_get(msg, "return");
	status = json_string_value(json_object_get(ret, "status"));
	if (status)
		on_status(hv, status, now_us);
}

void
hvdetect_feed_qmp_line(struct hvdetect *hv, const char *line, int64_t now_us)
{
	json_t *msg = json_loads(line, JSON_REJECT_DUPLICATES, NULL);

	if (msg)
		hvdetect_feed_qmp(hv, msg, now_us);
	json_decref(msg);
}

void
hvdetect_feed_hup(struct hvdetect *hv, int64_t now_us)
{
	if (hv->hup)
		return;
	hv->hup = 1;
	hv->hup_us = now_us;
}

void
hvdetect_feed_exit(struct hvdetect *hv, int exit_status, int signal,
		   int64_t now_us)
{
	const char *signame = signal ? sigabbrev_np(signal) : NULL;
	json_t *data;

	if (hv->exited)
		return;
	hv->exited = 1;
	if (hv->has_cmd[HV_CMD_QUIT] ||
	    cmd_recent(hv, HV_CMD_POWERDOWN, now_us))
		return;
	if (!signal && exit_status == 0 && hv->last_reason[0])
		return; /* a shutdown, reported as unexpected-stop */

	data = json_pack(
		"{s:o,s:o,s:o,s:o,s:b}", "exit_status",
		signal ? json_null() : json_integer(exit_status), "signal",
		signal ? json_integer(signal) : json_null(), "signal_name",
		signame ? json_string(signame) : json_null(),
		"last_shutdown_reason",
		hv->last_reason[0] ? json_string(hv->last_reason) : json_null(),
		"qmp_hup", hv->hup);
	emit(hv, now_us, NULL, EV_CRITICAL, SUB_VM, "crashed", data);
}

void
hvdetect_tick(struct hvdetect *hv, int64_t now_us)
{
	if (!hv->hup || hv->exited || hv->hup_reported ||
	    now_us - hv->hup_us < HV_HUP_WAIT_US)
		return;
	hv->hup_reported = 1;
	framework_error(hv, now_us, "qmp-hangup",
			json_pack("{s:s}", "reason",
				  "QMP socket closed while QEMU runs"));
}

static void
resource(struct hvdetect *hv, const char *what, int64_t value,
	 int64_t threshold, int64_t now_us)
{
	if (value < 0 || value <= threshold)
		return;
	emit(hv, now_us, what, EV_WARNING, "resource", "exhaustion",
	     json_pack("{s:s,s:I,s:I}", "resource", what, "value",
		       (json_int_t)value, "threshold", (json_int_t)threshold));
}

static const char *
base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static void
check_child(struct hvdetect *hv, const struct hv_child *c, int64_t now_us)
{
	const char *exe = base_name(c->exe);
	char pid[32];

	if ((c->comm && det_config_child_allowed(hv->cfg, c->comm)) ||
	    (exe && det_config_child_allowed(hv->cfg, exe)))
		return;

	snprintf(pid, sizeof(pid), "%ld", (long)c->pid);
	if (json_object_get(hv->children_seen, pid))
		return;
	if (json_object_size(hv->children_seen) >= 1024)
		json_object_clear(hv->children_seen);
	json_object_set_new(hv->children_seen, pid, json_true());

	emit(hv, now_us, c->comm ? c->comm : exe, EV_EMERGENCY, "process",
	     "child.unexpected",
	     json_pack("{s:I,s:o,s:o}", "pid", (json_int_t)c->pid, "comm",
		       det_str(c->comm), "exe", det_str(c->exe)));
}

void
hvdetect_feed_sample(struct hvdetect *hv, const struct hv_sample *s,
		     int64_t now_us)
{
	int64_t overhead = s->rss_bytes < 0 ? -1 : s->rss_bytes - hv->guest_mem;
	size_t i;

	resource(hv, "fds", s->fds, hv->cfg->fd_max, now_us);
	resource(hv, "rss_overhead", overhead, hv->cfg->rss_overhead_max,
		 now_us);
	resource(hv, "threads", s->threads, hv->cfg->threads_max, now_us);
	for (i = 0; i < s->n_children; i++)
		check_child(hv, &s->children[i], now_us);
}

/* The text after a "[   12.345678] " console timestamp, if any. */
static const char *
skip_stamp(const char *line)
{
	const char *close;

	if (line[0] != '[')
		return line;
	close = strchr(line, ']');
	if (!close)
		return line;
	close++;
	while (*close == ' ')
		close++;
	return close;
}

static void
console_line(struct hvdetect *hv, int64_t now_us)
{
	const char *text = skip_stamp(hv->line), *p;
	char sig[HV_SIG_MAX];

	if ((p = strstr(text, "RIP: ")) != NULL) {
		snprintf(hv->rip, sizeof(hv->rip), "%s", p);
		return;
	}
	p = strstr(text, "Kernel panic - not syncing");
	if (!p || strstr(text, "---[ end "))
		return; /* the closing line repeats the message */

	if (snprintf(sig, sizeof(sig), "%s%s%s", p, hv->rip[0] ? " @ " : "",
		     hv->rip) < 0)
		sig[0] = '\0';
	hv->rip[0] = '\0';
	panic_occurred(hv, "console", sig,
		       json_pack("{s:o}", "line", det_str(text)), now_us);
}

void
hvdetect_feed_console(struct hvdetect *hv, const char *text, size_t len,
		      int64_t now_us)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\n') {
			while (hv->line_len &&
			       hv->line[hv->line_len - 1] == '\r')
				hv->line_len--;
			hv->line[hv->line_len] = '\0';
			console_line(hv, now_us);
			hv->line_len = 0;
			continue;
		}
		if (c == '\0')
			c = '?';
		if (hv->line_len < HV_LINE_MAX - 1)
			hv->line[hv->line_len++] = c;
	}
}
