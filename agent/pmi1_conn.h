/* pmi1_conn.h - the PMI-1 server's connections: a socketpair per rank (PMI_FD) and a loopback
 * port (PMI_PORT) for ranks whose launcher wrapper closed the inherited socket. */
#ifndef CMPI_PMI1_CONN_H
#define CMPI_PMI1_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct pmi1_server;
struct pmi1_conns;

/* Told when the connection of a rank that said cmd=init closed before
 * cmd=finalize: unless the rank is dying, the others will wait for it in
 * their next barrier. */
typedef void (*pmi1_conns_left_f)(void *ctx, long rank);

/* One socketpair for each of the agent's ranks (ascending; the array must
 * outlive the connections), and, with port, a loopback port: anyone on the
 * host can connect there, so only --pmi-port asks for it. */
struct pmi1_conns *pmi1_conns_create(struct event_base *base, struct pmi1_server *srv,
				     const uint32_t *ranks, long nranks, bool port,
				     pmi1_conns_left_f left, void *ctx);
void pmi1_conns_free(struct pmi1_conns *cs);

/* The rank's end of its socketpair, to inherit as PMI_FD (-1 once spawned). */
int pmi1_conns_child_fd(struct pmi1_conns *cs, long rank);
/* The loopback port for PMI_PORT, or 0 when there is none. */
int pmi1_conns_port(const struct pmi1_conns *cs);
/* The rank was forked (or not): our copy of its end goes. */
void pmi1_conns_spawned(struct pmi1_conns *cs, long rank);
/* The rank ended: handle what it wrote last (cmd=finalize), then close its
 * connection; no PMI_PORT connection may claim the rank from now on. */
void pmi1_conns_rank_exited(struct pmi1_conns *cs, long rank);

/* The pmi1_ops.send of the engine: client_ctx is the connection. */
int pmi1_conns_send(void *ctx, void *client_ctx, const char *buf, size_t len);

#endif
