/* fault.c - MODE DIR: every rank enters MPI, writes DIR/ready.R (its pid), then rank 1 fails
 * as MODE says while the others wait for it in MPI_Barrier, as the peers of a failing rank do.
 *
 * MODE: segv (a real invalid store), exit (exit(3)), abort (MPI_Abort 7), wait (rank 1
 * sleeps until someone else ends the job), oom (rank 1 allocates, once DIR/go exists, until
 * the memory cgroup the driver put it in kills it). Rank 1 writes DIR/fault.time (ns of
 * CLOCK_REALTIME) just before it fails itself, so the driver can time the job's end. */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The oom mode's cap, should the cgroup limit be missing: bounded on a shared machine. */
#define OOM_CAP (1024L << 20)
#define OOM_CHUNK (16L << 20)

static const char *dir;

/* Written whole under a temporary name, then renamed: the driver never reads half a file. */
static void put_file(const char *name, long long value)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%lld\n", value) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(99);
	}
}

static void mark_fault(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	put_file("fault.time", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static void wait_for_go(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/go", dir);
	while (access(path, F_OK) != 0)
		usleep(10 * 1000);
}

/* Touches every page so that the memory is charged, not just promised. */
static void hog(void)
{
	for (long total = 0; total < OOM_CAP; total += OOM_CHUNK) {
		char *p = malloc(OOM_CHUNK);
		if (!p)
			break;
		memset(p, 1, OOM_CHUNK);
	}
	fprintf(stderr, "fault: rank 1 allocated %ld MiB and was not killed\n", OOM_CAP >> 20);
	exit(99);
}

static void fail(const char *mode, int rank)
{
	if (strcmp(mode, "segv") == 0) {
		/* Null only at run time: a constant null store may be compiled into a trap. */
		volatile int *p = (volatile int *)(uintptr_t)(rank - 1);
		mark_fault();
		*p = 1;
	} else if (strcmp(mode, "exit") == 0) {
		mark_fault();
		exit(3);
	} else if (strcmp(mode, "abort") == 0) {
		mark_fault();
		MPI_Abort(MPI_COMM_WORLD, 7);
	} else if (strcmp(mode, "oom") == 0) {
		wait_for_go();
		mark_fault();
		hog();
	}
	/* wait, or a segfault that did not happen: someone else ends the job. */
	for (;;)
		sleep(1);
}

int main(int argc, char **argv)
{
	int rank, size;
	char name[32];

	if (argc != 3) {
		fprintf(stderr, "usage: fault segv|exit|abort|wait|oom DIR\n");
		return 2;
	}
	dir = argv[2];
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Barrier(MPI_COMM_WORLD); /* every rank is in MPI before any fails */
	snprintf(name, sizeof name, "ready.%d", rank);
	put_file(name, (long long)getpid());
	if (rank == 1 % size)
		fail(argv[1], rank);
	MPI_Barrier(MPI_COMM_WORLD);
	printf("rank %d of %d passed the barrier: the fault did not end the job\n", rank, size);
	MPI_Finalize();
	return 0;
}
