/* fuzz_msg.c - libFuzzer harness for the control protocol: frame headers, the frame splitter
 * and every message decoder, with a round trip through the encoders for what decodes.
 *
 * Input: the first byte picks the mode.
 *   1..CMPI_MSG_TYPE_END-1  the rest is one payload of that type
 *   0                       the rest is a byte stream off a connection, split into frames
 *   more                    the same, fed to an evbuffer in chunks of a size that byte says
 * A property that does not hold aborts, so the fuzzer reports it as a crash. */
#include <event2/buffer.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/frame.h"
#include "cmpi/msg.h"
#include "cmpi/pack.h"

#include "fuzz_check.h"

/* Splits the one frame an encoder wrote into buf: its payload, checked
 * against the type and length the header says. */
static const uint8_t *one_frame(struct evbuffer *buf, enum cmpi_msg_type type, size_t *len)
{
	struct cmpi_frame_header h;
	const uint8_t *payload = NULL;
	CHECK(cmpi_frame_peek(buf, &h, &payload) == CMPI_FRAME_OK);
	CHECK(h.type == type);
	CHECK(evbuffer_get_length(buf) == CMPI_FRAME_HEADER_SIZE + (size_t)h.length);
	*len = h.length;
	return payload;
}

static bool strv_equal(char *const *a, char *const *b)
{
	size_t n = cmpi_strv_len(a);
	if (n != cmpi_strv_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static bool bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

/* What the agent relies on in a JOB it accepted. */
static void job_invariants(const struct cmpi_msg_job *m)
{
	uint32_t local = 0;
	CHECK(m->jobid && m->env && m->node_names && m->apps && m->rank_node && m->ranks);
	CHECK(m->node < m->nnodes && m->nranks <= m->size);
	for (uint32_t i = 0; i < m->nranks; i++)
		CHECK(i == 0 || m->ranks[i] > m->ranks[i - 1]);
	for (uint32_t r = 0; r < m->size; r++) {
		const struct cmpi_msg_app *a = cmpi_msg_job_app(m, r);
		long idx = cmpi_msg_job_local_index(m, r);
		CHECK(m->rank_node[r] < m->nnodes);
		CHECK(a->first_rank <= r && r - a->first_rank < a->nranks && a->argv[0]);
		CHECK((idx >= 0) == (m->rank_node[r] == m->node));
		CHECK(idx < 0 || (idx == local && m->ranks[idx] == r));
		local += idx >= 0;
	}
	CHECK(local == m->nranks);
}

static void job_equal(const struct cmpi_msg_job *a, const struct cmpi_msg_job *b)
{
	CHECK(!strcmp(a->jobid, b->jobid));
	CHECK(a->size == b->size && a->node == b->node && a->nnodes == b->nnodes);
	CHECK(a->flags == b->flags && a->napps == b->napps && a->nranks == b->nranks);
	CHECK(strv_equal(a->env, b->env) && strv_equal(a->node_names, b->node_names));
	for (uint32_t i = 0; i < a->napps; i++) {
		const struct cmpi_msg_app *x = &a->apps[i], *y = &b->apps[i];
		CHECK(x->first_rank == y->first_rank && x->nranks == y->nranks);
		CHECK(!strcmp(x->cwd, y->cwd));
		CHECK(strv_equal(x->argv, y->argv) && strv_equal(x->env, y->env));
	}
	CHECK(!memcmp(a->rank_node, b->rank_node, a->size * sizeof *a->rank_node));
	CHECK(!memcmp(a->ranks, b->ranks, a->nranks * sizeof *a->ranks));
	CHECK(a->placement.map_by == b->placement.map_by);
	CHECK(a->placement.bind_to == b->placement.bind_to);
	CHECK(a->placement.overload == b->placement.overload);
	CHECK(a->placement.report == b->placement.report);
	CHECK(a->placement.pe == b->placement.pe);
	CHECK(a->placement.first_slot == b->placement.first_slot);
}

static void job(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_job m, again;
	size_t len2;
	if (cmpi_msg_job_read(p, len, &m) < 0)
		return;
	job_invariants(&m);
	CHECK(cmpi_msg_job_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_JOB, &len2);
	CHECK(cmpi_msg_job_read(p2, len2, &again) == 0);
	job_equal(&m, &again);
	cmpi_msg_job_clear(&again);
	cmpi_msg_job_clear(&m);
}

static void hello(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_hello m, again;
	size_t len2;
	if (cmpi_msg_hello_read(p, len, &m) < 0)
		return;
	CHECK(cmpi_msg_hello_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_HELLO, &len2);
	CHECK(bytes_equal(p, len, p2, len2)); /* fixed layout: the very same bytes */
	CHECK(cmpi_msg_hello_read(p2, len2, &again) == 0);
	CHECK(!memcmp(m.token, again.token, sizeof m.token));
	CHECK(m.node == again.node && m.pid == again.pid);
}

static void stdio(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_stdio m, again;
	size_t len2;
	if (cmpi_msg_stdio_read(p, len, &m) < 0)
		return;
	CHECK(m.data >= p && m.data + m.len == p + len);
	CHECK(cmpi_msg_stdio_write(out, m.rank, m.stream, m.data, m.len) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_STDIO, &len2);
	CHECK(cmpi_msg_stdio_read(p2, len2, &again) == 0);
	CHECK(m.rank == again.rank && m.stream == again.stream);
	CHECK(bytes_equal(m.data, m.len, again.data, again.len));
}

/* STDIN and LOG carry their bytes as they are. */
static void raw(enum cmpi_msg_type type, const uint8_t *p, size_t len, struct evbuffer *out)
{
	size_t len2;
	if (type == CMPI_MSG_STDIN)
		CHECK(cmpi_msg_stdin_write(out, p, len) == 0);
	else if (cmpi_msg_log_write(out, (const char *)p, len) < 0)
		return; /* not a line the encoder would write */
	const uint8_t *p2 = one_frame(out, type, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
}

static void exit_msg(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_exit m, again;
	size_t len2;
	if (cmpi_msg_exit_read(p, len, &m) < 0)
		return;
	CHECK(m.how >= CMPI_EXIT_EXITED && m.how < CMPI_EXIT_HOW_END);
	CHECK(cmpi_msg_exit_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_EXIT, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_exit_read(p2, len2, &again) == 0);
	CHECK(m.rank == again.rank && m.pid == again.pid && m.how == again.how &&
	      m.code == again.code);
}

static void kill_msg(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_kill m, again;
	size_t len2;
	if (cmpi_msg_kill_read(p, len, &m) < 0)
		return;
	CHECK(m.signal > 0 && m.signal < 65);
	CHECK(cmpi_msg_kill_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_KILL, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_kill_read(p2, len2, &again) == 0);
	CHECK(m.signal == again.signal && m.escalate_ms == again.escalate_ms);
}

static void stdin_ack(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_stdin_ack m, again;
	size_t len2;
	if (cmpi_msg_stdin_ack_read(p, len, &m) < 0)
		return;
	CHECK(cmpi_msg_stdin_ack_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_STDIN_ACK, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_stdin_ack_read(p2, len2, &again) == 0);
	CHECK(m.bytes == again.bytes && m.closed == again.closed);
}

static void fence(enum cmpi_msg_type type, const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_fence m, again;
	size_t len2;
	if (cmpi_msg_fence_read(type, p, len, &m) < 0)
		return;
	CHECK(m.kind >= CMPI_FENCE_PMIX && m.kind < CMPI_FENCE_KIND_END);
	CHECK(m.data >= p && m.data + m.len == p + len);
	CHECK(cmpi_msg_fence_write(out, type, &m) == 0);
	const uint8_t *p2 = one_frame(out, type, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_fence_read(type, p2, len2, &again) == 0);
	CHECK(m.kind == again.kind && m.seq == again.seq && m.status == again.status);
	CHECK(bytes_equal(m.data, m.len, again.data, again.len));
}

static void dmodex(enum cmpi_msg_type type, const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_dmodex m, again;
	size_t len2;
	if (cmpi_msg_dmodex_read(type, p, len, &m) < 0)
		return;
	CHECK(cmpi_msg_dmodex_write(out, type, &m) == 0);
	const uint8_t *p2 = one_frame(out, type, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_dmodex_read(type, p2, len2, &again) == 0);
	CHECK(m.node == again.node && m.id == again.id && m.rank == again.rank &&
	      m.status == again.status);
	CHECK(bytes_equal(m.data, m.len, again.data, again.len));
}

static void abort_msg(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_abort m, again;
	size_t len2;
	if (cmpi_msg_abort_read(p, len, &m) < 0) {
		CHECK(!m.message); /* nothing left to free */
		return;
	}
	CHECK(m.message && m.reason >= CMPI_ABORT_CALLED && m.reason < CMPI_ABORT_REASON_END);
	CHECK(cmpi_msg_abort_write(out, m.rank, m.reason, m.status, m.message) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_ABORT, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_abort_read(p2, len2, &again) == 0);
	CHECK(m.rank == again.rank && m.reason == again.reason && m.status == again.status);
	CHECK(!strcmp(m.message, again.message));
	free(again.message);
	free(m.message);
}

static void client(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_client m, again;
	size_t len2;
	if (cmpi_msg_client_read(p, len, &m) < 0)
		return;
	CHECK(cmpi_msg_client_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_CLIENT, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_client_read(p2, len2, &again) == 0);
	CHECK(m.rank == again.rank && m.state == again.state);
}

static void tree_port(const uint8_t *p, size_t len, struct evbuffer *out)
{
	char *addr, *again;
	size_t len2;
	if (cmpi_msg_tree_port_read(p, len, &addr) < 0) {
		CHECK(!addr);
		return;
	}
	CHECK(addr[0]);
	CHECK(cmpi_msg_tree_port_write(out, addr) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_TREE_PORT, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_tree_port_read(p2, len2, &again) == 0 && !strcmp(addr, again));
	free(again);
	free(addr);
}

static void tree(const uint8_t *p, size_t len, struct evbuffer *out)
{
	struct cmpi_msg_tree m, again;
	size_t len2;
	if (cmpi_msg_tree_read(p, len, &m) < 0) {
		CHECK(!m.parent && !m.children); /* nothing left to free */
		return;
	}
	CHECK(m.parent && m.children && m.nchildren <= CMPI_TREE_MAX_CHILDREN);
	CHECK(cmpi_msg_tree_write(out, &m) == 0);
	const uint8_t *p2 = one_frame(out, CMPI_MSG_TREE, &len2);
	CHECK(bytes_equal(p, len, p2, len2));
	CHECK(cmpi_msg_tree_read(p2, len2, &again) == 0);
	CHECK(!strcmp(m.parent, again.parent) && m.nchildren == again.nchildren);
	CHECK(!memcmp(m.children, again.children, m.nchildren * sizeof *m.children));
	cmpi_msg_tree_clear(&again);
	cmpi_msg_tree_clear(&m);
}

/* BYE and STARTED: no payload, no decoder; their encoders write an empty frame. */
static void empty(enum cmpi_msg_type type, struct evbuffer *out)
{
	size_t len2;
	CHECK((type == CMPI_MSG_BYE ? cmpi_msg_bye_write(out) : cmpi_msg_started_write(out)) == 0);
	one_frame(out, type, &len2);
	CHECK(len2 == 0);
}

/* One payload of type through its decoder and, when it decodes, the round trip. */
static void payload(unsigned type, const uint8_t *p, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	CHECK(out);
	switch (type) {
	case CMPI_MSG_HELLO:
		hello(p, len, out);
		break;
	case CMPI_MSG_JOB:
		job(p, len, out);
		break;
	case CMPI_MSG_STDIO:
		stdio(p, len, out);
		break;
	case CMPI_MSG_STDIN:
	case CMPI_MSG_LOG:
		raw(type, p, len, out);
		break;
	case CMPI_MSG_EXIT:
		exit_msg(p, len, out);
		break;
	case CMPI_MSG_KILL:
		kill_msg(p, len, out);
		break;
	case CMPI_MSG_BYE:
	case CMPI_MSG_STARTED:
		empty(type, out);
		break;
	case CMPI_MSG_STDIN_ACK:
		stdin_ack(p, len, out);
		break;
	case CMPI_MSG_FENCE_IN:
	case CMPI_MSG_FENCE_OUT:
		fence(type, p, len, out);
		break;
	case CMPI_MSG_DMODEX_REQ:
	case CMPI_MSG_DMODEX_RESP:
		dmodex(type, p, len, out);
		break;
	case CMPI_MSG_ABORT:
		abort_msg(p, len, out);
		break;
	case CMPI_MSG_CLIENT:
		client(p, len, out);
		break;
	case CMPI_MSG_TREE_PORT:
		tree_port(p, len, out);
		break;
	case CMPI_MSG_TREE:
		tree(p, len, out);
		break;
	default:
		CHECK(!"cmpi_frame_peek let an unknown type through");
	}
	evbuffer_free(out);
}

/* A header that decodes encodes back to the same 8 bytes. */
static void header(const uint8_t *data, size_t size)
{
	struct cmpi_frame_header h;
	uint8_t again[CMPI_FRAME_HEADER_SIZE];
	enum cmpi_frame_status st = cmpi_frame_header_decode(data, size, &h);
	CHECK(cmpi_frame_status_string(st) != NULL);
	if (st != CMPI_FRAME_OK)
		return;
	CHECK(cmpi_msg_type_name(h.type)[0] != '?');
	cmpi_frame_header_encode(again, h.type, h.length);
	CHECK(!memcmp(data, again, sizeof again));
}

/* Bytes as they come off a connection, chunk by chunk, each whole frame handled
 * and drained as the agent and the launcher do; a bad header ends it. */
static void stream(size_t chunk, const uint8_t *data, size_t size)
{
	struct evbuffer *in = evbuffer_new();
	size_t off = 0;
	CHECK(in);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		CHECK(evbuffer_add(in, data + off, n) == 0);
		off += n;
		for (;;) {
			struct cmpi_frame_header h;
			const uint8_t *p = NULL;
			enum cmpi_frame_status st = cmpi_frame_peek(in, &h, &p);
			if (st == CMPI_FRAME_INCOMPLETE)
				break;
			if (st != CMPI_FRAME_OK)
				goto out;
			payload(h.type, p, h.length);
			CHECK(evbuffer_drain(in, CMPI_FRAME_HEADER_SIZE + (size_t)h.length) == 0);
		}
	}
out:
	evbuffer_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	header(data + 1, size - 1);
	uint8_t mode = data[0];
	if (mode >= CMPI_MSG_HELLO && mode < CMPI_MSG_TYPE_END)
		payload(mode, data + 1, size - 1);
	else if (mode == 0)
		stream(size, data + 1, size - 1);
	else if (mode < 128)
		stream(mode - (CMPI_MSG_TYPE_END - 1), data + 1, size - 1);
	else
		stream((size_t)(mode - 127) * 64, data + 1, size - 1);
	return 0;
}
