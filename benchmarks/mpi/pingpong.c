/* pingpong.c - latency and bandwidth between two ranks, in the layout OSU users read:
 *   latency: half the round trip of a blocking send/recv ping-pong, averaged;
 *   bandwidth: a window of 64 non-blocking sends, then a 4-byte ack, MB = 10^6 bytes.
 * Sizes double from 1 byte to -m (default 4 MiB); messages above 8 KiB use fewer
 * iterations. -c fills every message with a pattern of size and iteration and checks it
 * after each receive, inside the timed loops: figures taken with -c are for correctness,
 * not for comparison. Exactly two ranks. Written for the containers benchmark; the full suite comes
 * with the benchmark issue. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LARGE 8192
#define WINDOW 64

struct config {
	size_t max_size;
	int iters, warmup, iters_large, warmup_large;
	int check;
};

static void fill(unsigned char *buf, size_t size, int iter)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)(7 * (i + 1) + size + (size_t)iter);
}

static int verify(const unsigned char *buf, size_t size, int iter)
{
	for (size_t i = 0; i < size; i++)
		if (buf[i] != (unsigned char)(7 * (i + 1) + size + (size_t)iter))
			return -1;
	return 0;
}

static void fail_validation(int rank, size_t size)
{
	fprintf(stderr, "DATA VALIDATION ERROR: rank %d, message size %zu\n", rank, size);
	MPI_Abort(MPI_COMM_WORLD, 1);
}

/* Mean half round trip in microseconds. */
static double latency(const struct config *c, int rank, unsigned char *buf, size_t size)
{
	int iters = size > LARGE ? c->iters_large : c->iters;
	int warmup = size > LARGE ? c->warmup_large : c->warmup;
	double start = 0;
	for (int i = 0; i < warmup + iters; i++) {
		if (i == warmup) {
			MPI_Barrier(MPI_COMM_WORLD);
			start = MPI_Wtime();
		}
		if (rank == 0) {
			if (c->check)
				fill(buf, size, i);
			MPI_Send(buf, (int)size, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
			MPI_Recv(buf, (int)size, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else {
			MPI_Recv(buf, (int)size, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			if (c->check && verify(buf, size, i) < 0)
				fail_validation(rank, size);
			MPI_Send(buf, (int)size, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
		}
	}
	return (MPI_Wtime() - start) * 1e6 / (2.0 * iters);
}

/* MB/s (10^6 bytes) of windows of WINDOW messages, each window acknowledged. */
static double bandwidth(const struct config *c, int rank, unsigned char *buf, size_t size)
{
	int iters = size > LARGE ? c->iters_large / 50 : c->iters / 100;
	int warmup = size > LARGE ? 2 : 10;
	MPI_Request req[WINDOW];
	MPI_Status status[WINDOW];
	char ack[4] = {0};
	double start = 0;
	iters = iters > 0 ? iters : 1;
	for (int i = 0; i < warmup + iters; i++) {
		if (i == warmup) {
			MPI_Barrier(MPI_COMM_WORLD);
			start = MPI_Wtime();
		}
		if (rank == 0) {
			if (c->check)
				fill(buf, size, i);
			for (int w = 0; w < WINDOW; w++)
				MPI_Isend(buf, (int)size, MPI_BYTE, 1, 2, MPI_COMM_WORLD, &req[w]);
			MPI_Waitall(WINDOW, req, status);
			MPI_Recv(ack, 4, MPI_BYTE, 1, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else {
			/* Each message of the window lands in its own slot, so that -c
			 * checks every one of them. */
			for (int w = 0; w < WINDOW; w++)
				MPI_Irecv(buf + (c->check ? (size_t)w * size : 0), (int)size,
					  MPI_BYTE, 0, 2, MPI_COMM_WORLD, &req[w]);
			MPI_Waitall(WINDOW, req, status);
			for (int w = 0; c->check && w < WINDOW; w++)
				if (verify(buf + (size_t)w * size, size, i) < 0)
					fail_validation(rank, size);
			MPI_Send(ack, 4, MPI_BYTE, 0, 3, MPI_COMM_WORLD);
		}
	}
	double seconds = MPI_Wtime() - start;
	return (double)size * WINDOW * iters / seconds / 1e6;
}

static int usage(int rank)
{
	if (rank == 0)
		fprintf(stderr,
			"usage: pingpong [-m MAX_BYTES] [-i ITERATIONS] [-c]\n"
			"  -m  largest message (default 4194304); sizes double from 1\n"
			"  -i  iterations for messages up to 8 KiB (default 10000; 1000 above)\n"
			"  -c  check every message's contents\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct config c = {.max_size = 4u << 20,
			   .iters = 10000,
			   .warmup = 100,
			   .iters_large = 1000,
			   .warmup_large = 10};
	int rank, size, opt;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	while ((opt = getopt(argc, argv, "m:i:c")) != -1) {
		if (opt == 'm') {
			c.max_size = strtoul(optarg, NULL, 10);
		} else if (opt == 'i') {
			c.iters = atoi(optarg);
			c.iters_large = c.iters / 10 > 0 ? c.iters / 10 : 1;
		} else if (opt == 'c') {
			c.check = 1;
		} else {
			MPI_Finalize();
			return usage(rank);
		}
	}
	if (size != 2 || c.max_size == 0 || c.iters <= 0) {
		if (rank == 0 && size != 2)
			fprintf(stderr, "pingpong: needs exactly 2 ranks, not %d\n", size);
		MPI_Finalize();
		return size != 2 ? 1 : usage(rank);
	}
	/* The bandwidth receiver keeps a window of messages apart under -c. */
	unsigned char *buf = malloc(c.max_size * (c.check ? WINDOW : 1));
	if (!buf) {
		fprintf(stderr, "pingpong: out of memory\n");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	memset(buf, 0, c.max_size);
	char lib[MPI_MAX_LIBRARY_VERSION_STRING];
	int len;
	MPI_Get_library_version(lib, &len);
	lib[strcspn(lib, "\n")] = '\0';

	if (rank == 0)
		printf("# cmpirun MPI Latency Test (%s)\n# Size          Latency (us)\n", lib);
	for (size_t s = 1; s <= c.max_size; s *= 2) {
		double us = latency(&c, rank, buf, s);
		if (rank == 0)
			printf("%-10zu%18.2f\n", s, us);
	}
	if (rank == 0)
		printf("# cmpirun MPI Bandwidth Test (window %d)\n# Size      Bandwidth (MB/s)\n",
		       WINDOW);
	for (size_t s = 1; s <= c.max_size; s *= 2) {
		double mbs = bandwidth(&c, rank, buf, s);
		if (rank == 0)
			printf("%-10zu%18.2f\n", s, mbs);
	}
	fflush(stdout);
	free(buf);
	MPI_Finalize();
	return 0;
}
