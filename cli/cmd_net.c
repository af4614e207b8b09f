/*
 * secvf net SUBCOMMAND: lab networks and their switches.
 */
#include "cli.h"

#include "lib/err.h"
#include "lib/home.h"
#include "lib/path.h"
#include "vmm/netcap.h"
#include "vmm/netlab.h"
#include "vmm/switch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char cmd_net_usage[] =
	"usage: secvf net SUBCOMMAND [ARGS]\n"
	"\n"
	"Lab networks: the userspace switch every lab NIC plugs into.\n"
	"\n"
	"Subcommands:\n"
	"  create     define a lab network\n"
	"  list       list the lab networks\n"
	"  show       print a network, and its switch's ports and counters\n"
	"  delete     remove a network's definition\n"
	"  up         start the network's switch\n"
	"  down       stop it\n"
	"  port       make a VM's port socket and print its path\n"
	"  capture    capture a running switch's frames to a pcap file\n"
	"\n"
	"Run 'secvf help net SUBCOMMAND' for its options.\n";

static const char create_usage[] =
	"usage: secvf net create LAB --mode virtual|router|fakenet\n"
	"         [--subnet CIDR] [--gateway IP] [--router VM] [--mtu N]\n"
	"         [--json]\n"
	"\n"
	"Define the lab network LAB in $SECVF_HOME/networks/LAB.json.\n"
	"Defaults: subnet 10.0.100.0/24, gateway .1, MTU 1500.  router and\n"
	"fakenet need --router, the lab VM that routes.\n";

static const char list_usage[] =
	"usage: secvf net list [--json]\n"
	"\n"
	"List the lab networks: name, mode, subnet, and whether the switch\n"
	"is up.\n";

static const char show_usage[] =
	"usage: secvf net show LAB [--json]\n"
	"\n"
	"Print the network's definition and, when its switch is up, its\n"
	"ports, the VM on each, the MAC table and the counters per port and\n"
	"per drop reason.\n";

static const char delete_usage[] =
	"usage: secvf net delete LAB\n"
	"\n"
	"Remove the network's definition.  Its switch must be down.\n";

static const char up_usage[] =
	"usage: secvf net up LAB [--foreground]\n"
	"\n"
	"Start the switch of LAB.  It runs detached and the command returns\n"
	"once it listens; --foreground keeps it in this process until\n"
	"SIGINT or SIGTERM.\n";

static const char down_usage[] = "usage: secvf net down LAB\n"
				 "\n"
				 "Stop the switch of LAB.\n";

static const char port_usage[] =
	"usage: secvf net port LAB VM [--mirror] [--json]\n"
	"\n"
	"Make (or find) the port socket of VM on LAB's running switch and\n"
	"print its path.  --mirror makes a port that only receives copies\n"
	"(QEMU's filter-mirror of a NAT-mode VM).\n";

static const char capture_usage[] =
	"usage: secvf net capture LAB [--vm NAME] [--filter BPF] -w FILE\n"
	"         [--count N | --duration S]\n"
	"\n"
	"Have LAB's switch write the frames it receives (from VM NAME only\n"
	"with --vm; those matching the BPF expression with --filter) to the\n"
	"pcap file FILE, a name under $SECVF_HOME/Captures unless absolute.\n"
	"Waits until N packets or S seconds, or until interrupted.\n";

static int
one_lab(const char *sub, int argc, char **argv, const char **name)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "net %s", sub);
	if (optind != argc - 1)
		return cli_usage_error(prefix, "expected one lab network name");
	*name = argv[optind];
	if (netlab_check_name(*name) < 0)
		return cli_usage_error(prefix, "%s", err_msg());
	return EXIT_OK;
}

/* Options: --json only. */
static int
parse_json_only(const char *sub, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char prefix[32];
	int opt;

	snprintf(prefix, sizeof(prefix), "net %s", sub);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j')
			return cli_usage_error(prefix, "bad option");
		cli.json = 1;
	}
	return EXIT_OK;
}

static int
load(const char *name, struct netlab *l)
{
	if (netlab_load(name, l) == 0)
		return EXIT_OK;
	return cli_fail_err(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_FAIL, NULL);
}

static int
create_option(int opt, const char *arg, struct netlab *l, int *mode_set)
{
	switch (opt) {
	case 'm':
		*mode_set = 1;
		if (nd_mode_parse(arg, &l->nd.mode) < 0)
			break;
		return EXIT_OK;
	case 's':
		if (nd_parse_cidr(arg, &l->nd.subnet, &l->nd.mask) < 0)
			break;
		l->nd.gateway = l->nd.subnet | 1;
		return EXIT_OK;
	case 'g':
		if (nd_parse_ipv4(arg, &l->nd.gateway) < 0)
			break;
		return EXIT_OK;
	case 'r':
		if (strlen(arg) >= sizeof(l->router))
			return cli_usage_error("net create",
					       "--router: too long");
		strcpy(l->router, arg);
		return EXIT_OK;
	case 'M': l->nd.mtu = (unsigned)strtoul(arg, NULL, 10); return EXIT_OK;
	case 'j': cli.json = 1; return EXIT_OK;
	default: return cli_usage_error("net create", "bad option");
	}
	return cli_usage_error("net create", "%s", err_msg());
}

static int
net_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"subnet", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"router", required_argument, NULL, 'r'},
		{"mtu", required_argument, NULL, 'M'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct netlab l, old;
	const char *name;
	int opt, rc, mode_set = 0;
	uint32_t gateway = 0;

	netlab_init(&l, "new");
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'g' && nd_parse_ipv4(optarg, &gateway) < 0)
			return cli_usage_error("net create", "%s", err_msg());
		if ((rc = create_option(opt, optarg, &l, &mode_set)) != EXIT_OK)
			return rc;
	}
	if (gateway)
		l.nd.gateway = gateway; /* --gateway wins over --subnet */
	if ((rc = one_lab("create", argc, argv, &name)) != EXIT_OK)
		return rc;
	if (!mode_set)
		return cli_usage_error("net create", "--mode is required");
	strcpy(l.name, name);
	if (netlab_validate(&l) < 0)
		return cli_usage_error("net create", "%s", err_msg());
	if (netlab_load(name, &old) == 0)
		return cli_fail(EXIT_FAIL, "lab network '%s' already exists",
				name);
	if (netlab_save(&l) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);

	if (cli.json)
		cli_print_json(netlab_to_json(&l));
	else
		printf("created lab network '%s' (%s)\n", name,
		       nd_mode_name(l.nd.mode));
	return EXIT_OK;
}

static int
net_list(int argc, char **argv)
{
	json_t *arr, *o;
	struct netlab l;
	char **names;
	size_t n, i;
	int rc;

	if ((rc = parse_json_only("list", argc, argv)) != EXIT_OK)
		return rc;
	if (optind != argc)
		return cli_usage_error("net list", "no arguments expected");
	if (netlab_list(&names, &n) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	arr = json_array();
	for (i = 0; i < n; i++) {
		if (netlab_load(names[i], &l) < 0) {
			fprintf(stderr, "secvf: %s\n", err_msg());
			continue;
		}
		o = netlab_to_json(&l);
		json_object_set_new(o, "up",
				    json_boolean(netlab_switch_pid(l.name)));
		json_array_append_new(arr, o);
	}
	netlab_names_free(names, n);

	if (cli.json) {
		cli_print_json(arr);
		return EXIT_OK;
	}
	json_array_foreach(arr, i, o)
	{
		printf("%-20s %-8s %-18s %s\n",
		       json_string_value(json_object_get(o, "name")),
		       json_string_value(json_object_get(o, "mode")),
		       json_string_value(json_object_get(o, "subnet")),
		       json_is_true(json_object_get(o, "up")) ? "up" : "down");
	}
	json_decref(arr);
	return EXIT_OK;
}

static json_int_t
geti(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *
gets_(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
print_drops(const char *indent, json_t *drops)
{
	const char *key;
	json_t *v;

	json_object_foreach(drops, key, v)
	{
		if (json_integer_value(v))
			printf("%s%s: %" JSON_INTEGER_FORMAT "\n", indent, key,
			       json_integer_value(v));
	}
}

static void
print_stats(json_t *st)
{
	json_t *p, *m;
	size_t i;

	printf("switch:   up, pid %" JSON_INTEGER_FORMAT ", since %s\n",
	       geti(st, "pid"), gets_(st, "started"));
	printf("ports:\n");
	json_array_foreach(json_object_get(st, "ports"), i, p)
	{
		printf("  %2" JSON_INTEGER_FORMAT " %-16s %-7s %-12s "
		       "rx %" JSON_INTEGER_FORMAT " tx %" JSON_INTEGER_FORMAT
		       "\n",
		       geti(p, "port"), gets_(p, "vm"), gets_(p, "kind"),
		       json_is_true(json_object_get(p, "connected"))
			       ? "connected"
			       : "waiting",
		       geti(p, "rx_frames"), geti(p, "tx_frames"));
		print_drops("       drop ", json_object_get(p, "drops"));
	}
	printf("MAC table:\n");
	json_array_foreach(json_object_get(st, "mac_table"), i, m)
	{
		printf("  %s  port %" JSON_INTEGER_FORMAT
		       " (%s), %" JSON_INTEGER_FORMAT " s\n",
		       gets_(m, "mac"), geti(m, "port"), gets_(m, "vm"),
		       geti(m, "age"));
	}
	printf("drops:\n");
	print_drops("  ", json_object_get(st, "drops"));
}

static int
net_show(int argc, char **argv)
{
	json_t *o, *req, *st = NULL;
	struct netlab l;
	const char *name;
	int rc;

	if ((rc = parse_json_only("show", argc, argv)) != EXIT_OK ||
	    (rc = one_lab("show", argc, argv, &name)) != EXIT_OK ||
	    (rc = load(name, &l)) != EXIT_OK)
		return rc;
	if (netlab_switch_pid(name) > 0) {
		req = json_pack("{s:s}", "op", "stats");
		st = netlab_request(name, req);
		json_decref(req);
		if (!st)
			return cli_fail_err(EXIT_FAIL,
					    "cannot read the switch");
	}
	o = netlab_to_json(&l);
	if (cli.json) {
		json_object_set_new(o, "up", json_boolean(st != NULL));
		json_object_set_new(o, "switch", st ? st : json_null());
		cli_print_json(o);
		return EXIT_OK;
	}
	printf("name:     %s\nmode:     %s\nsubnet:   %s\ngateway:  %s\n"
	       "mtu:      %" JSON_INTEGER_FORMAT "\n",
	       gets_(o, "name"), gets_(o, "mode"), gets_(o, "subnet"),
	       gets_(o, "gateway"), geti(o, "mtu"));
	if (l.router[0])
		printf("router:   %s\n", l.router);
	json_decref(o);
	if (!st) {
		printf("switch:   down\n");
		return EXIT_OK;
	}
	print_stats(st);
	json_decref(st);
	return EXIT_OK;
}

static int
net_delete(int argc, char **argv)
{
	const char *name;
	struct netlab l;
	int rc;

	if ((rc = parse_json_only("delete", argc, argv)) != EXIT_OK ||
	    (rc = one_lab("delete", argc, argv, &name)) != EXIT_OK ||
	    (rc = load(name, &l)) != EXIT_OK)
		return rc;
	if (netlab_switch_pid(name) > 0)
		return cli_fail(EXIT_STATE,
				"lab network '%s' is up; run 'secvf net down "
				"%s' first",
				name, name);
	if (netlab_delete(name) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (!cli.json)
		printf("deleted lab network '%s'\n", name);
	return EXIT_OK;
}

/* The detached switch: a new session, stdio away from the terminal. */
static void
run_detached(const struct netlab *l, int ready)
{
	char log[PATH_BUF];
	int fd;

	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	if (netlab_run_path(l->name, "switch.log", log, sizeof(log)) == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
			  0600);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	_exit(switch_run(l, ready) < 0 ? EXIT_FAIL : EXIT_OK);
}

static int
wait_ready(int fd, const char *name, pid_t pid)
{
	char buf[ERR_MSG_MAX + 16];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (!strcmp(buf, "ok\n")) {
		if (!cli.json)
			printf("lab network '%s' is up (pid %ld)\n", name,
			       (long)pid);
		return EXIT_OK;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (!strncmp(buf, "error: ", 7))
		return cli_fail(strstr(buf, "already up") ? EXIT_BUSY
							  : EXIT_FAIL,
				"%s", buf + 7);
	return cli_fail(EXIT_FAIL, "the switch of '%s' exited at start", name);
}

static int
net_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char dir[PATH_BUF];
	int opt, rc, fg = 0, p[2];
	const char *name;
	struct netlab l;
	pid_t pid;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f')
			fg = 1;
		else if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("net up", "bad option");
	}
	if ((rc = one_lab("up", argc, argv, &name)) != EXIT_OK ||
	    (rc = load(name, &l)) != EXIT_OK)
		return rc;
	if (netlab_switch_pid(name) > 0)
		return cli_fail(EXIT_BUSY, "lab network '%s' is already up",
				name);
	if (fg)
		return switch_run(&l, -1) < 0 ? cli_fail_err(EXIT_FAIL, NULL)
					      : EXIT_OK;

	if (netlab_run_path(name, NULL, dir, sizeof(dir)) < 0 ||
	    path_mkdirs(dir, 0700) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	if (pipe2(p, O_CLOEXEC) < 0)
		return cli_fail(EXIT_FAIL, "cannot make a pipe: %s",
				strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return cli_fail(EXIT_FAIL, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		run_detached(&l, p[1]);
	}
	close(p[1]);
	return wait_ready(p[0], name, pid);
}

static int
net_down(int argc, char **argv)
{
	const char *name;
	struct timespec ts = {0, 20 * 1000000};
	long pid;
	int rc, i;

	if ((rc = parse_json_only("down", argc, argv)) != EXIT_OK ||
	    (rc = one_lab("down", argc, argv, &name)) != EXIT_OK)
		return rc;
	pid = netlab_switch_pid(name);
	if (pid <= 0)
		return cli_fail(EXIT_STATE, "lab network '%s' is not up", name);
	if (kill((pid_t)pid, SIGTERM) < 0)
		return cli_fail(EXIT_FAIL,
				"cannot stop the switch (pid %ld): %s", pid,
				strerror(errno));
	for (i = 0; i < 500 && netlab_switch_pid(name) > 0; i++)
		nanosleep(&ts, NULL);
	if (netlab_switch_pid(name) > 0)
		return cli_fail(EXIT_FAIL, "the switch (pid %ld) did not stop",
				pid);
	if (!cli.json)
		printf("lab network '%s' is down\n", name);
	return EXIT_OK;
}

static int
net_port(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mirror", no_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char path[PATH_BUF];
	int opt, mirror = 0;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'm')
			mirror = 1;
		else if (opt == 'j')
			cli.json = 1;
		else
			return cli_usage_error("net port", "bad option");
	}
	if (optind != argc - 2)
		return cli_usage_error("net port", "expected LAB and VM");
	if (netlab_port_open(argv[optind], argv[optind + 1],
			     mirror ? NETLAB_PORT_MIRROR : NETLAB_PORT_VM, path,
			     sizeof(path)) < 0)
		return cli_fail_err(strstr(err_msg(), "is not up") ? EXIT_STATE
								   : EXIT_FAIL,
				    NULL);
	if (cli.json)
		cli_print_json(json_pack("{s:s}", "path", path));
	else
		printf("%s\n", path);
	return EXIT_OK;
}

static volatile sig_atomic_t capture_interrupted;

static void
on_interrupt(int sig)
{
	(void)sig;
	capture_interrupted = 1;
}

/* FILE under Captures/ unless absolute. */
static int
capture_path(const char *file, char *buf, size_t n)
{
	char dir[PATH_BUF];

	if (file[0] == '/')
		return path_fmt(buf, n, "%s", file);
	if (path_check_name(file) < 0)
		return cli_usage_error("net capture", "-w: %s", err_msg());
	if (home_subdir(dir, sizeof(dir), "Captures") < 0 ||
	    path_fmt(buf, n, "%s/%s", dir, file) < 0)
		return cli_fail_err(EXIT_FAIL, NULL);
	return EXIT_OK;
}

static json_t *
capture_ask(const char *lab, const char *op, json_int_t id)
{
	json_t *req = json_pack("{s:s,s:I}", "op", op, "id", id);
	json_t *reply = req ? netlab_request(lab, req) : NULL;

	json_decref(req);
	return reply;
}

/* Follow capture id until it ends; stop it on SIGINT. */
static int
capture_wait(const char *lab, json_int_t id)
{
	struct timespec ts = {0, 100 * 1000000};
	struct sigaction sa = {.sa_handler = on_interrupt};
	json_t *st;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		st = capture_ask(lab,
				 capture_interrupted ? "capture-stop"
						     : "capture-status",
				 id);
		if (!st)
			return cli_fail_err(EXIT_FAIL, "capture");
		if (!json_is_true(json_object_get(st, "running")))
			break;
		json_decref(st);
		nanosleep(&ts, NULL);
	}
	if (json_is_string(json_object_get(st, "error"))) {
		cli_fail(EXIT_FAIL, "capture: %s", gets_(st, "error"));
		json_decref(st);
		return EXIT_FAIL;
	}
	if (cli.json)
		cli_print_json(st);
	else {
		printf("captured %" JSON_INTEGER_FORMAT " packets to %s\n",
		       geti(st, "packets"), gets_(st, "path"));
		json_decref(st);
	}
	return EXIT_OK;
}

static int
capture_number(const char *opt, const char *arg, json_int_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || *end || end == arg || v <= 0)
		return cli_usage_error("net capture",
				       "%s must be a positive number", opt);
	*out = v;
	return EXIT_OK;
}

static int
net_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{"vm", required_argument, NULL, 'v'},
		{"filter", required_argument, NULL, 'f'},
		{"count", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *vm = NULL, *filter = NULL, *file = NULL, *name;
	json_int_t count = 0, duration = 0;
	char path[PATH_BUF];
	json_t *req, *reply;
	int opt, rc = EXIT_OK;

	cli_getopt_reset();
	while (rc == EXIT_OK &&
	       (opt = getopt_long(argc, argv, "w:", opts, NULL)) != -1) {
		switch (opt) {
		case 'v': vm = optarg; break;
		case 'f': filter = optarg; break;
		case 'w': file = optarg; break;
		case 'c': rc = capture_number("--count", optarg, &count); break;
		case 'd':
			rc = capture_number("--duration", optarg, &duration);
			break;
		case 'j': cli.json = 1; break;
		default: return cli_usage_error("net capture", "bad option");
		}
	}
	if (rc != EXIT_OK ||
	    (rc = one_lab("capture", argc, argv, &name)) != EXIT_OK)
		return rc;
	if (!file)
		return cli_usage_error("net capture", "-w FILE is required");
	if (count && duration)
		return cli_usage_error("net capture",
				       "give --count or --duration, not both");
	if (netcap_check_filter(filter) < 0)
		return cli_usage_error("net capture", "%s", err_msg());
	if ((rc = capture_path(file, path, sizeof(path))) != EXIT_OK)
		return rc;

	req = json_pack("{s:s,s:s,s:s*,s:s*,s:I,s:I}", "op", "capture", "path",
			path, "filter", filter, "vm", vm, "count", count,
			"duration", duration);
	reply = req ? netlab_request(name, req) : NULL;
	json_decref(req);
	if (!reply)
		return cli_fail_err(strstr(err_msg(), "is not up") ? EXIT_STATE
								   : EXIT_FAIL,
				    "capture");
	rc = capture_wait(name, geti(reply, "id"));
	json_decref(reply);
	return rc;
}

static const struct cli_cmd net_cmds[] = {
	{"capture", net_capture, "capture frames", capture_usage},
	{"create", net_create, "define a lab network", create_usage},
	{"delete", net_delete, "remove a network", delete_usage},
	{"down", net_down, "stop the switch", down_usage},
	{"list", net_list, "list the networks", list_usage},
	{"port", net_port, "make a VM's port", port_usage},
	{"show", net_show, "print a network", show_usage},
	{"up", net_up, "start the switch", up_usage},
	{NULL, NULL, NULL, NULL},
};

int
cmd_net(int argc, char **argv)
{
	return cli_dispatch("net", net_cmds, cmd_net_usage, argc, argv);
}
