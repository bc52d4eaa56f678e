/* test_wireup.c - the launcher's allgathers, direct-modex routing, aborts and MPI exit rules,
 * driven with encoded frames as agents would send them. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/msg.h"
#include "wireup.h"

#define NODES 3

/* Three fake agents: what the launcher sent each, whether it is still there,
 * and the failure the job was told about. */
struct fake {
	struct evbuffer *out[NODES];
	int gone[NODES];
	int fails;
	int code;
	char msg[512];
	int fences_done, ranks_in_mpi; /* what the timing report hears */
};

static struct evbuffer *agent_output(void *ctx, long node)
{
	struct fake *f = ctx;
	return f->gone[node] ? NULL : f->out[node];
}

static void job_fail(void *ctx, int code, const char *msg)
{
	struct fake *f = ctx;
	if (f->fails++ == 0) {
		f->code = code;
		snprintf(f->msg, sizeof f->msg, "%s", msg);
	}
}

static void fence_done(void *ctx)
{
	((struct fake *)ctx)->fences_done++;
}

static void rank_in_mpi(void *ctx, long rank)
{
	(void)rank;
	((struct fake *)ctx)->ranks_in_mpi++;
}

static const struct wireup_ops ops = {.agent_output = agent_output,
				      .fail = job_fail,
				      .rank_in_mpi = rank_in_mpi,
				      .fence_done = fence_done};

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof *f);
	for (int i = 0; i < NODES; i++)
		f->out[i] = evbuffer_new();
	return f;
}

static void fake_free(struct fake *f)
{
	for (int i = 0; i < NODES; i++)
		evbuffer_free(f->out[i]);
	free(f);
}

/* Frames are encoded into a scratch buffer and fed as the launcher's
 * control server would: one header, one payload. */
static int feed(struct wireup *w, long node, struct evbuffer *frame)
{
	struct cmpi_frame_header h;
	const uint8_t *payload;
	assert_int_equal(cmpi_frame_peek(frame, &h, &payload), CMPI_FRAME_OK);
	assert_true(wireup_handles(h.type));
	int rc = wireup_frame(w, node, &h, payload);
	evbuffer_drain(frame, CMPI_FRAME_HEADER_SIZE + h.length);
	return rc;
}

static int fence_in(struct wireup *w, long node, uint8_t kind, uint32_t seq, const char *data)
{
	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_fence m = {
	    .kind = kind, .seq = seq, .data = (const uint8_t *)data, .len = strlen(data)};
	assert_int_equal(cmpi_msg_fence_write(b, CMPI_MSG_FENCE_IN, &m), 0);
	int rc = feed(w, node, b);
	evbuffer_free(b);
	return rc;
}

static int client(struct wireup *w, long node, uint32_t rank, uint8_t state)
{
	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_client m = {.rank = rank, .state = state};
	assert_int_equal(cmpi_msg_client_write(b, &m), 0);
	int rc = feed(w, node, b);
	evbuffer_free(b);
	return rc;
}

/* Takes the next frame the launcher sent to node; returns its type. */
static unsigned take(struct fake *f, long node, uint8_t *payload, size_t *len)
{
	struct cmpi_frame_header h;
	const uint8_t *p;
	*len = 0;
	if (cmpi_frame_peek(f->out[node], &h, &p) != CMPI_FRAME_OK)
		return 0;
	memcpy(payload, p, h.length);
	*len = h.length;
	evbuffer_drain(f->out[node], CMPI_FRAME_HEADER_SIZE + h.length);
	return h.type;
}

static void expect_fence_out(struct fake *f, long node, uint8_t kind, uint32_t seq, uint32_t status,
			     size_t len_expected, const char *must_contain)
{
	uint8_t payload[4096];
	size_t len;
	struct cmpi_msg_fence m;
	assert_int_equal(take(f, node, payload, &len), CMPI_MSG_FENCE_OUT);
	assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, len, &m), 0);
	assert_int_equal(m.kind, kind);
	assert_int_equal(m.seq, seq);
	assert_int_equal(m.status, status);
	assert_int_equal(m.len, len_expected);
	if (must_contain)
		assert_non_null(memmem(m.data, m.len, must_contain, strlen(must_contain)));
}

static const uint32_t rank_node[] = {0, 0, 1, 2}; /* ranks 0-1, 2, 3 on three nodes */

static void fence_completes_when_every_agent_is_in(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	uint8_t buf[64];
	size_t len;
	(void)state;

	assert_int_equal(fence_in(w, 0, CMPI_FENCE_PMIX, 0, "aa"), 0);
	assert_int_equal(fence_in(w, 2, CMPI_FENCE_PMIX, 0, "cccc"), 0);
	for (int n = 0; n < NODES; n++)
		assert_int_equal(take(f, n, buf, &len), 0); /* nobody answered yet */
	/* A PMI-1 barrier with the same number is another collective. */
	assert_int_equal(fence_in(w, 1, CMPI_FENCE_PMI1, 0, "x"), 0);
	assert_int_equal(take(f, 1, buf, &len), 0);
	assert_int_equal(f->fences_done, 0);
	assert_int_equal(fence_in(w, 1, CMPI_FENCE_PMIX, 0, "b"), 0);
	for (int n = 0; n < NODES; n++)
		expect_fence_out(f, n, CMPI_FENCE_PMIX, 0, 0, 7, "cccc");
	assert_int_equal(f->fences_done, 1);
	assert_int_equal(f->fails, 0);
	wireup_free(w);
	fake_free(f);
}

static int tree_port(struct wireup *w, long node, const char *addr)
{
	struct evbuffer *b = evbuffer_new();
	assert_int_equal(cmpi_msg_tree_port_write(b, addr), 0);
	int rc = feed(w, node, b);
	evbuffer_free(b);
	return rc;
}

static void expect_tree(struct fake *f, long node, const char *parent, uint32_t nchildren,
			uint32_t child)
{
	uint8_t payload[256];
	size_t len;
	struct cmpi_msg_tree m;
	assert_int_equal(take(f, node, payload, &len), CMPI_MSG_TREE);
	assert_int_equal(cmpi_msg_tree_read(payload, len, &m), 0);
	assert_string_equal(m.parent, parent);
	assert_int_equal(m.nchildren, nchildren);
	if (nchildren)
		assert_int_equal(m.children[0], child);
	cmpi_msg_tree_clear(&m);
}

/* Fanout 1 on three nodes: a chain 0 <- 1 <- 2 under the launcher. Every place
 * goes out once every agent has said where it listens; then only node 0 sends
 * parts here and only node 0 gets the result. */
static void tree_places_the_agents_and_gathers_from_the_top(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 1, &ops, f);
	uint8_t buf[64];
	size_t len;
	(void)state;

	for (int n = 0; n < NODES; n++)
		assert_true(wireup_uses_tree(w, n));
	assert_int_equal(tree_port(w, 2, "127.0.0.1:3002"), 0);
	assert_int_equal(tree_port(w, 0, "127.0.0.1:3000"), 0);
	assert_int_equal(tree_port(w, 0, "127.0.0.1:3000"), -1); /* said twice */
	assert_int_equal(take(f, 0, buf, &len), 0);		  /* not all are in yet */
	assert_int_equal(tree_port(w, 1, "127.0.0.1:3001"), 0);
	expect_tree(f, 0, "", 1, 1);
	expect_tree(f, 1, "127.0.0.1:3000", 1, 2);
	expect_tree(f, 2, "127.0.0.1:3001", 0, 0);

	assert_int_equal(fence_in(w, 1, CMPI_FENCE_PMIX, 0, "b"), -1); /* not the launcher's child */
	assert_int_equal(fence_in(w, 0, CMPI_FENCE_PMIX, 0, "aabcccc"), 0);
	expect_fence_out(f, 0, CMPI_FENCE_PMIX, 0, 0, 7, "cccc");
	assert_int_equal(take(f, 1, buf, &len), 0);
	assert_int_equal(take(f, 2, buf, &len), 0);
	assert_int_equal(f->fences_done, 1);
	assert_int_equal(f->fails, 0);
	wireup_free(w);
	fake_free(f);
}

/* No more agents with ranks than the fanout: the tree would be the star. */
static void small_jobs_keep_the_star(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 3, &ops, f);
	(void)state;
	for (int n = 0; n < NODES; n++)
		assert_false(wireup_uses_tree(w, n));
	assert_int_equal(tree_port(w, 0, "127.0.0.1:3000"), -1);
	wireup_free(w);
	fake_free(f);
}

static void same_part_twice_is_a_protocol_error(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	(void)state;
	assert_int_equal(fence_in(w, 0, CMPI_FENCE_PMIX, 5, "a"), 0);
	assert_int_equal(fence_in(w, 0, CMPI_FENCE_PMIX, 5, "a"), -1);
	wireup_free(w);
	fake_free(f);
}

static void lost_agent_ends_fences_with_an_error(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	uint8_t buf[64];
	size_t len;
	(void)state;
	assert_int_equal(fence_in(w, 0, CMPI_FENCE_PMI1, 3, "a"), 0);
	f->gone[2] = 1;
	wireup_agent_lost(w, 2);
	/* Everyone still there hears that the barrier failed: no one waits. */
	expect_fence_out(f, 0, CMPI_FENCE_PMI1, 3, 1, 0, NULL);
	expect_fence_out(f, 1, CMPI_FENCE_PMI1, 3, 1, 0, NULL);
	/* A later fence fails at once for whoever enters it. */
	assert_int_equal(fence_in(w, 1, CMPI_FENCE_PMIX, 0, "b"), 0);
	expect_fence_out(f, 1, CMPI_FENCE_PMIX, 0, 1, 0, NULL);
	assert_int_equal(take(f, 0, buf, &len), 0);
	wireup_free(w);
	fake_free(f);
}

static void dmodex_is_routed_to_the_owner_and_back(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	struct evbuffer *b = evbuffer_new();
	uint8_t payload[256];
	size_t len = 0;
	struct cmpi_msg_dmodex m = {.id = 42, .rank = 3};
	(void)state;

	/* Node 0 asks for rank 3, which node 2 runs. */
	cmpi_msg_dmodex_write(b, CMPI_MSG_DMODEX_REQ, &m);
	assert_int_equal(feed(w, 0, b), 0);
	assert_int_equal(take(f, 2, payload, &len), CMPI_MSG_DMODEX_REQ);
	assert_int_equal(cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_REQ, payload, len, &m), 0);
	assert_int_equal(m.node, 0);
	assert_int_equal(m.id, 42);
	assert_int_equal(m.rank, 3);

	/* Node 2 answers node 0. */
	struct cmpi_msg_dmodex resp = {
	    .node = 0, .id = 42, .data = (const uint8_t *)"blob", .len = 4};
	cmpi_msg_dmodex_write(b, CMPI_MSG_DMODEX_RESP, &resp);
	assert_int_equal(feed(w, 2, b), 0);
	assert_int_equal(take(f, 0, payload, &len), CMPI_MSG_DMODEX_RESP);
	assert_int_equal(cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_RESP, payload, len, &m), 0);
	assert_int_equal(m.node, 2);
	assert_int_equal(m.status, 0);
	assert_memory_equal(m.data, "blob", 4);

	/* Asking for a rank of the asker's own, or one outside the job, is a bug. */
	m = (struct cmpi_msg_dmodex){.id = 1, .rank = 1};
	cmpi_msg_dmodex_write(b, CMPI_MSG_DMODEX_REQ, &m);
	assert_int_equal(feed(w, 0, b), -1);
	m.rank = 4;
	cmpi_msg_dmodex_write(b, CMPI_MSG_DMODEX_REQ, &m);
	assert_int_equal(feed(w, 0, b), -1);

	/* The owner is gone: the asker gets an error, not silence. */
	f->gone[1] = 1;
	m.rank = 2;
	cmpi_msg_dmodex_write(b, CMPI_MSG_DMODEX_REQ, &m);
	assert_int_equal(feed(w, 0, b), 0);
	assert_int_equal(take(f, 0, payload, &len), CMPI_MSG_DMODEX_RESP);
	assert_int_equal(cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_RESP, payload, len, &m), 0);
	assert_int_not_equal(m.status, 0);
	evbuffer_free(b);
	wireup_free(w);
	fake_free(f);
}

static void abort_ends_the_job_with_its_status(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	struct evbuffer *b = evbuffer_new();
	(void)state;

	/* A rank of another node is a lie. */
	cmpi_msg_abort_write(b, 0, CMPI_ABORT_CALLED, 7, "");
	assert_int_equal(feed(w, 1, b), -1);
	assert_int_equal(f->fails, 0);

	cmpi_msg_abort_write(b, 2, CMPI_ABORT_CALLED, 7, "N/A");
	assert_int_equal(feed(w, 1, b), 0);
	assert_int_equal(f->code, 7);
	assert_string_equal(f->msg, "rank 2 on node 1 called MPI_Abort with status 7");
	evbuffer_free(b);
	wireup_free(w);
	fake_free(f);
}

static void abort_with_status_256_is_still_a_failure(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	struct evbuffer *b = evbuffer_new();
	(void)state;
	cmpi_msg_abort_write(b, 3, CMPI_ABORT_CALLED, 256, "bye");
	assert_int_equal(feed(w, 2, b), 0);
	assert_int_equal(f->code, 1);
	assert_non_null(strstr(f->msg, "status 256: bye"));
	evbuffer_free(b);
	wireup_free(w);
	fake_free(f);
}

static void finalized_ranks_may_exit(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	(void)state;
	for (uint32_t r = 0; r < 4; r++) {
		long node = r < 2 ? 0 : (long)r - 1;
		assert_int_equal(client(w, node, r, CMPI_CLIENT_PMI1), 0);
		assert_int_equal(client(w, node, r, CMPI_CLIENT_FINALIZED), 0);
		wireup_rank_exited(w, r);
	}
	assert_int_equal(f->fails, 0);
	assert_int_equal(f->ranks_in_mpi, 4); /* connections only, not finalizes */
	/* A rank of another node is a lie. */
	assert_int_equal(client(w, 1, 0, CMPI_CLIENT_PMIX), -1);
	wireup_free(w);
	fake_free(f);
}

static void leaving_mpi_early_fails_the_job(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	(void)state;
	assert_int_equal(client(w, 0, 0, CMPI_CLIENT_PMIX), 0);
	wireup_rank_exited(w, 0); /* connected, never finalized */
	assert_int_equal(f->fails, 1);
	assert_int_equal(f->code, 1);
	assert_non_null(
	    strstr(f->msg, "rank 0 on node 0 exited with status 0 without calling MPI_Finalize"));
	wireup_free(w);
	fake_free(f);
}

static void non_mpi_rank_fails_once_others_use_mpi(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	(void)state;
	/* Rank 3 exits before anyone used MPI: a plain program so far. */
	wireup_rank_exited(w, 3);
	assert_int_equal(f->fails, 0);
	/* Then rank 1 connects: rank 3 left an MPI job without MPI_Init. */
	assert_int_equal(client(w, 0, 1, CMPI_CLIENT_PMIX), 0);
	assert_int_equal(f->fails, 1);
	assert_non_null(
	    strstr(f->msg, "rank 3 on node 2 exited with status 0 without calling MPI_Init"));
	wireup_free(w);
	fake_free(f);
}

static void malformed_frames_are_rejected(void **state)
{
	struct fake *f = fake_new();
	struct wireup *w = wireup_create(NODES, 4, rank_node, 0, &ops, f);
	uint8_t junk[3] = {9, 9, 9};
	struct cmpi_frame_header h = {.version = CMPI_FRAME_VERSION, .length = sizeof junk};
	(void)state;
	for (unsigned t = CMPI_MSG_FENCE_IN; t < CMPI_MSG_TYPE_END; t++) {
		if (!wireup_handles(t))
			continue;
		h.type = (uint8_t)t;
		assert_int_equal(wireup_frame(w, 0, &h, junk), -1);
	}
	assert_false(wireup_handles(CMPI_MSG_FENCE_OUT)); /* launcher -> agent only */
	assert_int_equal(f->fails, 0);
	wireup_free(w);
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fence_completes_when_every_agent_is_in),
	    cmocka_unit_test(same_part_twice_is_a_protocol_error),
	    cmocka_unit_test(tree_places_the_agents_and_gathers_from_the_top),
	    cmocka_unit_test(small_jobs_keep_the_star),
	    cmocka_unit_test(lost_agent_ends_fences_with_an_error),
	    cmocka_unit_test(dmodex_is_routed_to_the_owner_and_back),
	    cmocka_unit_test(abort_ends_the_job_with_its_status),
	    cmocka_unit_test(abort_with_status_256_is_still_a_failure),
	    cmocka_unit_test(finalized_ranks_may_exit),
	    cmocka_unit_test(leaving_mpi_early_fails_the_job),
	    cmocka_unit_test(non_mpi_rank_fails_once_others_use_mpi),
	    cmocka_unit_test(malformed_frames_are_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
