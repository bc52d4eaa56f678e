/* wire.h - rawbench's out-of-band messages over TCP, as fixed big-endian layouts: what the
 * client asks, what the server answers, and the queue-pair facts two verbs sides exchange. */
#ifndef RAWBENCH_WIRE_H
#define RAWBENCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum wire_test {
	WIRE_TCP_LAT = 1,
	WIRE_TCP_BW = 2,
	WIRE_SEND_LAT = 3,
	WIRE_WRITE_LAT = 4,
	WIRE_WRITE_BW = 5,
};

/* The client's first bytes on every connection: "RAWB", version 1, test, size, a reserved zero,
 * count (iterations for the latency tests, milliseconds for the bandwidth tests). A verbs
 * request is followed by the client's wire_qp. */
#define WIRE_REQUEST_LEN 24
#define WIRE_VERSION 1
/* Bounds both sides hold a request to, so that a garbled one cannot ask for 4 GiB. */
#define WIRE_MAX_SIZE (1u << 30)
#define WIRE_MAX_COUNT 100000000ull

struct wire_request {
	enum wire_test test;
	uint32_t size;
	uint64_t count;
};

/* The server's answer: "RAWB", a status, two reserved zero bytes; an OK answer to a verbs
 * request is followed by the server's wire_qp. */
#define WIRE_REPLY_LEN 8

enum wire_status {
	WIRE_OK = 0,
	WIRE_BAD_REQUEST = 1,
	WIRE_NO_DEVICE = 2,    /* the server has no RDMA device */
	WIRE_VERBS_FAILED = 3, /* it has one, but could not set up its side (its stderr says why) */
};

/* What the peer needs to reach a queue pair and write into its buffer (rc_pingpong's set plus
 * perftest's rkey and address): lid, path MTU (IB's enum, 1 = 256 B .. 5 = 4096 B), flags,
 * 24-bit QPN and PSN, rkey, buffer address, GID. */
#define WIRE_QP_LEN 40
#define WIRE_QP_HAS_GID 1u /* RoCE, or -g: address the peer through its GID */

struct wire_qp {
	uint16_t lid;
	uint8_t mtu;
	uint8_t flags;
	uint32_t qpn, psn, rkey;
	uint64_t addr;
	uint8_t gid[16];
};

int wire_test_is_verbs(enum wire_test test);
int wire_test_is_latency(enum wire_test test);

void wire_request_encode(const struct wire_request *req, uint8_t out[WIRE_REQUEST_LEN]);
/* 0, or -1 when buf is short or not a request this version knows (bad magic, version, test,
 * size or count). */
int wire_request_decode(const uint8_t *buf, size_t len, struct wire_request *req);

void wire_reply_encode(enum wire_status status, uint8_t out[WIRE_REPLY_LEN]);
int wire_reply_decode(const uint8_t *buf, size_t len, enum wire_status *status);

void wire_qp_encode(const struct wire_qp *qp, uint8_t out[WIRE_QP_LEN]);
/* -1 also for a QPN or PSN wider than 24 bits, an MTU out of 1..5 or unknown flags. */
int wire_qp_decode(const uint8_t *buf, size_t len, struct wire_qp *qp);

void wire_put_u64(uint8_t *p, uint64_t v);
uint64_t wire_get_u64(const uint8_t *p);

#endif
