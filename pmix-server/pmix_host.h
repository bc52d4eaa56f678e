/* pmix_host.h - the OpenPMIx server of one agent: libpmix set up for the job, each local
 * rank registered, and libpmix's requests (fence, direct modex, abort) handed to the agent's
 * event loop. */
#ifndef CMPI_PMIX_HOST_H
#define CMPI_PMIX_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "cmpi/msg.h"

struct event_base;
struct pmix_host;

/* What the agent knows of the job (the JOB message). */
struct pmix_host_job {
	const char *jobid;
	long size, node, nnodes;
	char *const *node_names;  /* [nnodes] */
	const uint32_t *rank_node; /* [size]: the node of each rank */
	const uint32_t *rank_app;  /* [size]: the program (appnum) of each rank; apps are
				    * consecutive ranks */
	const uint32_t *ranks;     /* [nranks]: this node's ranks, ascending */
	long nranks;
	/* [nranks]: the hwloc_bitmap_t each local rank is bound to, NULL entries
	 * for unbound ranks; NULL when none is. Ranks learn it as PMIX_CPUSET and
	 * PMIX_LOCALITY_STRING, which Open MPI uses to tell its peers' distance. */
	void *const *cpusets;
	/* The node's hwloc topology (hwloc_topology_t), loaded once by the agent:
	 * libpmix then need not discover it again, and the ranks get it as XML
	 * instead of each reading /sys. NULL: libpmix discovers its own. */
	void *topology;
};

/* Called on the agent's event loop, never on libpmix's thread. A request
 * carries a `pending` handle; the agent answers it exactly once with the
 * matching pmix_host_*_done call, also on a failure. */
struct pmix_host_ops {
	/* Every local rank entered a fence: allgather `data` over all agents. */
	void (*fence)(void *ctx, const void *data, size_t len, void *pending);
	/* A local rank wants rank's data, which lives on another agent. */
	void (*dmodex)(void *ctx, long rank, void *pending);
	/* The answer to pmix_host_dmodex_serve: the data of one of our ranks. */
	void (*dmodex_served)(void *ctx, uint64_t request, int status, const void *data,
			      size_t len);
	void (*abort)(void *ctx, long rank, int status, const char *msg);
	void (*client)(void *ctx, long rank, enum cmpi_client_state state);
	/* A local rank's connection closed before PMIx_Finalize. */
	void (*lost)(void *ctx, long rank);
};

/* Initialises libpmix (once per process) with a private 0700 directory and
 * registers the job. NULL with a message said on failure. */
struct pmix_host *pmix_host_start(struct event_base *base, const struct pmix_host_job *job,
				  const struct pmix_host_ops *ops, void *ctx);
/* Registers a local rank and returns the variables it needs (PMIX_*), a
 * NULL-terminated malloc'd strv, or NULL. */
char **pmix_host_rank_env(struct pmix_host *h, long rank);

/* Answers to ops->fence and ops->dmodex; status 0 is success. */
void pmix_host_fence_done(struct pmix_host *h, void *pending, int status, const void *data,
			  size_t len);
void pmix_host_dmodex_done(struct pmix_host *h, void *pending, int status, const void *data,
			   size_t len);
/* Another agent asks for one of our ranks' data; the answer comes through
 * ops->dmodex_served with `request`. */
void pmix_host_dmodex_serve(struct pmix_host *h, long rank, uint64_t request);

/* Handles what libpmix's thread has queued, now: the agent calls this before
 * it reports a rank's exit, so "finalized" or "aborted" arrives first. */
void pmix_host_poll(struct pmix_host *h);

/* Finalises libpmix and removes the directory; requests not answered yet are
 * dropped and their handles freed. */
void pmix_host_stop(struct pmix_host *h);

#endif
