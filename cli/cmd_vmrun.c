/*
 * secvf vm start | stop | pause | resume | console: a VM while it runs.
 */
#include "cli.h"

#include "lib/err.h"
#include "lib/path.h"
#include "lib/timefmt.h"
#include "vmm/bundle.h"
#include "vmm/supervisor.h"
#include "vmm/vmctl.h"
#include "vmm/vmstate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define START_WAIT_MS (SUPERVISOR_START_TIMEOUT_MS + 10000)

const char vm_start_usage[] =
	"usage: secvf vm start NAME [--foreground] [--json]\n"
	"\n"
	"Start the VM under a supervisor that runs QEMU, keeps its event\n"
	"history and watches its boundaries.  Returns once QEMU reports the\n"
	"VM running; a QEMU that cannot start is reported with its own\n"
	"message.  With --foreground the supervisor stays attached to this\n"
	"terminal; ^C then detaches it and leaves the VM running.\n"
	"\n"
	"SECVF_ACCEL (kvm, tcg, or kvm:tcg) overrides the accelerator.\n";

const char vm_pause_usage[] =
	"usage: secvf vm pause NAME [--json]\n"
	"\n"
	"Pause the VM's vCPUs through QMP and confirm it with query-status.\n"
	"Memory and devices stay as they are; resume with 'secvf vm resume'.\n";

const char vm_resume_usage[] =
	"usage: secvf vm resume NAME\n"
	"\n"
	"Resume a paused VM.\n";

const char vm_stop_usage[] =
	"usage: secvf vm stop NAME [--force] [--timeout SECONDS]\n"
	"\n"
	"Ask the guest to power off (ACPI), wait for it (default 60 s), then\n"
	"end QEMU.  --force ends QEMU at once: the guest's memory is lost.\n"
	"Pause a suspect VM instead of stopping it.\n";

const char vm_console_usage[] =
	"usage: secvf vm console NAME\n"
	"\n"
	"Attach to the VM's serial console.  Type ^] to detach.  Everything\n"
	"the console prints is also kept in run/NAME/console.log.\n";

/* NAME and --json, the options most of these commands take. */
static int
parse_name(const char *cmd, int argc, char **argv, const char **name)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j')
			return cli_usage_error(cmd, "bad option");
		cli.json = 1;
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one VM name");
	*name = argv[optind];
	return EXIT_OK;
}

/* Is there such a VM?  Prints the error and returns the exit code. */
static int
check_vm(const char *name)
{
	char path[PATH_BUF];
	int rc = bundle_find(name, path, sizeof(path), NULL);

	if (rc == 1)
		return EXIT_OK;
	if (rc == 0)
		return cli_fail(EXIT_NOT_FOUND, "no VM named '%s'", name);
	return cli_fail_err(EXIT_USAGE, "");
}

/* Read the supervisor's "ok PID" or "error MESSAGE" line. */
static int
read_ready(int fd, char *line, size_t size)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < size - 1) {
		if (poll(&p, 1, START_WAIT_MS) <= 0)
			return -1;
		n = read(fd, line + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return got ? 0 : -1;
}

static void
exec_supervisor(const char *name, int ready_fd)
{
	char fdarg[16];
	int null = open("/dev/null", O_RDWR);

	snprintf(fdarg, sizeof(fdarg), "%d", ready_fd);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	execl("/proc/self/exe", "secvf", "vm", "start", "--foreground",
	      "--ready-fd", fdarg, "--", name, (char *)NULL);
	_exit(127);
}

/* Detach: a grandchild in its own session becomes the supervisor. */
static int
start_detached(const char *name)
{
	char line[4096];
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) < 0)
		return cli_fail(EXIT_FAIL, "cannot create a pipe: %s",
				strerror(errno));
	pid = fork();
	if (pid < 0)
		return cli_fail(EXIT_FAIL, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		setsid();
		if (fork() == 0)
			exec_supervisor(name, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	waitpid(pid, &status, 0);

	if (read_ready(fds[0], line, sizeof(line)) < 0) {
		close(fds[0]);
		return cli_fail(EXIT_FAIL, "the supervisor of VM '%s' did not "
					   "report back",
				name);
	}
	close(fds[0]);
	if (strncmp(line, "ok ", 3) != 0)
		return cli_fail(strstr(line, "already running") ? EXIT_STATE
								 : EXIT_FAIL,
				"%s", strncmp(line, "error ", 6) ? line
								 : line + 6);

	if (cli.json)
		cli_print_json(json_pack("{s:s, s:s, s:i}", "vm", name,
					 "state", "running", "qemu_pid",
					 atoi(line + 3)));
	else
		printf("VM '%s' running (QEMU pid %s)\n", name, line + 3);
	return EXIT_OK;
}

int
cmd_vm_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"ready-fd", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int foreground = 0, ready_fd = -1, opt, rc;
	const char *name;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': foreground = 1; break;
		case 'r': ready_fd = atoi(optarg); break;
		case 'j': cli.json = 1; break;
		default: return cli_usage_error("vm start", "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("vm start", "expected one VM name");
	name = argv[optind];
	if ((rc = check_vm(name)) != EXIT_OK)
		return rc;

	if (!foreground)
		return start_detached(name);
	if (ready_fd < 0)
		fprintf(stderr, "secvf: supervising VM '%s'; ^C detaches and "
				"leaves it running\n",
			name);
	if (supervisor_run(name, ready_fd) < 0)
		return cli_fail_err(strstr(err_msg(), "already running")
					    ? EXIT_STATE
					    : EXIT_FAIL,
				    "");
	return EXIT_OK;
}

int
cmd_vm_pause(int argc, char **argv)
{
	char status[32] = "";
	const char *name;
	int rc, already;
	int64_t t0 = time_mono_ns();

	if ((rc = parse_name("vm pause", argc, argv, &name)) != EXIT_OK ||
	    (rc = check_vm(name)) != EXIT_OK)
		return rc;
	if (!vm_qemu_pid(name))
		return cli_fail(EXIT_STATE, "VM '%s' is not running", name);
	if (vmctl_pause(name, status, sizeof(status), &already) < 0)
		return cli_fail_err(EXIT_FAIL, "");

	if (cli.json)
		cli_print_json(json_pack(
			"{s:s, s:s, s:b, s:f}", "vm", name, "state", status,
			"already", already,
			"seconds", (double)(time_mono_ns() - t0) / 1e9));
	else if (already)
		printf("VM '%s' was not running (%s)\n", name, status);
	else
		printf("VM '%s' paused\n", name);
	return EXIT_OK;
}

int
cmd_vm_resume(int argc, char **argv)
{
	const char *name;
	int rc;

	if ((rc = parse_name("vm resume", argc, argv, &name)) != EXIT_OK ||
	    (rc = check_vm(name)) != EXIT_OK)
		return rc;
	if (!vm_qemu_pid(name))
		return cli_fail(EXIT_STATE, "VM '%s' is not running", name);
	if (vmctl_resume(name) < 0)
		return cli_fail_err(EXIT_FAIL, "");
	if (!cli.json)
		printf("VM '%s' running\n", name);
	else
		cli_print_json(json_pack("{s:s, s:s}", "vm", name, "state",
					 "running"));
	return EXIT_OK;
}

int
cmd_vm_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"timeout", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int force = 0, timeout = 60, opt, rc;
	const char *name;
	char *end;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': force = 1; break;
		case 'j': cli.json = 1; break;
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout <= 0 || timeout > 3600)
				return cli_usage_error(
					"vm stop",
					"--timeout wants seconds from 1 to "
					"3600, not '%s'",
					optarg);
			break;
		default: return cli_usage_error("vm stop", "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("vm stop", "expected one VM name");
	name = argv[optind];
	if ((rc = check_vm(name)) != EXIT_OK)
		return rc;

	if (!vm_qemu_pid(name))
		return cli_fail(EXIT_STATE, "VM '%s' is not running", name);
	if (vmctl_stop(name, force, timeout) < 0)
		return cli_fail_err(EXIT_FAIL, "");
	if (cli.json)
		cli_print_json(json_pack("{s:s, s:s}", "vm", name, "state",
					 "stopped"));
	else
		printf("VM '%s' stopped\n", name);
	return EXIT_OK;
}

static int
console_connect(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[PATH_BUF];
	int fd;

	if (vm_run_file(path, sizeof(path), name, "console.sock") < 0)
		return -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set("console socket path '%s' is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno("cannot create a socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_errno("cannot connect to console of VM '%s'", name);
		close(fd);
		return -1;
	}
	return fd;
}

/* Copy between the terminal and the console until ^] or hang-up. */
static void
console_relay(int fd, int tty)
{
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
			      {.fd = fd, .events = POLLIN}};
	char buf[4096];
	ssize_t n;

	while (poll(p, 2, -1) > 0) {
		if (p[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0 || (tty && memchr(buf, 0x1d, (size_t)n)))
				break;
			if (write(fd, buf, (size_t)n) != n)
				break;
		}
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0 || write(STDOUT_FILENO, buf, (size_t)n) != n)
				break;
		}
	}
}

int
cmd_vm_console(int argc, char **argv)
{
	struct termios saved, raw;
	const char *name;
	int rc, fd, tty = isatty(STDIN_FILENO);

	if ((rc = parse_name("vm console", argc, argv, &name)) != EXIT_OK ||
	    (rc = check_vm(name)) != EXIT_OK)
		return rc;
	if (!vm_qemu_pid(name))
		return cli_fail(EXIT_STATE, "VM '%s' is not running", name);
	fd = console_connect(name);
	if (fd < 0)
		return cli_fail_err(EXIT_FAIL, "");

	if (tty) {
		fprintf(stderr, "Connected to VM '%s'; type ^] to detach.\n",
			name);
		tcgetattr(STDIN_FILENO, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	console_relay(fd, tty);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		fputs("\nDetached.\n", stderr);
	}
	close(fd);
	return EXIT_OK;
}
