#include "detect/detector.h"

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
