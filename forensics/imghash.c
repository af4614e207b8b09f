#include "imghash.h"

#include "lib/err.h"
#include "lib/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_THREADS 64
#define PIECE (128 * 1024) /* bytes read and hashed at a time */

/* The job shared by the workers; the lock guards everything below it. */
struct job {
	int fd;
	uint64_t size;
	uint64_t nchunks;
	uint8_t *digests;     /* nchunks * SHA256_LEN */
	uint8_t zero_full[SHA256_LEN];
	uint8_t zero_last[SHA256_LEN];

	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t next;        /* next chunk to take */
	uint64_t done;        /* bytes hashed */
	unsigned running;     /* workers not yet finished */
	int failed;
	char error[ERR_MSG_MAX];
};

static uint64_t
chunk_len(const struct job *j, uint64_t i)
{
	uint64_t off = i * IMGHASH_CHUNK;

	return j->size - off < IMGHASH_CHUNK ? j->size - off : IMGHASH_CHUNK;
}

/* SHA-256 of len zero bytes, without a buffer of that size. */
static int
zero_digest(uint64_t len, uint8_t out[SHA256_LEN])
{
	static const uint8_t zeros[65536];
	struct sha256 h;

	if (sha256_init(&h) < 0)
		return -1;
	while (len > 0) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);

		sha256_update(&h, zeros, n);
		len -= n;
	}
	sha256_final(&h, out);
	return 0;
}

/* Is [off, off+len) entirely a hole?  Unsure means no. */
static int
is_hole(int fd, uint64_t off, uint64_t len)
{
	off_t data = lseek(fd, (off_t)off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO;
	return (uint64_t)data >= off + len;
}

/*
 * Read and hash a chunk in pieces that stay in the CPU cache between
 * the copy and the hash.
 */
static int
hash_data(int fd, uint8_t *buf, uint64_t off, uint64_t len,
	  uint8_t out[SHA256_LEN])
{
	struct sha256 h;
	uint64_t got = 0;

	if (sha256_init(&h) < 0)
		return -1;
	while (got < len) {
		size_t want = len - got < PIECE ? (size_t)(len - got) : PIECE;
		ssize_t n = pread(fd, buf, want, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sha256_release(&h);
			if (n < 0)
				return err_errno("cannot read at offset %llu",
					(unsigned long long)(off + got));
			return err_set("image shrank below offset %llu",
				       (unsigned long long)(off + got));
		}
		sha256_update(&h, buf, (size_t)n);
		got += (uint64_t)n;
	}
	sha256_final(&h, out);
	return 0;
}

/*
 * A chunk is hashed straight from a read-only mapping of the file when
 * it can be: without the copy into a buffer one thread runs close to
 * the speed of SHA-256 itself.  A file cut short while it is mapped
 * raises SIGBUS on the next access to the lost pages; while any hash is
 * running, a handler turns that into an error for the thread that took
 * it (bus_guard), and leaves every other SIGBUS fatal as before.
 */
static _Thread_local sigjmp_buf *volatile bus_guard;
static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned bus_users;
static struct sigaction bus_saved;

static void
on_sigbus(int sig, siginfo_t *info, void *ctx)
{
	(void)info;
	(void)ctx;
	if (bus_guard)
		siglongjmp(*bus_guard, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
bus_handler_take(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigbus,
			       .sa_flags = SA_SIGINFO};

	pthread_mutex_lock(&bus_lock);
	if (bus_users++ == 0)
		sigaction(SIGBUS, &sa, &bus_saved);
	pthread_mutex_unlock(&bus_lock);
}

static void
bus_handler_drop(void)
{
	pthread_mutex_lock(&bus_lock);
	if (--bus_users == 0)
		sigaction(SIGBUS, &bus_saved, NULL);
	pthread_mutex_unlock(&bus_lock);
}

/* 0 hashed, -1 failed (err_msg() set), 1 cannot map: read it instead. */
static int
hash_mapped(int fd, uint64_t off, uint64_t len, uint8_t out[SHA256_LEN])
{
	sigjmp_buf guard;
	struct sha256 h;
	void *p;

	p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd,
		 (off_t)off);
	if (p == MAP_FAILED)
		return 1;
	if (sha256_init(&h) < 0) {
		munmap(p, (size_t)len);
		return -1;
	}

	if (sigsetjmp(guard, 0)) {
		bus_guard = NULL;
		sha256_release(&h);
		munmap(p, (size_t)len);
		return err_set("image shrank while its chunk at offset %llu "
			       "was hashed",
			       (unsigned long long)off);
	}
	bus_guard = &guard;
	sha256_update(&h, p, (size_t)len);
	bus_guard = NULL;

	munmap(p, (size_t)len);
	sha256_final(&h, out);
	return 0;
}

static int
hash_chunk(struct job *j, uint64_t i, uint8_t *buf)
{
	uint64_t off = i * IMGHASH_CHUNK;
	uint64_t len = chunk_len(j, i);
	uint8_t *out = j->digests + i * SHA256_LEN;
	int last = len < IMGHASH_CHUNK;
	int rc;

	if (is_hole(j->fd, off, len)) {
		memcpy(out, last ? j->zero_last : j->zero_full, SHA256_LEN);
		return 0;
	}
	rc = hash_mapped(j->fd, off, len, out);
	if (rc <= 0)
		return rc;
	return hash_data(j->fd, buf, off, len, out);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	uint8_t *buf = malloc(PIECE);
	uint64_t i, len = 0;
	int rc = buf ? 0 : err_set("out of memory for a chunk buffer");

	for (;;) {
		pthread_mutex_lock(&j->lock);
		j->done += len;
		if (rc < 0 && !j->failed) {
			j->failed = 1;
			snprintf(j->error, sizeof(j->error), "%s", err_msg());
		}
		i = j->next < j->nchunks && !j->failed ? j->next++ : UINT64_MAX;
		pthread_cond_signal(&j->cond);
		pthread_mutex_unlock(&j->lock);
		if (i == UINT64_MAX)
			break;
		rc = hash_chunk(j, i, buf);
		len = chunk_len(j, i);
	}

	free(buf);
	pthread_mutex_lock(&j->lock);
	j->running--;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Wait for the workers, reporting progress from this thread. */
static void
wait_workers(struct job *j, imghash_progress_fn progress, void *arg)
{
	uint64_t done;
	int more, failed;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		done = j->done;
		more = j->running > 0;
		failed = j->failed;
		pthread_mutex_unlock(&j->lock);
		if (progress && !failed)
			progress(done, j->size, arg);
		if (!more)
			break;

		pthread_mutex_lock(&j->lock);
		while (j->running > 0 && j->done == done)
			pthread_cond_wait(&j->cond, &j->lock);
	}
}

static unsigned
thread_count(unsigned want, uint64_t nchunks)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (want == 0)
		want = cores > 0 ? (unsigned)cores : 1;
	if (want > MAX_THREADS)
		want = MAX_THREADS;
	if (want > nchunks)
		want = (unsigned)nchunks;
	return want ? want : 1;
}

static int
run_workers(struct job *j, unsigned n, imghash_progress_fn progress,
	    void *arg)
{
	pthread_t tids[MAX_THREADS];
	unsigned started = 0;

	pthread_mutex_lock(&j->lock);
	for (; started < n; started++) {
		if (pthread_create(&tids[started], NULL, worker, j) != 0)
			break;
		j->running++;
	}
	pthread_mutex_unlock(&j->lock);
	if (started == 0)
		return err_set("cannot start a hashing thread");

	wait_workers(j, progress, arg);
	while (started > 0)
		pthread_join(tids[--started], NULL);
	if (j->failed)
		return err_set("%s", j->error);
	return 0;
}

static int
hash_digests(struct job *j, char hex[65])
{
	uint8_t digest[SHA256_LEN];

	if (sha256_buf(j->digests, (size_t)j->nchunks * SHA256_LEN,
		       digest) < 0)
		return -1;
	sha256_to_hex(digest, hex);
	return 0;
}

int
imghash_fd(int fd, unsigned nthreads, imghash_progress_fn progress,
	   void *arg, char hex[65], uint64_t *size)
{
	struct job j = {.fd = fd};
	struct stat st;
	int rc = -1;

	if (fstat(fd, &st) < 0)
		return err_errno("cannot stat image");
	if (!S_ISREG(st.st_mode))
		return err_set("image is not a regular file");
	j.size = (uint64_t)st.st_size;
	j.nchunks = (j.size + IMGHASH_CHUNK - 1) / IMGHASH_CHUNK;
	if (size)
		*size = j.size;

	j.digests = malloc(j.nchunks ? j.nchunks * SHA256_LEN : 1);
	if (!j.digests)
		return err_set("out of memory for %llu chunk digests",
			       (unsigned long long)j.nchunks);
	if (zero_digest(IMGHASH_CHUNK, j.zero_full) < 0 ||
	    zero_digest(j.size % IMGHASH_CHUNK, j.zero_last) < 0)
		goto out;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	bus_handler_take();
	if (j.nchunks == 0 || run_workers(&j, thread_count(nthreads,
				j.nchunks), progress, arg) == 0)
		rc = hash_digests(&j, hex);
	bus_handler_drop();
	pthread_cond_destroy(&j.cond);
	pthread_mutex_destroy(&j.lock);
out:
	free(j.digests);
	return rc;
}

int
imghash_path(const char *path, imghash_progress_fn progress, void *arg,
	     char hex[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int rc;

	if (fd < 0)
		return err_errno("cannot open '%s'", path);
	rc = imghash_fd(fd, 0, progress, arg, hex, size);
	close(fd);
	if (rc < 0)
		return err_prefix("cannot hash '%s'", path);
	return 0;
}
