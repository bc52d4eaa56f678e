/* tree.h - the agent's place in the allgather tree (--tree-fanout): its children connect
 * here, their parts and this node's own go up as one, the result comes down through here. */
#ifndef CMPI_AGENT_TREE_H
#define CMPI_AGENT_TREE_H

#include <stdint.h>

#include "cmpi/frame.h"
#include "cmpi/msg.h"

struct event_base;
struct evbuffer;
struct agent_tree;

struct agent_tree_ops {
	/* An allgather's result (or its error) for this node's ranks. */
	void (*result)(void *ctx, const struct cmpi_msg_fence *m);
	/* The job cannot go on (msg says why): allgathers that cannot complete. */
	void (*fail)(void *ctx, const char *msg);
};

/* Listens for children on the address of the control connection ctl_fd and tells
 * the launcher where (TREE_PORT on ctl). Until TREE places it, parts wait here.
 * NULL (said why) when it cannot listen. */
struct agent_tree *agent_tree_start(struct event_base *base, int ctl_fd, struct evbuffer *ctl,
				    const uint8_t token[CMPI_TOKEN_SIZE], long node,
				    const struct agent_tree_ops *ops, void *ctx);
void agent_tree_stop(struct agent_tree *t);

/* Before a finished agent exits: writes what its children have not yet been
 * sent, blocking up to timeout_ms in all. t may be NULL. */
void agent_tree_flush(struct agent_tree *t, int timeout_ms);

/* TREE from the launcher: the parent to send parts to, the children to wait for.
 * -1 when it is malformed or comes twice. */
int agent_tree_place(struct agent_tree *t, const uint8_t *payload, size_t len);

/* This node's own part of allgather (kind, seq); -1 when it cannot be carried. */
int agent_tree_fence_in(struct agent_tree *t, const struct cmpi_msg_fence *m);

/* FENCE_OUT from the launcher (this agent's parent is the launcher); -1 if malformed. */
int agent_tree_result_from_launcher(struct agent_tree *t, const uint8_t *payload, size_t len);

#endif
