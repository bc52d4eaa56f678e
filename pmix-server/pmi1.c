/* pmi1.c - protocol engine for the PMI-1 wire protocol (MPICH's "simple" PMI), transport-free. */
#define _GNU_SOURCE
#include "pmi1.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/util.h"

/* The most key=value words a line may carry; MPICH's longest command has 4. */
#define MAXWORDS 32
#define PMI2_HEADER 10 /* "000045cmd=" */

/* key=value store: open addressing with linear probing. Keys are never
 * removed, so there are no tombstones. Sized for thousands of ranks times
 * several keys each, where a list would make every get O(ranks). */
struct kv {
	char *key; /* NULL: empty slot */
	char *val;
};

struct kvs {
	struct kv *tab;
	size_t cap; /* a power of two */
	size_t count;
};

/* One of this agent's ranks. */
struct slot {
	struct pmi1_client *client; /* NULL: not connected (yet, or any more) */
	bool in_barrier;
	bool used; /* said cmd=init, or the rank ended: initack may not claim it */
};

struct pmi1_server {
	struct pmi1_job job;
	char *kvsname, *mapping; /* owned copies of job.kvsname, job.process_mapping */
	uint32_t *ranks, *rank_app; /* owned copies of job.ranks, job.rank_app */
	const struct pmi1_ops *ops;
	void *ctx;
	struct kvs kvs;
	struct slot *slots; /* job.nranks of them */
	long entered;	    /* slots with in_barrier set */
	bool barrier_busy;  /* ops->barrier called, pmi1_server_barrier_done not yet */
	/* The puts since the last barrier, in blob encoding (see put_blob). */
	char *pending;
	size_t pending_len, pending_cap;
	struct pmi1_client *clients; /* every client, for pmi1_server_free */
	char why[160];		     /* room for a formatted protocol_error phrase */
};

struct pmi1_client {
	struct pmi1_server *srv;
	void *ctx;
	long rank; /* -1 until cmd=initack on a PMI_PORT connection */
	bool gone; /* a send failed or the protocol broke: ignore it from now on */
	bool initialized, finalized;
	bool in_spawn; /* between mcmd=spawn and endcmd */
	long spawn_total, spawn_sofar;
	size_t len;
	char line[PMI1_MAXLINE]; /* the partial line, NUL-terminated when handled */
	struct pmi1_client *prev, *next;
};

/* ---- key=value store ---- */

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct kv *kvs_find(const struct kvs *kvs, const char *key)
{
	if (!kvs->cap)
		return NULL;
	for (size_t i = hash(key) & (kvs->cap - 1);; i = (i + 1) & (kvs->cap - 1)) {
		struct kv *e = &kvs->tab[i];
		if (!e->key || !strcmp(e->key, key))
			return e;
	}
}

static int kvs_grow(struct kvs *kvs)
{
	size_t cap = kvs->cap ? kvs->cap * 2 : 256;
	struct kv *tab = calloc(cap, sizeof *tab);
	if (!tab)
		return -1;
	struct kvs bigger = {tab, cap, kvs->count};
	for (size_t i = 0; i < kvs->cap; i++) {
		if (kvs->tab[i].key)
			*kvs_find(&bigger, kvs->tab[i].key) = kvs->tab[i];
	}
	free(kvs->tab);
	*kvs = bigger;
	return 0;
}

static const char *kvs_get(const struct kvs *kvs, const char *key)
{
	const struct kv *e = kvs_find(kvs, key);
	return e && e->key ? e->val : NULL;
}

/* Stores a copy; an existing key gets the new value. 0 or -1 (ENOMEM). */
static int kvs_set(struct kvs *kvs, const char *key, size_t klen, const char *val, size_t vlen)
{
	char k[PMI1_KEYLEN_MAX + 1];
	memcpy(k, key, klen);
	k[klen] = '\0';
	/* Keep the load under one half: probes stay short. */
	if ((kvs->count + 1) * 2 > kvs->cap && kvs_grow(kvs) < 0)
		return -1;
	char *v = strndup(val, vlen);
	if (!v)
		return -1;
	struct kv *e = kvs_find(kvs, k);
	if (e->key) {
		free(e->val);
		e->val = v;
		return 0;
	}
	if (!(e->key = strdup(k))) {
		free(v);
		return -1;
	}
	e->val = v;
	kvs->count++;
	return 0;
}

static void kvs_free(struct kvs *kvs)
{
	for (size_t i = 0; i < kvs->cap; i++) {
		free(kvs->tab[i].key);
		free(kvs->tab[i].val);
	}
	free(kvs->tab);
}

/* ---- barrier blob ----
 * A sequence of records, nothing else: 2-byte big-endian key length (1..64),
 * the key, 2-byte big-endian value length (0..1024), the value. No padding or
 * header, so every agent's blob concatenated is again a blob. Keys and values
 * must be words the protocol can carry: no NUL, space, newline (nor '=' in keys). */

static int put_u16(char *p, size_t n)
{
	p[0] = (char)(n >> 8);
	p[1] = (char)(n & 0xff);
	return 2;
}

static size_t get_u16(const char *p)
{
	return (size_t)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

static bool word_ok(const char *s, size_t len, bool key)
{
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '\0' || ch == ' ' || ch == '\n' || ch == '\r' || (key && ch == '='))
			return false;
	}
	return true;
}

static int put_blob(struct pmi1_server *srv, const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val);
	size_t need = srv->pending_len + 4 + klen + vlen;
	if (need > srv->pending_cap) {
		size_t cap = srv->pending_cap ? srv->pending_cap : 4096;
		while (cap < need)
			cap *= 2;
		char *p = realloc(srv->pending, cap);
		if (!p)
			return -1;
		srv->pending = p;
		srv->pending_cap = cap;
	}
	char *p = srv->pending + srv->pending_len;
	p += put_u16(p, klen);
	memcpy(p, key, klen);
	p += klen;
	p += put_u16(p, vlen);
	memcpy(p, val, vlen);
	srv->pending_len = need;
	return 0;
}

/* Walks a blob: checks it whole (store == false), or stores it (true), so a
 * malformed blob from the network changes nothing. */
static int walk_blob(struct pmi1_server *srv, const char *p, size_t len, bool store)
{
	size_t off = 0;
	while (off < len) {
		if (len - off < 2)
			return -1;
		size_t klen = get_u16(p + off);
		off += 2;
		if (klen < 1 || klen > PMI1_KEYLEN_MAX || len - off < klen + 2)
			return -1;
		const char *key = p + off;
		off += klen;
		size_t vlen = get_u16(p + off);
		off += 2;
		if (vlen > PMI1_VALLEN_MAX || len - off < vlen)
			return -1;
		const char *val = p + off;
		off += vlen;
		if (!store && (!word_ok(key, klen, true) || !word_ok(val, vlen, false)))
			return -1;
		if (store && kvs_set(&srv->kvs, key, klen, val, vlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- sending ---- */

static void fail(struct pmi1_client *c, const char *why)
{
	c->gone = true;
	c->srv->ops->protocol_error(c->srv->ctx, c->rank, why);
}

static void failf(struct pmi1_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void failf(struct pmi1_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->srv->why, sizeof c->srv->why, fmt, ap);
	va_end(ap);
	fail(c, c->srv->why);
}

/* Sends one formatted reply; -1 once the client is gone. A failed send is
 * not a protocol error: the agent sees the connection close on its own. */
static int reply(struct pmi1_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reply(struct pmi1_client *c, const char *fmt, ...)
{
	char *buf;
	va_list ap;
	int n, rc = -1;

	if (c->gone)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fail(c, "out of memory in the PMI-1 server");
		return -1;
	}
	if (c->srv->ops->send(c->srv->ctx, c->ctx, buf, (size_t)n) < 0) {
		c->gone = true;
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- parsing ---- */

struct words {
	int n;
	char *key[MAXWORDS], *val[MAXWORDS];
};

/* Splits "k=v k=v" in place. Values may contain '=' (the first one splits). */
static int split(char *line, struct words *w)
{
	char *save, *tok;
	w->n = 0;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || w->n == MAXWORDS)
			return -1;
		*eq = '\0';
		w->key[w->n] = tok;
		w->val[w->n] = eq + 1;
		w->n++;
	}
	return 0;
}

static const char *word(const struct words *w, const char *key)
{
	for (int i = 0; i < w->n; i++) {
		if (!strcmp(w->key[i], key))
			return w->val[i];
	}
	return NULL;
}

/* A PMI-2 message starts with its length as 6 decimal digits, then "cmd=",
 * and ends without a newline: recognise it from its first 10 bytes. */
static bool is_pmi2(const char *p, size_t len)
{
	if (len < PMI2_HEADER)
		return false;
	for (int i = 0; i < 6; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
	}
	return !memcmp(p + 6, "cmd=", 4);
}

/* ---- commands ---- */

/* The slot of one of this agent's ranks, or NULL for another agent's. */
/* The slot of one of this agent's ranks, or NULL for another agent's. */
static struct slot *slot_of(struct pmi1_server *srv, long rank)
{
	long i = rank < 0 ? -1 : cmpi_rank_index(srv->job.ranks, srv->job.nranks, (uint32_t)rank);
	return i < 0 ? NULL : &srv->slots[i];
}

static int cmd_initack(struct pmi1_client *c, const struct words *w)
{
	struct pmi1_server *srv = c->srv;
	const char *id = word(w, "pmiid");
	long rank;

	if (c->rank >= 0) {
		fail(c, "sent cmd=initack on a connection whose rank is known");
		return -1;
	}
	/* PMI_ID is the global rank (as hydra sets it); it must be one of ours. */
	struct slot *s = NULL;
	if (!id || cmpi_parse_long(id, 0, srv->job.size - 1, &rank) < 0 ||
	    !(s = slot_of(srv, rank))) {
		failf(c, "sent cmd=initack with pmiid '%.20s', not a rank of this node",
		      id ? id : "");
		return -1;
	}
	if (s->client || s->used) {
		failf(c, "sent cmd=initack pmiid=%ld, a rank already connected or done", rank);
		return -1;
	}
	s->client = c;
	c->rank = rank;
	return reply(c, "cmd=initack\ncmd=set size=%ld\ncmd=set rank=%ld\ncmd=set debug=0\n",
		     srv->job.size, rank);
}

static int cmd_init(struct pmi1_client *c, const struct words *w)
{
	const char *v = word(w, "pmi_version");
	/* MPICH aborts itself on rc != 0, printing the versions we send. */
	int rc = v && !strcmp(v, "1") ? 0 : -1;
	if (reply(c, "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=%d\n", rc) < 0)
		return -1;
	if (rc == 0 && !c->initialized) {
		c->initialized = true;
		if (c->rank >= 0)
			slot_of(c->srv, c->rank)->used = true;
		c->srv->ops->initialized(c->srv->ctx, c->rank);
	}
	return 0;
}

/* Checks kvsname and key of put/get; returns the error reply's msg, or NULL. */
static const char *check_key(const struct pmi1_client *c, const char *kvsname, const char *key)
{
	if (!kvsname || strcmp(kvsname, c->srv->kvsname))
		return "unknown_kvsname";
	if (!key || !*key || !word_ok(key, strlen(key), true))
		return "invalid_key";
	if (strlen(key) > PMI1_KEYLEN_MAX)
		return "key_too_long";
	return NULL;
}

/* The PMI-1 spec forbids a second put of a key ("You may not put more than
 * once with the same key"), and MPICH never does one: answer rc=-1 rather
 * than silently replace a value other ranks may already have read. */
static int cmd_put(struct pmi1_client *c, const struct words *w)
{
	struct pmi1_server *srv = c->srv;
	const char *key = word(w, "key"), *val = word(w, "value");
	const char *err = check_key(c, word(w, "kvsname"), key);

	if (!err && !val)
		err = "missing_value";
	if (!err && strlen(val) > PMI1_VALLEN_MAX)
		err = "value_too_long";
	/* What the blob cannot carry, every agent would refuse at the barrier. */
	if (!err && !word_ok(val, strlen(val), false))
		err = "invalid_value";
	if (!err && (kvs_get(&srv->kvs, key) ||
		     (srv->job.process_mapping && !strcmp(key, "PMI_process_mapping"))))
		return reply(c, "cmd=put_result rc=-1 msg=duplicate_key_%s\n", key);
	if (err)
		return reply(c, "cmd=put_result rc=-1 msg=%s\n", err);
	/* Visible here at once (harmless: MPICH gets only after a barrier), and
	 * to the other agents after the next barrier. */
	if (kvs_set(&srv->kvs, key, strlen(key), val, strlen(val)) < 0 ||
	    put_blob(srv, key, val) < 0) {
		fail(c, "out of memory in the PMI-1 server");
		return -1;
	}
	return reply(c, "cmd=put_result rc=0 msg=success\n");
}

static int cmd_get(struct pmi1_client *c, const struct words *w)
{
	struct pmi1_server *srv = c->srv;
	const char *key = word(w, "key"), *val = NULL;
	const char *err = check_key(c, word(w, "kvsname"), key);

	if (err)
		return reply(c, "cmd=get_result rc=-1 msg=%s\n", err);
	if (srv->mapping && !strcmp(key, "PMI_process_mapping"))
		val = srv->mapping;
	else
		val = kvs_get(&srv->kvs, key);
	if (!val)
		return reply(c, "cmd=get_result rc=-1 msg=key_%s_not_found\n", key);
	return reply(c, "cmd=get_result rc=0 msg=success value=%s\n", val);
}

static int cmd_barrier_in(struct pmi1_client *c)
{
	struct pmi1_server *srv = c->srv;
	struct slot *s = slot_of(srv, c->rank);

	if (s->in_barrier) {
		fail(c, "sent cmd=barrier_in twice in one barrier");
		return -1;
	}
	s->in_barrier = true;
	if (++srv->entered < srv->job.nranks)
		return 0;
	/* Hand the blob over before the call: ops->barrier may answer at once
	 * with pmi1_server_barrier_done, and new puts start the next blob. */
	char *blob = srv->pending;
	size_t len = srv->pending_len;
	srv->pending = NULL;
	srv->pending_len = srv->pending_cap = 0;
	srv->barrier_busy = true;
	srv->ops->barrier(srv->ctx, blob ? blob : "", len);
	free(blob);
	return c->gone ? -1 : 0;
}

static int cmd_finalize(struct pmi1_client *c)
{
	if (reply(c, "cmd=finalize_ack\n") < 0)
		return -1;
	if (!c->finalized) {
		c->finalized = true;
		c->srv->ops->finalized(c->srv->ctx, c->rank);
	}
	return 0;
}

/* MPICH 4.0.2 sends "cmd=abort exitcode=N"; other clients (Flux's) append
 * "error_msg=<text>", text with spaces, so take the rest of the line. */
static int cmd_abort(struct pmi1_client *c, char *line)
{
	const char *msg = "";
	char *m = strstr(line, " error_msg=");
	long code;

	if (m) {
		*m = '\0';
		msg = m + strlen(" error_msg=");
	}
	struct words w;
	const char *v = split(line, &w) == 0 ? word(&w, "exitcode") : NULL;
	/* A client that asks to abort wants the job to end, even with a garbled code. */
	if (!v || cmpi_parse_long(v, -2147483647L - 1, 2147483647L, &code) < 0)
		code = 1;
	c->srv->ops->abort(c->srv->ctx, c->rank, (int)code, msg);
	return 0;
}

/* Lines between mcmd=spawn and endcmd. MPICH writes one block per command
 * of MPI_Comm_spawn_multiple (totspawns=, spawnssofar=) and reads one reply
 * after the last. */
static int spawn_line(struct pmi1_client *c, char *line)
{
	if (!strcmp(line, "endcmd")) {
		c->in_spawn = false;
		if (c->spawn_sofar < c->spawn_total)
			return 0;
		return reply(c, "cmd=spawn_result rc=-1 msg=spawn_not_supported\n");
	}
	char *eq = strchr(line, '=');
	if (!eq || eq == line) {
		fail(c, "sent a malformed line in mcmd=spawn");
		return -1;
	}
	*eq = '\0';
	long n;
	if (!strcmp(line, "totspawns") && cmpi_parse_long(eq + 1, 0, 1L << 30, &n) == 0)
		c->spawn_total = n;
	else if (!strcmp(line, "spawnssofar") && cmpi_parse_long(eq + 1, 0, 1L << 30, &n) == 0)
		c->spawn_sofar = n;
	return 0;
}

/* One complete line, without its newline. 0, or -1 when the client is done for. */
static int handle_line(struct pmi1_client *c, char *line)
{
	struct pmi1_server *srv = c->srv;
	const struct pmi1_job *job = &srv->job;
	struct words w;

	if (c->in_spawn)
		return spawn_line(c, line);
	if (is_pmi2(line, strlen(line))) {
		fail(c, "speaks PMI-2, which cmpirun does not serve (it serves PMI-1 and PMIx)");
		return -1;
	}
	if (!*line)
		return 0;
	if (!strcmp(line, "mcmd=spawn")) {
		if (c->rank < 0)
			goto no_initack;
		c->in_spawn = true;
		c->spawn_total = c->spawn_sofar = 0;
		return 0;
	}
	if (!strncmp(line, "cmd=abort", 9) && (line[9] == ' ' || line[9] == '\0')) {
		if (c->rank < 0)
			goto no_initack;
		return cmd_abort(c, line);
	}
	if (split(line, &w) < 0 || w.n == 0 || strcmp(w.key[0], "cmd")) {
		fail(c, "sent a line that is not PMI-1 (cmd=... key=value ...)");
		return -1;
	}
	const char *cmd = w.val[0];
	if (!strcmp(cmd, "initack"))
		return cmd_initack(c, &w);
	if (c->rank < 0)
		goto no_initack;
	if (!strcmp(cmd, "init"))
		return cmd_init(c, &w);
	if (!strcmp(cmd, "get_maxes"))
		return reply(c, "cmd=maxes kvsname_max=%d keylen_max=%d vallen_max=%d\n",
			     PMI1_KVSNAME_MAX, PMI1_KEYLEN_MAX, PMI1_VALLEN_MAX);
	if (!strcmp(cmd, "get_appnum"))
		return reply(c, "cmd=appnum appnum=%u\n", job->rank_app ? job->rank_app[c->rank] : 0);
	if (!strcmp(cmd, "get_my_kvsname"))
		return reply(c, "cmd=my_kvsname kvsname=%s\n", srv->kvsname);
	if (!strcmp(cmd, "get_universe_size"))
		return reply(c, "cmd=universe_size size=%ld\n", job->size);
	if (!strcmp(cmd, "put"))
		return cmd_put(c, &w);
	if (!strcmp(cmd, "get"))
		return cmd_get(c, &w);
	if (!strcmp(cmd, "barrier_in"))
		return cmd_barrier_in(c);
	if (!strcmp(cmd, "finalize"))
		return cmd_finalize(c);
	/* MPICH's client wants info=ok for success (simple_pmi.c); rc and msg
	 * are for people reading a trace. */
	if (!strcmp(cmd, "publish_name"))
		return reply(c, "cmd=publish_result rc=-1 info=not_supported msg=not_supported\n");
	if (!strcmp(cmd, "unpublish_name"))
		return reply(c,
			     "cmd=unpublish_result rc=-1 info=not_supported msg=not_supported\n");
	if (!strcmp(cmd, "lookup_name"))
		return reply(c, "cmd=lookup_result rc=-1 info=not_supported msg=not_supported\n");
	failf(c, "sent an unknown command 'cmd=%.32s'", cmd);
	return -1;
no_initack:
	fail(c, "sent a command before cmd=initack");
	return -1;
}

/* ---- public ---- */

struct pmi1_server *pmi1_server_create(const struct pmi1_job *job, const struct pmi1_ops *ops,
				       void *ctx)
{
	struct pmi1_server *srv = NULL;

	if (!job || !ops || !job->kvsname || !*job->kvsname ||
	    strlen(job->kvsname) >= PMI1_KVSNAME_MAX ||
	    !word_ok(job->kvsname, strlen(job->kvsname), true) || job->size < 1 ||
	    job->nranks < 0 || job->nranks > job->size || (job->nranks && !job->ranks) ||
	    (job->process_mapping && strlen(job->process_mapping) > PMI1_VALLEN_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	for (long i = 0; i < job->nranks; i++) {
		if (job->ranks[i] >= (uint32_t)job->size ||
		    (i > 0 && job->ranks[i] <= job->ranks[i - 1])) {
			errno = EINVAL;
			return NULL;
		}
	}
	if (!(srv = calloc(1, sizeof *srv)))
		goto error;
	srv->job = *job;
	srv->ops = ops;
	srv->ctx = ctx;
	if (!(srv->kvsname = strdup(job->kvsname)))
		goto error;
	if (job->process_mapping && !(srv->mapping = strdup(job->process_mapping)))
		goto error;
	srv->ranks = malloc(((size_t)job->nranks + 1) * sizeof *srv->ranks);
	if (!srv->ranks)
		goto error;
	memcpy(srv->ranks, job->ranks, (size_t)job->nranks * sizeof *srv->ranks);
	if (job->rank_app) {
		if (!(srv->rank_app = malloc((size_t)job->size * sizeof *srv->rank_app)))
			goto error;
		memcpy(srv->rank_app, job->rank_app, (size_t)job->size * sizeof *srv->rank_app);
	}
	srv->job.kvsname = srv->kvsname;
	srv->job.process_mapping = srv->mapping;
	srv->job.ranks = srv->ranks;
	srv->job.rank_app = srv->rank_app;
	if (!(srv->slots = calloc((size_t)job->nranks + 1, sizeof *srv->slots)))
		goto error;
	return srv;
error:
	pmi1_server_free(srv);
	errno = ENOMEM;
	return NULL;
}

void pmi1_server_free(struct pmi1_server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		pmi1_client_free(srv->clients);
	kvs_free(&srv->kvs);
	free(srv->slots);
	free(srv->pending);
	free(srv->kvsname);
	free(srv->mapping);
	free(srv->ranks);
	free(srv->rank_app);
	free(srv);
}

struct pmi1_client *pmi1_client_create(struct pmi1_server *srv, long rank, void *client_ctx)
{
	struct slot *s = NULL;

	if (rank >= 0) {
		if (!(s = slot_of(srv, rank))) {
			errno = EINVAL;
			return NULL;
		}
		if (s->client) {
			errno = EBUSY;
			return NULL;
		}
	} else {
		rank = -1;
	}
	struct pmi1_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->srv = srv;
	c->ctx = client_ctx;
	c->rank = rank;
	if (s)
		s->client = c;
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	return c;
}

long pmi1_client_rank(const struct pmi1_client *c)
{
	return c->rank;
}

bool pmi1_client_in_mpi(const struct pmi1_client *c)
{
	return c->initialized && !c->finalized;
}

void pmi1_server_rank_gone(struct pmi1_server *srv, long rank)
{
	struct slot *s = slot_of(srv, rank);
	if (s)
		s->used = true;
}

void pmi1_client_free(struct pmi1_client *c)
{
	if (!c)
		return;
	struct pmi1_server *srv = c->srv;
	struct slot *s = c->rank >= 0 ? slot_of(srv, c->rank) : NULL;
	if (s && s->client == c)
		s->client = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

int pmi1_client_input(struct pmi1_client *c, const char *data, size_t len)
{
	if (c->gone)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = data[i];
		if (ch == '\n') {
			c->line[c->len] = '\0';
			c->len = 0;
			if (handle_line(c, c->line) < 0 || c->gone)
				return -1;
			continue;
		}
		if (ch == '\0') {
			fail(c, "sent a NUL byte");
			return -1;
		}
		/* PMI1_MAXLINE counts the newline, as MPICH's PMIU_MAXLINE buffer does. */
		if (c->len == PMI1_MAXLINE - 1) {
			if (is_pmi2(c->line, c->len))
				goto pmi2;
			failf(c, "sent a line longer than %d bytes", PMI1_MAXLINE);
			return -1;
		}
		c->line[c->len++] = ch;
	}
	/* A PMI-2 request has no newline: its client waits with a partial line. */
	if (!c->in_spawn && is_pmi2(c->line, c->len))
		goto pmi2;
	return 0;
pmi2:
	fail(c, "speaks PMI-2, which cmpirun does not serve (it serves PMI-1 and PMIx)");
	return -1;
}

int pmi1_server_barrier_done(struct pmi1_server *srv, int status, const void *data, size_t len)
{
	if (!srv->barrier_busy) {
		errno = EPROTO;
		return -1;
	}
	if (status != 0)
		return 0;
	if (len && !data) {
		errno = EINVAL;
		return -1;
	}
	if (walk_blob(srv, data, len, false) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (walk_blob(srv, data, len, true) < 0) {
		errno = ENOMEM;
		return -1;
	}
	srv->barrier_busy = false;
	srv->entered = 0;
	for (long i = 0; i < srv->job.nranks; i++) {
		struct slot *s = &srv->slots[i];
		bool was_in = s->in_barrier;
		s->in_barrier = false;
		/* A failed send marks the client gone; its next input says so. */
		if (was_in && s->client)
			reply(s->client, "cmd=barrier_out\n");
	}
	return 0;
}

/* MPICH's node map, PMI_process_mapping: (first node, nodes, ranks per node)
 * triples, read in rank order. Runs of ranks on one node become triples, and
 * consecutive triples of equal size on consecutive nodes merge, so a block map
 * is one triple per group of equal nodes. Node ids count only nodes with
 * ranks. Where the whole list is too long for a PMI-1 value, MPICH's reading
 * of the list as a repeating pattern lets one cycle of a periodic map (round
 * robin) stand for it; with neither, NULL: MPICH then exchanges host names. */
static char *mapping_of(const uint32_t *ids, uint32_t n)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	fputs("(vector", f);
	for (uint32_t r = 0; r < n;) {
		uint32_t first = ids[r], nodes = 0, per = 0;
		while (r < n) {
			uint32_t end = r;
			while (end < n && ids[end] == ids[r])
				end++;
			if (nodes > 0 && (ids[r] != first + nodes || end - r != per))
				break;
			per = end - r;
			nodes++;
			r = end;
		}
		fprintf(f, ",(%u,%u,%u)", first, nodes, per);
	}
	fputs(")", f);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

char *pmi1_process_mapping(const uint32_t *rank_node, uint32_t size, uint32_t nnodes)
{
	uint32_t *dense = calloc(nnodes ? nnodes : 1, sizeof *dense);
	uint32_t *ids = calloc(size ? size : 1, sizeof *ids);
	char *s = NULL;

	errno = 0;
	if (!dense || !ids)
		goto out;
	for (uint32_t r = 0; r < size; r++)
		dense[rank_node[r]] = 1;
	for (uint32_t i = 0, next = 0; i < nnodes; i++)
		dense[i] = dense[i] ? next++ : 0;
	for (uint32_t r = 0; r < size; r++)
		ids[r] = dense[rank_node[r]];
	s = mapping_of(ids, size);
	if (s && strlen(s) > PMI1_VALLEN_MAX) {
		uint32_t period = 1;
		for (uint32_t r = 0; r < size; r++)
			if (ids[r] != ids[r % period])
				period = r + 1; /* the pattern so far does not repeat */
		free(s);
		s = period < size ? mapping_of(ids, period) : NULL;
		if (s && strlen(s) > PMI1_VALLEN_MAX) {
			free(s);
			s = NULL;
		}
		errno = 0;
	}
out:
	free(dense);
	free(ids);
	return s;
}
