/*
 * netlab: lab networks, their definitions on disk, and the way to talk
 * to a lab's running switch.
 *
 * A lab network LAB is defined by $SECVF_HOME/networks/LAB.json (0600):
 *
 *	{"name":"LAB","mode":"virtual","subnet":"10.0.100.0/24",
 *	 "gateway":"10.0.100.1","mtu":1500,"router":"",
 *	 "host_mac":"52:55:0a:00:02:02",
 *	 "thresholds":{"mac_max":4096,"mac_age":300,"flap_moves":5,
 *	   "flap_window":10,"event_interval":10,"drop_interval":60,
 *	   "drop_sustained":300,"gateway_pps":1000,
 *	   "management_ports":[22,3389,5900,8006],"queue_bytes":262144,
 *	   "capture_max_bytes":67108864,"capture_files":8}}
 *
 * Every key but name and mode may be left out (the defaults above).
 * While the switch runs, $SECVF_HOME/run/net-LAB/ (0700) holds:
 *
 *	switch.pid        its pid, flock'ed by the switch while it runs
 *	ctl.sock          the control socket (one JSON request a line)
 *	ports/VM.sock     one listening socket per VM port (0600)
 *	ports/VM.mirror.sock   a mirror port (receives copies only)
 *	switch.log        the switch's own diagnostics
 *
 * A port socket speaks QEMU's -netdev stream framing: each frame is a
 * 4-byte big-endian length and the raw Ethernet frame, no FCS.
 */
#ifndef SECVF_NETLAB_H
#define SECVF_NETLAB_H

#include "detect/netdetect.h"
#include "lib/path.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define NETLAB_NAME_MAX 64 /* lab names: 63 bytes and NUL */
#define NETLAB_REPLY_MAX (4 << 20)

struct netlab {
	char name[NETLAB_NAME_MAX];
	struct nd_config nd;	    /* mode, addresses, MTU, thresholds */
	char router[ND_VM_MAX];	    /* router VM, "" in virtual mode */
	uint64_t queue_bytes;	    /* output queue of each port */
	uint64_t capture_max_bytes; /* one capture file, before rotating */
	unsigned capture_files;	    /* files kept by one capture */
};

enum netlab_port_kind {
	NETLAB_PORT_VM,	    /* a VM's NIC; the router VM's port routes */
	NETLAB_PORT_MIRROR, /* copies from QEMU's filter-mirror */
};

/* Defaults for a new lab called name; -1 when the name is unfit. */
int netlab_init(struct netlab *l, const char *name);

/* Is name a lab name: 1-63 bytes of [A-Za-z0-9_.-], no leading '.'? */
int netlab_check_name(const char *name);

/*
 * Read networks/NAME.json.  -1 with err_msg() set: "no lab network
 * 'x'" when absent (errno ENOENT), or what is wrong with the file.
 */
int netlab_load(const char *name, struct netlab *l);

/* Check every field (router set in router and fakenet modes ...). */
int netlab_validate(const struct netlab *l);

/* Write networks/NAME.json atomically. */
int netlab_save(const struct netlab *l);

/* The definition as JSON (a new reference) and back. */
json_t *netlab_to_json(const struct netlab *l);
int netlab_from_json(json_t *o, struct netlab *l);

/* Remove the definition; refused while the lab's switch is up. */
int netlab_delete(const char *name);

/*
 * Names of every lab, sorted: *names is a malloc'd array of *n
 * malloc'd strings, freed with netlab_names_free().
 */
int netlab_list(char ***names, size_t *n);
void netlab_names_free(char **names, size_t n);

/* run/net-LAB, and a file in it. */
int netlab_run_path(const char *lab, const char *file, char *buf, size_t n);

/* The pid of the lab's running switch, or 0 when it is not up. */
long netlab_switch_pid(const char *lab);

/*
 * Path of VM's port socket in lab (run/net-LAB/ports/VM.sock), checked
 * to fit a unix socket address.  0, or -1 with err_msg() set.
 */
int netlab_port_path(const char *lab, const char *vm, char *buf, size_t n);

/*
 * Ask lab's running switch to create (or keep) the listening socket
 * of VM's port of that kind, and copy its path into path.  Call it
 * before starting QEMU with
 *   -netdev stream,id=net0,server=off,addr.type=unix,addr.path=PATH
 * (a mirror port: -chardev socket,id=mirror0,path=PATH and
 * -object filter-mirror,id=m0,netdev=net0,queue=all,outdev=mirror0).
 * -1 with err_msg() set, "lab network 'x' is not up" when no switch
 * answers.
 */
int netlab_port_open(const char *lab, const char *vm,
		     enum netlab_port_kind kind, char *path, size_t n);

/*
 * Send one request object to the lab's switch and read its reply
 * object (a new reference the caller json_decref()s).  A reply with
 * "error" becomes NULL with that message in err_msg().
 */
json_t *netlab_request(const char *lab, json_t *request);

#endif
