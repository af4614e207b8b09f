/*
 * doctor: is this host ready to run a lab and respond to an incident?
 *
 * Each check gives ok, warn (works, but not as well as it could) or
 * fail (the feature does not work), with what was found and what to
 * do.  Checks: QEMU and its version, the accelerators (KVM usable or
 * TCG only), virtiofsd for writable shares, whether SECVF_HOME's
 * filesystem can reflink (copy-on-write snapshots), the signing key,
 * the case database, and the programs triage collects with.
 */
#ifndef SECVF_DOCTOR_H
#define SECVF_DOCTOR_H

#include <jansson.h>

/*
 * Run every check.  Returns a new array of {"check", "status",
 * "detail"} objects the caller json_decref()s, or NULL with err_msg()
 * set when memory is short.  Never changes anything but temporary files
 * beneath SECVF_HOME.
 */
json_t *doctor_run(void);

/* How many results have status ("ok", "warn", "fail"). */
int doctor_count(const json_t *results, const char *status);

#endif
