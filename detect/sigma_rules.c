/*
 * Where the Sigma rules are: the user's, then the shipped ones.
 */
#include "detect/sigma.h"

#include "lib/home.h"
#include "lib/path.h"

#include <stdlib.h>
#include <sys/stat.h>

#ifndef SECVF_RULES_DIR
#define SECVF_RULES_DIR "/usr/local/share/secvf/rules"
#endif

static const char *
shipped_dir(void)
{
	const char *env = getenv("SECVF_RULES_DIR");
	struct stat st;

	if (env && *env)
		return env;
	if (stat(SECVF_RULES_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return SECVF_RULES_DIR;
#ifdef SECVF_SRC_RULES_DIR
	return SECVF_SRC_RULES_DIR;
#else
	return SECVF_RULES_DIR;
#endif
}

int
sigma_engine_add_defaults(struct sigma_engine *e, struct sigma_problems *p)
{
	char dir[PATH_BUF];
	int rc = 0;

	if (home_path(dir, sizeof(dir), "rules") < 0)
		return -1;
	if (sigma_engine_add_dir(e, dir, SIGMA_SKIP_DUPLICATES, p) < 0)
		rc = -1;
	if (sigma_engine_add_dir(e, shipped_dir(), SIGMA_SKIP_DUPLICATES, p) <
	    0)
		rc = -1;
	return rc;
}
