#include "custody.h"

#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char custody_zero_hash[65] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static int
custody_check_entry(const struct custody_entry *e, const char *prev_hex)
{
	if (e->seq < 1)
		return err_set("bad custody seq %lld", (long long)e->seq);
	if (!e->action || !*e->action)
		return err_set("custody entry without an action");
	if (!e->actor || !*e->actor)
		return err_set("custody entry without an actor");
	if (e->evidence_id < 0)
		return err_set("bad evidence id %lld",
			       (long long)e->evidence_id);
	if (e->sha256 && !sha256_is_hex(e->sha256))
		return err_set("bad custody sha256 '%.80s'", e->sha256);
	if (!prev_hex || !sha256_is_hex(prev_hex))
		return err_set("bad custody prev hash");
	return 0;
}

static json_t *
custody_object(int64_t case_id, const struct custody_entry *e,
	       const char *prev_hex)
{
	char ts[TIME_ISO_LEN];
	json_t *evidence;

	time_iso(e->ts_us, ts);
	evidence = e->evidence_id ? json_integer(e->evidence_id) : json_null();
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:s?, s:s?, s:s}",
			 "case", (json_int_t)case_id, "seq", (json_int_t)e->seq,
			 "ts", ts, "action", e->action, "actor", e->actor,
			 "evidence", evidence, "sha256", e->sha256, "note",
			 e->note, "prev", prev_hex);
}

char *
custody_line(int64_t case_id, const struct custody_entry *e,
	     const char *prev_hex)
{
	json_t *obj;
	char *line;

	if (custody_check_entry(e, prev_hex) < 0)
		return NULL;

	obj = custody_object(case_id, e, prev_hex);
	if (!obj) {
		err_set("cannot build custody line of case %lld seq %lld: "
			"text is not valid UTF-8",
			(long long)case_id, (long long)e->seq);
		return NULL;
	}
	line = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (!line)
		err_set("out of memory");
	return line;
}

/* Read a string or null member; -1 when it is something else. */
static int
member_opt_string(json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/*
 * Parse one line into its case, entry and prev.  Strings in e point
 * into *root, which the caller releases.  -1 when the line is not a
 * custody object.
 */
static int
custody_parse(const char *line, size_t len, json_t **root, int64_t *case_id,
	      struct custody_entry *e, const char **prev)
{
	json_t *obj, *c, *s, *ev;
	const char *ts;

	*root = obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(obj))
		return -1;
	c = json_object_get(obj, "case");
	s = json_object_get(obj, "seq");
	ev = json_object_get(obj, "evidence");
	ts = json_string_value(json_object_get(obj, "ts"));
	e->action = json_string_value(json_object_get(obj, "action"));
	e->actor = json_string_value(json_object_get(obj, "actor"));
	*prev = json_string_value(json_object_get(obj, "prev"));
	if (!json_is_integer(c) || !json_is_integer(s) || !ts || !*prev ||
	    !(json_is_null(ev) || json_is_integer(ev)))
		return -1;
	if (member_opt_string(obj, "sha256", &e->sha256) < 0 ||
	    member_opt_string(obj, "note", &e->note) < 0)
		return -1;

	*case_id = json_integer_value(c);
	e->seq = json_integer_value(s);
	e->evidence_id = json_is_null(ev) ? 0 : json_integer_value(ev);
	err_clear();
	return time_parse(ts, &e->ts_us);
}

/*
 * Is this line the canonical custody line it claims to be, at the
 * expected place in the chain?  Its own hash goes to hash.
 */
static int
custody_line_ok(const char *line, size_t len, int64_t want_seq,
		int64_t *want_case, const char *want_prev, char hash[65])
{
	struct custody_entry e;
	json_t *root = NULL;
	const char *prev;
	char *canon = NULL;
	int64_t case_id;
	int ok = 0;

	if (len == 0 || len > CUSTODY_LINE_MAX ||
	    custody_parse(line, len, &root, &case_id, &e, &prev) < 0)
		goto out;
	if (e.seq != want_seq || strcmp(prev, want_prev) != 0)
		goto out;
	if (*want_case && case_id != *want_case)
		goto out;
	canon = custody_line(case_id, &e, prev);
	if (!canon || strlen(canon) != len || memcmp(canon, line, len) != 0)
		goto out;
	if (sha256_hex_buf(line, len, hash) < 0)
		goto out;
	*want_case = case_id;
	ok = 1;
out:
	free(canon);
	json_decref(root);
	return ok;
}

int
custody_verify_lines(const char *jsonl, size_t len, int64_t *first_bad_line,
		     char head[65])
{
	const char *p = jsonl, *end = jsonl + len, *nl;
	char hash[65];
	int64_t n = 0, case_id = 0;

	memcpy(head, custody_zero_hash, 65);
	*first_bad_line = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n++;
		if (!custody_line_ok(p, (size_t)(nl - p), n, &case_id, head,
				     hash)) {
			*first_bad_line = n;
			return 1;
		}
		memcpy(head, hash, 65);
		p = nl + 1;
	}
	return 0;
}
