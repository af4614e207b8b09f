/*
 * sigma_corr: the state of correlation rules, one group per value of
 * the group-by fields, each with a bounded ring of the events that
 * matched within the timespan: a true sliding window, not clock-aligned
 * buckets.
 *
 * event_count and value_count with only a lower bound fire as soon as
 * the window ending at an arriving event reaches it.  With an upper
 * bound (lt, lte, eq) the count is final only when the window that
 * starts at the group's oldest event has closed, so those fire when a
 * later event of the group shows that it has (or at a flush).  A
 * temporal correlation fires when every referenced rule has matched
 * within the timespan.  A group that fires starts again empty.
 *
 * NEEDSWORK: a window with an upper bound is judged only when a later
 * event of its group arrives or at a flush; a live engine needs a
 * timer that closes windows as the clock passes them.
 */
#include "sigma_int.h"

#include "lib/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	int64_t ts, seq;
	uint64_t value; /* value_count: hash of the field's value */
};

struct sg_corr_group {
	struct sg_corr_group *next; /* in its hash slot */
	uint64_t hash;
	char *key;
	int64_t newest;
	struct entry *ring;
	size_t cap, head, n;   /* oldest at head */
	int64_t *t_ts, *t_seq; /* temporal: last match per rule, 0: none */
	char vm[EVLOG_VM_MAX + 1];
};

static uint64_t
fnv(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

#define FNV_START 14695981039346656037ULL

/* Append the text of a JSON value to key; "\x1f" separates. */
static void
key_add(char *key, size_t size, size_t *len, json_t *val, uint64_t *h)
{
	char buf[64];
	const char *s = "\x1enull";
	size_t n;

	if (json_is_string(val))
		s = json_string_value(val);
	else if (json_is_integer(val))
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(val)),
			s = buf;
	else if (json_is_real(val))
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(val)),
			s = buf;
	else if (json_is_boolean(val))
		s = json_is_true(val) ? "true" : "false";
	n = strlen(s);
	*h = fnv(s, n, fnv("\x1f", 1, *h));
	if (*len + n + 1 < size) {
		memcpy(key + *len, s, n);
		key[*len + n] = '\x1f';
		*len += n + 1;
		key[*len] = '\0';
	} else {
		*len = size; /* too long: the hash alone names it */
	}
}

static void
group_key(struct sg_corr *c, struct sigma_event *ev, char *key, size_t size,
	  uint64_t *h)
{
	size_t i, len = 0;

	*h = FNV_START;
	key[0] = '\0';
	for (i = 0; i < c->ngroup; i++)
		key_add(key, size, &len, sg_event_get(ev, c->group[i]), h);
	if (len >= size)
		snprintf(key, size, "#%016llx", (unsigned long long)*h);
}

static void
group_free(struct sg_corr_group *g)
{
	free(g->key);
	free(g->ring);
	free(g->t_ts);
	free(g->t_seq);
	free(g);
}

static void
unlink_group(struct sg_corr *c, struct sg_corr_group *g)
{
	struct sg_corr_group **pp = &c->slots[g->hash % c->nslots];

	while (*pp && *pp != g)
		pp = &(*pp)->next;
	if (*pp)
		*pp = g->next;
	c->ngroups--;
	group_free(g);
}

/* Make room: drop groups idle for a timespan, else the idlest one. */
static void
evict(struct sg_corr *c, int64_t now)
{
	struct sg_corr_group *g, *next, *idlest = NULL;
	size_t i;

	for (i = 0; i < c->nslots; i++)
		for (g = c->slots[i]; g; g = next) {
			next = g->next;
			if (g->newest < now - c->span_us)
				unlink_group(c, g);
			else if (!idlest || g->newest < idlest->newest)
				idlest = g;
		}
	if (c->ngroups >= SG_CORR_GROUPS_MAX && idlest)
		unlink_group(c, idlest);
}

static size_t
ring_cap(const struct sg_corr *c)
{
	size_t cap = (size_t)c->lo;

	if (c->type == C_VALUE_COUNT || c->hi >= 0)
		cap = SG_CORR_RING_MAX;
	return cap < 1 ? 1 : cap > SG_CORR_RING_MAX ? SG_CORR_RING_MAX : cap;
}

static struct sg_corr_group *
group_new(struct sg_corr *c, const char *key, uint64_t h)
{
	struct sg_corr_group *g = calloc(1, sizeof(*g));
	size_t nt = c->nrefs ? c->nrefs : 1;

	if (!g)
		return NULL;
	g->hash = h;
	g->key = strdup(key);
	g->cap = ring_cap(c);
	g->ring =
		c->type == C_TEMPORAL ? NULL : calloc(g->cap, sizeof(*g->ring));
	g->t_ts = calloc(nt, sizeof(int64_t));
	g->t_seq = calloc(nt, sizeof(int64_t));
	if (!g->key || (c->type != C_TEMPORAL && !g->ring) || !g->t_ts ||
	    !g->t_seq) {
		group_free(g);
		return NULL;
	}
	return g;
}

static struct sg_corr_group *
group_get(struct sg_corr *c, struct sigma_event *ev)
{
	char key[SG_GROUP_KEY_MAX];
	struct sg_corr_group *g;
	uint64_t h;

	if (!c->slots) {
		c->nslots = 257;
		c->slots = calloc(c->nslots, sizeof(*c->slots));
		if (!c->slots)
			return NULL;
	}
	group_key(c, ev, key, sizeof(key), &h);
	for (g = c->slots[h % c->nslots]; g; g = g->next)
		if (g->hash == h && !strcmp(g->key, key))
			return g;
	if (c->ngroups >= SG_CORR_GROUPS_MAX)
		evict(c, ev->ts_us);
	g = group_new(c, key, h);
	if (!g)
		return NULL;
	g->next = c->slots[h % c->nslots];
	c->slots[h % c->nslots] = g;
	c->ngroups++;
	return g;
}

static struct entry *
at(struct sg_corr_group *g, size_t i)
{
	return &g->ring[(g->head + i) % g->cap];
}

static void
pop(struct sg_corr_group *g)
{
	g->head = (g->head + 1) % g->cap;
	g->n--;
}

static void
push(struct sg_corr_group *g, int64_t ts, int64_t seq, uint64_t value)
{
	if (g->n == g->cap)
		pop(g);
	*at(g, g->n++) = (struct entry){ts, seq, value};
}

/* Entries 0..upto-1 counted: events, or distinct values. */
static int64_t
count(const struct sg_corr *c, struct sg_corr_group *g, size_t upto)
{
	size_t i, j;
	int64_t n = 0;

	if (c->type == C_EVENT_COUNT)
		return (int64_t)upto;
	for (i = 0; i < upto; i++) {
		for (j = 0; j < i; j++)
			if (at(g, j)->value == at(g, i)->value)
				break;
		n += j == i;
	}
	return n;
}

static int
in_range(const struct sg_corr *c, int64_t n)
{
	return n >= c->lo && (c->hi < 0 || n <= c->hi);
}

/* Report entries 0..upto-1 as a hit and drop them. */
static void
fire(struct sg_corr_group *g, size_t upto, struct sg_corr_hit *hit)
{
	size_t skip = upto > SIGMA_SEQS_MAX ? upto - SIGMA_SEQS_MAX : 0, i;

	hit->fired = 1;
	hit->nseqs = 0;
	for (i = skip; i < upto; i++)
		hit->seqs[hit->nseqs++] = at(g, i)->seq;
	snprintf(hit->vm, sizeof(hit->vm), "%s", g->vm);
	while (upto--)
		pop(g);
}

/*
 * Close the windows that start at the oldest entries and end before
 * now: with an upper bound, each is judged when it closes.
 */
static void
close_windows(struct sg_corr *c, struct sg_corr_group *g, int64_t now,
	      struct sg_corr_hit *hit)
{
	size_t upto;

	while (g->n && at(g, 0)->ts + c->span_us < now) {
		if (c->hi >= 0 && !hit->fired) {
			for (upto = 0; upto < g->n; upto++)
				if (at(g, upto)->ts > at(g, 0)->ts + c->span_us)
					break;
			if (in_range(c, count(c, g, upto))) {
				fire(g, upto, hit);
				return; /* one hit per call */
			}
		}
		pop(g);
	}
}

static uint64_t
value_hash(struct sg_corr *c, struct sigma_event *ev, int *present)
{
	char key[SG_GROUP_KEY_MAX];
	size_t len = 0;
	uint64_t h = FNV_START;
	json_t *val = sg_event_get(ev, c->field);

	*present = val && !json_is_null(val);
	key_add(key, sizeof(key), &len, val, &h);
	return h;
}

static void
feed_count(struct sg_corr *c, struct sg_corr_group *g, struct sigma_event *ev,
	   struct sg_corr_hit *hit)
{
	uint64_t value = 0;
	int present = 1;

	if (c->type == C_VALUE_COUNT)
		value = value_hash(c, ev, &present);
	close_windows(c, g, g->newest, hit);
	if (!present)
		return;
	push(g, ev->ts_us, ev->seq, value);
	if (c->hi < 0 && !hit->fired && in_range(c, count(c, g, g->n)))
		fire(g, g->n, hit);
}

static void
feed_temporal(struct sg_corr *c, struct sg_corr_group *g, size_t ti,
	      struct sigma_event *ev, struct sg_corr_hit *hit)
{
	size_t i;

	g->t_ts[ti] = ev->ts_us ? ev->ts_us : 1;
	g->t_seq[ti] = ev->seq;
	for (i = 0; i < c->nrefs; i++)
		if (!g->t_ts[i] || g->t_ts[i] < ev->ts_us - c->span_us)
			return;
	hit->fired = 1;
	hit->nseqs = 0;
	for (i = 0; i < c->nrefs && i < SIGMA_SEQS_MAX; i++)
		hit->seqs[hit->nseqs++] = g->t_seq[i];
	snprintf(hit->vm, sizeof(hit->vm), "%s", g->vm);
	memset(g->t_ts, 0, c->nrefs * sizeof(int64_t));
}

int
sg_corr_feed(struct sg_corr *c, size_t ti, struct sigma_event *ev,
	     struct sg_corr_hit *hit)
{
	struct sg_corr_group *g;
	json_t *vm;

	sg_event_header(ev);
	hit->fired = 0;
	g = group_get(c, ev);
	if (!g)
		return err_set("out of memory");
	if (ev->ts_us > g->newest)
		g->newest = ev->ts_us;
	vm = json_object_get(ev->root, "vm");
	snprintf(g->vm, sizeof(g->vm), "%s",
		 json_is_string(vm) ? json_string_value(vm) : "");
	if (c->type == C_TEMPORAL)
		feed_temporal(c, g, ti, ev, hit);
	else
		feed_count(c, g, ev, hit);
	return 0;
}

int
sg_corr_flush(struct sg_corr *c, struct sg_corr_hit *hit)
{
	struct sg_corr_group *g;
	size_t i;

	hit->fired = 0;
	if (c->type == C_TEMPORAL || c->hi < 0)
		return 0;
	for (i = 0; i < c->nslots; i++)
		for (g = c->slots[i]; g; g = g->next) {
			close_windows(c, g, INT64_MAX, hit);
			if (hit->fired)
				return 1;
		}
	return 0;
}

void
sg_corr_release(struct sg_corr *c)
{
	struct sg_corr_group *g, *next;
	size_t i;

	for (i = 0; i < c->nslots; i++)
		for (g = c->slots[i]; g; g = next) {
			next = g->next;
			group_free(g);
		}
	free(c->slots);
	c->slots = NULL;
	c->nslots = c->ngroups = 0;
}
