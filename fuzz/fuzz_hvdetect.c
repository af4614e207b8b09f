/*
 * fuzz_hvdetect: libFuzzer target for the hypervisor detector, fed
 * what a guest controls: its serial console (panic and oops text) and
 * the QMP events and replies of its QEMU.  The input is a script, one
 * step a line, the first byte saying what the rest is:
 *
 *	q  a QMP message (JSON text)
 *	c  console text, and the "\n" after it
 *	p  console text cut before its "\n"
 *	s  secvf asked for stop, quit, powerdown or reset (by rest[0])
 *	h  the QMP socket hung up;  x  QEMU exited (status rest[0])
 *	anything else: the whole line is console text
 *
 * Each step is 1 to 256 ms after the one before.  Every event emitted
 * must be one the log accepts: a valid subsystem and event name, and
 * data that is an object.
 *
 *	make fuzz FUZZ_ONLY=hvdetect
 */
#include "detect/config.h"
#include "detect/evlog.h"
#include "detect/hvdetect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_event(void *ctx, enum ev_severity sev, const char *subsystem,
	    const char *event, json_t *data)
{
	if (evlog_check_name(subsystem) < 0 || evlog_check_name(event) < 0 ||
	    (data && !json_is_object(data)))
		__builtin_trap();
	(*(int *)ctx)++;
	json_decref(data);
}

static void
step(struct hvdetect *hv, const char *p, size_t n, int64_t now)
{
	char *text;

	switch (n ? p[0] : '\0') {
	case 'q':
		text = strndup(p + 1, n - 1);
		if (text)
			hvdetect_feed_qmp_line(hv, text, now);
		free(text);
		break;
	case 'c':
		hvdetect_feed_console(hv, p + 1, n - 1, now);
		hvdetect_feed_console(hv, "\n", 1, now);
		break;
	case 'p': hvdetect_feed_console(hv, p + 1, n - 1, now); break;
	case 's':
		hvdetect_command(hv, (enum hv_command)(n > 1 ? p[1] & 3 : 0),
				 now);
		break;
	case 'h': hvdetect_feed_hup(hv, now); break;
	case 'x':
		hvdetect_feed_exit(hv, n > 1 ? (uint8_t)p[1] : 0,
				   n > 2 ? p[2] & 31 : 0, now);
		break;
	default:
		hvdetect_feed_console(hv, p, n, now);
		hvdetect_feed_console(hv, "\n", 1, now);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct det_config cfg;
	const char *p = (const char *)data, *end = p + size, *nl;
	int64_t now = 1796324400000000LL;
	struct det_sink sink;
	struct hvdetect hv;
	int emitted = 0;

	det_config_defaults(&cfg);
	sink.emit = check_event;
	sink.ctx = &emitted;
	if (hvdetect_init(&hv, &cfg, &sink, 256LL << 20) < 0)
		abort();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		now += 1000 * (1 + (nl > p ? (uint8_t)p[0] : 0));
		step(&hv, p, (size_t)(nl - p), now);
		hvdetect_tick(&hv, now);
		p = nl + 1;
	}
	hvdetect_tick(&hv, now + HV_HUP_WAIT_US * 2);
	hvdetect_release(&hv);
	return 0;
}
