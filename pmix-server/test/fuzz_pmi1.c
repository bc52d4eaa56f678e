/* fuzz_pmi1.c - libFuzzer harness for the PMI-1 engine: client bytes in chunks, several
 * clients, barrier blobs from "other agents", and what the engine promises the agent.
 *
 * Input: byte 0 is the job and the agent:
 *   bits 0-1  local ranks - 1 (1..4)
 *   bit 2     the local ranks are the odd ones of a job twice as big (others elsewhere)
 *   bit 3     clients come over PMI_PORT (they must say cmd=initack) rather than PMI_FD
 *   bit 4     PMI_process_mapping is published      bit 5  MPMD appnums
 *   bit 6     ops->barrier answers at once with the engine's own blob (a one-agent job)
 *   bit 7     sends to the second client fail
 * byte 1 seeds the chunk sizes (0: each segment at once). The rest is segments split
 * at 0xff: even ones are client bytes, odd ones a barrier blob for
 * pmi1_server_barrier_done (status 1 when the blob starts with 0xfd). In client bytes,
 * 0xfe switches to the next client and 0xfc says the current client's rank ended. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmi1.h"

#include "fuzz_check.h"

#define MAXRANKS 4
#define KVSNAME "kvs_1_0"

struct peer {
	struct pmi1_client *c;
	bool fail_send, send_failed;
	int initialized, finalized;
};

struct agent {
	struct pmi1_server *srv;
	struct peer peer[MAXRANKS];
	bool answer_at_once;
	bool barrier_pending; /* ops->barrier called, not answered yet */
	char *own_blob;	      /* the engine's blob of the pending barrier */
	size_t own_len;
	int errors;
};

static int f_send(void *ctx, void *client_ctx, const char *buf, size_t len)
{
	struct peer *p = client_ctx;
	(void)ctx;
	/* Every reply is whole lines of "cmd=...". */
	CHECK(len > 4 && !memcmp(buf, "cmd=", 4) && buf[len - 1] == '\n');
	CHECK(!memchr(buf, '\0', len));
	if (p->fail_send) {
		p->send_failed = true;
		return -1;
	}
	return 0;
}

static void f_barrier(void *ctx, const void *blob, size_t len)
{
	struct agent *a = ctx;
	CHECK(!a->barrier_pending);
	CHECK(blob || !len);
	if (a->answer_at_once) {
		/* What this engine encodes it must accept. */
		CHECK(pmi1_server_barrier_done(a->srv, 0, blob, len) == 0);
		return;
	}
	a->barrier_pending = true;
	free(a->own_blob);
	a->own_blob = malloc(len ? len : 1);
	CHECK(a->own_blob);
	if (len)
		memcpy(a->own_blob, blob, len);
	a->own_len = len;
}

static void f_abort(void *ctx, long rank, int code, const char *msg)
{
	(void)ctx;
	(void)code;
	CHECK(rank >= 0 && msg);
}

static struct peer *peer_of(struct agent *a, long rank)
{
	for (int i = 0; i < MAXRANKS; i++)
		if (a->peer[i].c && pmi1_client_rank(a->peer[i].c) == rank)
			return &a->peer[i];
	return NULL;
}

static void f_initialized(void *ctx, long rank)
{
	struct peer *p = peer_of(ctx, rank);
	CHECK(p && ++p->initialized == 1);
}

static void f_finalized(void *ctx, long rank)
{
	struct peer *p = peer_of(ctx, rank);
	CHECK(p && ++p->finalized == 1);
}

static void f_protocol_error(void *ctx, long rank, const char *why)
{
	struct agent *a = ctx;
	(void)rank;
	CHECK(why && *why);
	a->errors++;
}

static const struct pmi1_ops ops = {
    .send = f_send,
    .barrier = f_barrier,
    .abort = f_abort,
    .initialized = f_initialized,
    .finalized = f_finalized,
    .protocol_error = f_protocol_error,
};

/* A new connection in slot i: PMI_FD with its rank, or PMI_PORT. */
static void connect_peer(struct agent *a, int i, long rank, bool fail_send)
{
	struct peer *p = &a->peer[i];
	*p = (struct peer){.fail_send = fail_send};
	p->c = pmi1_client_create(a->srv, rank, p);
	CHECK(p->c);
}

/* Client bytes for peer i; a client that broke the protocol is closed and
 * its slot reconnects over PMI_PORT, as a new connection to the port would. */
static void feed(struct agent *a, int i, const char *data, size_t len)
{
	struct peer *p = &a->peer[i];
	int errors = a->errors;
	int rc = pmi1_client_input(p->c, data, len);
	/* -1 exactly when it broke the protocol or a send to it failed. */
	if (a->errors > errors)
		CHECK(rc == -1);
	if (rc < 0) {
		CHECK(a->errors > errors || p->send_failed);
		pmi1_client_free(p->c);
		connect_peer(a, i, -1, p->fail_send);
	}
}

static void blob(struct agent *a, const uint8_t *data, size_t len)
{
	int status = len && data[0] == 0xfd;
	if (status) {
		data++;
		len--;
	}
	int rc = pmi1_server_barrier_done(a->srv, status, data, len);
	if (!a->barrier_pending) {
		CHECK(rc == -1 && errno == EPROTO);
		return;
	}
	/* A failed collective leaves the barrier waiting: the agent kills the job. */
	if (rc == 0 && !status)
		a->barrier_pending = false;
	CHECK(rc == 0 || errno == EINVAL);
}

static uint32_t next_chunk(uint32_t *x)
{
	/* xorshift32: cheap, and the same sizes for the same seed byte. */
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return 1 + *x % 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t cfg = data[0];
	uint32_t seed = data[1], x = seed * 2654435761u + 1;
	long n = (cfg & 3) + 1, scattered = (cfg >> 2) & 1;
	uint32_t ranks[MAXRANKS], rank_app[2 * MAXRANKS];
	for (long i = 0; i < n; i++)
		ranks[i] = (uint32_t)(scattered ? 2 * i + 1 : i);
	for (long r = 0; r < 2 * MAXRANKS; r++)
		rank_app[r] = (uint32_t)(r % 2);
	struct pmi1_job job = {
	    .kvsname = KVSNAME,
	    .size = scattered ? 2 * n : n,
	    .rank_app = cfg & 0x20 ? rank_app : NULL,
	    .process_mapping = cfg & 0x10 ? "(vector,(0,1,4))" : NULL,
	    .ranks = ranks,
	    .nranks = n,
	};
	struct agent a = {.answer_at_once = cfg & 0x40};
	a.srv = pmi1_server_create(&job, &ops, &a);
	CHECK(a.srv);
	for (int i = 0; i < n; i++)
		connect_peer(&a, i, cfg & 8 ? -1 : (long)ranks[i], i == 1 && (cfg & 0x80));

	const uint8_t *p = data + 2, *end = data + size;
	int cur = 0;
	for (int seg = 0;; seg++) {
		const uint8_t *stop = memchr(p, 0xff, (size_t)(end - p));
		if (!stop)
			stop = end;
		if (seg % 2) {
			blob(&a, p, (size_t)(stop - p));
		} else {
			/* Client bytes up to the next control byte, in chunks. */
			const uint8_t *q = p;
			while (q < stop) {
				if (*q == 0xfe || *q == 0xfc) {
					if (*q == 0xfe)
						cur = (cur + 1) % (int)n;
					else
						pmi1_server_rank_gone(a.srv, (long)ranks[cur]);
					q++;
					continue;
				}
				const uint8_t *ctl = q;
				while (ctl < stop && *ctl != 0xfe && *ctl != 0xfc)
					ctl++;
				size_t left = (size_t)(ctl - q);
				size_t take = seed ? next_chunk(&x) : left;
				take = take < left ? take : left;
				feed(&a, cur, (const char *)q, take);
				q += take;
			}
		}
		if (stop == end)
			break;
		p = stop + 1;
	}
	/* The engine's own blob, answered as one agent would. */
	if (a.barrier_pending)
		CHECK(pmi1_server_barrier_done(a.srv, 0, a.own_blob, a.own_len) == 0);
	pmi1_server_free(a.srv);
	free(a.own_blob);
	return 0;
}
