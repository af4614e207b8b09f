#include "detect/ratelimit.h"

#include <stdio.h>
#include <string.h>

void
ratelimit_init(struct ratelimit *rl, int64_t interval_us)
{
	memset(rl, 0, sizeof(*rl));
	rl->interval_us = interval_us;
}

/* The slot of cause, made (evicting the least recently used) if new. */
static struct ratelimit_slot *
slot_get(struct ratelimit *rl, const char *cause, int64_t now_us, int *fresh)
{
	struct ratelimit_slot *s, *victim = NULL;
	size_t i;

	for (i = 0; i < RATELIMIT_SLOTS; i++) {
		s = &rl->slots[i];
		if (s->used &&
		    !strncmp(s->cause, cause, RATELIMIT_CAUSE_MAX - 1))
			return *fresh = 0, s;
		if (!victim || !s->used ||
		    (victim->used && s->last_us < victim->last_us))
			victim = s;
	}

	memset(victim, 0, sizeof(*victim));
	if (snprintf(victim->cause, sizeof(victim->cause), "%s", cause) < 0)
		victim->cause[0] = '\0';
	victim->used = 1;
	victim->last_us = now_us;
	victim->window_us = now_us;
	*fresh = 1;
	return victim;
}

int
ratelimit_allow(struct ratelimit *rl, const char *cause, int64_t now_us,
		int64_t *repeats)
{
	struct ratelimit_slot *s;
	int fresh;

	*repeats = 0;
	if (rl->interval_us <= 0)
		return 1;

	s = slot_get(rl, cause, now_us, &fresh);
	if (!fresh && now_us - s->last_us < rl->interval_us) {
		s->suppressed++;
		return 0;
	}
	*repeats = s->suppressed;
	s->suppressed = 0;
	s->last_us = now_us;
	return 1;
}

/* Count one more distinct cause of a class; 0 when its burst is spent. */
static int
class_allow(struct ratelimit *rl, const char *class, int64_t now_us,
	    int64_t *others)
{
	struct ratelimit_slot *s;
	int fresh;

	*others = 0;
	if (rl->interval_us <= 0)
		return 1;

	s = slot_get(rl, class, now_us, &fresh);
	s->last_us = now_us;
	if (now_us - s->window_us >= rl->interval_us) {
		s->window_us = now_us;
		s->window_count = 0;
	}
	if (s->window_count >= RATELIMIT_BURST) {
		s->suppressed++;
		return 0;
	}
	s->window_count++;
	*others = s->suppressed;
	s->suppressed = 0;
	return 1;
}

/* Undo the pass of a cause the class then held back. */
static void
cause_unpass(struct ratelimit *rl, const char *cause, int64_t repeats)
{
	struct ratelimit_slot *s;
	int fresh;

	s = slot_get(rl, cause, 0, &fresh);
	s->suppressed = repeats;
	s->last_us = INT64_MIN / 2;
}

int
ratelimit_emit(struct ratelimit *rl, const struct det_sink *sink,
	       int64_t now_us, const char *key, enum ev_severity sev,
	       const char *subsystem, const char *event, json_t *data)
{
	char cause[RATELIMIT_CAUSE_MAX], class[RATELIMIT_CAUSE_MAX];
	int64_t repeats, others;

	/* Over-long causes are cut: they share a slot, as documented. */
	if (snprintf(class, sizeof(class), "%s.%s", subsystem, event) < 0 ||
	    snprintf(cause, sizeof(cause), "%s:%s", class, key ? key : "") < 0)
		cause[0] = class[0] = '\0';
	if (!data)
		data = json_object();

	if (!ratelimit_allow(rl, cause, now_us, &repeats)) {
		json_decref(data);
		return 0;
	}
	if (!class_allow(rl, class, now_us, &others)) {
		cause_unpass(rl, cause, repeats);
		json_decref(data);
		return 0;
	}

	if (repeats)
		json_object_set_new(data, "repeats", json_integer(repeats));
	if (others)
		json_object_set_new(data, "suppressed_others",
				    json_integer(others));
	det_emit(sink, sev, subsystem, event, data);
	return 1;
}
