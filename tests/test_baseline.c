#include "helpers.h"

#include "lib/path.h"
#include "playbooks/baseline.h"

#include <criterion/criterion.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(baseline, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

struct expect {
	const char *id;
	const char *verdict;
};

/* Build fixture NAME beneath the fresh home; returns its path (static). */
static const char *
make_root(const char *name)
{
	static char path[4][PATH_BUF];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, PATH_BUF, "%s/root-%s", getenv("SECVF_HOME"), name);
	cr_assert_eq(th_sh("sh '%s' %s '%s'",
			   th_fixture("baseline/make-root.sh"), name, p),
		     0);
	return p;
}

static json_t *
find_check(json_t *results, const char *id)
{
	json_t *r;
	size_t i;

	json_array_foreach(results, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "id")), id))
			return r;
	return NULL;
}

static const char *
field(json_t *results, const char *id, const char *key)
{
	json_t *r = find_check(results, id);

	cr_assert(r, "no check '%s'", id);
	return json_string_value(json_object_get(r, key));
}

/* The results hold exactly these checks, in order, with these verdicts. */
static void
assert_verdicts(json_t *results, const struct expect *want, size_t n)
{
	size_t i;

	cr_assert_eq(json_array_size(results), n, "%zu checks, want %zu",
		     json_array_size(results), n);
	for (i = 0; i < n; i++) {
		json_t *r = json_array_get(results, i);
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *v =
			json_string_value(json_object_get(r, "verdict"));

		cr_assert_str_eq(id, want[i].id);
		cr_expect_str_eq(v, want[i].verdict, "%s: %s (%s / %s)", id, v,
				 json_string_value(
					 json_object_get(r, "observed")),
				 json_string_value(json_object_get(r, "why")));
		cr_assert(json_is_string(json_object_get(r, "title")));
		cr_assert(json_is_string(json_object_get(r, "observed")));
		cr_assert(json_is_string(json_object_get(r, "why")));
	}
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

Test(baseline, clean_root_passes_every_check)
{
	static const struct expect want[] = {
		{"secureboot", "pass"},   {"mok", "pass"},
		{"lockdown", "pass"},     {"sig-enforce", "pass"},
		{"taint", "pass"},        {"modules", "pass"},
		{"cmdline", "pass"},      {"mac-lsm", "pass"},
		{"ld-so-preload", "pass"}, {"uid0", "pass"},
		{"units-system", "pass"}, {"units-user", "pass"},
		{"cron", "pass"},         {"suid", "pass"},
		{"ssh-keys", "skipped"},  {"listening", "skipped"},
		{"modules-new", "skipped"}, {"suid-new", "skipped"},
		{"units-new", "skipped"},
	};
	json_t *r = baseline_check(make_root("clean"), BASELINE_AUTO, NULL);

	cr_assert(r);
	assert_verdicts(r, want, NELEM(want));
	cr_assert_str_eq(field(r, "lockdown", "observed"), "integrity");
	cr_assert_str_eq(field(r, "suid", "observed"), "2, all from packages");
	cr_assert(strstr(field(r, "cron", "observed"), "run-parts"));
	cr_assert_eq(baseline_count(r, BASELINE_FAIL), 0);
	json_decref(r);
}

Test(baseline, tampered_root_fails_what_was_tampered)
{
	static const struct expect want[] = {
		{"secureboot", "pass"},   {"mok", "fail"},
		{"lockdown", "fail"},     {"sig-enforce", "fail"},
		{"taint", "fail"},        {"modules", "fail"},
		{"cmdline", "pass"},      {"mac-lsm", "pass"},
		{"ld-so-preload", "fail"}, {"uid0", "fail"},
		{"units-system", "fail"}, {"units-user", "fail"},
		{"cron", "fail"},         {"suid", "fail"},
		{"ssh-keys", "skipped"},  {"listening", "skipped"},
		{"modules-new", "skipped"}, {"suid-new", "skipped"},
		{"units-new", "skipped"},
	};
	json_t *r = baseline_check(make_root("tampered"), BASELINE_LINUX, NULL);

	cr_assert(r);
	assert_verdicts(r, want, NELEM(want));
	cr_assert_str_eq(field(r, "taint", "observed"),
			 "12288: O (out-of-tree module), E (unsigned module)");
	cr_assert_str_eq(field(r, "modules", "observed"),
			 "rootkit (OE) out-of-tree unsigned (its .ko has no "
			 "signature)");
	cr_assert_str_eq(field(r, "lockdown", "observed"), "none");
	cr_assert_str_eq(field(r, "uid0", "observed"), "toor");
	cr_assert_str_eq(field(r, "ld-so-preload", "observed"),
			 "/usr/lib/x86_64-linux-gnu/libprocesshider.so");
	cr_assert_str_eq(field(r, "units-system", "observed"),
			 "/etc/systemd/system/backdoor.service");
	cr_assert_str_eq(field(r, "units-user", "observed"),
			 "/home/alice/.config/systemd/user/miner.service");
	cr_assert_str_eq(field(r, "suid", "observed"),
			 "/usr/local/bin/.helper");
	cr_assert(strstr(field(r, "cron", "observed"),
			 "/var/spool/cron/crontabs/root: */5"));
	cr_assert_eq(baseline_count(r, BASELINE_FAIL), 11);
	json_decref(r);
}

Test(baseline, comparisons_pass_against_own_capture)
{
	const char *root = make_root("clean");
	json_t *cap = baseline_capture(root, BASELINE_AUTO), *r;
	json_t *sets;

	cr_assert(cap);
	cr_assert_eq(baseline_capture_valid(cap), 0);
	sets = json_object_get(cap, "sets");
	cr_assert_eq(json_array_size(json_object_get(sets, "listening")), 4);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(sets, "listening"), 0)),
			 "tcp 0.0.0.0:22");
	cr_assert_eq(json_array_size(json_object_get(sets, "modules")), 2);
	cr_assert_eq(json_array_size(json_object_get(sets, "suid")), 2);
	cr_assert_eq(json_array_size(json_object_get(sets,
						     "authorized_keys")), 2);

	r = baseline_check(root, BASELINE_AUTO, cap);
	cr_assert_str_eq(field(r, "ssh-keys", "verdict"), "pass");
	cr_assert_str_eq(field(r, "listening", "verdict"), "pass");
	cr_assert_str_eq(field(r, "modules-new", "verdict"), "pass");
	cr_assert_str_eq(field(r, "suid-new", "verdict"), "pass");
	cr_assert_str_eq(field(r, "units-new", "verdict"), "pass");
	cr_assert_str_eq(field(r, "listening", "observed"), "unchanged (4)");
	json_decref(r);
	json_decref(cap);
}

Test(baseline, comparisons_fail_on_what_is_new)
{
	json_t *cap = baseline_capture(make_root("clean"), BASELINE_AUTO), *r;

	r = baseline_check(make_root("tampered"), BASELINE_AUTO, cap);
	cr_assert_str_eq(field(r, "listening", "verdict"), "fail");
	cr_assert_str_eq(field(r, "listening", "observed"),
			 "1 new: tcp 0.0.0.0:4444");
	cr_assert_str_eq(field(r, "modules-new", "observed"), "1 new: rootkit");
	cr_assert_str_eq(field(r, "suid-new", "observed"),
			 "1 new: /usr/local/bin/.helper");
	cr_assert_str_eq(field(r, "ssh-keys", "verdict"), "fail");
	cr_assert(strstr(field(r, "ssh-keys", "observed"),
			 "/root/.ssh/authorized_keys ssh-rsa sha256:"));
	cr_assert_str_eq(field(r, "units-new", "verdict"), "fail");
	cr_assert(strstr(field(r, "units-new", "observed"), "miner.service"));
	json_decref(r);
	json_decref(cap);
}

Test(baseline, removed_ssh_key_fails_but_gone_listener_passes)
{
	const char *root = make_root("tampered");
	json_t *cap = baseline_capture(root, BASELINE_AUTO), *r;

	cr_assert_eq(th_sh("sed -i '/ssh-rsa/d' '%s/root/.ssh/authorized_keys'"
			   " && sed -i '/115C/d' '%s/proc/net/tcp'",
			   root, root),
		     0);
	r = baseline_check(root, BASELINE_AUTO, cap);
	cr_assert_str_eq(field(r, "ssh-keys", "verdict"), "fail");
	cr_assert(strstr(field(r, "ssh-keys", "observed"), "1 gone: "));
	cr_assert_str_eq(field(r, "listening", "verdict"), "pass");
	cr_assert_str_eq(field(r, "listening", "observed"),
			 "1 gone: tcp 0.0.0.0:4444");
	json_decref(r);
	json_decref(cap);
}

Test(baseline, empty_root_gives_unknown_with_reason)
{
	char root[PATH_BUF];
	json_t *r;

	snprintf(root, sizeof(root), "%s/empty", getenv("SECVF_HOME"));
	cr_assert_eq(mkdir(root, 0700), 0);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	cr_assert(r);
	cr_assert_str_eq(field(r, "secureboot", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "lockdown", "verdict"), "unknown");
	cr_assert(strstr(field(r, "lockdown", "why"),
			 "cannot open '/sys/kernel/security/lockdown': No "
			 "such file or directory"));
	cr_assert_str_eq(field(r, "taint", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "modules", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "uid0", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "mac-lsm", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "suid", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "listening", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "ld-so-preload", "verdict"), "pass");
	cr_assert_eq(baseline_count(r, BASELINE_FAIL), 0);
	json_decref(r);
}

Test(baseline, unreadable_or_bad_files_give_unknown)
{
	const char *root = make_root("clean");
	json_t *r;

	cr_assert_eq(th_sh("cd '%s' && rm proc/sys/kernel/tainted && "
			   "mkdir proc/sys/kernel/tainted && "
			   "echo 'no brackets' > "
			   "sys/kernel/security/lockdown && "
			   "printf '\\007\\000' > sys/firmware/efi/efivars/"
			   "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c && "
			   "echo maybe > "
			   "sys/module/module/parameters/sig_enforce"
			   " && rm -r var/lib/dpkg",
			   root),
		     0);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	cr_assert_str_eq(field(r, "taint", "verdict"), "unknown");
	cr_assert(strstr(field(r, "taint", "why"), "not a regular file"));
	cr_assert_str_eq(field(r, "lockdown", "verdict"), "unknown");
	cr_assert_str_eq(field(r, "secureboot", "verdict"), "unknown");
	cr_assert(strstr(field(r, "secureboot", "why"), "too short"));
	cr_assert_str_eq(field(r, "sig-enforce", "verdict"), "unknown");
	/* Without the dpkg database, ownership cannot be judged. */
	cr_assert_str_eq(field(r, "suid", "verdict"), "unknown");
	cr_assert(strstr(field(r, "suid", "why"), "no dpkg database"));
	cr_assert_str_eq(field(r, "cron", "verdict"), "unknown");
	json_decref(r);
}

Test(baseline, symlink_cannot_lead_out_of_the_root)
{
	const char *root = make_root("clean");
	json_t *r;

	/* An absolute link resolves inside the root, not on the host. */
	cr_assert_eq(th_sh("cd '%s' && rm etc/passwd && "
			   "ln -s /../../../../etc/shadow etc/passwd",
			   root),
		     0);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	cr_assert_str_eq(field(r, "uid0", "verdict"), "unknown");
	cr_assert(strstr(field(r, "uid0", "why"), "cannot open '/etc/passwd'"));
	json_decref(r);
}

Test(baseline, kernel_command_line_flags_fail)
{
	const char *root = make_root("clean");
	json_t *r;

	cr_assert_eq(th_sh("echo 'ro quiet module.sig_enforce=0 "
			   "init=/tmp/x' > '%s/proc/cmdline'",
			   root),
		     0);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	cr_assert_str_eq(field(r, "cmdline", "verdict"), "fail");
	cr_assert(strstr(field(r, "cmdline", "why"),
			 "module.sig_enforce=0, init=/tmp/x"));
	json_decref(r);
}

Test(baseline, selinux_permissive_fails)
{
	const char *root = make_root("clean");
	json_t *r;

	cr_assert_eq(th_sh("mkdir -p '%s/sys/fs/selinux' && "
			   "echo 0 > '%s/sys/fs/selinux/enforce'",
			   root, root),
		     0);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	cr_assert_str_eq(field(r, "mac-lsm", "verdict"), "fail");
	cr_assert_str_eq(field(r, "mac-lsm", "observed"),
			 "SELinux permissive");
	json_decref(r);
}

/* The third-party launch daemon, in binary plist form. */
static void
write_binary_daemon(const char *root)
{
	char path[PATH_BUF], *bin = NULL;
	plist_t dict = plist_new_dict(), args = plist_new_array();
	uint32_t len = 0;
	FILE *f;

	plist_dict_set_item(dict, "Label",
			    plist_new_string("com.evil.persist"));
	plist_array_append_item(args, plist_new_string("/Library/Application "
						       "Support/.x/agent"));
	plist_array_append_item(args, plist_new_string("--daemon"));
	plist_dict_set_item(dict, "ProgramArguments", args);
	plist_dict_set_item(dict, "RunAtLoad", plist_new_bool(1));
	plist_to_bin(dict, &bin, &len);
	plist_free(dict);
	cr_assert(bin && len > 8 && !memcmp(bin, "bplist00", 8));

	/* git keeps no empty directory: make it here. */
	cr_assert_eq(th_sh("mkdir -p '%s/Library/LaunchDaemons'", root), 0);
	snprintf(path, sizeof(path),
		 "%s/Library/LaunchDaemons/com.evil.persist.plist", root);
	f = fopen(path, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(bin, 1, len, f), len);
	fclose(f);
	plist_to_bin_free(bin);
}

Test(baseline, macos_volume_reports_third_party_items)
{
	static const struct expect want[] = {
		{"gatekeeper", "skipped"},   {"sip", "skipped"},
		{"kexts-loaded", "skipped"}, {"launchctl", "skipped"},
		{"launch-items", "fail"},    {"kexts", "fail"},
		{"launch-items-new", "skipped"}, {"kexts-new", "skipped"},
	};
	const char *root = make_root("macos-tampered");
	json_t *r;

	write_binary_daemon(root);
	cr_assert_eq(baseline_family_detect(root), BASELINE_MACOS);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	assert_verdicts(r, want, NELEM(want));
	cr_assert_str_eq(field(r, "launch-items", "observed"),
			 "com.evil.persist runs /Library/Application "
			 "Support/.x/agent "
			 "(/Library/LaunchDaemons/com.evil.persist.plist)");
	cr_assert_str_eq(field(r, "kexts", "observed"),
			 "com.example.evilkext 1.0.3 (executable EvilKext, "
			 "EvilKext.kext)");
	cr_assert(strstr(field(r, "gatekeeper", "why"), "macOS host"));
	json_decref(r);
}

Test(baseline, macos_capture_then_check_passes_and_new_item_fails)
{
	const char *root = make_root("macos-tampered");
	json_t *cap = baseline_capture(root, BASELINE_AUTO), *r;

	cr_assert_str_eq(json_string_value(json_object_get(cap, "family")),
			 "macos");
	r = baseline_check(root, BASELINE_MACOS, cap);
	cr_assert_str_eq(field(r, "launch-items-new", "verdict"), "pass");
	cr_assert_str_eq(field(r, "kexts-new", "verdict"), "pass");
	cr_assert_str_eq(field(r, "launch-items", "verdict"), "pass");
	json_decref(r);

	write_binary_daemon(root);
	r = baseline_check(root, BASELINE_MACOS, cap);
	cr_assert_str_eq(field(r, "launch-items-new", "verdict"), "fail");
	cr_assert(strstr(field(r, "launch-items-new", "observed"),
			 "com.evil.persist"));
	json_decref(r);
	json_decref(cap);
}

Test(baseline, broken_plist_gives_unknown)
{
	const char *root = make_root("macos-tampered");
	json_t *r;

	cr_assert_eq(th_sh("echo 'not a plist' > "
			   "'%s/Library/LaunchAgents/com.apple.junk.plist'",
			   root),
		     0);
	r = baseline_check(root, BASELINE_AUTO, NULL);
	cr_assert_str_eq(field(r, "launch-items", "verdict"), "unknown");
	cr_assert(strstr(field(r, "launch-items", "why"),
			 "is not a property list"));
	json_decref(r);
}

Test(baseline, family_parse_and_detect)
{
	enum baseline_family f;

	cr_assert_eq(baseline_family_parse("macos", &f), 0);
	cr_assert_eq(f, BASELINE_MACOS);
	cr_assert_eq(baseline_family_parse("windows", &f), -1);
	cr_assert_eq(baseline_family_detect(make_root("clean")),
		     BASELINE_LINUX);
	cr_assert_null(baseline_check("/nonexistent/root", BASELINE_AUTO,
				      NULL));
}

Test(baseline, capture_validation_rejects_bad_shapes)
{
	json_t *bad = json_pack("{s:s, s:{s:[i]}}", "format",
				"secvf-baseline", "sets", "x", 1);

	cr_assert_eq(baseline_capture_valid(bad), -1);
	json_decref(bad);
	bad = json_pack("{s:s}", "format", "other");
	cr_assert_eq(baseline_capture_valid(bad), -1);
	json_decref(bad);
	cr_assert_eq(baseline_capture_valid(NULL), -1);
}

/* --- the command ------------------------------------------------------- */

static json_t *
load_home_json(const char *rel)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/%s", getenv("SECVF_HOME"), rel);
	return json_load_file(path, 0, NULL);
}

static mode_t
home_mode(const char *rel)
{
	char path[PATH_BUF];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", getenv("SECVF_HOME"), rel);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

Test(baseline, check_command_exits_4_on_failure_and_saves_result)
{
	char *out, *err;
	json_t *last;

	cr_assert_eq(th_secvf(&out, &err, "baseline", "check", "--root",
			      make_root("tampered"), NULL),
		     4, "%s", err);
	cr_assert(strstr(out, "fail     ld-so-preload"), "%s", out);
	cr_assert(strstr(out, "baseline: 3 pass, 11 fail, 0 unknown, "
			      "5 skipped"),
		  "%s", out);
	free(out);
	free(err);

	last = load_home_json("baselines/last-check.json");
	cr_assert(last);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(last, "summary"), "fail")),
		     11);
	cr_assert_eq(json_array_size(json_object_get(last, "checks")), 19);
	cr_assert(json_is_null(json_object_get(last, "against")));
	cr_assert_eq(home_mode("baselines/last-check.json"), 0600);
	json_decref(last);
}

Test(baseline, check_command_clean_exits_0)
{
	char *out;

	cr_assert_eq(th_secvf(&out, NULL, "baseline", "check", "--root",
			      make_root("clean"), NULL),
		     0, "%s", out);
	cr_assert(strstr(out, "pass     lockdown"), "%s", out);
	free(out);
}

Test(baseline, check_is_recorded_and_attached_to_a_case)
{
	char *out = NULL, *err = NULL;

	cr_assert_eq(th_secvf(NULL, NULL, "case", "new", "host check", NULL),
		     0);
	cr_assert_eq(th_secvf(&out, &err, "--json", "baseline", "check",
			      "--root", make_root("clean"), "--case", "1",
			      NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "\"baseline_id\":1"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_sh("test \"$(sqlite3 '%s/cases.db' 'select case_id "
			   "from baselines where id = 1')\" = 1",
			   getenv("SECVF_HOME")),
		     0);

	cr_assert_eq(th_secvf(NULL, &err, "baseline", "check", "--root",
			      make_root("clean"), "--case", "7", NULL),
		     3);
	cr_assert(strstr(err, "no case 7"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, &err, "baseline", "capture", "--case",
			      "1", NULL),
		     2);
	free(err);
}

Test(baseline, capture_then_check_uses_latest)
{
	char *out, *err;
	json_t *res;

	cr_assert_eq(th_secvf(&out, &err, "baseline", "capture", "--root",
			      make_root("clean"), NULL),
		     0, "%s", err);
	cr_assert(strstr(out, "captured baseline: "), "%s", out);
	cr_assert(strstr(out, "latest") == NULL);
	free(out);
	free(err);
	cr_assert_eq(home_mode("baselines/latest.json"), 0600);

	cr_assert_eq(th_secvf(&out, &err, "--json", "baseline", "check",
			      "--root", make_root("tampered"), NULL),
		     4, "%s", err);
	res = json_loads(out, 0, NULL);
	cr_assert(res, "%s", out);
	cr_assert(strstr(json_string_value(json_object_get(res, "against")),
			 "baselines/latest.json"));
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(res, "summary"), "fail")),
		     16);
	json_decref(res);
	free(out);
	free(err);
}

Test(baseline, capture_out_writes_only_that_file)
{
	char path[PATH_BUF], latest[PATH_BUF], *err;

	snprintf(path, sizeof(path), "%s/cap.json", getenv("SECVF_HOME"));
	snprintf(latest, sizeof(latest), "%s/baselines/latest.json",
		 getenv("SECVF_HOME"));
	cr_assert_eq(th_secvf(NULL, &err, "baseline", "capture", "--out", path,
			      "--root", make_root("clean"), NULL),
		     0, "%s", err);
	free(err);
	cr_assert_eq(access(path, F_OK), 0);
	cr_assert_neq(access(latest, F_OK), 0);
	cr_assert_eq(th_secvf(NULL, &err, "baseline", "check", "--against",
			      path, "--root", make_root("clean"), NULL),
		     0, "%s", err);
	free(err);
}

Test(baseline, command_errors_are_clear)
{
	char path[PATH_BUF], *err;

	cr_assert_eq(th_secvf(NULL, &err, "baseline", "check", "--against",
			      "/nonexistent/cap.json", NULL),
		     3);
	cr_assert(strstr(err, "cannot open '/nonexistent/cap.json'"), "%s",
		  err);
	free(err);

	snprintf(path, sizeof(path), "%s/bad.json", getenv("SECVF_HOME"));
	cr_assert_eq(th_write("bad.json", "{\"format\":\"nope\"}"), 0);
	cr_assert_eq(th_secvf(NULL, &err, "baseline", "check", "--against",
			      path, NULL),
		     1);
	cr_assert(strstr(err, "not a secvf baseline capture"), "%s", err);
	free(err);

	cr_assert_eq(th_secvf(NULL, &err, "baseline", "check", "--family",
			      "windows", NULL),
		     2);
	cr_assert(strstr(err, "unknown family 'windows'"), "%s", err);
	free(err);

	cr_assert_eq(th_secvf(NULL, &err, "baseline", "check", "--root",
			      "/nonexistent/root", NULL),
		     3);
	cr_assert(strstr(err, "cannot open root '/nonexistent/root'"), "%s",
		  err);
	free(err);

	cr_assert_eq(th_secvf(NULL, &err, "baseline", "frob", NULL), 2);
	free(err);
}

Test(baseline, live_host_capture_then_check_passes_comparisons)
{
	static const char *const ids[] = {"ssh-keys", "listening",
					  "modules-new", "suid-new",
					  "units-new"};
	char *out, *err;
	json_t *res, *checks;
	size_t i;

	cr_assert_eq(th_secvf(NULL, &err, "baseline", "capture", NULL), 0,
		     "%s", err);
	free(err);
	th_secvf(&out, &err, "--json", "baseline", "check", NULL);
	res = json_loads(out, 0, NULL);
	cr_assert(res, "%s %s", out, err);
	checks = json_object_get(res, "checks");
	for (i = 0; i < NELEM(ids); i++) {
		const char *v = field(checks, ids[i], "verdict");

		/* A source this host lacks (no /proc/modules) is unknown. */
		if (!strcmp(ids[i], "modules-new") &&
		    access("/proc/modules", F_OK) != 0)
			cr_assert_str_eq(v, "unknown");
		else
			cr_assert_str_eq(v, "pass", "%s: %s", ids[i],
					 field(checks, ids[i], "observed"));
	}
	json_decref(res);
	free(out);
	free(err);
}
