/* verbs.c - RC queue pairs over libibverbs and perftest-style loops on them: inline sends
 * where the message fits, busy polling, receives kept posted, RDMA-write ping-pong on the
 * buffer's last byte, and a window of writes signalled every few for bandwidth. */
#define _GNU_SOURCE
#include "verbs.h"

#include <errno.h>
#include <infiniband/verbs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

enum {
	LAT_DEPTH = 64,	       /* send queue of the latency tests */
	BW_DEPTH = 128,	       /* writes in flight for write-bw: perftest's default tx depth */
	RX_DEPTH = 64,	       /* receives kept posted for send-lat */
	STALL_SPINS = 1 << 14, /* empty polls between looks at errors and at the peer */
};

struct verbs_ep {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	struct ibv_cq *send_cq, *recv_cq;
	struct ibv_qp *qp;
	/* [0, size): what the peer sends or writes lands here; [size, 2 size): what we send. Two
	 * halves, so that the byte write-lat polls is never one we wrote ourselves. */
	uint8_t *buf;
	uint32_t size;
	enum wire_test test;
	int ib_port, gid_index;
	struct ibv_port_attr port;
	union ibv_gid gid;
	uint32_t psn, max_inline;
	uint32_t depth, signal_every;
	/* Send WRs posted, and known complete: a signalled one completes every one before it. */
	uint64_t posted, completed;
	uint64_t peer_addr;
	uint32_t peer_rkey;
	char describe[160];
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int verbs_device_count(void)
{
	int n = 0;
	/* NULL (ENOSYS) where the kernel has no RDMA support at all: as good as none. */
	struct ibv_device **list = ibv_get_device_list(&n);
	if (!list)
		return 0;
	ibv_free_device_list(list);
	return n;
}

static int open_device(struct verbs_ep *ep, const char *name, char *err, size_t errlen)
{
	int n = 0, rc = -1;
	struct ibv_device **list = ibv_get_device_list(&n), *dev = NULL;
	for (int i = 0; list && i < n && !dev; i++)
		if (!name || !strcmp(ibv_get_device_name(list[i]), name))
			dev = list[i];
	if (!dev) {
		if (name)
			fail(err, errlen, "no RDMA device named %s", name);
		else
			fail(err, errlen, "no RDMA device on this host");
		goto out;
	}
	name = ibv_get_device_name(dev);
	ep->ctx = ibv_open_device(dev);
	if (!ep->ctx) {
		fail(err, errlen, "cannot open %s: %s", name, strerror(errno));
		goto out;
	}
	snprintf(ep->describe, sizeof ep->describe, "%s", name);
	rc = 0;
out:
	if (list)
		ibv_free_device_list(list);
	return rc;
}

static int query_port(struct verbs_ep *ep, const struct verbs_config *cfg, char *err, size_t errlen)
{
	int rc = ibv_query_port(ep->ctx, (uint8_t)ep->ib_port, &ep->port);
	if (rc)
		return fail(err, errlen, "%s port %d: %s", ep->describe, ep->ib_port, strerror(rc));
	if (ep->port.state != IBV_PORT_ACTIVE)
		return fail(err, errlen, "%s port %d is not active (%s)", ep->describe, ep->ib_port,
			    ibv_port_state_str(ep->port.state));
	/* RoCE has no LIDs: the peer is reached through a GID, index 0 unless told (RoCE v2
	 * usually sits at another index; `show_gids` or `ibv_devinfo -v` tells which). */
	bool roce = ep->port.link_layer == IBV_LINK_LAYER_ETHERNET;
	ep->gid_index = cfg->gid_index >= 0 ? cfg->gid_index : roce ? 0 : -1;
	if (ep->gid_index >= 0 &&
	    ibv_query_gid(ep->ctx, (uint8_t)ep->ib_port, ep->gid_index, &ep->gid))
		return fail(err, errlen, "%s port %d has no GID %d", ep->describe, ep->ib_port,
			    ep->gid_index);
	return 0;
}

/* The largest inline size the provider grants, from perftest's usual request down. */
static int create_qp(struct verbs_ep *ep, char *err, size_t errlen)
{
	static const uint32_t inline_sizes[] = {256, 128, 64, 0};
	for (size_t i = 0; i < sizeof inline_sizes / sizeof *inline_sizes; i++) {
		struct ibv_qp_init_attr attr = {
		    .send_cq = ep->send_cq,
		    .recv_cq = ep->recv_cq,
		    .cap = {.max_send_wr = ep->depth,
			    .max_recv_wr = RX_DEPTH,
			    .max_send_sge = 1,
			    .max_recv_sge = 1,
			    .max_inline_data = inline_sizes[i]},
		    .qp_type = IBV_QPT_RC,
		};
		ep->qp = ibv_create_qp(ep->pd, &attr);
		if (ep->qp) {
			ep->max_inline = attr.cap.max_inline_data; /* what the provider granted */
			return 0;
		}
	}
	return fail(err, errlen, "cannot create an RC queue pair on %s: %s", ep->describe,
		    strerror(errno));
}

static int to_init(struct verbs_ep *ep, char *err, size_t errlen)
{
	struct ibv_qp_attr a = {.qp_state = IBV_QPS_INIT,
				.pkey_index = 0,
				.port_num = (uint8_t)ep->ib_port,
				.qp_access_flags = IBV_ACCESS_REMOTE_WRITE};
	int rc = ibv_modify_qp(
	    ep->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	return rc ? fail(err, errlen, "queue pair to INIT: %s", strerror(rc)) : 0;
}

static int post_recv(struct verbs_ep *ep, char *err, size_t errlen)
{
	struct ibv_sge sge = {.addr = (uintptr_t)ep->buf, .length = ep->size, .lkey = ep->mr->lkey};
	struct ibv_recv_wr wr = {.sg_list = &sge, .num_sge = 1}, *bad;
	int rc = ibv_post_recv(ep->qp, &wr, &bad);
	return rc ? fail(err, errlen, "ibv_post_recv: %s", strerror(rc)) : 0;
}

static int set_up(struct verbs_ep *ep, const struct verbs_config *cfg, char *err, size_t errlen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (open_device(ep, cfg->device, err, errlen) < 0 || query_port(ep, cfg, err, errlen) < 0)
		return -1;
	ep->pd = ibv_alloc_pd(ep->ctx);
	if (!ep->pd)
		return fail(err, errlen, "ibv_alloc_pd on %s: %s", ep->describe, strerror(errno));
	if (posix_memalign((void **)&ep->buf, page, 2 * (size_t)ep->size))
		return fail(err, errlen, "no memory for 2 x %u bytes", ep->size);
	memset(ep->buf, 0, 2 * (size_t)ep->size);
	ep->mr = ibv_reg_mr(ep->pd, ep->buf, 2 * (size_t)ep->size,
			    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!ep->mr)
		return fail(
		    err, errlen, "cannot register 2 x %u bytes with %s: %s%s", ep->size,
		    ep->describe, strerror(errno),
		    errno == ENOMEM ? " (the locked-memory limit, ulimit -l, may be too low)" : "");
	ep->send_cq = ibv_create_cq(ep->ctx, (int)ep->depth, NULL, NULL, 0);
	ep->recv_cq = ibv_create_cq(ep->ctx, RX_DEPTH, NULL, NULL, 0);
	if (!ep->send_cq || !ep->recv_cq)
		return fail(err, errlen, "ibv_create_cq on %s: %s", ep->describe, strerror(errno));
	if (create_qp(ep, err, errlen) < 0 || to_init(ep, err, errlen) < 0)
		return -1;
	for (int i = 0; ep->test == WIRE_SEND_LAT && i < RX_DEPTH; i++)
		if (post_recv(ep, err, errlen) < 0)
			return -1;
	return 0;
}

struct verbs_ep *verbs_ep_open(const struct verbs_config *cfg, enum wire_test test, uint32_t size,
			       char *err, size_t errlen)
{
	struct verbs_ep *ep = calloc(1, sizeof *ep);
	if (!ep) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	ep->test = test;
	ep->size = size;
	ep->ib_port = cfg->ib_port;
	ep->depth = test == WIRE_WRITE_BW ? BW_DEPTH : LAT_DEPTH;
	/* An unsignalled send costs no completion; one in four of the queue is signalled, so a
	 * full queue always has a completion to wait for. */
	ep->signal_every = ep->depth / 4;
	ep->psn = arc4random() & 0xffffff;
	if (set_up(ep, cfg, err, errlen) < 0) {
		verbs_ep_close(ep);
		return NULL;
	}
	bool roce = ep->port.link_layer == IBV_LINK_LAYER_ETHERNET;
	size_t used = strlen(ep->describe);
	snprintf(ep->describe + used, sizeof ep->describe - used,
		 " port %d, %s, MTU %d, inline up to %u B", ep->ib_port,
		 roce ? "Ethernet (RoCE)" : "InfiniBand", 128 << ep->port.active_mtu,
		 ep->max_inline);
	return ep;
}

void verbs_ep_info(const struct verbs_ep *ep, struct wire_qp *out)
{
	*out = (struct wire_qp){.lid = ep->port.lid,
				.mtu = (uint8_t)ep->port.active_mtu,
				.flags = ep->gid_index >= 0 ? WIRE_QP_HAS_GID : 0,
				.qpn = ep->qp->qp_num,
				.psn = ep->psn,
				.rkey = ep->mr->rkey,
				.addr = (uintptr_t)ep->buf};
	if (ep->gid_index >= 0)
		memcpy(out->gid, ep->gid.raw, sizeof out->gid);
}

const char *verbs_ep_describe(const struct verbs_ep *ep)
{
	return ep->describe;
}

int verbs_ep_connect(struct verbs_ep *ep, const struct wire_qp *peer, char *err, size_t errlen)
{
	enum ibv_mtu mtu =
	    ep->port.active_mtu < peer->mtu ? ep->port.active_mtu : (enum ibv_mtu)peer->mtu;
	struct ibv_qp_attr a = {.qp_state = IBV_QPS_RTR,
				.path_mtu = mtu,
				.dest_qp_num = peer->qpn,
				.rq_psn = peer->psn,
				.max_dest_rd_atomic = 1,
				.min_rnr_timer = 12,
				.ah_attr = {.dlid = peer->lid, .port_num = (uint8_t)ep->ib_port}};
	if (peer->flags & WIRE_QP_HAS_GID) {
		if (ep->gid_index < 0)
			return fail(err, errlen,
				    "the peer is addressed by GID and this side has none "
				    "(give both sides -g)");
		a.ah_attr.is_global = 1;
		memcpy(a.ah_attr.grh.dgid.raw, peer->gid, sizeof peer->gid);
		a.ah_attr.grh.sgid_index = (uint8_t)ep->gid_index;
		a.ah_attr.grh.hop_limit = 64;
	} else if (ep->gid_index >= 0) {
		return fail(err, errlen,
			    "this side is addressed by GID and the peer is not "
			    "(give both sides -g)");
	}
	int rc =
	    ibv_modify_qp(ep->qp, &a,
			  IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			      IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (rc)
		return fail(err, errlen, "queue pair to RTR: %s", strerror(rc));
	a = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTS,
				 .timeout = 14,
				 .retry_cnt = 7,
				 .rnr_retry = 7, /* for ever: a receive is always posted in time */
				 .sq_psn = ep->psn,
				 .max_rd_atomic = 1};
	rc = ibv_modify_qp(ep->qp, &a,
			   IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			       IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	if (rc)
		return fail(err, errlen, "queue pair to RTS: %s", strerror(rc));
	ep->peer_addr = peer->addr;
	ep->peer_rkey = peer->rkey;
	return 0;
}

/* Takes the send completions there are, without waiting; -1 on a failed one (then the peer
 * will never see what it waits for). */
static int reap_sends(struct verbs_ep *ep, char *err, size_t errlen)
{
	struct ibv_wc wc[16];
	int n = ibv_poll_cq(ep->send_cq, 16, wc);
	if (n < 0)
		return fail(err, errlen, "ibv_poll_cq failed on the send queue");
	for (int i = 0; i < n; i++) {
		if (wc[i].status != IBV_WC_SUCCESS)
			return fail(err, errlen, "a %s failed: %s",
				    ep->test == WIRE_SEND_LAT ? "send" : "write",
				    ibv_wc_status_str(wc[i].status));
		ep->completed = wc[i].wr_id + 1;
	}
	return n;
}

/* Between spins: a failed send, or a peer that has gone, ends the wait that would not. */
static int check_stalled(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	if (reap_sends(ep, err, errlen) < 0)
		return -1;
	if (run->peer_gone && run->peer_gone(run->arg))
		return fail(err, errlen, "the peer went away mid-test");
	return 0;
}

/* Posts the send half as a SEND or an RDMA WRITE into the peer's receive half: inline when it
 * fits, signalled every signal_every, after waiting for room in the send queue. */
static int post_send(struct verbs_ep *ep, struct verbs_run *run, enum ibv_wr_opcode op, char *err,
		     size_t errlen)
{
	for (unsigned spins = 1; ep->posted - ep->completed >= ep->depth; spins++)
		if (reap_sends(ep, err, errlen) < 0 ||
		    (spins % STALL_SPINS == 0 && check_stalled(ep, run, err, errlen) < 0))
			return -1;
	struct ibv_sge sge = {
	    .addr = (uintptr_t)(ep->buf + ep->size), .length = ep->size, .lkey = ep->mr->lkey};
	struct ibv_send_wr wr = {.wr_id = ep->posted, .sg_list = &sge, .num_sge = 1, .opcode = op},
			   *bad;
	if (ep->size <= ep->max_inline)
		wr.send_flags |= IBV_SEND_INLINE;
	if ((ep->posted + 1) % ep->signal_every == 0)
		wr.send_flags |= IBV_SEND_SIGNALED;
	if (op == IBV_WR_RDMA_WRITE) {
		wr.wr.rdma.remote_addr = ep->peer_addr;
		wr.wr.rdma.rkey = ep->peer_rkey;
	}
	int rc = ibv_post_send(ep->qp, &wr, &bad);
	if (rc)
		return fail(err, errlen, "ibv_post_send: %s", strerror(rc));
	ep->posted++;
	return 0;
}

static int wait_recv(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	struct ibv_wc wc;
	for (unsigned spins = 1;; spins++) {
		int n = ibv_poll_cq(ep->recv_cq, 1, &wc);
		if (n < 0)
			return fail(err, errlen, "ibv_poll_cq failed on the receive queue");
		if (n == 1)
			return wc.status == IBV_WC_SUCCESS
				   ? 0
				   : fail(err, errlen, "a receive failed: %s",
					  ibv_wc_status_str(wc.status));
		if (spins % STALL_SPINS == 0 && check_stalled(ep, run, err, errlen) < 0)
			return -1;
	}
}

/* perftest's write latency: the peer's write is seen when the last byte of our receive half
 * turns to the round's value (RC writes of one message land in order on the HCAs perftest
 * runs on; it relies on the same). */
static int wait_byte(struct verbs_ep *ep, struct verbs_run *run, uint8_t want, char *err,
		     size_t errlen)
{
	volatile uint8_t *last = ep->buf + ep->size - 1;
	for (unsigned spins = 1; *last != want; spins++)
		if (spins % STALL_SPINS == 0 && check_stalled(ep, run, err, errlen) < 0)
			return -1;
	return 0;
}

static int run_send_lat(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	for (uint64_t i = 0; i < run->warmup + run->iters; i++) {
		if (run->client) {
			double start = rawbench_now();
			if (post_send(ep, run, IBV_WR_SEND, err, errlen) < 0 ||
			    wait_recv(ep, run, err, errlen) < 0)
				return -1;
			double end = rawbench_now();
			if (i >= run->warmup)
				run->samples[i - run->warmup] = (end - start) * 1e6 / 2;
		} else if (wait_recv(ep, run, err, errlen) < 0 ||
			   post_send(ep, run, IBV_WR_SEND, err, errlen) < 0) {
			return -1;
		}
		/* One receive used, one posted again, off the timed path: RX_DEPTH - 1 remain. */
		if (post_recv(ep, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int run_write_lat(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	uint8_t *mine = ep->buf + 2 * (size_t)ep->size - 1;
	for (uint64_t i = 0; i < run->warmup + run->iters; i++) {
		uint8_t round =
		    (uint8_t)(i % 255 + 1); /* never the buffer's first 0, never the last */
		if (run->client) {
			double start = rawbench_now();
			*mine = round;
			if (post_send(ep, run, IBV_WR_RDMA_WRITE, err, errlen) < 0 ||
			    wait_byte(ep, run, round, err, errlen) < 0)
				return -1;
			double end = rawbench_now();
			if (i >= run->warmup)
				run->samples[i - run->warmup] = (end - start) * 1e6 / 2;
		} else {
			if (wait_byte(ep, run, round, err, errlen) < 0)
				return -1;
			*mine = round;
			if (post_send(ep, run, IBV_WR_RDMA_WRITE, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

/* Keeps the window full for run->seconds, then lets the last batch of writes finish so that the
 * last one posted is a signalled one, and counts every write as done when it completed. */
static int run_write_bw(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	if (!run->client)
		return 0; /* the server's CPU takes no part in an RDMA write */
	double start = rawbench_now(), end = start + run->seconds;
	bool time_up = false;
	unsigned idle = 0;
	while (!time_up || ep->posted % ep->signal_every) {
		while (ep->posted - ep->completed < ep->depth &&
		       (!time_up || ep->posted % ep->signal_every))
			if (post_send(ep, run, IBV_WR_RDMA_WRITE, err, errlen) < 0)
				return -1;
		int n = reap_sends(ep, err, errlen);
		if (n < 0 || (n == 0 && ++idle % STALL_SPINS == 0 &&
			      check_stalled(ep, run, err, errlen) < 0))
			return -1;
		time_up = time_up || rawbench_now() >= end;
	}
	while (ep->completed < ep->posted) {
		int n = reap_sends(ep, err, errlen);
		if (n < 0 || (n == 0 && ++idle % STALL_SPINS == 0 &&
			      check_stalled(ep, run, err, errlen) < 0))
			return -1;
	}
	run->elapsed = rawbench_now() - start;
	run->messages = ep->posted;
	return 0;
}

int verbs_ep_run(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	switch (ep->test) {
	case WIRE_SEND_LAT:
		return run_send_lat(ep, run, err, errlen);
	case WIRE_WRITE_LAT:
		return run_write_lat(ep, run, err, errlen);
	case WIRE_WRITE_BW:
		return run_write_bw(ep, run, err, errlen);
	default:
		return fail(err, errlen, "not a verbs test");
	}
}

void verbs_ep_close(struct verbs_ep *ep)
{
	if (!ep)
		return;
	if (ep->qp)
		ibv_destroy_qp(ep->qp);
	if (ep->send_cq)
		ibv_destroy_cq(ep->send_cq);
	if (ep->recv_cq)
		ibv_destroy_cq(ep->recv_cq);
	if (ep->mr)
		ibv_dereg_mr(ep->mr);
	if (ep->pd)
		ibv_dealloc_pd(ep->pd);
	if (ep->ctx)
		ibv_close_device(ep->ctx);
	free(ep->buf);
	free(ep);
}
