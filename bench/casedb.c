/*
 * Benchmark of event ingestion into the case database.
 *
 *	casedb gen N FILE      write N realistic, chained event lines
 *	casedb ingest DB FILE  time casedb_ingest_file() into DB: prints
 *	                       seconds, CPU seconds, added, duplicate,
 *	                       malformed
 *
 * bench/ingest.sh runs both beside the sqlite3 shell's own import.
 */
#include "forensics/casedb.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *const kinds[][3] = {
	{"INFO", "fsevents", "file.unexpected"},
	{"WARNING", "network", "switch.drop"},
	{"CRITICAL", "network", "virtual-mode.unexpected-egress"},
	{"INFO", "vm-lifecycle", "unexpected-stop"},
	{"WARNING", "vsock", "message.oversized"},
	{"CRITICAL", "virtiofs", "symlink.escape-attempt"},
	{"EMERGENCY", "containment", "breach-suspected"},
	{"WARNING", "usb", "device.unexpected"},
};

static int
gen_line(char *buf, size_t size, long i, const char *prev)
{
	const char *const *k = kinds[i % 8];
	char ts[TIME_ISO_LEN];
	int n;

	time_iso(1796324400000000LL + i * 997, ts);
	n = snprintf(buf, size,
		     "{\"ts\":\"%s\",\"severity\":\"%s\",\"subsystem\":\"%s\","
		     "\"event\":\"%s\",\"vm\":\"lab%ld\",\"host\":\"ws1\","
		     "\"seq\":%ld,\"data\":{\"path\":\"Linux/lab%ld.bundle/"
		     "drop-%ld.bin\",\"bytes\":%ld,\"pid\":%ld},"
		     "\"prev\":\"%s\"}",
		     ts, k[0], k[1], k[2], i % 4 + 1, i + 1, i % 4 + 1, i,
		     (i * 7919) % 1048576, 1000 + i % 30000, prev);
	return n > 0 && (size_t)n < size ? n : -1;
}

static int
gen(long count, const char *path)
{
	char line[1024], prev[65];
	FILE *f = fopen(path, "w");
	long i;
	int n;

	if (!f) {
		perror(path);
		return 1;
	}
	memset(prev, '0', 64);
	prev[64] = '\0';
	for (i = 0; i < count; i++) {
		n = gen_line(line, sizeof(line), i, prev);
		if (n < 0 || sha256_hex_buf(line, (size_t)n, prev) < 0)
			return 1;
		fputs(line, f);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : 1;
}

/* CPU seconds of every thread of the process so far. */
static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
ingest(const char *db_path, const char *log)
{
	struct casedb_ingest_stats st;
	struct casedb *db;
	double cpu0;
	int64_t t0;

	if (casedb_open(db_path, &db) < 0) {
		fprintf(stderr, "casedb: %s\n", err_msg());
		return 1;
	}
	cpu0 = cpu_seconds();
	t0 = time_mono_ns();
	if (casedb_ingest_file_stats(db, log, &st) < 0) {
		fprintf(stderr, "casedb: %s\n", err_msg());
		casedb_close(db);
		return 1;
	}
	printf("%.3f %.3f %lld %lld %lld\n",
	       (double)(time_mono_ns() - t0) / 1e9, cpu_seconds() - cpu0,
	       (long long)st.added, (long long)st.duplicate,
	       (long long)st.malformed);
	casedb_close(db);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(atol(argv[2]), argv[3]);
	if (argc == 4 && !strcmp(argv[1], "ingest"))
		return ingest(argv[2], argv[3]);
	fputs("usage: casedb gen N FILE | casedb ingest DB FILE\n", stderr);
	return 2;
}
