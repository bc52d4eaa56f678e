/* allreduce.c - MPI_Allreduce latency (OSU's osu_allreduce): MPI_INT sums of SIZE bytes, each
 * rank's mean over the timed iterations, then the mean (and with -f the min and max) over
 * ranks. With -c every result element is checked against the sum it must be. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

static int contribution(size_t i, int rank, int iter)
{
	return (int)((i + (size_t)iter) % 1000) + rank;
}

static void check_sum(const struct bench *b, int *sum, size_t count, int iter)
{
	if (b->corrupt && count)
		sum[count / 2] ^= 0x5a;
	for (size_t i = 0; i < count; i++) {
		int expect =
		    b->size * (int)((i + (size_t)iter) % 1000) + b->size * (b->size - 1) / 2;
		if (sum[i] != expect) {
			fprintf(stderr, "DATA VALIDATION ERROR: rank %d, element %zu: %d, not %d\n",
				b->rank, i, sum[i], expect);
			MPI_Abort(MPI_COMM_WORLD, 1);
		}
	}
}

int main(int argc, char **argv)
{
	struct bench b = {.name = "Allreduce Latency Test",
			  .column = "Avg Latency(us)",
			  .kind = BENCH_COLLECTIVE,
			  .size_step = sizeof(int),
			  .default_min = 4,
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
	int *in = bench_alloc(b.max_size), *out = bench_alloc(b.max_size);
	bench_header(&b);
	for (size_t size = b.min_size < 4 ? 4 : b.min_size; size <= b.max_size; size *= 2) {
		size_t count = size / sizeof(int);
		int iters = bench_iters(&b, size), warmup = bench_warmup(&b, size);
		bench_reset(&b, iters);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warmup + iters; i++) {
			if (b.check)
				for (size_t k = 0; k < count; k++)
					in[k] = contribution(k, b.rank, i);
			double t0 = MPI_Wtime();
			MPI_Allreduce(in, out, (int)count, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
			double us = (MPI_Wtime() - t0) * 1e6;
			if (b.check)
				check_sum(&b, out, count, i);
			if (i >= warmup)
				bench_sample(&b, us);
		}
		bench_collective_row(&b, size, iters);
	}
	int status = bench_finish(&b);
	free(out);
	free(in);
	MPI_Finalize();
	return status;
}
