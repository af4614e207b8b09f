#include "qemu.h"

#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGV_MAX 160

struct argv_buf {
	char *v[ARGV_MAX];
	int n;
	int failed;
};

static void
arg(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
arg(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	if (a->failed)
		return;
	if (a->n >= ARGV_MAX - 1) {
		a->failed = 1;
		err_set("QEMU command line has too many arguments");
		return;
	}

	va_start(ap, fmt);
	len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0) {
		a->failed = 1;
		err_set("out of memory building the QEMU command line");
		return;
	}
	a->v[a->n++] = s;
}

const char *
qemu_binary(void)
{
	const char *env = getenv("SECVF_QEMU");

	return env && *env ? env : "qemu-system-x86_64";
}

const char *
qemu_accel(const struct qemu_spec *spec)
{
	const char *env = getenv("SECVF_ACCEL");

	if (env && *env)
		return env;
	if (spec->accel && *spec->accel)
		return spec->accel;
	return "kvm:tcg";
}

/* QEMU's option syntax cannot carry a comma inside these values. */
static int
check_commas(const struct qemu_spec *s)
{
	const char *values[] = {s->name,     s->run_dir,    s->disk,
				s->nvram,    s->firmware,   s->mac,
				s->net_socket, s->mirror_socket};
	size_t i;
	int j;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (values[i] && strchr(values[i], ','))
			return err_set("'%s' contains a comma, which QEMU "
				       "options cannot carry",
				       values[i]);
	for (j = 0; j < s->nshares; j++)
		if (strchr(s->shares[j].path, ',') ||
		    strchr(s->shares[j].tag, ','))
			return err_set("share '%s' contains a comma",
				       s->shares[j].path);
	return 0;
}

static int
check_spec(const struct qemu_spec *s)
{
	if (!s->name || !s->run_dir || !s->disk)
		return err_set("QEMU spec lacks a name, run dir or disk");
	if (!s->firmware && !s->kernel)
		return err_set("VM '%s' has neither firmware nor a kernel "
			       "to boot",
			       s->name);
	if (s->nshares < 0 || s->nshares > QEMU_MAX_SHARES ||
	    s->nusb < 0 || s->nusb > QEMU_MAX_USB)
		return err_set("VM '%s' has too many shares or USB devices",
			       s->name);
	return check_commas(s);
}

static void
add_accel(struct argv_buf *a, const struct qemu_spec *s)
{
	char list[64];
	char *save, *tok;

	snprintf(list, sizeof(list), "%s", qemu_accel(s));
	for (tok = strtok_r(list, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		arg(a, "-accel");
		arg(a, "%s", tok);
	}
}

static void
add_boot(struct argv_buf *a, const struct qemu_spec *s)
{
	if (s->firmware) {
		arg(a, "-drive");
		arg(a, "if=pflash,format=raw,readonly=on,file=%s", s->firmware);
		if (s->nvram) {
			arg(a, "-drive");
			arg(a, "if=pflash,format=raw,file=%s", s->nvram);
		}
		return;
	}
	arg(a, "-kernel");
	arg(a, "%s", s->kernel);
	if (s->initrd) {
		arg(a, "-initrd");
		arg(a, "%s", s->initrd);
	}
	if (s->append) {
		arg(a, "-append");
		arg(a, "%s", s->append);
	}
}

static void
add_disk(struct argv_buf *a, const struct qemu_spec *s)
{
	arg(a, "-blockdev");
	arg(a, "driver=file,filename=%s,node-name=disk0-file", s->disk);
	arg(a, "-blockdev");
	arg(a, "driver=raw,file=disk0-file,node-name=disk0");
	arg(a, "-device");
	arg(a, "virtio-blk-pci,drive=disk0,id=vda");
}

static void
add_monitors(struct argv_buf *a, const struct qemu_spec *s)
{
	arg(a, "-chardev");
	arg(a, "socket,id=qmpev,path=%s/qmp-events.sock,server=on,wait=off",
	    s->run_dir);
	arg(a, "-mon");
	arg(a, "chardev=qmpev,mode=control");
	arg(a, "-chardev");
	arg(a, "socket,id=qmpctl,path=%s/qmp.sock,server=on,wait=off",
	    s->run_dir);
	arg(a, "-mon");
	arg(a, "chardev=qmpctl,mode=control");

	arg(a, "-chardev");
	arg(a,
	    "socket,id=console,path=%s/console.sock,server=on,wait=off,"
	    "logfile=%s/console.log,logappend=on",
	    s->run_dir, s->run_dir);
	arg(a, "-serial");
	arg(a, "chardev:console");
}

static void
add_channel(struct argv_buf *a, const struct qemu_spec *s)
{
	if (!s->host_channel)
		return;
	arg(a, "-device");
	arg(a, "virtio-serial-pci,id=vser0");
	arg(a, "-chardev");
	arg(a, "socket,id=channel,path=%s/channel.sock,server=on,wait=off",
	    s->run_dir);
	arg(a, "-device");
	arg(a, "virtserialport,bus=vser0.0,chardev=channel,name=%s",
	    QEMU_CHANNEL_NAME);
}

static void
add_nic(struct argv_buf *a, const char *netdev, const char *mac)
{
	arg(a, "-device");
	if (mac)
		arg(a, "virtio-net-pci,netdev=%s,mac=%s", netdev, mac);
	else
		arg(a, "virtio-net-pci,netdev=%s", netdev);
}

/*
 * NAT: QEMU user networking, mirrored to the lab switch when there is
 * one.  Virtual, router, fakenet: the lab switch's port for this VM,
 * or no NIC at all without one.  A router has a second NIC on NAT.
 */
static void
add_network(struct argv_buf *a, const struct qemu_spec *s)
{
	const char *mode = s->net_mode ? s->net_mode : "nat";

	if (!strcmp(mode, "nat")) {
		arg(a, "-netdev");
		arg(a, "user,id=net0");
		add_nic(a, "net0", s->mac);
		if (s->mirror_socket) {
			arg(a, "-chardev");
			arg(a, "socket,id=mirror0,path=%s", s->mirror_socket);
			arg(a, "-object");
			arg(a, "filter-mirror,id=m0,netdev=net0,queue=all,"
			       "outdev=mirror0");
		}
		return;
	}
	if (!s->net_socket)
		return;
	arg(a, "-netdev");
	arg(a, "stream,id=net0,server=off,addr.type=unix,addr.path=%s",
	    s->net_socket);
	add_nic(a, "net0", s->mac);
	if (s->router) {
		arg(a, "-netdev");
		arg(a, "user,id=net1");
		add_nic(a, "net1", NULL);
	}
}

static int
has_virtiofs(const struct qemu_spec *s)
{
	int i;

	for (i = 0; i < s->nshares; i++)
		if (s->shares[i].vhost_socket)
			return 1;
	return 0;
}

static void
add_shares(struct argv_buf *a, const struct qemu_spec *s)
{
	int i;

	/* vhost-user needs guest memory the daemon can map. */
	if (has_virtiofs(s)) {
		arg(a, "-object");
		arg(a, "memory-backend-memfd,id=mem,size=%ldM,share=on",
		    s->memory_mb > 0 ? s->memory_mb : 512);
		arg(a, "-numa");
		arg(a, "node,memdev=mem");
	}
	for (i = 0; i < s->nshares; i++) {
		if (s->shares[i].vhost_socket) {
			arg(a, "-chardev");
			arg(a, "socket,id=fs%d,path=%s", i,
			    s->shares[i].vhost_socket);
			arg(a, "-device");
			arg(a, "vhost-user-fs-pci,chardev=fs%d,tag=%s", i,
			    s->shares[i].tag);
			continue;
		}
		arg(a, "-fsdev");
		arg(a, "local,id=fs%d,path=%s,security_model=none%s", i,
		    s->shares[i].path,
		    s->shares[i].readonly ? ",readonly=on" : "");
		arg(a, "-device");
		arg(a, "virtio-9p-pci,fsdev=fs%d,mount_tag=%s", i,
		    s->shares[i].tag);
	}
}

static void
add_usb(struct argv_buf *a, const struct qemu_spec *s)
{
	int i;

	if (s->nusb == 0)
		return;
	arg(a, "-device");
	arg(a, "qemu-xhci,id=xhci");
	for (i = 0; i < s->nusb; i++) {
		arg(a, "-device");
		unsigned vendor, product;
		char end;

		/* The id names it in x-query-usb for the detector. */
		if (sscanf(s->usb[i], "%4x:%4x%c", &vendor, &product,
			   &end) == 2)
			arg(a, "usb-host,vendorid=0x%04x,productid=0x%04x,"
			       "bus=xhci.0,id=usb%d",
			    vendor, product, i);
		else
			arg(a, "%s,bus=xhci.0,id=usb%d", s->usb[i], i);
	}
}

static void
add_machine(struct argv_buf *a, const struct qemu_spec *s)
{
	arg(a, "%s", qemu_binary());
	arg(a, "-name");
	arg(a, "%s,debug-threads=on", s->name);
	if (s->uuid) {
		arg(a, "-uuid");
		arg(a, "%s", s->uuid);
	}
	arg(a, "-machine");
	arg(a, "q35");
	add_accel(a, s);
	arg(a, "-smp");
	arg(a, "%d", s->cpus > 0 ? s->cpus : 1);
	arg(a, "-m");
	arg(a, "%ld", s->memory_mb > 0 ? s->memory_mb : 512);
	arg(a, "-nodefaults");
	arg(a, "-no-user-config");
	arg(a, "-display");
	arg(a, "none");
	/* Keep QEMU alive and paused after a guest shutdown or panic. */
	arg(a, "-no-shutdown");
	arg(a, "-action");
	arg(a, "panic=pause");
	/* QEMU itself may not spawn, raise privileges or renice. */
	arg(a, "-sandbox");
	arg(a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	       "resourcecontrol=deny");
	arg(a, "-pidfile");
	arg(a, "%s/qemu.pid", s->run_dir);
}

int
qemu_argv(const struct qemu_spec *s, char ***argv)
{
	struct argv_buf a = {.n = 0};
	char **out;
	int i;

	*argv = NULL;
	if (check_spec(s) < 0)
		return -1;

	add_machine(&a, s);
	add_boot(&a, s);
	add_disk(&a, s);
	arg(&a, "-device");
	arg(&a, "pvpanic");
	add_monitors(&a, s);
	add_channel(&a, s);
	add_network(&a, s);
	add_shares(&a, s);
	add_usb(&a, s);

	out = a.failed ? NULL : calloc((size_t)a.n + 1, sizeof(char *));
	if (!out) {
		for (i = 0; i < a.n; i++)
			free(a.v[i]);
		if (!a.failed)
			err_set("out of memory building the QEMU command line");
		return -1;
	}
	memcpy(out, a.v, (size_t)a.n * sizeof(char *));
	*argv = out;
	return 0;
}

void
qemu_argv_free(char **argv)
{
	char **p;

	if (!argv)
		return;
	for (p = argv; *p; p++)
		free(*p);
	free(argv);
}
