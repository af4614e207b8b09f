/*
 * clone: copy-on-write copies of files and of whole bundles.
 *
 * A clone shares its data blocks with the source where the filesystem
 * can (FICLONE on XFS and Btrfs, clonefile(2) on APFS) and otherwise
 * falls back to a copy that keeps the source's holes, so a sparse
 * 16 GiB disk with 2 GiB of data costs 2 GiB, not 16.
 */
#ifndef SECVF_CLONE_H
#define SECVF_CLONE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/bundle.h"

enum clone_method {
	CLONE_REFLINK,	 /* FICLONE: blocks shared, copy-on-write */
	CLONE_CLONEFILE, /* clonefile(2) on macOS */
	CLONE_COPY,	 /* fallback: data copied, holes kept */
};

/* "reflink", "clonefile", "fallback copy" */
const char *clone_method_name(enum clone_method m);

/*
 * Make the regular file dst_fd (open for writing, empty) a copy of
 * src_fd (open for reading): a reflink when the filesystem can, else
 * a copy of the data extents (SEEK_DATA/SEEK_HOLE, copy_file_range)
 * truncated to the source's size.  *method says which was used.  The
 * offsets of both descriptors are left unspecified; dst_fd is not
 * synced.
 */
int clone_file(int src_fd, int dst_fd, enum clone_method *method);

#define CLONE_MAX_FILES 32

struct clone_file_report {
	char name[VM_NAME_MAX];
	enum clone_method method;
	uint64_t size;	    /* apparent size */
	uint64_t allocated; /* bytes allocated to the clone's copy */
};

struct clone_report {
	char path[PATH_BUF]; /* the new bundle */
	struct clone_file_report files[CLONE_MAX_FILES];
	size_t nfiles;
	enum clone_method method; /* the weakest used: COPY if any copied */
	int64_t elapsed_ns;
};

/*
 * Make new_name a copy-on-write clone of the bundle src_name, in the
 * same family.  Every regular file of the source is cloned (files
 * secvf did not write too: a clone is evidence); symlinks and
 * directories inside the source are not followed and not copied.
 *
 * The clone is built under a hidden temporary name, synced, and
 * renamed into place, so its final name never holds half a clone.
 * Its config.plist gets the new name, clone_of = src_name and
 * cloned_at = now, and keeps the source's uuid and MAC: the clone
 * stands for the same machine, for forensic fidelity.  Files end
 * read-only (0400) and the directory 0500; bundle_delete() copes.
 *
 * The caller makes sure the source VM is not running or is paused.
 * Returns 1 on success (report filled), 0 when src_name does not
 * exist, -1 on any other error (err_msg() set; nothing left behind).
 */
int clone_bundle(const char *src_name, const char *new_name,
		 struct clone_report *report);

#endif
