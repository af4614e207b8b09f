/*
 * Hardening, end to end on the real guest: a full triage leaks nothing
 * under valgrind; SECVF_HOME keeps private modes and secvf writes
 * nowhere else; secvf will not run setuid; the private key shows up in
 * no log and no bundle, and is read only once core dumps are off.
 */
#include "helpers.h"

#include "tests/guest/guest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

/* Scratch space outside SECVF_HOME: empty dirs, extracted bundles. */
static char scratch[256];

static void
setup(void)
{
	th_fresh_home();
	setenv("SECVF_ACCEL", "tcg", 1);
	snprintf(scratch, sizeof(scratch), "/tmp/secvf-scratch-XXXXXX");
	cr_assert_not_null(mkdtemp(scratch));
}

static void
teardown(void)
{
	th_secvf(NULL, NULL, "vm", "stop", "lab1", "--force", NULL);
	th_secvf(NULL, NULL, "net", "down", "lab", NULL);
	if (chdir("/") < 0)
		perror("chdir");
	if (scratch[0])
		th_sh("rm -rf '%s'", scratch);
	scratch[0] = '\0';
	th_remove_home();
}

TestSuite(integ_hardening, .init = setup, .fini = teardown, .timeout = 900);

static const char *
home(void)
{
	return getenv("SECVF_HOME");
}

/* lab1 booted to a shell, on lab network `network` when not NULL. */
static void
start_guest_vm(const char *network)
{
	th_guest_vm_start_on("lab1", "128M", network);
}

/* The newest finished bundle in incidents/; NULL when there is none. */
static char *
newest_bundle(void)
{
	char pattern[4096], *path = NULL;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/incidents/*.tar.zst", home());
	if (glob(pattern, 0, NULL, &g) != 0)
		return NULL;
	if (g.gl_pathc > 0)
		path = strdup(g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return path;
}

static void
verify_bundle(const char *bundle)
{
	char *out = NULL, *err = NULL;

	cr_assert_not_null(bundle);
	cr_assert_eq(th_secvf(&out, &err, "evidence", "verify", bundle, NULL),
		     0, "%s%s", out, err);
	free(out);
	free(err);
}

Test(integ_hardening, valgrind_finds_no_leak_in_a_full_triage)
{
	char log[4096], *text, *bundle;
	int rc;

	if (ASAN_BUILD) {
		teardown(); /* Criterion skips the .fini of a skipped test */
		cr_skip_test("secvf is built with AddressSanitizer, which "
			     "valgrind cannot run; the build without "
			     "sanitizers runs this test");
	}
	start_guest_vm(NULL);

	snprintf(log, sizeof(log), "%s/valgrind.log", scratch);
	rc = th_sh("valgrind -q --leak-check=full "
		   "--errors-for-leak-kinds=definite,indirect "
		   "--error-exitcode=99 --log-file='%s' '%s' triage lab1 "
		   ">'%s/triage.out' 2>&1",
		   log, SECVF_BIN, scratch);
	text = th_read(log);
	cr_assert_eq(rc, 0, "valgrind: exit %d\n%s", rc, text ? text : "");
	free(text);

	bundle = newest_bundle();
	verify_bundle(bundle);
	cr_assert_eq(th_sh("tar -xOf '%s' manifest.json | grep -q "
			   "'\"memory\"' && test -s %s/Linux/lab1-incident-"
			   "*.bundle/memory.elf",
			   bundle, home()),
		     0, "the triage under valgrind dumped no memory");
	free(bundle);
}

/*
 * The mode of everything in SECVF_HOME, from DESIGN.md ("On disk") and
 * the code that makes each entry: the first pattern (fnmatch, with
 * FNM_PATHNAME) that matches an entry's path beneath the home gives its
 * type and exact mode.  An entry no pattern matches is a failure too:
 * whatever secvf starts to keep in the home gets a line here.
 */
struct mode_rule {
	const char *pattern;
	char type; /* d directory, f regular file, s socket */
	mode_t mode;
	int public; /* may be read by anyone: no evidence, no secret */
};

static const struct mode_rule mode_table[] = {
	{"", 'd', 0700, 0},
	/* VM bundles; a triage snapshot is read-only evidence. */
	{"Linux", 'd', 0700, 0},
	{"Linux/*-incident-*.bundle", 'd', 0500, 0},
	{"Linux/*-incident-*.bundle/*", 'f', 0400, 0},
	{"Linux/*.bundle", 'd', 0700, 0},
	{"Linux/*.bundle/*", 'f', 0600, 0},
	/* Event logs, lab networks and captures. */
	{"logs", 'd', 0700, 0},
	{"logs/*.log", 'f', 0600, 0},
	{"networks", 'd', 0700, 0},
	{"networks/*.json", 'f', 0600, 0},
	{"Captures", 'd', 0700, 0},
	{"Captures/*.pcap", 'f', 0600, 0},
	/* The switch's run directory: its sockets are made 0600. */
	{"run", 'd', 0700, 0},
	{"run/net-*", 'd', 0700, 0},
	{"run/net-*/ports", 'd', 0700, 0},
	{"run/net-*/ports/*.sock", 's', 0600, 0},
	{"run/net-*/ctl.sock", 's', 0600, 0},
	{"run/net-*/*", 'f', 0600, 0},
	/* A VM's: QEMU makes its sockets under umask 077. */
	{"run/*", 'd', 0700, 0},
	{"run/*/*.sock", 's', 0700, 0},
	{"run/*/*", 'f', 0600, 0},
	/* The signing key; its public half is for anyone to read. */
	{"keys", 'd', 0700, 0},
	{"keys/*.pub.pem", 'f', 0644, 1},
	{"keys/*.pem", 'f', 0600, 0},
	/* The case database (SQLite gives its -wal and -shm its mode). */
	{"cases.db", 'f', 0600, 0},
	{"cases.db-*", 'f', 0600, 0},
	{"incidents", 'd', 0700, 0},
	{"incidents/*", 'f', 0600, 0},
};

static char mode_errors[16384];
static size_t mode_root_len;

static void mode_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
mode_error(const char *fmt, ...)
{
	size_t n = strlen(mode_errors);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mode_errors + n, sizeof(mode_errors) - n, fmt, ap);
	va_end(ap);
}

static char
type_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return 'd';
	if (S_ISREG(mode))
		return 'f';
	if (S_ISSOCK(mode))
		return 's';
	if (S_ISLNK(mode))
		return 'l';
	return S_ISFIFO(mode) ? 'p' : '?';
}

static int
check_mode(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + mode_root_len + (path[mode_root_len] == '/');
	mode_t mode = st->st_mode & 07777;
	size_t i;

	for (i = 0; i < sizeof(mode_table) / sizeof(mode_table[0]); i++) {
		const struct mode_rule *r = &mode_table[i];

		if (fnmatch(r->pattern, rel, FNM_PATHNAME) != 0)
			continue;
		if (r->type != type_of(st->st_mode))
			mode_error("'%s' is of type %c, not %c\n", rel,
				   type_of(st->st_mode), r->type);
		else if (mode != r->mode)
			mode_error("'%s' has mode %04o, not %04o\n", rel,
				   (unsigned)mode, (unsigned)r->mode);
		return 0;
	}
	mode_error("'%s' (mode %04o, type %c) is in no line of the mode "
		   "table\n",
		   rel, (unsigned)mode, type_of(st->st_mode));
	return 0;
}

static void
assert_home_modes(void)
{
	size_t i;

	/* The table itself: nothing group- or world-writable, nothing
	 * readable by others but what is public. */
	for (i = 0; i < sizeof(mode_table) / sizeof(mode_table[0]); i++) {
		cr_assert_eq(mode_table[i].mode & 022, 0, "%s",
			     mode_table[i].pattern);
		cr_assert(mode_table[i].public ||
				  (mode_table[i].mode & 077) == 0,
			  "%s", mode_table[i].pattern);
	}

	mode_errors[0] = '\0';
	mode_root_len = strlen(home());
	cr_assert_eq(nftw(home(), check_mode, 32, FTW_PHYS), 0);
	cr_assert_str_empty(mode_errors, "%s", mode_errors);
}

/*
 * Run secvf with args under strace, its file calls (and the calls that
 * turn core dumps off) logged to trace.TID, one file per thread and
 * process: with -ff no call is split across lines by another's.
 */
static int
traced(const char *trace, const char *const *args)
{
	const char *argv[32] = {
		"strace", "-ff", "-qq",
		"-y",	  "-e",	 "trace=%file,prctl,prlimit64,setrlimit",
		"-o",	  trace, SECVF_BIN};
	int n = 9, status, null;
	pid_t pid;

	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		/* LeakSanitizer cannot work under ptrace; the rest can. */
		if (ASAN_BUILD) {
			char opts[8192];

			snprintf(opts, sizeof(opts), "%s:detect_leaks=0",
				 getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS")
							: "");
			setenv("ASAN_OPTIONS", opts, 1);
		}
		execvp("strace", (char **)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Does a successful call on line change the file system? */
static int
mutating(const char *line)
{
	static const char *const calls[] = {
		"mkdir",    "mkdirat",	 "rename",   "renameat",  "renameat2",
		"unlink",   "unlinkat",	 "rmdir",    "link",	  "linkat",
		"symlink",  "symlinkat", "chmod",    "fchmodat",  "chown",
		"fchownat", "lchown",	 "truncate", "utimensat", "mknod",
		"mknodat",  "creat",	 NULL};
	const char *name = line, *ret = strrchr(line, '=');
	size_t len, i;

	if (!ret || ret[1] != ' ' || ret[2] == '-' || ret[2] == '?')
		return 0;
	len = strcspn(name, "(");
	if ((len == 4 && !strncmp(name, "open", 4)) ||
	    (len == 6 && !strncmp(name, "openat", 6)) ||
	    (len == 7 && !strncmp(name, "openat2", 7)))
		return strstr(line, "O_WRONLY") || strstr(line, "O_RDWR") ||
		       strstr(line, "O_CREAT") || strstr(line, "O_TRUNC");
	for (i = 0; calls[i]; i++)
		if (strlen(calls[i]) == len && !strncmp(name, calls[i], len))
			return 1;
	return 0;
}

static int
allowed_path(const char *path, const char *const *roots)
{
	size_t n;

	/* Devices opened for use: doctor opens /dev/kvm to try it. */
	if (!strcmp(path, "/dev/null") || !strcmp(path, "/dev/tty") ||
	    !strcmp(path, "/dev/kvm"))
		return 1;
	for (; *roots; roots++) {
		n = strlen(*roots);
		if (!strncmp(path, *roots, n) &&
		    (path[n] == '\0' || path[n] == '/'))
			return 1;
	}
	return 0;
}

/* The files strace -ff wrote for trace: trace.TID. */
static void
trace_files(const char *trace, glob_t *g)
{
	char pattern[600];

	snprintf(pattern, sizeof(pattern), "%s.*", trace);
	cr_assert_eq(glob(pattern, 0, NULL, g), 0, "no trace '%s'", pattern);
}

/* Add line to bad when a path it changes is beneath none of roots. */
static void
check_line(const char *line, const char *const *roots, char *bad, size_t size)
{
	char dir[4096] = "", path[8192];
	const char *p, *q;

	for (p = strchr(line, '('); p && *p && *p != ')'; p++) {
		if (*p == '<' && (q = strchr(p, '>'))) {
			snprintf(dir, sizeof(dir), "%.*s", (int)(q - p - 1),
				 p + 1);
			p = q;
			continue;
		}
		if (*p != '"')
			continue;
		for (q = p + 1; *q && *q != '"'; q++)
			if (*q == '\\' && q[1])
				q++;
		if (p[1] == '/' || !dir[0])
			snprintf(path, sizeof(path), "%.*s", (int)(q - p - 1),
				 p + 1);
		else
			snprintf(path, sizeof(path), "%s/%.*s", dir,
				 (int)(q - p - 1), p + 1);
		if (!allowed_path(path, roots) &&
		    strlen(bad) + strlen(line) < size) {
			strcat(bad, line);
			return;
		}
		if (!*q)
			return;
		p = q;
	}
}

/*
 * Every path a changing call names, made absolute with the directory
 * strace -y shows beside its file descriptor (or AT_FDCWD), must be
 * beneath one of roots.  Returns the offending lines, "" when none.
 */
static char *
writes_outside(const char *trace, const char *const *roots)
{
	static char bad[16384];
	char line[8192];
	glob_t g;
	size_t i;
	FILE *f;

	bad[0] = '\0';
	trace_files(trace, &g);
	for (i = 0; i < g.gl_pathc; i++) {
		f = fopen(g.gl_pathv[i], "r");
		cr_assert_not_null(f, "%s", g.gl_pathv[i]);
		while (fgets(line, sizeof(line), f))
			if (mutating(line))
				check_line(line, roots, bad, sizeof(bad));
		fclose(f);
	}
	globfree(&g);
	return bad;
}

/*
 * The check sees a write: an output asked for outside the home is
 * flagged, and passes once its directory is among the roots.
 */
static void
assert_trace_sees_writes(void)
{
	char in[512], outdir[512], out[600], trace[512], *bad;
	const char *home_only[] = {home(), NULL};
	const char *with_out[] = {home(), outdir, NULL};

	snprintf(in, sizeof(in), "%s/in", scratch);
	snprintf(outdir, sizeof(outdir), "%s/out", scratch);
	snprintf(out, sizeof(out), "%s/sealed.tar.zst", outdir);
	snprintf(trace, sizeof(trace), "%s/seal.trace", scratch);
	cr_assert(!mkdir(in, 0700) && !mkdir(outdir, 0700));
	cr_assert_eq(th_sh("echo sample > '%s/a.txt'", in), 0);
	cr_assert_eq(traced(trace, (const char *[]){"evidence", "seal", "-o",
						    out, in, NULL}),
		     0);
	bad = writes_outside(trace, home_only);
	cr_assert(strstr(bad, "sealed.tar.zst"), "unseen write:\n%s", bad);
	bad = writes_outside(trace, with_out);
	cr_assert_str_empty(bad,
			    "evidence seal wrote outside the home and "
			    "its output:\n%s",
			    bad);
}

static void
assert_empty_dir(const char *dir)
{
	cr_assert_eq(th_sh("test -z \"$(ls -A '%s')\"", dir), 0,
		     "secvf wrote into '%s'", dir);
}

Test(integ_hardening, a_full_run_keeps_to_its_home_and_private_modes)
{
	char tmp[4096], user[4096], cwd[4096], trace[4096], pcap[4096];
	const char *roots[] = {home(), NULL};
	char *err = NULL, *bundle, *bad;
	const char *steps[][8] = {
		{"triage", "lab1", NULL},   {"log", "verify", NULL},
		{"case", "ingest", NULL},   {"custody", "verify", "1", NULL},
		{"events", "--json", NULL}, {"doctor", NULL},
	};
	/* doctor exits 1 when a check fails (no KVM here, say). */
	const int max_status[] = {0, 0, 0, 0, 0, 1};
	size_t i;

	/* Empty TMPDIR, HOME and working directory: they must stay so. */
	snprintf(tmp, sizeof(tmp), "%s/tmp", scratch);
	snprintf(user, sizeof(user), "%s/home", scratch);
	snprintf(cwd, sizeof(cwd), "%s/cwd", scratch);
	cr_assert(!mkdir(tmp, 0700) && !mkdir(user, 0700) && !mkdir(cwd, 0700));
	setenv("TMPDIR", tmp, 1);
	setenv("HOME", user, 1);
	cr_assert_eq(chdir(cwd), 0);

	snprintf(trace, sizeof(trace), "%s/key.trace", scratch);
	cr_assert_eq(traced(trace, (const char *[]){"key", "generate", NULL}),
		     0);
	bad = writes_outside(trace, roots);
	cr_assert_str_empty(bad, "key generate wrote outside the home:\n%s",
			    bad);
	cr_assert_eq(th_secvf(NULL, &err, "net", "create", "lab", "--mode",
			      "virtual", NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "net", "up", "lab", NULL), 0, "%s",
		     err);
	free(err);
	start_guest_vm("lab");
	snprintf(pcap, sizeof(pcap), "%s/Captures/lab.pcap", home());
	cr_assert_eq(th_secvf(NULL, &err, "net", "capture", "lab", "-w",
			      "lab.pcap", "--duration", "1", NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(access(pcap, F_OK), 0);

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(trace, sizeof(trace), "%s/step%zu.trace", scratch, i);
		cr_assert_leq(traced(trace, steps[i]), max_status[i],
			      "secvf %s failed", steps[i][0]);
		bad = writes_outside(trace, roots);
		cr_assert_str_empty(bad, "secvf %s wrote outside the home:\n%s",
				    steps[i][0], bad);
	}
	bundle = newest_bundle();
	verify_bundle(bundle);
	free(bundle);
	assert_trace_sees_writes();

	/* With the VM paused and the switch up: sockets, locks, pids. */
	assert_home_modes();
	assert_empty_dir(tmp);
	assert_empty_dir(user);
	assert_empty_dir(cwd);

	/* And once everything has stopped. */
	cr_assert_eq(
		th_secvf(NULL, NULL, "vm", "stop", "lab1", "--force", NULL), 0);
	cr_assert_eq(th_secvf(NULL, NULL, "net", "down", "lab", NULL), 0);
	assert_home_modes();
	assert_empty_dir(tmp);
	assert_empty_dir(user);
	assert_empty_dir(cwd);
}

/*
 * The order of the calls in trace: core dumps are off (RLIMIT_CORE 0,
 * not dumpable) before the private key file, or the temporary file it
 * is written to, is first opened, in the thread that opens it.
 */
static void
assert_guard_before(const char *trace, const char *key)
{
	char line[8192], quoted[4096];
	int nocore, undumpable, opened = 0;
	glob_t g;
	size_t i;
	FILE *f;

	snprintf(quoted, sizeof(quoted), "\"%s", key);
	trace_files(trace, &g);
	for (i = 0; !opened && i < g.gl_pathc; i++) {
		f = fopen(g.gl_pathv[i], "r");
		cr_assert_not_null(f);
		nocore = undumpable = 0;
		while (!opened && fgets(line, sizeof(line), f)) {
			if (strstr(line, "RLIMIT_CORE, {rlim_cur=0, "
					 "rlim_max=0}") &&
			    strstr(line, ") = 0"))
				nocore = 1;
			if (strstr(line, "PR_SET_DUMPABLE, "
					 "SUID_DUMP_DISABLE) = 0"))
				undumpable = 1;
			opened = !strncmp(line, "open", 4) &&
				 strstr(line, quoted);
		}
		fclose(f);
	}
	globfree(&g);
	cr_assert(opened, "'%s' was never opened", key);
	cr_assert(nocore && undumpable,
		  "'%s' is opened before core dumps are off:\n%s", key, line);
}

Test(integ_hardening, the_key_is_read_only_once_core_dumps_are_off)
{
	char trace[4096], key[4096], dir[4096], out[4096];

	snprintf(key, sizeof(key), "%s/keys/signing.pem", home());
	snprintf(trace, sizeof(trace), "%s/gen.trace", scratch);
	cr_assert_eq(traced(trace, (const char *[]){"key", "generate", NULL}),
		     0);
	assert_guard_before(trace, key);

	snprintf(dir, sizeof(dir), "%s/evidence", scratch);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(th_sh("echo sample > '%s/a.txt'", dir), 0);
	snprintf(out, sizeof(out), "%s/sealed.tar.zst", scratch);
	snprintf(trace, sizeof(trace), "%s/seal.trace", scratch);
	cr_assert_eq(traced(trace, (const char *[]){"evidence", "seal", "-o",
						    out, dir, NULL}),
		     0);
	verify_bundle(out);
	assert_guard_before(trace, key);
}

/*
 * A copy of secvf owned by nobody with the set-user-ID (or set-group-ID)
 * bit, run by another user: refused before anything else.
 */
static int
run_copy_as_daemon(const char *copy, mode_t mode, char **err)
{
	char errpath[4096];
	int rc;

	cr_assert_eq(chmod(copy, mode), 0);
	snprintf(errpath, sizeof(errpath), "%s/copy.err", scratch);
	rc = th_sh("setpriv --reuid=daemon --regid=daemon --clear-groups "
		   "'%s' version >/dev/null 2>'%s'",
		   copy, errpath);
	*err = th_read(errpath);
	cr_assert_not_null(*err);
	return rc;
}

Test(integ_hardening, refuses_to_run_setuid_or_setgid)
{
	char copy[4096], *err;

	cr_assert_eq(chmod(scratch, 0755), 0);
	snprintf(copy, sizeof(copy), "%s/secvf", scratch);
	cr_assert_eq(th_sh("cp '%s' '%s' && chown nobody:nogroup '%s'",
			   SECVF_BIN, copy, copy),
		     0);

	/* The plain copy runs for that user: the bits make the change. */
	cr_assert_eq(run_copy_as_daemon(copy, 0755, &err), 0, "%s", err);
	free(err);

	cr_assert_eq(run_copy_as_daemon(copy, 04755, &err), 1, "%s", err);
	cr_assert(strstr(err, "secvf: refusing to run setuid or setgid"), "%s",
		  err);
	free(err);

	cr_assert_eq(run_copy_as_daemon(copy, 02755, &err), 1, "%s", err);
	cr_assert(strstr(err, "secvf: refusing to run setuid or setgid"), "%s",
		  err);
	free(err);
}

/* The private key's bytes in the forms they could leak in. */
struct key_needles {
	unsigned char raw[32];
	char hex[65], HEX[65], b64[64];
	char lines[8][80]; /* PEM body lines: plain and as stored */
	int nlines;
};

static void
add_pem_lines(struct key_needles *k, const char *pem)
{
	const char *p = pem, *e;

	while (*p && k->nlines < 8) {
		e = p + strcspn(p, "\n");
		if (e - p >= 40 && *p != '-')
			snprintf(k->lines[k->nlines++], sizeof(k->lines[0]),
				 "%.*s", (int)(e - p), p);
		p = *e ? e + 1 : e;
	}
}

static void
load_needles(struct key_needles *k, const char *key, const char *passfile)
{
	char der[512], pem[600], pass[4200] = "", *text;
	int fd, n, i;

	memset(k, 0, sizeof(*k));
	if (passfile)
		snprintf(pass, sizeof(pass), "-passin 'file:%s'", passfile);
	snprintf(der, sizeof(der), "%s/key.der", scratch);
	snprintf(pem, sizeof(pem), "%s/key.plain.pem", scratch);
	cr_assert_eq(th_sh("openssl pkey -in '%s' %s -outform DER -out '%s' "
			   "&& openssl pkey -in '%s' %s -out '%s'",
			   key, pass, der, key, pass, pem),
		     0);

	/* PKCS#8 of an Ed25519 key: a 16-byte header, then the 32 bytes. */
	fd = open(der, O_RDONLY);
	cr_assert_geq(fd, 0);
	{
		unsigned char buf[64];

		n = (int)read(fd, buf, sizeof(buf));
		close(fd);
		cr_assert_eq(n, 48, "unexpected DER of %d bytes", n);
		memcpy(k->raw, buf + 16, 32);
	}
	for (i = 0; i < 32; i++) {
		snprintf(k->hex + 2 * i, 3, "%02x", k->raw[i]);
		snprintf(k->HEX + 2 * i, 3, "%02X", k->raw[i]);
	}
	cr_assert_eq(th_sh("head -c 48 '%s' | tail -c 32 | base64 -w0 | "
			   "cut -c1-42 > '%s.b64'",
			   der, der),
		     0);
	snprintf(pem, sizeof(pem), "%s.b64", der);
	text = th_read(pem);
	snprintf(k->b64, sizeof(k->b64), "%.*s", (int)strcspn(text, "\n"),
		 text);
	free(text);

	snprintf(pem, sizeof(pem), "%s/key.plain.pem", scratch);
	text = th_read(pem);
	add_pem_lines(k, text);
	free(text);
	text = th_read(key);
	add_pem_lines(k, text);
	free(text);
	cr_assert_geq(k->nlines, 1);
	unlink(der);
	unlink(pem);
}

static const struct key_needles *needles;
static const char *needle_skip;
static char leak_report[8192];

/* Note in leak_report when size bytes of data hold what. */
static void
find_needle(const char *path, const void *data, size_t size, const void *what,
	    size_t len, const char *name)
{
	size_t n = strlen(leak_report);

	if (memmem(data, size, what, len))
		snprintf(leak_report + n, sizeof(leak_report) - n, "%s: %s\n",
			 path, name);
}

static void
search_file(const char *path)
{
	const struct key_needles *k = needles;
	struct stat st;
	size_t size;
	void *data;
	int fd, i;

	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	size = (size_t)st.st_size;
	data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	cr_assert_neq(data, MAP_FAILED, "%s", path);

	find_needle(path, data, size, k->raw, 32, "raw key bytes");
	find_needle(path, data, size, k->hex, 64, "key bytes in hex");
	find_needle(path, data, size, k->HEX, 64, "key bytes in HEX");
	find_needle(path, data, size, k->b64, strlen(k->b64),
		    "key bytes in base64");
	for (i = 0; i < k->nlines; i++)
		find_needle(path, data, size, k->lines[i], strlen(k->lines[i]),
			    "a line of the key's PEM");
	munmap(data, size);
}

static int
search_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F && S_ISREG(st->st_mode) && strcmp(path, needle_skip))
		search_file(path);
	return 0;
}

static void
plant_needles(const struct key_needles *k, const char *tag)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/planted-%s", scratch, tag);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "<");
	fwrite(k->raw, 1, sizeof(k->raw), f);
	fprintf(f, ">\n%s\n%s\n%s\n", k->hex, k->HEX, k->b64);
	cr_assert_eq(fclose(f), 0);
	search_file(path);
	unlink(path);
}

/* No file beneath the home (but the key) nor in the bundle holds it. */
static void
assert_key_nowhere(const char *key, const char *passfile, const char *tag)
{
	struct key_needles k;
	char dir[4096], *bundle;

	load_needles(&k, key, passfile);
	needles = &k;
	needle_skip = key;
	leak_report[0] = '\0';

	bundle = newest_bundle();
	verify_bundle(bundle);
	snprintf(dir, sizeof(dir), "%s/bundle-%s", scratch, tag);
	cr_assert_eq(
		th_sh("mkdir '%s' && tar -xf '%s' -C '%s'", dir, bundle, dir),
		0);
	free(bundle);

	/* The search must find what it looks for: the key file's PEM, and
	 * each form of the bytes planted in a file of its own. */
	search_file(key);
	cr_assert(strstr(leak_report, "a line of the key's PEM"), "%s",
		  leak_report);
	leak_report[0] = '\0';
	plant_needles(&k, tag);
	cr_assert(strstr(leak_report, "raw key bytes") &&
			  strstr(leak_report, "key bytes in hex") &&
			  strstr(leak_report, "key bytes in HEX") &&
			  strstr(leak_report, "key bytes in base64"),
		  "%s", leak_report);
	leak_report[0] = '\0';

	cr_assert_eq(nftw(home(), search_entry, 32, FTW_PHYS), 0);
	cr_assert_eq(nftw(dir, search_entry, 32, FTW_PHYS), 0);
	cr_assert_str_empty(leak_report, "the private key leaked:\n%s",
			    leak_report);
}

Test(integ_hardening, the_private_key_is_in_no_log_and_no_bundle)
{
	char key[4096], pass[4096], *err = NULL;

	snprintf(key, sizeof(key), "%s/keys/signing.pem", home());
	cr_assert_eq(th_secvf(NULL, &err, "key", "generate", NULL), 0, "%s",
		     err);
	free(err);
	start_guest_vm(NULL);
	cr_assert_eq(th_secvf(NULL, &err, "triage", "lab1", NULL), 0, "%s",
		     err);
	free(err);
	assert_key_nowhere(key, NULL, "plain");

	/* A passphrase-protected key, and a triage of the paused VM. */
	snprintf(pass, sizeof(pass), "%s/pass", scratch);
	cr_assert_eq(th_sh("echo 'correct horse battery' > '%s'", pass), 0);
	cr_assert_eq(th_secvf(NULL, &err, "key", "generate", "--force",
			      "--passphrase-file", pass, NULL),
		     0, "%s", err);
	free(err);
	sleep(1); /* bundles are named to the second */
	cr_assert_eq(th_secvf(NULL, &err, "triage", "lab1", "--no-memory",
			      "--passphrase-file", pass, NULL),
		     0, "%s", err);
	free(err);
	assert_key_nowhere(key, pass, "encrypted");
}
