/*
 * evlive: record events and run the Sigma rules over them as they are
 * written, in the process that writes them (a VM's supervisor, a lab's
 * switch), so that rules fire without a SIEM.  A match is recorded as
 * a sigma rule.match event.
 */
#ifndef SECVF_EVLIVE_H
#define SECVF_EVLIVE_H

#include "detect/severity.h"

#include <jansson.h>

struct evlive;

/*
 * Load the default rules (sigma_engine_add_defaults()).  A rule that
 * does not load is skipped and, like every failure here, recorded as
 * a WARNING secvf rules.invalid event: live rules never stop the
 * caller.  NULL only when memory is short.  evlive_free() releases.
 */
struct evlive *evlive_new(void);
void evlive_free(struct evlive *l);

/*
 * evlog_write() the event (data borrowed), then evaluate it.  l may be
 * NULL (then only the write).  Returns as evlog_write().
 */
int evlive_write(struct evlive *l, enum ev_severity sev,
		 const char *subsystem, const char *event, const char *vm,
		 json_t *data);

#endif
