/* bcast.c - MPI_Bcast latency from rank 0 (OSU's osu_bcast): each rank's mean over the timed
 * iterations, then the mean (and with -f the min and max) over ranks; -c checks every
 * receiver's copy. */
#include "bench.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bench b = {.name = "Broadcast Latency Test",
			  .column = "Avg Latency(us)",
			  .kind = BENCH_COLLECTIVE,
			  .default_min = 1,
			  .default_max = 1u << 20,
			  .iters_small = 1000,
			  .warmup_small = 100,
			  .iters_large = 100,
			  .warmup_large = 10};
	MPI_Init(&argc, &argv);
	if (!bench_init(&b, argc, argv)) {
		MPI_Finalize();
		return 1;
	}
	unsigned char *buf = bench_alloc(b.max_size);
	bench_header(&b);
	for (size_t size = b.min_size ? b.min_size : 1; size <= b.max_size; size *= 2) {
		int iters = bench_iters(&b, size), warmup = bench_warmup(&b, size);
		bench_reset(&b, iters);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warmup + iters; i++) {
			if (b.check && b.rank == 0)
				bench_fill(buf, size, i);
			double t0 = MPI_Wtime();
			MPI_Bcast(buf, (int)size, MPI_BYTE, 0, MPI_COMM_WORLD);
			double us = (MPI_Wtime() - t0) * 1e6;
			if (b.check && b.rank != 0)
				bench_verify(&b, buf, size, i);
			if (i >= warmup)
				bench_sample(&b, us);
		}
		bench_collective_row(&b, size, iters);
	}
	int status = bench_finish(&b);
	free(buf);
	MPI_Finalize();
	return status;
}
