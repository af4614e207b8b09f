#include "caseuco.h"

#include "lib/err.h"
#include "lib/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 128

struct graph {
	json_t *nodes;
	int64_t case_id;
	char tool[ID_MAX];
	json_t *evidence_ids; /* every evidence node's @id */
	json_t *db_ids;	      /* database id (as text) -> @id */
};

static json_t *
context(void)
{
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kb",
		"urn:secvf:kb:", "case-investigation",
		"https://ontology.caseontology.org/case/investigation/",
		"uco-action",
		"https://ontology.unifiedcyberontology.org/uco/action/",
		"uco-core",
		"https://ontology.unifiedcyberontology.org/uco/core/",
		"uco-identity",
		"https://ontology.unifiedcyberontology.org/uco/identity/",
		"uco-observable",
		"https://ontology.unifiedcyberontology.org/uco/observable/",
		"uco-tool",
		"https://ontology.unifiedcyberontology.org/uco/tool/",
		"uco-types",
		"https://ontology.unifiedcyberontology.org/uco/types/",
		"uco-vocabulary",
		"https://ontology.unifiedcyberontology.org/uco/vocabulary/",
		"xsd", "http://www.w3.org/2001/XMLSchema#");
}

static json_t *
ref(const char *id)
{
	return json_pack("{s:s}", "@id", id);
}

static json_t *
typed(const char *type, const char *value)
{
	return json_pack("{s:s, s:s}", "@type", type, "@value", value);
}

static json_t *
typed_int(int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return typed("xsd:integer", buf);
}

static void
tool_node(struct graph *g)
{
	snprintf(g->tool, sizeof(g->tool), "kb:secvf-tool-%s", SECVF_VERSION);
	json_array_append_new(
		g->nodes,
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "@id", g->tool, "@type",
			  "uco-tool:Tool", "uco-core:name", "secvf",
			  "uco-tool:version", SECVF_VERSION,
			  "uco-tool:toolType", "incident response"));
}

/* The Identity node of an actor, added once; its @id into id. */
static void
actor_node(struct graph *g, const char *actor, char id[ID_MAX])
{
	char hex[SHA256_HEX];
	json_t *n;
	size_t i;

	sha256_hex_buf(actor, strlen(actor), hex);
	snprintf(id, ID_MAX, "kb:secvf-identity-%.16s", hex);
	json_array_foreach(g->nodes, i, n)
		if (!strcmp(json_string_value(json_object_get(n, "@id")), id))
			return;
	json_array_append_new(g->nodes,
			      json_pack("{s:s, s:s, s:s}", "@id", id, "@type",
					"uco-identity:Identity",
					"uco-core:name", actor));
}

static json_t *
hash_facet(const char *id, const struct caseuco_evidence *e)
{
	char hid[ID_MAX + 16];
	json_t *method, *facet;
	int plain = !e->method || !strcmp(e->method, "sha256");

	snprintf(hid, sizeof(hid), "%s-hash", id);
	method = plain ? typed("uco-vocabulary:HashNameVocab", "SHA256")
		       : json_string(e->method);
	facet = json_pack("{s:s+, s:s, s:[{s:s, s:s, s:o, s:o}]}", "@id", id,
			  "-content", "@type",
			  "uco-observable:ContentDataFacet",
			  "uco-observable:hash", "@id", hid, "@type",
			  "uco-types:Hash", "uco-types:hashMethod", method,
			  "uco-types:hashValue",
			  typed("xsd:hexBinary", e->sha256));
	if (e->size >= 0)
		json_object_set_new(facet, "uco-observable:sizeInBytes",
				    typed_int(e->size));
	return facet;
}

static json_t *
file_facet(const char *id, const struct caseuco_evidence *e)
{
	const char *base = strrchr(e->path, '/');
	json_t *facet;

	facet = json_pack("{s:s+, s:s, s:s, s:s}", "@id", id, "-file",
			  "@type", "uco-observable:FileFacet",
			  "uco-observable:fileName", base ? base + 1 : e->path,
			  "uco-observable:filePath", e->path);
	if (e->size >= 0)
		json_object_set_new(facet, "uco-observable:sizeInBytes",
				    typed_int(e->size));
	return facet;
}

static int
evidence_node(struct graph *g, const struct caseuco_evidence *e, size_t i)
{
	char id[ID_MAX], key[32];
	json_t *facets, *node;

	if (!e->path || !*e->path)
		return err_set("evidence without a path");
	if (e->id)
		snprintf(id, sizeof(id), "kb:secvf-case%lld-evidence%lld",
			 (long long)g->case_id, (long long)e->id);
	else
		snprintf(id, sizeof(id), "kb:secvf-case%lld-item%zu",
			 (long long)g->case_id, i + 1);
	facets = json_array();
	json_array_append_new(facets, file_facet(id, e));
	if (e->sha256)
		json_array_append_new(facets, hash_facet(id, e));
	node = json_pack("{s:s, s:s, s:s, s:o}", "@id", id, "@type",
			 "uco-observable:ObservableObject", "uco-core:name",
			 e->path, "uco-core:hasFacet", facets);
	if (!node)
		return err_set("cannot describe evidence '%s'", e->path);
	if (e->kind)
		json_object_set_new(node, "uco-core:description",
				    json_string(e->kind));
	json_array_append_new(g->nodes, node);
	json_array_append_new(g->evidence_ids, json_string(id));
	snprintf(key, sizeof(key), "%lld", (long long)e->id);
	if (e->id)
		json_object_set_new(g->db_ids, key, json_string(id));
	return 0;
}

/* The exhibit objects of a custody entry: its evidence, else all. */
static json_t *
exhibits(struct graph *g, json_t *entry)
{
	json_t *ev = json_object_get(entry, "evidence"), *id, *out;
	char key[32];
	size_t i;

	out = json_array();
	if (json_is_integer(ev)) {
		snprintf(key, sizeof(key), "%lld",
			 (long long)json_integer_value(ev));
		id = json_object_get(g->db_ids, key);
		if (id) {
			json_array_append_new(out, ref(json_string_value(id)));
			return out;
		}
	}
	json_array_foreach(g->evidence_ids, i, id)
		json_array_append_new(out, ref(json_string_value(id)));
	return out;
}

static int
action_node(struct graph *g, json_t *entry)
{
	const char *action, *actor, *ts, *note, *sha;
	char id[ID_MAX], prov[ID_MAX], who[ID_MAX], desc[1024];
	json_int_t seq;
	json_t *node;

	if (json_unpack(entry, "{s:I, s:s, s:s, s:s}", "seq", &seq, "ts", &ts,
			"action", &action, "actor", &actor) < 0)
		return err_set("not a custody entry");
	note = json_string_value(json_object_get(entry, "note"));
	sha = json_string_value(json_object_get(entry, "sha256"));
	snprintf(id, sizeof(id), "kb:secvf-case%lld-action%lld",
		 (long long)g->case_id, (long long)seq);
	snprintf(prov, sizeof(prov), "kb:secvf-case%lld-provenance%lld",
		 (long long)g->case_id, (long long)seq);
	actor_node(g, actor, who);
	snprintf(desc, sizeof(desc), "custody entry %lld%s%s%s%.900s",
		 (long long)seq, sha ? ", sha256 " : "", sha ? sha : "",
		 note ? ": " : "", note ? note : "");

	json_array_append_new(
		g->nodes,
		json_pack("{s:s, s:s, s:s+, s:o}", "@id", prov, "@type",
			  "case-investigation:ProvenanceRecord",
			  "case-investigation:exhibitNumber", id + 3, "",
			  "uco-core:object", exhibits(g, entry)));
	node = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:[o]}",
			 "@id", id, "@type",
			 "case-investigation:InvestigativeAction",
			 "uco-core:name", action, "uco-core:description", desc,
			 "uco-action:startTime", typed("xsd:dateTime", ts),
			 "uco-action:performer", ref(who),
			 "uco-action:instrument", ref(g->tool),
			 "uco-action:object", exhibits(g, entry),
			 "uco-action:result", ref(prov));
	if (!node)
		return err_set("cannot describe custody entry %lld",
			       (long long)seq);
	json_array_append_new(g->nodes, node);
	return 0;
}

static int
custody_nodes(struct graph *g, const char *text, size_t len)
{
	const char *p = text, *end = text ? text + len : NULL, *nl;
	json_t *entry;
	int rc;

	while (p && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p) {
			entry = json_loadb(p, (size_t)(nl - p), 0, NULL);
			rc = entry ? action_node(g, entry)
				   : err_set("not a custody entry");
			json_decref(entry);
			if (rc < 0)
				return -1;
		}
		p = nl + 1;
	}
	return 0;
}

static void
case_node(struct graph *g, const struct caseuco_case *c)
{
	char id[ID_MAX], name[1200];
	json_t *node, *objects = json_array(), *x;
	size_t i;

	snprintf(id, sizeof(id), "kb:secvf-case%lld", (long long)c->id);
	snprintf(name, sizeof(name), "secvf case %lld%s%.1024s",
		 (long long)c->id, c->title ? ": " : "",
		 c->title ? c->title : "");
	json_array_foreach(g->evidence_ids, i, x)
		json_array_append_new(objects, ref(json_string_value(x)));
	node = json_pack("{s:s, s:s, s:s, s:[s], s:o}", "@id", id, "@type",
			 "case-investigation:Investigation", "uco-core:name",
			 name, "case-investigation:investigationForm",
			 "incident response", "uco-core:object", objects);
	if (c->status)
		json_object_set_new(node,
				    "case-investigation:investigationStatus",
				    json_string(c->status));
	if (c->resolution)
		json_object_set_new(node, "uco-core:description",
				    json_pack("s+", "resolution: ",
					      c->resolution));
	json_array_insert_new(g->nodes, 0, node);
}

json_t *
caseuco_export(const struct caseuco_case *c,
	       const struct caseuco_evidence *ev, size_t n,
	       const char *custody, size_t len)
{
	struct graph g = {.case_id = c->id};
	json_t *doc = NULL;
	size_t i;

	g.nodes = json_array();
	g.evidence_ids = json_array();
	g.db_ids = json_object();
	tool_node(&g);
	for (i = 0; i < n; i++)
		if (evidence_node(&g, &ev[i], i) < 0)
			goto done;
	if (custody_nodes(&g, custody, len) < 0)
		goto done;
	case_node(&g, c);
	doc = json_pack("{s:o, s:O}", "@context", context(), "@graph",
			g.nodes);
done:
	json_decref(g.nodes);
	json_decref(g.evidence_ids);
	json_decref(g.db_ids);
	return doc;
}

static void
manifest_files(json_t *files, const char *name_key, const char *prefix,
	       struct caseuco_evidence *ev, char (*paths)[1024], size_t *n,
	       size_t max)
{
	json_t *f;
	size_t i;

	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f,
								     name_key));
		json_t *size = json_object_get(f, "size");

		if (!name || *n == max)
			continue;
		snprintf(paths[*n], sizeof(paths[0]), "%s%s", prefix, name);
		ev[*n] = (struct caseuco_evidence){
			.kind = json_string_value(json_object_get(f, "kind")),
			.path = paths[*n],
			.sha256 = json_string_value(json_object_get(f,
								    "sha256")),
			.method = json_string_value(json_object_get(f,
								    "method")),
			.size = json_is_integer(size)
					? json_integer_value(size)
					: -1,
		};
		if (!ev[*n].kind)
			ev[*n].kind = "snapshot file";
		(*n)++;
	}
}

json_t *
caseuco_from_manifest(json_t *m, const char *custody, size_t len)
{
	struct caseuco_case c = {0};
	struct caseuco_evidence *ev;
	char (*paths)[1024], prefix[1100];
	const char *snap;
	size_t n = 0, max = 4096;
	json_t *doc;

	ev = calloc(max, sizeof(*ev));
	paths = calloc(max, sizeof(*paths));
	if (!ev || !paths) {
		free(ev);
		free(paths);
		err_set("out of memory");
		return NULL;
	}
	c.id = json_integer_value(json_object_get(m, "case"));
	c.title = json_string_value(json_object_get(m, "vm"));
	snap = json_string_value(json_object_get(
		json_object_get(m, "snapshot"), "path"));
	snprintf(prefix, sizeof(prefix), "%s/", snap && *snap ? snap : "");
	manifest_files(json_object_get(json_object_get(m, "snapshot"),
				       "files"),
		       "name", prefix, ev, paths, &n, max);
	manifest_files(json_object_get(json_object_get(m, "artifacts"),
				       "collected"),
		       "member", "", ev, paths, &n, max);
	doc = caseuco_export(&c, ev, n, custody, len);
	free(ev);
	free(paths);
	return doc;
}
