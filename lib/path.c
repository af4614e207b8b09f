#include "path.h"

#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int
path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);

	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return err_set("path too long (over %zu bytes)", size - 1);
	}
	return 0;
}

int
path_mkdirs(const char *dir, mode_t mode)
{
	char buf[PATH_BUF];
	char *p;

	if (path_fmt(buf, sizeof(buf), "%s", dir) < 0)
		return -1;

	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return err_errno("cannot create directory '%s'", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return err_errno("cannot create directory '%s'", buf);
	return 0;
}

int
path_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return err_set("name is empty");
	if (len > 255)
		return err_set("name is longer than 255 bytes");
	if (strchr(name, '/'))
		return err_set("name '%s' contains '/'", name);
	if (name[0] == '.')
		return err_set("name '%s' starts with '.'", name);
	if (strstr(name, ".."))
		return err_set("name '%s' contains '..'", name);
	return 0;
}
