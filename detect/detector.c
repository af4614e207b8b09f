#include "detect/detector.h"

#include <stdlib.h>
#include <string.h>

void
det_emit(const struct det_sink *sink, enum ev_severity sev,
	 const char *subsystem, const char *event, json_t *data)
{
	if (!data)
		data = json_object();
	if (!sink || !sink->emit) {
		json_decref(data);
		return;
	}
	sink->emit(sink->ctx, sev, subsystem, event, data);
}

json_t *
det_str(const char *text)
{
	json_t *out;
	char *copy;
	size_t i;

	if (!text)
		return json_null();
	for (i = 0; text[i]; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			break;
	if (!text[i]) {
		out = json_string(text);
		if (out)
			return out;
	}

	copy = strdup(text);
	if (!copy)
		return NULL;
	for (i = 0; copy[i]; i++)
		if ((unsigned char)copy[i] < 0x20 ||
		    (unsigned char)copy[i] >= 0x7f)
			copy[i] = '?';
	out = json_string(copy);
	free(copy);
	return out;
}
