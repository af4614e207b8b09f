/*
 * sigma_int: the compiled form of a rule, shared by the sigma_*.c
 * files only.
 */
#ifndef SECVF_SIGMA_INT_H
#define SECVF_SIGMA_INT_H

#include "detect/sigma.h"

#include <netinet/in.h>
#include <regex.h>

#define SG_SEARCHES_MAX 256   /* search identifiers per rule */
#define SG_VALUES_MAX 4096    /* values per field */
#define SG_PATH_PARTS_MAX 16  /* components of a field path */
#define SG_COND_MAX 4096      /* bytes of a condition */
#define SG_DEPTH_MAX 64	      /* nesting of a condition */
#define SG_NODES_MAX 4096     /* YAML nodes visited per rule */
#define SG_CORR_RING_MAX 1024 /* timestamps kept per correlation group */
#define SG_CORR_GROUPS_MAX 4096
#define SG_GROUP_KEY_MAX 512

/* A field path, split once; rules of one engine share them. */
struct sg_path {
	char *text;
	char *parts[SG_PATH_PARTS_MAX];
	size_t nparts;
};

/* The interned paths of an engine (or of a lone rule). */
struct sg_fields {
	struct sg_path **v;
	size_t n, cap;
	int refs;
};

struct sg_fields *sg_fields_new(void);
struct sg_fields *sg_fields_ref(struct sg_fields *f);
void sg_fields_unref(struct sg_fields *f);
/* The path for text, interned; NULL with err_msg() set. */
struct sg_path *sg_fields_get(struct sg_fields *f, const char *text);

enum sg_op {
	OP_MATCH, /* string or number, with wildcards */
	OP_RE,
	OP_CIDR,
	OP_EXISTS,
	OP_LT,
	OP_LTE,
	OP_GT,
	OP_GTE,
};

/* Where wildcards sit in a compiled string. */
enum sg_shape {
	SH_EXACT,    /* no wildcard */
	SH_PREFIX,   /* lit* */
	SH_SUFFIX,   /* *lit */
	SH_CONTAINS, /* *lit* */
	SH_ANY,	     /* * alone */
	SH_GLOB,     /* anything else */
};

enum sg_vkind { V_STR, V_NUM, V_BOOL, V_NULL };

/* One value of a field, compiled. */
struct sg_value {
	enum sg_vkind kind;
	char *text;	     /* unescaped; lowercased unless cased */
	size_t len;	     /* of text */
	unsigned char *wild; /* per byte: 0, '*' or '?'; NULL if none */
	enum sg_shape shape;
	const char *lit; /* the literal part for PREFIX..CONTAINS */
	size_t lit_len;
	double num; /* V_NUM, and for lt..gte */
	int boolean;
	regex_t re;
	int has_re;
	int family; /* cidr: AF_INET or AF_INET6 */
	unsigned char net[16];
	int bits;
};

/* field|mods: values; path NULL for keywords over the whole event. */
struct sg_item {
	struct sg_path *path;
	enum sg_op op;
	int cased;
	int all;
	struct sg_value *v;
	size_t nv;
};

/* A search identifier: alternatives OR'ed, each items AND'ed. */
struct sg_alt {
	struct sg_item *items;
	size_t n;
};

struct sg_search {
	char *name;
	struct sg_alt *alts;
	size_t n;
};

enum sg_node_kind { N_SEARCH, N_AND, N_OR, N_NOT, N_ONE_OF, N_ALL_OF };

struct sg_node {
	enum sg_node_kind kind;
	int a, b;   /* children (AND, OR: both; NOT: a) */
	int search; /* N_SEARCH */
	int *set;   /* N_ONE_OF, N_ALL_OF: search indexes */
	size_t nset;
};

struct sg_cond {
	struct sg_node *nodes;
	size_t n, cap;
	int root;
};

enum sg_corr_type { C_EVENT_COUNT, C_VALUE_COUNT, C_TEMPORAL };

struct sg_corr_group;

struct sg_corr {
	enum sg_corr_type type;
	char **refs; /* rule ids or names, as written */
	size_t nrefs;
	struct sigma_rule **targets; /* resolved by the engine */
	struct sg_path *group[8];
	size_t ngroup;
	struct sg_path *field; /* value_count */
	int64_t span_us;
	int64_t lo, hi; /* count bounds, inclusive; -1 hi: none */
	int generate;
	/* state */
	struct sg_corr_group **slots; /* open hash by group key */
	size_t nslots, ngroups;
};

struct sigma_rule {
	char *file;
	char *title, *id, *name, *status, *description;
	enum sigma_level level;
	char *ls_category, *ls_product, *ls_service;
	struct sg_search *searches;
	size_t nsearch;
	struct sg_cond cond;
	struct sg_corr *corr;
	struct sg_fields *fields;
	int referenced; /* by a correlation (engine) */
	int generate;	/* emit matches although referenced */
	int matched;	/* scratch: matched the current event */
};

/* The loader, on fields shared with other rules (NULL: its own). */
int sg_rule_parse(const char *text, size_t len, const char *file,
		  struct sg_fields *fields, struct sigma_rule **out,
		  struct sigma_problems *probs);

/* Record a problem "file:line: msg"; the first also goes to err_set. */
void sg_problem(struct sigma_problems *p, const char *file, long line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Compile one value for an item: scalar text as written, whether the
 * YAML scalar was plain (numbers, true, null are plain only).  0 or -1
 * with err_msg() set.
 */
int sg_value_compile(struct sg_item *it, struct sg_value *v, const char *text,
		     size_t len, int plain, int wrap_l, int wrap_r,
		     int re_flags);
void sg_value_release(struct sg_value *v);

/* Is pattern a regular expression ERE reads as written?  0 or -1. */
int sg_re_check(const char *pattern);

/* Parse the condition text against the rule's searches into cond. */
int sg_cond_parse(struct sigma_rule *r, const char *text);
/* OR a second parsed condition into cond (a list of conditions). */
void sg_cond_release(struct sg_cond *c);

/* Evaluate an item, a search, the condition. */
int sg_item_match(const struct sg_item *it, struct sigma_event *ev);
int sg_cond_eval(const struct sigma_rule *r, struct sigma_event *ev);

/* The value at path in the event (cached), or NULL when absent. */
json_t *sg_event_get(struct sigma_event *ev, const struct sg_path *path);

/* Fill ev->ts_us and ev->seq from the event, once. */
void sg_event_header(struct sigma_event *ev);

/* Correlation state. */
struct sg_corr_hit {
	int fired;
	int64_t seqs[SIGMA_SEQS_MAX];
	size_t nseqs;
	char vm[EVLOG_VM_MAX + 1];
};

/*
 * Feed the correlation an event that matched target rule index ti.
 * Fills hit when the correlation fires.  0, or -1 on out of memory.
 */
int sg_corr_feed(struct sg_corr *c, size_t ti, struct sigma_event *ev,
		 struct sg_corr_hit *hit);
/*
 * Judge the windows still open as if time had run out (the end of a
 * log).  1 with hit filled (call again for more), or 0.
 */
int sg_corr_flush(struct sg_corr *c, struct sg_corr_hit *hit);
void sg_corr_release(struct sg_corr *c);

/* Parse "30s", "5m", "1h", "1d" into microseconds; 0 or -1. */
int sg_parse_span(const char *text, int64_t *us);

#endif
