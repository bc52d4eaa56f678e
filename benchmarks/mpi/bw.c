/* bw.c - point-to-point bandwidth between 2 ranks (OSU's osu_bw): rank 0 sends a window of
 * non-blocking messages, rank 1 receives them and answers with a 4-byte ack; MB = 10^6. With
 * -c every message of a window lands in its own slot and is checked. */
#include "bench.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	struct bench b = {.name = "Bandwidth Test",
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
	int w = b.window;
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
			if (b.rank == 0) {
				if (b.check)
					bench_fill(buf, size, i);
				for (int k = 0; k < w; k++)
					MPI_Isend(buf, (int)size, MPI_BYTE, 1, 2, MPI_COMM_WORLD,
						  &req[k]);
				MPI_Waitall(w, req, st);
				MPI_Recv(ack, 4, MPI_BYTE, 1, 3, MPI_COMM_WORLD, &st[0]);
			} else {
				for (int k = 0; k < w; k++)
					MPI_Irecv(buf + (b.check ? (size_t)k * size : 0), (int)size,
						  MPI_BYTE, 0, 2, MPI_COMM_WORLD, &req[k]);
				MPI_Waitall(w, req, st);
				for (int k = 0; b.check && k < w; k++)
					bench_verify(&b, buf + (size_t)k * size, size, i);
				MPI_Send(ack, 4, MPI_BYTE, 0, 3, MPI_COMM_WORLD);
			}
			if (i >= warmup)
				bench_sample(&b, (MPI_Wtime() - t0) * 1e6);
		}
		double seconds = MPI_Wtime() - start;
		bench_row(&b, size, (double)size * w * iters / seconds / 1e6, 0, 0, iters);
	}
	int status = bench_finish(&b);
	free(st);
	free(req);
	free(buf);
	MPI_Finalize();
	return status;
}
