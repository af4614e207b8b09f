/*
 * caseuco: a case as CASE/UCO JSON-LD (CASE 1.x, UCO 1.x), a view of
 * the case database and of a triage bundle that other tools take over.
 *
 * The graph holds:
 *   - the case, a case-investigation:Investigation naming its evidence;
 *   - secvf itself, a uco-tool:Tool with its version, the instrument of
 *     every action, and each actor, a uco-identity:Identity;
 *   - each evidence item, an uco-observable:ObservableObject with a
 *     FileFacet (name, path, size) and a ContentDataFacet whose
 *     uco-types:Hash has hashMethod SHA256 and the hashValue;
 *   - one case-investigation:InvestigativeAction per custody entry
 *     (startTime, performer, instrument, object, result), its result a
 *     case-investigation:ProvenanceRecord grouping the exhibit objects
 *     (the entry's evidence, or every evidence item when it names
 *     none).
 *
 * Identifiers are deterministic: kb:secvf-case1-evidence3,
 * kb:secvf-case1-action2, kb:secvf-case1-provenance2, and for the
 * members of a bundle (which have no database id yet)
 * kb:secvf-case1-item4, numbered in the order given.
 */
#ifndef SECVF_CASEUCO_H
#define SECVF_CASEUCO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct caseuco_case {
	int64_t id;	   /* 0 when the case database was unavailable */
	const char *title; /* may be NULL */
	const char *status, *resolution; /* may be NULL */
};

struct caseuco_evidence {
	int64_t id;	    /* the database id; 0 for a bundle member */
	const char *kind;   /* "incident-bundle", "file", ... */
	const char *path;   /* its path, or its member name */
	const char *sha256; /* hex; NULL when not hashed */
	const char *method; /* NULL or "sha256": plain SHA-256; else the
			       method's name (the chunked image hash) */
	int64_t size;	    /* -1 when unknown */
};

/*
 * The JSON-LD document ({"@context": ..., "@graph": [...]}) of case c
 * with n evidence items and the custody trail custody (JSON lines as
 * custody_line() writes them, len bytes; may be NULL).  A line that is
 * not a custody entry is refused.  A new reference the caller
 * json_decref()s; NULL with err_msg() set.
 */
json_t *caseuco_export(const struct caseuco_case *c,
		       const struct caseuco_evidence *ev, size_t n,
		       const char *custody, size_t len);

/*
 * As caseuco_export(), for a triage bundle: the case and evidence are
 * read from the manifest (snapshot files and collected artifacts).
 */
json_t *caseuco_from_manifest(json_t *manifest, const char *custody,
			      size_t len);

#endif
