/* wireup.c - the agent's wire-up: runs the PMIx and PMI-1 servers, gives each rank both
 * environments, and carries their allgathers and direct-modex requests to the launcher. */
#define _GNU_SOURCE
#include "wireup.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpi/jobdir.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "pmi1.h"
#include "pmi1_conn.h"
#include "pmix_host.h"
#include "tree.h"

/* An allgather this agent has entered and the launcher has not answered. */
struct collective {
	uint8_t kind;
	uint32_t seq;
	void *pending; /* PMIx: the libpmix callback; PMI-1: unused */
	struct collective *next;
};

/* A direct-modex request sent to the launcher. */
struct dmodex_wait {
	uint32_t id;
	void *pending;
	struct dmodex_wait *next;
};

struct agent_wireup {
	struct event_base *base;
	struct evbuffer *ctl;
	struct agent_tree *tree; /* where allgathers go instead of ctl, or NULL */
	const struct cmpi_msg_job *job;
	struct pmix_host *pmix;
	struct pmi1_server *pmi1;
	char *process_mapping;
	char shm_dir[CMPI_JOBDIR_MAX]; /* private shared-memory directory for Open MPI, or "" */
	uint32_t *rank_app;            /* [size]: each rank's program */
	void *const *cpusets;          /* [nranks] hwloc_bitmap_t, NULL entries unbound; or NULL */
	struct pmi1_conns *conns;
	uint32_t next_seq[CMPI_FENCE_KIND_END];
	struct collective *collectives;
	uint32_t next_dmodex;
	struct dmodex_wait *dmodex_waits;
	struct left *left;   /* [job->nranks] */
	bool oversubscribed; /* more local ranks than CPUs we may run on */
};

/* A rank inside MPI whose connection to its server closed: unless it exits
 * within LEFT_GRACE_MS (most such closes are a rank dying, and its exit
 * status says more), the others would wait for it in their next fence. */
#define LEFT_GRACE_MS 1000

struct left {
	struct agent_wireup *w;
	long rank;
	pid_t pid;
	bool exited;
	const char *why;
	struct event *timer;
};

/* ---- allgathers through the launcher ---- */

static void collective_enter(struct agent_wireup *w, uint8_t kind, const void *data, size_t len,
			     void *pending)
{
	struct collective *c = calloc(1, sizeof *c);
	struct cmpi_msg_fence m = {
	    .kind = kind, .seq = w->next_seq[kind]++, .data = data, .len = len};
	char msg[192];

	if (c) {
		/* Listed first: the tree may answer at once (when it is broken). */
		c->kind = kind;
		c->seq = m.seq;
		c->pending = pending;
		c->next = w->collectives;
		w->collectives = c;
		if ((w->tree ? agent_tree_fence_in(w->tree, &m)
			     : cmpi_msg_fence_write(w->ctl, CMPI_MSG_FENCE_IN, &m)) == 0)
			return;
		w->collectives = c->next;
		free(c);
	}
	/* More than one frame carries (or no memory): the job cannot go on. Say
	 * why, and answer the ranks' fence now rather than leave them waiting. */
	snprintf(msg, sizeof msg,
		 "(with the other ranks of its node) put %zu bytes into one fence, more than "
		 "cmpirun carries (%u MiB a node)",
		 len, CMPI_FRAME_MAX_PAYLOAD >> 20);
	cmpi_msg_abort_write(w->ctl, w->job->ranks[0], CMPI_ABORT_PROTOCOL, 1, msg);
	if (kind == CMPI_FENCE_PMIX)
		pmix_host_fence_done(w->pmix, pending, 1, NULL, 0);
	else
		pmi1_server_barrier_done(w->pmi1, 1, NULL, 0);
}

int agent_wireup_fence_result(struct agent_wireup *w, const struct cmpi_msg_fence *m)
{
	struct collective **pp = &w->collectives;
	while (*pp && ((*pp)->kind != m->kind || (*pp)->seq != m->seq))
		pp = &(*pp)->next;
	struct collective *c = *pp;
	if (!c)
		return -1; /* an answer to nothing we asked */
	*pp = c->next;
	if (m->status) /* the launcher has said why, once, for the whole job */
		cmpi_debug("the launcher ended a %s fence with an error",
			   m->kind == CMPI_FENCE_PMIX ? "PMIx" : "PMI-1");
	if (m->kind == CMPI_FENCE_PMIX) {
		pmix_host_fence_done(w->pmix, c->pending, (int)m->status, m->data, m->len);
	} else if (pmi1_server_barrier_done(w->pmi1, (int)m->status, m->data, m->len) < 0) {
		cmpi_error("malformed PMI-1 barrier data from the launcher");
		free(c);
		return -1;
	}
	free(c);
	return 0;
}

/* ---- ranks that left MPI without a word ---- */

static void on_left_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct left *l = arg;
	siginfo_t info = {0};
	(void)fd;
	(void)what;
	/* Dead but not yet reaped (a busy loop can run this timer before the
	 * SIGCHLD it also has): its exit status will tell the real story. */
	if (l->pid > 0 && waitid(P_PID, (id_t)l->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    info.si_pid == l->pid)
		return;
	cmpi_msg_abort_write(l->w->ctl, (uint32_t)l->rank, CMPI_ABORT_PROTOCOL, 1, l->why);
}

static void rank_left(struct agent_wireup *w, long rank, const char *why)
{
	struct timeval tv = {LEFT_GRACE_MS / 1000, (LEFT_GRACE_MS % 1000) * 1000};
	long i = cmpi_msg_job_local_index(w->job, (uint32_t)rank);
	if (i < 0)
		return;
	struct left *l = &w->left[i];
	if (l->exited || l->timer)
		return;
	l->why = why;
	l->timer = evtimer_new(w->base, on_left_timeout, l);
	if (!l->timer || evtimer_add(l->timer, &tv) < 0)
		cmpi_error("rank %ld %s", rank, why); /* cannot wait: say it now */
}

/* ---- PMIx server callbacks (on our loop) ---- */

static void on_pmix_fence(void *ctx, const void *data, size_t len, void *pending)
{
	collective_enter(ctx, CMPI_FENCE_PMIX, data, len, pending);
}

static void on_pmix_dmodex(void *ctx, long rank, void *pending)
{
	struct agent_wireup *w = ctx;
	struct dmodex_wait *d = calloc(1, sizeof *d);
	if (!d) {
		pmix_host_dmodex_done(w->pmix, pending, 1, NULL, 0);
		return;
	}
	d->id = w->next_dmodex++;
	d->pending = pending;
	d->next = w->dmodex_waits;
	w->dmodex_waits = d;
	struct cmpi_msg_dmodex m = {.id = d->id, .rank = (uint32_t)rank};
	cmpi_msg_dmodex_write(w->ctl, CMPI_MSG_DMODEX_REQ, &m);
}

static void on_pmix_dmodex_served(void *ctx, uint64_t request, int status, const void *data,
				  size_t len)
{
	struct agent_wireup *w = ctx;
	struct cmpi_msg_dmodex m = {.node = (uint32_t)(request >> 32),
				    .id = (uint32_t)request,
				    .status = (uint32_t)status,
				    .data = data,
				    .len = len};
	cmpi_msg_dmodex_write(w->ctl, CMPI_MSG_DMODEX_RESP, &m);
}

static void send_abort(struct agent_wireup *w, long rank, int status, const char *msg)
{
	cmpi_msg_abort_write(w->ctl, (uint32_t)rank, CMPI_ABORT_CALLED, (uint32_t)status, msg);
}

static void send_client(struct agent_wireup *w, long rank, enum cmpi_client_state state)
{
	struct cmpi_msg_client m = {.rank = (uint32_t)rank, .state = (uint8_t)state};
	cmpi_msg_client_write(w->ctl, &m);
}

static void on_pmix_abort(void *ctx, long rank, int status, const char *msg)
{
	send_abort(ctx, rank, status, msg);
}

static void on_pmix_client(void *ctx, long rank, enum cmpi_client_state state)
{
	send_client(ctx, rank, state);
}

static void on_pmix_lost(void *ctx, long rank)
{
	rank_left(ctx, rank, "lost its PMIx connection before PMIx_Finalize and kept running");
}

static const struct pmix_host_ops pmix_ops = {
    .fence = on_pmix_fence,
    .dmodex = on_pmix_dmodex,
    .dmodex_served = on_pmix_dmodex_served,
    .abort = on_pmix_abort,
    .client = on_pmix_client,
    .lost = on_pmix_lost,
};

/* ---- PMI-1 server callbacks ---- */

static void on_pmi1_barrier(void *ctx, const void *blob, size_t len)
{
	collective_enter(ctx, CMPI_FENCE_PMI1, blob, len, NULL);
}

static void on_pmi1_abort(void *ctx, long rank, int code, const char *msg)
{
	send_abort(ctx, rank, code, msg);
}

static void on_pmi1_initialized(void *ctx, long rank)
{
	send_client(ctx, rank, CMPI_CLIENT_PMI1);
}

static void on_pmi1_finalized(void *ctx, long rank)
{
	send_client(ctx, rank, CMPI_CLIENT_FINALIZED);
}

/* A rank whose PMI connection we close cannot finish MPI_Init or a barrier:
 * end the job now, saying why, rather than let the others wait for it. */
static void on_pmi1_protocol_error(void *ctx, long rank, const char *why)
{
	struct agent_wireup *w = ctx;
	if (rank < 0) {
		/* A stray local connection, or a rank that unset PMI_FD but kept
		 * the socket open (its slot is taken): say it once, not per try. */
		static bool said;
		if (!said)
			cmpi_error("refused a PMI_PORT connection: it %s", why);
		said = true;
		return;
	}
	cmpi_msg_abort_write(w->ctl, (uint32_t)rank, CMPI_ABORT_PROTOCOL, 1, why);
}

static void on_pmi1_left(void *ctx, long rank)
{
	rank_left(ctx, rank, "closed its PMI-1 connection without cmd=finalize and kept running");
}

static const struct pmi1_ops pmi1_ops = {
    .send = pmi1_conns_send,
    .barrier = on_pmi1_barrier,
    .abort = on_pmi1_abort,
    .initialized = on_pmi1_initialized,
    .finalized = on_pmi1_finalized,
    .protocol_error = on_pmi1_protocol_error,
};

/* ---- start and stop ---- */

static int cpus_available(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return 1;
	return CPU_COUNT(&set);
}

/* Open MPI names its shared-memory segments after the host name and the job,
 * so the ranks of two agents on one host (two nodes to MPI, or containers
 * sharing the host's IPC namespace) would use the same names. A directory of
 * our own keeps them apart, and goes with everything in it at the end. */
static void make_shm_dir(struct agent_wireup *w)
{
	if (cmpi_jobdir_make(w->shm_dir, sizeof w->shm_dir, "/dev/shm", w->job->jobid,
			     w->job->node) < 0) {
		cmpi_debug("no private directory in /dev/shm (%s); Open MPI uses its default",
			   strerror(errno));
		w->shm_dir[0] = '\0';
	}
}

struct agent_wireup *agent_wireup_start(struct event_base *base, const struct cmpi_msg_job *job,
					struct evbuffer *ctl, struct agent_tree *tree,
					void *topology, void *const *cpusets)
{
	struct agent_wireup *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	errno = 0;
	w->base = base;
	w->ctl = ctl;
	w->tree = tree;
	w->job = job;
	w->cpusets = cpusets;
	w->process_mapping = pmi1_process_mapping(job->rank_node, job->size, job->nnodes);
	if (!w->process_mapping && errno == 0)
		cmpi_debug("no PMI_process_mapping: the node map does not fit in %d bytes",
			   PMI1_VALLEN_MAX);
	w->left = calloc(job->nranks ? job->nranks : 1, sizeof *w->left);
	w->rank_app = calloc(job->size, sizeof *w->rank_app);
	if ((!w->process_mapping && errno) || !w->left || !w->rank_app)
		goto fail;
	for (uint32_t i = 0; i < job->nranks; i++)
		w->left[i] = (struct left){.w = w, .rank = job->ranks[i]};
	for (uint32_t a = 0; a < job->napps; a++)
		for (uint32_t k = 0; k < job->apps[a].nranks; k++)
			w->rank_app[job->apps[a].first_rank + k] = a;
	w->oversubscribed = (int)job->nranks > cpus_available();
	make_shm_dir(w);

	struct pmix_host_job pj = {
	    .jobid = job->jobid,
	    .size = job->size,
	    .node = job->node,
	    .nnodes = job->nnodes,
	    .node_names = job->node_names,
	    .rank_node = job->rank_node,
	    .rank_app = w->rank_app,
	    .ranks = job->ranks,
	    .nranks = job->nranks,
	    .cpusets = cpusets,
	    .topology = topology,
	};
	w->pmix = pmix_host_start(base, &pj, &pmix_ops, w);
	if (!w->pmix)
		goto fail;
	struct pmi1_job p1 = {
	    .kvsname = job->jobid,
	    .size = job->size,
	    .rank_app = w->rank_app,
	    .process_mapping = w->process_mapping,
	    .ranks = job->ranks,
	    .nranks = job->nranks,
	};
	w->pmi1 = pmi1_server_create(&p1, &pmi1_ops, w);
	if (!w->pmi1)
		goto fail;
	w->conns = pmi1_conns_create(base, w->pmi1, job->ranks, job->nranks,
				     job->flags & CMPI_JOB_PMI_PORT, on_pmi1_left, w);
	if (!w->conns)
		goto fail;
	return w;
fail:;
	int err = errno ? errno : EIO;
	agent_wireup_stop(w);
	errno = err;
	return NULL;
}

void agent_wireup_stop(struct agent_wireup *w)
{
	if (!w)
		return;
	pmi1_conns_free(w->conns); /* before the engine its clients belong to */
	pmix_host_stop(w->pmix);   /* frees the PMIx callbacks the lists below point to */
	pmi1_server_free(w->pmi1);
	while (w->collectives) {
		struct collective *c = w->collectives;
		w->collectives = c->next;
		free(c);
	}
	while (w->dmodex_waits) {
		struct dmodex_wait *d = w->dmodex_waits;
		w->dmodex_waits = d->next;
		free(d);
	}
	free(w->process_mapping);
	free(w->rank_app);
	for (uint32_t i = 0; w->left && i < w->job->nranks; i++)
		if (w->left[i].timer)
			event_free(w->left[i].timer);
	free(w->left);
	if (w->shm_dir[0])
		cmpi_jobdir_remove(w->shm_dir);
	free(w);
}

/* ---- ranks ---- */

static int strv_add(char ***env, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int strv_add(char ***env, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s;
	char **grown = realloc(*env, (*n + 2) * sizeof **env);
	if (!grown)
		return -1;
	*env = grown;
	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	(*env)[(*n)++] = s;
	(*env)[*n] = NULL;
	return 0;
}

/* Open MPI settings a user may already have chosen; ours only fill the gap. */
static int add_default(char ***env, size_t *n, const char *key, const char *value)
{
	if (getenv(key))
		return 0;
	return strv_add(env, n, "%s=%s", key, value);
}

char **agent_wireup_rank_env(struct agent_wireup *w, long rank, int *pmi_fd)
{
	errno = 0;
	char **env = pmix_host_rank_env(w->pmix, rank);
	size_t n = cmpi_strv_len(env);
	bool ok = env != NULL;
	int port = pmi1_conns_port(w->conns);

	*pmi_fd = pmi1_conns_child_fd(w->conns, rank);
	/* Both protocols for every rank: Debian's Open MPI speaks only PMIx and
	 * its MPICH only PMI-1; each library takes its own. */
	ok = ok && strv_add(&env, &n, "PMI_FD=%d", *pmi_fd) == 0;
	ok = ok && strv_add(&env, &n, "PMI_RANK=%ld", rank) == 0;
	ok = ok && strv_add(&env, &n, "PMI_SIZE=%u", w->job->size) == 0;
	if (port > 0) {
		ok = ok && strv_add(&env, &n, "PMI_PORT=127.0.0.1:%d", port) == 0;
		ok = ok && strv_add(&env, &n, "PMI_ID=%ld", rank) == 0;
	}
	/* Open MPI 4.1 runs a rank as a singleton unless told that something
	 * other than its own mpirun launched it. */
	ok = ok && add_default(&env, &n, "OMPI_MCA_schizo", "^orte") == 0;
	if (w->shm_dir[0])
		ok = ok &&
		     add_default(&env, &n, "OMPI_MCA_btl_vader_backing_directory", w->shm_dir) == 0;
	long i = cmpi_msg_job_local_index(w->job, (uint32_t)rank);
	if (w->cpusets && i >= 0 && w->cpusets[i]) {
		/* The agent bound it: Open MPI must not bind it again. */
		ok = ok && add_default(&env, &n, "OMPI_MCA_orte_externally_bound", "1") == 0;
		ok = ok && add_default(&env, &n, "OMPI_MCA_hwloc_base_binding_policy", "none") == 0;
	}
	if (w->oversubscribed) {
		/* Oversubscribed: busy-polling ranks would starve each other. */
		ok = ok && add_default(&env, &n, "OMPI_MCA_mpi_yield_when_idle", "1") == 0;
	}
	if (!ok) {
		cmpi_strv_free(env);
		return NULL;
	}
	return env;
}

void agent_wireup_rank_spawned(struct agent_wireup *w, long rank, pid_t pid)
{
	w->left[cmpi_msg_job_local_index(w->job, (uint32_t)rank)].pid = pid;
	pmi1_conns_spawned(w->conns, rank);
}

void agent_wireup_rank_exited(struct agent_wireup *w, long rank)
{
	struct left *l = &w->left[cmpi_msg_job_local_index(w->job, (uint32_t)rank)];
	pmix_host_poll(w->pmix);
	pmi1_conns_rank_exited(w->conns, rank);
	/* Gone for good, finalized or not: its exit says the rest. */
	l->exited = true;
	if (l->timer) {
		event_free(l->timer);
		l->timer = NULL;
	}
}

/* ---- frames from the launcher ---- */

bool agent_wireup_handles(unsigned type)
{
	return type == CMPI_MSG_FENCE_OUT || type == CMPI_MSG_DMODEX_REQ ||
	       type == CMPI_MSG_DMODEX_RESP;
}

static int dmodex_answered(struct agent_wireup *w, const struct cmpi_msg_dmodex *m)
{
	struct dmodex_wait **pp = &w->dmodex_waits;
	while (*pp && (*pp)->id != m->id)
		pp = &(*pp)->next;
	struct dmodex_wait *d = *pp;
	if (!d)
		return -1;
	*pp = d->next;
	pmix_host_dmodex_done(w->pmix, d->pending, (int)m->status, m->data, m->len);
	free(d);
	return 0;
}

int agent_wireup_frame(struct agent_wireup *w, const struct cmpi_frame_header *hdr,
		       const uint8_t *payload)
{
	struct cmpi_msg_fence fence;
	struct cmpi_msg_dmodex dm;

	switch (hdr->type) {
	case CMPI_MSG_FENCE_OUT:
		if (cmpi_msg_fence_read(CMPI_MSG_FENCE_OUT, payload, hdr->length, &fence) < 0)
			return -1;
		return agent_wireup_fence_result(w, &fence);
	case CMPI_MSG_DMODEX_REQ:
		if (cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_REQ, payload, hdr->length, &dm) < 0 ||
		    cmpi_msg_job_local_index(w->job, dm.rank) < 0)
			return -1;
		pmix_host_dmodex_serve(w->pmix, (long)dm.rank, (uint64_t)dm.node << 32 | dm.id);
		return 0;
	case CMPI_MSG_DMODEX_RESP:
		if (cmpi_msg_dmodex_read(CMPI_MSG_DMODEX_RESP, payload, hdr->length, &dm) < 0)
			return -1;
		return dmodex_answered(w, &dm);
	}
	return -1;
}
