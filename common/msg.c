/* msg.c - encoders and decoders of the control messages (payload layouts live here only). */
#include "cmpi/msg.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/pack.h"
#include "cmpi/util.h"

/* Appends header + payload to out, consuming payload. */
static int frame_append(struct evbuffer *out, enum cmpi_msg_type type, struct evbuffer *payload)
{
	size_t len = evbuffer_get_length(payload);
	uint8_t hdr[CMPI_FRAME_HEADER_SIZE];
	int rc = -1;

	if (len > CMPI_FRAME_MAX_PAYLOAD)
		goto out;
	cmpi_frame_header_encode(hdr, type, (uint32_t)len);
	if (evbuffer_add(out, hdr, sizeof hdr) < 0 || evbuffer_add_buffer(out, payload) < 0)
		goto out;
	rc = 0;
out:
	evbuffer_free(payload);
	return rc;
}

int cmpi_msg_hello_write(struct evbuffer *out, const struct cmpi_msg_hello *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (evbuffer_add(p, m->token, sizeof m->token) < 0 || cmpi_pack_u32(p, m->node) < 0 ||
	    cmpi_pack_u32(p, m->pid) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_HELLO, p);
}

int cmpi_msg_hello_read(const uint8_t *data, size_t len, struct cmpi_msg_hello *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	cmpi_unpack_fixed(&r, m->token, sizeof m->token);
	m->node = cmpi_unpack_u32(&r);
	m->pid = cmpi_unpack_u32(&r);
	return cmpi_unpack_done(&r) ? 0 : -1;
}

static int pack_app(struct evbuffer *p, const struct cmpi_msg_app *a)
{
	if (cmpi_pack_u32(p, a->first_rank) < 0 || cmpi_pack_u32(p, a->nranks) < 0 ||
	    cmpi_pack_str(p, a->cwd) < 0 || cmpi_pack_strv(p, a->argv) < 0 ||
	    cmpi_pack_strv(p, a->env) < 0)
		return -1;
	return 0;
}

/* rank_node as runs of (node, count): a block map costs one run a node. */
static int pack_rank_node(struct evbuffer *p, const uint32_t *rank_node, uint32_t size)
{
	uint32_t nruns = 0;
	for (uint32_t r = 0; r < size; r++)
		nruns += r == 0 || rank_node[r] != rank_node[r - 1];
	if (cmpi_pack_u32(p, nruns) < 0)
		return -1;
	for (uint32_t r = 0; r < size;) {
		uint32_t end = r;
		while (end < size && rank_node[end] == rank_node[r])
			end++;
		if (cmpi_pack_u32(p, rank_node[r]) < 0 || cmpi_pack_u32(p, end - r) < 0)
			return -1;
		r = end;
	}
	return 0;
}

int cmpi_msg_job_write(struct evbuffer *out, const struct cmpi_msg_job *m)
{
	const struct cmpi_msg_placement *pl = &m->placement;
	struct evbuffer *p = evbuffer_new();
	bool ok = p;

	ok = ok && cmpi_pack_str(p, m->jobid) == 0 && cmpi_pack_u32(p, m->size) == 0 &&
	     cmpi_pack_u32(p, m->node) == 0 && cmpi_pack_u32(p, m->nnodes) == 0 &&
	     cmpi_pack_u32(p, m->flags) == 0 && cmpi_pack_strv(p, m->env) == 0 &&
	     cmpi_pack_strv(p, m->node_names) == 0 && cmpi_pack_u32(p, m->napps) == 0;
	for (uint32_t i = 0; ok && i < m->napps; i++)
		ok = pack_app(p, &m->apps[i]) == 0;
	ok = ok && pack_rank_node(p, m->rank_node, m->size) == 0 &&
	     cmpi_pack_u8(p, pl->map_by) == 0 && cmpi_pack_u8(p, pl->bind_to) == 0 &&
	     cmpi_pack_u8(p, pl->overload) == 0 && cmpi_pack_u8(p, pl->report) == 0 &&
	     cmpi_pack_u32(p, pl->pe) == 0 && cmpi_pack_u32(p, pl->first_slot) == 0;
	if (!ok) {
		if (p)
			evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_JOB, p);
}

/* The apps must cover ranks 0..size-1 in order, each with a program. */
static int unpack_apps(struct cmpi_unpack *r, struct cmpi_msg_job *m)
{
	m->napps = cmpi_unpack_u32(r);
	if (r->failed || m->napps == 0 || m->napps > m->size || m->napps > r->left / 20)
		return -1;
	if (!(m->apps = calloc(m->napps, sizeof *m->apps)))
		return -1;
	uint32_t next = 0;
	for (uint32_t i = 0; i < m->napps; i++) {
		struct cmpi_msg_app *a = &m->apps[i];
		a->first_rank = cmpi_unpack_u32(r);
		a->nranks = cmpi_unpack_u32(r);
		a->cwd = cmpi_unpack_str(r);
		a->argv = cmpi_unpack_strv(r);
		a->env = cmpi_unpack_strv(r);
		if (r->failed || a->first_rank != next || a->nranks == 0 ||
		    a->nranks > m->size - next || !a->argv[0])
			return -1;
		next += a->nranks;
	}
	return next == m->size ? 0 : -1;
}

/* Runs of (node, count) covering the job; this node's ranks are derived. */
static int unpack_rank_node(struct cmpi_unpack *r, struct cmpi_msg_job *m)
{
	uint32_t nruns = cmpi_unpack_u32(r), done = 0;
	if (r->failed || nruns == 0 || nruns > r->left / 8)
		return -1;
	m->rank_node = calloc(m->size, sizeof *m->rank_node);
	if (!m->rank_node)
		return -1;
	for (uint32_t i = 0; i < nruns; i++) {
		uint32_t node = cmpi_unpack_u32(r), count = cmpi_unpack_u32(r);
		if (r->failed || node >= m->nnodes || count == 0 || count > m->size - done)
			return -1;
		for (uint32_t k = 0; k < count; k++)
			m->rank_node[done + k] = node;
		m->nranks += node == m->node ? count : 0;
		done += count;
	}
	if (done != m->size || !(m->ranks = calloc(m->nranks ? m->nranks : 1, sizeof *m->ranks)))
		return -1;
	for (uint32_t rank = 0, n = 0; rank < m->size; rank++)
		if (m->rank_node[rank] == m->node)
			m->ranks[n++] = rank;
	return 0;
}

int cmpi_msg_job_read(const uint8_t *data, size_t len, struct cmpi_msg_job *m)
{
	struct cmpi_msg_placement *pl = &m->placement;
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	memset(m, 0, sizeof *m);
	m->jobid = cmpi_unpack_str(&r);
	m->size = cmpi_unpack_u32(&r);
	m->node = cmpi_unpack_u32(&r);
	m->nnodes = cmpi_unpack_u32(&r);
	m->flags = cmpi_unpack_u32(&r);
	m->env = cmpi_unpack_strv(&r);
	m->node_names = cmpi_unpack_strv(&r);
	if (r.failed || m->size == 0 || m->size > CMPI_JOB_MAX_SIZE || m->nnodes == 0 ||
	    m->node >= m->nnodes || cmpi_strv_len(m->node_names) != m->nnodes ||
	    unpack_apps(&r, m) < 0 || unpack_rank_node(&r, m) < 0)
		goto bad;
	pl->map_by = cmpi_unpack_u8(&r);
	pl->bind_to = cmpi_unpack_u8(&r);
	pl->overload = cmpi_unpack_u8(&r);
	pl->report = cmpi_unpack_u8(&r);
	pl->pe = cmpi_unpack_u32(&r);
	pl->first_slot = cmpi_unpack_u32(&r);
	if (!cmpi_unpack_done(&r) || pl->map_by > CMPI_JOB_MAP_MAX ||
	    pl->bind_to > CMPI_JOB_BIND_MAX || pl->overload > 1 || pl->report > 1 || pl->pe == 0)
		goto bad;
	return 0;
bad:
	cmpi_msg_job_clear(m);
	return -1;
}

void cmpi_msg_job_clear(struct cmpi_msg_job *m)
{
	free(m->jobid);
	cmpi_strv_free(m->env);
	cmpi_strv_free(m->node_names);
	for (uint32_t i = 0; m->apps && i < m->napps; i++) {
		free(m->apps[i].cwd);
		cmpi_strv_free(m->apps[i].argv);
		cmpi_strv_free(m->apps[i].env);
	}
	free(m->apps);
	free(m->rank_node);
	free(m->ranks);
	memset(m, 0, sizeof *m);
}

long cmpi_msg_job_local_index(const struct cmpi_msg_job *m, uint32_t rank)
{
	return cmpi_rank_index(m->ranks, m->nranks, rank);
}

const struct cmpi_msg_app *cmpi_msg_job_app(const struct cmpi_msg_job *m, uint32_t rank)
{
	uint32_t i = 0;
	while (i + 1 < m->napps && rank >= m->apps[i + 1].first_rank)
		i++;
	return &m->apps[i];
}

int cmpi_msg_stdio_write(struct evbuffer *out, uint32_t rank, uint8_t stream, const void *data,
			 size_t len)
{
	uint8_t hdr[CMPI_FRAME_HEADER_SIZE];
	uint8_t fixed[5] = {(uint8_t)(rank >> 24), (uint8_t)(rank >> 16), (uint8_t)(rank >> 8),
			    (uint8_t)rank, stream};

	/* The hot path of output forwarding: no temporary payload buffer. */
	if (len > CMPI_FRAME_MAX_PAYLOAD - sizeof fixed)
		return -1;
	cmpi_frame_header_encode(hdr, CMPI_MSG_STDIO, (uint32_t)(sizeof fixed + len));
	if (evbuffer_add(out, hdr, sizeof hdr) < 0 || evbuffer_add(out, fixed, sizeof fixed) < 0)
		return -1;
	return evbuffer_add(out, data, len);
}

int cmpi_msg_stdio_read(const uint8_t *data, size_t len, struct cmpi_msg_stdio *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->rank = cmpi_unpack_u32(&r);
	m->stream = cmpi_unpack_u8(&r);
	if (r.failed || (m->stream != CMPI_STREAM_STDOUT && m->stream != CMPI_STREAM_STDERR))
		return -1;
	m->data = r.pos;
	m->len = r.left;
	return 0;
}

int cmpi_msg_stdin_write(struct evbuffer *out, const void *data, size_t len)
{
	uint8_t hdr[CMPI_FRAME_HEADER_SIZE];
	if (len > CMPI_FRAME_MAX_PAYLOAD)
		return -1;
	cmpi_frame_header_encode(hdr, CMPI_MSG_STDIN, (uint32_t)len);
	if (evbuffer_add(out, hdr, sizeof hdr) < 0)
		return -1;
	return len ? evbuffer_add(out, data, len) : 0;
}

int cmpi_msg_log_write(struct evbuffer *out, const char *line, size_t len)
{
	uint8_t hdr[CMPI_FRAME_HEADER_SIZE];
	if (len == 0 || len > CMPI_LOG_MAX || line[len - 1] != '\n')
		return -1;
	cmpi_frame_header_encode(hdr, CMPI_MSG_LOG, (uint32_t)len);
	if (evbuffer_add(out, hdr, sizeof hdr) < 0)
		return -1;
	return evbuffer_add(out, line, len);
}

int cmpi_msg_exit_write(struct evbuffer *out, const struct cmpi_msg_exit *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u32(p, m->rank) < 0 || cmpi_pack_u32(p, m->pid) < 0 ||
	    cmpi_pack_u8(p, m->how) < 0 || cmpi_pack_u32(p, m->code) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_EXIT, p);
}

int cmpi_msg_exit_read(const uint8_t *data, size_t len, struct cmpi_msg_exit *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->rank = cmpi_unpack_u32(&r);
	m->pid = cmpi_unpack_u32(&r);
	m->how = cmpi_unpack_u8(&r);
	m->code = cmpi_unpack_u32(&r);
	if (!cmpi_unpack_done(&r) || m->how < CMPI_EXIT_EXITED || m->how >= CMPI_EXIT_HOW_END)
		return -1;
	return 0;
}

int cmpi_msg_kill_write(struct evbuffer *out, const struct cmpi_msg_kill *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u32(p, m->signal) < 0 || cmpi_pack_u32(p, m->escalate_ms) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_KILL, p);
}

int cmpi_msg_kill_read(const uint8_t *data, size_t len, struct cmpi_msg_kill *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->signal = cmpi_unpack_u32(&r);
	m->escalate_ms = cmpi_unpack_u32(&r);
	if (!cmpi_unpack_done(&r) || m->signal == 0 || m->signal >= 65)
		return -1;
	return 0;
}

int cmpi_msg_stdin_ack_write(struct evbuffer *out, const struct cmpi_msg_stdin_ack *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u32(p, m->bytes) < 0 || cmpi_pack_u8(p, m->closed) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_STDIN_ACK, p);
}

int cmpi_msg_stdin_ack_read(const uint8_t *data, size_t len, struct cmpi_msg_stdin_ack *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->bytes = cmpi_unpack_u32(&r);
	m->closed = cmpi_unpack_u8(&r);
	return cmpi_unpack_done(&r) && m->closed <= 1 ? 0 : -1;
}

int cmpi_msg_fence_write(struct evbuffer *out, enum cmpi_msg_type type,
			 const struct cmpi_msg_fence *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u8(p, m->kind) < 0 || cmpi_pack_u32(p, m->seq) < 0 ||
	    (type == CMPI_MSG_FENCE_OUT && cmpi_pack_u32(p, m->status) < 0) ||
	    evbuffer_add(p, m->data, m->len) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, type, p);
}

int cmpi_msg_fence_read(enum cmpi_msg_type type, const uint8_t *data, size_t len,
			struct cmpi_msg_fence *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->kind = cmpi_unpack_u8(&r);
	m->seq = cmpi_unpack_u32(&r);
	m->status = type == CMPI_MSG_FENCE_OUT ? cmpi_unpack_u32(&r) : 0;
	if (r.failed || m->kind < CMPI_FENCE_PMIX || m->kind >= CMPI_FENCE_KIND_END)
		return -1;
	/* The data is the rest of the frame: no second copy of a big fence. */
	m->data = r.pos;
	m->len = r.left;
	return 0;
}

int cmpi_msg_dmodex_write(struct evbuffer *out, enum cmpi_msg_type type,
			  const struct cmpi_msg_dmodex *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u32(p, m->node) < 0 || cmpi_pack_u32(p, m->id) < 0 ||
	    cmpi_pack_u32(p, type == CMPI_MSG_DMODEX_REQ ? m->rank : m->status) < 0 ||
	    (type == CMPI_MSG_DMODEX_RESP && evbuffer_add(p, m->data, m->len) < 0)) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, type, p);
}

int cmpi_msg_dmodex_read(enum cmpi_msg_type type, const uint8_t *data, size_t len,
			 struct cmpi_msg_dmodex *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	memset(m, 0, sizeof *m);
	m->node = cmpi_unpack_u32(&r);
	m->id = cmpi_unpack_u32(&r);
	if (type == CMPI_MSG_DMODEX_REQ) {
		m->rank = cmpi_unpack_u32(&r);
		return cmpi_unpack_done(&r) ? 0 : -1;
	}
	m->status = cmpi_unpack_u32(&r);
	m->data = r.pos;
	m->len = r.left;
	return r.failed ? -1 : 0;
}

int cmpi_msg_abort_write(struct evbuffer *out, uint32_t rank, uint8_t reason, uint32_t status,
			 const char *message)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u32(p, rank) < 0 || cmpi_pack_u8(p, reason) < 0 ||
	    cmpi_pack_u32(p, status) < 0 || cmpi_pack_str(p, message ? message : "") < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_ABORT, p);
}

int cmpi_msg_abort_read(const uint8_t *data, size_t len, struct cmpi_msg_abort *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->rank = cmpi_unpack_u32(&r);
	m->reason = cmpi_unpack_u8(&r);
	m->status = cmpi_unpack_u32(&r);
	m->message = cmpi_unpack_str(&r);
	if (!cmpi_unpack_done(&r) || m->reason < CMPI_ABORT_CALLED ||
	    m->reason >= CMPI_ABORT_REASON_END) {
		free(m->message);
		m->message = NULL;
		return -1;
	}
	return 0;
}

int cmpi_msg_client_write(struct evbuffer *out, const struct cmpi_msg_client *m)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_u32(p, m->rank) < 0 || cmpi_pack_u8(p, m->state) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_CLIENT, p);
}

int cmpi_msg_client_read(const uint8_t *data, size_t len, struct cmpi_msg_client *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	m->rank = cmpi_unpack_u32(&r);
	m->state = cmpi_unpack_u8(&r);
	if (!cmpi_unpack_done(&r) || m->state < CMPI_CLIENT_PMIX ||
	    m->state >= CMPI_CLIENT_STATE_END)
		return -1;
	return 0;
}

int cmpi_msg_tree_port_write(struct evbuffer *out, const char *addr)
{
	struct evbuffer *p = evbuffer_new();
	if (!p)
		return -1;
	if (cmpi_pack_str(p, addr) < 0) {
		evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_TREE_PORT, p);
}

int cmpi_msg_tree_port_read(const uint8_t *data, size_t len, char **addr)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	*addr = cmpi_unpack_str(&r);
	if (!cmpi_unpack_done(&r) || !*addr || !**addr) {
		free(*addr);
		*addr = NULL;
		return -1;
	}
	return 0;
}

int cmpi_msg_tree_write(struct evbuffer *out, const struct cmpi_msg_tree *m)
{
	struct evbuffer *p = evbuffer_new();
	int rc = p && m->nchildren <= CMPI_TREE_MAX_CHILDREN ? 0 : -1;
	if (rc == 0)
		rc = cmpi_pack_str(p, m->parent) | cmpi_pack_u32(p, m->nchildren);
	for (uint32_t i = 0; rc == 0 && i < m->nchildren; i++)
		rc = cmpi_pack_u32(p, m->children[i]);
	if (rc < 0) {
		if (p)
			evbuffer_free(p);
		return -1;
	}
	return frame_append(out, CMPI_MSG_TREE, p);
}

int cmpi_msg_tree_read(const uint8_t *data, size_t len, struct cmpi_msg_tree *m)
{
	struct cmpi_unpack r;
	cmpi_unpack_init(&r, data, len);
	*m = (struct cmpi_msg_tree){.parent = cmpi_unpack_str(&r)};
	m->nchildren = cmpi_unpack_u32(&r);
	/* Each child takes 4 bytes: a count the payload cannot hold is malformed. */
	if (r.failed || m->nchildren > CMPI_TREE_MAX_CHILDREN || m->nchildren > r.left / 4) {
		cmpi_msg_tree_clear(m);
		return -1;
	}
	m->children = calloc(m->nchildren ? m->nchildren : 1, sizeof *m->children);
	for (uint32_t i = 0; m->children && i < m->nchildren; i++)
		m->children[i] = cmpi_unpack_u32(&r);
	if (!m->children || !m->parent || !cmpi_unpack_done(&r)) {
		cmpi_msg_tree_clear(m);
		return -1;
	}
	return 0;
}

void cmpi_msg_tree_clear(struct cmpi_msg_tree *m)
{
	free(m->parent);
	free(m->children);
	*m = (struct cmpi_msg_tree){0};
}

/* BYE and STARTED carry nothing but their type. */
static int empty_frame(struct evbuffer *out, enum cmpi_msg_type type)
{
	uint8_t hdr[CMPI_FRAME_HEADER_SIZE];
	cmpi_frame_header_encode(hdr, type, 0);
	return evbuffer_add(out, hdr, sizeof hdr);
}

int cmpi_msg_bye_write(struct evbuffer *out)
{
	return empty_frame(out, CMPI_MSG_BYE);
}

int cmpi_msg_started_write(struct evbuffer *out)
{
	return empty_frame(out, CMPI_MSG_STARTED);
}

enum cmpi_frame_status cmpi_frame_peek(struct evbuffer *in, struct cmpi_frame_header *hdr,
				       const uint8_t **payload)
{
	uint8_t raw[CMPI_FRAME_HEADER_SIZE];
	ev_ssize_t got = evbuffer_copyout(in, raw, sizeof raw);
	enum cmpi_frame_status st = cmpi_frame_header_decode(raw, got < 0 ? 0 : (size_t)got, hdr);

	if (st != CMPI_FRAME_OK)
		return st;
	size_t total = CMPI_FRAME_HEADER_SIZE + (size_t)hdr->length;
	if (evbuffer_get_length(in) < total)
		return CMPI_FRAME_INCOMPLETE;
	const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)total);
	if (!p)
		return CMPI_FRAME_TOO_LARGE;
	*payload = p + CMPI_FRAME_HEADER_SIZE;
	return CMPI_FRAME_OK;
}
