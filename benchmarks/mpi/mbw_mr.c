/* mbw_mr.c - multi-pair bandwidth and message rate (OSU's osu_mbw_mr): rank i sends windows
 * to rank i + size/2, every pair at once, each window acknowledged with 4 bytes; the row is
 * the pairs' aggregate MB/s (10^6) and messages per second, over the slowest pair's time. */
#include "bench.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bench b = {.name = "Multiple Bandwidth / Message Rate Test",
			  .column = "MB/s",
			  .kind = BENCH_PAIRS,
			  .even_ranks = true,
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
	int w = b.window, pairs = b.size / 2;
	bool sender = b.rank < pairs;
	int peer = sender ? b.rank + pairs : b.rank - pairs;
	unsigned char *buf = bench_alloc(b.max_size * (size_t)(b.check ? w : 1));
	MPI_Request *req = calloc((size_t)w, sizeof *req);
	MPI_Status *st = calloc((size_t)w, sizeof *st);
	char ack[4] = {0};
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
			if (sender) {
				if (b.check)
					bench_fill(buf, size, i);
				for (int k = 0; k < w; k++)
					MPI_Isend(buf, (int)size, MPI_BYTE, peer, 2, MPI_COMM_WORLD,
						  &req[k]);
				MPI_Waitall(w, req, st);
				MPI_Recv(ack, 4, MPI_BYTE, peer, 3, MPI_COMM_WORLD, &st[0]);
			} else {
				for (int k = 0; k < w; k++)
					MPI_Irecv(buf + (b.check ? (size_t)k * size : 0), (int)size,
						  MPI_BYTE, peer, 2, MPI_COMM_WORLD, &req[k]);
				MPI_Waitall(w, req, st);
				for (int k = 0; b.check && k < w; k++)
					bench_verify(&b, buf + (size_t)k * size, size, i);
				MPI_Send(ack, 4, MPI_BYTE, peer, 3, MPI_COMM_WORLD);
			}
			if (i >= warmup)
				bench_sample(&b, (MPI_Wtime() - t0) * 1e6);
		}
		double mine = MPI_Wtime() - start, slowest;
		MPI_Reduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
		double messages = (double)pairs * w * iters;
		bench_rate_row(&b, size, messages * (double)size / slowest / 1e6,
			       messages / slowest, iters);
	}
	int status = bench_finish(&b);
	free(st);
	free(req);
	free(buf);
	MPI_Finalize();
	return status;
}
