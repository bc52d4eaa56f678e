/* no_init.c - rank 1 leaves while the rest wait for it: it exits 0 before MPI_Init, or before
 * MPI_Finalize (--exit-after-init), or dies of SIGABRT while the rest are in MPI_Init (--abort-before-init). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The rank before MPI_Init, from whichever launcher started us; -1 if none says. */
static int launcher_rank(void)
{
	static const char *const vars[] = {"CMPI_RANK", "PMIX_RANK", "PMI_RANK",
					   "OMPI_COMM_WORLD_RANK"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return atoi(v);
	}
	return -1;
}

int main(int argc, char **argv)
{
	int after_init = argc > 1 && strcmp(argv[1], "--exit-after-init") == 0;
	int abort_first = argc > 1 && strcmp(argv[1], "--abort-before-init") == 0;
	int rank = launcher_rank(), size;

	if (rank == 1 && abort_first) {
		printf("rank 1 calling abort() while the others start MPI\n");
		fflush(stdout);
		struct timespec pause = {0, 200 * 1000 * 1000}; /* the others reach their first fence */
		nanosleep(&pause, NULL);
		abort();
	}
	if (rank == 1 && !after_init) {
		printf("rank 1 exiting 0 without MPI_Init\n");
		return 0;
	}
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	/* Every rank is wired up before rank 1 leaves: otherwise the others may
	 * fail inside MPI_Init, connecting to it, before they could wait for it. */
	MPI_Barrier(MPI_COMM_WORLD);
	if (rank == 1) {
		printf("rank 1 of %d exiting 0 between MPI_Init and MPI_Finalize\n", size);
		fflush(stdout);
		exit(0);
	}
	MPI_Barrier(MPI_COMM_WORLD);
	printf("rank %d of %d passed the barrier without rank 1\n", rank, size);
	MPI_Finalize();
	return 0;
}
