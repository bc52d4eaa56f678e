/* ring.c - a token goes LAPS times round the ring, each rank adding its rank; rank 0 checks. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define LAPS 10

int main(int argc, char **argv)
{
	int rank, size, lap;
	long token = 0, want;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	int next = (rank + 1) % size, prev = (rank + size - 1) % size;

	for (lap = 0; lap < LAPS; lap++) {
		if (rank == 0) {
			/* Rank 0 starts each lap; with one rank it sends to itself, so post the
			 * receive first. */
			long out = token;
			MPI_Request req;
			MPI_Irecv(&token, 1, MPI_LONG, prev, lap, MPI_COMM_WORLD, &req);
			MPI_Send(&out, 1, MPI_LONG, next, lap, MPI_COMM_WORLD);
			MPI_Wait(&req, MPI_STATUS_IGNORE);
		} else {
			MPI_Recv(&token, 1, MPI_LONG, prev, lap, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			token += rank;
			MPI_Send(&token, 1, MPI_LONG, next, lap, MPI_COMM_WORLD);
		}
	}
	int status = 0;
	if (rank == 0) {
		want = (long)LAPS * size * (size - 1) / 2;
		if (token == want) {
			printf("ring ok: %d laps, total %ld\n", LAPS, token);
		} else {
			printf("ring FAILED: %d laps, total %ld, expected %ld\n", LAPS, token,
			       want);
			status = 1;
		}
		fflush(stdout);
	}
	MPI_Finalize();
	return status;
}
