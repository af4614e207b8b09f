/*
 * artifacts: the list of what triage collects, read from
 * playbooks/artifacts.yaml (see that file for the format), so that an
 * artifact is added without touching C.
 */
#ifndef SECVF_ARTIFACTS_H
#define SECVF_ARTIFACTS_H

#include <stddef.h>

#define ARTIFACT_MAX 128      /* entries in one list */
#define ARTIFACT_ARGV_MAX 16  /* arguments of one command */
#define ARTIFACT_TEXT_MAX 512 /* one path, member, argument or why */

enum artifact_kind {
	ARTIFACT_FILE,
	ARTIFACT_GLOB,
	ARTIFACT_DIR,
	ARTIFACT_PROC,
	ARTIFACT_FDS,
	ARTIFACT_CHILDREN,
	ARTIFACT_COMMAND,
};

struct artifact {
	enum artifact_kind kind;
	char member[ARTIFACT_TEXT_MAX];
	char path[ARTIFACT_TEXT_MAX];
	char argv[ARTIFACT_ARGV_MAX][ARTIFACT_TEXT_MAX];
	int argc;
	int timeout_s;
	char why[ARTIFACT_TEXT_MAX];
};

struct artifact_list {
	struct artifact items[ARTIFACT_MAX];
	size_t count;
};

/*
 * Read the YAML list at path into list (a large struct: allocate it,
 * do not put it on a small stack).  -1 with err_msg() naming the file,
 * line and problem on anything the format does not allow; unknown keys
 * and kinds are errors, never ignored.
 */
int artifacts_load(const char *path, struct artifact_list *list);

const char *artifact_kind_name(enum artifact_kind k);

/* Values for the {name} placeholders; NULL fields expand to "". */
struct artifact_vars {
	const char *home;
	const char *vm;
	const char *run;
	const char *bundle;
	const char *date;
	const char *yesterday;
	const char *since;
	const char *qemu_pid;
};

/*
 * Expand the placeholders of text into out.  Returns 1 when done, 0
 * when a placeholder used is empty (the artifact cannot be had, say no
 * QEMU pid), -1 with err_msg() set on an unknown placeholder or when
 * out is too small.
 */
int artifact_expand(const char *text, const struct artifact_vars *v,
		    char *out, size_t size);

#endif
