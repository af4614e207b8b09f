#include "report.h"

#include "detect/correlate.h"
#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US (86400LL * 1000000)

static const char *const layers[] = {"hypervisor", "network", "filesystem",
				     "ipc"};
static const char *const layer_titles[] = {"Hypervisor", "Network",
					   "Filesystem", "IPC"};

/* ---- the events before the pause */

static json_t *
event_json(const struct evlog_event *ev)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "ts", ev->ts,
			 "severity", ev_severity_name(ev->severity),
			 "subsystem", ev->subsystem, "event", ev->event, "vm",
			 ev->vm, "data", ev->data);
}

/* Keep the latest REPORT_EVENTS_MAX of a growing array. */
static void
trim(json_t **all)
{
	json_t *kept;
	size_t i, n = json_array_size(*all);

	if (n < 2 * REPORT_EVENTS_MAX)
		return;
	kept = json_array();
	for (i = n - REPORT_EVENTS_MAX; i < n; i++)
		json_array_append(kept, json_array_get(*all, i));
	json_decref(*all);
	*all = kept;
}

/*
 * Is the line an event of vm in [from, to)?  The log's own layout
 * answers from the head of the line; anything else is decoded.
 */
static int
line_wanted(const char *line, size_t len, const char *vm, int64_t from,
	    int64_t to)
{
	char field[EVLOG_VM_MAX + 1], ts[40];
	struct evlog_event ev;
	int64_t us;
	int rc;

	rc = evlog_head_field(line, "vm", field, sizeof(field));
	if (rc == 1 || (rc == 0 && strcmp(field, vm)))
		return 0;
	if (rc == 0 && evlog_head_field(line, "ts", ts, sizeof(ts)) == 0 &&
	    time_parse(ts, &us) == 0)
		return us >= from && us < to;
	if (evlog_decode(line, len, &ev) != 0)
		return 0;
	rc = !strcmp(ev.vm, vm) && ev.ts_us >= from && ev.ts_us < to;
	evlog_event_release(&ev);
	return rc;
}

/*
 * The wanted lines of one log, the latest REPORT_EVENTS_MAX kept in a
 * ring as text and decoded at the end: a day's log of a busy lab holds
 * millions of lines and decoding each would take seconds.
 */
static int
load_file(const char *path, const char *vm, int64_t from, int64_t to,
	  json_t **all)
{
	char *ring[REPORT_EVENTS_MAX] = {0}, *copy;
	size_t head = 0, kept = 0, i;
	struct evlog_reader r;
	struct evlog_event ev;
	int rc;

	if (evlog_reader_open(&r, path, -1) < 0)
		return -1;
	while ((rc = evlog_reader_next(&r)) == 1) {
		if (r.overlong || !line_wanted(r.line, r.len, vm, from, to))
			continue;
		copy = strdup(r.line);
		if (!copy) {
			err_set("out of memory");
			rc = -1;
			break;
		}
		free(ring[head]);
		ring[head] = copy;
		head = (head + 1) % REPORT_EVENTS_MAX;
		if (kept < REPORT_EVENTS_MAX)
			kept++;
	}
	evlog_reader_close(&r);
	for (i = 0; i < REPORT_EVENTS_MAX; i++) {
		size_t k = (head + REPORT_EVENTS_MAX - kept + i) %
			   REPORT_EVENTS_MAX;

		if (rc < 0 || i >= kept) {
			free(ring[k]);
			continue;
		}
		if (evlog_decode(ring[k], strlen(ring[k]), &ev) == 0) {
			json_array_append_new(*all, event_json(&ev));
			evlog_event_release(&ev);
		}
		free(ring[k]);
	}
	trim(all);
	return rc < 0 ? -1 : 0;
}

json_t *
report_events_load(const char *vm, int64_t end_us, int64_t window_us)
{
	char first[11], last[11];
	const char *base;
	json_t *all = json_array();
	char **paths;
	size_t n, i;

	if (evlog_files(&paths, &n) < 0) {
		json_decref(all);
		return NULL;
	}
	time_date(end_us - window_us, first);
	time_date(end_us, last);
	for (i = 0; i < n; i++) {
		base = strrchr(paths[i], '/');
		base = (base ? base + 1 : paths[i]) + strlen("security-");
		if (strncmp(base, first, 10) < 0 || strncmp(base, last, 10) > 0)
			continue;
		if (load_file(paths[i], vm, end_us - window_us, end_us,
			      &all) < 0) {
			json_decref(all);
			all = NULL;
			break;
		}
	}
	evlog_files_free(paths, n);
	if (all && json_array_size(all) > REPORT_EVENTS_MAX) {
		json_t *kept = json_array();

		for (i = json_array_size(all) - REPORT_EVENTS_MAX;
		     i < json_array_size(all); i++)
			json_array_append(kept, json_array_get(all, i));
		json_decref(all);
		all = kept;
	}
	return all;
}

/* ---- HTML building */

struct html {
	char *buf;
	size_t len, cap;
	int failed;
};

static void
raw(struct html *h, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (h->failed)
		return;
	if (h->len + n + 1 > h->cap) {
		cap = h->cap ? h->cap * 2 : 64 * 1024;
		while (cap < h->len + n + 1)
			cap *= 2;
		grown = realloc(h->buf, cap);
		if (!grown) {
			h->failed = 1;
			return;
		}
		h->buf = grown;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

/* Markup written by this file; never guest text. */
static void
tag(struct html *h, const char *s)
{
	raw(h, s, strlen(s));
}

static void
tagf(struct html *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
tagf(struct html *h, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		raw(h, buf, (size_t)n < sizeof(buf) ? (size_t)n
						    : sizeof(buf) - 1);
}

/* Text, escaped: & < > " ' as entities, control bytes as \u00XX. */
static void
text(struct html *h, const char *s)
{
	char esc[8];
	const char *rep;

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		rep = c == '&' ? "&amp;" : c == '<' ? "&lt;"
		      : c == '>' ? "&gt;" : c == '"' ? "&quot;"
		      : c == '\'' ? "&#39;" : NULL;
		if (rep) {
			tag(h, rep);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			tag(h, esc);
		} else {
			raw(h, s, 1);
		}
	}
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static void
field(struct html *h, json_t *o, const char *key)
{
	text(h, str(o, key));
}

/* A JSON value as compact text, escaped. */
static void
json_text(struct html *h, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
					    JSON_ENCODE_ANY)
		    : NULL;

	text(h, s ? s : "-");
	free(s);
}

static void
integer(struct html *h, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		tagf(h, "%lld", (long long)json_integer_value(v));
	else
		tag(h, "-");
}

/* A class name for a word of a closed set, else "other". */
static const char *
word_class(const char *w, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(w, *set))
			return *set;
	return "other";
}

static const char *
sev_class(const char *sev)
{
	static const char *const set[] = {"INFO", "WARNING", "CRITICAL",
					  "EMERGENCY", NULL};

	return word_class(sev, set);
}

static const char *
outcome_class(const char *o)
{
	static const char *const set[] = {"done", "skipped", "failed", NULL};

	return word_class(o, set);
}

/* ---- the page */

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"'DejaVu Sans',sans-serif;color:#1d232b;background:#f4f6f8;"
	"margin:0;padding:24px}"
	"main{max-width:1120px;margin:0 auto;background:#fff;padding:28px 32px;"
	"border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
	"h1{font-size:24px;margin:0 0 4px}"
	"h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;"
	"border-bottom:2px solid #dde3ea}"
	".sub{color:#5b6673;margin:0 0 16px}"
	"table{border-collapse:collapse;width:100%;margin:6px 0 10px;"
	"table-layout:auto}"
	"th,td{text-align:left;vertical-align:top;padding:5px 8px;"
	"border-bottom:1px solid #e3e8ee}"
	"th{background:#eef2f6;font-weight:600;font-size:12px;"
	"text-transform:uppercase;letter-spacing:.03em;color:#44505c}"
	"tr:nth-child(even) td{background:#fafbfc}"
	"code,.mono{font:12px/1.4 'DejaVu Sans Mono',Menlo,Consolas,"
	"monospace}"
	".time{white-space:nowrap}"
	"h3{font-size:14px;margin:18px 0 4px}"
	".hash{word-break:break-all;overflow-wrap:anywhere}"
	".wrap{word-break:break-word;overflow-wrap:anywhere}"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;"
	"gap:4px 18px;margin:0}"
	"dl.facts dt{color:#5b6673}dl.facts dd{margin:0;font-weight:600}"
	".panels{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}"
	".panel{border-radius:8px;padding:12px 14px;color:#fff;"
	"border:1px solid transparent}"
	".panel .name{font-weight:700;font-size:15px}"
	".panel .state{font-size:22px;font-weight:800;margin:4px 0}"
	".panel .counts{font-size:12px;opacity:.95}"
	".panel.ok{background:#1e7f4f}.panel.alert{background:#c62828}"
	".badge{display:inline-block;padding:1px 7px;border-radius:10px;"
	"font-size:11px;font-weight:700;letter-spacing:.02em;"
	"white-space:nowrap}"
	".INFO{background:#e3e8ee;color:#3a4654}"
	".WARNING{background:#fff1c2;color:#7a5300}"
	".CRITICAL{background:#fde0e0;color:#a11212}"
	".EMERGENCY{background:#b71c1c;color:#fff}"
	".done{background:#d9f2e3;color:#14643c}"
	".skipped{background:#e3e8ee;color:#3a4654}"
	".failed{background:#fde0e0;color:#a11212}"
	".other{background:#e3e8ee;color:#3a4654}"
	"tr.sev-EMERGENCY td{background:#fff3f3}"
	".advice{border-left:4px solid #c62828;padding:6px 12px;"
	"margin:8px 0;background:#fbfcfd}"
	".advice.WARNING,.advice.INFO{border-left-color:#d49b00}"
	".muted{color:#5b6673}"
	"footer{margin-top:28px;color:#5b6673;font-size:12px}"
	"@media print{body{background:#fff;padding:0;font-size:11px}"
	"main{box-shadow:none;padding:0;max-width:none}"
	"h2{break-after:avoid}tr,.panel,.advice{break-inside:avoid}"
	".panels{grid-template-columns:repeat(4,1fr)}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
	"@media (max-width:760px){.panels{grid-template-columns:"
	"repeat(2,1fr)}}";

static void
head(struct html *h, json_t *m)
{
	tag(h, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	       "<meta charset=\"utf-8\">"
	       "<meta http-equiv=\"Content-Security-Policy\" "
	       "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
	       "<meta name=\"viewport\" "
	       "content=\"width=device-width,initial-scale=1\">"
	       "<title>Incident report: VM ");
	field(h, m, "vm");
	tag(h, "</title><style>");
	tag(h, css);
	tag(h, "</style></head>\n<body><main>\n");
}

static void
fact(struct html *h, const char *name)
{
	tag(h, "<dt>");
	tag(h, name);
	tag(h, "</dt><dd>");
}

static void
summary(struct html *h, json_t *m)
{
	json_t *tool = json_object_get(m, "tool");

	tag(h, "<h1>Incident report: VM <span class=\"wrap\">");
	field(h, m, "vm");
	tag(h, "</span></h1><p class=\"sub\">Case ");
	integer(h, m, "case");
	tag(h, " &middot; triage started ");
	field(h, m, "started");
	tag(h, " on ");
	field(h, m, "host");
	tag(h, "</p>\n<section id=\"summary\"><h2>Summary</h2>"
	       "<dl class=\"facts\">");
	fact(h, "VM");
	field(h, m, "vm");
	fact(h, "Case");
	integer(h, m, "case");
	fact(h, "Analyst");
	field(h, m, "analyst");
	fact(h, "State found");
	field(h, m, "initial_state");
	fact(h, "Paused");
	integer(h, m, "pause_ms_from_start");
	tag(h, " ms after triage started");
	fact(h, "Case database");
	field(h, m, "database");
	fact(h, "Tool");
	field(h, tool, "name");
	tag(h, " ");
	field(h, tool, "version");
	tag(h, "</dd></dl>\n");
}

static void
steps(struct html *h, json_t *m)
{
	json_t *s;
	size_t i;

	tag(h, "<h3 id=\"steps\">Steps</h3><table><thead><tr>"
	       "<th>Step</th><th>Outcome</th>"
	       "<th>Started</th><th>Seconds</th><th>Note</th></tr></thead>"
	       "<tbody>");
	json_array_foreach(json_object_get(m, "steps"), i, s) {
		tag(h, "<tr><td>");
		field(h, s, "name");
		tagf(h, "</td><td><span class=\"badge %s\">",
		     outcome_class(str(s, "outcome")));
		field(h, s, "outcome");
		tag(h, "</span></td><td class=\"mono time\">");
		field(h, s, "start");
		tagf(h, "</td><td>%.3f</td><td class=\"wrap\">",
		     json_number_value(json_object_get(s, "seconds")));
		field(h, s, "note");
		tag(h, "</td></tr>");
	}
	tag(h, "</tbody></table></section>\n");
}

static int
layer_of(json_t *ev)
{
	const char *name = correlate_layer(str(ev, "subsystem"));
	int i;

	for (i = 0; name && i < 4; i++)
		if (!strcmp(name, layers[i]))
			return i;
	return -1;
}

static int
grave(json_t *ev)
{
	const char *sev = str(ev, "severity");

	return !strcmp(sev, "CRITICAL") || !strcmp(sev, "EMERGENCY");
}

static void
panels(struct html *h, json_t *events)
{
	long all[4] = {0}, crit[4] = {0};
	json_t *ev;
	size_t i;
	int l;

	json_array_foreach(events, i, ev) {
		if ((l = layer_of(ev)) < 0)
			continue;
		all[l]++;
		crit[l] += grave(ev);
	}
	tag(h, "<section id=\"panels\"><h2>Boundaries</h2>"
	       "<div class=\"panels\">");
	for (l = 0; l < 4; l++)
		tagf(h, "<div class=\"panel %s\" id=\"panel-%s\">"
			"<div class=\"name\">%s</div>"
			"<div class=\"state\">%s</div>"
			"<div class=\"counts\">%ld critical or emergency "
			"&middot; %ld events</div></div>",
		     crit[l] ? "alert" : "ok", layers[l], layer_titles[l],
		     crit[l] ? "ALERT" : "OK", crit[l], all[l]);
	tag(h, "</div><p class=\"muted\">A panel is red when the VM logged a "
	       "CRITICAL or EMERGENCY event of its layer in the 24 hours "
	       "before triage started.</p></section>\n");
}

static void
timeline(struct html *h, json_t *events)
{
	json_t *ev;
	size_t i;
	int l;

	tagf(h, "<section id=\"timeline\"><h2>Events before the pause "
		"(%zu)</h2>",
	     json_array_size(events));
	if (!json_array_size(events)) {
		tag(h, "<p class=\"muted\">No security events of this VM in "
		       "the 24 hours before triage.</p></section>\n");
		return;
	}
	if (json_array_size(events) >= REPORT_EVENTS_MAX)
		tagf(h, "<p class=\"muted\">The latest %d events only; the "
			"logs in the bundle hold them all.</p>",
		     REPORT_EVENTS_MAX);
	tag(h, "<table><thead><tr><th>Time (UTC)</th><th>Severity</th>"
	       "<th>Layer</th><th>Event</th><th>Data</th></tr></thead>"
	       "<tbody>");
	json_array_foreach(events, i, ev) {
		l = layer_of(ev);
		tagf(h, "<tr class=\"sev-%s\"><td class=\"mono time\">",
		     sev_class(str(ev, "severity")));
		field(h, ev, "ts");
		tagf(h, "</td><td><span class=\"badge %s\">",
		     sev_class(str(ev, "severity")));
		field(h, ev, "severity");
		tagf(h, "</span></td><td>%s</td><td class=\"wrap\">",
		     l >= 0 ? layers[l] : "across layers");
		field(h, ev, "subsystem");
		tag(h, " ");
		field(h, ev, "event");
		tag(h, "</td><td class=\"mono wrap\">");
		json_text(h, json_object_get(ev, "data"));
		tag(h, "</td></tr>");
	}
	tag(h, "</tbody></table></section>\n");
}

static void
file_rows(struct html *h, json_t *files, const char *name_key)
{
	json_t *f;
	size_t i;

	json_array_foreach(files, i, f) {
		tag(h, "<tr><td class=\"wrap\">");
		field(h, f, name_key);
		tag(h, "</td><td>");
		integer(h, f, "size");
		tag(h, "</td><td class=\"mono\">");
		text(h, json_is_string(json_object_get(f, "method"))
				? str(f, "method")
				: "sha256");
		tag(h, "</td><td class=\"mono hash\">");
		field(h, f, "sha256");
		tag(h, "</td></tr>");
	}
}

static void
hashes(struct html *h, json_t *m)
{
	json_t *snap = json_object_get(m, "snapshot");
	json_t *art = json_object_get(m, "artifacts"), *x;
	size_t i;

	tag(h, "<section id=\"hashes\"><h2>Hashes</h2><p>Snapshot "
	       "<code class=\"wrap\">");
	field(h, snap, "path");
	tag(h, "</code></p><table><thead><tr><th>File</th><th>Bytes</th>"
	       "<th>Method</th><th>SHA-256</th></tr></thead><tbody>");
	file_rows(h, json_object_get(snap, "files"), "name");
	file_rows(h, json_object_get(art, "collected"), "member");
	tag(h, "</tbody></table>");
	if (json_array_size(json_object_get(art, "missing"))) {
		tag(h, "<p>Not collected:</p><ul>");
		json_array_foreach(json_object_get(art, "missing"), i, x) {
			tag(h, "<li class=\"wrap\"><code>");
			field(h, x, "member");
			tag(h, "</code>: ");
			field(h, x, "why");
			tag(h, " ");
			field(h, x, "reason");
			tag(h, "</li>");
		}
		tag(h, "</ul>");
	}
	tag(h, "</section>\n");
}

static void
custody_row(struct html *h, const char *line, size_t len)
{
	char hash[SHA256_HEX];
	json_t *e = json_loadb(line, len, 0, NULL);

	sha256_hex_buf(line, len, hash);
	tag(h, "<tr><td>");
	integer(h, e, "seq");
	tag(h, "</td><td class=\"mono time\">");
	field(h, e, "ts");
	tag(h, "</td><td>");
	field(h, e, "action");
	tag(h, "</td><td class=\"wrap\">");
	field(h, e, "actor");
	tag(h, "</td><td class=\"wrap\">");
	if (json_is_string(json_object_get(e, "note")))
		field(h, e, "note");
	tag(h, "</td><td class=\"mono hash\">");
	text(h, hash);
	tag(h, "</td></tr>");
	json_decref(e);
}

static void
custody(struct html *h, json_t *m, const char *text_, size_t len)
{
	const char *p = text_, *end = text_ ? text_ + len : NULL, *nl;

	tag(h, "<section id=\"custody\"><h2>Chain of custody</h2>"
	       "<table><thead><tr><th>#</th><th>Time (UTC)</th><th>Action"
	       "</th><th>Actor</th><th>Note</th><th>Entry SHA-256</th></tr>"
	       "</thead><tbody>");
	while (p && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p)
			custody_row(h, p, (size_t)(nl - p));
		p = nl + 1;
	}
	tag(h, "</tbody></table><p>Head of the chain: <code class=\"hash\">");
	field(h, m, "custody_head");
	tag(h, "</code></p></section>\n");
}

static void
advice(struct html *h, json_t *m)
{
	json_t *a;
	size_t i;

	tag(h, "<section id=\"advice\"><h2>Advice for the events seen</h2>");
	if (!json_array_size(json_object_get(m, "advice")))
		tag(h, "<p class=\"muted\">No events to advise on.</p>");
	json_array_foreach(json_object_get(m, "advice"), i, a) {
		tagf(h, "<div class=\"advice %s\"><span class=\"badge %s\">",
		     sev_class(str(a, "severity")),
		     sev_class(str(a, "severity")));
		field(h, a, "severity");
		tag(h, "</span> <strong class=\"wrap\">");
		field(h, a, "subsystem");
		tag(h, " ");
		field(h, a, "event");
		tag(h, "</strong> &times; ");
		integer(h, a, "count");
		tag(h, "<br><span class=\"muted\">Likely cause:</span> ");
		field(h, a, "likely_cause");
		tag(h, "<br><span class=\"muted\">Action:</span> ");
		field(h, a, "action");
		tag(h, "</div>");
	}
	tag(h, "</section>\n");
}

char *
report_html(json_t *manifest, const char *custody_text, size_t custody_len,
	    json_t *events, size_t *len)
{
	struct html h = {0};

	head(&h, manifest);
	summary(&h, manifest);
	steps(&h, manifest);
	panels(&h, events);
	timeline(&h, events);
	hashes(&h, manifest);
	custody(&h, manifest, custody_text, custody_len);
	advice(&h, manifest);
	tag(&h, "<footer>Written by ");
	field(&h, json_object_get(manifest, "tool"), "name");
	tag(&h, " ");
	field(&h, json_object_get(manifest, "tool"), "version");
	tag(&h, " at triage.  This file is a member of the sealed bundle: "
		"MANIFEST.sha256 covers it and its signature covers that."
		"</footer>\n</main></body></html>\n");
	if (h.failed) {
		free(h.buf);
		err_set("out of memory");
		return NULL;
	}
	*len = h.len;
	return h.buf;
}
