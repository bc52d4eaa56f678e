/* timing.h - when each phase of a job was reached, and each rank's times and end, for
 * --report-timing (a table on stderr) and --report-json FILE. Times are milliseconds on the
 * monotonic clock since the job began (options read). */
#ifndef CMPI_TIMING_H
#define CMPI_TIMING_H

#include <stdint.h>
#include <stdio.h>

enum timing_phase {
	TIMING_SETUP,		 /* the plan made; for --image, the engine asked about the image */
	TIMING_AGENTS_STARTED,	 /* agents forked, or their containers created and started */
	TIMING_AGENTS_CONNECTED, /* the last agent said hello */
	TIMING_RANKS_STARTED,	 /* the last agent forked its ranks */
	TIMING_RANKS_IN_MPI,	 /* the last rank's MPI library connected (in MPI_Init) */
	TIMING_FIRST_FENCE,	 /* the first allgather's result went out (a lone agent
				  * holds PMIx fences itself: not reached then) */
	TIMING_RANKS_EXITED,	 /* the last rank's exit was heard of */
	TIMING_CLEANED_UP,	 /* agents and containers gone */
	TIMING_PHASES
};

struct timing;

struct timing *timing_create(long nranks);
void timing_free(struct timing *t);

/* The first call for a phase counts; later ones are ignored. */
void timing_phase(struct timing *t, enum timing_phase p);
/* ranks[count] of node are forked (their agent said STARTED). */
void timing_ranks_started(struct timing *t, long node, const uint32_t *ranks, long count);
/* The rank's MPI library connected to its agent: once all have, RANKS_IN_MPI. */
void timing_rank_in_mpi(struct timing *t, long rank);
/* The rank ended: how ("exited", "signaled", "not started") and its code. */
void timing_rank_exited(struct timing *t, long rank, const char *how, unsigned code);

/* "phase  ms since start  (+ms since the phase before)"; a phase not reached
 * (no MPI, say) shows "-". Each line starts with "cmpirun: ". */
void timing_print(const struct timing *t, FILE *out);
/* The phases and every rank, with what describes the job; 0, or -1 with errno. */
int timing_write_json(const struct timing *t, const char *path, const char *jobid, long nagents,
		      const char *image, int exit_status);

#endif
