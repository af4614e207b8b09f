#include "helpers.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

TestSuite(doctor, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

/* The status doctor --json gave one check. */
static char *
status_of(const char *json, const char *check)
{
	json_t *all = json_loads(json, 0, NULL), *r;
	char *status = NULL;
	size_t i;

	json_array_foreach(all, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "check")),
			    check))
			status = strdup(json_string_value(
				json_object_get(r, "status")));
	json_decref(all);
	return status ? status : strdup("absent");
}

Test(doctor, fresh_home_is_ready_but_has_no_key_yet)
{
	char *out = NULL, *s;

	cr_assert_eq(th_secvf(&out, NULL, "doctor", "--json", NULL), 0, "%s",
		     out);
	cr_assert_str_eq(s = status_of(out, "qemu"), "ok");
	free(s);
	cr_assert_str_eq(s = status_of(out, "case database"), "ok");
	free(s);
	cr_assert_str_eq(s = status_of(out, "signing key"), "warn");
	free(s);
	s = status_of(out, "snapshots");
	cr_assert(!strcmp(s, "ok") || !strcmp(s, "warn"), "%s", s);
	free(s);
	free(out);

	cr_assert_eq(th_secvf(NULL, NULL, "key", "generate", NULL), 0);
	cr_assert_eq(th_secvf(&out, NULL, "doctor", "--json", NULL), 0);
	cr_assert_str_eq(s = status_of(out, "signing key"), "ok");
	free(s);
	free(out);
}

Test(doctor, damaged_database_and_missing_qemu_fail)
{
	char *out = NULL, *s;

	cr_assert_eq(th_write("cases.db", "this is not a database, not at "
					  "all, and long enough to look "
					  "like a header......"),
		     0);
	setenv("SECVF_QEMU", "/nonexistent/qemu", 1);
	cr_assert_eq(th_secvf(&out, NULL, "doctor", "--json", NULL), 1);
	cr_assert_str_eq(s = status_of(out, "case database"), "fail");
	free(s);
	cr_assert_str_eq(s = status_of(out, "qemu"), "fail");
	free(s);
	free(out);
	cr_assert_eq(th_secvf(&out, NULL, "doctor", NULL), 1);
	cr_assert(strstr(out, "fail  qemu"), "%s", out);
	free(out);
	unsetenv("SECVF_QEMU");
	cr_assert_eq(th_secvf(NULL, NULL, "doctor", "extra", NULL), 2);
}
