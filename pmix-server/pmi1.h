/* pmi1.h - the PMI-1 wire protocol server (MPICH's "simple" PMI) as a transport-free engine:
 * bytes from a client in, reply lines and collective requests out through an ops table. */
#ifndef CMPI_PMI1_H
#define CMPI_PMI1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The client's line limit (MPICH's PMIU_MAXLINE); a longer line is an error. */
#define PMI1_MAXLINE 1024
#define PMI1_KVSNAME_MAX 256
#define PMI1_KEYLEN_MAX 64
#define PMI1_VALLEN_MAX 1024

struct pmi1_server;
struct pmi1_client;

/* What the job looks like to this agent's PMI-1 clients. */
struct pmi1_job {
	const char *kvsname; /* the job id */
	long size;	     /* ranks in the job */
	const uint32_t *rank_app;    /* [size]: each rank's appnum (MPMD); NULL: all 0 */
	const char *process_mapping; /* "(vector,(0,2,4))"; NULL: none is published */
	const uint32_t *ranks;       /* [nranks]: this agent's ranks, ascending */
	long nranks;
};

/* Callbacks into the agent. `client_ctx` is what pmi1_client_create was given.
 * They run inside pmi1_client_input or pmi1_server_barrier_done and must not
 * free a client or the server; ops->barrier may call pmi1_server_barrier_done. */
struct pmi1_ops {
	/* Send bytes to the client; 0, or -1 to make the engine treat it as gone. */
	int (*send)(void *ctx, void *client_ctx, const char *buf, size_t len);
	/* Every local rank has entered the barrier: contribute `blob` (the puts
	 * made since the last barrier, in the engine's own encoding) to the
	 * job-wide allgather; the agent answers with pmi1_server_barrier_done.
	 * The blob is only valid during the call. Encoding: records of a 2-byte
	 * big-endian key length (1..PMI1_KEYLEN_MAX), the key, a 2-byte value
	 * length (0..PMI1_VALLEN_MAX), the value; no header, so blobs concatenate. */
	void (*barrier)(void *ctx, const void *blob, size_t len);
	/* cmd=abort: end the job with this exit code (1 if the client's was
	 * garbled); `msg` is the client's error_msg, "" when it sent none. */
	void (*abort)(void *ctx, long rank, int code, const char *msg);
	/* A client said cmd=init (with PMI_PORT, after its initack) and, later,
	 * cmd=finalize; each once per client. Lets the agent tell "finished MPI"
	 * from "vanished". */
	void (*initialized)(void *ctx, long rank);
	void (*finalized)(void *ctx, long rank);
	/* The client broke the protocol; the agent closes its connection after
	 * this returns. `why` is one short phrase for an error message, starting
	 * with a verb ("sent a line longer than 1024 bytes"); rank is -1 before
	 * cmd=initack. Not called when ops->send failed. */
	void (*protocol_error)(void *ctx, long rank, const char *why);
};

/* PMI_process_mapping for a job whose rank r runs on node rank_node[r] (of
 * nnodes): malloc'd, or NULL with errno 0 when no form of it fits in a PMI-1
 * value (MPICH then finds its peers by host name), or with errno set when out
 * of memory. */
char *pmi1_process_mapping(const uint32_t *rank_node, uint32_t size, uint32_t nnodes);

struct pmi1_server *pmi1_server_create(const struct pmi1_job *job, const struct pmi1_ops *ops,
				       void *ctx);
/* Also frees every client not freed yet. NULL-safe. */
void pmi1_server_free(struct pmi1_server *srv);

/* A connection from a rank. rank >= 0 for an inherited PMI_FD socket, whose
 * rank is known; -1 for a PMI_PORT connection, which names its rank with
 * `cmd=initack pmiid=N`, N the global rank (PMI_ID), one of this agent's.
 * Returns NULL with errno ENOMEM, EINVAL (rank not this agent's) or EBUSY
 * (rank already connected). */
struct pmi1_client *pmi1_client_create(struct pmi1_server *srv, long rank, void *client_ctx);
/* The connection closed (or the agent closes it): forget the client. Its rank
 * still counts towards the local barrier: a rank gone without cmd=finalize
 * cannot complete one, and the launcher ends such a job. */
void pmi1_client_free(struct pmi1_client *c);

/* Feeds bytes read from the client: partial lines are kept, several lines are
 * handled in order. Returns 0, or -1 when the client broke the protocol (a
 * line over PMI1_MAXLINE bytes counting the newline, an unknown or malformed
 * command, a bad or taken pmiid, a PMI-2 client), after ops->protocol_error,
 * or when ops->send failed; the caller then closes the connection and calls
 * pmi1_client_free.
 *
 * Bad arguments within a known command get an rc=-1 reply instead: a key
 * over PMI1_KEYLEN_MAX or with '=', a value over PMI1_VALLEN_MAX, a foreign
 * kvsname, and a second put of a key (forbidden by the PMI-1 spec and never
 * done by MPICH): `cmd=put_result rc=-1 msg=duplicate_key_<k>`. */
int pmi1_client_input(struct pmi1_client *c, const char *data, size_t len);

/* The client's rank, or -1 while a PMI_PORT client has not named it. */
long pmi1_client_rank(const struct pmi1_client *c);
/* True between cmd=init and cmd=finalize: a connection lost then leaves the
 * others waiting for this rank in their next barrier. */
bool pmi1_client_in_mpi(const struct pmi1_client *c);
/* The rank ended. From now on, and once a client of the rank has said
 * cmd=init, no PMI_PORT connection may claim it: the port takes anyone on
 * the host, who could otherwise speak (and abort) for a rank that is done. */
void pmi1_server_rank_gone(struct pmi1_server *srv, long rank);

/* The allgather for a barrier completed: `data` is every agent's blob
 * concatenated in any order. Stores the puts and sends cmd=barrier_out to
 * every waiting client. With status != 0 (the collective failed, the job is
 * ending) it closes nothing and answers nobody: ops->protocol_error is not
 * called, the agent kills the ranks. Returns -1 on a malformed blob (EINVAL;
 * nothing is stored, nobody is answered) or when no barrier is waiting
 * (EPROTO). A key from another agent that exists here takes the new value. */
int pmi1_server_barrier_done(struct pmi1_server *srv, int status, const void *data, size_t len);

#endif
