#include "helpers.h"

#include "lib/err.h"
#include "lib/timefmt.h"
#include "vmm/qmp.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_MS 5000 /* generous timeout for replies from a healthy peer */

static pid_t qemu_pid = -1;
static pid_t fake_pid = -1;
static char sock_path[108];

static void
reap(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = -1;
}

static void
qmp_init(void)
{
	const char *home = th_fresh_home();

	snprintf(sock_path, sizeof(sock_path), "%s/qmp.sock", home);
}

static void
qmp_fini(void)
{
	reap(&qemu_pid);
	reap(&fake_pid);
	th_remove_home();
}

TestSuite(qmp, .init = qmp_init, .fini = qmp_fini);

static void
wait_for_socket(void)
{
	struct stat st;
	int i;

	for (i = 0; i < 1000; i++) {
		if (stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
			return;
		cr_assert_eq(waitpid(qemu_pid, NULL, WNOHANG), 0,
			     "QEMU exited before creating its QMP socket");
		usleep(10000);
	}
	cr_assert_fail("no QMP socket at '%s' after 10 s", sock_path);
}

/* Start QEMU with no machine and a QMP server at sock_path. */
static void
start_qemu(void)
{
	char qmp_arg[160];

	snprintf(qmp_arg, sizeof(qmp_arg), "unix:%s,server=on,wait=off",
		 sock_path);
	qemu_pid = fork();
	cr_assert_neq(qemu_pid, -1);
	if (qemu_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("qemu-system-x86_64", "qemu-system-x86_64", "-machine",
		       "none", "-nodefaults", "-display", "none", "-qmp",
		       qmp_arg, (char *)NULL);
		_exit(127);
	}
	wait_for_socket();
}

/* QEMU binds its socket a moment before it listens: retry a refusal. */
static struct qmp_conn *
connect_qemu(void)
{
	struct qmp_conn *c;
	int i, r;

	start_qemu();
	for (i = 0; i < 500; i++) {
		r = qmp_connect(sock_path, T_MS, &c);
		if (r == 0 || !strstr(err_msg(), "Connection refused"))
			break;
		usleep(10000);
	}
	cr_assert_eq(r, 0, "%s", err_msg());
	return c;
}

/* A fake QMP server: a forked child runs behave() on one connection. */
static void
fake_server(void (*behave)(int fd))
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd;

	strcpy(sa.sun_path, sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 1), 0);

	fake_pid = fork();
	cr_assert_neq(fake_pid, -1);
	if (fake_pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			behave(fd);
		_exit(0);
	}
	close(lfd);
}

static void
put(int fd, const char *text)
{
	size_t n = strlen(text);

	if (write(fd, text, n) != (ssize_t)n)
		_exit(1);
}

/* Read one line the client sent; 0 at end of file. */
static int
get_line(int fd)
{
	char ch;

	while (read(fd, &ch, 1) == 1)
		if (ch == '\n')
			return 1;
	return 0;
}

static void
drain(int fd)
{
	while (get_line(fd))
		;
}

#define GREETING "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"

static void
greet(int fd)
{
	put(fd, GREETING);
	get_line(fd);
	put(fd, "{\"return\": {}, \"id\": 1}\r\n");
}

static int64_t
elapsed_ms(int64_t start_ns)
{
	return (time_mono_ns() - start_ns) / 1000000;
}

Test(qmp, negotiates_and_reports_running)
{
	struct qmp_conn *c = connect_qemu();
	char status[32];
	int running = -1;

	cr_assert_eq(qmp_status(c, T_MS, status, sizeof(status), &running), 0,
		     "%s", err_msg());
	cr_assert_str_eq(status, "running");
	cr_assert_eq(running, 1);
	cr_assert_geq(qmp_fd(c), 0);
	qmp_close(c);
}

Test(qmp, stop_and_cont_emit_events)
{
	struct qmp_conn *c = connect_qemu();
	json_t *ev;
	char status[32];
	int running = -1;

	cr_assert_eq(qmp_execute(c, "stop", NULL, T_MS, NULL), 0, "%s",
		     err_msg());
	cr_assert_eq(qmp_wait_event(c, "STOP", T_MS, &ev), 0, "%s",
		     err_msg());
	cr_assert(json_is_object(json_object_get(ev, "timestamp")));
	json_decref(ev);
	cr_assert_eq(qmp_status(c, T_MS, status, sizeof(status), &running), 0);
	cr_assert_str_eq(status, "paused");
	cr_assert_eq(running, 0);

	cr_assert_eq(qmp_execute(c, "cont", NULL, T_MS, NULL), 0);
	cr_assert_eq(qmp_wait_event(c, "RESUME", T_MS, &ev), 0, "%s",
		     err_msg());
	json_decref(ev);
	cr_assert_eq(qmp_status(c, T_MS, status, sizeof(status), &running), 0);
	cr_assert_str_eq(status, "running");
	qmp_close(c);
}

Test(qmp, command_returns_value_and_takes_arguments)
{
	struct qmp_conn *c = connect_qemu();
	json_t *args = json_pack("{s:s}", "implements", "device");
	json_t *ret;

	cr_assert_eq(qmp_execute(c, "qom-list-types", args, T_MS, &ret), 0,
		     "%s", err_msg());
	cr_assert(json_is_array(ret) && json_array_size(ret) > 0);
	json_decref(ret);
	json_decref(args);
	qmp_close(c);
}

Test(qmp, unknown_command_is_ereply_and_connection_survives)
{
	struct qmp_conn *c = connect_qemu();
	json_t *ret = (json_t *)1;
	char status[32];

	cr_assert_eq(qmp_execute(c, "no-such-command", NULL, T_MS, &ret),
		     QMP_EREPLY);
	cr_assert_null(ret);
	cr_assert_str_eq(qmp_error_class(c), "CommandNotFound");
	cr_assert(strstr(err_msg(), "QMP command 'no-such-command' failed: "
				    "CommandNotFound: "),
		  "%s", err_msg());

	cr_assert_eq(qmp_status(c, T_MS, status, sizeof(status), NULL), 0,
		     "%s", err_msg());
	cr_assert_str_eq(qmp_error_class(c), "");
	qmp_close(c);
}

Test(qmp, killed_qemu_reports_closed)
{
	struct qmp_conn *c = connect_qemu();
	char status[32];

	reap(&qemu_pid);
	cr_assert_eq(qmp_execute(c, "query-status", NULL, T_MS, NULL), -1);
	cr_assert(strstr(err_msg(), "closed"), "%s", err_msg());
	cr_assert_eq(qmp_status(c, T_MS, status, sizeof(status), NULL), -1);
	cr_assert(strstr(err_msg(), "closed"), "%s", err_msg());
	qmp_close(c);
}

Test(qmp, quit_reports_shutdown_then_closed)
{
	struct qmp_conn *c = connect_qemu();
	json_t *ev;
	int status;

	cr_assert_eq(qmp_execute(c, "quit", NULL, T_MS, NULL), 0, "%s",
		     err_msg());
	cr_assert_eq(qmp_wait_event(c, "SHUTDOWN", T_MS, &ev), 0, "%s",
		     err_msg());
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(ev, "data"), "reason")),
			 "host-qmp-quit");
	json_decref(ev);

	cr_assert_eq(qmp_next_event(c, T_MS, &ev), -1);
	cr_assert_null(ev);
	cr_assert(strstr(err_msg(), "closed"), "%s", err_msg());
	cr_assert_eq(waitpid(qemu_pid, &status, 0), qemu_pid);
	qemu_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qmp_close(c);
}

Test(qmp, missing_socket_is_refused)
{
	struct qmp_conn *c = (struct qmp_conn *)1;

	cr_assert_eq(qmp_connect(sock_path, 100, &c), -1);
	cr_assert_null(c);
	cr_assert(strstr(err_msg(), "cannot connect to QMP socket '"),
		  "%s", err_msg());
	cr_assert(strstr(err_msg(), "No such file or directory"), "%s",
		  err_msg());
}

static void
behave_huge_reply(int fd)
{
	static char chunk[65536];
	int i;

	greet(fd);
	get_line(fd);
	memset(chunk, 'a', sizeof(chunk));
	put(fd, "{\"return\": \"");
	for (i = 0; i < 2 * QMP_MAX_MSG / (int)sizeof(chunk); i++)
		if (write(fd, chunk, sizeof(chunk)) < 0)
			break;
	put(fd, "\"}\r\n");
	drain(fd);
}

Test(qmp, oversized_reply_breaks_connection)
{
	struct qmp_conn *c;

	fake_server(behave_huge_reply);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(qmp_execute(c, "query-status", NULL, T_MS, NULL), -1);
	cr_assert(strstr(err_msg(), "longer than 1048576 bytes"), "%s",
		  err_msg());
	cr_assert(strstr(err_msg(), "unusable"), "%s", err_msg());

	cr_assert_eq(qmp_execute(c, "query-status", NULL, T_MS, NULL), -1);
	cr_assert(strstr(err_msg(), "QMP connection unusable"), "%s",
		  err_msg());
	cr_assert_eq(qmp_pump(c), -1);
	qmp_close(c);
}

static void
behave_large_reply(int fd)
{
	static char text[600 * 1024];

	greet(fd);
	get_line(fd);
	memset(text, 'b', sizeof(text) - 1);
	put(fd, "{\"id\": 2, \"return\": \"");
	put(fd, text);
	put(fd, "\"}\r\n");
	drain(fd);
}

Test(qmp, large_reply_within_maximum_is_read)
{
	struct qmp_conn *c;
	json_t *ret;

	fake_server(behave_large_reply);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(qmp_execute(c, "x-big", NULL, T_MS, &ret), 0, "%s",
		     err_msg());
	cr_assert_eq(json_string_length(ret), 600 * 1024 - 1);
	json_decref(ret);
	qmp_close(c);
}

static void
behave_garbage_line(int fd)
{
	put(fd, "\x01\x02 garbage \xff\xfe not json\r\n");
	drain(fd);
}

static void
behave_wrong_greeting(int fd)
{
	put(fd, "{\"hello\": \"world\"}\r\n");
	drain(fd);
}

static void
behave_garbage_then_close(int fd)
{
	put(fd, "\x7f" "ELF no newline and then gone");
}

Test(qmp, garbage_greeting_is_refused)
{
	struct qmp_conn *c = (struct qmp_conn *)1;

	fake_server(behave_garbage_line);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), -1);
	cr_assert_null(c);
	cr_assert(strstr(err_msg(), "cannot negotiate QMP on '"), "%s",
		  err_msg());
	cr_assert(strstr(err_msg(), "malformed QMP message"), "%s",
		  err_msg());
}

Test(qmp, non_greeting_json_is_refused)
{
	struct qmp_conn *c;

	fake_server(behave_wrong_greeting);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), -1);
	cr_assert(strstr(err_msg(), "unexpected QMP greeting"), "%s",
		  err_msg());
}

Test(qmp, partial_garbage_then_close_is_refused)
{
	struct qmp_conn *c;

	fake_server(behave_garbage_then_close);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), -1);
	cr_assert(strstr(err_msg(), "QMP socket closed"), "%s", err_msg());
}

static void
behave_silent_after_greeting(int fd)
{
	greet(fd);
	drain(fd);
}

static void
behave_mute(int fd)
{
	drain(fd);
}

Test(qmp, unanswered_command_times_out)
{
	struct qmp_conn *c;
	int64_t start;

	fake_server(behave_silent_after_greeting);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	start = time_mono_ns();
	cr_assert_eq(qmp_execute(c, "stop", NULL, 200, NULL), -1);
	cr_assert_geq(elapsed_ms(start), 200);
	cr_assert_lt(elapsed_ms(start), 5000);
	cr_assert(strstr(err_msg(), "timed out after 200 ms waiting for QMP "
				    "command 'stop'"),
		  "%s", err_msg());

	/* A timeout leaves the connection usable. */
	cr_assert_eq(qmp_next_event(c, 0, &(json_t *){ NULL }), 1);
	qmp_close(c);
}

Test(qmp, missing_greeting_times_out)
{
	struct qmp_conn *c;
	int64_t start = time_mono_ns();

	fake_server(behave_mute);
	cr_assert_eq(qmp_connect(sock_path, 200, &c), -1);
	cr_assert_geq(elapsed_ms(start), 200);
	cr_assert_lt(elapsed_ms(start), 5000);
	cr_assert(strstr(err_msg(), "timed out waiting for QMP greeting"),
		  "%s", err_msg());
}

static void
on_alarm(int sig)
{
	(void)sig;
}

Test(qmp, signals_do_not_cut_a_wait_short)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval every = { { 0, 20000 }, { 0, 20000 } };
	struct qmp_conn *c;
	int64_t start;

	fake_server(behave_silent_after_greeting);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: poll sees EINTR */
	setitimer(ITIMER_REAL, &every, NULL);
	start = time_mono_ns();
	cr_assert_eq(qmp_execute(c, "stop", NULL, 300, NULL), -1);
	cr_assert_geq(elapsed_ms(start), 300);
	cr_assert(strstr(err_msg(), "timed out"), "%s", err_msg());
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	qmp_close(c);
}

static void
behave_events_then_close(int fd)
{
	greet(fd);
	put(fd, "{\"event\": \"A\", \"timestamp\": {}}\r\n"
		"{\"event\": \"B\", \"timestamp\": {}}\r\n"
		"\r\n"
		"{\"return\": {}, \"id\": 99}\r\n"
		"{\"event\": \"C\", \"data\": {\"n\": 3}}\r\n");
}

static const char *
event_name(const json_t *ev)
{
	return json_string_value(json_object_get(ev, "event"));
}

Test(qmp, pump_queues_events_and_keeps_them_after_close)
{
	struct qmp_conn *c;
	struct pollfd pfd;
	json_t *ev;
	int n, total = 0;

	fake_server(behave_events_then_close);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	pfd.fd = qmp_fd(c);
	pfd.events = POLLIN;
	do {
		cr_assert_eq(poll(&pfd, 1, T_MS), 1);
		n = qmp_pump(c);
		total += n > 0 ? n : 0;
	} while (n >= 0);
	cr_assert(strstr(err_msg(), "QMP socket closed"), "%s", err_msg());
	cr_assert_leq(total, 3); /* connecting may have queued some */

	cr_assert_eq(qmp_next_event(c, 0, &ev), 0);
	cr_assert_str_eq(event_name(ev), "A");
	json_decref(ev);
	cr_assert_eq(qmp_next_event(c, 0, &ev), 0);
	cr_assert_str_eq(event_name(ev), "B");
	json_decref(ev);
	cr_assert_eq(qmp_next_event(c, 0, &ev), 0);
	cr_assert_str_eq(event_name(ev), "C");
	json_decref(ev);
	cr_assert_eq(qmp_next_event(c, 0, &ev), -1);
	cr_assert_null(ev);
	qmp_close(c);
}

Test(qmp, wait_event_keeps_other_events_in_order)
{
	struct qmp_conn *c;
	json_t *ev;

	fake_server(behave_events_then_close);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(qmp_wait_event(c, "C", T_MS, &ev), 0, "%s", err_msg());
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(ev, "data"), "n")),
		     3);
	json_decref(ev);

	cr_assert_eq(qmp_wait_event(c, "B", T_MS, &ev), 0);
	cr_assert_str_eq(event_name(ev), "B");
	json_decref(ev);
	cr_assert_eq(qmp_next_event(c, T_MS, &ev), 0);
	cr_assert_str_eq(event_name(ev), "A");
	json_decref(ev);
	cr_assert_eq(qmp_wait_event(c, "D", T_MS, &ev), -1);
	cr_assert(strstr(err_msg(), "closed"), "%s", err_msg());
	qmp_close(c);
}

static void
behave_event_flood(int fd)
{
	char line[96];
	int i;

	greet(fd);
	for (i = 0; i < QMP_MAX_EVENTS + 10; i++) {
		snprintf(line, sizeof(line), "{\"event\": \"E\", \"data\": "
			 "{\"n\": %d}}\r\n", i);
		put(fd, line);
	}
}

Test(qmp, event_queue_is_bounded)
{
	struct qmp_conn *c;
	json_t *ev;

	fake_server(behave_event_flood);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(qmp_wait_event(c, "never", T_MS, &ev), -1);
	cr_assert_eq(qmp_events_dropped(c), 10);
	cr_assert_eq(qmp_next_event(c, 0, &ev), 0);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(ev, "data"), "n")),
		     10);
	json_decref(ev);
	qmp_close(c);
}

static void
behave_event_before_greeting(int fd)
{
	put(fd, "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n");
	greet(fd);
	drain(fd);
}

Test(qmp, event_before_greeting_is_queued)
{
	struct qmp_conn *c;
	json_t *ev;

	fake_server(behave_event_before_greeting);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(qmp_next_event(c, 0, &ev), 0, "%s", err_msg());
	cr_assert_str_eq(event_name(ev), "RESUME");
	json_decref(ev);
	qmp_close(c);
}

static void
behave_shutdown_then_close(int fd)
{
	greet(fd);
	put(fd, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
		"\"reason\": \"guest-panic\"}}\r\n");
}

Test(qmp, events_before_close_survive_a_failed_command)
{
	struct qmp_conn *c;
	json_t *ev;
	int status;

	fake_server(behave_shutdown_then_close);
	cr_assert_eq(qmp_connect(sock_path, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(waitpid(fake_pid, &status, 0), fake_pid);
	fake_pid = -1;

	cr_assert_eq(qmp_execute(c, "cont", NULL, T_MS, NULL), -1);
	cr_assert(strstr(err_msg(), "QMP socket closed"), "%s", err_msg());
	cr_assert_eq(qmp_wait_event(c, "SHUTDOWN", 0, &ev), 0, "%s",
		     err_msg());
	json_decref(ev);
	cr_assert_eq(qmp_next_event(c, 0, &ev), -1);
	qmp_close(c);
}

/* The far end of a socketpair, run in a child with behave(). */
static int
fake_peer(void (*behave)(int fd))
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fake_pid = fork();
	cr_assert_neq(fake_pid, -1);
	if (fake_pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		close(sv[0]);
		behave(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void
behave_paused(int fd)
{
	greet(fd);
	get_line(fd);
	put(fd, "{\"return\": {\"status\": \"paused\", \"running\": false}, "
		"\"id\": 2}\r\n");
	drain(fd);
}

Test(qmp, connect_fd_negotiates_over_a_connected_socket)
{
	struct qmp_conn *c;
	char status[32];
	int running = 1, fd = fake_peer(behave_paused);

	cr_assert_eq(qmp_connect_fd(fd, T_MS, &c), 0, "%s", err_msg());
	cr_assert_eq(qmp_fd(c), fd);
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	cr_assert_eq(qmp_status(c, T_MS, status, sizeof(status), &running), 0,
		     "%s", err_msg());
	cr_assert_str_eq(status, "paused");
	cr_assert_eq(running, 0);
	qmp_close(c);
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "qmp_close left the fd open");
}

Test(qmp, connect_fd_closes_the_socket_on_a_bad_greeting)
{
	struct qmp_conn *c = (struct qmp_conn *)1;
	int fd = fake_peer(behave_wrong_greeting);

	cr_assert_eq(qmp_connect_fd(fd, T_MS, &c), -1);
	cr_assert_null(c);
	cr_assert(strstr(err_msg(), "cannot negotiate QMP: "), "%s",
		  err_msg());
	cr_assert(strstr(err_msg(), "unexpected QMP greeting"), "%s",
		  err_msg());
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "failure left the fd open");
	cr_assert_eq(errno, EBADF);
}
