/*
 * bench/evlog: security log append throughput, chained (flock, read
 * the last line, hash, one write) beside the upstream way (open,
 * unlocked O_APPEND write of the same pre-encoded line, close; no
 * chain), with one writer and with four writer processes.
 *
 * usage: evlog DIR   (an empty scratch directory)
 */
#include "detect/evlog.h"
#include "lib/err.h"
#include "lib/fileio.h"
#include "lib/home.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ONE_WRITER_EVENTS 20000
#define WRITERS 4
#define PER_WRITER_EVENTS 5000
#define ROUNDS 3

static char *line; /* a pre-encoded line with its "\n" */
static size_t line_len;

static void
die(const char *what)
{
	fprintf(stderr, "bench evlog: %s: %s\n", what, err_msg());
	exit(1);
}

static void
encode_line(void)
{
	struct evlog_event ev = {.severity = EV_INFO, .seq = 1};
	char *text;

	time_iso(time_now_us(), ev.ts);
	strcpy(ev.subsystem, "network");
	strcpy(ev.event, "switch.drop");
	strcpy(ev.vm, "lab1");
	strcpy(ev.host, "bench");
	memset(ev.prev, '0', 64);
	ev.data = json_pack("{s:s, s:i}", "reason", "virtual-mode", "len", 60);
	text = evlog_encode(&ev, &line_len);
	json_decref(ev.data);
	if (!text)
		die("cannot encode");
	line = malloc(line_len + 1);
	memcpy(line, text, line_len);
	line[line_len++] = '\n';
	free(text);
}

static void
write_chained(int n)
{
	json_t *data =
		json_pack("{s:s, s:i}", "reason", "virtual-mode", "len", 60);
	int i;

	for (i = 0; i < n; i++)
		if (evlog_write(EV_INFO, "network", "switch.drop", "lab1",
				data) < 0)
			die("cannot append");
	json_decref(data);
}

static void
write_plain(const char *path, int n)
{
	int i, fd;

	for (i = 0; i < n; i++) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0600);
		if (fd < 0 || file_write_full(fd, line, line_len) < 0) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

/* Run writers processes of n events each; returns events per second. */
static double
run(int chained, const char *path, int writers, int n)
{
	int64_t start = time_mono_ns();
	int i, status;

	for (i = 0; i < writers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			exit(1);
		if (pid == 0) {
			if (chained)
				write_chained(n);
			else
				write_plain(path, n);
			_exit(0);
		}
	}
	for (i = 0; i < writers; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			exit(1);
	return (double)writers * n * 1e9 / (double)(time_mono_ns() - start);
}

static void
fresh_home(const char *dir, const char *name)
{
	char home[PATH_BUF];

	if (path_fmt(home, sizeof(home), "%s/%s", dir, name) < 0 ||
	    path_mkdirs(home, 0700) < 0)
		die("cannot make a home");
	setenv("SECVF_HOME", home, 1);
	home_reset();
}

/* Check that the chained log came out whole. */
static void
check_chain(int64_t want)
{
	struct evlog_verify_result res;
	char path[PATH_BUF];

	if (evlog_path_for(time_now_us(), path, sizeof(path)) < 0 ||
	    evlog_verify(path, &res) < 0)
		die("cannot verify");
	if (res.status != EVLOG_OK || res.lines != want) {
		fprintf(stderr, "bench evlog: chain broken: %s at line %lld\n",
			evlog_status_name(res.status), (long long)res.bad_line);
		exit(1);
	}
}

static void
bench(const char *dir, int writers, int n)
{
	double best_chain = 0, best_plain = 0, rate;
	char name[64], plain[PATH_BUF];
	int round;

	for (round = 0; round < ROUNDS; round++) {
		snprintf(name, sizeof(name), "chain-%d-%d", writers, round);
		fresh_home(dir, name);
		rate = run(1, NULL, writers, n);
		check_chain((int64_t)writers * n);
		best_chain = rate > best_chain ? rate : best_chain;

		snprintf(plain, sizeof(plain), "%s/plain-%d-%d.log", dir,
			 writers, round);
		rate = run(0, plain, writers, n);
		best_plain = rate > best_plain ? rate : best_plain;
	}
	printf("%d writer%s: chained evlog_write %.0f events/s   "
	       "baseline plain O_APPEND write %.0f events/s   "
	       "ratio %.2f\n",
	       writers, writers > 1 ? "s" : " ", best_chain, best_plain,
	       best_chain / best_plain);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: evlog DIR\n", stderr);
		return 2;
	}
	encode_line();
	printf("line of %zu bytes, INFO (no fsync), best of %d rounds\n",
	       line_len, ROUNDS);
	bench(argv[1], 1, ONE_WRITER_EVENTS);
	bench(argv[1], WRITERS, PER_WRITER_EVENTS);
	free(line);
	return 0;
}
