/*
 * sigma: Sigma rules evaluated natively against security events.
 *
 * A rule file holds one YAML document (multi-document collections and
 * "action: global" are refused).  The supported subset, and everything
 * else refused when a rule loads, never ignored:
 *
 *   keys        title, id, name, status, description, author, date,
 *               modified, references, license, logsource, detection,
 *               falsepositives, level, tags, fields, related, and a
 *               correlation block instead of detection
 *   detection   search identifiers that are a map (entries AND'ed), a
 *               list of maps (OR'ed) or a list of strings (keywords,
 *               searched in every value of the event); condition is a
 *               string or a list of strings (OR'ed)
 *   fields      dotted paths into the event JSON: severity, subsystem,
 *               event, vm, host, seq, data.path, ...
 *   values      strings with * and ? wildcards (\*, \?, \\ escape
 *               them; a backslash before anything else is literal),
 *               numbers (compared numerically with numbers), true,
 *               false, null (the field is absent or null), '' (empty)
 *   modifiers   contains, startswith, endswith, all, cased, exists,
 *               re (POSIX ERE; re|i, re|m, re|s), cidr (IPv4, IPv6),
 *               lt, lte, gt, gte
 *   condition   and, or, not, parentheses, "1 of X*", "all of X*",
 *               "1 of them", "all of them" (them skips names that
 *               start with "_"); precedence or < and < not
 *   correlation event_count, value_count (condition.field) and
 *               temporal, with rules, group-by, timespan (30s, 5m,
 *               1h, 1d), condition gt/gte/lt/lte/eq, generate
 *
 * Strings match case-insensitively (ASCII) unless cased is given; re
 * is case-sensitive unless re|i.  A regular expression that POSIX ERE
 * cannot express as written (\d, \w, lookaround, lazy quantifiers,
 * backreferences, a backslash in a bracket expression) is refused.
 */
#ifndef SECVF_SIGMA_H
#define SECVF_SIGMA_H

#include "detect/evlog.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SIGMA_FILE_MAX (1024 * 1024) /* largest rule file read */
#define SIGMA_PROBLEMS_MAX 32	     /* problems kept per load */
#define SIGMA_SEQS_MAX 64	     /* event seqs kept per match */

enum sigma_level {
	SIGMA_INFORMATIONAL,
	SIGMA_LOW,
	SIGMA_MEDIUM,
	SIGMA_HIGH,
	SIGMA_CRITICAL,
};

/* "informational" ... "critical". */
const char *sigma_level_name(enum sigma_level level);

/* informational, low: INFO; medium: WARNING; high: CRITICAL;
 * critical: EMERGENCY. */
enum ev_severity sigma_level_severity(enum sigma_level level);

/*
 * Problems found while loading rules, each "file:line: message".
 * At most SIGMA_PROBLEMS_MAX are kept (n counts them all).  Zero it
 * before use; sigma_problems_release() frees the messages.
 */
struct sigma_problems {
	char *msg[SIGMA_PROBLEMS_MAX];
	size_t kept;
	size_t n;
};

void sigma_problems_release(struct sigma_problems *p);

struct sigma_rule;

/*
 * Compile the rule in text (len bytes; file names it in messages).
 * On success *out is the rule, freed with sigma_rule_free().  On
 * failure *out is NULL, -1 is returned, err_msg() holds the first
 * problem and probs (when not NULL) every problem found.
 */
int sigma_rule_parse(const char *text, size_t len, const char *file,
		     struct sigma_rule **out, struct sigma_problems *probs);

/* As sigma_rule_parse(), on the file at path. */
int sigma_rule_load(const char *path, struct sigma_rule **out,
		    struct sigma_problems *probs);

void sigma_rule_free(struct sigma_rule *rule);

/* Metadata; strings are owned by the rule.  name is NULL when absent. */
const char *sigma_rule_title(const struct sigma_rule *rule);
const char *sigma_rule_id(const struct sigma_rule *rule);
const char *sigma_rule_name(const struct sigma_rule *rule);
const char *sigma_rule_file(const struct sigma_rule *rule);
enum sigma_level sigma_rule_level(const struct sigma_rule *rule);
int sigma_rule_is_correlation(const struct sigma_rule *rule);

/* Does the correlation corr count target (resolved by an engine)? */
int sigma_rule_refers_to(const struct sigma_rule *corr,
			 const struct sigma_rule *target);

/*
 * An event being evaluated: the JSON object of a line, and a small
 * cache of the fields looked up in it.  ts_us and seq come from its
 * "ts" and "seq" keys (0 when absent or unreadable), read only when
 * an engine needs them (-1 until then).  A caller may set seq after
 * init to another number that matches should report (a line number).
 */
#define SIGMA_EVENT_CACHE 32

struct sigma_event {
	json_t *root;
	int own; /* root is released with the event */
	int64_t ts_us;
	int64_t seq;
	struct {
		const void *key;
		json_t *val;
	} cache[SIGMA_EVENT_CACHE];
};

/* Evaluate root (borrowed; must outlive the event). */
void sigma_event_init(struct sigma_event *ev, json_t *root);

/*
 * Parse a line (len bytes) as a JSON object.  0, or -1 with err_msg()
 * set.  Release with sigma_event_release() after success.
 */
int sigma_event_parse(struct sigma_event *ev, const char *line, size_t len);

void sigma_event_release(struct sigma_event *ev);

/*
 * Does the event satisfy the rule's detection?  1 or 0.  Always 0 for
 * a correlation rule: those need an engine.
 */
int sigma_rule_match(const struct sigma_rule *rule, struct sigma_event *ev);

/*
 * The engine: a set of rules fed events one by one, with the state of
 * its correlation rules (a bounded sliding window per group).
 */
struct sigma_engine;

/* Engine flags. */
#define SIGMA_WRITE_EVENTS 1 /* record each match as sigma/rule.match */

/* Add-rule flags. */
#define SIGMA_SKIP_DUPLICATES 1 /* ignore a rule whose id is loaded */

/* A new engine, or NULL with err_msg() set.  sigma_engine_free(). */
struct sigma_engine *sigma_engine_new(unsigned flags);
void sigma_engine_free(struct sigma_engine *e);

/*
 * Load one rule file, or every *.yml and *.yaml file of a directory
 * (sorted by name; a missing directory adds nothing).  Problems are
 * added to probs; -1 with err_msg() set when any rule failed (the good
 * ones stay loaded).  A rule id already loaded is an error unless
 * SIGMA_SKIP_DUPLICATES.
 */
int sigma_engine_add_file(struct sigma_engine *e, const char *path,
			  unsigned flags, struct sigma_problems *probs);
int sigma_engine_add_dir(struct sigma_engine *e, const char *dir,
			 unsigned flags, struct sigma_problems *probs);

/*
 * Load the default rules: $SECVF_HOME/rules, then the shipped ones
 * ($SECVF_RULES_DIR, else the installed share/secvf/rules, else the
 * source tree's detect/rules), skipping ids already loaded.  As
 * sigma_engine_add_dir().
 */
int sigma_engine_add_defaults(struct sigma_engine *e,
			      struct sigma_problems *probs);

/*
 * Resolve what correlation rules refer to (by id or name), after the
 * last add and before the first feed.  0, or -1 with the problems.
 */
int sigma_engine_finish(struct sigma_engine *e, struct sigma_problems *probs);

size_t sigma_engine_count(const struct sigma_engine *e);
const struct sigma_rule *sigma_engine_rule(const struct sigma_engine *e,
					   size_t i);

/* A match, valid during the callback only. */
struct sigma_match {
	const struct sigma_rule *rule;
	const int64_t *seqs; /* of the matching events, oldest first */
	size_t nseqs;	     /* at most SIGMA_SEQS_MAX */
	int64_t ts_us;	     /* of the event that completed the match */
	const char *vm;	     /* the events' VM, or NULL */
};

typedef void (*sigma_match_fn)(const struct sigma_match *m, void *arg);

/*
 * Evaluate one event line (len bytes, no "\n") against every rule, in
 * the order the rules were added; simple rules referred to by a
 * correlation without "generate: true" only feed it.  Each match is
 * passed to fn (when not NULL) and, with SIGMA_WRITE_EVENTS, recorded
 * with evlog_write() as sigma/rule.match.  Events of subsystem
 * "sigma" are skipped, so matches never match again.  Returns the
 * number of matches, or -1 with err_msg() set (a line that is not a
 * JSON object, a failed write).
 */
int sigma_engine_feed(struct sigma_engine *e, const char *line, size_t len,
		      sigma_match_fn fn, void *arg);

/* As sigma_engine_feed(), on an event already parsed. */
int sigma_engine_feed_event(struct sigma_engine *e, struct sigma_event *ev,
			    sigma_match_fn fn, void *arg);

/*
 * Judge the correlation windows still open (those with an upper bound
 * wait for their timespan to pass) as if their time had run out: at
 * the end of a log read from start to end.  Returns the number of
 * matches, or -1 as sigma_engine_feed().
 */
int sigma_engine_flush(struct sigma_engine *e, sigma_match_fn fn, void *arg);

/*
 * The LogQL query equivalent to a rule, over the Loki stream selector
 * {job="secvf_security"}: a count_over_time over window seconds (the
 * timespan for a correlation) compared with the rule's threshold.
 * Writes it into buf; 0, or -1 with err_msg() saying why the rule
 * cannot be expressed.  A correlation needs e to find its rules.
 */
int sigma_rule_logql(const struct sigma_engine *e,
		     const struct sigma_rule *rule, int window_s, char *buf,
		     size_t size);

/* The window of a rule's query in seconds: its timespan, or 600. */
int sigma_rule_window(const struct sigma_rule *rule);

#endif
