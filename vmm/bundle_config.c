/*
 * config.plist of a bundle: struct vm_config to and from an XML
 * property list, its validation, and size parsing.
 */
#include "bundle.h"

#include "lib/err.h"
#include "lib/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define CONFIG_VERSION 1

static const char *const family_names[] = {"linux", "macos"};
static const char *const family_dirs[] = {"Linux", "MacOS"};
static const char *const net_names[] = {"nat", "virtual", "router", "fakenet"};
static const char *const hidden_names[] = {"dotfiles", "none"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
name_index(const char *const *names, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], text))
			return (int)i;
	return -1;
}

const char *
vm_family_name(enum vm_family f)
{
	return (size_t)f < NELEM(family_names) ? family_names[f] : "?";
}

const char *
vm_family_dir(enum vm_family f)
{
	return (size_t)f < NELEM(family_dirs) ? family_dirs[f] : "?";
}

const char *
vm_net_mode_name(enum vm_net_mode m)
{
	return (size_t)m < NELEM(net_names) ? net_names[m] : "?";
}

const char *
vm_hidden_name(enum vm_hidden h)
{
	return (size_t)h < NELEM(hidden_names) ? hidden_names[h] : "?";
}

int
vm_family_parse(const char *text, enum vm_family *f)
{
	int i = name_index(family_names, NELEM(family_names), text);

	if (i < 0)
		return err_set("unknown family '%s' (linux or macos)", text);
	*f = (enum vm_family)i;
	return 0;
}

int
vm_net_mode_parse(const char *text, enum vm_net_mode *m)
{
	int i = name_index(net_names, NELEM(net_names), text);

	if (i < 0)
		return err_set("unknown network mode '%s' "
			       "(nat, virtual, router or fakenet)",
			       text);
	*m = (enum vm_net_mode)i;
	return 0;
}

int
vm_hidden_parse(const char *text, enum vm_hidden *h)
{
	int i = name_index(hidden_names, NELEM(hidden_names), text);

	if (i < 0)
		return err_set("unknown hidden-names policy '%s' "
			       "(dotfiles or none)",
			       text);
	*h = (enum vm_hidden)i;
	return 0;
}

/* Sizes */

static int
size_shift(const char *suffix, unsigned *shift)
{
	static const char units[] = "KMGT";
	const char *u;

	if (!*suffix || !strcmp(suffix, "B")) {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)suffix[0]));
	if (!u || !*u)
		return -1;
	suffix++;
	if (*suffix && strcmp(suffix, "B") && strcmp(suffix, "iB"))
		return -1;
	*shift = 10 * (unsigned)(u - units + 1);
	return 0;
}

int
size_parse(const char *text, uint64_t *bytes)
{
	unsigned long long n;
	unsigned shift;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		goto bad;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return err_set("size '%s' is too large", text);
	if (size_shift(end, &shift) < 0)
		goto bad;
	if (shift && n > (UINT64_MAX >> shift))
		return err_set("size '%s' is too large", text);
	*bytes = (uint64_t)n << shift;
	return 0;

bad:
	return err_set("invalid size '%s': expected a number of bytes, "
		       "optionally with K, M, G or T (such as 512M, 16GiB)",
		       text);
}

void
size_format(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	uint64_t whole = bytes;

	while (u + 1 < NELEM(units) && whole >= 1024) {
		whole >>= 10;
		u++;
	}
	if (u == 0 || (bytes & ((1ULL << (10 * u)) - 1)) == 0)
		snprintf(buf, size, "%" PRIu64 " %s", whole, units[u]);
	else
		snprintf(buf, size, "%.1f %s",
			 (double)bytes / (double)(1ULL << (10 * u)), units[u]);
}

/* Identity */

static int
random_bytes(uint8_t *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, 0);

	if (n < 0 || (size_t)n != len)
		return err_errno("cannot get random bytes");
	return 0;
}

static int
random_uuid(char out[VM_UUID_LEN])
{
	uint8_t b[16];

	if (random_bytes(b, sizeof(b)) < 0)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, VM_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

static int
random_mac(char out[VM_MAC_LEN])
{
	uint8_t b[3];

	if (random_bytes(b, sizeof(b)) < 0)
		return -1;
	snprintf(out, VM_MAC_LEN, "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
	return 0;
}

int
vm_config_init(struct vm_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	if (path_check_name(name) < 0)
		return -1;
	if (path_fmt(c->name, sizeof(c->name), "%s", name) < 0)
		return -1;

	c->family = VM_LINUX;
	c->cpus = 2;
	c->memory_mb = 2048;
	c->disk_bytes = 16ULL << 30;
	c->net_mode = VM_NET_NAT;
	c->host_channel = 1;
	time_iso(time_now_us(), c->created);

	if (random_uuid(c->uuid) < 0 || random_mac(c->mac) < 0)
		return -1;
	return 0;
}

/* Validation of the struct */

static int
is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int
is_mac(const char *s)
{
	size_t i;

	if (strlen(s) != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	/* A NIC's address is unicast. */
	return (strtoul((char[3]){s[0], s[1], 0}, NULL, 16) & 1) == 0;
}

static int
is_tag(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/* "usb-tablet" (a QEMU device) or "1d6b:0002" (vendor:product). */
static int
is_usb(const char *s)
{
	size_t i;

	if (strlen(s) == 9 && s[4] == ':') {
		for (i = 0; i < 9; i++)
			if (i != 4 && !isxdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	if (!isalpha((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static int
is_time(const char *s)
{
	int64_t us;

	/* time_parse also takes spans such as "2h"; a stamp has a date. */
	return strlen(s) >= 10 && s[4] == '-' && time_parse(s, &us) == 0;
}

static int
check_path(const char *key, const char *path)
{
	if (*path && path[0] != '/')
		return err_set("'%s' must be an absolute path", key);
	return 0;
}

static int
check_boot(const struct vm_config *c)
{
	if (check_path("boot.firmware", c->firmware) < 0 ||
	    check_path("boot.kernel", c->kernel) < 0 ||
	    check_path("boot.initrd", c->initrd) < 0)
		return -1;
	if (*c->firmware && *c->kernel)
		return err_set("'boot.firmware' and 'boot.kernel' "
			       "exclude each other");
	if ((*c->initrd || *c->append) && !*c->kernel)
		return err_set("'boot.initrd' and 'boot.append' "
			       "need 'boot.kernel'");
	return 0;
}

static int
check_network(const struct vm_config *c)
{
	if ((size_t)c->net_mode >= NELEM(net_names))
		return err_set("'network.mode' must be one of nat, virtual, "
			       "router, fakenet");
	if (*c->network && path_check_name(c->network) < 0)
		return err_set("'network.lab' must be a valid network name");
	if (!is_mac(c->mac))
		return err_set("'network.mac' must be a unicast MAC address "
			       "such as 52:54:00:12:34:56");
	return 0;
}

static int
check_shares(const struct vm_config *c)
{
	size_t i, j;

	if (c->nshares > VM_MAX_SHARES)
		return err_set("'shares' has more than %d entries",
			       VM_MAX_SHARES);
	for (i = 0; i < c->nshares; i++) {
		const struct vm_share *s = &c->shares[i];

		if (s->path[0] != '/')
			return err_set("'shares.path' must be an absolute "
				       "path");
		if (!is_tag(s->tag))
			return err_set("'shares.tag' must be 1 to %d letters, "
				       "digits, '-' or '_'",
				       VM_TAG_MAX - 1);
		if ((size_t)s->hidden >= NELEM(hidden_names))
			return err_set("'shares.hidden' must be dotfiles or "
				       "none");
		for (j = 0; j < i; j++)
			if (!strcmp(c->shares[j].tag, s->tag))
				return err_set("'shares.tag' '%s' is used "
					       "twice",
					       s->tag);
	}
	return 0;
}

static int
check_usb(const struct vm_config *c)
{
	size_t i;

	if (c->nusb > VM_MAX_USB)
		return err_set("'usb' has more than %d entries", VM_MAX_USB);
	for (i = 0; i < c->nusb; i++)
		if (!is_usb(c->usb[i]))
			return err_set("'usb' entries must be a device name "
				       "such as usb-tablet or a "
				       "vendor:product pair such as 1d6b:0002");
	return 0;
}

static int
check_identity(const struct vm_config *c)
{
	if (path_check_name(c->name) < 0)
		return err_set("'name' must be a valid VM name");
	if (!is_uuid(c->uuid))
		return err_set("'uuid' must be a UUID");
	if ((size_t)c->family >= NELEM(family_names))
		return err_set("'family' must be linux or macos");
	if (!is_time(c->created))
		return err_set("'created' must be an ISO-8601 UTC time");
	if (*c->clone_of && path_check_name(c->clone_of) < 0)
		return err_set("'clone_of' must be a valid VM name");
	if (*c->cloned_at && !is_time(c->cloned_at))
		return err_set("'cloned_at' must be an ISO-8601 UTC time");
	if (!*c->clone_of != !*c->cloned_at)
		return err_set("'clone_of' and 'cloned_at' go together");
	return 0;
}

static int
check_machine(const struct vm_config *c)
{
	if (c->cpus < VM_CPUS_MIN || c->cpus > VM_CPUS_MAX)
		return err_set("'cpus' must be an integer from %d to %d",
			       VM_CPUS_MIN, VM_CPUS_MAX);
	if (c->memory_mb < VM_MEMORY_MB_MIN || c->memory_mb > VM_MEMORY_MB_MAX)
		return err_set("'memory_mb' must be an integer from %llu to "
			       "%llu",
			       VM_MEMORY_MB_MIN, VM_MEMORY_MB_MAX);
	if (c->disk_bytes < VM_DISK_MIN || c->disk_bytes > VM_DISK_MAX)
		return err_set("'disk_bytes' must be an integer from %llu to "
			       "%llu",
			       VM_DISK_MIN, VM_DISK_MAX);
	if (*c->accel && strcmp(c->accel, "kvm") && strcmp(c->accel, "tcg"))
		return err_set("'accel' must be kvm, tcg or empty");
	return 0;
}

int
vm_config_validate(const struct vm_config *c)
{
	if (check_identity(c) < 0 || check_machine(c) < 0 ||
	    check_boot(c) < 0 || check_network(c) < 0 || check_shares(c) < 0 ||
	    check_usb(c) < 0)
		return -1;
	return 0;
}

/* Reading config.plist */

static int
check_keys(plist_t dict, const char *where, const char *const *allowed)
{
	plist_dict_iter it = NULL;
	const char *const *a;
	plist_t val = NULL;
	char *key = NULL;
	int rc = 0;

	plist_dict_new_iter(dict, &it);
	for (;;) {
		plist_dict_next_item(dict, it, &key, &val);
		if (!key)
			break;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a && rc == 0)
			rc = err_set("unknown key '%s%s%.64s'", where,
				     *where ? "." : "", key);
		free(key);
		key = NULL;
	}
	free(it);
	return rc;
}

/*
 * The text of a string node, or NULL when it holds a NUL byte (an XML
 * or UTF-16 string can; plist_get_string_val() would abort on it).
 * Borrowed from the node.
 */
static const char *
string_text(plist_t node)
{
	uint64_t len = 0;
	const char *val = plist_get_string_ptr(node, &len);

	if (!val || strlen(val) != len)
		return NULL;
	return val;
}

/*
 * Copy the string at key into buf.  Absent: "" when optional, an
 * error when required.  A wrong type or an overlong value is an error.
 */
static int
get_string(plist_t dict, const char *key, const char *label, char *buf,
	   size_t size, int required)
{
	plist_t node = plist_dict_get_item(dict, key);
	const char *val;

	buf[0] = '\0';
	if (!node)
		return required ? err_set("'%s' is missing", label) : 0;
	if (plist_get_node_type(node) != PLIST_STRING)
		return err_set("'%s' must be a string", label);

	val = string_text(node);
	if (!val)
		return err_set("'%s' holds a NUL byte", label);
	if (strlen(val) >= size)
		return err_set("'%s' is longer than %zu bytes", label,
			       size - 1);
	memcpy(buf, val, strlen(val) + 1);
	return 0;
}

/* An integer; a wrong type reads as 0, which the range check refuses. */
static uint64_t
get_uint(plist_t dict, const char *key)
{
	plist_t node = plist_dict_get_item(dict, key);
	uint64_t val = 0;

	if (node && plist_get_node_type(node) == PLIST_UINT)
		plist_get_uint_val(node, &val);
	return val;
}

static int
get_bool(plist_t dict, const char *key, const char *label, int *out, int dflt)
{
	plist_t node = plist_dict_get_item(dict, key);
	uint8_t val = 0;

	*out = dflt;
	if (!node)
		return 0;
	if (plist_get_node_type(node) != PLIST_BOOLEAN)
		return err_set("'%s' must be true or false", label);
	plist_get_bool_val(node, &val);
	*out = val != 0;
	return 0;
}

/* A string naming one of names; unknown or mistyped gives n. */
static int
get_enum(plist_t dict, const char *key, const char *label,
	 const char *const *names, size_t n)
{
	char text[32];
	int i;

	if (get_string(dict, key, label, text, sizeof(text), 0) < 0)
		return (int)n;
	i = name_index(names, n, text);
	return i < 0 ? (int)n : i;
}

#define BAD_NODE ((plist_t)-1)

/* The dictionary or array at key; NULL when absent, BAD_NODE if mistyped. */
static plist_t
get_container(plist_t dict, const char *key, plist_type type)
{
	plist_t node = plist_dict_get_item(dict, key);

	if (!node)
		return NULL;
	if (plist_get_node_type(node) != type) {
		err_set("'%s' must be %s", key,
			type == PLIST_DICT ? "a dictionary" : "an array");
		return BAD_NODE;
	}
	return node;
}

static int
read_boot(plist_t root, struct vm_config *c)
{
	static const char *const keys[] = {"firmware", "kernel", "initrd",
					   "append", NULL};
	plist_t boot = get_container(root, "boot", PLIST_DICT);

	if (boot == BAD_NODE)
		return -1;
	if (!boot)
		return 0;
	if (check_keys(boot, "boot", keys) < 0 ||
	    get_string(boot, "firmware", "boot.firmware", c->firmware,
		       sizeof(c->firmware), 0) < 0 ||
	    get_string(boot, "kernel", "boot.kernel", c->kernel,
		       sizeof(c->kernel), 0) < 0 ||
	    get_string(boot, "initrd", "boot.initrd", c->initrd,
		       sizeof(c->initrd), 0) < 0 ||
	    get_string(boot, "append", "boot.append", c->append,
		       sizeof(c->append), 0) < 0)
		return -1;
	return 0;
}

static int
read_network(plist_t root, struct vm_config *c)
{
	static const char *const keys[] = {"mode", "lab", "mac", "router",
					   NULL};
	plist_t net = get_container(root, "network", PLIST_DICT);

	if (net == BAD_NODE)
		return -1;
	if (!net)
		return err_set("'network' is missing");
	if (check_keys(net, "network", keys) < 0)
		return -1;

	c->net_mode = (enum vm_net_mode)get_enum(net, "mode", "network.mode",
						 net_names, NELEM(net_names));
	if (get_string(net, "lab", "network.lab", c->network,
		       sizeof(c->network), 0) < 0 ||
	    get_string(net, "mac", "network.mac", c->mac, sizeof(c->mac), 1) <
		    0 ||
	    get_bool(net, "router", "network.router", &c->router, 0) < 0)
		return -1;
	return 0;
}

static int
read_share(plist_t node, struct vm_share *s)
{
	static const char *const keys[] = {"path", "tag", "read_only", "hidden",
					   NULL};

	if (plist_get_node_type(node) != PLIST_DICT)
		return err_set("'shares' entries must be dictionaries");
	if (check_keys(node, "shares", keys) < 0 ||
	    get_string(node, "path", "shares.path", s->path, sizeof(s->path),
		       1) < 0 ||
	    get_string(node, "tag", "shares.tag", s->tag, sizeof(s->tag), 1) <
		    0 ||
	    get_bool(node, "read_only", "shares.read_only", &s->read_only, 0) <
		    0)
		return -1;
	s->hidden = VM_HIDE_DOTFILES;
	if (plist_dict_get_item(node, "hidden"))
		s->hidden = (enum vm_hidden)get_enum(
			node, "hidden", "shares.hidden", hidden_names,
			NELEM(hidden_names));
	return 0;
}

static int
read_shares(plist_t root, struct vm_config *c)
{
	plist_t arr = get_container(root, "shares", PLIST_ARRAY);
	uint32_t i, n;

	if (arr == BAD_NODE)
		return -1;
	if (!arr)
		return 0;
	n = plist_array_get_size(arr);
	if (n > VM_MAX_SHARES)
		return err_set("'shares' has more than %d entries",
			       VM_MAX_SHARES);
	for (i = 0; i < n; i++)
		if (read_share(plist_array_get_item(arr, i), &c->shares[i]) < 0)
			return -1;
	c->nshares = n;
	return 0;
}

static int
read_usb(plist_t root, struct vm_config *c)
{
	plist_t arr = get_container(root, "usb", PLIST_ARRAY);
	const char *val;
	uint32_t i, n;

	if (arr == BAD_NODE)
		return -1;
	if (!arr)
		return 0;
	n = plist_array_get_size(arr);
	if (n > VM_MAX_USB)
		return err_set("'usb' has more than %d entries", VM_MAX_USB);
	for (i = 0; i < n; i++) {
		plist_t node = plist_array_get_item(arr, i);

		if (plist_get_node_type(node) != PLIST_STRING)
			return err_set("'usb' entries must be strings");
		val = string_text(node);
		if (!val)
			return err_set("'usb' entries must not hold a NUL "
				       "byte");
		if (strlen(val) >= VM_USB_MAX)
			return err_set("'usb' entries must be shorter than "
				       "%d bytes",
				       VM_USB_MAX);
		memcpy(c->usb[i], val, strlen(val) + 1);
	}
	c->nusb = n;
	return 0;
}

static int
read_top(plist_t root, struct vm_config *c)
{
	static const char *const keys[] = {
		"version",	"name",	      "uuid",  "family",  "cpus",
		"memory_mb",	"disk_bytes", "boot",  "network", "shares",
		"host_channel", "usb",	      "accel", "created", "clone_of",
		"cloned_at",	NULL};
	uint64_t v;

	if (check_keys(root, "", keys) < 0)
		return -1;
	if (get_uint(root, "version") != CONFIG_VERSION)
		return err_set("'version' must be %d", CONFIG_VERSION);
	if (get_string(root, "name", "name", c->name, sizeof(c->name), 1) < 0 ||
	    get_string(root, "uuid", "uuid", c->uuid, sizeof(c->uuid), 1) < 0)
		return -1;
	c->family = (enum vm_family)get_enum(root, "family", "family",
					     family_names, NELEM(family_names));
	v = get_uint(root, "cpus");
	c->cpus = v > VM_CPUS_MAX ? 0 : (int)v;
	c->memory_mb = get_uint(root, "memory_mb");
	c->disk_bytes = get_uint(root, "disk_bytes");
	if (get_bool(root, "host_channel", "host_channel", &c->host_channel,
		     1) < 0 ||
	    get_string(root, "accel", "accel", c->accel, sizeof(c->accel), 0) <
		    0 ||
	    get_string(root, "created", "created", c->created,
		       sizeof(c->created), 1) < 0 ||
	    get_string(root, "clone_of", "clone_of", c->clone_of,
		       sizeof(c->clone_of), 0) < 0 ||
	    get_string(root, "cloned_at", "cloned_at", c->cloned_at,
		       sizeof(c->cloned_at), 0) < 0)
		return -1;
	return 0;
}

/*
 * Does a string or key of the tree hold a NUL byte?  libplist keeps
 * the NUL of an XML or UTF-16 string, its XML rendering shows it, and
 * plist_get_key_val() (so plist_dict_next_item()) aborts on such a
 * key.  -1 with err_msg() set when it does or cannot be told.
 */
static int
check_no_nul(plist_t root)
{
	uint32_t len = 0;
	char *xml = NULL;
	int rc = 0;

	plist_to_xml(root, &xml, &len);
	if (!xml)
		return err_set("cannot read the property list");
	if (memchr(xml, '\0', len))
		rc = err_set("a string or key holds a NUL byte");
	plist_to_xml_free(xml);
	return rc;
}

static int
config_from_plist(plist_t root, const char *expect_name, struct vm_config *c)
{
	if (!root || plist_get_node_type(root) != PLIST_DICT)
		return err_set("not a property list holding a dictionary");
	if (check_no_nul(root) < 0)
		return -1;
	if (read_top(root, c) < 0 || read_boot(root, c) < 0 ||
	    read_network(root, c) < 0 || read_shares(root, c) < 0 ||
	    read_usb(root, c) < 0 || vm_config_validate(c) < 0)
		return -1;
	if (expect_name && strcmp(c->name, expect_name))
		return err_set("'name' is '%s' but the bundle is '%s'", c->name,
			       expect_name);
	return 0;
}

int
vm_config_parse(const char *text, size_t len, const char *expect_name,
		struct vm_config *c)
{
	plist_t root = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	if (len > VM_CONFIG_MAX)
		return err_set("config.plist: larger than %d bytes",
			       VM_CONFIG_MAX);
	if (len > 0)
		plist_from_memory(text, (uint32_t)len, &root);
	rc = config_from_plist(root, expect_name, c);
	if (root)
		plist_free(root);
	if (rc < 0) {
		err_prefix("config.plist");
		memset(c, 0, sizeof(*c));
	}
	return rc;
}

int
vm_config_read(const char *path, const char *expect_name, struct vm_config *c)
{
	size_t len;
	char *text;
	int rc;

	memset(c, 0, sizeof(*c));
	if (file_read_all(path, VM_CONFIG_MAX, &text, &len) < 0)
		return -1;
	rc = vm_config_parse(text, len, expect_name, c);
	free(text);
	return rc;
}

/* Writing config.plist */

static void
set_string(plist_t dict, const char *key, const char *val)
{
	if (*val)
		plist_dict_set_item(dict, key, plist_new_string(val));
}

static plist_t
boot_plist(const struct vm_config *c)
{
	plist_t boot = plist_new_dict();

	set_string(boot, "firmware", c->firmware);
	set_string(boot, "kernel", c->kernel);
	set_string(boot, "initrd", c->initrd);
	set_string(boot, "append", c->append);
	return boot;
}

static plist_t
network_plist(const struct vm_config *c)
{
	plist_t net = plist_new_dict();

	plist_dict_set_item(net, "mode",
			    plist_new_string(vm_net_mode_name(c->net_mode)));
	set_string(net, "lab", c->network);
	plist_dict_set_item(net, "mac", plist_new_string(c->mac));
	plist_dict_set_item(net, "router", plist_new_bool(c->router != 0));
	return net;
}

static plist_t
shares_plist(const struct vm_config *c)
{
	plist_t arr = plist_new_array();
	size_t i;

	for (i = 0; i < c->nshares; i++) {
		const struct vm_share *s = &c->shares[i];
		plist_t d = plist_new_dict();

		plist_dict_set_item(d, "path", plist_new_string(s->path));
		plist_dict_set_item(d, "tag", plist_new_string(s->tag));
		plist_dict_set_item(d, "read_only",
				    plist_new_bool(s->read_only != 0));
		plist_dict_set_item(
			d, "hidden",
			plist_new_string(vm_hidden_name(s->hidden)));
		plist_array_append_item(arr, d);
	}
	return arr;
}

static plist_t
config_plist(const struct vm_config *c)
{
	plist_t root = plist_new_dict();
	plist_t usb = plist_new_array();
	size_t i;

	plist_dict_set_item(root, "version", plist_new_uint(CONFIG_VERSION));
	plist_dict_set_item(root, "name", plist_new_string(c->name));
	plist_dict_set_item(root, "uuid", plist_new_string(c->uuid));
	plist_dict_set_item(root, "family",
			    plist_new_string(vm_family_name(c->family)));
	plist_dict_set_item(root, "cpus", plist_new_uint((uint64_t)c->cpus));
	plist_dict_set_item(root, "memory_mb", plist_new_uint(c->memory_mb));
	plist_dict_set_item(root, "disk_bytes", plist_new_uint(c->disk_bytes));
	plist_dict_set_item(root, "boot", boot_plist(c));
	plist_dict_set_item(root, "network", network_plist(c));
	plist_dict_set_item(root, "shares", shares_plist(c));
	plist_dict_set_item(root, "host_channel",
			    plist_new_bool(c->host_channel != 0));
	for (i = 0; i < c->nusb; i++)
		plist_array_append_item(usb, plist_new_string(c->usb[i]));
	plist_dict_set_item(root, "usb", usb);
	set_string(root, "accel", c->accel);
	plist_dict_set_item(root, "created", plist_new_string(c->created));
	set_string(root, "clone_of", c->clone_of);
	set_string(root, "cloned_at", c->cloned_at);
	return root;
}

char *
vm_config_to_xml(const struct vm_config *c, size_t *len)
{
	plist_t root;
	uint32_t n = 0;
	char *xml = NULL, *copy;

	if (vm_config_validate(c) < 0)
		return NULL;
	root = config_plist(c);
	plist_to_xml(root, &xml, &n);
	plist_free(root);
	if (!xml) {
		err_set("cannot render config.plist");
		return NULL;
	}

	/* Hand back memory from malloc, whatever libplist used. */
	copy = strndup(xml, n);
	plist_to_xml_free(xml);
	if (!copy)
		err_set("out of memory rendering config.plist");
	else if (len)
		*len = n;
	return copy;
}

int
vm_config_write(const char *path, const struct vm_config *c)
{
	size_t len;
	char *xml = vm_config_to_xml(c, &len);
	int rc;

	if (!xml)
		return -1;
	rc = file_write_atomic(path, xml, len, 0600);
	free(xml);
	return rc;
}
