#include "detect/severity.h"

#include "lib/err.h"

#include <strings.h>

static const char *const names[] = {
	[EV_INFO] = "INFO",
	[EV_WARNING] = "WARNING",
	[EV_CRITICAL] = "CRITICAL",
	[EV_EMERGENCY] = "EMERGENCY",
};

const char *
ev_severity_name(enum ev_severity sev)
{
	if ((unsigned)sev > EV_EMERGENCY)
		return "UNKNOWN";
	return names[sev];
}

int
ev_severity_parse(const char *name, enum ev_severity *out)
{
	unsigned i;

	for (i = 0; name && i <= EV_EMERGENCY; i++) {
		if (!strcasecmp(name, names[i])) {
			*out = (enum ev_severity)i;
			return 0;
		}
	}
	return err_set("unknown severity '%s' (expected INFO, WARNING, "
		       "CRITICAL or EMERGENCY)",
		       name ? name : "");
}
