/* alltoall.c - MPI_Alltoall latency, SIZE bytes to every rank (OSU's osu_alltoall): each
 * rank's mean over the timed iterations, then the mean (and with -f the min and max) over
 * ranks; -c checks the block each rank got from each other rank. */
#include "bench.h"

#include <stdlib.h>

static uint64_t block_seed(int iter, int sender, size_t receiver, size_t ranks)
{
	return ((uint64_t)iter * ranks + (uint64_t)sender) * ranks + receiver;
}

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
			/* The block for rank p carries (iteration, sender, p) in its seed. */
			for (size_t p = 0; b.check && p < n; p++)
				bench_fill(out + p * size, size, block_seed(i, b.rank, p, n));
			double t0 = MPI_Wtime();
			MPI_Alltoall(out, (int)size, MPI_BYTE, in, (int)size, MPI_BYTE,
				     MPI_COMM_WORLD);
			double us = (MPI_Wtime() - t0) * 1e6;
			for (size_t q = 0; b.check && q < n; q++)
				bench_verify(&b, in + q * size, size,
					     block_seed(i, (int)q, (size_t)b.rank, n));
			if (i >= warmup)
				bench_sample(&b, us);
		}
		bench_collective_row(&b, size, iters);
	}
	int status = bench_finish(&b);
	free(in);
	free(out);
	MPI_Finalize();
	return status;
}
