#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static enum diag_level diag_level = DIAG_WARN;
static int diag_color;

static const char *const diag_tags[] = {
	[DIAG_ERROR] = "error",
	[DIAG_WARN] = "warning",
	[DIAG_INFO] = "info",
	[DIAG_DEBUG] = "debug",
};

static const char *const diag_colors[] = {
	[DIAG_ERROR] = "\033[1;31m",
	[DIAG_WARN] = "\033[1;33m",
	[DIAG_INFO] = "\033[1;36m",
	[DIAG_DEBUG] = "\033[2m",
};

void
diag_set_level(enum diag_level level)
{
	diag_level = level;
}

enum diag_level
diag_get_level(void)
{
	return diag_level;
}

void
diag_set_color(int on)
{
	diag_color = on;
}

void
diag(enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > diag_level)
		return;

	if (diag_color)
		fprintf(stderr, "%s%s\033[0m: ", diag_colors[level],
			diag_tags[level]);
	else
		fprintf(stderr, "%s: ", diag_tags[level]);

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
