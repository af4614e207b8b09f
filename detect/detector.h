/*
 * detector: what every detector has in common.
 *
 * A detector is a pure component: its caller (the supervisor) owns the
 * file descriptors, sockets and processes, feeds the detector what it
 * read together with the time, and receives findings through a sink.
 * Detectors keep no global state, never print and never sleep; time is
 * always passed in as microseconds (int64_t) so tests control the
 * clock.
 */
#ifndef SECVF_DETECTOR_H
#define SECVF_DETECTOR_H

#include "detect/severity.h"

#include <jansson.h>
#include <stdint.h>

/* Where a detector sends what it found.  data is stolen. */
struct det_sink {
	void (*emit)(void *ctx, enum ev_severity sev, const char *subsystem,
		     const char *event, json_t *data);
	void *ctx;
};

/*
 * Send a finding to sink; data (NULL means an empty object) is stolen
 * and released when there is no sink or no emit function.
 */
void det_emit(const struct det_sink *sink, enum ev_severity sev,
	      const char *subsystem, const char *event, json_t *data);

/*
 * A JSON string for text a guest or a process may control: invalid
 * UTF-8 bytes and control characters become '?'; NULL becomes null.
 * A new reference; NULL only when memory is short.
 */
json_t *det_str(const char *text);

#endif
