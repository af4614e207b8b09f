/*
 * datadir: where secvf's data files (playbooks/advice.yaml, ...) live.
 */
#ifndef SECVF_DATADIR_H
#define SECVF_DATADIR_H

#include <stddef.h>

/*
 * Put the path of the data file name into buf, looking in order:
 *   $SECVF_DATADIR (when set, used as it is, whether the file exists
 *   or not), the compiled-in $(PREFIX)/share/secvf, then "playbooks"
 *   in the source tree next to the running binary (../playbooks from
 *   the directory of /proc/self/exe), for a build that is not
 *   installed.  Returns 0, or -1 with err_msg() naming the places
 *   searched.
 */
int datadir_path(char *buf, size_t size, const char *name);

#endif
