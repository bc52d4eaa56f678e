/* wireup.c - allgathers over the control channel (star: every agent sends its part here, the
 * concatenation goes back to all), direct-modex routing, aborts, MPI client states. */
#include "wireup.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/msg.h"
#include "cmpi/util.h"

/* One allgather in progress, named by (kind, seq). */
struct fence {
	uint8_t kind;
	uint32_t seq;
	long arrived;
	bool *from;	       /* [node]: its part is in */
	struct evbuffer *data; /* the parts, concatenated in arrival order */
	struct fence *next;
};

enum rank_state { RANK_NO_MPI, RANK_IN_MPI, RANK_FINALIZED };

struct wireup {
	const struct wireup_ops *ops;
	void *ctx;
	long nnodes, nranks;
	long participants;     /* nodes with ranks: every one takes part in every fence */
	uint32_t *rank_node;   /* [rank] */
	uint32_t *node_nranks; /* [node] */
	struct fence *fences;
	bool broken;		 /* an agent is gone: no allgather can complete */
	uint8_t *state;		 /* [rank]: enum rank_state */
	bool mpi_seen;		 /* some rank connected to the PMIx or PMI-1 server */
	long exited_without_mpi; /* a rank that exited 0 before anyone used MPI, or -1 */
};

struct wireup *wireup_create(long nnodes, long nranks, const uint32_t *rank_node,
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
	if (!w->rank_node || !w->node_nranks || !w->state) {
		wireup_free(w);
		return NULL;
	}
	for (long r = 0; r < nranks; r++) {
		w->rank_node[r] = rank_node[r];
		w->participants += w->node_nranks[rank_node[r]]++ == 0;
	}
	return w;
}

static void fence_free(struct fence *f)
{
	if (f->data)
		evbuffer_free(f->data);
	free(f->from);
	free(f);
}

void wireup_free(struct wireup *w)
{
	if (!w)
		return;
	while (w->fences) {
		struct fence *f = w->fences;
		w->fences = f->next;
		fence_free(f);
	}
	free(w->rank_node);
	free(w->node_nranks);
	free(w->state);
	free(w);
}

bool wireup_handles(unsigned type)
{
	return type == CMPI_MSG_FENCE_IN || type == CMPI_MSG_DMODEX_REQ ||
	       type == CMPI_MSG_DMODEX_RESP || type == CMPI_MSG_ABORT || type == CMPI_MSG_CLIENT;
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
static void fence_complete(struct wireup *w, struct fence *f, uint32_t status)
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
		struct evbuffer *o = w->node_nranks[i] ? w->ops->agent_output(w->ctx, i) : NULL;
		if (o && evbuffer_add_buffer_reference(o, frame) < 0)
			cmpi_error("cannot send the fence result to node %ld", i);
	}
	evbuffer_free(frame);
}

static void fence_unlink(struct wireup *w, struct fence *f)
{
	struct fence **pp = &w->fences;
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	fence_free(f);
}

static struct fence *fence_find(struct wireup *w, uint8_t kind, uint32_t seq)
{
	for (struct fence *f = w->fences; f; f = f->next)
		if (f->kind == kind && f->seq == seq)
			return f;
	struct fence *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->kind = kind;
	f->seq = seq;
	f->from = calloc((size_t)w->nnodes, sizeof *f->from);
	f->data = evbuffer_new();
	if (!f->from || !f->data) {
		fence_free(f);
		return NULL;
	}
	f->next = w->fences;
	w->fences = f;
	return f;
}

static int fence_in(struct wireup *w, long node, const struct cmpi_msg_fence *m)
{
	if (w->node_nranks[node] == 0)
		return -1;
	if (w->broken) {
		struct evbuffer *o = w->ops->agent_output(w->ctx, node);
		struct cmpi_msg_fence out = {.kind = m->kind, .seq = m->seq, .status = 1};
		if (o)
			cmpi_msg_fence_write(o, CMPI_MSG_FENCE_OUT, &out);
		return 0;
	}
	struct fence *f = fence_find(w, m->kind, m->seq);
	if (!f) {
		fail(w, 1, "out of memory for a fence");
		return 0;
	}
	if (f->from[node])
		return -1; /* the same part twice */
	f->from[node] = true;
	/* Fail as soon as the parts cannot fit, not after holding them all. */
	if (evbuffer_get_length(f->data) + m->len > CMPI_FRAME_MAX_PAYLOAD - 16) {
		fail(w, 1, "a fence gathered more than cmpirun carries (%u MiB) from all agents",
		     CMPI_FRAME_MAX_PAYLOAD >> 20);
		fence_complete(w, f, 1);
		fence_unlink(w, f);
		return 0;
	}
	if (evbuffer_add(f->data, m->data, m->len) < 0) {
		fail(w, 1, "out of memory for a fence");
		return 0;
	}
	if (++f->arrived == w->participants) {
		fence_complete(w, f, 0);
		if (w->ops->fence_done)
			w->ops->fence_done(w->ctx);
		fence_unlink(w, f);
	}
	return 0;
}

void wireup_agent_lost(struct wireup *w, long node)
{
	(void)node;
	w->broken = true;
	while (w->fences) {
		fence_complete(w, w->fences, 1);
		fence_unlink(w, w->fences);
	}
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
	}
	return -1;
}
