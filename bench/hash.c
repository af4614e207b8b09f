/*
 * hash FILE: the chunked image hash's throughput on one thread and on
 * every core, in MB/s (10^6 bytes per second), one "name value" line
 * each, for bench/hash.sh to set beside its baselines.
 */
#include "forensics/imghash.h"
#include "lib/err.h"
#include "lib/timefmt.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int
run(int fd, unsigned threads, const char *name)
{
	uint64_t size;
	char hex[65];
	int64_t t0 = time_mono_ns(), ns;

	if (imghash_fd(fd, threads, NULL, NULL, hex, &size) < 0) {
		fprintf(stderr, "hash: %s\n", err_msg());
		return -1;
	}
	ns = time_mono_ns() - t0;
	printf("%s %.0f %s\n", name, (double)size * 1e3 / (double)ns, hex);
	return 0;
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc != 2) {
		fputs("usage: hash FILE\n", stderr);
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (run(fd, 1, "imghash-1-thread") < 0 ||
	    run(fd, 0, "imghash-all-cores") < 0)
		return 1;
	close(fd);
	return 0;
}
