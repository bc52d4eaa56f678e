/* pmix_host.c - OpenPMIx server glue: init, job registration, the module callbacks, and a
 * queue that moves libpmix's requests from its progress thread to the agent's loop. */
#define _GNU_SOURCE
#include "pmix_host.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <hwloc.h>
#include <pmix.h>
#include <pmix_server.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmpi/jobdir.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"

/* A callback libpmix waits for; freed when answered or at stop. */
struct pending {
	pmix_modex_cbfunc_t cbfunc;
	void *cbdata;
	struct pending *prev, *next;
};

/* One request from libpmix's thread, run later on the agent's loop. */
enum work_type { WORK_FENCE, WORK_DMODEX, WORK_SERVED, WORK_ABORT, WORK_CLIENT, WORK_LOST };

struct work {
	enum work_type type;
	long rank;
	int status; /* abort status, served status, or client state */
	char *data; /* owned copy: fence data, served data, abort message */
	size_t len;
	struct pending *pending;
	uint64_t request;
	struct work *next;
};

struct pmix_host {
	const struct pmix_host_ops *ops;
	void *ctx;
	struct pmix_host_job job;
	char nspace[PMIX_MAX_NSLEN + 1];
	char tmpdir[CMPI_JOBDIR_MAX];
	char *topology_xml;   /* the topology for the ranks, or NULL */
	pmix_topology_t topo; /* what libpmix points to until finalize */
	bool initialized;
	struct pending *pendings;
	struct work *serving; /* dmodex requests libpmix has not answered yet */
	pthread_mutex_t lock; /* guards queue, queue_tail, pendings, serving */
	struct work *queue, **queue_tail;
	int wake[2]; /* a byte in wake[1] says the queue has work */
	struct event *wake_ev;
};

/* libpmix's callbacks get no context pointer: one server per process. */
static struct pmix_host *the_host;

/* ---- the queue: libpmix thread -> agent loop ---- */

static void enqueue(struct pmix_host *h, struct work *w)
{
	pthread_mutex_lock(&h->lock);
	*h->queue_tail = w;
	h->queue_tail = &w->next;
	pthread_mutex_unlock(&h->lock);
	(void)!write(h->wake[1], "", 1); /* EAGAIN: a wake-up is already pending */
}

static struct work *work_new(enum work_type type, long rank, const void *data, size_t len)
{
	struct work *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->type = type;
	w->rank = rank;
	if (len > 0) {
		w->data = malloc(len);
		if (!w->data) {
			free(w);
			return NULL;
		}
		memcpy(w->data, data, len);
		w->len = len;
	}
	return w;
}

static struct pending *pending_new(struct pmix_host *h, pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
	struct pending *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cbfunc = cbfunc;
	p->cbdata = cbdata;
	pthread_mutex_lock(&h->lock);
	p->next = h->pendings;
	if (p->next)
		p->next->prev = p;
	h->pendings = p;
	pthread_mutex_unlock(&h->lock);
	return p;
}

static void pending_unlink(struct pmix_host *h, struct pending *p)
{
	pthread_mutex_lock(&h->lock);
	if (p->prev)
		p->prev->next = p->next;
	else
		h->pendings = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pthread_mutex_unlock(&h->lock);
}

static void run_work(struct pmix_host *h, struct work *w)
{
	switch (w->type) {
	case WORK_FENCE:
		h->ops->fence(h->ctx, w->data, w->len, w->pending);
		break;
	case WORK_DMODEX:
		h->ops->dmodex(h->ctx, w->rank, w->pending);
		break;
	case WORK_SERVED:
		h->ops->dmodex_served(h->ctx, w->request, w->status, w->data, w->len);
		break;
	case WORK_ABORT:
		h->ops->abort(h->ctx, w->rank, w->status, w->data ? w->data : "");
		break;
	case WORK_CLIENT:
		h->ops->client(h->ctx, w->rank, (enum cmpi_client_state)w->status);
		break;
	case WORK_LOST:
		h->ops->lost(h->ctx, w->rank);
		break;
	}
}

void pmix_host_poll(struct pmix_host *h)
{
	char buf[256];
	while (read(h->wake[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&h->lock);
	struct work *w = h->queue;
	h->queue = NULL;
	h->queue_tail = &h->queue;
	pthread_mutex_unlock(&h->lock);
	while (w) {
		struct work *next = w->next;
		run_work(h, w);
		free(w->data);
		free(w);
		w = next;
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pmix_host_poll(arg);
}

/* ---- module callbacks, on libpmix's thread: copy, queue, return ---- */

static long our_rank(const pmix_proc_t *proc)
{
	struct pmix_host *h = the_host;
	if (!proc || strncmp(proc->nspace, h->nspace, PMIX_MAX_NSLEN) != 0 ||
	    proc->rank >= (pmix_rank_t)h->job.size)
		return -1;
	return (long)proc->rank;
}

static pmix_status_t queue_client(const pmix_proc_t *proc, enum cmpi_client_state state)
{
	long rank = our_rank(proc);
	struct work *w = work_new(WORK_CLIENT, rank, NULL, 0);
	if (rank < 0 || !w) {
		free(w);
		return PMIX_ERR_BAD_PARAM;
	}
	w->status = (int)state;
	enqueue(the_host, w);
	/* Done now: libpmix must not wait for a callback. */
	return PMIX_OPERATION_SUCCEEDED;
}

static pmix_status_t on_client_connected(const pmix_proc_t *proc, void *server_object,
					 pmix_op_cbfunc_t cbfunc, void *cbdata)
{
	(void)server_object;
	(void)cbfunc;
	(void)cbdata;
	return queue_client(proc, CMPI_CLIENT_PMIX);
}

static pmix_status_t on_client_finalized(const pmix_proc_t *proc, void *server_object,
					 pmix_op_cbfunc_t cbfunc, void *cbdata)
{
	(void)server_object;
	(void)cbfunc;
	(void)cbdata;
	return queue_client(proc, CMPI_CLIENT_FINALIZED);
}

static pmix_status_t on_abort(const pmix_proc_t *proc, void *server_object, int status,
			      const char msg[], pmix_proc_t procs[], size_t nprocs,
			      pmix_op_cbfunc_t cbfunc, void *cbdata)
{
	(void)server_object;
	(void)procs;
	(void)nprocs;
	(void)cbfunc;
	(void)cbdata;
	/* Whatever procs it names, the whole job ends: that is what mpirun does too. */
	long rank = our_rank(proc);
	struct work *w = work_new(WORK_ABORT, rank, msg ? msg : "", msg ? strlen(msg) + 1 : 1);
	if (rank < 0 || !w) {
		free(w);
		return PMIX_ERR_BAD_PARAM;
	}
	w->status = status;
	enqueue(the_host, w);
	return PMIX_OPERATION_SUCCEEDED;
}

/* Only fences over the whole job travel: each agent numbers them in order.
 * MPI libraries fence over the whole namespace (procs = one wildcard). */
static bool whole_job(const pmix_proc_t procs[], size_t nprocs)
{
	struct pmix_host *h = the_host;
	if (nprocs == 1 && procs[0].rank == PMIX_RANK_WILDCARD &&
	    strncmp(procs[0].nspace, h->nspace, PMIX_MAX_NSLEN) == 0)
		return true;
	return nprocs == (size_t)h->job.size; /* every rank listed (no duplicates in PMIx) */
}

static pmix_status_t on_fence(const pmix_proc_t procs[], size_t nprocs, const pmix_info_t info[],
			      size_t ninfo, char *data, size_t ndata, pmix_modex_cbfunc_t cbfunc,
			      void *cbdata)
{
	struct pmix_host *h = the_host;
	(void)info;
	(void)ninfo;
	if (!whole_job(procs, nprocs))
		return PMIX_ERR_NOT_SUPPORTED;
	struct work *w = work_new(WORK_FENCE, -1, data, ndata);
	struct pending *p = w ? pending_new(h, cbfunc, cbdata) : NULL;
	if (!p) {
		free(w ? w->data : NULL);
		free(w);
		return PMIX_ERR_NOMEM;
	}
	w->pending = p;
	enqueue(h, w);
	return PMIX_SUCCESS;
}

static pmix_status_t on_dmodex(const pmix_proc_t *proc, const pmix_info_t info[], size_t ninfo,
			       pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
	struct pmix_host *h = the_host;
	(void)info;
	(void)ninfo;
	long rank = our_rank(proc);
	if (rank < 0)
		return PMIX_ERR_NOT_FOUND;
	struct work *w = work_new(WORK_DMODEX, rank, NULL, 0);
	struct pending *p = w ? pending_new(h, cbfunc, cbdata) : NULL;
	if (!p) {
		free(w);
		return PMIX_ERR_NOMEM;
	}
	w->pending = p;
	enqueue(h, w);
	return PMIX_SUCCESS;
}

/* libpmix raises LOST_CONNECTION, with the client as source, when a client
 * that did not finalize goes away. */
static void on_lost_connection(size_t id, pmix_status_t status, const pmix_proc_t *source,
			       pmix_info_t info[], size_t ninfo, pmix_info_t *results,
			       size_t nresults, pmix_event_notification_cbfunc_fn_t cbfunc,
			       void *cbdata)
{
	(void)id;
	(void)status;
	(void)info;
	(void)ninfo;
	(void)results;
	(void)nresults;
	long rank = our_rank(source);
	struct work *w = rank >= 0 ? work_new(WORK_LOST, rank, NULL, 0) : NULL;
	if (w)
		enqueue(the_host, w);
	if (cbfunc)
		cbfunc(PMIX_SUCCESS, NULL, 0, NULL, NULL, cbdata);
}

static pmix_server_module_t module = {
    .client_connected = on_client_connected,
    .client_finalized = on_client_finalized,
    .abort = on_abort,
    .fence_nb = on_fence,
    .direct_modex = on_dmodex,
    /* Everything left NULL is answered PMIX_ERR_NOT_SUPPORTED by libpmix. */
};

/* ---- answers from the agent back into libpmix ---- */

static void free_blob(void *cbdata)
{
	free(cbdata);
}

static void answer(struct pmix_host *h, struct pending *p, int status, const void *data, size_t len)
{
	char *copy = NULL;
	pending_unlink(h, p);
	if (status == 0 && len > 0) {
		copy = malloc(len);
		if (copy)
			memcpy(copy, data, len);
		else
			status = 1;
	}
	/* libpmix reads the data until it calls free_blob. */
	p->cbfunc(status == 0 ? PMIX_SUCCESS : PMIX_ERROR, copy, status == 0 ? len : 0, p->cbdata,
		  free_blob, copy);
	free(p);
}

void pmix_host_fence_done(struct pmix_host *h, void *pending, int status, const void *data,
			  size_t len)
{
	answer(h, pending, status, data, len);
}

void pmix_host_dmodex_done(struct pmix_host *h, void *pending, int status, const void *data,
			   size_t len)
{
	answer(h, pending, status, data, len);
}

static void serving_unlink(struct pmix_host *h, struct work *w)
{
	pthread_mutex_lock(&h->lock);
	struct work **pp = &h->serving;
	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	w->next = NULL;
	pthread_mutex_unlock(&h->lock);
}

/* On libpmix's thread; it frees data when we return. */
static void on_dmodex_served(pmix_status_t status, char *data, size_t sz, void *cbdata)
{
	struct work *w = cbdata;
	serving_unlink(the_host, w);
	if (status == PMIX_SUCCESS && sz > 0) {
		w->data = malloc(sz);
		if (w->data) {
			memcpy(w->data, data, sz);
			w->len = sz;
		} else {
			status = PMIX_ERR_NOMEM;
		}
	}
	w->status = status == PMIX_SUCCESS ? 0 : 1;
	enqueue(the_host, w);
}

void pmix_host_dmodex_serve(struct pmix_host *h, long rank, uint64_t request)
{
	struct work *w = work_new(WORK_SERVED, rank, NULL, 0);
	pmix_proc_t proc;
	if (!w) {
		h->ops->dmodex_served(h->ctx, request, 1, NULL, 0);
		return;
	}
	w->request = request;
	PMIX_LOAD_PROCID(&proc, h->nspace, (pmix_rank_t)rank);
	/* On the list first: libpmix may answer before the call returns. */
	pthread_mutex_lock(&h->lock);
	w->next = h->serving;
	h->serving = w;
	pthread_mutex_unlock(&h->lock);
	pmix_status_t rc = PMIx_server_dmodex_request(&proc, on_dmodex_served, w);
	if (rc != PMIX_SUCCESS) {
		serving_unlink(h, w);
		free(w);
		h->ops->dmodex_served(h->ctx, request, 1, NULL, 0);
	}
}

/* ---- start, register, stop ---- */

/* libpmix's registration calls answer through a callback, on its thread. */
struct op_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	pmix_status_t status;
};

static void on_op_done(pmix_status_t status, void *cbdata)
{
	struct op_wait *ow = cbdata;
	pthread_mutex_lock(&ow->lock);
	ow->status = status;
	ow->done = true;
	pthread_cond_signal(&ow->cond);
	pthread_mutex_unlock(&ow->lock);
}

static pmix_status_t op_wait(struct op_wait *ow, pmix_status_t rc)
{
	if (rc == PMIX_OPERATION_SUCCEEDED)
		return PMIX_SUCCESS;
	if (rc != PMIX_SUCCESS)
		return rc;
	pthread_mutex_lock(&ow->lock);
	while (!ow->done)
		pthread_cond_wait(&ow->cond, &ow->lock);
	pthread_mutex_unlock(&ow->lock);
	return ow->status;
}

#define OP_WAIT_INIT                                                                               \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, PMIX_SUCCESS           \
	}

/* "host0,host1" and "0,1;2,3": the inputs of PMIx_generate_regex/ppn. */
static int job_maps(const struct pmix_host_job *job, char **nodes, char **procs)
{
	FILE *fn, *fp;
	size_t ln, lp;

	*nodes = *procs = NULL;
	fn = open_memstream(nodes, &ln);
	fp = open_memstream(procs, &lp);
	if (!fn || !fp) {
		if (fn)
			fclose(fn);
		if (fp)
			fclose(fp);
		free(*nodes);
		free(*procs);
		return -1;
	}
	for (long i = 0; i < job->nnodes; i++) {
		bool first = true;
		fprintf(fn, "%s%s", i ? "," : "", job->node_names[i]);
		fputs(i ? ";" : "", fp);
		for (long rank = 0; rank < job->size; rank++) {
			if (job->rank_node[rank] != (uint32_t)i)
				continue;
			fprintf(fp, "%s%ld", first ? "" : ",", rank);
			first = false;
		}
	}
	fclose(fn);
	fclose(fp);
	return 0;
}

static void info_load(pmix_info_t *info, const char *key, const void *val, pmix_data_type_t type)
{
	PMIX_INFO_LOAD(info, key, val, type);
}

/* PMIX_CPUSET and PMIX_LOCALITY_STRING of a bound local rank; NULLs when
 * libpmix cannot make them (then Open MPI takes the ranks as unbound). */
static void rank_locality(const struct pmix_host *h, long rank, long node_rank, char **cpuset,
			  char **locality)
{
	long i = h->job.rank_node[rank] == (uint32_t)h->job.node ? node_rank : -1;
	*cpuset = *locality = NULL;
	if (i < 0 || !h->job.cpusets || !h->job.cpusets[i])
		return;
	pmix_cpuset_t set = {.source = "hwloc", .bitmap = h->job.cpusets[i]};
	if (PMIx_server_generate_cpuset_string(&set, cpuset) != PMIX_SUCCESS)
		*cpuset = NULL;
	if (PMIx_server_generate_locality_string(&set, locality) != PMIX_SUCCESS)
		*locality = NULL;
}

/* Per-rank data libpmix does not derive from the maps (as Slurm gives it). */
static void proc_data(const struct pmix_host *h, long rank, long node_rank, long app_rank,
		      pmix_info_t *info)
{
	pmix_data_array_t *arr;
	uint32_t nodeid = h->job.rank_node[rank], appnum = h->job.rank_app[rank];
	pmix_rank_t r = (pmix_rank_t)rank, grank = (pmix_rank_t)rank;
	pmix_rank_t arank = (pmix_rank_t)app_rank;
	uint16_t lrank = (uint16_t)node_rank, nrank = (uint16_t)node_rank;
	char *cpuset, *locality;
	size_t n = 8;

	rank_locality(h, rank, node_rank, &cpuset, &locality);
	PMIX_DATA_ARRAY_CREATE(arr, 8 + (cpuset != NULL) + (locality != NULL), PMIX_INFO);
	pmix_info_t *a = arr->array;
	info_load(&a[0], PMIX_RANK, &r, PMIX_PROC_RANK);
	info_load(&a[1], PMIX_APPNUM, &appnum, PMIX_UINT32);
	info_load(&a[2], PMIX_GLOBAL_RANK, &grank, PMIX_PROC_RANK);
	info_load(&a[3], PMIX_APP_RANK, &arank, PMIX_PROC_RANK);
	info_load(&a[4], PMIX_LOCAL_RANK, &lrank, PMIX_UINT16);
	info_load(&a[5], PMIX_NODE_RANK, &nrank, PMIX_UINT16);
	info_load(&a[6], PMIX_NODEID, &nodeid, PMIX_UINT32);
	info_load(&a[7], PMIX_HOSTNAME, h->job.node_names[nodeid], PMIX_STRING);
	if (cpuset)
		info_load(&a[n++], PMIX_CPUSET, cpuset, PMIX_STRING);
	if (locality)
		info_load(&a[n++], PMIX_LOCALITY_STRING, locality, PMIX_STRING);
	PMIX_INFO_LOAD(info, PMIX_PROC_DATA, arr, PMIX_DATA_ARRAY);
	PMIX_DATA_ARRAY_FREE(arr);
	free(cpuset);
	free(locality);
}

static int register_job(struct pmix_host *h)
{
	const struct pmix_host_job *job = &h->job;
	char *nodes = NULL, *procs = NULL, *node_regex = NULL, *proc_regex = NULL;
	uint32_t size = (uint32_t)job->size, nnodes = (uint32_t)job->nnodes, appnum = 0;
	uint32_t local_size = (uint32_t)job->nranks;
	size_t nfixed = h->topology_xml ? 10 : 9, ninfo = nfixed + (size_t)job->size;
	pmix_info_t *info = NULL;
	int rc = -1;

	if (job_maps(job, &nodes, &procs) < 0 ||
	    PMIx_generate_regex(nodes, &node_regex) != PMIX_SUCCESS ||
	    PMIx_generate_ppn(procs, &proc_regex) != PMIX_SUCCESS)
		goto out;
	PMIX_INFO_CREATE(info, ninfo);
	info_load(&info[0], PMIX_UNIV_SIZE, &size, PMIX_UINT32);
	info_load(&info[1], PMIX_JOB_SIZE, &size, PMIX_UINT32);
	info_load(&info[2], PMIX_MAX_PROCS, &size, PMIX_UINT32);
	info_load(&info[3], PMIX_NUM_NODES, &nnodes, PMIX_UINT32);
	info_load(&info[4], PMIX_JOBID, job->jobid, PMIX_STRING);
	info_load(&info[5], PMIX_APPNUM, &appnum, PMIX_UINT32);
	info_load(&info[6], PMIX_LOCAL_SIZE, &local_size, PMIX_UINT32);
	PMIX_INFO_LOAD(&info[7], PMIX_NODE_MAP, node_regex, PMIX_REGEX);
	PMIX_INFO_LOAD(&info[8], PMIX_PROC_MAP, proc_regex, PMIX_REGEX);
	/* Open MPI 4.1 loads its topology from this key when it is there, and
	 * discovers it itself (reading /sys, slowly) in every rank when not. */
	if (h->topology_xml)
		PMIX_INFO_LOAD(&info[9], PMIX_HWLOC_XML_V2, h->topology_xml, PMIX_STRING);
	/* A rank's local rank counts the ranks before it on its node, its app
	 * rank those before it in its program. */
	long *node_seen = calloc((size_t)job->nnodes, sizeof *node_seen);
	if (!node_seen)
		goto out;
	for (long rank = 0, app_first = 0; rank < job->size; rank++) {
		if (rank > 0 && job->rank_app[rank] != job->rank_app[rank - 1])
			app_first = rank;
		proc_data(h, rank, node_seen[job->rank_node[rank]]++, rank - app_first,
			  &info[nfixed + (size_t)rank]);
	}
	free(node_seen);

	struct op_wait ow = OP_WAIT_INIT;
	pmix_status_t st = op_wait(&ow, PMIx_server_register_nspace(h->nspace, (int)job->nranks,
								    info, ninfo, on_op_done, &ow));
	if (st != PMIX_SUCCESS) {
		cmpi_error("cannot register the job with the PMIx server: %s",
			   PMIx_Error_string(st));
		goto out;
	}
	rc = 0;
out:
	if (info)
		PMIX_INFO_FREE(info, ninfo);
	free(nodes);
	free(procs);
	free(node_regex);
	free(proc_regex);
	return rc;
}

char **pmix_host_rank_env(struct pmix_host *h, long rank)
{
	pmix_proc_t proc;
	char **env = calloc(1, sizeof *env);
	struct op_wait ow = OP_WAIT_INIT;

	if (!env)
		return NULL;
	PMIX_LOAD_PROCID(&proc, h->nspace, (pmix_rank_t)rank);
	pmix_status_t st = op_wait(
	    &ow, PMIx_server_register_client(&proc, geteuid(), getegid(), NULL, on_op_done, &ow));
	if (st == PMIX_SUCCESS)
		st = PMIx_server_setup_fork(&proc, &env);
	if (st != PMIX_SUCCESS) {
		cmpi_error("cannot set up rank %ld with the PMIx server: %s", rank,
			   PMIx_Error_string(st));
		cmpi_strv_free(env);
		return NULL;
	}
	return env;
}

struct pmix_host *pmix_host_start(struct event_base *base, const struct pmix_host_job *job,
				  const struct pmix_host_ops *ops, void *ctx)
{
	struct pmix_host *h = calloc(1, sizeof *h);
	pmix_info_t info[4];
	size_t ninfo = 3;

	if (!h)
		return NULL;
	h->ops = ops;
	h->ctx = ctx;
	h->job = *job;
	h->wake[0] = h->wake[1] = -1;
	h->queue_tail = &h->queue;
	pthread_mutex_init(&h->lock, NULL);
	if (the_host)
		goto fail; /* libpmix serves one job per process */
	snprintf(h->nspace, sizeof h->nspace, "cmpi.%s", job->jobid);
	if (cmpi_jobdir_make(h->tmpdir, sizeof h->tmpdir, "/tmp", job->jobid, job->node) < 0) {
		cmpi_error("cannot create a directory for the PMIx server: %s", strerror(errno));
		h->tmpdir[0] = '\0';
		goto fail;
	}
	if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	h->wake_ev = event_new(base, h->wake[0], EV_READ | EV_PERSIST, on_wake, h);
	if (!h->wake_ev || event_add(h->wake_ev, NULL) < 0)
		goto fail;

	/* The native security check (same uid) and the plain hash store: munge
	 * is not running here, and the shared-memory stores fail in containers. */
	setenv("PMIX_MCA_psec", "native", 1);
	setenv("PMIX_MCA_gds", "hash", 1);
	PMIX_INFO_LOAD(&info[0], PMIX_SERVER_TMPDIR, h->tmpdir, PMIX_STRING);
	PMIX_INFO_LOAD(&info[1], PMIX_SYSTEM_TMPDIR, h->tmpdir, PMIX_STRING);
	PMIX_INFO_LOAD(&info[2], PMIX_HOSTNAME, job->node_names[job->node], PMIX_STRING);
	if (job->topology) {
		/* By hand, not PMIX_INFO_LOAD: that would give libpmix a copy which
		 * it keeps a pointer to and which destructing the info frees. This
		 * way it keeps ours, which the agent frees after PMIx_server_finalize. */
		h->topo.source = "hwloc";
		h->topo.topology = job->topology;
		PMIX_INFO_CONSTRUCT(&info[ninfo]);
		PMIX_LOAD_KEY(info[ninfo].key, PMIX_TOPOLOGY2);
		info[ninfo].value.type = PMIX_TOPO;
		info[ninfo].value.data.topo = &h->topo;
		ninfo++;
		int len;
		if (hwloc_topology_export_xmlbuffer(job->topology, &h->topology_xml, &len, 0) < 0)
			h->topology_xml = NULL;
	}
	/* In a container, libpmix's plugins are in the agent bundle, not where
	 * it was built to look; the variable must not reach the ranks, whose
	 * MPI has a libpmix of its own. */
	char *plugins = getenv("CMPI_PMIX_PLUGINS") ? strdup(getenv("CMPI_PMIX_PLUGINS")) : NULL;
	if (plugins)
		setenv("PMIX_MCA_mca_base_component_path", plugins, 1);
	the_host = h;
	pmix_status_t st = PMIx_server_init(&module, info, ninfo);
	if (plugins)
		unsetenv("PMIX_MCA_mca_base_component_path");
	unsetenv("CMPI_PMIX_PLUGINS");
	free(plugins);
	for (size_t i = 0; i < 3; i++) /* not the topology: it is not ours to free */
		PMIX_INFO_DESTRUCT(&info[i]);
	if (st != PMIX_SUCCESS) {
		cmpi_error("cannot start the PMIx server: %s", PMIx_Error_string(st));
		goto fail;
	}
	h->initialized = true;
	pmix_status_t lost = PMIX_ERR_LOST_CONNECTION;
	st = PMIx_Register_event_handler(&lost, 1, NULL, 0, on_lost_connection, NULL, NULL);
	if (st < 0) /* the job still runs; only this hang goes unnoticed */
		cmpi_debug("cannot watch for lost PMIx clients: %s", PMIx_Error_string(st));
	if (register_job(h) < 0)
		goto fail;
	cmpi_debug("PMIx server up in %s, namespace %s", h->tmpdir, h->nspace);
	return h;
fail:
	pmix_host_stop(h);
	return NULL;
}

void pmix_host_stop(struct pmix_host *h)
{
	if (!h)
		return;
	if (h->initialized)
		PMIx_server_finalize(); /* joins libpmix's thread: no callback after this */
	if (the_host == h)
		the_host = NULL;
	while (h->queue) {
		struct work *w = h->queue;
		h->queue = w->next;
		if (w->pending) {
			pending_unlink(h, w->pending);
			free(w->pending);
		}
		free(w->data);
		free(w);
	}
	while (h->serving) {
		struct work *w = h->serving;
		h->serving = w->next;
		free(w);
	}
	while (h->pendings) {
		struct pending *p = h->pendings;
		pending_unlink(h, p);
		free(p);
	}
	if (h->wake_ev)
		event_free(h->wake_ev);
	for (int i = 0; i < 2; i++)
		if (h->wake[i] >= 0)
			close(h->wake[i]);
	if (h->tmpdir[0])
		cmpi_jobdir_remove(h->tmpdir);
	if (h->topology_xml)
		hwloc_free_xmlbuffer(h->job.topology, h->topology_xml);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
