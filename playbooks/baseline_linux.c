/*
 * The Linux checks: boot and kernel integrity, persistence places, and
 * the state the comparison checks capture.
 */
#include "baseline_int.h"

#include "lib/err.h"
#include "lib/path.h"
#include "lib/sha256.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EFIVARS "/sys/firmware/efi/efivars"
#define EFI_GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define EFI_SHIM "605dab50-e046-4300-abb6-3dd810dd8b23"
#define SIG_MARKER "~Module signature appended~\n"

static const char *const taint_flags[][2] = {
	{"P", "proprietary module"},
	{"F", "module force-loaded"},
	{"S", "kernel running on an out-of-spec system"},
	{"R", "module force-unloaded"},
	{"M", "machine check"},
	{"B", "bad page"},
	{"U", "taint requested by user space"},
	{"D", "kernel died (oops or BUG)"},
	{"A", "ACPI table overridden"},
	{"W", "kernel warning"},
	{"C", "staging driver"},
	{"I", "firmware bug workaround"},
	{"O", "out-of-tree module"},
	{"E", "unsigned module"},
	{"L", "soft lockup"},
	{"K", "kernel live-patched"},
	{"X", "auxiliary taint"},
	{"T", "built with the struct randomisation plugin"},
	{"N", "in-kernel test"},
};

#define NTAINT (sizeof(taint_flags) / sizeof(taint_flags[0]))

/* Read a small kernel file and strip trailing whitespace. */
static int
read_small(struct bl_ctx *c, const char *path, char **text)
{
	size_t len;

	if (bl_read(c, path, 65536, text, &len) < 0)
		return -1;
	while (len && isspace((unsigned char)(*text)[len - 1]))
		(*text)[--len] = '\0';
	return 0;
}

/* An efivar's value byte (after the 4 attribute bytes); -1 with err. */
static int
efivar_byte(struct bl_ctx *c, const char *name, const char *guid)
{
	char path[PATH_BUF], *buf;
	size_t len;
	int v;

	if (path_fmt(path, sizeof(path), EFIVARS "/%s-%s", name, guid) < 0 ||
	    bl_read(c, path, 4096, &buf, &len) < 0)
		return -1;
	if (len < 5) {
		free(buf);
		return err_set("'%s' is too short (%zu bytes)", path, len);
	}
	v = (unsigned char)buf[4];
	free(buf);
	return v;
}

static void
check_secureboot(struct bl_ctx *c)
{
	static const char id[] = "secureboot", title[] = "UEFI Secure Boot";
	int v;

	if (!bl_exists(c, EFIVARS)) {
		bl_result(c, id, title, BASELINE_UNKNOWN, "",
			  "no " EFIVARS ": a legacy BIOS boot, or efivarfs "
			  "is not mounted");
		return;
	}
	v = efivar_byte(c, "SecureBoot", EFI_GLOBAL);
	if (v < 0)
		bl_unknown(c, id, title);
	else if (v == 1)
		bl_result(c, id, title, BASELINE_PASS, "enabled",
			  "the firmware verifies the boot chain");
	else
		bl_result(c, id, title, BASELINE_FAIL, "disabled",
			  "the firmware boots unsigned loaders and kernels");
}

static void
check_mok(struct bl_ctx *c)
{
	static const char id[] = "mok", title[] = "shim MOK validation";
	int v;

	if (!bl_exists(c, EFIVARS)) {
		bl_result(c, id, title, BASELINE_UNKNOWN, "",
			  "no " EFIVARS ": a legacy BIOS boot, or efivarfs "
			  "is not mounted");
		return;
	}
	v = efivar_byte(c, "MokSBStateRT", EFI_SHIM);
	if (v < 0 && errno == ENOENT)
		bl_result(c, id, title, BASELINE_PASS,
			  "validation on (no MokSBStateRT)",
			  "shim verifies what it boots");
	else if (v < 0)
		bl_unknown(c, id, title);
	else if (v == 0)
		bl_result(c, id, title, BASELINE_PASS,
			  "validation on (MokSBStateRT=0)",
			  "shim verifies what it boots");
	else
		bl_result(c, id, title, BASELINE_FAIL,
			  "validation off (MokSBStateRT=1)",
			  "shim validation was disabled with mokutil: "
			  "unsigned kernels and modules boot");
}

static void
check_lockdown(struct bl_ctx *c)
{
	static const char id[] = "lockdown", title[] = "kernel lockdown";
	char *text, *open, *close_;

	if (read_small(c, "/sys/kernel/security/lockdown", &text) < 0) {
		err_prefix("lockdown LSM absent or securityfs not mounted");
		bl_unknown(c, id, title);
		return;
	}
	open = strchr(text, '[');
	close_ = open ? strchr(open, ']') : NULL;
	if (!close_) {
		bl_result(c, id, title, BASELINE_UNKNOWN, text,
			  "no [mode] in /sys/kernel/security/lockdown");
	} else {
		*close_ = '\0';
		if (!strcmp(open + 1, "none"))
			bl_result(c, id, title, BASELINE_FAIL, open + 1,
				  "root can change the running kernel "
				  "(/dev/mem, unsigned modules, kexec)");
		else
			bl_result(c, id, title, BASELINE_PASS, open + 1,
				  "the running kernel is protected from root");
	}
	free(text);
}

static void
check_sig_enforce(struct bl_ctx *c)
{
	static const char id[] = "sig-enforce",
			  title[] = "module signature enforcement";
	char *text;

	if (read_small(c, "/sys/module/module/parameters/sig_enforce",
		       &text) < 0) {
		bl_unknown(c, id, title);
		return;
	}
	if (!strcmp(text, "Y"))
		bl_result(c, id, title, BASELINE_PASS, "Y",
			  "only signed modules load");
	else if (!strcmp(text, "N"))
		bl_result(c, id, title, BASELINE_FAIL, "N",
			  "unsigned modules load (and taint with E)");
	else
		bl_result(c, id, title, BASELINE_UNKNOWN, text,
			  "unexpected value in sig_enforce");
	free(text);
}

static void
check_taint(struct bl_ctx *c)
{
	static const char id[] = "taint", title[] = "kernel taint";
	struct bl_text t = {0};
	unsigned long long v;
	char *text, *end;
	size_t bit;

	if (read_small(c, "/proc/sys/kernel/tainted", &text) < 0) {
		bl_unknown(c, id, title);
		return;
	}
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end) {
		bl_result(c, id, title, BASELINE_UNKNOWN, text,
			  "/proc/sys/kernel/tainted is not a number");
		free(text);
		return;
	}
	free(text);

	bl_text_add(&t, "%llu", v);
	for (bit = 0; bit < 64; bit++) {
		if (!(v & (1ULL << bit)))
			continue;
		if (bit < NTAINT)
			bl_text_item(&t, "%s%s (%s)", t.count ? "" : ": ",
				     taint_flags[bit][0], taint_flags[bit][1]);
		else
			bl_text_item(&t, "%sbit %zu", t.count ? "" : ": ",
				     bit);
	}
	if (v)
		bl_result(c, id, title, BASELINE_FAIL, t.buf,
			  "the kernel recorded events that void its "
			  "integrity; see each flag");
	else
		bl_result(c, id, title, BASELINE_PASS, "0 (not tainted)",
			  "no taint flag set");
}

/* Module file name to module name: "foo-bar.ko" -> "foo_bar". */
static void
ko_to_name(const char *file, char *out, size_t n)
{
	size_t i;

	for (i = 0; file[i] && i + 1 < n; i++) {
		if (!strcmp(file + i, ".ko"))
			break;
		out[i] = file[i] == '-' ? '_' : file[i];
	}
	out[i] = '\0';
}

static int
collect_ko(struct bl_ctx *c, const char *path, const struct stat *st,
	   void *arg)
{
	const char *base = strrchr(path, '/') + 1;
	size_t n = strlen(base);
	char name[256];

	if (!S_ISREG(st->st_mode) || n < 4 || strcmp(base + n - 3, ".ko"))
		return 0;
	ko_to_name(base, name, sizeof(name));
	if (!json_object_get(arg, name))
		json_object_set_new(arg, name, json_string(path));
	return 0;
}

/* Map module name -> .ko path beneath lib/modules/RELEASE; {} if none. */
static json_t *
find_ko_files(struct bl_ctx *c)
{
	char *release, dir[PATH_BUF];
	json_t *map = json_object();

	if (read_small(c, "/proc/sys/kernel/osrelease", &release) < 0)
		return map;
	if (path_fmt(dir, sizeof(dir), "/lib/modules/%s", release) == 0)
		bl_walk(c, dir, collect_ko, map, NULL);
	free(release);
	return map;
}

/* 1 signed, 0 unsigned, -1 unreadable. */
static int
ko_signed(struct bl_ctx *c, const char *path)
{
	char tail[sizeof(SIG_MARKER)];
	size_t n = sizeof(SIG_MARKER) - 1;
	struct stat st;
	int fd, rc = -1;

	fd = bl_open(c, path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		rc = -1;
	else if ((size_t)st.st_size < n)
		rc = 0;
	else if (pread(fd, tail, n, st.st_size - (off_t)n) == (ssize_t)n)
		rc = !memcmp(tail, SIG_MARKER, n);
	close(fd);
	return rc;
}

/* Taint letters of one /proc/modules line and /sys/module/NAME/taint. */
static void
module_taints(struct bl_ctx *c, const char *name, const char *line,
	      char *out, size_t n)
{
	const char *open = strrchr(line, '(');
	char path[PATH_BUF], *sys;
	size_t len = 0;

	out[0] = '\0';
	if (open && strchr(open, ')'))
		for (open++; *open != ')' && len + 1 < n; open++)
			if (isupper((unsigned char)*open))
				out[len++] = *open;
	out[len] = '\0';
	if (path_fmt(path, sizeof(path), "/sys/module/%s/taint", name) < 0 ||
	    read_small(c, path, &sys) < 0)
		return;
	for (open = sys; *open && len + 1 < n; open++)
		if (isupper((unsigned char)*open) && !strchr(out, *open)) {
			out[len++] = *open;
			out[len] = '\0';
		}
	free(sys);
}

/* One module's problems, or "" when none. */
static void
module_problems(struct bl_ctx *c, const char *name, const char *line,
		json_t *kos, struct bl_text *t)
{
	char taint[32], what[160] = "";
	const char *ko = json_string_value(json_object_get(kos, name));
	int sig = ko ? ko_signed(c, ko) : -1;

	module_taints(c, name, line, taint, sizeof(taint));
	if (strchr(taint, 'O'))
		strcat(what, " out-of-tree");
	if (strchr(taint, 'E'))
		strcat(what, " unsigned");
	if (sig == 0)
		strcat(what, " (its .ko has no signature)");
	if (what[0])
		bl_text_item(t, "%s (%s)%s", name, taint, what);
}

static json_t *
read_module_lines(struct bl_ctx *c)
{
	char *buf, *line, *save = NULL;
	json_t *lines;
	size_t len;

	if (bl_read(c, "/proc/modules", BL_FILE_MAX, &buf, &len) < 0)
		return NULL;
	lines = json_array();
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		json_array_append_new(lines, json_string(line));
	free(buf);
	return lines;
}

static void
check_modules(struct bl_ctx *c)
{
	static const char id[] = "modules",
			  title[] = "loaded modules: out-of-tree or unsigned";
	struct bl_text t = {0};
	json_t *lines, *kos, *v;
	char name[256];
	size_t i;

	lines = read_module_lines(c);
	if (!lines) {
		bl_unknown(c, id, title);
		return;
	}
	kos = find_ko_files(c);
	json_array_foreach(lines, i, v) {
		if (sscanf(json_string_value(v), "%255s", name) == 1)
			module_problems(c, name, json_string_value(v), kos,
					&t);
	}
	bl_text_end(&t);
	if (t.count)
		bl_result(c, id, title, BASELINE_FAIL, t.buf,
			  "code the distribution did not build or sign runs "
			  "in the kernel");
	else {
		bl_text_add(&t, "%zu loaded, %zu module files found",
			    json_array_size(lines), json_object_size(kos));
		bl_result(c, id, title, BASELINE_PASS, t.buf,
			  "no module is out-of-tree or unsigned");
	}
	json_decref(kos);
	json_decref(lines);
}

static const char *
cmdline_flag(const char *word)
{
	static const char *const exact[] = {
		"lockdown=none", "module.sig_enforce=0", "selinux=0",
		"apparmor=0", "enforcing=0", "security=none",
	};
	static const char *const prefix[] = {"init=", "rdinit="};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(word, exact[i]))
			return word;
	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(word, prefix[i], strlen(prefix[i])))
			return word;
	return NULL;
}

static void
check_cmdline(struct bl_ctx *c)
{
	static const char id[] = "cmdline", title[] = "kernel command line";
	struct bl_text t = {0}, flags = {0};
	char *text, *word, *save = NULL;

	if (read_small(c, "/proc/cmdline", &text) < 0) {
		bl_unknown(c, id, title);
		return;
	}
	bl_text_add(&t, "%s", text);
	for (word = strtok_r(text, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save))
		if (cmdline_flag(word))
			bl_text_item(&flags, "%s", word);
	bl_text_end(&flags);
	free(text);

	if (flags.count) {
		bl_text_add(&flags, " (weakens boot integrity or "
				    "replaces init)");
		bl_result(c, id, title, BASELINE_FAIL, t.buf, flags.buf);
	} else {
		bl_result(c, id, title, BASELINE_PASS, t.buf,
			  "no flag that turns off lockdown, signature "
			  "checks, the LSM or replaces init");
	}
}

static void
check_mac_lsm(struct bl_ctx *c)
{
	static const char id[] = "mac-lsm", title[] = "SELinux or AppArmor";
	char *text;

	if (read_small(c, "/sys/fs/selinux/enforce", &text) == 0) {
		if (!strcmp(text, "1"))
			bl_result(c, id, title, BASELINE_PASS,
				  "SELinux enforcing", "policy is enforced");
		else
			bl_result(c, id, title, BASELINE_FAIL,
				  "SELinux permissive",
				  "SELinux only logs denials");
		free(text);
		return;
	}
	if (read_small(c, "/sys/module/apparmor/parameters/enabled",
		       &text) < 0) {
		bl_result(c, id, title, BASELINE_UNKNOWN, "",
			  "neither /sys/fs/selinux/enforce nor "
			  "/sys/module/apparmor/parameters/enabled is "
			  "readable: no such LSM, or /sys not mounted");
		return;
	}
	if (!strcmp(text, "Y"))
		bl_result(c, id, title, BASELINE_PASS, "AppArmor enabled",
			  "profiles are enforced");
	else
		bl_result(c, id, title, BASELINE_FAIL, "AppArmor disabled",
			  "no mandatory access control");
	free(text);
}

static void
check_preload(struct bl_ctx *c)
{
	static const char id[] = "ld-so-preload",
			  title[] = "/etc/ld.so.preload";
	struct bl_text t = {0};
	char *text, *line, *save = NULL;
	size_t len;

	if (bl_read(c, "/etc/ld.so.preload", 65536, &text, &len) < 0) {
		if (errno == ENOENT)
			bl_result(c, id, title, BASELINE_PASS, "absent",
				  "no library is forced into every process");
		else
			bl_unknown(c, id, title);
		return;
	}
	for (line = strtok_r(text, " \t\n:", &save); line;
	     line = strtok_r(NULL, " \t\n:", &save))
		if (line[0] != '#')
			bl_text_item(&t, "%s", line);
	bl_text_end(&t);
	free(text);
	if (t.count)
		bl_result(c, id, title, BASELINE_FAIL, t.buf,
			  "every process loads these libraries: a classic "
			  "user-space rootkit");
	else
		bl_result(c, id, title, BASELINE_PASS, "empty",
			  "no library is forced into every process");
}

static void
check_uid0(struct bl_ctx *c)
{
	static const char id[] = "uid0", title[] = "accounts with UID 0";
	struct bl_text t = {0};
	char *text, *line, *save = NULL, *uid;
	size_t len;

	if (bl_read(c, "/etc/passwd", BL_FILE_MAX, &text, &len) < 0) {
		bl_unknown(c, id, title);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		uid = strchr(line, ':');
		uid = uid ? strchr(uid + 1, ':') : NULL;
		if (!uid || strncmp(uid, ":0:", 3))
			continue;
		*strchr(line, ':') = '\0';
		if (strcmp(line, "root"))
			bl_text_item(&t, "%s", line);
	}
	bl_text_end(&t);
	free(text);
	if (t.count)
		bl_result(c, id, title, BASELINE_FAIL, t.buf,
			  "accounts besides root have full privilege");
	else
		bl_result(c, id, title, BASELINE_PASS, "root only",
			  "no other account has UID 0");
}

/*
 * Join a symlink target to the directory of the link and resolve "."
 * and ".." lexically, as the kernel would inside the root.
 */
static void
link_target(const char *link, const char *target, char *out, size_t n)
{
	char joined[PATH_BUF * 2], *part, *save = NULL;
	size_t len = 0;

	if (target[0] == '/')
		snprintf(joined, sizeof(joined), "%s", target);
	else
		snprintf(joined, sizeof(joined), "%.*s/%s",
			 (int)(strrchr(link, '/') - link), link, target);
	out[0] = '\0';
	for (part = strtok_r(joined, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			while (len && out[len - 1] != '/')
				len--;
			len -= len ? 1 : 0;
			out[len] = '\0';
			continue;
		}
		if (len + strlen(part) + 2 > n)
			break;
		out[len++] = '/';
		strcpy(out + len, part);
		len += strlen(part);
	}
	if (!len)
		snprintf(out, n, "/");
}

static int
is_unit_name(const char *path)
{
	static const char *const sfx[] = {
		".service", ".socket", ".timer", ".path", ".mount",
		".automount", ".target", ".slice", ".swap", ".conf",
	};
	size_t n = strlen(path), i, l;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		l = strlen(sfx[i]);
		if (n > l && !strcmp(path + n - l, sfx[i]))
			return 1;
	}
	return 0;
}

static int
vendor_path(const char *p)
{
	return !strncmp(p, "/lib/systemd/", 13) ||
	       !strncmp(p, "/usr/lib/systemd/", 17) ||
	       !strcmp(p, "/dev/null") ||
	       !strncmp(p, "/etc/systemd/", 13) ||
	       !strncmp(p, "/run/systemd/", 13);
}

struct unit_scan {
	json_t *set;           /* "path" or "path -> target" */
	struct bl_text local;  /* units no package ships */
	struct bl_text nodb;   /* units whose owner is unknown */
	int dirs;
};

static int
scan_unit(struct bl_ctx *c, const char *path, const struct stat *st,
	  void *arg)
{
	struct unit_scan *s = arg;
	char target[PATH_BUF], abs[PATH_BUF], entry[PATH_BUF * 2];
	int owned;

	if (!is_unit_name(path) || (!S_ISREG(st->st_mode) &&
				    !S_ISLNK(st->st_mode)))
		return 0;
	if (S_ISLNK(st->st_mode)) {
		if (bl_readlink(c, path, target, sizeof(target)) < 0)
			return 0;
		link_target(path, target, abs, sizeof(abs));
		snprintf(entry, sizeof(entry), "%s -> %s", path, target);
		json_array_append_new(s->set, json_string(entry));
		if (vendor_path(abs))
			return 0;
	} else {
		json_array_append_new(s->set, json_string(path));
	}

	owned = bl_owned(c, path);
	if (owned == 0)
		bl_text_item(&s->local, "%s", path);
	else if (owned < 0)
		bl_text_item(&s->nodb, "%s", path);
	return 0;
}

static void
scan_unit_dir(struct bl_ctx *c, const char *dir, struct unit_scan *s)
{
	if (bl_exists(c, dir) && bl_walk(c, dir, scan_unit, s, NULL) == 0)
		s->dirs++;
}

/* User unit dirs of /root and of each /home/NAME. */
static void
scan_user_units(struct bl_ctx *c, struct unit_scan *s)
{
	char dir[PATH_BUF];
	json_t *homes, *v;
	size_t i;

	scan_unit_dir(c, "/etc/systemd/user", s);
	scan_unit_dir(c, "/root/.config/systemd/user", s);
	homes = bl_list_dir(c, "/home");
	json_array_foreach(homes, i, v) {
		if (path_fmt(dir, sizeof(dir), "/home/%s/.config/systemd/user",
			     json_string_value(v)) == 0)
			scan_unit_dir(c, dir, s);
	}
	json_decref(homes);
}

static void
report_units(struct bl_ctx *c, const char *id, const char *title,
	     struct unit_scan *s)
{
	bl_text_end(&s->local);
	bl_text_end(&s->nodb);
	if (s->local.count)
		bl_result(c, id, title, BASELINE_FAIL, s->local.buf,
			  "unit files outside the vendor directories that no "
			  "package ships: local persistence to explain");
	else if (s->nodb.count)
		bl_result(c, id, title, BASELINE_UNKNOWN, s->nodb.buf,
			  c->owned_why);
	else if (!s->dirs)
		bl_result(c, id, title, BASELINE_PASS, "no unit directories",
			  "nothing to start");
	else
		bl_result(c, id, title, BASELINE_PASS,
			  json_array_size(s->set) ? "only vendor units and "
						    "package files"
						  : "none",
			  "every unit is a link to a vendor unit or ships "
			  "in a package");
}

static json_t *
units_set(struct bl_ctx *c, void (*scan)(struct bl_ctx *, struct unit_scan *),
	  const char *id, const char *title)
{
	struct unit_scan s = {0};

	s.set = json_array();
	scan(c, &s);
	if (id)
		report_units(c, id, title, &s);
	bl_sort_strings(s.set);
	return s.set;
}

static void
scan_system_units(struct bl_ctx *c, struct unit_scan *s)
{
	scan_unit_dir(c, "/etc/systemd/system", s);
	scan_unit_dir(c, "/run/systemd/system", s);
}

static void
scan_all_units(struct bl_ctx *c, struct unit_scan *s)
{
	scan_system_units(c, s);
	scan_user_units(c, s);
}

struct cron_scan {
	struct bl_text fail; /* jobs from files no package ships */
	struct bl_text nodb; /* jobs whose file's owner is unknown */
	struct bl_text all;
};

static void
cron_job(struct cron_scan *s, int owned, const char *path, const char *job)
{
	bl_text_item(&s->all, "%s%s%.100s", path, job ? ": " : "",
		     job ? job : "");
	if (owned == 0)
		bl_text_item(&s->fail, "%s%s%.100s", path, job ? ": " : "",
			     job ? job : "");
	else if (owned < 0)
		bl_text_item(&s->nodb, "%s%s%.100s", path, job ? ": " : "",
			     job ? job : "");
}

/* Crontab lines that run something (not comments, blanks, VAR=x). */
static void
cron_entries(struct bl_ctx *c, const char *path, int local,
	     struct cron_scan *s)
{
	char *text, *line, *save = NULL;
	int owned;
	size_t len;

	if (bl_read(c, path, BL_FILE_MAX, &text, &len) < 0)
		return;
	owned = local ? 0 : bl_owned(c, path);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#' ||
		    (strchr(line, '=') && strcspn(line, "=") <
						  strcspn(line, " \t")))
			continue;
		cron_job(s, owned, path, line);
	}
	free(text);
}

static void
cron_dir(struct bl_ctx *c, const char *dir, int lines, int local,
	 struct cron_scan *s)
{
	char path[PATH_BUF];
	json_t *names, *v;
	size_t i;

	names = bl_list_dir(c, dir);
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);

		if (name[0] == '.' || !strcmp(name, "placeholder") ||
		    path_fmt(path, sizeof(path), "%s/%s", dir, name) < 0)
			continue;
		if (lines)
			cron_entries(c, path, local, s);
		else
			cron_job(s, local ? 0 : bl_owned(c, path), path, NULL);
	}
	json_decref(names);
}

static void
check_cron(struct bl_ctx *c)
{
	static const char id[] = "cron", title[] = "cron and at jobs";
	static const char *const run_parts[] = {
		"/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
		"/etc/cron.monthly"};
	struct cron_scan s = {0};
	size_t i;

	cron_entries(c, "/etc/crontab", 0, &s);
	cron_dir(c, "/etc/cron.d", 1, 0, &s);
	for (i = 0; i < 4; i++)
		cron_dir(c, run_parts[i], 0, 0, &s);
	cron_dir(c, "/var/spool/cron/crontabs", 1, 1, &s);
	cron_dir(c, "/var/spool/cron/atjobs", 0, 1, &s);
	bl_text_end(&s.fail);
	bl_text_end(&s.nodb);
	bl_text_end(&s.all);

	if (s.fail.count)
		bl_result(c, id, title, BASELINE_FAIL, s.fail.buf,
			  "jobs from user crontabs, at, or files no package "
			  "ships: local persistence to explain");
	else if (s.nodb.count)
		bl_result(c, id, title, BASELINE_UNKNOWN, s.nodb.buf,
			  c->owned_why);
	else
		bl_result(c, id, title, BASELINE_PASS,
			  s.all.count ? s.all.buf : "none",
			  "every job comes from a package's file");
}

struct suid_scan {
	json_t *set;
	struct bl_text local;
	struct bl_text nodb;
	int truncated;
	int tops;   /* top directories walked */
};

static int
scan_suid(struct bl_ctx *c, const char *path, const struct stat *st,
	  void *arg)
{
	struct suid_scan *s = arg;
	int owned;

	if (!S_ISREG(st->st_mode) || !(st->st_mode & (S_ISUID | S_ISGID)))
		return 0;
	json_array_append_new(s->set, json_string(path));
	owned = bl_owned(c, path);
	if (owned == 0)
		bl_text_item(&s->local, "%s", path);
	else if (owned < 0)
		bl_text_item(&s->nodb, "%s", path);
	return 0;
}

static void
suid_walk(struct bl_ctx *c, struct suid_scan *s)
{
	static const char *const tops[] = {"/usr", "/bin", "/sbin", "/opt"};
	size_t i;
	int trunc;

	s->set = json_array();
	for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		trunc = 0;
		/* A top that is a symlink (merged /usr) is walked as /usr. */
		if (bl_walk(c, tops[i], scan_suid, s, &trunc) == 0)
			s->tops++;
		s->truncated |= trunc;
	}
	bl_sort_strings(s->set);
	bl_text_end(&s->local);
	bl_text_end(&s->nodb);
}

static void
report_suid(struct bl_ctx *c, struct suid_scan *s)
{
	static const char id[] = "suid",
			  title[] = "SUID/SGID files no package owns";
	char count[64];

	if (s->local.count)
		bl_result(c, id, title, BASELINE_FAIL, s->local.buf,
			  "set-id programs no package installed: a classic "
			  "way back to root");
	else if (s->nodb.count)
		bl_result(c, id, title, BASELINE_UNKNOWN, s->nodb.buf,
			  c->owned_why);
	else if (!s->tops)
		bl_result(c, id, title, BASELINE_UNKNOWN, "",
			  "none of /usr, /bin, /sbin, /opt is a directory "
			  "beneath the root");
	else if (s->truncated)
		bl_result(c, id, title, BASELINE_UNKNOWN,
			  "walk stopped at its bound",
			  "too many files or too deep to walk them all");
	else {
		snprintf(count, sizeof(count), "%zu, all from packages",
			 json_array_size(s->set));
		bl_result(c, id, title, BASELINE_PASS, count,
			  "every set-id file belongs to a package");
	}
}

static int
hex_addr(const char *hex, int v6, char *out, size_t n)
{
	unsigned char bytes[16];
	uint32_t word;
	char part[9];
	size_t i, words = v6 ? 4 : 1;

	if (strlen(hex) != words * 8)
		return -1;
	for (i = 0; i < words; i++) {
		memcpy(part, hex + i * 8, 8);
		part[8] = '\0';
		word = (uint32_t)strtoul(part, NULL, 16);
		memcpy(bytes + i * 4, &word, 4);
	}
	return inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, out, (socklen_t)n)
		       ? 0
		       : -1;
}

/* Listening sockets of one /proc/net file; -1 when it is unreadable. */
static int
listening_file(struct bl_ctx *c, const char *proto, json_t *set)
{
	char path[64], local[64], remote[64], addr[64], entry[128];
	char *text, *line, *save = NULL, *colon, *rport;
	int v6 = strchr(proto, '6') != NULL, udp = proto[0] == 'u';
	unsigned state;
	size_t len;

	snprintf(path, sizeof(path), "/proc/net/%s", proto);
	if (bl_read(c, path, BL_FILE_MAX, &text, &len) < 0)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " %*[0-9]: %63s %63s %x", local, remote,
			   &state) != 3)
			continue;
		colon = strchr(local, ':');
		rport = strchr(remote, ':');
		if (!colon || !rport || (!udp && state != 0x0A) ||
		    (udp && (state != 0x07 || strtoul(rport + 1, NULL, 16))))
			continue;
		*colon = '\0';
		if (hex_addr(local, v6, addr, sizeof(addr)) < 0)
			continue;
		snprintf(entry, sizeof(entry), v6 ? "%s [%s]:%lu" : "%s %s:%lu",
			 proto, addr, strtoul(colon + 1, NULL, 16));
		json_array_append_new(set, json_string(entry));
	}
	free(text);
	return 0;
}

static json_t *
listening_set(struct bl_ctx *c)
{
	static const char *const protos[] = {"tcp", "tcp6", "udp", "udp6"};
	json_t *set = json_array();
	size_t i;
	int read = 0;

	for (i = 0; i < 4; i++)
		if (listening_file(c, protos[i], set) == 0)
			read++;
	if (!read) {
		json_decref(set);
		err_set("cannot read /proc/net/tcp, tcp6, udp or udp6");
		return NULL;
	}
	bl_sort_strings(set);
	return set;
}

static json_t *
modules_set(struct bl_ctx *c)
{
	json_t *lines = read_module_lines(c), *set, *v;
	char name[256];
	size_t i;

	if (!lines)
		return NULL;
	set = json_array();
	json_array_foreach(lines, i, v)
		if (sscanf(json_string_value(v), "%255s", name) == 1)
			json_array_append_new(set, json_string(name));
	json_decref(lines);
	bl_sort_strings(set);
	return set;
}

/* "PATH TYPE SHA256-prefix COMMENT" for each key line of one file. */
static void
ssh_key_file(struct bl_ctx *c, const char *path, json_t *set)
{
	char *text, *line, *save = NULL, hex[SHA256_HEX], entry[PATH_BUF];
	char type[64];
	size_t len;

	if (bl_read(c, path, BL_FILE_MAX, &text, &len) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			continue;
		if (sha256_hex_buf(line, strlen(line), hex) < 0 ||
		    sscanf(line, "%63s", type) != 1)
			continue;
		snprintf(entry, sizeof(entry), "%s %s sha256:%.16s", path,
			 type, hex);
		json_array_append_new(set, json_string(entry));
	}
	free(text);
}

static void
ssh_home(struct bl_ctx *c, const char *home, json_t *set)
{
	char path[PATH_BUF];

	if (path_fmt(path, sizeof(path), "%s/.ssh/authorized_keys", home) == 0)
		ssh_key_file(c, path, set);
	if (path_fmt(path, sizeof(path), "%s/.ssh/authorized_keys2",
		     home) == 0)
		ssh_key_file(c, path, set);
}

/* NEEDSWORK: homes outside /home (from /etc/passwd) are not read. */
static json_t *
ssh_keys_set(struct bl_ctx *c)
{
	json_t *set = json_array(), *homes, *v;
	char home[PATH_BUF];
	size_t i;

	ssh_home(c, "/root", set);
	homes = bl_list_dir(c, "/home");
	json_array_foreach(homes, i, v)
		if (path_fmt(home, sizeof(home), "/home/%s",
			     json_string_value(v)) == 0)
			ssh_home(c, home, set);
	json_decref(homes);
	bl_sort_strings(set);
	return set;
}

void
bl_linux_checks(struct bl_ctx *c, json_t *against)
{
	struct suid_scan suid = {0};
	json_t *units;

	check_secureboot(c);
	check_mok(c);
	check_lockdown(c);
	check_sig_enforce(c);
	check_taint(c);
	check_modules(c);
	check_cmdline(c);
	check_mac_lsm(c);
	check_preload(c);
	check_uid0(c);
	json_decref(units_set(c, scan_system_units, "units-system",
			      "systemd system units no package ships"));
	json_decref(units_set(c, scan_user_units, "units-user",
			      "systemd user units no package ships"));
	check_cron(c);
	suid_walk(c, &suid);
	report_suid(c, &suid);

	bl_compare(c, "ssh-keys", "SSH authorized_keys against the baseline",
		   "authorized_keys", ssh_keys_set(c), against, 1);
	bl_compare(c, "listening", "listening sockets against the baseline",
		   "listening", listening_set(c), against, 0);
	bl_compare(c, "modules-new", "loaded modules against the baseline",
		   "modules", modules_set(c), against, 0);
	bl_compare(c, "suid-new", "SUID/SGID files against the baseline",
		   "suid", suid.set, against, 0);
	units = units_set(c, scan_all_units, NULL, NULL);
	bl_compare(c, "units-new", "systemd units against the baseline",
		   "units", units, against, 0);
}

static void
set_if(json_t *sets, const char *name, json_t *set)
{
	if (set)
		json_object_set_new(sets, name, set);
}

json_t *
bl_linux_sets(struct bl_ctx *c)
{
	struct suid_scan suid = {0};
	json_t *sets = json_object();

	suid_walk(c, &suid);
	set_if(sets, "authorized_keys", ssh_keys_set(c));
	set_if(sets, "listening", listening_set(c));
	set_if(sets, "modules", modules_set(c));
	set_if(sets, "suid", suid.set);
	set_if(sets, "units", units_set(c, scan_all_units, NULL, NULL));
	return sets;
}
