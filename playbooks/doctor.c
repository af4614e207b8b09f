#include "doctor.h"

#include "forensics/casedb.h"
#include "forensics/sign.h"
#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "vmm/clone.h"
#include "vmm/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

static void
add(json_t *out, const char *check, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
add(json_t *out, const char *check, const char *status, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "check", check,
					     "status", status, "detail",
					     detail));
}

/* The first line a program prints, or -1 when it cannot be run. */
static int
first_line(const char *prog, const char *arg, char *buf, size_t size)
{
	char cmd[PATH_BUF];
	FILE *p;

	buf[0] = '\0';
	if (strpbrk(prog, "'\\\"$`") ||
	    path_fmt(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", prog, arg) < 0)
		return -1;
	p = popen(cmd, "re");
	if (!p)
		return -1;
	if (!fgets(buf, (int)size, p))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pclose(p) == 0 && buf[0] ? 0 : -1;
}

static void
check_qemu(json_t *out)
{
	char line[256];

	if (first_line(qemu_binary(), "--version", line, sizeof(line)) < 0)
		add(out, "qemu", "fail",
		    "'%s' does not run; install qemu-system-x86 (make deps) "
		    "or set SECVF_QEMU",
		    qemu_binary());
	else
		add(out, "qemu", "ok", "%s", line);
}

static void
check_accel(json_t *out)
{
	const char *env = getenv("SECVF_ACCEL");
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version = fd < 0 ? -1 : ioctl(fd, KVM_GET_API_VERSION, 0);

	if (fd >= 0)
		close(fd);
	if (version == KVM_API_VERSION)
		add(out, "accelerator", "ok",
		    "KVM usable, TCG as fallback%s%s; where nested KVM hangs "
		    "guests, set SECVF_ACCEL=tcg",
		    env ? "; SECVF_ACCEL=" : "", env ? env : "");
	else
		add(out, "accelerator", "warn",
		    "no usable /dev/kvm (%s): guests run under TCG, slowly",
		    fd < 0 ? strerror(errno) : "wrong API version");
}

static void
check_virtiofsd(json_t *out)
{
	const char *env = getenv("SECVF_VIRTIOFSD");
	const char *path = env && *env ? env : "/usr/lib/qemu/virtiofsd";

	if (access(path, X_OK) == 0)
		add(out, "virtiofsd", "ok", "%s (writable shares)", path);
	else
		add(out, "virtiofsd", "warn",
		    "'%s' not found: writable shares cannot start "
		    "(qemu-system-common ships it)",
		    path);
}

static int
temp_file(const char *dir, const char *name, char *path, size_t size)
{
	int fd;

	if (path_fmt(path, size, "%s/.doctor-%s.%ld", dir, name,
		     (long)getpid()) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	return fd < 0 ? err_errno("cannot create '%s'", path) : fd;
}

static void
check_reflink(json_t *out, const char *home)
{
	char a[PATH_BUF], b[PATH_BUF];
	enum clone_method m = CLONE_COPY;
	int src = temp_file(home, "a", a, sizeof(a));
	int dst = src < 0 ? -1 : temp_file(home, "b", b, sizeof(b));
	char block[4096] = "secvf";

	if (src < 0 || dst < 0 ||
	    write(src, block, sizeof(block)) != (ssize_t)sizeof(block) ||
	    clone_file(src, dst, &m) < 0)
		add(out, "snapshots", "fail", "cannot clone in '%s': %s", home,
		    err_msg());
	else if (m == CLONE_COPY)
		add(out, "snapshots", "warn",
		    "'%s' cannot reflink: snapshots copy the data (holes "
		    "kept); XFS with reflink=1 or Btrfs clone in milliseconds",
		    home);
	else
		add(out, "snapshots", "ok", "copy-on-write by %s in '%s'",
		    clone_method_name(m), home);
	if (src >= 0) {
		close(src);
		unlink(a);
	}
	if (dst >= 0) {
		close(dst);
		unlink(b);
	}
}

static void
check_key(json_t *out)
{
	char priv[PATH_BUF], pub[PATH_BUF], fpr[SIGN_FPR_LEN];
	struct sign_key *k;
	struct stat st;

	if (sign_default_paths(priv, sizeof(priv), pub, sizeof(pub)) < 0) {
		add(out, "signing key", "fail", "%s", err_msg());
		return;
	}
	if (lstat(priv, &st) < 0) {
		add(out, "signing key", "warn",
		    "none yet: triage makes one on first use (or run "
		    "'secvf key generate')");
		return;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		add(out, "signing key", "fail",
		    "'%s' is not a private regular file (mode %04o)", priv,
		    (unsigned)(st.st_mode & 07777));
		return;
	}
	if (sign_pub_load(pub, &k) < 0) {
		add(out, "signing key", "fail", "public key: %s", err_msg());
		return;
	}
	sign_fingerprint(k, fpr);
	sign_key_free(k);
	add(out, "signing key", "ok", "%s%s", fpr,
	    sign_key_is_encrypted(priv) == 1 ? ", passphrase-protected" : "");
}

static void
check_db(json_t *out)
{
	struct casedb *db;
	int version = 0;

	if (casedb_open(NULL, &db) < 0) {
		add(out, "case database", "fail", "%s", err_msg());
		return;
	}
	if (casedb_schema_version(db, &version) < 0 ||
	    casedb_quick_check(db) < 0)
		add(out, "case database", "fail", "%s", err_msg());
	else
		add(out, "case database", "ok", "schema version %d, intact",
		    version);
	casedb_close(db);
}

static void
check_tools(json_t *out)
{
	static const char *const tools[] = {"journalctl", "ss", "ps"};
	char missing[128] = "", line[256];
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (first_line(tools[i], "--version", line, sizeof(line)) < 0)
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing), " %s",
				 tools[i]);
	if (missing[0])
		add(out, "collection tools", "warn",
		    "not found:%s; triage records those artifacts as missing",
		    missing);
	else
		add(out, "collection tools", "ok", "journalctl, ss, ps");
}

json_t *
doctor_run(void)
{
	json_t *out = json_array();
	const char *home;

	if (!out) {
		err_set("out of memory");
		return NULL;
	}
	check_qemu(out);
	check_accel(out);
	check_virtiofsd(out);
	home = home_dir();
	if (!home) {
		add(out, "home", "fail", "%s", err_msg());
		return out;
	}
	add(out, "home", "ok", "%s (mode 0700)", home);
	check_reflink(out, home);
	check_key(out);
	check_db(out);
	check_tools(out);
	return out;
}

int
doctor_count(const json_t *results, const char *status)
{
	size_t i;
	json_t *r;
	int n = 0;

	json_array_foreach(results, i, r)
		n += !strcmp(json_string_value(json_object_get(r, "status")),
			     status);
	return n;
}
