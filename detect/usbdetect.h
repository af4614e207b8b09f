/*
 * usbdetect: USB devices passed to a VM (layer 4).
 *
 * The supervisor feeds periodic device lists (the objects of a
 * query-usb-like reply, or the reply itself as {"return": [...]}):
 *
 *   {"id": "usb-key0", "port": "1", "vendor": 2385, "product": 5734,
 *    "class": 0, "speed": "high", "name": "..."}
 *
 * A device is known by its "id", else its "port", else vendor:product.
 * The configured devices are objects with an "id", or with "vendor" and
 * "product" (every field given must be equal).  usbdetect emits:
 *
 *   usb.device.unexpected    CRITICAL  a device matching no configured
 *                            one (once per device)
 *   usb.descriptor.anomaly   CRITICAL  vendor, product, class or speed
 *                            of a device changed since it was first
 *                            seen (once per change)
 */
#ifndef SECVF_USBDETECT_H
#define SECVF_USBDETECT_H

#include "detect/config.h"
#include "detect/detector.h"
#include "detect/ratelimit.h"

#include <jansson.h>

struct usbdetect {
	struct det_sink sink;
	struct ratelimit rl;
	json_t *configured; /* array, a reference */
	json_t *devices;    /* key -> descriptor fields last seen */
	json_t *reported;   /* key -> true, unexpected devices */
};

/*
 * Start with the configured devices (an array, borrowed; NULL: none).
 * -1 with err_msg() when it is not an array or memory is short.
 */
int usbdetect_init(struct usbdetect *ud, const struct det_config *cfg,
		   const struct det_sink *sink, json_t *configured);

void usbdetect_release(struct usbdetect *ud);

/* One device list (borrowed); anything that is not one is ignored. */
void usbdetect_feed(struct usbdetect *ud, const json_t *list, int64_t now_us);

#endif
