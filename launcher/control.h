/* control.h - the launcher's control server: accepts agents, checks the job token, splits frames. */
#ifndef CMPI_CONTROL_H
#define CMPI_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "cmpi/frame.h"
#include "cmpi/msg.h"

struct event_base;
struct evbuffer;
struct control_server;
struct control_conn;

/* A connection that has not sent a HELLO with the right token within this
 * time is closed. */
#define CONTROL_HANDSHAKE_TIMEOUT_S 5
/* Connections still in the handshake beyond this many more than the job's
 * agents are refused outright: every agent may connect at once. */
#define CONTROL_MAX_PENDING 64

struct control_ops {
	/* An agent proved the token. Return 0 to keep it, -1 to close it. */
	int (*hello)(void *ctx, struct control_conn *conn, const struct cmpi_msg_hello *m);
	/* A frame from an accepted agent; conn may be closed from here. */
	void (*frame)(void *ctx, struct control_conn *conn, const struct cmpi_frame_header *hdr,
		      const uint8_t *payload);
	/* An accepted agent's connection ended: EOF, an error or a protocol violation.
	 * conn is freed right after this returns. */
	void (*closed)(void *ctx, struct control_conn *conn, const char *why);
};

/* Listens on addr (IPv4 dotted, "127.0.0.1" unless agents run on another
 * host) with an ephemeral port, for a job of nagents agents. NULL on failure
 * (errno set). */
struct control_server *control_server_create(struct event_base *base, const char *addr,
					     long nagents, const uint8_t token[CMPI_TOKEN_SIZE],
					     const struct control_ops *ops, void *ctx);
void control_server_free(struct control_server *srv);
int control_server_port(const struct control_server *srv);

/* Stops (or resumes) reading from every accepted agent, so that TCP pushes back
 * on agents while our own output cannot keep up. Handshakes go on. */
void control_server_pause_reads(struct control_server *srv, bool pause);

struct evbuffer *control_conn_output(struct control_conn *conn);
void control_conn_set_data(struct control_conn *conn, void *data);
void *control_conn_data(const struct control_conn *conn);
void control_conn_close(struct control_conn *conn); /* no closed() callback */

#endif
