/* alltoall.c - MPI_Alltoall latency, SIZE bytes to every rank (OSU's osu_alltoall): each
 * rank's mean over the timed iterations, then the mean (and with -f the min and max) over
 * ranks; -c checks the block each rank got from each other rank. */
#include "bench.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bench b = {.name = "All-to-All Personalized Exchange Latency Test",
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
	size_t n = (size_t)b.size;
	unsigned char *out = bench_alloc(b.max_size * n), *in = bench_alloc(b.max_size * n);
	bench_header(&b);
	for (size_t size = b.min_size ? b.min_size : 1; size <= b.max_size; size *= 2) {
		int iters = bench_iters(&b, size), warmup = bench_warmup(&b, size);
		bench_reset(&b, iters);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warmup + iters; i++) {
			/* The block for rank p carries (sender, p, iteration) in its pattern. */
			for (size_t p = 0; b.check && p < n; p++)
				bench_fill(out + p * size, size,
					   i + 1000 * (b.rank * b.size + (int)p));
			double t0 = MPI_Wtime();
			MPI_Alltoall(out, (int)size, MPI_BYTE, in, (int)size, MPI_BYTE,
				     MPI_COMM_WORLD);
			double us = (MPI_Wtime() - t0) * 1e6;
			for (size_t q = 0; b.check && q < n; q++)
				bench_verify(&b, in + q * size, size,
					     i + 1000 * ((int)q * b.size + b.rank));
			if (i >= warmup)
				bench_sample(&b, us);
		}
		bench_collective_row(&b, size, iters);
	}
	bench_finish(&b);
	free(in);
	free(out);
	MPI_Finalize();
	return 0;
}
