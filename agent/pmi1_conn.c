/* pmi1_conn.c - sockets of the PMI-1 server: bytes read from a rank go to the engine, the
 * engine's replies are queued and written when the socket takes them. */
#define _GNU_SOURCE
#include "pmi1_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmpi/util.h"
#include "pmi1.h"

#define READ_CHUNK 4096
/* A PMI_PORT connection must name its rank (cmd=initack) this soon. */
#define PORT_IDENTIFY_S 10

struct conn {
	struct pmi1_conns *cs;
	int fd;	      /* -1 once closed */
	int child_fd; /* socketpair: the rank's end until it is forked, else -1 */
	bool broken;  /* a write failed while the engine was using the client */
	struct pmi1_client *client;
	struct event *read_ev, *write_ev;
	struct evbuffer *out;	   /* replies the socket did not take yet */
	struct event *identify_ev; /* port connections: the cmd=initack deadline */
	struct conn *next;	   /* port connections only */
};

struct pmi1_conns {
	struct event_base *base;
	struct pmi1_server *srv;
	const uint32_t *ranks; /* [nranks]: this agent's, ascending */
	long nranks;
	struct conn *by_rank; /* [nranks]: the socketpairs */
	struct evconnlistener *listener;
	int port;
	struct conn *port_conns;
	long nport_conns;
	pmi1_conns_left_f left;
	void *ctx;
	bool closing; /* pmi1_conns_free: connections go, nobody left */
};

static void conn_close(struct conn *c)
{
	if (c->identify_ev) {
		event_free(c->identify_ev);
		c->identify_ev = NULL;
	}
	if (c->client && pmi1_client_in_mpi(c->client) && !c->cs->closing)
		c->cs->left(c->cs->ctx, pmi1_client_rank(c->client));
	if (c->client) {
		pmi1_client_free(c->client);
		c->client = NULL;
	}
	if (c->read_ev) {
		event_free(c->read_ev);
		c->read_ev = NULL;
	}
	if (c->write_ev) {
		event_free(c->write_ev);
		c->write_ev = NULL;
	}
	if (c->out) {
		evbuffer_free(c->out);
		c->out = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->child_fd >= 0) {
		close(c->child_fd);
		c->child_fd = -1;
	}
}

/* Writes what is queued; false if the socket is broken. */
static bool conn_flush(struct conn *c)
{
	if (evbuffer_write(c->out, c->fd) < 0 && errno != EAGAIN && errno != EINTR)
		return false;
	if (evbuffer_get_length(c->out) == 0)
		event_del(c->write_ev);
	else
		event_add(c->write_ev, NULL);
	return true;
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (!conn_flush(arg))
		conn_close(arg);
}

int pmi1_conns_send(void *ctx, void *client_ctx, const char *buf, size_t len)
{
	struct conn *c = client_ctx;
	(void)ctx;
	/* Called from inside pmi1_client_input: closing here would free the
	 * client under the engine's feet, so the reader closes it afterwards. */
	if (c->fd < 0 || c->broken || evbuffer_add(c->out, buf, len) < 0 || !conn_flush(c)) {
		c->broken = true;
		return -1;
	}
	return 0;
}

/* Reads once; false when there is nothing more now or the connection closed. */
static bool conn_read_once(struct conn *c)
{
	char buf[READ_CHUNK];
	ssize_t n = read(c->fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0 || pmi1_client_input(c->client, buf, (size_t)n) < 0 || c->broken) {
		conn_close(c);
		return false;
	}
	return true;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_read_once(arg);
}

static int conn_open(struct pmi1_conns *cs, struct conn *c, int fd, long rank)
{
	c->cs = cs;
	c->fd = fd;
	cmpi_set_nonblocking(fd);
	c->out = evbuffer_new();
	c->client = pmi1_client_create(cs->srv, rank, c);
	c->read_ev = event_new(cs->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	c->write_ev = event_new(cs->base, fd, EV_WRITE | EV_PERSIST, on_writable, c);
	if (!c->out || !c->client || !c->read_ev || !c->write_ev || event_add(c->read_ev, NULL) < 0)
		return -1;
	return 0;
}

/* A port connection that has not named its rank by now is not an MPI rank. */
static void on_identify_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	if (c->client && pmi1_client_rank(c->client) < 0) {
		cmpi_debug("closing a PMI_PORT connection that never said cmd=initack");
		conn_close(c);
	}
}

/* A PMI_PORT client: it names its rank with cmd=initack. One per rank at
 * most, so a stray local connection cannot make us hold sockets without end. */
static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr, int len,
		      void *arg)
{
	struct pmi1_conns *cs = arg;
	struct conn *c = NULL;
	(void)l;
	(void)addr;
	(void)len;
	for (struct conn **pp = &cs->port_conns; *pp;) {
		if ((*pp)->fd >= 0) {
			pp = &(*pp)->next;
			continue;
		}
		c = *pp;
		*pp = c->next;
		free(c);
		cs->nport_conns--;
	}
	c = NULL;
	if (cs->nport_conns >= cs->nranks || !(c = calloc(1, sizeof *c))) {
		close(fd);
		return;
	}
	c->child_fd = -1;
	struct timeval tv = {PORT_IDENTIFY_S, 0};
	c->identify_ev = evtimer_new(cs->base, on_identify_deadline, c);
	if (conn_open(cs, c, fd, -1) < 0 || !c->identify_ev ||
	    evtimer_add(c->identify_ev, &tv) < 0) {
		conn_close(c);
		free(c);
		return;
	}
	c->next = cs->port_conns;
	cs->port_conns = c;
	cs->nport_conns++;
}

static int listen_loopback(struct pmi1_conns *cs)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	cs->listener = evconnlistener_new_bind(cs->base, on_accept, cs,
					       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
					       (struct sockaddr *)&sin, sizeof sin);
	if (!cs->listener ||
	    getsockname(evconnlistener_get_fd(cs->listener), (struct sockaddr *)&sin, &len) < 0)
		return -1;
	cs->port = ntohs(sin.sin_port);
	return 0;
}

struct pmi1_conns *pmi1_conns_create(struct event_base *base, struct pmi1_server *srv,
				     const uint32_t *ranks, long nranks, bool port,
				     pmi1_conns_left_f left, void *ctx)
{
	struct pmi1_conns *cs = calloc(1, sizeof *cs);
	if (!cs)
		return NULL;
	cs->base = base;
	cs->srv = srv;
	cs->ranks = ranks;
	cs->nranks = nranks;
	cs->left = left;
	cs->ctx = ctx;
	cs->by_rank = calloc((size_t)(nranks ? nranks : 1), sizeof *cs->by_rank);
	if (!cs->by_rank)
		goto fail;
	for (long i = 0; i < nranks; i++)
		cs->by_rank[i].fd = cs->by_rank[i].child_fd = -1;
	for (long i = 0; i < nranks; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			goto fail;
		cs->by_rank[i].child_fd = sv[1];
		if (conn_open(cs, &cs->by_rank[i], sv[0], ranks[i]) < 0)
			goto fail;
	}
	if (port && listen_loopback(cs) < 0)
		cmpi_debug("no PMI_PORT: %s", strerror(errno)); /* PMI_FD still works */
	return cs;
fail:
	pmi1_conns_free(cs);
	return NULL;
}

void pmi1_conns_free(struct pmi1_conns *cs)
{
	if (!cs)
		return;
	cs->closing = true;
	for (long i = 0; cs->by_rank && i < cs->nranks; i++)
		conn_close(&cs->by_rank[i]);
	while (cs->port_conns) {
		struct conn *c = cs->port_conns;
		cs->port_conns = c->next;
		conn_close(c);
		free(c);
	}
	free(cs->by_rank);
	if (cs->listener)
		evconnlistener_free(cs->listener);
	free(cs);
}

/* The socketpair of one of this agent's ranks (the callers' ranks are). */
static struct conn *conn_of(struct pmi1_conns *cs, long rank)
{
	return &cs->by_rank[cmpi_rank_index(cs->ranks, cs->nranks, (uint32_t)rank)];
}

int pmi1_conns_child_fd(struct pmi1_conns *cs, long rank)
{
	return conn_of(cs, rank)->child_fd;
}

int pmi1_conns_port(const struct pmi1_conns *cs)
{
	return cs->port;
}

void pmi1_conns_spawned(struct pmi1_conns *cs, long rank)
{
	struct conn *c = conn_of(cs, rank);
	if (c->child_fd >= 0) {
		close(c->child_fd);
		c->child_fd = -1;
	}
}

void pmi1_conns_rank_exited(struct pmi1_conns *cs, long rank)
{
	struct conn *c = conn_of(cs, rank);
	while (c->fd >= 0 && conn_read_once(c))
		;
	/* Which port connection was this rank's only the engine knows: read
	 * them all now (they are few), and close the rank's. */
	for (struct conn *p = cs->port_conns; p; p = p->next) {
		while (p->fd >= 0 && conn_read_once(p))
			;
		if (p->client && pmi1_client_rank(p->client) == rank)
			conn_close(p);
	}
	pmi1_server_rank_gone(cs->srv, rank);
	conn_close(c);
}
