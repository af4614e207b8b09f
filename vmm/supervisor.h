/*
 * supervisor: the process that runs one VM.
 *
 * It runs QEMU as its child, holds the QMP event socket, writes every
 * QMP event to run/NAME/qmp-events.jsonl, watches the VM's boundaries
 * and records what it sees in the security event log, and writes
 * run/NAME/exit.json when QEMU ends.  It never stops, pauses or kills
 * the VM: if the supervisor itself dies, QEMU and the guest go on and
 * every command still works through the control socket.
 */
#ifndef SECVF_SUPERVISOR_H
#define SECVF_SUPERVISOR_H

/* How long QEMU may take to open its sockets after it is started. */
#define SUPERVISOR_START_TIMEOUT_MS 30000

/*
 * Run the VM name until QEMU exits or the supervisor is told to go
 * (SIGTERM, SIGINT, SIGHUP: it then leaves QEMU running).  When
 * ready_fd >= 0, one line is written to it once QEMU reports running
 * ("ok QEMU-PID\n") or could not start ("error MESSAGE\n"), and the fd
 * is closed.
 *
 * Returns 0 after a clean end; -1 with err_msg() set when QEMU could
 * not be started (the message includes what QEMU printed) or another
 * supervisor already runs this VM (then err_msg() says so).
 */
int supervisor_run(const char *name, int ready_fd);

#endif
