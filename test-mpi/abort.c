/* abort.c - rank 1 calls MPI_Abort(MPI_COMM_WORLD, 7), the rest wait in a barrier: exit 7. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int rank, size;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (rank == (size > 1 ? 1 : 0)) {
		/* On stdout, so that the driver's check for "abort" on stderr sees only the
		 * library's or launcher's words. */
		printf("rank %d of %d calling MPI_Abort with 7\n", rank, size);
		fflush(stdout);
		MPI_Abort(MPI_COMM_WORLD, 7);
	}
	MPI_Barrier(MPI_COMM_WORLD);
	printf("rank %d passed the barrier: MPI_Abort did not end the job\n", rank);
	MPI_Finalize();
	return 0;
}
