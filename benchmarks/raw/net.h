/* net.h - the TCP plumbing under rawbench: listen, dial, whole reads and writes. */
#ifndef RAWBENCH_NET_H
#define RAWBENCH_NET_H

#include <stddef.h>
#include <stdint.h>

/* 0 once len bytes moved; -1 with errno set, and errno 0 when the peer closed first. */
int net_read_full(int fd, void *buf, size_t len);
int net_write_full(int fd, const void *buf, size_t len);
/* strerror, or "the peer closed the connection" for errno 0. */
const char *net_why(int err);

/* A listening socket on address:port (port 0: any), its port in *bound; -1 with err said. */
int net_listen(const char *address, uint16_t port, uint16_t *bound, char *err, size_t errlen);
/* A connected socket with TCP_NODELAY; -1 with err said. */
int net_dial(const char *host, uint16_t port, char *err, size_t errlen);
void net_nodelay(int fd);

/* 1 when the peer has closed the connection or it failed, without blocking: for the busy loops
 * of the verbs tests, which would otherwise spin for ever after the peer died. */
int net_peer_gone(int fd);

#endif
