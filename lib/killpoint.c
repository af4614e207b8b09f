#include "killpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void
killpoint(const char *name)
{
	const char *at = getenv(KILLPOINT_ENV);

	if (at && *at && !strcmp(at, name))
		raise(SIGKILL);
}
