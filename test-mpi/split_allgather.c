/* split_allgather.c - split by parity, 64 KiB-per-rank MPI_Allgather on both comms, checked. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS (64 * 1024 / 4) /* 64 KiB per rank */

/* Word w of world rank r's block: distinct per rank and per position. */
static uint32_t word(int r, int w)
{
	return (uint32_t)r * 2654435761u ^ (uint32_t)w;
}

/* Allgathers world rank `me`'s block over comm, whose rank k is world rank first + k * stride. */
static long gather_check(MPI_Comm comm, int me, int first, int stride)
{
	int n, k, w;
	long bad = 0;

	MPI_Comm_size(comm, &n);
	uint32_t *mine = malloc(WORDS * sizeof *mine),
		 *all = malloc((size_t)n * WORDS * sizeof *all);
	if (!mine || !all) {
		fprintf(stderr, "split_allgather: out of memory\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	for (w = 0; w < WORDS; w++)
		mine[w] = word(me, w);
	MPI_Allgather(mine, WORDS, MPI_UINT32_T, all, WORDS, MPI_UINT32_T, comm);
	for (k = 0; k < n; k++) {
		for (w = 0; w < WORDS; w++) {
			if (all[(size_t)k * WORDS + w] != word(first + k * stride, w)) {
				if (bad++ < 3)
					fprintf(stderr,
						"split_allgather: rank %d: block %d word %d is "
						"%#x, expected %#x\n",
						me, k, w, all[(size_t)k * WORDS + w],
						word(first + k * stride, w));
			}
		}
	}
	free(mine);
	free(all);
	return bad;
}

int main(int argc, char **argv)
{
	int rank, size, sub_rank, sub_size;
	long bad = 0, total;
	MPI_Comm half;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
	MPI_Comm_rank(half, &sub_rank);
	MPI_Comm_size(half, &sub_size);
	if (sub_rank != rank / 2 || sub_size != (size - rank % 2 + 1) / 2) {
		fprintf(stderr,
			"split_allgather: rank %d is %d of %d in its half, expected %d of %d\n",
			rank, sub_rank, sub_size, rank / 2, (size - rank % 2 + 1) / 2);
		bad++;
	}
	bad += gather_check(MPI_COMM_WORLD, rank, 0, 1);
	bad += gather_check(half, rank, rank % 2, 2);
	MPI_Comm_free(&half);
	MPI_Allreduce(&bad, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
	if (rank == 0) {
		if (total == 0)
			printf("split_allgather ok\n");
		else
			printf("split_allgather FAILED: %ld errors\n", total);
		fflush(stdout);
	}
	MPI_Finalize();
	return total == 0 ? 0 : 1;
}
