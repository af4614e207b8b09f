/*
 * The macOS checks: the security tools on a live macOS host, and the
 * launchd and kext property lists of a macOS volume (live or mounted on
 * Linux beneath --root).
 */
#include "baseline_int.h"

#include "lib/err.h"
#include "lib/path.h"

#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __APPLE__
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOOL_TIMEOUT_MS 10000
#define TOOL_OUT_MAX 65536

/* Run argv, capturing at most TOOL_OUT_MAX bytes; killed on timeout. */
static int
run_tool(char *const argv[], char *out, size_t n)
{
	struct pollfd p;
	size_t got = 0;
	int fds[2], status, left = TOOL_TIMEOUT_MS;
	ssize_t r;
	pid_t pid;

	if (pipe(fds) < 0)
		return err_errno("cannot make a pipe for '%s'", argv[0]);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_errno("cannot run '%s'", argv[0]);
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p.fd = fds[0];
	p.events = POLLIN;
	while (left > 0 && poll(&p, 1, 100) >= 0) {
		left -= 100;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		r = read(fds[0], out + got, n - got - 1);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got + 1 >= n)
			break;
	}
	out[got] = '\0';
	close(fds[0]);
	if (left <= 0)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (left <= 0)
		return err_set("'%s' timed out", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return err_set("cannot run '%s'", argv[0]);
	return 0;
}

static void
tool_check(struct bl_ctx *c, const char *id, const char *title,
	   char *const argv[], const char *good, const char *why_good,
	   const char *why_bad)
{
	static char out[TOOL_OUT_MAX];
	size_t len;

	if (run_tool(argv, out, sizeof(out)) < 0) {
		bl_unknown(c, id, title);
		return;
	}
	len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	bl_result(c, id, title,
		  strstr(out, good) ? BASELINE_PASS : BASELINE_FAIL, out,
		  strstr(out, good) ? why_good : why_bad);
}

/* Lines of a tool's output that name something not from Apple. */
static void
tool_list_check(struct bl_ctx *c, const char *id, const char *title,
		char *const argv[], const char *why_bad)
{
	static char out[TOOL_OUT_MAX];
	struct bl_text t = {0};
	char *line, *save = NULL;

	if (run_tool(argv, out, sizeof(out)) < 0) {
		bl_unknown(c, id, title);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strchr(line, '.') && !strstr(line, "com.apple.") &&
		    !strstr(line, "Label"))
			bl_text_item(&t, "%.120s", line);
	bl_text_end(&t);
	if (t.count)
		bl_result(c, id, title, BASELINE_FAIL, t.buf, why_bad);
	else
		bl_result(c, id, title, BASELINE_PASS, "Apple only",
			  "everything listed is Apple's");
}

static void
live_checks(struct bl_ctx *c)
{
	tool_check(c, "gatekeeper", "Gatekeeper (spctl --status)",
		   (char *[]){"spctl", "--status", NULL},
		   "assessments enabled", "Gatekeeper assesses code",
		   "Gatekeeper is off: unsigned code runs unchecked");
	tool_check(c, "sip", "System Integrity Protection (csrutil status)",
		   (char *[]){"csrutil", "status", NULL}, "status: enabled",
		   "SIP protects the system volume",
		   "SIP is off or partly off");
	tool_list_check(c, "kexts-loaded", "loaded kexts (kmutil showloaded)",
			(char *[]){"kmutil", "showloaded", NULL},
			"kernel extensions not from Apple are loaded");
	tool_list_check(c, "launchctl", "launchd jobs (launchctl list)",
			(char *[]){"launchctl", "list", NULL},
			"launchd runs jobs not from Apple");
}
#endif

static void
skip_live(struct bl_ctx *c)
{
	static const char *const checks[][2] = {
		{"gatekeeper", "Gatekeeper (spctl --status)"},
		{"sip", "System Integrity Protection (csrutil status)"},
		{"kexts-loaded", "loaded kexts (kmutil showloaded)"},
		{"launchctl", "launchd jobs (launchctl list)"},
	};
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		bl_result(c, checks[i][0], checks[i][1], BASELINE_SKIPPED, "",
			  "needs the running macOS host; offline, the "
			  "property lists on the volume are read instead");
}

/* Parse a property list file (XML or binary); NULL with err_msg(). */
static plist_t
read_plist(struct bl_ctx *c, const char *path)
{
	plist_t pl = NULL;
	char *buf;
	size_t len;

	if (bl_read(c, path, 1u << 20, &buf, &len) < 0)
		return NULL;
	plist_from_memory(buf, (uint32_t)len, &pl);
	free(buf);
	if (!pl)
		err_set("'%s' is not a property list", path);
	else if (!PLIST_IS_DICT(pl)) {
		plist_free(pl);
		pl = NULL;
		err_set("'%s' is not a dictionary property list", path);
	}
	return pl;
}

static const char *
dict_string(plist_t dict, const char *key)
{
	plist_t v = plist_dict_get_item(dict, key);

	return PLIST_IS_STRING(v) ? plist_get_string_ptr(v, NULL) : NULL;
}

/* What a launchd job runs: Program, else ProgramArguments[0]. */
static const char *
launch_program(plist_t dict)
{
	const char *prog = dict_string(dict, "Program");
	plist_t args;

	if (prog)
		return prog;
	args = plist_dict_get_item(dict, "ProgramArguments");
	if (PLIST_IS_ARRAY(args) &&
	    PLIST_IS_STRING(plist_array_get_item(args, 0)))
		return plist_get_string_ptr(plist_array_get_item(args, 0),
					    NULL);
	return "?";
}

struct plist_scan {
	json_t *set;
	struct bl_text third;  /* not from Apple */
	struct bl_text broken; /* unreadable */
	int dirs;
};

static int
is_apple(const char *id)
{
	return id && !strncmp(id, "com.apple.", 10);
}

static void
launch_item(struct bl_ctx *c, const char *path, struct plist_scan *s)
{
	char entry[PATH_BUF * 2];
	const char *label, *prog;
	plist_t pl = read_plist(c, path);

	if (!pl) {
		bl_text_item(&s->broken, "%s", err_msg());
		return;
	}
	label = dict_string(pl, "Label");
	prog = launch_program(pl);
	snprintf(entry, sizeof(entry), "%s %s %s", path,
		 label ? label : "(no Label)", prog);
	json_array_append_new(s->set, json_string(entry));
	if (!is_apple(label))
		bl_text_item(&s->third, "%s runs %s (%s)",
			     label ? label : "(no Label)", prog, path);
	plist_free(pl);
}

static void
launch_dir(struct bl_ctx *c, const char *dir, struct plist_scan *s)
{
	char path[PATH_BUF];
	json_t *names, *v;
	size_t i, n;

	names = bl_list_dir(c, dir);
	if (!names)
		return;
	s->dirs++;
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);

		n = strlen(name);
		if (n > 6 && !strcmp(name + n - 6, ".plist") &&
		    path_fmt(path, sizeof(path), "%s/%s", dir, name) == 0)
			launch_item(c, path, s);
	}
	json_decref(names);
}

static void
launch_scan(struct bl_ctx *c, struct plist_scan *s)
{
	char dir[PATH_BUF];
	json_t *users, *v;
	size_t i;

	s->set = json_array();
	launch_dir(c, "/Library/LaunchAgents", s);
	launch_dir(c, "/Library/LaunchDaemons", s);
	users = bl_list_dir(c, "/Users");
	json_array_foreach(users, i, v) {
		if (path_fmt(dir, sizeof(dir), "/Users/%s/Library/LaunchAgents",
			     json_string_value(v)) == 0)
			launch_dir(c, dir, s);
	}
	json_decref(users);
	bl_text_end(&s->third);
	bl_text_end(&s->broken);
	bl_sort_strings(s->set);
}

static void
kext_item(struct bl_ctx *c, const char *bundle, struct plist_scan *s)
{
	char path[PATH_BUF], entry[1024];
	const char *id, *ver, *exe;
	plist_t pl;

	if (path_fmt(path, sizeof(path),
		     "/Library/Extensions/%s/Contents/Info.plist", bundle) < 0)
		return;
	pl = read_plist(c, path);
	if (!pl) {
		bl_text_item(&s->broken, "%s", err_msg());
		return;
	}
	id = dict_string(pl, "CFBundleIdentifier");
	ver = dict_string(pl, "CFBundleVersion");
	exe = dict_string(pl, "CFBundleExecutable");
	snprintf(entry, sizeof(entry), "%s %s", id ? id : bundle,
		 ver ? ver : "?");
	json_array_append_new(s->set, json_string(entry));
	if (!is_apple(id))
		bl_text_item(&s->third, "%s %s (executable %s, %s)",
			     id ? id : "(no CFBundleIdentifier)",
			     ver ? ver : "?", exe ? exe : "?", bundle);
	plist_free(pl);
}

static void
kext_scan(struct bl_ctx *c, struct plist_scan *s)
{
	json_t *names, *v;
	size_t i, n;

	s->set = json_array();
	names = bl_list_dir(c, "/Library/Extensions");
	if (names)
		s->dirs++;
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);

		n = strlen(name);
		if (n > 5 && !strcmp(name + n - 5, ".kext"))
			kext_item(c, name, s);
	}
	json_decref(names);
	bl_text_end(&s->third);
	bl_text_end(&s->broken);
	bl_sort_strings(s->set);
}

static void
report_scan(struct bl_ctx *c, const char *id, const char *title,
	    struct plist_scan *s, const char *why_bad)
{
	if (s->third.count)
		bl_result(c, id, title, BASELINE_FAIL, s->third.buf, why_bad);
	else if (s->broken.count)
		bl_result(c, id, title, BASELINE_UNKNOWN, "", s->broken.buf);
	else if (!s->dirs)
		bl_result(c, id, title, BASELINE_UNKNOWN, "",
			  "none of its directories exists beneath the root");
	else
		bl_result(c, id, title, BASELINE_PASS,
			  json_array_size(s->set) ? "Apple only" : "none",
			  "every item is Apple's");
}

void
bl_macos_checks(struct bl_ctx *c, json_t *against)
{
	struct plist_scan launch = {0}, kexts = {0};

#ifdef __APPLE__
	if (c->live)
		live_checks(c);
	else
		skip_live(c);
#else
	skip_live(c);
#endif
	launch_scan(c, &launch);
	report_scan(c, "launch-items", "third-party launch agents and daemons",
		    &launch,
		    "launchd starts these at boot or login: each is "
		    "persistence the analyst must explain");
	kext_scan(c, &kexts);
	report_scan(c, "kexts", "kernel extensions not from Apple", &kexts,
		    "third-party code for the kernel is installed");

	bl_compare(c, "launch-items-new", "launch items against the baseline",
		   "launch_items", launch.set, against, 0);
	bl_compare(c, "kexts-new", "kernel extensions against the baseline",
		   "kexts", kexts.set, against, 0);
}

json_t *
bl_macos_sets(struct bl_ctx *c)
{
	struct plist_scan launch = {0}, kexts = {0};
	json_t *sets = json_object();

	launch_scan(c, &launch);
	kext_scan(c, &kexts);
	json_object_set_new(sets, "launch_items", launch.set);
	json_object_set_new(sets, "kexts", kexts.set);
	return sets;
}
