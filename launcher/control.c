/* control.c - control server: TCP listener, token handshake with a deadline, frame dispatch. */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmpi/util.h"

struct control_conn {
	struct control_server *srv;
	struct bufferevent *bev;
	struct event *deadline; /* until the handshake is done */
	struct control_conn *next, *prev;
	bool accepted;   /* the token was right and ops->hello agreed */
	bool in_dispatch;
	bool close_requested;
	void *data;
};

struct control_server {
	struct evconnlistener *listener;
	uint8_t token[CMPI_TOKEN_SIZE];
	const struct control_ops *ops;
	void *ctx;
	struct control_conn *conns;
	int npending, max_pending;
	int port;
	bool reads_paused;
};

static void conn_free(struct control_conn *c)
{
	struct control_server *srv = c->srv;
	if (!c->accepted)
		srv->npending--;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->deadline)
		event_free(c->deadline);
	bufferevent_free(c->bev);
	free(c);
}

/* Ends a connection. An accepted one is reported to ops->closed first. */
static void conn_end(struct control_conn *c, const char *why)
{
	if (c->accepted)
		c->srv->ops->closed(c->srv->ctx, c, why);
	else
		cmpi_debug("rejected a control connection: %s", why);
	conn_free(c);
}

/* The first frame must be a HELLO carrying the job's token. */
static bool handshake(struct control_conn *c, const struct cmpi_frame_header *hdr,
		      const uint8_t *payload, const char **why)
{
	struct cmpi_msg_hello hello;
	if (hdr->type != CMPI_MSG_HELLO || cmpi_msg_hello_read(payload, hdr->length, &hello) < 0) {
		*why = "first frame is not a HELLO";
		return false;
	}
	if (!cmpi_bytes_equal(hello.token, c->srv->token, CMPI_TOKEN_SIZE)) {
		*why = "wrong token";
		return false;
	}
	if (c->srv->ops->hello(c->srv->ctx, c, &hello) < 0) {
		*why = "agent refused by the job";
		return false;
	}
	c->accepted = true;
	c->srv->npending--;
	if (c->srv->reads_paused)
		bufferevent_disable(c->bev, EV_READ);
	/* An accepted agent may be quiet for as long as its ranks run. */
	event_free(c->deadline);
	c->deadline = NULL;
	return true;
}

/* Handles every whole frame in the input. Returns false when c was freed. */
static bool dispatch(struct control_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const char *why = NULL;

	c->in_dispatch = true;
	for (;;) {
		struct cmpi_frame_header hdr;
		const uint8_t *payload;
		enum cmpi_frame_status st = cmpi_frame_peek(in, &hdr, &payload);
		if (st == CMPI_FRAME_INCOMPLETE) {
			/* A stranger gets no room to make us buffer a big frame. */
			if (!c->accepted && evbuffer_get_length(in) >= CMPI_FRAME_HEADER_SIZE &&
			    hdr.length > CMPI_TOKEN_SIZE + 8)
				why = "oversized first frame";
			break;
		}
		if (st != CMPI_FRAME_OK) {
			why = cmpi_frame_status_string(st);
			break;
		}
		if (!c->accepted) {
			if (!handshake(c, &hdr, payload, &why))
				break;
		} else {
			c->srv->ops->frame(c->srv->ctx, c, &hdr, payload);
		}
		evbuffer_drain(in, CMPI_FRAME_HEADER_SIZE + (size_t)hdr.length);
		if (c->close_requested)
			break;
	}
	c->in_dispatch = false;
	if (c->close_requested) {
		conn_free(c);
		return false;
	}
	if (why) {
		conn_end(c, why);
		return false;
	}
	return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	dispatch(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn *c = arg;
	(void)bev;
	if (what & BEV_EVENT_EOF)
		conn_end(c, "connection closed");
	else if (what & BEV_EVENT_ERROR)
		conn_end(c, strerror(EVUTIL_SOCKET_ERROR()));
}

/* A fixed deadline from accept, not an idle timeout: a stranger trickling
 * bytes must not hold a pending slot for longer either. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_end(arg, "no valid HELLO in time");
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	struct control_server *srv = arg;
	struct event_base *base = evconnlistener_get_base(l);
	struct timeval deadline = {CONTROL_HANDSHAKE_TIMEOUT_S, 0};
	int one = 1;
	(void)sa;
	(void)salen;

	/* Full: a stranger goes, not the newcomer, or a flood of silent
	 * connections would keep the job's agents out. The oldest one that has
	 * sent nothing goes first: an agent says HELLO as soon as it connects,
	 * and its bytes may be waiting unread while strangers keep coming. */
	if (srv->npending >= srv->max_pending) {
		struct control_conn *victim = NULL, *silent = NULL;
		for (struct control_conn *o = srv->conns; o; o = o->next) {
			if (o->accepted || o->in_dispatch)
				continue;
			victim = o;
			char b;
			if (evbuffer_get_length(bufferevent_get_input(o->bev)) == 0 &&
			    recv(bufferevent_getfd(o->bev), &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0)
				silent = o;
		}
		if (silent)
			victim = silent;
		if (!victim) {
			evutil_closesocket(fd);
			return;
		}
		conn_end(victim, "evicted: too many connections waiting for a HELLO");
	}
	struct control_conn *c = calloc(1, sizeof *c);
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(base, on_deadline, c);
	if (!c->bev || !c->deadline) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->deadline)
			event_free(c->deadline);
		free(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->srv = srv;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->npending++;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	evtimer_add(c->deadline, &deadline);
	bufferevent_enable(c->bev, EV_READ);
}

struct control_server *control_server_create(struct event_base *base, const char *addr,
					     long nagents, const uint8_t token[CMPI_TOKEN_SIZE],
					     const struct control_ops *ops, void *ctx)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t len = sizeof sin;
	struct control_server *srv = calloc(1, sizeof *srv);

	if (!srv)
		return NULL;
	memcpy(srv->token, token, CMPI_TOKEN_SIZE);
	srv->ops = ops;
	srv->ctx = ctx;
	srv->max_pending = CONTROL_MAX_PENDING + (int)nagents;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		goto error;
	}
	/* Every agent may connect before the event loop accepts the first: a
	 * backlog of 128 refused some of 256 local agents. The kernel caps it at
	 * net.core.somaxconn. */
	srv->listener = evconnlistener_new_bind(
		base, on_accept, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, SOMAXCONN,
		(struct sockaddr *)&sin, sizeof sin);
	if (!srv->listener)
		goto error;
	if (getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&sin, &len) < 0)
		goto error;
	srv->port = ntohs(sin.sin_port);
	return srv;
error:
	control_server_free(srv);
	return NULL;
}

void control_server_free(struct control_server *srv)
{
	if (!srv)
		return;
	while (srv->conns) {
		srv->conns->accepted = false; /* no callbacks while tearing down */
		srv->npending++;
		conn_free(srv->conns);
	}
	if (srv->listener)
		evconnlistener_free(srv->listener);
	free(srv);
}

int control_server_port(const struct control_server *srv)
{
	return srv->port;
}

void control_server_pause_reads(struct control_server *srv, bool pause)
{
	srv->reads_paused = pause;
	for (struct control_conn *c = srv->conns; c; c = c->next) {
		if (!c->accepted)
			continue;
		if (pause)
			bufferevent_disable(c->bev, EV_READ);
		else
			bufferevent_enable(c->bev, EV_READ);
	}
}

struct evbuffer *control_conn_output(struct control_conn *conn)
{
	return bufferevent_get_output(conn->bev);
}

void control_conn_set_data(struct control_conn *conn, void *data)
{
	conn->data = data;
}

void *control_conn_data(const struct control_conn *conn)
{
	return conn->data;
}

void control_conn_close(struct control_conn *conn)
{
	if (conn->in_dispatch)
		conn->close_requested = true;
	else
		conn_free(conn);
}
