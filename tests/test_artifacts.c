#include "helpers.h"

#include "lib/err.h"
#include "playbooks/artifacts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(artifacts, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static struct artifact_list list;

static int
load_text(const char *yaml)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/a.yaml", getenv("SECVF_HOME"));
	cr_assert_eq(th_write("a.yaml", yaml), 0);
	return artifacts_load(path, &list);
}

Test(artifacts, shipped_list_loads)
{
	char path[512];
	size_t i;
	int commands = 0;

	snprintf(path, sizeof(path), "%s/playbooks/artifacts.yaml",
		 SECVF_SRCDIR);
	cr_assert_eq(artifacts_load(path, &list), 0, "%s", err_msg());
	cr_assert_geq(list.count, 20);
	for (i = 0; i < list.count; i++) {
		cr_assert(list.items[i].why[0], "entry %zu has no why", i);
		commands += list.items[i].kind == ARTIFACT_COMMAND;
	}
	cr_assert_geq(commands, 1);
}

Test(artifacts, entry_fields_are_read)
{
	cr_assert_eq(load_text("artifacts:\n"
			       "  - member: host/j.json\n"
			       "    kind: command\n"
			       "    argv: [journalctl, -o, json]\n"
			       "    timeout: 7\n"
			       "    why: journal\n"),
		     0, "%s", err_msg());
	cr_assert_eq(list.count, 1);
	cr_assert_eq(list.items[0].kind, ARTIFACT_COMMAND);
	cr_assert_eq(list.items[0].argc, 3);
	cr_assert_str_eq(list.items[0].argv[2], "json");
	cr_assert_eq(list.items[0].timeout_s, 7);
}

Test(artifacts, unknown_key_is_an_error_with_line)
{
	cr_assert_eq(load_text("artifacts:\n"
			       "  - member: x\n"
			       "    kind: file\n"
			       "    path: /x\n"
			       "    colour: red\n"),
		     -1);
	cr_assert(strstr(err_msg(), ":5: unknown key 'colour'"), "%s",
		  err_msg());
	cr_assert_eq(list.count, 0);
}

Test(artifacts, bad_entries_are_refused)
{
	cr_assert_eq(load_text("artifacts:\n  - member: x\n    kind: tape\n"),
		     -1);
	cr_assert(strstr(err_msg(), "unknown kind 'tape'"), "%s", err_msg());
	cr_assert_eq(load_text("artifacts:\n  - member: x\n    path: /x\n"),
		     -1);
	cr_assert(strstr(err_msg(), "no 'kind'"), "%s", err_msg());
	cr_assert_eq(load_text("artifacts:\n  - member: ../x\n"
			       "    kind: file\n    path: /x\n"),
		     -1);
	cr_assert(strstr(err_msg(), "without '..'"), "%s", err_msg());
	cr_assert_eq(load_text("artifacts:\n  - member: x\n"
			       "    kind: command\n"),
		     -1);
	cr_assert(strstr(err_msg(), "needs 'argv'"), "%s", err_msg());
	cr_assert_eq(load_text("artifacts: [unclosed\n"), -1);
	cr_assert_eq(load_text("other: []\n"), -1);
	cr_assert(strstr(err_msg(), "'artifacts'"), "%s", err_msg());
}

Test(artifacts, missing_file_is_an_error)
{
	cr_assert_eq(artifacts_load("/nonexistent/a.yaml", &list), -1);
	cr_assert(strstr(err_msg(), "cannot open artifact list"));
}

Test(artifacts, placeholders_expand)
{
	struct artifact_vars v = {.home = "/h", .vm = "lab1", .date = "D",
				  .qemu_pid = ""};
	char out[64];

	cr_assert_eq(artifact_expand("{home}/logs/s-{date}.log", &v, out,
				     sizeof(out)),
		     1);
	cr_assert_str_eq(out, "/h/logs/s-D.log");
	cr_assert_eq(artifact_expand("/proc/{qemu_pid}/maps", &v, out,
				     sizeof(out)),
		     0);
	cr_assert_eq(artifact_expand("{nope}", &v, out, sizeof(out)), -1);
	cr_assert(strstr(err_msg(), "unknown placeholder '{nope}'"));
	cr_assert_eq(artifact_expand("{home}{home}{home}", &v, out, 6), -1);
	cr_assert_eq(artifact_expand("a{b", &v, out, sizeof(out)), 1);
	cr_assert_str_eq(out, "a{b");
}
