/*
 * report: the incident report, report.html, for people.
 *
 * One self-contained HTML file rendered from the triage manifest
 * (manifest_json() in triage.c), the custody trail and the VM's
 * security events before the pause: a summary (VM, case, when paused,
 * the outcome of each step), the four boundary panels computed from
 * the events, the timeline of those events, the hashes, the custody
 * trail and the advice for the events seen.
 *
 * Inline CSS only: no script, no external request of any kind (a
 * Content-Security-Policy of default-src 'none' says so to browsers
 * too), and every interpolated string is HTML-escaped with control
 * bytes shown as \u00XX, since events carry text from the guest.  It
 * prints readably (@media print).
 */
#ifndef SECVF_REPORT_H
#define SECVF_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_EVENTS_MAX 2000 /* the latest kept; the report says so */

/*
 * The events of VM vm logged in [end_us - window_us, end_us), oldest
 * first, as an array of {"ts","severity","subsystem","event","vm",
 * "data"} objects, the latest REPORT_EVENTS_MAX at most.  Lines that
 * are not events are skipped.  A new reference the caller
 * json_decref()s; NULL with err_msg() set when the logs cannot be
 * listed or read.
 */
json_t *report_events_load(const char *vm, int64_t end_us, int64_t window_us);

/*
 * Render the report.  manifest and events (as report_events_load()
 * gives) are borrowed; custody is the custody.jsonl text (len bytes,
 * may be NULL).  Fields missing from the manifest show as "-".
 * Returns malloc'd NUL-terminated HTML (the caller free()s it) and its
 * length in *len; NULL with err_msg() set when out of memory.
 */
char *report_html(json_t *manifest, const char *custody, size_t custody_len,
		  json_t *events, size_t *len);

#endif
