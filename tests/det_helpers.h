/*
 * Helpers for the detector suites: a sink that records what detectors
 * emit, and readers for the recorded inputs in tests/fixtures/detect/.
 */
#ifndef SECVF_TEST_DET_HELPERS_H
#define SECVF_TEST_DET_HELPERS_H

#include "detect/detector.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Every emitted event as {"severity","subsystem","event","data"}. */
struct rec {
	json_t *events;
	struct det_sink sink;
};

void rec_init(struct rec *r);
void rec_release(struct rec *r);

/* How many events named "subsystem.event" (NULL: all) were recorded. */
size_t rec_count(const struct rec *r, const char *name);

/* The first event named so, or NULL (borrowed). */
json_t *rec_find(const struct rec *r, const char *name);

/* Its severity name, or "" when absent. */
const char *rec_severity(const struct rec *r, const char *name);

/* The fixture tests/fixtures/detect/NAME, NUL-terminated (free()). */
char *det_fixture(const char *name, size_t *len);

/* Decode the hex digits of text (other characters skipped). free(). */
unsigned char *det_unhex(const char *text, size_t *len);

#endif
