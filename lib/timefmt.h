/*
 * timefmt: wall-clock and monotonic time, and their text forms.
 *
 * Times travel as microseconds since the Unix epoch (UTC) in int64_t.
 */
#ifndef SECVF_TIMEFMT_H
#define SECVF_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIME_ISO_LEN 28 /* "2026-12-03T19:00:00.123456Z" and NUL */

int64_t time_now_us(void);

/* Monotonic clock in nanoseconds, for durations. */
int64_t time_mono_ns(void);

/* "2026-12-03T19:00:00.123456Z" */
void time_iso(int64_t us, char out[TIME_ISO_LEN]);

/* "2026-12-03" (UTC) */
void time_date(int64_t us, char out[11]);

/* "20261203T190000Z", for file names */
void time_stamp(int64_t us, char out[17]);

/*
 * Parse an ISO-8601 UTC time ("2026-12-03T19:00:00Z", fractions and a
 * date alone accepted) or a span back from now ("90s", "15m", "2h",
 * "7d").  -1 with err_msg() set on anything else.
 */
int time_parse(const char *text, int64_t *us);

#endif
