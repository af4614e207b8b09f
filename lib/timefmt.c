#include "timefmt.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
time_split(int64_t us, struct tm *tm, long *frac)
{
	time_t secs = (time_t)(us / 1000000);

	*frac = (long)(us % 1000000);
	if (*frac < 0) {
		*frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, tm);
}

void
time_iso(int64_t us, char out[TIME_ISO_LEN])
{
	struct tm tm;
	long frac;
	int i;

	time_split(us, &tm, &frac);
	strftime(out, TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	out[19] = '.';
	for (i = 25; i > 19; i--, frac /= 10)
		out[i] = (char)('0' + frac % 10);
	out[26] = 'Z';
	out[27] = '\0';
}

void
time_date(int64_t us, char out[11])
{
	struct tm tm;
	long frac;

	time_split(us, &tm, &frac);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void
time_stamp(int64_t us, char out[17])
{
	struct tm tm;
	long frac;

	time_split(us, &tm, &frac);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int
time_parse_span(const char *text, int64_t *us)
{
	char *end;
	long long n = strtoll(text, &end, 10);
	int64_t unit;

	if (end == text || n < 0 || strlen(end) != 1)
		return -1;

	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (n > INT64_MAX / 1000000 / unit)
		return -1;
	*us = time_now_us() - (int64_t)n * unit * 1000000;
	return 0;
}

/* Does text start with shape, 'd' standing for a digit? */
static int
iso_shape(const char *text, const char *shape)
{
	for (; *shape; text++, shape++)
		if (*shape == 'd' ? *text < '0' || *text > '9'
				  : *text != *shape)
			return 0;
	return 1;
}

static int
time_parse_iso(const char *text, int64_t *us)
{
	struct tm tm = {0};
	long frac = 0;
	int digits = 0;
	const char *p;

	/* strptime() alone also takes " 4", "+4" or "4" for "04". */
	if (!iso_shape(text, "dddd-dd-dd"))
		return -1;
	p = strptime(text, "%Y-%m-%d", &tm);
	if (p != text + 10)
		return -1;
	if (*p == 'T' || *p == ' ') {
		if (!iso_shape(p + 1, "dd:dd:dd"))
			return -1;
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (!p)
			return -1;
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++, digits++)
				if (digits < 6)
					frac = frac * 10 + (*p - '0');
			for (; digits < 6; digits++)
				frac *= 10;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return -1;

	*us = (int64_t)timegm(&tm) * 1000000 + frac;
	return 0;
}

int
time_parse(const char *text, int64_t *us)
{
	if (time_parse_span(text, us) == 0 || time_parse_iso(text, us) == 0)
		return 0;
	return err_set("cannot parse time '%s' (want ISO-8601 UTC, "
		       "or a span such as 90s, 15m, 2h, 7d)",
		       text);
}
