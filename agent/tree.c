/* tree.c - the agent's place in the allgather tree: it takes its children's connections
 * (HELLO with the job's token first), sends their parts with this node's own up as one
 * FENCE_IN, and passes each result down to them before handing it to its own ranks. */
#define _GNU_SOURCE
#include "tree.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmpi/gather.h"
#include "cmpi/util.h"

/* A connection must say HELLO this soon, and no more than this many may wait:
 * a stranger on the port cannot hold the agent's memory or a child's place. */
#define CHILD_HELLO_TIMEOUT_S 10
#define MAX_WAITING 64
/* A lost link usually means a lost agent, which the launcher sees and names
 * itself; only if the job goes on this long do we end it, saying what broke. */
#define BROKEN_GRACE_MS 1000

struct child {
	struct agent_tree *t;
	struct bufferevent *bev;
	long index; /* in the TREE's children; -1 until its HELLO is accepted */
	struct child *next;
};

struct agent_tree {
	struct event_base *base;
	struct evbuffer *ctl;
	uint8_t token[CMPI_TOKEN_SIZE];
	long node;
	const struct agent_tree_ops *ops;
	void *ctx;
	struct evconnlistener *listener; /* NULL once every child has joined */
	bool placed;			 /* TREE came */
	struct cmpi_msg_tree place;
	struct bufferevent *parent; /* NULL: the launcher is the parent */
	struct child *children;
	long nwaiting; /* connections that have not joined yet */
	long njoined;
	/* From this node's first part until the result has gone down. Source 0
	 * is this node's ranks, 1 + i child i; before TREE the number of children
	 * is not known, so every gather has room for the most. */
	struct cmpi_gather *gathers;
	bool broken;  /* a tree link is gone: nothing can complete */
	bool failing; /* ... and the grace is over: allgathers fail as they come */
	char broken_why[160];
	struct event *broken_timer;
};

static struct evbuffer *up(struct agent_tree *t)
{
	return t->parent ? bufferevent_get_output(t->parent) : t->ctl;
}

/* ---- allgathers ---- */

#define GATHER_SOURCES (1 + CMPI_TREE_MAX_CHILDREN)

/* The result goes to every child as one frame their buffers share, then to our ranks. */
static void deliver(struct agent_tree *t, const struct cmpi_msg_fence *m)
{
	struct cmpi_gather *g = cmpi_gather_find(&t->gathers, m->kind, m->seq, 0);
	bool own = g && g->from[0];
	struct evbuffer *frame = evbuffer_new();
	if (!frame || cmpi_msg_fence_write(frame, CMPI_MSG_FENCE_OUT, m) < 0)
		cmpi_error("out of memory for an allgather's result");
	for (struct child *c = t->children; frame && c; c = c->next)
		if (c->index >= 0)
			evbuffer_add_buffer_reference(bufferevent_get_output(c->bev), frame);
	if (frame)
		evbuffer_free(frame);
	if (g)
		cmpi_gather_remove(&t->gathers, g);
	if (own)
		t->ops->result(t->ctx, m);
}

static void deliver_error(struct agent_tree *t, uint8_t kind, uint32_t seq)
{
	struct cmpi_msg_fence m = {.kind = kind, .seq = seq, .status = 1};
	deliver(t, &m);
}

/* Sends the gathered parts up once every one is in and we know how many that is:
 * called after each part and once at TREE, so it sends each gather once. */
static void gather_try_send(struct agent_tree *t, struct cmpi_gather *g)
{
	char why[160];
	if (!t->placed || g->arrived != 1 + (long)t->place.nchildren)
		return;
	struct cmpi_msg_fence m = {.kind = g->kind, .seq = g->seq};
	m.len = evbuffer_get_length(g->data);
	m.data = evbuffer_pullup(g->data, -1);
	if (cmpi_msg_fence_write(up(t), CMPI_MSG_FENCE_IN, &m) < 0) {
		snprintf(why, sizeof why, "cannot send an allgather of %zu bytes up the tree",
			 m.len);
		t->ops->fail(t->ctx, why);
		deliver_error(t, g->kind, g->seq);
		return;
	}
	evbuffer_drain(g->data, m.len); /* only the result is awaited now */
}

/* One part: from this node (child NULL) or from a child. -1 when it breaks the protocol. */
static int gather_add(struct agent_tree *t, struct child *c, const struct cmpi_msg_fence *m)
{
	if (t->failing) { /* nothing can complete: answer at once */
		struct cmpi_msg_fence err = {.kind = m->kind, .seq = m->seq, .status = 1};
		if (c)
			return cmpi_msg_fence_write(bufferevent_get_output(c->bev),
						    CMPI_MSG_FENCE_OUT, &err);
		t->ops->result(t->ctx, &err);
		return 0;
	}
	struct cmpi_gather *g = cmpi_gather_find(&t->gathers, m->kind, m->seq, GATHER_SOURCES);
	if (!g)
		return -1;
	switch (cmpi_gather_add(g, c ? 1 + c->index : 0, m->data, m->len)) {
	case CMPI_GATHER_TWICE:
	case CMPI_GATHER_NOMEM:
		return -1;
	case CMPI_GATHER_TOO_BIG: {
		char why[160];
		snprintf(why, sizeof why,
			 "its ranks and those below it in the allgather tree put into one fence "
			 "more than cmpirun carries (%u MiB)",
			 CMPI_FRAME_MAX_PAYLOAD >> 20);
		t->ops->fail(t->ctx, why);
		deliver_error(t, m->kind, m->seq);
		return 0;
	}
	case CMPI_GATHER_ADDED:
		break;
	}
	gather_try_send(t, g);
	return 0;
}

/* The grace is over and the job goes on: what waits fails here and below, and
 * the job ends saying why. From now on allgathers fail as they come. */
static void on_broken_grace(evutil_socket_t fd, short what, void *arg)
{
	struct agent_tree *t = arg;
	(void)fd;
	(void)what;
	t->failing = true;
	if (!t->gathers)
		return;
	while (t->gathers)
		deliver_error(t, t->gathers->kind, t->gathers->seq);
	t->ops->fail(t->ctx, t->broken_why);
}

/* A link is gone. That is the normal end of a job (the agents close in any
 * order) or a lost agent, which the launcher sees and names itself: nothing is
 * failed before BROKEN_GRACE_MS, lest a rank's error exit be taken for the cause. */
static void tree_break(struct agent_tree *t, const char *why)
{
	struct timeval tv = {BROKEN_GRACE_MS / 1000, (BROKEN_GRACE_MS % 1000) * 1000};
	if (t->broken)
		return;
	t->broken = true;
	snprintf(t->broken_why, sizeof t->broken_why, "allgather tree: %s", why);
	cmpi_debug("%s", t->broken_why);
	t->broken_timer = evtimer_new(t->base, on_broken_grace, t);
	if (!t->broken_timer || evtimer_add(t->broken_timer, &tv) < 0)
		on_broken_grace(-1, 0, t);
}

int agent_tree_fence_in(struct agent_tree *t, const struct cmpi_msg_fence *m)
{
	return gather_add(t, NULL, m);
}

int agent_tree_result_from_launcher(struct agent_tree *t, const uint8_t *payload, size_t len)
{
	struct cmpi_msg_fence m;
	if (t->parent || cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, len, &m) < 0)
		return -1;
	deliver(t, &m);
	return 0;
}

/* ---- children ---- */

static void child_free(struct child *c)
{
	struct child **pp = &c->t->children;
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	bufferevent_free(c->bev);
	free(c);
}

static void child_lost(struct child *c, const char *why)
{
	struct agent_tree *t = c->t;
	char msg[128];
	if (c->index < 0) { /* not one of ours: a stranger, or a child's failed try */
		t->nwaiting--;
		cmpi_debug("allgather tree: closed a connection (%s)", why);
		child_free(c);
		return;
	}
	snprintf(msg, sizeof msg, "lost the link to child node %u (%s)",
		 t->place.children[c->index], why);
	child_free(c);
	tree_break(t, msg);
}

static long child_index(const struct agent_tree *t, uint32_t node)
{
	for (uint32_t i = 0; i < t->place.nchildren; i++)
		if (t->place.children[i] == node)
			return i;
	return -1;
}

static int child_hello(struct child *c, const struct cmpi_frame_header *hdr, const uint8_t *p)
{
	struct agent_tree *t = c->t;
	struct cmpi_msg_hello hello;
	if (hdr->type != CMPI_MSG_HELLO || cmpi_msg_hello_read(p, hdr->length, &hello) < 0 ||
	    !cmpi_bytes_equal(hello.token, t->token, CMPI_TOKEN_SIZE))
		return -1;
	long i = child_index(t, hello.node);
	for (struct child *o = t->children; i >= 0 && o; o = o->next)
		if (o->index == i)
			return -1; /* that child is here already */
	if (i < 0)
		return -1;
	c->index = i;
	t->nwaiting--;
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	cmpi_debug("allgather tree: child node %u joined", hello.node);
	if (++t->njoined == (long)t->place.nchildren && t->listener) {
		evconnlistener_free(t->listener); /* nobody else may connect */
		t->listener = NULL;
	}
	return 0;
}

static void on_child_read(struct bufferevent *bev, void *arg)
{
	struct child *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		struct cmpi_frame_header hdr;
		const uint8_t *payload;
		struct cmpi_msg_fence m;
		enum cmpi_frame_status st = cmpi_frame_peek(in, &hdr, &payload);
		if (st == CMPI_FRAME_INCOMPLETE)
			return;
		int rc = -1;
		if (st == CMPI_FRAME_OK && c->index < 0)
			rc = child_hello(c, &hdr, payload);
		else if (st == CMPI_FRAME_OK && hdr.type == CMPI_MSG_FENCE_IN &&
			 cmpi_msg_fence_read(CMPI_MSG_FENCE_IN, payload, hdr.length, &m) == 0)
			rc = gather_add(c->t, c, &m);
		if (rc < 0) {
			child_lost(c, c->index < 0 ? "no valid HELLO" : "protocol error");
			return;
		}
		evbuffer_drain(in, CMPI_FRAME_HEADER_SIZE + (size_t)hdr.length);
	}
}

static void on_child_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		child_lost(arg,
			   what & BEV_EVENT_TIMEOUT ? "no HELLO in time" : "connection closed");
}

static void child_start_reading(struct child *c)
{
	struct timeval tv = {CHILD_HELLO_TIMEOUT_S, 0};
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	struct agent_tree *t = arg;
	struct child *c = calloc(1, sizeof *c);
	int one = 1;
	(void)l;
	(void)sa;
	(void)salen;
	if (!c || t->nwaiting >= MAX_WAITING ||
	    !(c->bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		free(c);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->t = t;
	c->index = -1;
	c->next = t->children;
	t->children = c;
	t->nwaiting++;
	bufferevent_setcb(c->bev, on_child_read, NULL, on_child_event, c);
	/* Before TREE we cannot tell a child from a stranger: its bytes wait. */
	if (t->placed)
		child_start_reading(c);
}

/* ---- the parent ---- */

static void on_parent_read(struct bufferevent *bev, void *arg)
{
	struct agent_tree *t = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		struct cmpi_frame_header hdr;
		const uint8_t *payload;
		struct cmpi_msg_fence m;
		enum cmpi_frame_status st = cmpi_frame_peek(in, &hdr, &payload);
		if (st == CMPI_FRAME_INCOMPLETE)
			return;
		if (st != CMPI_FRAME_OK || hdr.type != CMPI_MSG_FENCE_OUT ||
		    cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, hdr.length, &m) < 0) {
			tree_break(t, "protocol error from the parent agent");
			return;
		}
		deliver(t, &m);
		evbuffer_drain(in, CMPI_FRAME_HEADER_SIZE + (size_t)hdr.length);
	}
}

static void on_parent_event(struct bufferevent *bev, short what, void *arg)
{
	int one = 1;
	if (what & BEV_EVENT_CONNECTED)
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		tree_break(arg, "lost the link to the parent agent");
}

/* Connects to the parent (HELLO queued first); -1 when it cannot even start. */
static int parent_connect(struct agent_tree *t, const char *addr)
{
	struct sockaddr_storage ss;
	int sslen = sizeof ss;
	struct cmpi_msg_hello hello = {.node = (uint32_t)t->node, .pid = (uint32_t)getpid()};

	memcpy(hello.token, t->token, CMPI_TOKEN_SIZE);
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) < 0)
		return -1;
	/* Our own socket, so that it is close-on-exec like every other fd of ours. */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	t->parent = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!t->parent) {
		close(fd);
		return -1;
	}
	bufferevent_setcb(t->parent, on_parent_read, NULL, on_parent_event, t);
	if (cmpi_msg_hello_write(bufferevent_get_output(t->parent), &hello) < 0 ||
	    bufferevent_socket_connect(t->parent, (struct sockaddr *)&ss, sslen) < 0)
		return -1;
	bufferevent_enable(t->parent, EV_READ | EV_WRITE);
	return 0;
}

int agent_tree_place(struct agent_tree *t, const uint8_t *payload, size_t len)
{
	if (t->placed || cmpi_msg_tree_read(payload, len, &t->place) < 0)
		return -1;
	t->placed = true;
	cmpi_debug("allgather tree: parent %s, %u children",
		   t->place.parent[0] ? t->place.parent : "the launcher", t->place.nchildren);
	if (t->place.parent[0] && parent_connect(t, t->place.parent) < 0) {
		char why[160];
		snprintf(why, sizeof why,
			 "cannot connect to its parent in the allgather tree at %s",
			 t->place.parent);
		t->ops->fail(t->ctx, why);
		tree_break(t, "no parent");
	}
	if (t->place.nchildren == 0 && t->listener) {
		evconnlistener_free(t->listener);
		t->listener = NULL;
	}
	for (struct child *c = t->children; c; c = c->next)
		child_start_reading(c);
	for (struct cmpi_gather *g = t->gathers, *next; g; g = next) {
		next = g->next; /* sending cannot free it, but stay safe */
		gather_try_send(t, g);
	}
	return 0;
}

/* ---- start and stop ---- */

/* "HOST:PORT" of the listener, numeric, IPv6 in brackets. */
static int listener_address(struct evconnlistener *l, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[NI_MAXHOST], port[NI_MAXSERV];
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return -1;
	int n = snprintf(out, outlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

struct agent_tree *agent_tree_start(struct event_base *base, int ctl_fd, struct evbuffer *ctl,
				    const uint8_t token[CMPI_TOKEN_SIZE], long node,
				    const struct agent_tree_ops *ops, void *ctx)
{
	struct agent_tree *t = calloc(1, sizeof *t);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char addr[NI_MAXHOST + NI_MAXSERV + 4];

	if (!t)
		return NULL;
	*t = (struct agent_tree){.base = base, .ctl = ctl, .node = node, .ops = ops, .ctx = ctx};
	memcpy(t->token, token, CMPI_TOKEN_SIZE);
	/* The address the launcher reached us on is the one the other agents can too. */
	if (getsockname(ctl_fd, (struct sockaddr *)&ss, &len) < 0) {
		cmpi_error("allgather tree: cannot read the control connection's address");
		goto fail;
	}
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	t->listener = evconnlistener_new_bind(base, on_accept, t,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
					      (struct sockaddr *)&ss, (int)len);
	if (!t->listener || listener_address(t->listener, addr, sizeof addr) < 0) {
		cmpi_error("allgather tree: cannot listen for child agents");
		goto fail;
	}
	if (cmpi_msg_tree_port_write(ctl, addr) < 0)
		goto fail;
	cmpi_debug("allgather tree: children may connect at %s", addr);
	return t;
fail:
	agent_tree_stop(t);
	return NULL;
}

void agent_tree_flush(struct agent_tree *t, int timeout_ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (struct child *c = t ? t->children : NULL; c; c = c->next) {
		struct evbuffer *out = bufferevent_get_output(c->bev);
		int fd = bufferevent_getfd(c->bev);
		/* The bufferevent keeps its output's start to itself; it is not
		 * going to run again. */
		bufferevent_disable(c->bev, EV_WRITE);
		evbuffer_unfreeze(out, 1);
		while (evbuffer_get_length(out) > 0) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
						  (now.tv_nsec - start.tv_nsec) / 1000000);
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
			    evbuffer_write(out, fd) < 0) {
				cmpi_debug("allgather tree: could not hand child node %u all it "
					   "waits for",
					   t->place.children[c->index]);
				break;
			}
		}
	}
}

void agent_tree_stop(struct agent_tree *t)
{
	if (!t)
		return;
	while (t->children)
		child_free(t->children);
	while (t->gathers)
		cmpi_gather_remove(&t->gathers, t->gathers);
	if (t->listener)
		evconnlistener_free(t->listener);
	if (t->parent)
		bufferevent_free(t->parent);
	if (t->broken_timer)
		event_free(t->broken_timer);
	cmpi_msg_tree_clear(&t->place);
	free(t);
}
