/* test_codec.c - frame header and control message encoding/decoding, including bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/frame.h"
#include "cmpi/msg.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"

static void header_round_trip(void **state)
{
	uint8_t raw[CMPI_FRAME_HEADER_SIZE];
	struct cmpi_frame_header h;
	(void)state;
	cmpi_frame_header_encode(raw, CMPI_MSG_STDIO, 0x01020304);
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_OK);
	assert_int_equal(h.version, CMPI_FRAME_VERSION);
	assert_int_equal(h.type, CMPI_MSG_STDIO);
	assert_int_equal(h.length, 0x01020304);
	assert_int_equal(raw[4], 0x01); /* big-endian on the wire */
}

static void header_rejects_bad_input(void **state)
{
	uint8_t raw[CMPI_FRAME_HEADER_SIZE];
	struct cmpi_frame_header h;
	(void)state;
	for (size_t len = 0; len < CMPI_FRAME_HEADER_SIZE; len++)
		assert_int_equal(cmpi_frame_header_decode(raw, len, &h), CMPI_FRAME_INCOMPLETE);

	cmpi_frame_header_encode(raw, CMPI_MSG_BYE, 0);
	raw[0] = 2;
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_BAD_VERSION);

	cmpi_frame_header_encode(raw, CMPI_MSG_BYE, 0);
	raw[1] = 0;
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_BAD_TYPE);
	raw[1] = CMPI_MSG_TYPE_END;
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_BAD_TYPE);

	cmpi_frame_header_encode(raw, CMPI_MSG_BYE, 0);
	raw[3] = 1;
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_BAD_RESERVED);

	cmpi_frame_header_encode(raw, CMPI_MSG_JOB, CMPI_FRAME_MAX_PAYLOAD);
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_OK);
	cmpi_frame_header_encode(raw, CMPI_MSG_JOB, CMPI_FRAME_MAX_PAYLOAD + 1);
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_TOO_LARGE);
	cmpi_frame_header_encode(raw, CMPI_MSG_JOB, UINT32_MAX);
	assert_int_equal(cmpi_frame_header_decode(raw, sizeof raw, &h), CMPI_FRAME_TOO_LARGE);
}

/* Splits one frame off buf; returns its payload copy in out (caller frees buf). */
static void take_frame(struct evbuffer *buf, uint8_t type, uint8_t *out, size_t *len)
{
	struct cmpi_frame_header h;
	const uint8_t *payload;
	assert_int_equal(cmpi_frame_peek(buf, &h, &payload), CMPI_FRAME_OK);
	assert_int_equal(h.type, type);
	memcpy(out, payload, h.length);
	*len = h.length;
	evbuffer_drain(buf, CMPI_FRAME_HEADER_SIZE + h.length);
}

static void hello_round_trip(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	struct cmpi_msg_hello in = {.node = 7, .pid = 4242}, out;
	uint8_t payload[256];
	size_t len;
	(void)state;
	for (int i = 0; i < CMPI_TOKEN_SIZE; i++)
		in.token[i] = (uint8_t)(i * 7);
	assert_int_equal(cmpi_msg_hello_write(buf, &in), 0);
	take_frame(buf, CMPI_MSG_HELLO, payload, &len);
	assert_int_equal(cmpi_msg_hello_read(payload, len, &out), 0);
	assert_memory_equal(out.token, in.token, CMPI_TOKEN_SIZE);
	assert_int_equal(out.node, 7);
	assert_int_equal(out.pid, 4242);
	/* One byte short or long is malformed. */
	assert_int_equal(cmpi_msg_hello_read(payload, len - 1, &out), -1);
	assert_int_equal(cmpi_msg_hello_read(payload, len + 1, &out), -1);
	evbuffer_free(buf);
}

/* An MPMD job of 8 ranks, round-robin over 2 nodes, seen by node 1; `change`
 * spoils one field before it is encoded. */
static size_t encode_job(uint8_t *payload, size_t cap, void (*change)(struct cmpi_msg_job *))
{
	struct evbuffer *buf = evbuffer_new();
	char *argv_a[] = {"./a", "x y", "", NULL};
	char *argv_b[] = {"./b", NULL};
	char *env[] = {"X=1", NULL};
	char *env_b[] = {"B=2", NULL};
	char *no_env[] = {NULL};
	char *names[] = {"hostA", "hostB", NULL};
	uint32_t rank_node[] = {0, 1, 0, 1, 0, 1, 0, 1};
	struct cmpi_msg_app apps[] = {
	    {.first_rank = 0, .nranks = 5, .cwd = "/tmp", .argv = argv_a, .env = no_env},
	    {.first_rank = 5, .nranks = 3, .cwd = "", .argv = argv_b, .env = env_b},
	};
	struct cmpi_msg_job job = {
	    .jobid = "abc",
	    .size = 8,
	    .node = 1,
	    .nnodes = 2,
	    .flags = CMPI_JOB_STDIN_TO_RANK0,
	    .env = env,
	    .node_names = names,
	    .napps = 2,
	    .apps = apps,
	    .rank_node = rank_node,
	    .placement = {.map_by = 2, .bind_to = 2, .overload = 0, .report = 1, .pe = 2,
			  .first_slot = 4},
	};
	size_t len;
	if (change)
		change(&job);
	assert_int_equal(cmpi_msg_job_write(buf, &job), 0);
	take_frame(buf, CMPI_MSG_JOB, payload, &len);
	assert_true(len <= cap);
	evbuffer_free(buf);
	return len;
}

static void job_round_trip(void **state)
{
	uint8_t payload[1024];
	struct cmpi_msg_job job;
	(void)state;
	size_t len = encode_job(payload, sizeof payload, NULL);
	assert_int_equal(cmpi_msg_job_read(payload, len, &job), 0);
	assert_string_equal(job.jobid, "abc");
	assert_int_equal(job.size, 8);
	assert_int_equal(job.node, 1);
	assert_int_equal(job.flags, CMPI_JOB_STDIN_TO_RANK0);
	assert_string_equal(job.env[0], "X=1");
	assert_null(job.env[1]);
	assert_string_equal(job.node_names[1], "hostB");
	assert_null(job.node_names[2]);
	assert_int_equal(job.napps, 2);
	assert_string_equal(job.apps[0].cwd, "/tmp");
	assert_int_equal(cmpi_strv_len(job.apps[0].argv), 3);
	assert_string_equal(job.apps[0].argv[1], "x y");
	assert_string_equal(job.apps[0].argv[2], "");
	assert_null(job.apps[0].env[0]);
	assert_string_equal(job.apps[1].argv[0], "./b");
	assert_string_equal(job.apps[1].env[0], "B=2");
	assert_int_equal(job.apps[1].first_rank, 5);
	assert_int_equal(job.apps[1].nranks, 3);
	for (uint32_t r = 0; r < 8; r++)
		assert_int_equal(job.rank_node[r], r % 2);
	/* This node's ranks, and where each rank's program is. */
	assert_int_equal(job.nranks, 4);
	assert_int_equal(job.ranks[0], 1);
	assert_int_equal(job.ranks[3], 7);
	assert_int_equal(cmpi_msg_job_local_index(&job, 5), 2);
	assert_int_equal(cmpi_msg_job_local_index(&job, 4), -1);
	assert_int_equal(cmpi_msg_job_local_index(&job, 8), -1);
	assert_ptr_equal(cmpi_msg_job_app(&job, 4), &job.apps[0]);
	assert_ptr_equal(cmpi_msg_job_app(&job, 5), &job.apps[1]);
	assert_ptr_equal(cmpi_msg_job_app(&job, 7), &job.apps[1]);
	assert_int_equal(job.placement.map_by, 2);
	assert_int_equal(job.placement.bind_to, 2);
	assert_int_equal(job.placement.report, 1);
	assert_int_equal(job.placement.pe, 2);
	assert_int_equal(job.placement.first_slot, 4);
	cmpi_msg_job_clear(&job);
}

static void job_truncated_everywhere(void **state)
{
	uint8_t payload[1024];
	struct cmpi_msg_job job;
	(void)state;
	size_t len = encode_job(payload, sizeof payload, NULL);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(cmpi_msg_job_read(payload, cut, &job), -1);
}

static void node_out_of_range(struct cmpi_msg_job *m)
{
	m->node = 2; /* of 2 */
}

static void apps_leave_a_gap(struct cmpi_msg_job *m)
{
	m->apps[1].first_rank = 6;
	m->apps[1].nranks = 2;
}

static void app_without_ranks(struct cmpi_msg_job *m)
{
	m->apps[0].nranks = 0;
	m->apps[1].first_rank = 0;
	m->apps[1].nranks = 8;
}

static void app_without_program(struct cmpi_msg_job *m)
{
	static char *empty[] = {NULL};
	m->apps[1].argv = empty;
}

static void rank_on_unknown_node(struct cmpi_msg_job *m)
{
	m->rank_node[3] = 2;
}

static void bad_binding(struct cmpi_msg_job *m)
{
	m->placement.bind_to = 9;
}

static void no_cores_per_rank(struct cmpi_msg_job *m)
{
	m->placement.pe = 0;
}

static void job_rejects_bad_fields(void **state)
{
	void (*changes[])(struct cmpi_msg_job *) = {
	    node_out_of_range,	  apps_leave_a_gap, app_without_ranks, app_without_program,
	    rank_on_unknown_node, bad_binding,	    no_cores_per_rank,
	};
	uint8_t payload[1024];
	struct cmpi_msg_job job;
	(void)state;
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		size_t len = encode_job(payload, sizeof payload, changes[i]);
		assert_int_equal(cmpi_msg_job_read(payload, len, &job), -1);
	}

	size_t len = encode_job(payload, sizeof payload, NULL);
	uint8_t bad[1024];
	memcpy(bad, payload, len);
	bad[4] = '\0'; /* embedded NUL in a string */
	assert_int_equal(cmpi_msg_job_read(bad, len, &job), -1);

	/* The runs come before the 12 bytes of placement: they must add up to
	 * the job. The last run, (1, 1), becomes (1, 2): 9 ranks in a job of 8. */
	memcpy(bad, payload, len);
	assert_int_equal(bad[len - 12 - 1], 1);
	bad[len - 12 - 1] = 2;
	assert_int_equal(cmpi_msg_job_read(bad, len, &job), -1);
}

static void strv_count_cannot_lie(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	struct cmpi_unpack r;
	(void)state;
	cmpi_pack_u32(buf, 0x40000000); /* a billion strings in 4 bytes */
	size_t len = evbuffer_get_length(buf);
	cmpi_unpack_init(&r, evbuffer_pullup(buf, -1), len);
	assert_null(cmpi_unpack_strv(&r));
	assert_true(r.failed);
	evbuffer_free(buf);
}

static void stdio_exit_kill(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	uint8_t payload[256];
	size_t len;
	struct cmpi_msg_stdio io;
	struct cmpi_msg_exit ex = {.rank = 3, .pid = 99, .how = CMPI_EXIT_SIGNALED, .code = 11};
	struct cmpi_msg_kill k = {.signal = 15, .escalate_ms = 3000};
	(void)state;

	assert_int_equal(cmpi_msg_stdio_write(buf, 5, CMPI_STREAM_STDERR, "hi\n", 3), 0);
	take_frame(buf, CMPI_MSG_STDIO, payload, &len);
	assert_int_equal(cmpi_msg_stdio_read(payload, len, &io), 0);
	assert_int_equal(io.rank, 5);
	assert_int_equal(io.stream, CMPI_STREAM_STDERR);
	assert_int_equal(io.len, 3);
	assert_memory_equal(io.data, "hi\n", 3);
	payload[4] = 9; /* no such stream */
	assert_int_equal(cmpi_msg_stdio_read(payload, len, &io), -1);
	assert_int_equal(cmpi_msg_stdio_read(payload, 4, &io), -1);

	assert_int_equal(cmpi_msg_exit_write(buf, &ex), 0);
	take_frame(buf, CMPI_MSG_EXIT, payload, &len);
	memset(&ex, 0, sizeof ex);
	assert_int_equal(cmpi_msg_exit_read(payload, len, &ex), 0);
	assert_int_equal(ex.rank, 3);
	assert_int_equal(ex.how, CMPI_EXIT_SIGNALED);
	assert_int_equal(ex.code, 11);
	payload[8] = CMPI_EXIT_HOW_END;
	assert_int_equal(cmpi_msg_exit_read(payload, len, &ex), -1);

	assert_int_equal(cmpi_msg_kill_write(buf, &k), 0);
	take_frame(buf, CMPI_MSG_KILL, payload, &len);
	assert_int_equal(cmpi_msg_kill_read(payload, len, &k), 0);
	assert_int_equal(k.signal, 15);
	assert_int_equal(k.escalate_ms, 3000);
	payload[3] = 0; /* signal 0 */
	assert_int_equal(cmpi_msg_kill_read(payload, len, &k), -1);
	evbuffer_free(buf);
}

static void stdin_ack(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	struct cmpi_msg_stdin_ack ack = {.bytes = 65536, .closed = 1};
	uint8_t payload[64];
	size_t len;
	(void)state;
	assert_int_equal(cmpi_msg_stdin_ack_write(buf, &ack), 0);
	take_frame(buf, CMPI_MSG_STDIN_ACK, payload, &len);
	memset(&ack, 0, sizeof ack);
	assert_int_equal(cmpi_msg_stdin_ack_read(payload, len, &ack), 0);
	assert_int_equal(ack.bytes, 65536);
	assert_int_equal(ack.closed, 1);
	payload[4] = 2; /* a flag is 0 or 1 */
	assert_int_equal(cmpi_msg_stdin_ack_read(payload, len, &ack), -1);
	assert_int_equal(cmpi_msg_stdin_ack_read(payload, len - 1, &ack), -1);
	evbuffer_free(buf);
}

static void log_lines(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	uint8_t payload[CMPI_LOG_MAX + 1];
	char big[CMPI_LOG_MAX + 1];
	size_t len;
	(void)state;
	assert_int_equal(cmpi_msg_log_write(buf, "agent: hi\n", 10), 0);
	take_frame(buf, CMPI_MSG_LOG, payload, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(payload, "agent: hi\n", 10);
	/* Only whole lines, and not too long ones. */
	assert_int_equal(cmpi_msg_log_write(buf, "no newline", 10), -1);
	assert_int_equal(cmpi_msg_log_write(buf, "", 0), -1);
	memset(big, 'x', sizeof big);
	big[CMPI_LOG_MAX] = '\n';
	assert_int_equal(cmpi_msg_log_write(buf, big, sizeof big), -1);
	assert_int_equal(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}

static void peek_waits_for_whole_frames(void **state)
{
	struct evbuffer *wire = evbuffer_new(), *in = evbuffer_new();
	struct cmpi_frame_header h;
	const uint8_t *payload;
	uint8_t byte;
	int frames = 0;
	(void)state;
	cmpi_msg_stdin_write(wire, "abc", 3);
	cmpi_msg_bye_write(wire);
	cmpi_msg_started_write(wire);
	/* Feed one byte at a time: only whole frames come out, in order. */
	while (evbuffer_remove(wire, &byte, 1) == 1) {
		evbuffer_add(in, &byte, 1);
		enum cmpi_frame_status st = cmpi_frame_peek(in, &h, &payload);
		if (st == CMPI_FRAME_INCOMPLETE)
			continue;
		assert_int_equal(st, CMPI_FRAME_OK);
		const unsigned types[] = {CMPI_MSG_STDIN, CMPI_MSG_BYE, CMPI_MSG_STARTED};
		assert_true(frames < 3);
		assert_int_equal(h.type, types[frames]);
		if (frames == 0)
			assert_memory_equal(payload, "abc", 3);
		evbuffer_drain(in, CMPI_FRAME_HEADER_SIZE + h.length);
		frames++;
	}
	assert_int_equal(frames, 3);
	assert_int_equal(evbuffer_get_length(in), 0);

	/* An oversized header is refused before its payload arrives. */
	uint8_t raw[CMPI_FRAME_HEADER_SIZE];
	cmpi_frame_header_encode(raw, CMPI_MSG_STDIO, CMPI_FRAME_MAX_PAYLOAD + 1);
	evbuffer_add(in, raw, sizeof raw);
	assert_int_equal(cmpi_frame_peek(in, &h, &payload), CMPI_FRAME_TOO_LARGE);
	evbuffer_free(wire);
	evbuffer_free(in);
}

static void token_helpers(void **state)
{
	uint8_t a[CMPI_TOKEN_SIZE], b[CMPI_TOKEN_SIZE];
	char hex[2 * CMPI_TOKEN_SIZE + 1];
	(void)state;
	assert_int_equal(cmpi_random_bytes(a, sizeof a), 0);
	cmpi_hex_encode(a, sizeof a, hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(cmpi_hex_decode(hex, b, sizeof b), 0);
	assert_true(cmpi_bytes_equal(a, b, sizeof a));
	b[31] ^= 1;
	assert_false(cmpi_bytes_equal(a, b, sizeof a));
	assert_int_equal(cmpi_hex_decode("zz", b, 1), -1);
	assert_int_equal(cmpi_hex_decode(hex, b, sizeof b - 1), -1);
}

/* Every strict prefix of a wire-up message's payload is rejected, and the
 * whole payload decodes to what was encoded. */
static void wireup_messages(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	uint8_t payload[256];
	size_t len;
	(void)state;

	struct cmpi_msg_fence f = {.kind = CMPI_FENCE_PMI1, .seq = 9, .status = 3,
				   .data = (const uint8_t *)"abc", .len = 3}, fo;
	assert_int_equal(cmpi_msg_fence_write(buf, CMPI_MSG_FENCE_OUT, &f), 0);
	take_frame(buf, CMPI_MSG_FENCE_OUT, payload, &len);
	assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, len, &fo), 0);
	assert_int_equal(fo.kind, CMPI_FENCE_PMI1);
	assert_int_equal(fo.seq, 9);
	assert_int_equal(fo.status, 3);
	assert_int_equal(fo.len, 3);
	assert_memory_equal(fo.data, "abc", 3);
	for (size_t cut = 0; cut < 9; cut++) /* kind, seq, status */
		assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, cut, &fo), -1);
	payload[0] = CMPI_FENCE_KIND_END; /* no such kind */
	assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, len, &fo), -1);
	/* FENCE_IN has no status: the data starts right after the sequence. */
	assert_int_equal(cmpi_msg_fence_write(buf, CMPI_MSG_FENCE_IN, &f), 0);
	take_frame(buf, CMPI_MSG_FENCE_IN, payload, &len);
	assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_IN, payload, len, &fo), 0);
	assert_int_equal(fo.status, 0);
	assert_int_equal(fo.len, 3);

	struct cmpi_msg_dmodex d = {.node = 2, .id = 77, .rank = 5}, dout;
	assert_int_equal(cmpi_msg_dmodex_write(buf, CMPI_MSG_DMODEX_REQ, &d), 0);
	take_frame(buf, CMPI_MSG_DMODEX_REQ, payload, &len);
	assert_int_equal(cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_REQ, payload, len, &dout), 0);
	assert_int_equal(dout.node, 2);
	assert_int_equal(dout.id, 77);
	assert_int_equal(dout.rank, 5);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_REQ, payload, cut, &dout), -1);
	/* A request with something after it is not a request. */
	assert_int_equal(cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_REQ, payload, len + 1, &dout), -1);

	assert_int_equal(cmpi_msg_abort_write(buf, 4, CMPI_ABORT_CALLED, 7, "oops"), 0);
	take_frame(buf, CMPI_MSG_ABORT, payload, &len);
	struct cmpi_msg_abort ab;
	assert_int_equal(cmpi_msg_abort_read(payload, len, &ab), 0);
	assert_int_equal(ab.rank, 4);
	assert_int_equal(ab.reason, CMPI_ABORT_CALLED);
	assert_int_equal(ab.status, 7);
	assert_string_equal(ab.message, "oops");
	free(ab.message);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(cmpi_msg_abort_read(payload, cut, &ab), -1);
	payload[4] = CMPI_ABORT_REASON_END;
	assert_int_equal(cmpi_msg_abort_read(payload, len, &ab), -1);

	struct cmpi_msg_client c = {.rank = 3, .state = CMPI_CLIENT_FINALIZED}, cout;
	assert_int_equal(cmpi_msg_client_write(buf, &c), 0);
	take_frame(buf, CMPI_MSG_CLIENT, payload, &len);
	assert_int_equal(cmpi_msg_client_read(payload, len, &cout), 0);
	assert_int_equal(cout.rank, 3);
	assert_int_equal(cout.state, CMPI_CLIENT_FINALIZED);
	payload[4] = 0;
	assert_int_equal(cmpi_msg_client_read(payload, len, &cout), -1);
	evbuffer_free(buf);
}

static void tree_messages(void **state)
{
	struct evbuffer *buf = evbuffer_new();
	uint8_t payload[256];
	size_t len;
	char *addr;
	(void)state;

	assert_int_equal(cmpi_msg_tree_port_write(buf, "[::1]:4711"), 0);
	take_frame(buf, CMPI_MSG_TREE_PORT, payload, &len);
	assert_int_equal(cmpi_msg_tree_port_read(payload, len, &addr), 0);
	assert_string_equal(addr, "[::1]:4711");
	free(addr);
	assert_int_equal(cmpi_msg_tree_port_write(buf, ""), 0); /* an address says something */
	take_frame(buf, CMPI_MSG_TREE_PORT, payload, &len);
	assert_int_equal(cmpi_msg_tree_port_read(payload, len, &addr), -1);
	assert_null(addr);

	uint32_t children[] = {5, 6, 7};
	struct cmpi_msg_tree t = {.parent = "10.0.0.1:99", .nchildren = 3, .children = children},
			     tout;
	assert_int_equal(cmpi_msg_tree_write(buf, &t), 0);
	take_frame(buf, CMPI_MSG_TREE, payload, &len);
	assert_int_equal(cmpi_msg_tree_read(payload, len, &tout), 0);
	assert_string_equal(tout.parent, "10.0.0.1:99");
	assert_int_equal(tout.nchildren, 3);
	assert_memory_equal(tout.children, children, sizeof children);
	cmpi_msg_tree_clear(&tout);
	for (size_t cut = 0; cut < len; cut++) {
		assert_int_equal(cmpi_msg_tree_read(payload, cut, &tout), -1);
		assert_null(tout.parent);
	}
	/* A count the payload cannot hold is refused before anything is allocated for it. */
	payload[len - 13] = 0xff;
	assert_int_equal(cmpi_msg_tree_read(payload, len, &tout), -1);
	evbuffer_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_round_trip),
		cmocka_unit_test(header_rejects_bad_input),
		cmocka_unit_test(hello_round_trip),
		cmocka_unit_test(job_round_trip),
		cmocka_unit_test(job_truncated_everywhere),
		cmocka_unit_test(job_rejects_bad_fields),
		cmocka_unit_test(strv_count_cannot_lie),
		cmocka_unit_test(stdio_exit_kill),
		cmocka_unit_test(stdin_ack),
		cmocka_unit_test(log_lines),
		cmocka_unit_test(peek_waits_for_whole_frames),
		cmocka_unit_test(token_helpers),
		cmocka_unit_test(wireup_messages),
		cmocka_unit_test(tree_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
