/*
 * bundle: a VM on disk and its config.plist.
 *
 * A bundle is the directory $SECVF_HOME/Linux/NAME.bundle (or
 * MacOS/NAME.bundle) holding exactly the files secvf writes:
 *
 *	config.plist       the VM's configuration, an XML property list
 *	Disk.img           the disk, sparse raw
 *	NVRAM              the UEFI variable store (empty without UEFI)
 *	MachineIdentifier  a random UUID, text
 *
 * and, for an instant while config.plist is rewritten, its temporary
 * name "config.plist.tmp.PID".  bundle_is_known_file() is that list;
 * anything else in a bundle was written by someone other than secvf.
 *
 * struct vm_config is plain data with bounded fixed-size fields: copy
 * it freely, nothing to free.  Text longer than its field is refused,
 * never cut.
 */
#ifndef SECVF_BUNDLE_H
#define SECVF_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/path.h"
#include "lib/timefmt.h"

#define VM_NAME_MAX 256	 /* 255 bytes and NUL */
#define VM_UUID_LEN 37	 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define VM_MAC_LEN 18	 /* "52:54:00:xx:xx:xx" */
#define VM_PATH_MAX 1024 /* kernel, initrd, firmware, share paths */
#define VM_APPEND_MAX 1024
#define VM_TAG_MAX 32 /* a share's mount tag, 31 bytes */
#define VM_USB_MAX 64 /* one USB device specification */
#define VM_MAX_SHARES 8
#define VM_MAX_USB 8

#define VM_CPUS_MIN 1
#define VM_CPUS_MAX 64
#define VM_MEMORY_MB_MIN 64ULL
#define VM_MEMORY_MB_MAX (1024ULL * 1024) /* 1 TiB */
#define VM_DISK_MIN (1ULL << 20)	  /* 1 MiB */
#define VM_DISK_MAX (16ULL << 40)	  /* 16 TiB */

/* The largest config.plist read; anything bigger is refused. */
#define VM_CONFIG_MAX (64 * 1024)

enum vm_family {
	VM_LINUX,
	VM_MACOS,
};

enum vm_net_mode {
	VM_NET_NAT,	/* user-mode NAT to the host's network */
	VM_NET_VIRTUAL, /* only the lab switch, no way out */
	VM_NET_ROUTER,	/* the lab switch; this VM routes for the lab */
	VM_NET_FAKENET, /* the lab switch with simulated internet services */
};

enum vm_hidden {
	VM_HIDE_DOTFILES, /* names starting with '.' are hidden in a share */
	VM_HIDE_NONE,
};

struct vm_share {
	char path[VM_PATH_MAX]; /* absolute host path */
	char tag[VM_TAG_MAX];	/* mount tag in the guest */
	int read_only;
	enum vm_hidden hidden;
};

/*
 * Everything needed to launch a VM.  Empty strings mean "not set".
 * Boot is by firmware (UEFI code image) or by kernel with optional
 * initrd and append, never both; with neither QEMU's BIOS boots the
 * disk.
 */
struct vm_config {
	char name[VM_NAME_MAX];
	char uuid[VM_UUID_LEN];
	enum vm_family family;
	int cpus;
	uint64_t memory_mb;
	uint64_t disk_bytes;

	char firmware[VM_PATH_MAX];
	char kernel[VM_PATH_MAX];
	char initrd[VM_PATH_MAX];
	char append[VM_APPEND_MAX];

	enum vm_net_mode net_mode;
	char network[VM_NAME_MAX]; /* lab network name, "" for none */
	char mac[VM_MAC_LEN];
	int router;

	struct vm_share shares[VM_MAX_SHARES];
	size_t nshares;
	int host_channel;
	char usb[VM_MAX_USB][VM_USB_MAX]; /* "usb-tablet" or "1d6b:0002" */
	size_t nusb;
	char accel[8]; /* "kvm", "tcg" or "" for the best available */

	char created[TIME_ISO_LEN];
	char clone_of[VM_NAME_MAX]; /* source VM of a clone, else "" */
	char cloned_at[TIME_ISO_LEN];
};

/*
 * Fill c with the defaults for a new VM called name: linux, 2 CPUs,
 * 2 GiB memory, 16 GiB disk, NAT, host channel on, a fresh random
 * UUID and MAC (52:54:00:xx:xx:xx) and the current time.  -1 with
 * err_msg() set when name does not fit or no randomness is available.
 */
int vm_config_init(struct vm_config *c, const char *name);

/*
 * Check every field of c (ranges, syntax, boot consistency).  The
 * message names the field: "'cpus' must be an integer from 1 to 64".
 */
int vm_config_validate(const struct vm_config *c);

/*
 * Parse config.plist text (XML or binary plist) into c and validate
 * it.  expect_name, when not NULL, must equal the name inside (the
 * bundle directory's name).  Messages start with "config.plist: ".
 */
int vm_config_parse(const char *text, size_t len, const char *expect_name,
		    struct vm_config *c);

/* Read and parse the file at path (at most VM_CONFIG_MAX bytes). */
int vm_config_read(const char *path, const char *expect_name,
		   struct vm_config *c);

/*
 * The XML form of c; malloc'd, NUL-terminated, free() it.  NULL with
 * err_msg() set when c does not validate.
 */
char *vm_config_to_xml(const struct vm_config *c, size_t *len);

/* Validate c and write it to path atomically, mode 0600. */
int vm_config_write(const char *path, const struct vm_config *c);

const char *vm_family_name(enum vm_family f); /* "linux", "macos" */
const char *vm_family_dir(enum vm_family f);  /* "Linux", "MacOS" */
const char *vm_net_mode_name(enum vm_net_mode m);
const char *vm_hidden_name(enum vm_hidden h);

/* Parse "linux"/"macos", "nat"/..., "dotfiles"/"none"; -1 if unknown. */
int vm_family_parse(const char *text, enum vm_family *f);
int vm_net_mode_parse(const char *text, enum vm_net_mode *m);
int vm_hidden_parse(const char *text, enum vm_hidden *h);

/*
 * Parse a size: plain bytes ("1048576") or a number with a binary
 * suffix K, M, G or T, optionally followed by "iB" or "B" ("512M",
 * "4G", "16GiB", "1T"; all powers of 1024).  -1 with err_msg() set on
 * anything else or on overflow.
 */
int size_parse(const char *text, uint64_t *bytes);

/* "16 GiB", "512 MiB", "1.5 GiB", "300 B" into buf. */
void size_format(uint64_t bytes, char *buf, size_t size);

/* Is name one of the files secvf writes into a bundle (see above)? */
int bundle_is_known_file(const char *name);

/* $SECVF_HOME/FAMILY/NAME.bundle into buf (name is checked). */
int bundle_path(const char *name, enum vm_family f, char *buf, size_t size);

/*
 * Look for the bundle of name in both families.  Returns 1 and fills
 * buf (and *f when not NULL) when found; 0 when there is none ("no VM
 * named 'x'" in err_msg()); -1 on a bad name or another error.
 */
int bundle_find(const char *name, char *buf, size_t size, enum vm_family *f);

/*
 * Find name and read its config.plist into c; return codes as
 * bundle_find().  buf, when not NULL, receives the bundle path.
 */
int bundle_load(const char *name, struct vm_config *c, char *buf, size_t size);

/*
 * The UEFI variable-store template that goes with a firmware code
 * image: the same file name with "CODE" replaced by "VARS"
 * (OVMF_CODE_4M.fd -> OVMF_VARS_4M.fd), if that file exists.  Returns
 * 1 and fills buf when found, 0 when there is none, -1 on error.
 */
int bundle_vars_template(const char *firmware, char *buf, size_t size);

/*
 * Make the bundle of c: the directory (0700), Disk.img of
 * c->disk_bytes (sparse, 0600), NVRAM (a copy of the firmware's
 * variable template when there is one, else empty), MachineIdentifier
 * and config.plist.  Refuses a name that exists in either family.  On
 * failure nothing of the bundle is left.  path, when not NULL,
 * receives the bundle's path.
 */
int bundle_create(const struct vm_config *c, char *path, size_t size);

struct bundle_entry {
	char name[VM_NAME_MAX];
	enum vm_family family;
};

/*
 * Every bundle of both families, sorted by name.  *entries is
 * malloc'd (free() it; NULL when *count is 0).  Names that are not
 * valid VM names and entries that are not directories are skipped.
 */
int bundle_list(struct bundle_entry **entries, size_t *count);

/*
 * Remove the bundle of name.  The bundle is first renamed out of the
 * way so that a crash never leaves half a bundle under its name; a
 * bundle that is a symlink is refused; nothing inside is followed
 * (symlinks are removed, not their targets); read-only files and
 * directories (clones) are made writable first.  Return codes as
 * bundle_find().
 */
int bundle_delete(const char *name);

/*
 * Remove the directory name beneath dirfd and everything in it,
 * without following any symlink (and refusing one at name itself).
 */
int bundle_remove_tree(int dirfd, const char *name);

#endif
