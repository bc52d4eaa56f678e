/* wire.c - encoding and checking rawbench's out-of-band messages (see wire.h); no I/O. */
#include "wire.h"

#include <string.h>

static const uint8_t magic[4] = {'R', 'A', 'W', 'B'};

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)(v >> 16));
	put_u16(p + 2, (uint16_t)v);
}

void wire_put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) << 16 | get_u16(p + 2);
}

uint64_t wire_get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

int wire_test_is_verbs(enum wire_test test)
{
	return test == WIRE_SEND_LAT || test == WIRE_WRITE_LAT || test == WIRE_WRITE_BW;
}

int wire_test_is_latency(enum wire_test test)
{
	return test == WIRE_TCP_LAT || test == WIRE_SEND_LAT || test == WIRE_WRITE_LAT;
}

void wire_request_encode(const struct wire_request *req, uint8_t out[WIRE_REQUEST_LEN])
{
	memcpy(out, magic, 4);
	put_u16(out + 4, WIRE_VERSION);
	put_u16(out + 6, (uint16_t)req->test);
	put_u32(out + 8, req->size);
	put_u32(out + 12, 0);
	wire_put_u64(out + 16, req->count);
}

int wire_request_decode(const uint8_t *buf, size_t len, struct wire_request *req)
{
	if (len < WIRE_REQUEST_LEN || memcmp(buf, magic, 4) || get_u16(buf + 4) != WIRE_VERSION ||
	    get_u32(buf + 12) != 0)
		return -1;
	uint16_t test = get_u16(buf + 6);
	uint32_t size = get_u32(buf + 8);
	uint64_t count = wire_get_u64(buf + 16);
	if (test < WIRE_TCP_LAT || test > WIRE_WRITE_BW || size < 1 || size > WIRE_MAX_SIZE ||
	    count < 1 || count > WIRE_MAX_COUNT)
		return -1;
	req->test = (enum wire_test)test;
	req->size = size;
	req->count = count;
	return 0;
}

void wire_reply_encode(enum wire_status status, uint8_t out[WIRE_REPLY_LEN])
{
	memcpy(out, magic, 4);
	put_u16(out + 4, (uint16_t)status);
	put_u16(out + 6, 0);
}

int wire_reply_decode(const uint8_t *buf, size_t len, enum wire_status *status)
{
	if (len < WIRE_REPLY_LEN || memcmp(buf, magic, 4) || get_u16(buf + 6) != 0)
		return -1;
	uint16_t s = get_u16(buf + 4);
	if (s > WIRE_VERBS_FAILED)
		return -1;
	*status = (enum wire_status)s;
	return 0;
}

void wire_qp_encode(const struct wire_qp *qp, uint8_t out[WIRE_QP_LEN])
{
	put_u16(out, qp->lid);
	out[2] = qp->mtu;
	out[3] = qp->flags;
	put_u32(out + 4, qp->qpn);
	put_u32(out + 8, qp->psn);
	put_u32(out + 12, qp->rkey);
	wire_put_u64(out + 16, qp->addr);
	memcpy(out + 24, qp->gid, 16);
}

int wire_qp_decode(const uint8_t *buf, size_t len, struct wire_qp *qp)
{
	if (len < WIRE_QP_LEN)
		return -1;
	struct wire_qp q = {
	    .lid = get_u16(buf),
	    .mtu = buf[2],
	    .flags = buf[3],
	    .qpn = get_u32(buf + 4),
	    .psn = get_u32(buf + 8),
	    .rkey = get_u32(buf + 12),
	    .addr = wire_get_u64(buf + 16),
	};
	memcpy(q.gid, buf + 24, 16);
	if (q.mtu < 1 || q.mtu > 5 || (q.flags & ~WIRE_QP_HAS_GID) || q.qpn > 0xffffff ||
	    q.psn > 0xffffff)
		return -1;
	*qp = q;
	return 0;
}
