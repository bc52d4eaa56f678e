/* barrier.c - MPI_Barrier latency (OSU's osu_barrier): each rank's mean over the timed
 * iterations, then the mean (and with -f the min and max) over ranks, in one row of size 0. */
#include "bench.h"

int main(int argc, char **argv)
{
	struct bench b = {.name = "Barrier Latency Test",
			  .column = "Avg Latency(us)",
			  .kind = BENCH_COLLECTIVE,
			  .no_data = true,
			  .default_min = 0,
			  .default_max = 0,
			  .iters_small = 1000,
			  .warmup_small = 100,
			  .iters_large = 1000,
			  .warmup_large = 100};
	MPI_Init(&argc, &argv);
	if (!bench_init(&b, argc, argv)) {
		MPI_Finalize();
		return 1;
	}
	int iters = bench_iters(&b, 0), warmup = bench_warmup(&b, 0);
	bench_reset(&b, iters);
	bench_header(&b);
	MPI_Barrier(MPI_COMM_WORLD);
	for (int i = 0; i < warmup + iters; i++) {
		double t0 = MPI_Wtime();
		MPI_Barrier(MPI_COMM_WORLD);
		double us = (MPI_Wtime() - t0) * 1e6;
		if (i >= warmup)
			bench_sample(&b, us);
	}
	bench_collective_row(&b, 0, iters);
	int status = bench_finish(&b);
	MPI_Finalize();
	return status;
}
