#include "home.h"

#include "err.h"
#include "path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char home_buf[PATH_BUF];

static int
home_resolve(char *buf, size_t size)
{
	const char *env = getenv("SECVF_HOME");
	const char *user;

	if (env && *env)
		return path_fmt(buf, size, "%s", env);

	user = getenv("HOME");
	if (!user || !*user)
		return err_set("neither SECVF_HOME nor HOME is set");
	return path_fmt(buf, size, "%s/.avf", user);
}

const char *
home_dir(void)
{
	struct stat st;

	if (home_buf[0])
		return home_buf;

	if (home_resolve(home_buf, sizeof(home_buf)) < 0)
		goto fail;
	if (path_mkdirs(home_buf, 0700) < 0)
		goto fail;

	if (stat(home_buf, &st) < 0) {
		err_errno("cannot stat '%s'", home_buf);
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set("'%s' is not a directory", home_buf);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		err_set("'%s' belongs to another user", home_buf);
		goto fail;
	}
	if (st.st_mode & 0077) {
		err_set("'%s' is open to other users (mode %04o); "
			"run chmod 700 on it",
			home_buf, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	return home_buf;

fail:
	home_buf[0] = '\0';
	return NULL;
}

static int
home_vpath(char *buf, size_t size, const char *fmt, va_list ap)
{
	char rel[PATH_BUF];
	const char *home = home_dir();
	int n;

	if (!home)
		return -1;

	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return err_set("path too long");
	return path_fmt(buf, size, "%s/%s", home, rel);
}

int
home_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = home_vpath(buf, size, fmt, ap);
	va_end(ap);
	return rc;
}

int
home_subdir(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = home_vpath(buf, size, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	return path_mkdirs(buf, 0700);
}

void
home_reset(void)
{
	home_buf[0] = '\0';
}
