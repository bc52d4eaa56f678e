/* allreduce.c - MPI_Allreduce SUM and MAX of int and double vectors, checked on every rank. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

/* A small vector (eager protocol) and a large one (rendezvous / pipelined paths). */
static const int lengths[] = {1000, 1 << 18};

/* Rank r contributes r + i (ints) and (r + 1) * i (doubles): the sums and maxima are exact. */
static long check(int rank, int size, int n)
{
	int *iv = malloc(n * sizeof *iv), *isum = malloc(n * sizeof *isum),
	    *imax = malloc(n * sizeof *imax);
	double *dv = malloc(n * sizeof *dv), *dsum = malloc(n * sizeof *dsum),
	       *dmax = malloc(n * sizeof *dmax);
	long bad = 0;
	int i;

	if (!iv || !isum || !imax || !dv || !dsum || !dmax) {
		fprintf(stderr, "allreduce: out of memory\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	for (i = 0; i < n; i++) {
		iv[i] = rank + i % 1000;
		dv[i] = (double)(rank + 1) * (i % 1000);
	}
	MPI_Allreduce(iv, isum, n, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	MPI_Allreduce(iv, imax, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	MPI_Allreduce(dv, dsum, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
	MPI_Allreduce(dv, dmax, n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
	for (i = 0; i < n; i++) {
		int k = i % 1000;
		int want_isum = size * k + size * (size - 1) / 2, want_imax = size - 1 + k;
		double want_dsum = (double)size * (size + 1) / 2 * k, want_dmax = (double)size * k;

		if (isum[i] != want_isum || imax[i] != want_imax || dsum[i] != want_dsum ||
		    dmax[i] != want_dmax) {
			if (bad++ < 3)
				fprintf(stderr,
					"allreduce: rank %d n %d element %d: sum %d/%g max %d/%g, "
					"expected %d/%g %d/%g\n",
					rank, n, i, isum[i], dsum[i], imax[i], dmax[i], want_isum,
					want_dsum, want_imax, want_dmax);
		}
	}
	free(iv), free(isum), free(imax), free(dv), free(dsum), free(dmax);
	return bad;
}

int main(int argc, char **argv)
{
	int rank, size;
	long bad = 0, total;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (size_t j = 0; j < sizeof lengths / sizeof lengths[0]; j++)
		bad += check(rank, size, lengths[j]);
	MPI_Allreduce(&bad, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
	if (rank == 0) {
		if (total == 0)
			printf("allreduce ok\n");
		else
			printf("allreduce FAILED: %ld wrong elements\n", total);
		fflush(stdout);
	}
	MPI_Finalize();
	return total == 0 ? 0 : 1;
}
