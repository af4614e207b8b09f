/*
 * bench/sigma: events per second through the Sigma engine, on events
 * parsed beforehand and on raw lines (JSON parsing included).
 *
 * usage: sigma gen DIR N      write DIR/events.jsonl (N events, about
 *                             1% of them matching a shipped rule) and
 *                             200 generated rules in DIR/rules200
 *        sigma run RULES LOG  load the rules of directory RULES, and
 *                             print "preparsed EPS" and "raw EPS"
 */
#include "detect/sigma.h"
#include "lib/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ROUNDS 3
#define RULES_GEN 200

static const char *const subsystems[] = {
	"network",  "fsevents", "vm-lifecycle", "vsock",
	"virtiofs", "usb",	"resource",	"process",
};
static const char *const events[] = {
	"frame.malformed",   "watch.started",	  "permissions.changed",
	"started",	     "message.oversized", "access.unauthorized",
	"device.unexpected", "exhaustion",
};
#define NKINDS (sizeof(subsystems) / sizeof(subsystems[0]))

static void
die(const char *what)
{
	fprintf(stderr, "bench sigma: %s: %s\n", what, err_msg());
	exit(1);
}

/* One event; every hundredth one is of a kind a shipped rule flags. */
static void
gen_event(FILE *f, long i)
{
	const char *sev = i % 7 ? "INFO" : "WARNING";
	const char *sub = subsystems[i % NKINDS];
	const char *ev = events[(i / 3) % NKINDS];

	if (i % 100 == 50) {
		sev = "CRITICAL";
		sub = "fsevents";
		ev = "file.unexpected";
	} else if (i % 100 == 99) {
		sev = "EMERGENCY";
	}
	fprintf(f,
		"{\"ts\":\"2026-12-03T19:%02ld:%02ld.%06ldZ\","
		"\"severity\":\"%s\",\"subsystem\":\"%s\",\"event\":\"%s\","
		"\"vm\":\"lab%ld\",\"host\":\"bench\",\"seq\":%ld,"
		"\"data\":{\"path\":\"/srv/lab/file%ld.bin\",\"size\":%ld},"
		"\"prev\":\"%064d\"}\n",
		(i / 60) % 60, i % 60, i % 1000000, sev, sub, ev, i % 4, i + 1,
		i, i * 37 % 100000, 0);
}

/* Rule k: a selection over a subsystem, an event and a path. */
static void
gen_rule(const char *dir, int k)
{
	static const char *const mods[] = {"contains", "startswith", "endswith",
					   "re"};
	char path[4096];
	FILE *f;
	int n = snprintf(path, sizeof(path), "%s/rule%03d.yml", dir, k);

	f = n > 0 && (size_t)n < sizeof(path) ? fopen(path, "w") : NULL;
	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f,
		"title: Generated rule %d\n"
		"id: %08d-0000-4000-8000-000000000000\n"
		"level: %s\n"
		"detection:\n"
		"  sel:\n"
		"    subsystem: %s\n"
		"    event: [%s, other.%d]\n"
		"  path:\n"
		"    data.path|%s: '%s%d%s'\n"
		"  filter:\n"
		"    vm: lab%d\n"
		"  condition: sel and path and not filter\n",
		k, k, k % 2 ? "low" : "medium", subsystems[k % NKINDS],
		events[(k / 3) % NKINDS], k, mods[k % 4],
		k % 4 == 3 ? "file[0-9]*" : "file", k, k % 4 == 3 ? "$" : "",
		k % 4);
	fclose(f);
}

static int
gen(const char *dir, long n)
{
	char path[4096];
	FILE *f;
	long i;
	int k;

	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	for (i = 0; i < n; i++)
		gen_event(f, i);
	fclose(f);
	if ((size_t)snprintf(path, sizeof(path), "%s/rules200", dir) >=
	    sizeof(path))
		return 1;
	mkdir(path, 0700);
	for (k = 0; k < RULES_GEN; k++)
		gen_rule(path, k);
	return 0;
}

struct lines {
	char *text;
	char **line;
	size_t *len;
	size_t n;
};

static void
read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, n = 0;
	char *p, *nl;
	long size;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0)
		exit(1);
	rewind(f);
	l->text = malloc((size_t)size + 1);
	if (!l->text || fread(l->text, 1, (size_t)size, f) != (size_t)size)
		exit(1);
	l->text[size] = '\0';
	fclose(f);
	for (p = l->text; (nl = strchr(p, '\n')); p = nl + 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			l->line = realloc(l->line, cap * sizeof(char *));
			l->len = realloc(l->len, cap * sizeof(size_t));
		}
		l->line[n] = p;
		l->len[n++] = (size_t)(nl - p);
	}
	l->n = n;
}

static struct sigma_engine *
load(const char *rules)
{
	struct sigma_engine *e = sigma_engine_new(0);

	if (!e || sigma_engine_add_dir(e, rules, 0, NULL) < 0 ||
	    sigma_engine_finish(e, NULL) < 0)
		die(rules);
	return e;
}

static double
seconds(void)
{
	return (double)time_mono_ns() / 1e9;
}

/*
 * Evaluation alone: events are parsed a chunk at a time outside the
 * clock, then evaluated while still in cache, as a caller that has
 * just parsed an event would hand it over.
 */
#define CHUNK 64

static double
eval_chunk(struct sigma_engine *e, json_t **ev, size_t n, long *matches)
{
	struct sigma_event se;
	double t0 = seconds();
	size_t i;

	for (i = 0; i < n; i++) {
		sigma_event_init(&se, ev[i]);
		*matches += sigma_engine_feed_event(e, &se, NULL, NULL);
	}
	return seconds() - t0;
}

static void
preparsed(const char *rules, const struct lines *l)
{
	struct sigma_engine *e = load(rules);
	json_t *ev[CHUNK];
	long matches = 0;
	double spent, best = 0;
	size_t i, k, n;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		spent = 0;
		for (i = 0; i < l->n; i += n) {
			n = l->n - i < CHUNK ? l->n - i : CHUNK;
			for (k = 0; k < n; k++)
				if (!(ev[k] = json_loadb(l->line[i + k],
							 l->len[i + k], 0,
							 NULL)))
					die("bad event");
			spent += eval_chunk(e, ev, n, &matches);
			for (k = 0; k < n; k++)
				json_decref(ev[k]);
		}
		spent = (double)l->n / spent;
		best = spent > best ? spent : best;
	}
	printf("preparsed %.0f %ld\n", best, matches / ROUNDS);
	sigma_engine_free(e);
}

static void
raw(const char *rules, const struct lines *l)
{
	struct sigma_engine *e = load(rules);
	long matches = 0;
	double t0, best = 0;
	size_t i;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		t0 = seconds();
		for (i = 0; i < l->n; i++)
			matches += sigma_engine_feed(e, l->line[i], l->len[i],
						     NULL, NULL);
		t0 = (double)l->n / (seconds() - t0);
		best = t0 > best ? t0 : best;
	}
	printf("raw %.0f %ld\n", best, matches / ROUNDS);
	sigma_engine_free(e);
}

int
main(int argc, char **argv)
{
	struct lines l = {0};

	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], atol(argv[3]));
	if (argc != 4 || strcmp(argv[1], "run")) {
		fputs("usage: sigma gen DIR N | sigma run RULES LOG\n", stderr);
		return 2;
	}
	read_lines(argv[3], &l);
	preparsed(argv[2], &l);
	raw(argv[2], &l);
	free(l.line);
	free(l.len);
	free(l.text);
	return 0;
}
