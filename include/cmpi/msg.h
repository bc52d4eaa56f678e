/* msg.h - the control messages: what each frame type carries, encoders and decoders. */
#ifndef CMPI_MSG_H
#define CMPI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmpi/frame.h"

struct evbuffer;

struct cmpi_msg_hello {
	uint8_t token[CMPI_TOKEN_SIZE];
	uint32_t node;
	uint32_t pid;
};

/* A JOB larger than this is malformed: the decoder allocates per rank. */
#define CMPI_JOB_MAX_SIZE (1u << 20)
/* The largest enum cmpi_map_by and cmpi_bind_to values a JOB may carry. */
#define CMPI_JOB_MAP_MAX 4
#define CMPI_JOB_BIND_MAX 3

/* JOB flags */
#define CMPI_JOB_STDIN_TO_RANK0 0x1u /* STDIN frames will follow for rank 0 */
#define CMPI_JOB_PMI_PORT 0x2u       /* also serve PMI-1 on a loopback port (--pmi-port) */
#define CMPI_JOB_TREE 0x4u           /* allgathers go through a tree of agents: listen for
				      * children, say where (TREE_PORT), wait for TREE */

/* One program of the job (MPMD has several); its ranks are consecutive. */
struct cmpi_msg_app {
	uint32_t first_rank, nranks;
	char *cwd;   /* "": where the agent was started */
	char **argv; /* the program and its arguments */
	char **env;  /* KEY=VALUE for its ranks, over the job's */
};

/* How an agent places its ranks on its cores (enum cmpi_map_by, cmpi_bind_to
 * of cmpi/placement.h). */
struct cmpi_msg_placement {
	uint8_t map_by, bind_to;
	uint8_t overload;        /* more ranks than cores may share them */
	uint8_t report;          /* --report-bindings */
	uint32_t pe;             /* cores per rank */
	uint32_t first_slot;     /* ranks of this machine placed by earlier agents */
};

struct cmpi_msg_job {
	char *jobid;
	uint32_t size;       /* ranks in the job */
	uint32_t node;       /* this agent's node index */
	uint32_t nnodes;
	uint32_t flags;
	char **env;          /* KEY=VALUE added to the agent's own environment */
	char **node_names;   /* [nnodes]: the host name each node has in the MPI job maps */
	uint32_t napps;
	struct cmpi_msg_app *apps;    /* [napps], covering ranks 0..size-1 in order */
	uint32_t *rank_node;          /* [size]: the node of each rank (sent as runs) */
	struct cmpi_msg_placement placement;
	/* Derived by the decoder, not sent: this node's ranks, ascending. */
	uint32_t nranks;
	uint32_t *ranks;
};

/* The index of rank among this node's ranks, or -1 when another node runs it. */
long cmpi_msg_job_local_index(const struct cmpi_msg_job *m, uint32_t rank);
/* The program that rank runs; rank < m->size. */
const struct cmpi_msg_app *cmpi_msg_job_app(const struct cmpi_msg_job *m, uint32_t rank);

enum cmpi_stream { CMPI_STREAM_STDOUT = 1, CMPI_STREAM_STDERR = 2 };

struct cmpi_msg_stdio {
	uint32_t rank;
	uint8_t stream;
	const uint8_t *data; /* points into the frame */
	size_t len;
};

enum cmpi_exit_how {
	CMPI_EXIT_EXITED = 1,      /* code = exit status */
	CMPI_EXIT_SIGNALED,        /* code = signal number */
	CMPI_EXIT_EXEC_FAILED,     /* code = errno of execvp */
	CMPI_EXIT_CHDIR_FAILED,    /* code = errno of chdir */
	CMPI_EXIT_SPAWN_FAILED,    /* code = errno of pipe, fork or dup2: a resource limit */
	CMPI_EXIT_WIREUP_FAILED,   /* code = errno: PMIx or PMI-1 could not be set up for it */
	CMPI_EXIT_BIND_FAILED,     /* code = errno: --bind-to could not be done (the agent's
				    * LOG line before says why) */
	CMPI_EXIT_REFUSED,         /* code = errno: the node cannot hold its ranks; the
				    * agent's LOG line before says why */
	CMPI_EXIT_HOW_END
};

struct cmpi_msg_exit {
	uint32_t rank;
	uint32_t pid;
	uint8_t how;
	uint32_t code;
};

/* The launcher keeps at most a window of unacknowledged stdin bytes in flight,
 * so a rank 0 that does not read cannot make the agent buffer without end. */
struct cmpi_msg_stdin_ack {
	uint32_t bytes; /* taken by rank 0's stdin pipe, or dropped */
	uint8_t closed; /* rank 0 no longer reads: stop sending */
};

struct cmpi_msg_kill {
	uint32_t signal;
	uint32_t escalate_ms; /* SIGKILL what is left after this long; 0 = never */
};

/* Two collectives use the control channel; each agent numbers its own of
 * each kind 0, 1, 2, ... and every agent takes part in every one, so (kind,
 * seq) names the same collective everywhere. */
enum cmpi_fence_kind { CMPI_FENCE_PMIX = 1, CMPI_FENCE_PMI1, CMPI_FENCE_KIND_END };

struct cmpi_msg_fence {
	uint8_t kind;
	uint32_t seq;
	uint32_t status;     /* FENCE_OUT only: 0, or the collective failed */
	const uint8_t *data; /* points into the frame */
	size_t len;
};

/* Direct modex: an agent asks for one rank's data from the agent that runs it.
 * `node` is the asking agent; agents send 0 and the launcher fills it in. */
struct cmpi_msg_dmodex {
	uint32_t node;
	uint32_t id;         /* the asker's request number */
	uint32_t rank;       /* REQ only */
	uint32_t status;     /* RESP only: 0, or the data cannot be had */
	const uint8_t *data; /* RESP only; points into the frame */
	size_t len;
};

enum cmpi_abort_reason {
	CMPI_ABORT_CALLED = 1, /* the rank called MPI_Abort (PMIx_Abort, cmd=abort) */
	CMPI_ABORT_PROTOCOL,   /* the rank's MPI library broke the wire protocol */
	CMPI_ABORT_AGENT,      /* the agent of the rank's node cannot go on (the message says
				* why); the rank is one of that node's */
	CMPI_ABORT_REASON_END
};

struct cmpi_msg_abort {
	uint32_t rank;
	uint8_t reason;
	uint32_t status;  /* the job's exit status */
	char *message;    /* malloc'd; may be empty */
};

enum cmpi_client_state {
	CMPI_CLIENT_PMIX = 1, /* connected to the PMIx server (Open MPI) */
	CMPI_CLIENT_PMI1,     /* said cmd=init to the PMI-1 server (MPICH) */
	CMPI_CLIENT_FINALIZED,
	CMPI_CLIENT_STATE_END
};

struct cmpi_msg_client {
	uint32_t rank;
	uint8_t state;
};

/* An agent's place in the allgather tree. Its parent is the launcher when
 * parent is "" (its parts go up the control connection), otherwise the agent
 * listening at parent ("HOST:PORT", numeric). Its children connect to it and
 * say HELLO with the job's token, then send FENCE_IN; they get FENCE_OUT. */
#define CMPI_TREE_MAX_CHILDREN 1024
struct cmpi_msg_tree {
	char *parent;       /* malloc'd by the decoder */
	uint32_t nchildren;
	uint32_t *children; /* [nchildren] node indexes; malloc'd by the decoder */
};

/* Encoders append one whole frame (header and payload) to out; 0 or -1. */
int cmpi_msg_hello_write(struct evbuffer *out, const struct cmpi_msg_hello *m);
int cmpi_msg_job_write(struct evbuffer *out, const struct cmpi_msg_job *m);
int cmpi_msg_stdio_write(struct evbuffer *out, uint32_t rank, uint8_t stream, const void *data,
			 size_t len);
int cmpi_msg_stdin_write(struct evbuffer *out, const void *data, size_t len);
/* The payload is one line, newline included, at most CMPI_LOG_MAX bytes
 * (messages are built in a 2 KiB buffer, see util.c). */
#define CMPI_LOG_MAX 4096
int cmpi_msg_log_write(struct evbuffer *out, const char *line, size_t len);
int cmpi_msg_exit_write(struct evbuffer *out, const struct cmpi_msg_exit *m);
int cmpi_msg_kill_write(struct evbuffer *out, const struct cmpi_msg_kill *m);
int cmpi_msg_bye_write(struct evbuffer *out);
int cmpi_msg_started_write(struct evbuffer *out);
int cmpi_msg_stdin_ack_write(struct evbuffer *out, const struct cmpi_msg_stdin_ack *m);
/* type is CMPI_MSG_FENCE_IN (status not sent) or CMPI_MSG_FENCE_OUT. */
int cmpi_msg_fence_write(struct evbuffer *out, enum cmpi_msg_type type,
			 const struct cmpi_msg_fence *m);
/* type is CMPI_MSG_DMODEX_REQ or CMPI_MSG_DMODEX_RESP. */
int cmpi_msg_dmodex_write(struct evbuffer *out, enum cmpi_msg_type type,
			  const struct cmpi_msg_dmodex *m);
int cmpi_msg_abort_write(struct evbuffer *out, uint32_t rank, uint8_t reason, uint32_t status,
			 const char *message);
int cmpi_msg_client_write(struct evbuffer *out, const struct cmpi_msg_client *m);
/* addr is "HOST:PORT", numeric. */
int cmpi_msg_tree_port_write(struct evbuffer *out, const char *addr);
int cmpi_msg_tree_write(struct evbuffer *out, const struct cmpi_msg_tree *m);

/* Decoders take one frame's payload; 0, or -1 when it is malformed. */
int cmpi_msg_hello_read(const uint8_t *p, size_t len, struct cmpi_msg_hello *m);
int cmpi_msg_job_read(const uint8_t *p, size_t len, struct cmpi_msg_job *m);
void cmpi_msg_job_clear(struct cmpi_msg_job *m);
int cmpi_msg_stdio_read(const uint8_t *p, size_t len, struct cmpi_msg_stdio *m);
int cmpi_msg_exit_read(const uint8_t *p, size_t len, struct cmpi_msg_exit *m);
int cmpi_msg_kill_read(const uint8_t *p, size_t len, struct cmpi_msg_kill *m);
int cmpi_msg_stdin_ack_read(const uint8_t *p, size_t len, struct cmpi_msg_stdin_ack *m);
int cmpi_msg_fence_read(enum cmpi_msg_type type, const uint8_t *p, size_t len,
			struct cmpi_msg_fence *m);
int cmpi_msg_dmodex_read(enum cmpi_msg_type type, const uint8_t *p, size_t len,
			 struct cmpi_msg_dmodex *m);
int cmpi_msg_abort_read(const uint8_t *p, size_t len, struct cmpi_msg_abort *m);
int cmpi_msg_client_read(const uint8_t *p, size_t len, struct cmpi_msg_client *m);
/* *addr is malloc'd, non-empty. */
int cmpi_msg_tree_port_read(const uint8_t *p, size_t len, char **addr);
int cmpi_msg_tree_read(const uint8_t *p, size_t len, struct cmpi_msg_tree *m);
void cmpi_msg_tree_clear(struct cmpi_msg_tree *m);

/* Splits the next whole frame off `in`: OK with *hdr and *payload (valid until
 * the caller drains CMPI_FRAME_HEADER_SIZE + hdr->length bytes), INCOMPLETE,
 * or an error status. */
enum cmpi_frame_status cmpi_frame_peek(struct evbuffer *in, struct cmpi_frame_header *hdr,
				       const uint8_t **payload);

#endif
