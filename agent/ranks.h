/* ranks.h - start ranks: their environment, pipes, process group, the start gate and exec. */
#ifndef CMPI_RANKS_H
#define CMPI_RANKS_H

#include <hwloc.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cmpi/msg.h"

struct event;

struct rank_proc {
	long rank;
	pid_t pid;        /* also its process group; 0 once reaped */
	int out_fd;       /* read ends of its stdout and stderr pipes, -1 when closed */
	int err_fd;
	int report_fd;    /* EOF once it has exec'd, or why it could not; -1 when read */
	struct event *out_ev;
	struct event *err_ev;
	void *owner;      /* the agent, for event callbacks */
};

/* The rank's environment: base (the agent's own) with job->env, the CMPI_*
 * variables and `wireup` (the MPI servers' variables; may be NULL) laid over
 * it. Returns a malloc'd array to free with cmpi_strv_free. */
char **rank_environment(char *const *base, const struct cmpi_msg_job *job, long rank,
			char *const *wireup);

/* Ranks start in two steps, so that the agent forks them all before any of
 * them runs: ranks already busy in MPI_Init took the CPU from the forks still
 * to come (64 ranks on 2 CPUs: 0.8 s of the launch). Each child waits at the
 * gate, a pipe, until the agent closes its write end. */
struct rank_gate {
	int rd, wr; /* -1 when there is no gate: children exec at once */
};

int rank_gate_open(struct rank_gate *g);
void rank_gate_release(struct rank_gate *g); /* every waiting child goes on to exec */

/* Forks the rank (its program is r->rank's app) with stdin from stdin_fd
 * (-1: /dev/null); it also inherits keep_fd (its PMI_FD; -1: none), is bound
 * to cpuset (NULL: not bound) and waits at the gate before exec. Returns 0
 * with r->pid set, or -1 with *how = CMPI_EXIT_SPAWN_FAILED and *err. */
int rank_fork(struct rank_proc *r, const struct cmpi_msg_job *job, char **envp, int stdin_fd,
	      int keep_fd, hwloc_const_bitmap_t cpuset, const struct rank_gate *gate, int *how,
	      int *err);
/* After the gate: 0 when the rank's program runs, or -1 with *how
 * (CMPI_EXIT_EXEC_FAILED, CMPI_EXIT_CHDIR_FAILED, CMPI_EXIT_BIND_FAILED or
 * CMPI_EXIT_SPAWN_FAILED) and
 * *err when it could not start; the child is reaped and r->pid is 0 then. */
int rank_exec_result(struct rank_proc *r, int *how, int *err);

#endif
