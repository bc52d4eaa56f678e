/* placement.c - what a rank sees of the launch: its program's number (MPI_APPNUM), its
 * node (CMPI_NODE), its CPU affinity after MPI_Init (an MPI library that rebinds shows
 * here), and that one allreduce over the whole job adds up. Prints
 * "rank R of S app A tag T node N cpus LIST sum OK|BAD". */
#define _GNU_SOURCE
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "0-1,3": the CPUs of set as ranges. */
static void cpu_list(const cpu_set_t *set, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && used < len; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int end = c;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
			end++;
		used += (size_t)snprintf(out + used, len - used, used ? ",%d" : "%d", c);
		if (end > c && used < len)
			used += (size_t)snprintf(out + used, len - used, "-%d", end);
		c = end;
	}
}

int main(int argc, char **argv)
{
	int rank, size, flag, *appnum = NULL;
	long sum = 0, mine;
	cpu_set_t set;
	char cpus[256] = "?";

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_APPNUM, &appnum, &flag);
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		cpu_list(&set, cpus, sizeof cpus);
	mine = rank + 1;
	MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
	printf("rank %d of %d app %d tag %s node %s cpus %s sum %s\n", rank, size,
	       flag ? *appnum : -1, argc > 1 ? argv[1] : "-", getenv("CMPI_NODE"), cpus,
	       sum == (long)size * (size + 1) / 2 ? "OK" : "BAD");
	fflush(stdout);
	MPI_Finalize();
	return 0;
}
