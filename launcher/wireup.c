/* wireup.c - allgathers over the control channel (star: every agent sends its part here, the
 * concatenation goes back to all; tree: the agents gather their children's parts and only the
 * top K talk to us), direct-modex routing, aborts, MPI client states. */
#include "wireup.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/gather.h"
#include "cmpi/msg.h"
#include "cmpi/util.h"

enum rank_state { RANK_NO_MPI, RANK_IN_MPI, RANK_FINALIZED };

struct wireup {
	const struct wireup_ops *ops;
	void *ctx;
	long nnodes, nranks;
	long participants;     /* nodes with ranks: every one takes part in every fence */
	uint32_t *rank_node;   /* [rank] */
	uint32_t *node_nranks; /* [node] */
	long fanout;           /* children per agent in the tree; 0: the star */
	bool *direct;          /* [node]: sends its parts here (all participants in the star) */
	long ndirect;
	char **tree_addr;      /* [node]: where a tree agent takes its children (TREE_PORT) */
	long tree_addrs;       /* how many have come */
	struct cmpi_gather *fences; /* in progress; a fence's sources are the nodes */
	bool broken;		 /* an agent is gone: no allgather can complete */
	uint8_t *state;		 /* [rank]: enum rank_state */
	bool mpi_seen;		 /* some rank connected to the PMIx or PMI-1 server */
	long exited_without_mpi; /* a rank that exited 0 before anyone used MPI, or -1 */
};

/* Participant i (in node order) of the tree: its parent is participant
 * i / fanout - 1, or the launcher for the first fanout ones. */
static void tree_layout(struct wireup *w)
{
	long i = 0;
	for (long node = 0; node < w->nnodes; node++) {
		if (w->node_nranks[node] == 0)
			continue;
		w->direct[node] = w->fanout == 0 || i < w->fanout;
		w->ndirect += w->direct[node];
		i++;
	}
}

struct wireup *wireup_create(long nnodes, long nranks, const uint32_t *rank_node, long fanout,
			     const struct wireup_ops *ops, void *ctx)
{
	struct wireup *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->ops = ops;
	w->ctx = ctx;
	w->nnodes = nnodes;
	w->exited_without_mpi = -1;
	w->nranks = nranks;
	w->rank_node = calloc((size_t)(nranks ? nranks : 1), sizeof *w->rank_node);
	w->node_nranks = calloc((size_t)nnodes, sizeof *w->node_nranks);
	w->state = calloc((size_t)(nranks ? nranks : 1), 1);
	w->direct = calloc((size_t)nnodes, sizeof *w->direct);
	w->tree_addr = calloc((size_t)nnodes, sizeof *w->tree_addr);
	if (!w->rank_node || !w->node_nranks || !w->state || !w->direct || !w->tree_addr) {
		wireup_free(w);
		return NULL;
	}
	for (long r = 0; r < nranks; r++) {
		w->rank_node[r] = rank_node[r];
		w->participants += w->node_nranks[rank_node[r]]++ == 0;
	}
	/* With no more agents than one level holds, the tree is the star. */
	w->fanout = fanout > 0 && w->participants > fanout ? fanout : 0;
	tree_layout(w);
	return w;
}

void wireup_free(struct wireup *w)
{
	if (!w)
		return;
	while (w->fences)
		cmpi_gather_remove(&w->fences, w->fences);
	for (long i = 0; w->tree_addr && i < w->nnodes; i++)
		free(w->tree_addr[i]);
	free(w->tree_addr);
	free(w->direct);
	free(w->rank_node);
	free(w->node_nranks);
	free(w->state);
	free(w);
}

bool wireup_handles(unsigned type)
{
	return type == CMPI_MSG_FENCE_IN || type == CMPI_MSG_DMODEX_REQ ||
	       type == CMPI_MSG_DMODEX_RESP || type == CMPI_MSG_ABORT || type == CMPI_MSG_CLIENT ||
	       type == CMPI_MSG_TREE_PORT;
}

__attribute__((format(printf, 3, 4))) static void fail(struct wireup *w, int code, const char *fmt,
						       ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->ops->fail(w->ctx, code, msg);
}

static long node_of_rank(const struct wireup *w, long rank)
{
	return rank < 0 || rank >= w->nranks ? -1 : (long)w->rank_node[rank];
}

/* ---- allgather ---- */

/* Sends the result (or the error) to every agent that takes part: one frame, which
 * every agent's output buffer refers to rather than copies (K agents would otherwise
 * hold K copies of the whole result until they drain). */
static void fence_complete(struct wireup *w, struct cmpi_gather *f, uint32_t status)
{
	struct cmpi_msg_fence out = {.kind = f->kind, .seq = f->seq, .status = status};
	struct evbuffer *frame = evbuffer_new();
	if (status == 0) { /* fence_in kept the parts within one frame */
		out.len = evbuffer_get_length(f->data);
		out.data = evbuffer_pullup(f->data, -1);
	}
	cmpi_debug("fence %s #%u %s: %zu bytes from %ld agents",
		   f->kind == CMPI_FENCE_PMIX ? "pmix" : "pmi1", f->seq, status ? "failed" : "done",
		   out.len, f->arrived);
	if (!frame || cmpi_msg_fence_write(frame, CMPI_MSG_FENCE_OUT, &out) < 0) {
		fail(w, 1, "out of memory for a fence result");
		evbuffer_free(frame);
		return;
	}
	for (long i = 0; i < w->nnodes; i++) {
		struct evbuffer *o = w->direct[i] ? w->ops->agent_output(w->ctx, i) : NULL;
		if (o && evbuffer_add_buffer_reference(o, frame) < 0)
			cmpi_error("cannot send the fence result to node %ld", i);
	}
	evbuffer_free(frame);
}

static int fence_in(struct wireup *w, long node, const struct cmpi_msg_fence *m)
{
	if (!w->direct[node])
		return -1;
	if (w->broken) {
		struct evbuffer *o = w->ops->agent_output(w->ctx, node);
		struct cmpi_msg_fence out = {.kind = m->kind, .seq = m->seq, .status = 1};
		if (o)
			cmpi_msg_fence_write(o, CMPI_MSG_FENCE_OUT, &out);
		return 0;
	}
	struct cmpi_gather *f = cmpi_gather_find(&w->fences, m->kind, m->seq, w->nnodes);
	if (!f) {
		fail(w, 1, "out of memory for a fence");
		return 0;
	}
	switch (cmpi_gather_add(f, node, m->data, m->len)) {
	case CMPI_GATHER_TWICE:
		return -1; /* the same part twice */
	case CMPI_GATHER_TOO_BIG:
		fail(w, 1, "a fence gathered more than cmpirun carries (%u MiB) from all agents",
		     CMPI_FRAME_MAX_PAYLOAD >> 20);
		fence_complete(w, f, 1);
		cmpi_gather_remove(&w->fences, f);
		return 0;
	case CMPI_GATHER_NOMEM:
		fail(w, 1, "out of memory for a fence");
		return 0;
	case CMPI_GATHER_ADDED:
		break;
	}
	if (f->arrived == w->ndirect) {
		fence_complete(w, f, 0);
		if (w->ops->fence_done)
			w->ops->fence_done(w->ctx);
		cmpi_gather_remove(&w->fences, f);
	}
	return 0;
}

void wireup_agent_lost(struct wireup *w, long node)
{
	(void)node;
	w->broken = true;
	while (w->fences) {
		fence_complete(w, w->fences, 1);
		cmpi_gather_remove(&w->fences, w->fences);
	}
}

/* ---- the tree: once every agent has said where it listens, each learns its place ---- */

bool wireup_uses_tree(const struct wireup *w, long node)
{
	return w->fanout > 0 && w->node_nranks[node] > 0;
}

static void tree_send_places(struct wireup *w)
{
	long *order = malloc((size_t)w->participants * sizeof *order);
	uint32_t *children = calloc((size_t)w->fanout, sizeof *children);
	long n = 0;
	if (!order || !children) {
		fail(w, 1, "out of memory for the allgather tree");
		goto out;
	}
	for (long node = 0; node < w->nnodes; node++)
		if (w->node_nranks[node])
			order[n++] = node;
	for (long i = 0; i < n; i++) {
		struct cmpi_msg_tree m = {.parent = "", .children = children};
		if (i >= w->fanout)
			m.parent = w->tree_addr[order[i / w->fanout - 1]];
		for (long c = (i + 1) * w->fanout; c < n && c < (i + 2) * w->fanout; c++)
			children[m.nchildren++] = (uint32_t)order[c];
		struct evbuffer *o = w->ops->agent_output(w->ctx, order[i]);
		if (o && cmpi_msg_tree_write(o, &m) < 0)
			fail(w, 1, "cannot send node %ld its place in the allgather tree",
			     order[i]);
	}
	cmpi_debug("allgather tree of %ld agents, fanout %ld", n, w->fanout);
out:
	free(order);
	free(children);
}

static int tree_port(struct wireup *w, long node, const uint8_t *payload, uint32_t len)
{
	char *addr;
	if (!wireup_uses_tree(w, node) || w->tree_addr[node] ||
	    cmpi_msg_tree_port_read(payload, len, &addr) < 0)
		return -1;
	w->tree_addr[node] = addr;
	if (++w->tree_addrs == w->participants)
		tree_send_places(w);
	return 0;
}

/* ---- direct modex: route the request to the rank's agent, the answer back ---- */

static int dmodex_req(struct wireup *w, long node, struct cmpi_msg_dmodex *m)
{
	long owner = node_of_rank(w, (long)m->rank);
	if (owner < 0 || owner == node)
		return -1;
	cmpi_debug("node %ld asks node %ld for rank %u's data", node, owner, m->rank);
	m->node = (uint32_t)node;
	struct evbuffer *o = w->ops->agent_output(w->ctx, owner);
	if (o)
		return cmpi_msg_dmodex_write(o, CMPI_MSG_DMODEX_REQ, m) < 0 ? -1 : 0;
	/* The owner is gone: the asker gets an error, not silence. */
	struct cmpi_msg_dmodex err = {.node = (uint32_t)owner, .id = m->id, .status = 1};
	o = w->ops->agent_output(w->ctx, node);
	if (o)
		cmpi_msg_dmodex_write(o, CMPI_MSG_DMODEX_RESP, &err);
	return 0;
}

static int dmodex_resp(struct wireup *w, long node, struct cmpi_msg_dmodex *m)
{
	if (m->node >= (uint32_t)w->nnodes || (long)m->node == node)
		return -1;
	struct evbuffer *o = w->ops->agent_output(w->ctx, (long)m->node);
	m->node = (uint32_t)node;
	if (o)
		cmpi_msg_dmodex_write(o, CMPI_MSG_DMODEX_RESP, m);
	return 0;
}

/* ---- ranks entering and leaving MPI ---- */

static void rank_failed_mpi(struct wireup *w, long rank, const char *what)
{
	fail(w, 1,
	     "rank %ld on node %ld exited with status 0 without calling %s, while other ranks use "
	     "MPI",
	     rank, node_of_rank(w, rank), what);
}

static int client_state(struct wireup *w, long node, const struct cmpi_msg_client *m)
{
	long rank = (long)m->rank;
	if (node_of_rank(w, rank) != node)
		return -1;
	if (m->state == CMPI_CLIENT_FINALIZED) {
		w->state[rank] = RANK_FINALIZED;
		return 0;
	}
	cmpi_debug("rank %ld connected over %s", rank,
		   m->state == CMPI_CLIENT_PMIX ? "PMIx" : "PMI-1");
	if (w->state[rank] == RANK_NO_MPI)
		w->state[rank] = RANK_IN_MPI;
	if (w->ops->rank_in_mpi)
		w->ops->rank_in_mpi(w->ctx, rank);
	if (!w->mpi_seen) {
		w->mpi_seen = true;
		if (w->exited_without_mpi >= 0)
			rank_failed_mpi(w, w->exited_without_mpi, "MPI_Init");
	}
	return 0;
}

void wireup_rank_exited(struct wireup *w, long rank)
{
	if (rank < 0 || rank >= w->nranks)
		return;
	if (w->state[rank] == RANK_IN_MPI)
		rank_failed_mpi(w, rank, "MPI_Finalize");
	else if (w->state[rank] == RANK_NO_MPI && w->mpi_seen)
		rank_failed_mpi(w, rank, "MPI_Init");
	else if (w->state[rank] == RANK_NO_MPI && w->exited_without_mpi < 0)
		w->exited_without_mpi = rank; /* fine, unless another rank turns out to use MPI */
}

int wireup_frame(struct wireup *w, long node, const struct cmpi_frame_header *hdr,
		 const uint8_t *payload)
{
	struct cmpi_msg_fence fence;
	struct cmpi_msg_dmodex dm;
	struct cmpi_msg_abort ab;
	struct cmpi_msg_client cl;

	switch (hdr->type) {
	case CMPI_MSG_FENCE_IN:
		if (cmpi_msg_fence_read(CMPI_MSG_FENCE_IN, payload, hdr->length, &fence) < 0)
			return -1;
		return fence_in(w, node, &fence);
	case CMPI_MSG_DMODEX_REQ:
		if (cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_REQ, payload, hdr->length, &dm) < 0)
			return -1;
		return dmodex_req(w, node, &dm);
	case CMPI_MSG_DMODEX_RESP:
		if (cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_RESP, payload, hdr->length, &dm) < 0)
			return -1;
		return dmodex_resp(w, node, &dm);
	case CMPI_MSG_ABORT:
		if (cmpi_msg_abort_read(payload, hdr->length, &ab) < 0)
			return -1;
		if (node_of_rank(w, (long)ab.rank) != node) {
			free(ab.message);
			return -1;
		}
		if (ab.reason == CMPI_ABORT_PROTOCOL) {
			fail(w, 1, "rank %u on node %ld: its MPI library %s", ab.rank, node,
			     ab.message);
		} else if (ab.reason == CMPI_ABORT_AGENT) {
			fail(w, 1, "the agent of node %ld: %s", node, ab.message);
		} else {
			/* Open MPI says "N/A" when the caller gave no message. */
			bool said = ab.message[0] && strcmp(ab.message, "N/A") != 0;
			fail(w, (int)(ab.status & 0xff) ? (int)(ab.status & 0xff) : 1,
			     "rank %u on node %ld called MPI_Abort with status %d%s%s", ab.rank,
			     node, (int32_t)ab.status, said ? ": " : "", said ? ab.message : "");
		}
		free(ab.message);
		return 0;
	case CMPI_MSG_CLIENT:
		if (cmpi_msg_client_read(payload, hdr->length, &cl) < 0)
			return -1;
		return client_state(w, node, &cl);
	case CMPI_MSG_TREE_PORT:
		return tree_port(w, node, payload, hdr->length);
	}
	return -1;
}
