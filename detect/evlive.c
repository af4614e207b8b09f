#include "evlive.h"

#include "detect/evlog.h"
#include "detect/sigma.h"
#include "lib/err.h"
#include "lib/timefmt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct evlive {
	struct sigma_engine *engine;
	char host[256];
};

static void
rules_invalid(const struct sigma_problems *p)
{
	json_t *data = json_pack("{s:s, s:I}", "first",
				 p->kept ? p->msg[0] : err_msg(), "problems",
				 (json_int_t)p->n);

	evlog_write(EV_WARNING, "secvf", "rules.invalid", NULL, data);
	json_decref(data);
}

struct evlive *
evlive_new(void)
{
	struct evlive *l = calloc(1, sizeof(*l));
	struct sigma_problems p = {0};

	if (!l)
		return NULL;
	gethostname(l->host, sizeof(l->host) - 1);
	l->engine = sigma_engine_new(SIGMA_WRITE_EVENTS);
	if (!l->engine)
		return l;
	if (sigma_engine_add_defaults(l->engine, &p) < 0 ||
	    sigma_engine_finish(l->engine, &p) < 0)
		rules_invalid(&p);
	sigma_problems_release(&p);
	return l;
}

void
evlive_free(struct evlive *l)
{
	if (!l)
		return;
	sigma_engine_free(l->engine);
	free(l);
}

int
evlive_write(struct evlive *l, enum ev_severity sev, const char *subsystem,
	     const char *event, const char *vm, json_t *data)
{
	struct evlog_written w;
	char ts[TIME_ISO_LEN], *line;
	json_t *ev;

	if (evlog_append(NULL, sev, subsystem, event, vm, data, &w) < 0)
		return -1;
	if (!l || !l->engine)
		return 0;

	/* The event as the rules see it in the log. */
	time_iso(time_now_us(), ts);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:o}", "ts", ts,
		       "severity", ev_severity_name(sev), "subsystem",
		       subsystem, "event", event, "vm",
		       vm ? json_string(vm) : json_null(), "host", l->host,
		       "seq", (json_int_t)w.seq, "data",
		       data ? json_incref(data) : json_object());
	line = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (line)
		sigma_engine_feed(l->engine, line, strlen(line), NULL, NULL);
	free(line);
	json_decref(ev);
	return 0;
}
