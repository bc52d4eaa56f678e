/* bibw.c - bidirectional bandwidth between 2 ranks (OSU's osu_bibw): both ranks post a
 * window of receives and send a window at once; the bytes of both directions count. */
#include "bench.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bench b = {.name = "Bi-Directional Bandwidth Test",
			  .column = "Bandwidth (MB/s)",
			  .kind = BENCH_PT2PT,
			  .exact_ranks = 2,
			  .default_min = 1,
			  .default_max = 4u << 20,
			  .iters_small = 100,
			  .warmup_small = 10,
			  .iters_large = 20,
			  .warmup_large = 2};
	MPI_Init(&argc, &argv);
	if (!bench_init(&b, argc, argv)) {
		MPI_Finalize();
		return 1;
	}
	int w = b.window, peer = 1 - b.rank;
	size_t slots = (size_t)(b.check ? w : 1);
	unsigned char *out = bench_alloc(b.max_size), *in = bench_alloc(b.max_size * slots);
	MPI_Request *req = calloc(2 * (size_t)w, sizeof *req);
	MPI_Status *st = calloc(2 * (size_t)w, sizeof *st);
	bench_header(&b);
	for (size_t size = b.min_size ? b.min_size : 1; size <= b.max_size; size *= 2) {
		int iters = bench_iters(&b, size), warmup = bench_warmup(&b, size);
		double start = 0;
		bench_reset(&b, iters);
		MPI_Barrier(MPI_COMM_WORLD);
		for (int i = 0; i < warmup + iters; i++) {
			double t0 = MPI_Wtime();
			if (i == warmup)
				start = t0;
			if (b.check)
				bench_fill(out, size, i);
			for (int k = 0; k < w; k++)
				MPI_Irecv(in + (b.check ? (size_t)k * size : 0), (int)size,
					  MPI_BYTE, peer, 2, MPI_COMM_WORLD, &req[k]);
			for (int k = 0; k < w; k++)
				MPI_Isend(out, (int)size, MPI_BYTE, peer, 2, MPI_COMM_WORLD,
					  &req[w + k]);
			MPI_Waitall(2 * w, req, st);
			for (int k = 0; b.check && k < w; k++)
				bench_verify(&b, in + (size_t)k * size, size, i);
			if (i >= warmup)
				bench_sample(&b, (MPI_Wtime() - t0) * 1e6);
		}
		double seconds = MPI_Wtime() - start;
		bench_row(&b, size, 2.0 * (double)size * w * iters / seconds / 1e6, 0, 0, iters);
	}
	int status = bench_finish(&b);
	free(st);
	free(req);
	free(in);
	free(out);
	MPI_Finalize();
	return status;
}
