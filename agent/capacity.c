/* capacity.c - whether this node can hold the ranks it is asked for at all. A job asking for
 * far more than the machine has (-n 60000 on one host) is refused before the first fork,
 * rather than forking until processes, descriptors or memory run out. */
#include "capacity.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Each rank holds 5 descriptors in the agent while ranks start (stdout, stderr, exec
 * report, both ends of its PMI-1 socketpair); the rest is the agent's own. */
#define FDS_PER_RANK 5
#define FDS_OWN 64

/* The least a started rank costs: a forked copy of the agent waiting at the gate, then
 * the smallest program. An MPI rank costs ten times more; this only stops absurd counts. */
#define BYTES_PER_RANK (4L << 20)

static long mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib < 0 ? -1 : kib * 1024;
}

int rank_capacity_check(long nranks, char *why, size_t len)
{
	struct rlimit rl;

	/* Descriptors: raise the soft limit as far as allowed first, as launchers do. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY &&
		    (rlim_t)nranks * FDS_PER_RANK + FDS_OWN > rl.rlim_cur) {
			snprintf(why, len,
				 "%ld ranks on one node need %ld file descriptors and the limit is %llu "
				 "(ulimit -n)",
				 nranks, nranks * FDS_PER_RANK + FDS_OWN, (unsigned long long)rl.rlim_cur);
			return -1;
		}
	}
	/* Processes: root is not held to RLIMIT_NPROC. */
	if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)nranks > rl.rlim_cur) {
		snprintf(why, len, "%ld ranks on one node are more processes than the limit, %llu "
				   "(ulimit -u)",
			 nranks, (unsigned long long)rl.rlim_cur);
		return -1;
	}
	long avail = mem_available();
	if (avail > 0 && nranks > avail / BYTES_PER_RANK) {
		snprintf(why, len,
			 "%ld ranks on one node need at least %ld MiB (4 MiB each) and it has %ld MiB "
			 "available",
			 nranks, nranks * (BYTES_PER_RANK >> 20), avail >> 20);
		return -1;
	}
	return 0;
}
