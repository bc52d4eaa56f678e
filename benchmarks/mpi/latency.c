/* latency.c - point-to-point latency between 2 ranks: half the round trip of a blocking
 * MPI_Send/MPI_Recv ping-pong, averaged over the timed iterations (OSU's osu_latency). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bench b = {.name = "Latency Test",
			  .column = "Latency (us)",
			  .kind = BENCH_PT2PT,
			  .exact_ranks = 2,
			  .default_min = 0,
			  .default_max = 4u << 20,
			  .iters_small = 10000,
			  .warmup_small = 100,
			  .iters_large = 1000,
			  .warmup_large = 10};
	MPI_Init(&argc, &argv);
	if (!bench_init(&b, argc, argv)) {
		MPI_Finalize();
		return 1;
	}
	unsigned char *buf = bench_alloc(b.max_size);
	int peer = 1 - b.rank;
	bench_header(&b);
	for (size_t size = b.min_size; size <= b.max_size; size = size ? 2 * size : 1) {
		int iters = bench_iters(&b, size), warmup = bench_warmup(&b, size);
		bench_reset(&b, iters);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warmup + iters; i++) {
			double t0 = MPI_Wtime();
			if (b.rank == 0) {
				if (b.check)
					bench_fill(buf, size, i);
				MPI_Send(buf, (int)size, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
				MPI_Recv(buf, (int)size, MPI_BYTE, peer, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
			} else {
				MPI_Recv(buf, (int)size, MPI_BYTE, peer, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				if (b.check)
					bench_verify(&b, buf, size, i);
				MPI_Send(buf, (int)size, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
			}
			double us = (MPI_Wtime() - t0) * 1e6 / 2;
			if (i >= warmup)
				bench_sample(&b, us);
		}
		/* The last echo came back whole. */
		if (b.check && b.rank == 0)
			bench_verify(&b, buf, size, warmup + iters - 1);
		bench_row(&b, size, bench_mean(&b), 0, 0, iters);
	}
	int status = bench_finish(&b);
	free(buf);
	MPI_Finalize();
	return status;
}
