/*
 * manifest: MANIFEST.sha256, the signed member list of a bundle.
 *
 * One BSD-tagged line per member, sorted by the member name's raw
 * bytes (strcmp order), no duplicates, "\n" after every line:
 *
 *	SHA256 (logs/security-2026-12-03.log) = <64 lowercase hex>
 *
 * A name holding a newline or a backslash is escaped as GNU sha256sum
 * does: the line starts with a backslash, and in the name "\\" stands
 * for a backslash and "\n" for a newline.  Every other byte (non-UTF-8
 * bytes, a leading '-', a ')') is kept as it is: the name runs from
 * "SHA256 (" to the fixed-length ") = <hex>" tail.  `sha256sum -c`
 * reads these lines unchanged.
 */
#ifndef SECVF_MANIFEST_H
#define SECVF_MANIFEST_H

#include <stddef.h>

#define MANIFEST_NAME "MANIFEST.sha256"
#define MANIFEST_SIG_NAME "MANIFEST.sha256.sig"
#define MANIFEST_SIGNER_NAME "signer.pub"
#define MANIFEST_MEMBER_MAX 4096 /* bytes in a member name */

struct manifest_entry {
	char *name;      /* raw member name, malloc'd */
	char sha256[65]; /* lowercase hex */
};

struct manifest {
	struct manifest_entry *v;
	size_t n;
};

/*
 * Is name acceptable as a member name: relative, non-empty, at most
 * MANIFEST_MEMBER_MAX bytes, no empty, "." or ".." component?  0 or -1
 * with err_msg() set.
 */
int manifest_check_name(const char *name);

/* Is name one of the three members the manifest does not list? */
int manifest_is_reserved(const char *name);

/*
 * Sort m by name and render it.  Duplicate names fail.  *text is
 * malloc'd (free() it), NUL-terminated, *len bytes long.
 */
int manifest_render(struct manifest *m, char **text, size_t *len);

/*
 * Parse manifest text strictly: BSD-tagged SHA256 lines only, each
 * ending in "\n", valid escapes, lowercase hex, names in strictly
 * increasing order.  On failure m is empty and err_msg() names the
 * line.  Release m with manifest_release().
 */
int manifest_parse(const char *text, size_t len, struct manifest *m);

/* Add a copy of name with its hex digest to m. */
int manifest_add(struct manifest *m, const char *name, const char *hex);

/* Sort m by name (strcmp order), keeping duplicates. */
void manifest_sort(struct manifest *m);

/* Find name in a sorted manifest; NULL when absent. */
const struct manifest_entry *manifest_find(const struct manifest *m,
					   const char *name);

void manifest_release(struct manifest *m);

/*
 * A printable form of a member name for messages: control bytes,
 * backslash and bytes >= 0x7f as \xNN (\n as \n); truncated with
 * "..." to fit buf.
 */
const char *manifest_display(const char *name, char *buf, size_t size);

#endif
