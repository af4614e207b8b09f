/*
 * switch: the userspace Ethernet switch of one lab network.
 *
 * One process per lab, one poll loop.  Every VM port is a unix
 * listening socket (run/net-LAB/ports/VM.sock, 0600) that takes one
 * QEMU -netdev stream connection at a time; the socket, not the MAC,
 * says which VM sent a frame.  Reads are non-blocking and reassembled
 * by a per-port struct sw_stream; every frame goes through the
 * detectors of netdetect.h, then the pcap taps, then into the bounded
 * output queue of each port it is forwarded to.  A full queue drops
 * the frame (counted as queue-full), so one slow or dead VM never
 * stalls the others.  A mirror port only receives.
 *
 * The control socket run/net-LAB/ctl.sock takes one JSON object a
 * line and answers with one:
 *
 *	{"op":"port","vm":"lab1","kind":"vm"|"mirror"} -> {"path":..}
 *	{"op":"stats"}                    -> ports, MAC table, counters
 *	{"op":"capture","path":ABS,"filter":BPF,"vm":NAME,"count":N,
 *	 "duration":S}                    -> {"id":N}
 *	{"op":"capture-status","id":N}    -> {"running":..,"packets":..}
 *	{"op":"capture-stop","id":N}
 *
 * or with {"error":"message"}.  Security events go to the security log
 * (subsystem "network"); the switch's own record (ports connecting,
 * MACs learned, interval summaries) to logs/network-YYYY-MM-DD.log.
 */
#ifndef SECVF_SWITCH_H
#define SECVF_SWITCH_H

#include "vmm/netlab.h"

/*
 * Run the switch of lab until SIGTERM or SIGINT.  Once it listens it
 * writes "ok\n" to ready_fd (when >= 0); a failure before that is
 * written there as "error: MESSAGE\n" as well as returned.  Holds
 * run/net-LAB/switch.pid locked while it runs; "lab network 'x' is
 * already up" when another switch holds it.  Returns 0 after a clean
 * stop, -1 with err_msg() set.
 */
int switch_run(const struct netlab *lab, int ready_fd);

#endif
