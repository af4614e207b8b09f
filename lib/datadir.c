#include "datadir.h"

#include "err.h"
#include "path.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SECVF_DATADIR_DEFAULT
#define SECVF_DATADIR_DEFAULT "/usr/local/share/secvf"
#endif

/* "DIR/../playbooks" for the directory DIR holding the running binary. */
static int
exe_relative(char *buf, size_t size, const char *name)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return path_fmt(buf, size, "%s/../playbooks/%s", exe, name);
}

int
datadir_path(char *buf, size_t size, const char *name)
{
	const char *env = getenv("SECVF_DATADIR");

	if (env && *env)
		return path_fmt(buf, size, "%s/%s", env, name);

	if (path_fmt(buf, size, "%s/%s", SECVF_DATADIR_DEFAULT, name) == 0 &&
	    access(buf, R_OK) == 0)
		return 0;
	if (exe_relative(buf, size, name) == 0 && access(buf, R_OK) == 0)
		return 0;
	return err_set("cannot find data file '%s' (set SECVF_DATADIR, or "
		       "install it in '%s')",
		       name, SECVF_DATADIR_DEFAULT);
}
