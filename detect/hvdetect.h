/*
 * hvdetect: the hypervisor boundary (layer 1), for one VM.
 *
 * The supervisor feeds what it reads from the QEMU process: QMP
 * messages, the hang-up of the QMP socket, QEMU's exit, periodic
 * process samples and console text; and it tells hvdetect when secvf
 * itself asked QEMU to stop, pause or quit.  hvdetect emits:
 *
 *   vm-lifecycle.crashed          CRITICAL  QEMU exited (a signal, a
 *                                 failure status or no SHUTDOWN event)
 *                                 without a stop asked through secvf
 *   vm-lifecycle.unexpected-stop  WARNING   STOP or SHUTDOWN that no
 *                                 recent secvf command explains
 *   vm-lifecycle.framework-error  WARNING   an unexpected QMP error
 *                                 reply, status internal-error or
 *                                 io-error, BLOCK_IO_ERROR, SHUTDOWN
 *                                 for host-error, or the QMP socket
 *                                 closing while QEMU lives on
 *   vm-lifecycle.guest-panic      WARNING   a guest panic (GUEST_PANICKED
 *                                 or a "Kernel panic" console line);
 *                                 CRITICAL when the same signature
 *                                 repeats within panic_window
 *   process.child.unexpected      EMERGENCY a child not on the
 *                                 allow-list
 *   resource.exhaustion           WARNING   fds, resident memory beyond
 *                                 guest RAM, or threads over threshold
 *
 * Every event passes through a rate limiter (ratelimit_interval).
 */
#ifndef SECVF_HVDETECT_H
#define SECVF_HVDETECT_H

#include "detect/config.h"
#include "detect/detector.h"
#include "detect/ratelimit.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HV_LINE_MAX 512		 /* console bytes kept of one line */
#define HV_SIG_MAX 384		 /* bytes of a panic signature */
#define HV_PANICS 16		 /* panic signatures remembered */
#define HV_MERGE_US 10000000LL	 /* console and QMP: one panic */
#define HV_HUP_WAIT_US 5000000LL /* HUP without exit: framework error */

/* What secvf asked QEMU to do (hvdetect_command). */
enum hv_command { HV_CMD_STOP, HV_CMD_QUIT, HV_CMD_POWERDOWN, HV_CMD_RESET };

/* One child process of QEMU or the supervisor. */
struct hv_child {
	pid_t pid;
	const char *comm; /* /proc/PID/comm, may be NULL */
	const char *exe;  /* readlink of /proc/PID/exe, may be NULL */
};

/* A periodic sample of the QEMU process; a value < 0 is not known. */
struct hv_sample {
	int64_t fds;
	int64_t rss_bytes;
	int64_t threads;
	const struct hv_child *children;
	size_t n_children;
};

struct hv_panic {
	char sig[HV_SIG_MAX];
	int64_t ts_us;
};

struct hvdetect {
	const struct det_config *cfg;
	struct det_sink sink;
	struct ratelimit rl;
	int64_t guest_mem; /* bytes of guest RAM */

	int64_t cmd_us[4]; /* last time of each command, or 0 */
	int has_cmd[4];
	char last_reason[64]; /* last SHUTDOWN reason, "" none */
	int64_t explained_us; /* an event that explains a STOP */
	int has_explained;
	int64_t hup_us;
	int hup, exited, hup_reported;

	char line[HV_LINE_MAX]; /* console line being assembled */
	size_t line_len;
	char rip[HV_SIG_MAX]; /* last RIP/PC line, "" none */
	struct hv_panic panics[HV_PANICS];
	size_t n_panics;
	int64_t last_panic_us; /* last panic reported */
	int has_panic, last_panic_critical;
	char last_panic_source[8]; /* "qmp" or "console" */

	json_t *children_seen; /* pid string -> true */
};

/*
 * Start watching a VM with guest_mem bytes of RAM.  cfg and the sink's
 * ctx are borrowed and must outlive hv.  -1 with err_msg() when memory
 * is short.
 */
int hvdetect_init(struct hvdetect *hv, const struct det_config *cfg,
		  const struct det_sink *sink, int64_t guest_mem);

/* Free what hv holds. */
void hvdetect_release(struct hvdetect *hv);

/* secvf itself asked QEMU for cmd at now_us. */
void hvdetect_command(struct hvdetect *hv, enum hv_command cmd, int64_t now_us);

/*
 * One QMP message as QEMU sent it (borrowed): an event, a reply the
 * caller did not expect to fail ({"error":...}), or the return of
 * query-status.  The greeting and ordinary returns are ignored.
 */
void hvdetect_feed_qmp(struct hvdetect *hv, const json_t *msg, int64_t now_us);

/* The same, from one line of text; a line that is not JSON is ignored. */
void hvdetect_feed_qmp_line(struct hvdetect *hv, const char *line,
			    int64_t now_us);

/* The QMP event socket hung up. */
void hvdetect_feed_hup(struct hvdetect *hv, int64_t now_us);

/*
 * QEMU exited: with exit_status (when signal is 0) or killed by signal.
 */
void hvdetect_feed_exit(struct hvdetect *hv, int exit_status, int signal,
			int64_t now_us);

/* A process sample (borrowed). */
void hvdetect_feed_sample(struct hvdetect *hv, const struct hv_sample *s,
			  int64_t now_us);

/* Console output, any chunking; lines longer than HV_LINE_MAX are cut. */
void hvdetect_feed_console(struct hvdetect *hv, const char *text, size_t len,
			   int64_t now_us);

/* Periodic: notices a QMP hang-up with no exit after HV_HUP_WAIT_US. */
void hvdetect_tick(struct hvdetect *hv, int64_t now_us);

#endif
