#include "dashboard.h"

#include "detect/correlate.h"
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_US (60LL * 1000000)
#define PANEL_COLS 44

const char *const dash_layer_names[DASH_LAYERS] = {
	"hypervisor", "network", "filesystem", "ipc"};

static const char *const sgr_alert = "\033[1;97;41m";
static const char *const sgr_ok = "\033[30;42m";
static const char *const sgr_bold = "\033[1m";
static const char *const sgr_dim = "\033[2m";
static const char *const sgr_reset = "\033[0m";

static int64_t
minute_of(int64_t us)
{
	return us >= 0 ? us / MINUTE_US : (us - MINUTE_US + 1) / MINUTE_US;
}

static int
layer_index(const char *subsystem)
{
	const char *name = correlate_layer(subsystem);
	int i;

	for (i = 0; name && i < DASH_LAYERS; i++)
		if (!strcmp(name, dash_layer_names[i]))
			return i;
	return -1;
}

/* Copy src into dst (size bytes), control bytes and non-ASCII as '?'. */
static void
copy_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 ||
			  (unsigned char)src[i] >= 0x7f)
				 ? '?'
				 : src[i];
	dst[i] = '\0';
}

int
dash_init(struct dash *d, int64_t window_us, int series_min,
	  enum ev_severity tail_min)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	if (window_us < MINUTE_US ||
	    window_us / MINUTE_US > DASH_WINDOW_MAX_MIN)
		return err_set("window must be between a minute and %d days",
			       DASH_WINDOW_MAX_MIN / (24 * 60));
	if (series_min < 1 || series_min > DASH_SERIES_MAX)
		return err_set("series must be 1 to %d minutes",
			       DASH_SERIES_MAX);
	d->window_min = window_us / MINUTE_US;
	d->series_min = series_min;
	d->tail_min = tail_min;
	d->nring = (size_t)(d->window_min > series_min ? d->window_min
						       : series_min) + 1;
	d->ring = calloc(d->nring, sizeof(*d->ring));
	if (!d->ring)
		return err_set("out of memory");
	for (i = 0; i < d->nring; i++)
		d->ring[i].minute = -1;
	return 0;
}

void
dash_release(struct dash *d)
{
	free(d->ring);
	d->ring = NULL;
}

static struct dash_bucket *
bucket_for(struct dash *d, int64_t minute)
{
	struct dash_bucket *b;

	if (minute < 0)
		return NULL;
	b = &d->ring[(size_t)(minute % (int64_t)d->nring)];
	if (b->minute > minute)
		return NULL; /* older than what the ring covers now */
	if (b->minute < minute) {
		memset(b, 0, sizeof(*b));
		b->minute = minute;
	}
	return b;
}

static void
tail_fill(struct dash_tail_event *t, const struct evlog_event *ev)
{
	char *data;

	memset(t, 0, sizeof(*t));
	memcpy(t->ts, ev->ts, sizeof(t->ts));
	t->ts_us = ev->ts_us;
	t->severity = ev->severity;
	copy_printable(t->subsystem, sizeof(t->subsystem), ev->subsystem);
	copy_printable(t->event, sizeof(t->event), ev->event);
	copy_printable(t->vm, sizeof(t->vm), ev->vm);
	data = ev->data ? json_dumps(ev->data, JSON_COMPACT |
							JSON_ENSURE_ASCII |
							JSON_PRESERVE_ORDER)
			: NULL;
	copy_printable(t->data, sizeof(t->data), data ? data : "{}");
	free(data);
}

static void
tail_keep(struct dash *d, const struct evlog_event *ev)
{
	tail_fill(&d->tail[d->tail_next], ev);
	d->tail_next = (d->tail_next + 1) % DASH_TAIL;
	if (d->tail_n < DASH_TAIL)
		d->tail_n++;
}

void
dash_feed(struct dash *d, const struct evlog_event *ev)
{
	struct dash_bucket *b;
	int layer = layer_index(ev->subsystem);

	d->fed++;
	if (layer >= 0 && (b = bucket_for(d, minute_of(ev->ts_us)))) {
		b->all[layer]++;
		if (ev->severity >= EV_CRITICAL)
			b->grave[layer]++;
	}
	if (ev->severity >= d->tail_min || ev->severity == EV_EMERGENCY)
		tail_keep(d, ev);
}

void
dash_vms_clear(struct dash *d)
{
	d->nvms = 0;
	d->vms_more = 0;
}

void
dash_vm_add(struct dash *d, const char *name, const char *state)
{
	struct dash_vm *v;

	if (d->nvms == DASH_VMS_MAX) {
		d->vms_more++;
		return;
	}
	v = &d->vms[d->nvms++];
	copy_printable(v->name, sizeof(v->name), name);
	copy_printable(v->state, sizeof(v->state), state);
}

void
dash_counts(const struct dash *d, int64_t now_us, struct dash_counts *c)
{
	int64_t oldest = minute_of(now_us) - d->window_min;
	size_t i;
	int l;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < d->nring; i++) {
		if (d->ring[i].minute <= oldest)
			continue;
		for (l = 0; l < DASH_LAYERS; l++) {
			c->all[l] += d->ring[i].all[l];
			c->grave[l] += d->ring[i].grave[l];
		}
	}
}

void
dash_series(const struct dash *d, int layer, int64_t now_us, uint32_t *out)
{
	int64_t now = minute_of(now_us), m;
	const struct dash_bucket *b;
	int i;

	for (i = 0; i < d->series_min; i++) {
		m = now - (d->series_min - 1 - i);
		b = m >= 0 ? &d->ring[(size_t)(m % (int64_t)d->nring)] : NULL;
		out[i] = b && b->minute == m ? b->all[layer] : 0;
	}
}

/* ---- text building */

struct text {
	char *buf;
	size_t len, cap;
	int failed;
	int cols;  /* visible columns of a line */
	int vis;   /* visible columns used on the current line */
	int color;
};

static void
text_raw(struct text *t, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->len + n + 1)
			cap *= 2;
		grown = realloc(t->buf, cap);
		if (!grown) {
			t->failed = 1;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

/* Visible ASCII text, cut at the line's width. */
static void
text_put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->cols > 0 && (size_t)(t->cols - t->vis) < n)
		n = (size_t)(t->cols - t->vis);
	text_raw(t, s, n);
	t->vis += (int)n;
}

static void
text_printf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
text_printf(struct text *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_put(t, buf);
}

/* One glyph of one column (UTF-8 or ASCII), when there is room. */
static void
text_glyph(struct text *t, const char *g)
{
	if (t->cols > 0 && t->vis >= t->cols)
		return;
	text_raw(t, g, strlen(g));
	t->vis++;
}

static void
text_sgr(struct text *t, const char *sgr)
{
	if (t->color)
		text_raw(t, sgr, strlen(sgr));
}

/* End a screen line: clear the rest of it; a newline unless last. */
static void
text_endline(struct text *t, int last)
{
	text_sgr(t, sgr_reset);
	text_raw(t, "\033[K", 3);
	if (!last)
		text_raw(t, "\n", 1);
	t->vis = 0;
}

static const char *
severity_sgr(enum ev_severity s)
{
	switch (s) {
	case EV_EMERGENCY: return "\033[1;97;41m";
	case EV_CRITICAL: return "\033[1;31m";
	case EV_WARNING: return "\033[33m";
	default: return sgr_dim;
	}
}

static void
format_span(int64_t minutes, char *buf, size_t size)
{
	if (minutes % (24 * 60) == 0 && minutes > 24 * 60)
		snprintf(buf, size, "%lldd", (long long)(minutes / (24 * 60)));
	else if (minutes % 60 == 0)
		snprintf(buf, size, "%lldh", (long long)(minutes / 60));
	else
		snprintf(buf, size, "%lldm", (long long)minutes);
}

/* ---- the screen */

static void
render_series(struct text *t, const struct dash *d, int layer,
	      int64_t now_us, uint32_t peak, int utf8)
{
	static const char *const blocks[] = {"\u2581", "\u2582", "\u2583",
					     "\u2584", "\u2585", "\u2586",
					     "\u2587", "\u2588"};
	static const char *const ascii[] = {".", ":", "-", "=",
					    "+", "*", "#", "@"};
	uint32_t v[DASH_SERIES_MAX];
	int i, level;

	dash_series(d, layer, now_us, v);
	for (i = 0; i < d->series_min; i++) {
		if (!v[i]) {
			text_glyph(t, " ");
			continue;
		}
		level = peak > 1 ? (int)((uint64_t)(v[i] - 1) * 7 / (peak - 1))
				 : 7;
		text_glyph(t, utf8 ? blocks[level] : ascii[level]);
	}
}

static uint32_t
series_peak(const struct dash *d, int64_t now_us)
{
	uint32_t v[DASH_SERIES_MAX], peak = 0;
	int l, i;

	for (l = 0; l < DASH_LAYERS; l++) {
		dash_series(d, l, now_us, v);
		for (i = 0; i < d->series_min; i++)
			if (v[i] > peak)
				peak = v[i];
	}
	return peak;
}

static void
render_panels(struct text *t, const struct dash *d, int64_t now_us,
	      const struct dash_style *st)
{
	struct dash_counts c;
	char span[32], head[PANEL_COLS + 1];
	uint32_t peak = series_peak(d, now_us);
	int l, alert;

	dash_counts(d, now_us, &c);
	format_span(d->window_min, span, sizeof(span));
	snprintf(head, sizeof(head), " %-11s %-6s %8s %8s", "BOUNDARY",
		 "STATE", "CRIT+", "EVENTS");
	text_sgr(t, sgr_bold);
	text_printf(t, "%-*s  per minute, last %d min (peak %u)", PANEL_COLS,
		    head, d->series_min, peak);
	text_endline(t, 0);
	for (l = 0; l < DASH_LAYERS; l++) {
		alert = c.grave[l] > 0;
		text_sgr(t, alert ? sgr_alert : sgr_ok);
		text_printf(t, " %-11s %-6s %8lld %8lld  ",
			    dash_layer_names[l], alert ? "ALERT" : "ok",
			    (long long)c.grave[l], (long long)c.all[l]);
		text_sgr(t, sgr_reset);
		text_put(t, alert && !t->color ? "!!" : "  ");
		text_put(t, "|");
		render_series(t, d, l, now_us, peak, st->utf8);
		text_put(t, "|");
		text_endline(t, 0);
	}
	text_sgr(t, sgr_dim);
	text_printf(t, " panels: CRITICAL and EMERGENCY in the last %s", span);
	text_endline(t, 0);
}

static void
render_vms(struct text *t, const struct dash *d)
{
	size_t i;
	int per_line = t->cols / 30 > 0 ? t->cols / 30 : 1;

	text_sgr(t, sgr_bold);
	text_printf(t, " VMs (%zu)", d->nvms + d->vms_more);
	text_endline(t, 0);
	if (!d->nvms) {
		text_put(t, "   none");
		text_endline(t, 0);
	}
	for (i = 0; i < d->nvms; i++) {
		text_printf(t, "   %-14.14s ", d->vms[i].name);
		text_sgr(t, !strcmp(d->vms[i].state, "running") ? "\033[32m"
			    : !strcmp(d->vms[i].state, "crashed") ||
					    !strcmp(d->vms[i].state,
						    "unresponsive")
				    ? "\033[1;31m"
				    : "\033[33m");
		text_printf(t, "%-12.12s", d->vms[i].state);
		text_sgr(t, sgr_reset);
		if ((i + 1) % (size_t)per_line == 0 || i + 1 == d->nvms)
			text_endline(t, 0);
	}
	if (d->vms_more) {
		text_printf(t, "   and %zu more", d->vms_more);
		text_endline(t, 0);
	}
}

static void
render_tail_event(struct text *t, const struct dash_tail_event *e)
{
	text_printf(t, " %.19sZ ", e->ts);
	text_sgr(t, severity_sgr(e->severity));
	text_printf(t, "%-9s", ev_severity_name(e->severity));
	text_sgr(t, sgr_reset);
	text_printf(t, " %s %s", e->subsystem, e->event);
	if (e->vm[0])
		text_printf(t, " vm=%s", e->vm);
	if (strcmp(e->data, "{}"))
		text_printf(t, " %s", e->data);
}

/* The tail, newest first, in the lines left but the footer. */
static void
render_tail(struct text *t, const struct dash *d, int lines)
{
	size_t i, idx;

	text_sgr(t, sgr_bold);
	text_printf(t, " %s%s events, newest first",
		    ev_severity_name(d->tail_min),
		    d->tail_min == EV_CRITICAL	 ? " and EMERGENCY"
		    : d->tail_min < EV_CRITICAL ? " and graver"
						 : "");
	text_endline(t, 0);
	lines--;
	if (!d->tail_n && lines > 0) {
		text_put(t, "   none in the window");
		text_endline(t, 0);
		lines--;
	}
	for (i = 0; i < d->tail_n && lines > 0; i++, lines--) {
		idx = (d->tail_next + DASH_TAIL - 1 - i) % DASH_TAIL;
		render_tail_event(t, &d->tail[idx]);
		text_endline(t, 0);
	}
	for (; lines > 0; lines--)
		text_endline(t, 0);
}

static int
count_lines(const char *s, size_t from)
{
	int n = 0;

	for (s += from; *s; s++)
		n += *s == '\n';
	return n;
}

char *
dash_render(const struct dash *d, int64_t now_us, int cols, int rows,
	    const struct dash_style *st)
{
	struct text t = {.cols = cols > 0 ? cols : 80, .color = st->color};
	char now[TIME_ISO_LEN];
	int used;

	time_iso(now_us, now);
	text_raw(&t, "\033[H", 3);
	text_sgr(&t, sgr_bold);
	text_printf(&t, " %s  %.19sZ  %lld events read",
		    st->title ? st->title : "secvf watch", now,
		    (long long)d->fed);
	text_endline(&t, 0);
	text_endline(&t, 0);
	render_panels(&t, d, now_us, st);
	text_endline(&t, 0);
	render_vms(&t, d);
	text_endline(&t, 0);

	used = count_lines(t.buf ? t.buf : "", 0);
	render_tail(&t, d, (rows > 0 ? rows : 24) - used - 1);
	text_sgr(&t, sgr_dim);
	text_put(&t, " q quit   Ctrl-C quit");
	text_endline(&t, 1);
	text_raw(&t, "\033[J", 3);
	if (t.failed) {
		free(t.buf);
		err_set("out of memory");
		return NULL;
	}
	return t.buf;
}

char *
dash_summary(const struct dash *d, int64_t now_us)
{
	struct text t = {.cols = 0};
	struct dash_counts c;
	char now[TIME_ISO_LEN], span[32];
	size_t i;
	int l;

	dash_counts(d, now_us, &c);
	time_iso(now_us, now);
	format_span(d->window_min, span, sizeof(span));
	text_printf(&t, "summary %.19sZ last %s:", now, span);
	for (l = 0; l < DASH_LAYERS; l++)
		text_printf(&t, " %s %lld/%lld%s", dash_layer_names[l],
			    (long long)c.grave[l], (long long)c.all[l],
			    c.grave[l] ? " ALERT" : "");
	text_put(&t, "; vms:");
	for (i = 0; i < d->nvms; i++)
		text_printf(&t, " %s=%s", d->vms[i].name, d->vms[i].state);
	if (!d->nvms)
		text_put(&t, " none");
	if (t.failed || !t.buf) {
		free(t.buf);
		err_set("out of memory");
		return NULL;
	}
	return t.buf;
}

char *
dash_event_line(const struct evlog_event *ev)
{
	struct dash_tail_event e;
	struct text t = {.cols = 0};

	/* The tail's copy is the printable form of an event. */
	tail_fill(&e, ev);
	render_tail_event(&t, &e);
	if (t.failed || !t.buf) {
		free(t.buf);
		err_set("out of memory");
		return NULL;
	}
	memmove(t.buf, t.buf + 1, t.len); /* no leading blank */
	return t.buf;
}
