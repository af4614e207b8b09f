/*
 * ratelimit: one event per cause per interval.
 *
 * A cause is a short string naming what fired, for example
 * "fsevents.file.unexpected:dropper.sh".  The first event of a cause
 * passes; repeats within the interval are counted, not emitted; the
 * next event of that cause after the interval passes and carries the
 * count as "repeats": N in its data.
 *
 * So that a guest cannot flood the log with ever new causes (a new
 * file name each time), each class of event (subsystem and event name)
 * also passes at most RATELIMIT_BURST distinct causes per interval;
 * what that holds back is counted and reported on the next event of
 * the class that passes as "suppressed_others": M.
 *
 * The table is fixed in size (RATELIMIT_SLOTS); when it is full the
 * cause seen least recently is forgotten, with its count.  Causes
 * longer than RATELIMIT_CAUSE_MAX - 1 bytes are cut there.
 */
#ifndef SECVF_RATELIMIT_H
#define SECVF_RATELIMIT_H

#include "detect/detector.h"

#include <stdint.h>

#define RATELIMIT_SLOTS 128
#define RATELIMIT_CAUSE_MAX 160
#define RATELIMIT_BURST 20

struct ratelimit_slot {
	char cause[RATELIMIT_CAUSE_MAX];
	int64_t last_us;      /* last time this cause passed, or used */
	int64_t window_us;    /* classes: start of the current window */
	int64_t window_count; /* classes: causes passed in the window */
	int64_t suppressed;   /* held back since the last one passed */
	int used;
};

struct ratelimit {
	int64_t interval_us;
	struct ratelimit_slot slots[RATELIMIT_SLOTS];
};

/* An empty table; interval_us <= 0 lets everything pass. */
void ratelimit_init(struct ratelimit *rl, int64_t interval_us);

/*
 * May an event of this cause pass at now_us?  1 with *repeats set to
 * the number held back since the last one passed, or 0 (counted).
 */
int ratelimit_allow(struct ratelimit *rl, const char *cause, int64_t now_us,
		    int64_t *repeats);

/*
 * det_emit() through the limiter: the cause is "subsystem.event:key"
 * (key NULL: "subsystem.event").  data is stolen either way; when it
 * passes, "repeats" and "suppressed_others" are added to it when not
 * zero.  Returns 1 if the event was emitted, 0 if held back.
 */
int ratelimit_emit(struct ratelimit *rl, const struct det_sink *sink,
		   int64_t now_us, const char *key, enum ev_severity sev,
		   const char *subsystem, const char *event, json_t *data);

#endif
