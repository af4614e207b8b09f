#include "helpers.h"

#include "forensics/casedb.h"
#include "forensics/caseuco.h"
#include "lib/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(caseuco, .init = (void (*)(void))th_fresh_home,
	  .fini = th_remove_home);

static const char sha_a[] =
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
static const char sha_b[] =
	"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

/* Case 1 with two evidence items and three custody entries. */
static void
fixture_case(void)
{
	struct custody_entry e = {0, 0, "paused", "root@ws1", 0, NULL, NULL};
	struct casedb *db;
	int64_t id, a, b;

	cr_assert_eq(casedb_open(NULL, &db), 0, "%s", err_msg());
	cr_assert_eq(casedb_case_new(db, "lab1 \"breakout\"", &id), 0);
	cr_assert_eq(casedb_evidence_add(db, id, "incident-bundle",
					 "/i/incident-lab1.tar.zst", sha_a,
					 4096, &a),
		     0);
	cr_assert_eq(casedb_evidence_add(db, id, "memory", "/i/memory.elf",
					 sha_b, 128, &b),
		     0);
	cr_assert_eq(casedb_custody_add(db, id, &e, NULL), 0);
	e = (struct custody_entry){0, 0, "transferred", "root@ws1", a, NULL,
				   "to bob@lab"};
	cr_assert_eq(casedb_custody_add(db, id, &e, NULL), 0);
	e = (struct custody_entry){0, 0, "verified", "bob@lab", b, sha_b,
				   NULL};
	cr_assert_eq(casedb_custody_add(db, id, &e, NULL), 0);
	casedb_close(db);
}

static size_t
count_type(json_t *graph, const char *type)
{
	json_t *n;
	size_t i, count = 0;

	json_array_foreach(graph, i, n)
		count += !strcmp(json_string_value(json_object_get(n, "@type")),
				 type);
	return count;
}

static json_t *
node(json_t *graph, const char *id)
{
	json_t *n;
	size_t i;

	json_array_foreach(graph, i, n)
		if (!strcmp(json_string_value(json_object_get(n, "@id")), id))
			return n;
	return NULL;
}

static void
check_context(json_t *doc)
{
	json_t *ctx = json_object_get(doc, "@context");

	cr_assert(json_is_object(ctx));
	cr_assert_str_eq(json_string_value(json_object_get(
				 ctx, "case-investigation")),
			 "https://ontology.caseontology.org/case/"
			 "investigation/");
	cr_assert_str_eq(json_string_value(json_object_get(ctx, "uco-core")),
			 "https://ontology.unifiedcyberontology.org/uco/"
			 "core/");
	cr_assert(json_is_array(json_object_get(doc, "@graph")));
}

Test(caseuco, export_names_every_hash_and_one_action_per_entry)
{
	char *out = NULL, *err = NULL, path[4096];
	json_error_t e;
	json_t *doc, *graph, *act, *prov;

	fixture_case();
	cr_assert_eq(th_secvf(&out, &err, "case", "export", "1", "--format",
			      "case-uco", NULL),
		     0, "%s", err);
	doc = json_loads(out, 0, &e);
	cr_assert_not_null(doc, "%s", e.text);
	check_context(doc);
	graph = json_object_get(doc, "@graph");
	cr_assert_eq(count_type(graph,
				"case-investigation:InvestigativeAction"),
		     3);
	cr_assert_eq(count_type(graph, "case-investigation:ProvenanceRecord"),
		     3);
	cr_assert_eq(count_type(graph, "uco-observable:ObservableObject"), 2);
	cr_assert_eq(count_type(graph, "uco-identity:Identity"), 2);
	cr_assert(strstr(out, sha_a));
	cr_assert(strstr(out, sha_b));
	cr_assert(strstr(out, "\"SHA256\""));

	/* The transfer acts on the bundle, the first entry on everything. */
	act = node(graph, "kb:secvf-case1-action2");
	cr_assert_not_null(act);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(
							act,
							"uco-action:object"),
						0),
				 "@id")),
			 "kb:secvf-case1-evidence1");
	cr_assert(json_object_get(act, "uco-action:startTime"));
	cr_assert(json_object_get(act, "uco-action:performer"));
	cr_assert(json_object_get(act, "uco-action:instrument"));
	prov = node(graph, "kb:secvf-case1-provenance1");
	cr_assert_eq(json_array_size(json_object_get(prov, "uco-core:object")),
		     2);
	json_decref(doc);

	/* Deterministic: the same export twice, and -o writes it. */
	snprintf(path, sizeof(path), "%s/case.jsonld", getenv("SECVF_HOME"));
	cr_assert_eq(th_secvf(NULL, NULL, "case", "export", "1", "--format",
			      "case-uco", "-o", path, NULL),
		     0);
	free(err);
	err = th_read(path);
	cr_assert_not_null(err);
	cr_assert_str_eq(err, out);
	free(out);
	free(err);
}

Test(caseuco, export_refuses_bad_arguments)
{
	char *err = NULL;

	fixture_case();
	cr_assert_eq(th_secvf(NULL, &err, "case", "export", "1", NULL), 2);
	cr_assert(strstr(err, "--format case-uco"), "%s", err);
	free(err);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "export", "1", "--format",
			      "stix", NULL),
		     2);
	cr_assert_eq(th_secvf(NULL, NULL, "case", "export", "9", "--format",
			      "case-uco", NULL),
		     3);
}

Test(caseuco, bundle_view_from_the_manifest)
{
	json_t *m = json_load_file(th_fixture("report/manifest.json"), 0,
				   NULL);
	const char custody[] =
		"{\"case\":7,\"seq\":1,\"ts\":\"2026-12-03T19:00:10.000100Z\","
		"\"action\":\"paused\",\"actor\":\"root@ws1\","
		"\"evidence\":null,\"sha256\":null,\"note\":\"done\",\"prev\":\"0\"}\n";
	json_t *doc, *graph;
	char *text, *d4;

	cr_assert_not_null(m);
	doc = caseuco_from_manifest(m, custody, strlen(custody));
	cr_assert_not_null(doc, "%s", err_msg());
	check_context(doc);
	graph = json_object_get(doc, "@graph");
	cr_assert_eq(count_type(graph, "uco-observable:ObservableObject"), 4);
	cr_assert_eq(count_type(graph,
				"case-investigation:InvestigativeAction"),
		     1);
	text = json_dumps(doc, JSON_COMPACT);
	cr_assert(strstr(text, "4d3c2b1a00112233445566778899aabbccddeeff"));
	cr_assert(strstr(text, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"));
	cr_assert(strstr(text, "kb:secvf-case7-item3"));
	/* The chunked image hash is not called plain SHA256. */
	d4 = json_dumps(node(graph, "kb:secvf-case7-item1"), JSON_COMPACT);
	cr_assert(d4 && strstr(d4, "sha256-chunked-4MiB"));
	free(d4);
	free(text);
	json_decref(doc);

	/* A line that is not a custody entry is refused. */
	doc = caseuco_from_manifest(m, "{\"x\":1}\n", 8);
	cr_assert_null(doc);
	json_decref(m);
}
