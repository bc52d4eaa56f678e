/* verbs.h - the libibverbs half of rawbench: one RC queue pair with its buffer, connected to a
 * peer from the facts in a wire_qp, and the timed loops of send-lat, write-lat and write-bw.
 * Nothing here touches a socket: the caller carries the wire_qp over TCP. */
#ifndef RAWBENCH_VERBS_H
#define RAWBENCH_VERBS_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct verbs_config {
	const char *device; /* NULL: the first device */
	int ib_port;
	int gid_index; /* -1: none on InfiniBand, 0 on RoCE (which needs one) */
};

/* The RDMA devices on this host: 0 when there are none or the kernel has no RDMA support. */
int verbs_device_count(void);

struct verbs_ep;

/* Opens the device and sets up PD, MR (2 x size bytes), CQs and an RC QP in INIT, receives
 * posted for send-lat. NULL with a one-line reason in err. */
struct verbs_ep *verbs_ep_open(const struct verbs_config *cfg, enum wire_test test, uint32_t size,
			       char *err, size_t errlen);
void verbs_ep_info(const struct verbs_ep *ep, struct wire_qp *out);
/* "mlx5_0 port 1, InfiniBand, MTU 4096, inline up to 220 B": the transport, for the title. */
const char *verbs_ep_describe(const struct verbs_ep *ep);
/* INIT -> RTR -> RTS towards the peer. */
int verbs_ep_connect(struct verbs_ep *ep, const struct wire_qp *peer, char *err, size_t errlen);

struct verbs_run {
	int client;		/* the side that starts each round trip, times it, posts write-bw */
	uint64_t warmup, iters; /* latency tests: round trips, the first warmup ones untimed */
	double seconds;		/* write-bw: how long the client keeps writes in flight */
	double *samples;	/* client, latency tests: iters one-way latencies in us */
	uint64_t messages;	/* client, write-bw: writes done ... */
	double elapsed;		/* ... in this many seconds */
	/* Asked now and then while waiting: non-zero when the peer is known to be gone. */
	int (*peer_gone)(void *arg);
	void *arg;
};

/* One test of the ep's kind; -1 with a reason in err. The write-bw server has nothing to do. */
int verbs_ep_run(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen);
void verbs_ep_close(struct verbs_ep *ep);

#endif
