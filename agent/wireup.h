/* wireup.h - the agent's side of wiring up MPI ranks: the PMIx and PMI-1 servers, each rank's
 * variables, and their allgathers and direct-modex requests over the control channel. */
#ifndef CMPI_AGENT_WIREUP_H
#define CMPI_AGENT_WIREUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmpi/msg.h"

struct event_base;
struct evbuffer;
struct agent_wireup;
struct agent_tree;

/* Starts both servers for the job; frames for the launcher go to ctl, allgathers
 * through tree when there is one (--tree-fanout). The
 * node's hwloc topology (or NULL) and the local ranks' cpusets (hwloc_bitmap_t
 * [job->nranks], NULL entries for unbound ranks; or NULL) stay the caller's
 * and must outlive agent_wireup_stop. NULL (with a message said) when the
 * PMIx server cannot start. */
struct agent_wireup *agent_wireup_start(struct event_base *base, const struct cmpi_msg_job *job,
					struct evbuffer *ctl, struct agent_tree *tree,
					void *topology, void *const *cpusets);
void agent_wireup_stop(struct agent_wireup *w);

/* The variables the rank needs to find both servers and to be accepted by its
 * MPI library (KEY=VALUE strv), and in *pmi_fd the socket end it must inherit. */
char **agent_wireup_rank_env(struct agent_wireup *w, long rank, int *pmi_fd);
/* The rank was forked as pid (0: it could not be): our copy of its socket
 * end goes. */
void agent_wireup_rank_spawned(struct agent_wireup *w, long rank, pid_t pid);

/* Takes everything the rank's MPI library said before it ended (finalize,
 * abort), so that reaches the launcher ahead of the rank's EXIT. */
void agent_wireup_rank_exited(struct agent_wireup *w, long rank);

/* An allgather's result for this node's ranks (from the launcher or the tree);
 * -1 when none of them is waiting for it. */
int agent_wireup_fence_result(struct agent_wireup *w, const struct cmpi_msg_fence *m);

bool agent_wireup_handles(unsigned type);
/* FENCE_OUT, DMODEX_REQ, DMODEX_RESP from the launcher; -1 if malformed. */
int agent_wireup_frame(struct agent_wireup *w, const struct cmpi_frame_header *hdr,
		       const uint8_t *payload);

#endif
