/* exit_after_finalize.c - all ranks finalize and say so, then the last one returns 3. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int rank, size;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Finalize();
	printf("rank %d of %d finalized\n", rank, size);
	fflush(stdout);
	return rank == size - 1 ? 3 : 0;
}
