/*
 * secvf vm SUBCOMMAND: the lab's VMs on disk.
 */
#include "cli.h"

#include "lib/diag.h"
#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "vmm/bundle.h"
#include "vmm/clone.h"
#include "vmm/vmstate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char vm_usage[] =
	"usage: secvf vm SUBCOMMAND [ARGS]\n"
	"\n"
	"Manage the lab's VMs ($SECVF_HOME/Linux and MacOS bundles).\n"
	"\n"
	"Subcommands:\n"
	"  create     make a new VM bundle\n"
	"  list       list every VM and its state\n"
	"  show       print a VM's state, configuration and disk usage\n"
	"  start      start a VM under its supervisor\n"
	"  pause      pause a running VM (keeps its memory)\n"
	"  resume     resume a paused VM\n"
	"  stop       power a VM off (or end QEMU with --force)\n"
	"  console    attach to a running VM's serial console\n"
	"  snapshot   clone a stopped or paused VM copy-on-write\n"
	"  delete     remove a stopped VM's bundle\n"
	"\n"
	"Run 'secvf help vm SUBCOMMAND' for its options.\n";

static const char create_usage[] =
	"usage: secvf vm create NAME [--family linux|macos] [--cpus N]\n"
	"         [--memory SIZE] [--disk SIZE] [--firmware FILE]\n"
	"         [--kernel FILE [--initrd FILE] [--append TEXT]]\n"
	"         [--net nat|virtual|router|fakenet] [--network LAB]\n"
	"         [--router] [--share PATH[:ro]]... [--usb DEVICE]...\n"
	"         [--no-host-channel] [--accel kvm|tcg] [--json]\n"
	"\n"
	"Make the bundle of a new VM: a sparse Disk.img, NVRAM,\n"
	"MachineIdentifier and config.plist.  Defaults: linux, 2 CPUs,\n"
	"2G memory, 16G disk, nat.  SIZE is bytes or a number with K, M,\n"
	"G or T (powers of 1024).  Files are stored as absolute paths and\n"
	"must exist.  A --firmware image named *CODE* brings its *VARS*\n"
	"template into NVRAM.  --usb takes a QEMU device (usb-tablet) or\n"
	"a host device vendor:product.\n";

static const char list_usage[] =
	"usage: secvf vm list [--json]\n"
	"\n"
	"List every VM: name, family, CPUs, memory, disk, network.\n";

static const char show_usage[] =
	"usage: secvf vm show NAME [--json]\n"
	"\n"
	"Print a VM's configuration, its bundle path, and the disk's\n"
	"apparent and allocated sizes.\n";

static const char delete_usage[] =
	"usage: secvf vm delete NAME [--force]\n"
	"\n"
	"Remove a VM's bundle.  A running VM is never deleted.  --force is\n"
	"needed for a snapshot (it is evidence) and for a bundle whose\n"
	"config.plist cannot be read.\n";

static const char snapshot_usage[] =
	"usage: secvf vm snapshot NAME --as NEW [--json]\n"
	"\n"
	"Clone the bundle of NAME into a new read-only bundle NEW,\n"
	"copy-on-write where the filesystem can (reflink), otherwise by a\n"
	"copy that keeps the disk's holes.  NAME must not be running.\n";

/*
 * The state of name, told from QEMU (see vmm/vmstate.h).  A QEMU found
 * without its supervisor is recorded as a security event, once.
 */
static enum vm_run_state
vm_state(const char *name, struct vm_status *st)
{
	if (vm_status_get(name, st) < 0)
		st->state = VM_UNRESPONSIVE;
	if (st->supervisor_gone && vm_supervisor_report(name) < 0)
		diag_warn("%s", err_msg());
	return st->state;
}

/* "running", "gone" (QEMU lives without it) or "none" (no QEMU). */
static const char *
supervisor_word(const struct vm_status *st)
{
	if (st->supervisor_pid)
		return "running";
	return st->supervisor_gone ? "gone" : "none";
}

static json_t *
state_json(const struct vm_status *st)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:s}", "state",
			 vm_run_state_name(st->state), "qemu_status",
			 st->qemu_status, "qemu_pid", (json_int_t)st->qemu_pid,
			 "supervisor_pid", (json_int_t)st->supervisor_pid,
			 "supervisor", supervisor_word(st));
}

/* Shared pieces */

static json_t *
config_json(const struct vm_config *c)
{
	json_t *o = json_object(), *shares = json_array(), *usb = json_array();
	size_t i;

	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "uuid", json_string(c->uuid));
	json_object_set_new(o, "family",
			    json_string(vm_family_name(c->family)));
	json_object_set_new(o, "cpus", json_integer(c->cpus));
	json_object_set_new(o, "memory_mb",
			    json_integer((json_int_t)c->memory_mb));
	json_object_set_new(o, "disk_bytes",
			    json_integer((json_int_t)c->disk_bytes));
	json_object_set_new(o, "firmware", json_string(c->firmware));
	json_object_set_new(o, "kernel", json_string(c->kernel));
	json_object_set_new(o, "initrd", json_string(c->initrd));
	json_object_set_new(o, "append", json_string(c->append));
	json_object_set_new(o, "net",
			    json_string(vm_net_mode_name(c->net_mode)));
	json_object_set_new(o, "network", json_string(c->network));
	json_object_set_new(o, "mac", json_string(c->mac));
	json_object_set_new(o, "router", json_boolean(c->router));
	for (i = 0; i < c->nshares; i++)
		json_array_append_new(
			shares,
			json_pack("{s:s, s:s, s:b, s:s}", "path",
				  c->shares[i].path, "tag", c->shares[i].tag,
				  "read_only", c->shares[i].read_only, "hidden",
				  vm_hidden_name(c->shares[i].hidden)));
	json_object_set_new(o, "shares", shares);
	json_object_set_new(o, "host_channel", json_boolean(c->host_channel));
	for (i = 0; i < c->nusb; i++)
		json_array_append_new(usb, json_string(c->usb[i]));
	json_object_set_new(o, "usb", usb);
	json_object_set_new(o, "accel", json_string(c->accel));
	json_object_set_new(o, "created", json_string(c->created));
	json_object_set_new(o, "clone_of", json_string(c->clone_of));
	json_object_set_new(o, "cloned_at", json_string(c->cloned_at));
	return o;
}

/* Parse the NAME operand: exactly one, a valid VM name. */
static int
one_name(const char *sub, int argc, char **argv, const char **name)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "vm %s", sub);
	if (optind >= argc)
		return cli_usage_error(prefix, "missing VM name");
	if (optind + 1 < argc)
		return cli_usage_error(prefix, "unexpected argument '%s'",
				       argv[optind + 1]);
	*name = argv[optind];
	if (path_check_name(*name) < 0)
		return cli_usage_error(prefix, "invalid VM name: %s",
				       err_msg());
	return EXIT_OK;
}

/* Exit code for a bundle_find()-style result that is not 1. */
static int
find_failed(int rc, const char *name)
{
	if (rc == 0)
		return cli_fail(EXIT_NOT_FOUND, "no VM named '%s'", name);
	return cli_fail_err(EXIT_FAIL, NULL);
}

/* vm create */

/* Store the absolute form of an existing file given for key. */
static int
set_file(const char *opt, const char *arg, char *buf, size_t size)
{
	char abs[PATH_MAX];

	if (!realpath(arg, abs))
		return cli_usage_error("vm create", "%s '%s': %s", opt, arg,
				       strerror(errno));
	if (strlen(abs) >= size)
		return cli_usage_error("vm create", "%s '%s': path too long",
				       opt, arg);
	memcpy(buf, abs, strlen(abs) + 1);
	return EXIT_OK;
}

static int
add_share(struct vm_config *c, const char *arg)
{
	char path[VM_PATH_MAX];
	struct vm_share *s;
	size_t len = strlen(arg);
	struct stat st;
	int ro = 0, rc;

	if (c->nshares >= VM_MAX_SHARES)
		return cli_usage_error("vm create", "at most %d --share",
				       VM_MAX_SHARES);
	if (len > 3 && !strcmp(arg + len - 3, ":ro")) {
		ro = 1;
		len -= 3;
	}
	if (len >= sizeof(path))
		return cli_usage_error("vm create", "--share: path too long");
	memcpy(path, arg, len);
	path[len] = '\0';

	s = &c->shares[c->nshares];
	rc = set_file("--share", path, s->path, sizeof(s->path));
	if (rc != EXIT_OK)
		return rc;
	if (stat(s->path, &st) < 0 || !S_ISDIR(st.st_mode))
		return cli_usage_error("vm create",
				       "--share '%s' is not a directory", path);
	snprintf(s->tag, sizeof(s->tag), "share%zu", c->nshares);
	s->read_only = ro;
	s->hidden = VM_HIDE_DOTFILES;
	c->nshares++;
	return EXIT_OK;
}

static int
add_usb(struct vm_config *c, const char *arg)
{
	if (c->nusb >= VM_MAX_USB)
		return cli_usage_error("vm create", "at most %d --usb",
				       VM_MAX_USB);
	if (strlen(arg) >= VM_USB_MAX)
		return cli_usage_error("vm create", "--usb '%s' is too long",
				       arg);
	snprintf(c->usb[c->nusb++], VM_USB_MAX, "%s", arg);
	return EXIT_OK;
}

static int
set_size(const char *opt, const char *arg, uint64_t *bytes)
{
	if (size_parse(arg, bytes) < 0)
		return cli_usage_error("vm create", "%s: %s", opt, err_msg());
	return EXIT_OK;
}

static int
set_cpus(const char *arg, int *cpus)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || *end || end == arg || n < VM_CPUS_MIN || n > VM_CPUS_MAX)
		return cli_usage_error("vm create",
				       "--cpus must be a number from %d to %d",
				       VM_CPUS_MIN, VM_CPUS_MAX);
	*cpus = (int)n;
	return EXIT_OK;
}

static int
set_text(const char *opt, const char *arg, char *buf, size_t size)
{
	if (strlen(arg) >= size)
		return cli_usage_error("vm create", "%s is too long", opt);
	memcpy(buf, arg, strlen(arg) + 1);
	return EXIT_OK;
}

static int
create_option(int opt, const char *arg, struct vm_config *c, uint64_t *memory)
{
	switch (opt) {
	case 'f':
		if (vm_family_parse(arg, &c->family) < 0)
			break;
		return EXIT_OK;
	case 'c': return set_cpus(arg, &c->cpus);
	case 'm': return set_size("--memory", arg, memory);
	case 'd': return set_size("--disk", arg, &c->disk_bytes);
	case 'F':
		return set_file("--firmware", arg, c->firmware,
				sizeof(c->firmware));
	case 'k':
		return set_file("--kernel", arg, c->kernel, sizeof(c->kernel));
	case 'i':
		return set_file("--initrd", arg, c->initrd, sizeof(c->initrd));
	case 'a':
		return set_text("--append", arg, c->append, sizeof(c->append));
	case 'n':
		if (vm_net_mode_parse(arg, &c->net_mode) < 0)
			break;
		return EXIT_OK;
	case 'N':
		return set_text("--network", arg, c->network,
				sizeof(c->network));
	case 'r': c->router = 1; return EXIT_OK;
	case 's': return add_share(c, arg);
	case 'u': return add_usb(c, arg);
	case 'H': c->host_channel = 0; return EXIT_OK;
	case 'A': return set_text("--accel", arg, c->accel, sizeof(c->accel));
	case 'j': cli.json = 1; return EXIT_OK;
	default: return cli_usage_error("vm create", "bad option");
	}
	return cli_usage_error("vm create", "%s", err_msg());
}

static void
print_created(const struct vm_config *c, const char *path)
{
	char mem[32], disk[32];
	json_t *o;

	if (cli.json) {
		o = config_json(c);
		json_object_set_new(o, "path", json_string(path));
		cli_print_json(o);
		return;
	}
	size_format(c->memory_mb << 20, mem, sizeof(mem));
	size_format(c->disk_bytes, disk, sizeof(disk));
	printf("created VM '%s' (%s, %d CPUs, %s memory, %s disk, %s)\n",
	       c->name, vm_family_name(c->family), c->cpus, mem, disk,
	       vm_net_mode_name(c->net_mode));
	printf("bundle: %s\n", path);
}

static int
vm_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{"family", required_argument, NULL, 'f'},
		{"cpus", required_argument, NULL, 'c'},
		{"memory", required_argument, NULL, 'm'},
		{"disk", required_argument, NULL, 'd'},
		{"firmware", required_argument, NULL, 'F'},
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},
		{"append", required_argument, NULL, 'a'},
		{"net", required_argument, NULL, 'n'},
		{"network", required_argument, NULL, 'N'},
		{"router", no_argument, NULL, 'r'},
		{"share", required_argument, NULL, 's'},
		{"usb", required_argument, NULL, 'u'},
		{"no-host-channel", no_argument, NULL, 'H'},
		{"accel", required_argument, NULL, 'A'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct vm_config c;
	char path[PATH_BUF];
	uint64_t memory = 2048ULL << 20;
	const char *name;
	int opt, rc;

	if (vm_config_init(&c, "new") < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = create_option(opt, optarg, &c, &memory)) != EXIT_OK)
			return rc;
	if ((rc = one_name("create", argc, argv, &name)) != EXIT_OK)
		return rc;

	snprintf(c.name, sizeof(c.name), "%s", name);
	if (memory % (1 << 20))
		return cli_usage_error(
			"vm create", "--memory must be a whole number of MiB");
	c.memory_mb = memory >> 20;
	if (c.memory_mb < VM_MEMORY_MB_MIN || c.memory_mb > VM_MEMORY_MB_MAX)
		return cli_usage_error("vm create",
				       "--memory must be from 64M to 1T");
	if (c.disk_bytes < VM_DISK_MIN || c.disk_bytes > VM_DISK_MAX)
		return cli_usage_error("vm create",
				       "--disk must be from 1M to 16T");
	if (vm_config_validate(&c) < 0)
		return cli_usage_error("vm create", "%s", err_msg());

	if (bundle_create(&c, path, sizeof(path)) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	print_created(&c, path);
	return EXIT_OK;
}

/* Options of the subcommands that take NAME and --json only. */
static int
parse_simple(const char *sub, int argc, char **argv, int *force)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	char prefix[32];
	int opt;

	snprintf(prefix, sizeof(prefix), "vm %s", sub);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			cli.json = 1;
		else if (opt == 'f' && force)
			*force = 1;
		else
			return cli_usage_error(prefix, "bad option");
	}
	return EXIT_OK;
}

/* vm list */

static void
list_row(const struct bundle_entry *e, json_t *arr)
{
	struct vm_config c;
	struct vm_status st;
	char mem[32], disk[32];
	int rc = bundle_load(e->name, &c, NULL, 0);

	if (rc <= 0) {
		if (arr)
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s}", "name", e->name,
					  "family", vm_family_name(e->family),
					  "error", err_msg()));
		else
			printf("%-20s %-6s %s\n", e->name,
			       vm_family_name(e->family), err_msg());
		return;
	}
	vm_state(e->name, &st);
	if (arr) {
		json_t *o = config_json(&c), *state = state_json(&st);

		json_object_update(o, state);
		json_decref(state);
		json_array_append_new(arr, o);
		return;
	}
	size_format(c.memory_mb << 20, mem, sizeof(mem));
	size_format(c.disk_bytes, disk, sizeof(disk));
	printf("%-20s %-12s %-6s %4d %10s %10s %s%s%s%s\n", c.name,
	       vm_run_state_name(st.state), vm_family_name(c.family), c.cpus,
	       mem, disk, vm_net_mode_name(c.net_mode),
	       *c.network ? ":" : "", c.network,
	       st.supervisor_gone ? "  (supervisor: gone)" : "");
}

static int
vm_list(int argc, char **argv)
{
	struct bundle_entry *list;
	json_t *arr = NULL;
	size_t i, n;
	int rc;

	if ((rc = parse_simple("list", argc, argv, NULL)) != EXIT_OK)
		return rc;
	if (optind < argc)
		return cli_usage_error("vm list", "unexpected argument '%s'",
				       argv[optind]);
	if (bundle_list(&list, &n) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);

	if (cli.json)
		arr = json_array();
	else if (n)
		printf("%-20s %-12s %-6s %4s %10s %10s %s\n", "NAME",
		       "STATE", "FAMILY", "CPUS", "MEMORY", "DISK", "NET");
	for (i = 0; i < n; i++)
		list_row(&list[i], arr);
	if (arr)
		cli_print_json(arr);
	free(list);
	return EXIT_OK;
}

/* vm show */

static void
show_state(const struct vm_status *st)
{
	printf("state:         %s", vm_run_state_name(st->state));
	if (st->qemu_status[0] && strcmp(st->qemu_status,
					 vm_run_state_name(st->state)))
		printf(" (QEMU: %s)", st->qemu_status);
	if (st->qemu_pid)
		printf(", QEMU pid %ld", (long)st->qemu_pid);
	if (st->state == VM_CRASHED)
		printf(", exit %d signal %d%s%s", st->exit_code,
		       st->exit_signal, st->shutdown_reason[0] ? ", last " : "",
		       st->shutdown_reason);
	putchar('\n');
	if (st->supervisor_pid)
		printf("supervisor:    pid %ld\n", (long)st->supervisor_pid);
	else if (st->supervisor_gone && st->lost_supervisor_pid)
		printf("supervisor:    gone (pid %ld died); the VM is not "
		       "watched\n",
		       (long)st->lost_supervisor_pid);
	else if (st->supervisor_gone)
		printf("supervisor:    gone (it was told to go); the VM is "
		       "not watched\n");
}

static void
show_text(const struct vm_config *c, const char *path, const struct stat *disk)
{
	char a[32], b[32];
	size_t i;

	printf("name:          %s\n", c->name);
	printf("bundle:        %s\n", path);
	printf("family:        %s\n", vm_family_name(c->family));
	printf("uuid:          %s\n", c->uuid);
	printf("cpus:          %d\n", c->cpus);
	size_format(c->memory_mb << 20, a, sizeof(a));
	printf("memory:        %s\n", a);
	size_format((uint64_t)disk->st_size, a, sizeof(a));
	size_format((uint64_t)disk->st_blocks * 512, b, sizeof(b));
	printf("disk:          %s apparent, %s allocated\n", a, b);
	if (*c->firmware)
		printf("firmware:      %s\n", c->firmware);
	if (*c->kernel)
		printf("kernel:        %s\ninitrd:        %s\n"
		       "append:        %s\n",
		       c->kernel, c->initrd, c->append);
	printf("network:       %s%s%s, mac %s%s\n",
	       vm_net_mode_name(c->net_mode), *c->network ? ", lab " : "",
	       c->network, c->mac, c->router ? ", router" : "");
	for (i = 0; i < c->nshares; i++)
		printf("share:         %s as %s%s, hide %s\n",
		       c->shares[i].path, c->shares[i].tag,
		       c->shares[i].read_only ? " (read-only)" : "",
		       vm_hidden_name(c->shares[i].hidden));
	for (i = 0; i < c->nusb; i++)
		printf("usb:           %s\n", c->usb[i]);
	printf("host channel:  %s\n", c->host_channel ? "on" : "off");
	printf("accel:         %s\n", *c->accel ? c->accel : "auto");
	printf("created:       %s\n", c->created);
	if (*c->clone_of)
		printf("snapshot of:   %s at %s\n", c->clone_of, c->cloned_at);
}

static int
vm_show(int argc, char **argv)
{
	struct vm_config c;
	char path[PATH_BUF], disk[PATH_BUF];
	struct vm_status state;
	struct stat st;
	const char *name;
	json_t *o, *status;
	int rc;

	if ((rc = parse_simple("show", argc, argv, NULL)) != EXIT_OK ||
	    (rc = one_name("show", argc, argv, &name)) != EXIT_OK)
		return rc;
	rc = bundle_load(name, &c, path, sizeof(path));
	if (rc != 1)
		return find_failed(rc, name);
	if (path_fmt(disk, sizeof(disk), "%s/Disk.img", path) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (lstat(disk, &st) < 0)
		return cli_fail(EXIT_FAIL, "cannot stat '%s': %s", disk,
				strerror(errno));

	vm_state(name, &state);
	if (!cli.json) {
		show_text(&c, path, &st);
		show_state(&state);
		return EXIT_OK;
	}
	o = config_json(&c);
	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "disk_apparent", json_integer(st.st_size));
	json_object_set_new(o, "disk_allocated",
			    json_integer((json_int_t)st.st_blocks * 512));
	json_object_set_new(o, "running",
			    json_boolean(state.state == VM_RUNNING));
	json_object_update(o, status = state_json(&state));
	json_decref(status);
	cli_print_json(o);
	return EXIT_OK;
}

/* vm delete */

static int
vm_delete(int argc, char **argv)
{
	struct vm_config c;
	const char *name;
	int force = 0, rc;

	if ((rc = parse_simple("delete", argc, argv, &force)) != EXIT_OK ||
	    (rc = one_name("delete", argc, argv, &name)) != EXIT_OK)
		return rc;
	if (vm_qemu_pid(name))
		return cli_fail(EXIT_STATE,
				"VM '%s' is running; stop it first with "
				"secvf vm stop %s",
				name, name);

	rc = bundle_load(name, &c, NULL, 0);
	if (rc == 0)
		return find_failed(rc, name);
	if (rc < 0 && !force)
		return cli_fail(EXIT_FAIL,
				"%s; use --force to delete it anyway",
				err_msg());
	if (rc == 1 && *c.clone_of && !force)
		return cli_fail(EXIT_FAIL,
				"'%s' is a snapshot of '%s' and may be "
				"evidence; use --force to delete it",
				name, c.clone_of);

	rc = bundle_delete(name);
	if (rc != 1)
		return find_failed(rc, name);
	if (!cli.json)
		printf("deleted VM '%s'\n", name);
	else
		cli_print_json(json_pack("{s:s, s:b}", "deleted", name, "force",
					 force));
	return EXIT_OK;
}

/* vm snapshot */

static void
print_snapshot(const char *name, const char *as, const struct clone_report *r)
{
	double secs = (double)r->elapsed_ns / 1e9;
	json_t *files;
	size_t i, n = r->nfiles < CLONE_MAX_FILES ? r->nfiles : CLONE_MAX_FILES;

	if (!cli.json) {
		printf("snapshot '%s' of '%s' by %s in %.3f s\n", as, name,
		       clone_method_name(r->method), secs);
		if (r->method == CLONE_COPY)
			printf("note: this filesystem cannot share blocks; "
			       "the data was copied (holes kept)\n");
		printf("bundle: %s\n", r->path);
		return;
	}
	files = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
			files,
			json_pack("{s:s, s:s, s:I, s:I}", "name",
				  r->files[i].name, "method",
				  clone_method_name(r->files[i].method), "size",
				  (json_int_t)r->files[i].size, "allocated",
				  (json_int_t)r->files[i].allocated));
	cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:f, s:o}", "name", as,
				 "source", name, "path", r->path, "method",
				 clone_method_name(r->method), "seconds", secs,
				 "files", files));
}

static int
vm_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"as", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct clone_report *r;
	struct vm_status state;
	const char *name, *as = NULL;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'a')
			as = optarg;
		else if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("vm snapshot", "bad option");
	}
	if ((rc = one_name("snapshot", argc, argv, &name)) != EXIT_OK)
		return rc;
	if (!as)
		return cli_usage_error("vm snapshot", "missing --as NEW");
	if (path_check_name(as) < 0)
		return cli_usage_error("vm snapshot",
				       "invalid name for --as: %s", err_msg());

	/* A running guest changes its disk under the copy. */
	switch (vm_state(name, &state)) {
	case VM_RUNNING:
		return cli_fail(EXIT_STATE,
				"VM '%s' is running; pause it first with "
				"secvf vm pause %s",
				name, name);
	case VM_UNRESPONSIVE:
		return cli_fail(EXIT_STATE,
				"VM '%s' has a QEMU that does not answer, so "
				"it cannot be confirmed paused",
				name);
	default:
		break;
	}

	r = malloc(sizeof(*r));
	if (!r)
		return cli_fail(EXIT_FAIL, "out of memory");
	rc = clone_bundle(name, as, r);
	if (rc == 1)
		print_snapshot(name, as, r);
	free(r);
	return rc == 1 ? EXIT_OK : find_failed(rc, name);
}

static const struct cli_cmd vm_cmds[] = {
	{"create", vm_create, "make a new VM bundle", create_usage},
	{"list", vm_list, "list every VM", list_usage},
	{"show", vm_show, "print a VM's configuration", show_usage},
	{"delete", vm_delete, "remove a VM's bundle", delete_usage},
	{"start", cmd_vm_start, "start a VM", vm_start_usage},
	{"pause", cmd_vm_pause, "pause a running VM", vm_pause_usage},
	{"resume", cmd_vm_resume, "resume a paused VM", vm_resume_usage},
	{"stop", cmd_vm_stop, "power a VM off", vm_stop_usage},
	{"console", cmd_vm_console, "attach to the serial console",
	 vm_console_usage},
	{"snapshot", vm_snapshot, "clone a VM copy-on-write", snapshot_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_vm(int argc, char **argv)
{
	return cli_dispatch("vm", vm_cmds, vm_usage, argc, argv);
}
