/*
 * collect: gather the artifacts of a list into an incident bundle.
 *
 * Each artifact is read once, straight into the bundle, where it is
 * hashed as it is written.  Nothing is followed through a symlink, no
 * FIFO, socket or device is read, commands run without a shell under a
 * timeout, and kernel files (/proc) are read whole with a size limit.
 * An artifact that is absent or fails is recorded, never fatal.
 */
#ifndef SECVF_COLLECT_H
#define SECVF_COLLECT_H

#include "playbooks/artifacts.h"

#include <jansson.h>
#include <stdint.h>

struct seal;

#define COLLECT_OUTPUT_MAX (64 << 20) /* bytes kept of one command or
					 kernel file */

/* Called before each artifact: index, count and the artifact. */
typedef void (*collect_progress_fn)(size_t index, size_t count,
				    const struct artifact *a, void *arg);

/*
 * What collection found, as JSON arrays the caller owns
 * (collect_report_release()):
 *   collected: {"member","kind","size","sha256"} per member written,
 *              plus "exit_code" for a command that failed
 *   missing:   {"member","kind","path","why","reason"} per artifact
 *              that could not be had
 *   skipped:   {"member","reason"} per entry not read (symlink,
 *              FIFO, device ...)
 */
struct collect_report {
	json_t *collected;
	json_t *missing;
	json_t *skipped;
	uint64_t bytes;
};

int collect_report_init(struct collect_report *r);
void collect_report_release(struct collect_report *r);

/*
 * Collect every artifact of list into s, with placeholders from vars.
 * Returns 0 when the bundle is intact (however many artifacts were
 * missing), -1 with err_msg() set when writing the bundle failed: the
 * seal is then broken and only seal_abort() remains.
 */
int collect_artifacts(struct seal *s, const struct artifact_list *list,
		      const struct artifact_vars *vars,
		      struct collect_report *r, collect_progress_fn progress,
		      void *arg);

#endif
