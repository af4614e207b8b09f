#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(cli, .init = (void (*)(void))th_fresh_home, .fini = th_remove_home);

Test(cli, version_prints)
{
	char *out;

	cr_assert_eq(th_secvf(&out, NULL, "--version", NULL), 0);
	cr_assert(strncmp(out, "secvf ", 6) == 0, "%s", out);
	free(out);
}

Test(cli, version_json_parses_as_object)
{
	char *out;

	cr_assert_eq(th_secvf(&out, NULL, "version", "--json", NULL), 0);
	cr_assert(out[0] == '{' && strstr(out, "\"secvf\""), "%s", out);
	free(out);
}

Test(cli, unknown_command_is_usage_error)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, "frobnicate", NULL), 2);
	cr_assert(strstr(err, "unknown command 'frobnicate'"), "%s", err);
	free(err);
}

Test(cli, no_command_is_usage_error)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, NULL), 2);
	cr_assert(strstr(err, "usage: secvf"), "%s", err);
	free(err);
}

Test(cli, bad_global_option_is_usage_error)
{
	char *err;

	cr_assert_eq(th_secvf(NULL, &err, "--bogus", "version", NULL), 2);
	cr_assert(strstr(err, "bogus"), "%s", err);
	free(err);
}

Test(cli, help_lists_commands_and_help_command_works)
{
	char *out;

	cr_assert_eq(th_secvf(&out, NULL, "--help", NULL), 0);
	cr_assert(strstr(out, "Commands:") && strstr(out, "version"));
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "help", "version", NULL), 0);
	cr_assert(strstr(out, "usage: secvf version"), "%s", out);
	free(out);
	cr_assert_eq(th_secvf(NULL, NULL, "help", "nope", NULL), 2);
}
