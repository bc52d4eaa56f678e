/* ranks.h - start one rank: its environment, pipes, process group and exec. */
#ifndef CMPI_RANKS_H
#define CMPI_RANKS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cmpi/msg.h"

struct event;

struct rank_proc {
	long rank;
	pid_t pid;        /* also its process group; 0 once reaped */
	int out_fd;       /* read ends of its stdout and stderr pipes, -1 when closed */
	int err_fd;
	struct event *out_ev;
	struct event *err_ev;
	void *owner;      /* the agent, for event callbacks */
};

/* The rank's environment: base (the agent's own) with job->env, the CMPI_*
 * variables and `wireup` (the MPI servers' variables; may be NULL) laid over
 * it. Returns a malloc'd array to free with cmpi_strv_free. */
char **rank_environment(char *const *base, const struct cmpi_msg_job *job, long rank,
			char *const *wireup);

/* Forks and execs the rank with stdin from stdin_fd (-1: /dev/null); the rank
 * also inherits keep_fd (its PMI_FD; -1: none). Returns 0
 * when the program is running, or -1 with *how (CMPI_EXIT_EXEC_FAILED,
 * CMPI_EXIT_CHDIR_FAILED or CMPI_EXIT_SPAWN_FAILED) and *err (the errno) when
 * it could not start; the failed child is already reaped then. */
int rank_spawn(struct rank_proc *r, const struct cmpi_msg_job *job, char **envp, int stdin_fd,
	       int keep_fd, int *how, int *err);

#endif
