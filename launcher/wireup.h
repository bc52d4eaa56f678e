/* wireup.h - the launcher's part in wiring up MPI ranks: the allgathers behind PMIx fences
 * and PMI-1 barriers, direct-modex routing, MPI_Abort, and which ranks left MPI improperly. */
#ifndef CMPI_WIREUP_H
#define CMPI_WIREUP_H

#include <stdbool.h>
#include <stdint.h>

#include "cmpi/frame.h"

struct evbuffer;
struct wireup;

struct wireup_ops {
	/* Where frames for node's agent go, or NULL when that agent is gone. */
	struct evbuffer *(*agent_output)(void *ctx, long node);
	/* The job must end: code is its exit status, msg one line saying why. */
	void (*fail)(void *ctx, int code, const char *msg);
	/* For the timing report (either may be NULL): a rank's MPI library
	 * connected; an allgather's result went out. */
	void (*rank_in_mpi)(void *ctx, long rank);
	void (*fence_done)(void *ctx);
};

/* rank_node[nranks] is the plan: the node of each rank (copied). fanout > 0:
 * allgathers go through a tree of the agents with ranks, fanout children each
 * (the star when there are no more agents than fanout). */
struct wireup *wireup_create(long nnodes, long nranks, const uint32_t *rank_node, long fanout,
			     const struct wireup_ops *ops, void *ctx);

/* node's agent is in the tree: its JOB says so (CMPI_JOB_TREE), it answers with
 * TREE_PORT, and once all have, each gets its TREE. */
bool wireup_uses_tree(const struct wireup *w, long node);
void wireup_free(struct wireup *w);

/* True for the frame types handled here. */
bool wireup_handles(unsigned type);
/* Handles one such frame from node's agent; -1 when it breaks the protocol. */
int wireup_frame(struct wireup *w, long node, const struct cmpi_frame_header *hdr,
		 const uint8_t *payload);

/* node's agent is gone: every allgather, now and later, ends with an error
 * instead of waiting for it. */
void wireup_agent_lost(struct wireup *w, long node);

/* A rank exited with status 0. If the job uses MPI and this rank did not
 * finalize, the others would wait for it in their next fence forever: fail. */
void wireup_rank_exited(struct wireup *w, long rank);

#endif
