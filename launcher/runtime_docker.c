/* runtime_docker.c - agents in containers through the Docker Engine API: one container per
 * agent, created and started by a few threads at once, host network and IPC, cmpi.job and
 * cmpi.node labels (a runtime finishes only its own nodes' containers). A local engine
 * gets the agent bundle bind-mounted read-only at /.cmpi and the working directory at the
 * same path; an engine on another host gets the bundle uploaded into each container, and
 * the agents connect back to this host's address towards it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "cmpi/jobdir.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "cleanup.h"
#include "container_watch.h"
#include "docker.h"
#include "runtime.h"
#include "stage.h"

#define BUNDLE_MOUNT "/.cmpi"

struct docker_runtime {
	struct runtime rt;
	struct docker *engine;
	char *image, *bundle, *cwd;
	char *stage_tar; /* NULL: nothing staged */
	/* An engine on another host sees none of our files: the bundle goes in
	 * by the archive endpoint (bundle_tar), and the working directory is the
	 * image's own. */
	bool remote;
	char *bundle_tar;
	char jobid[17];
	long nagents;
	long *nodes;	 /* [container]: the job's node it runs */
	char (*ids)[65]; /* [container]: "" when not created */
	struct container_watch *watch; /* their output and exits */
	runtime_agent_exited_f exited;
	void *ctx;
	bool rdma;	 /* pass RDMA devices, IPC_LOCK and unlimited memlock */
	char **rdma_devices;
};

/* Where the agents of an engine at url reach us: 127.0.0.1 for a unix socket
 * or an engine on this host, else the address this host sends from on the
 * way to the engine's (which the kernel picks for a connected UDP socket,
 * without sending anything). 0, or -1 after saying why. */
static int control_address(const char *url, char *addr, size_t size)
{
	char host[256];
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
	struct sockaddr_in me;
	socklen_t len = sizeof me;
	int fd = -1, rc = -1;

	snprintf(addr, size, "127.0.0.1");
	if (strncmp(url, "tcp://", 6) != 0)
		return 0;
	snprintf(host, sizeof host, "%.*s", (int)strcspn(url + 6, ":/"), url + 6);
	int gai = getaddrinfo(host, "2375", &hints, &ai);
	if (gai != 0) {
		cmpi_error("cannot find the engine's host '%s' (IPv4): %s", host, gai_strerror(gai));
		return -1;
	}
	struct sockaddr_in *engine = (struct sockaddr_in *)ai->ai_addr;
	if ((ntohl(engine->sin_addr.s_addr) >> 24) == 127) {
		rc = 0;
	} else if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
		   connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		   getsockname(fd, (struct sockaddr *)&me, &len) < 0) {
		cmpi_error("no route to the engine's host %s: %s", host, strerror(errno));
	} else {
		inet_ntop(AF_INET, &me.sin_addr, addr, (socklen_t)size);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* CMPI_RDMA=on|off|auto (default auto: on when this host has
 * /dev/infiniband and the engine is local, so the devices are the same). */
static void choose_rdma(struct docker_runtime *dr)
{
	const char *mode = getenv("CMPI_RDMA");
	glob_t g;
	bool local = strncmp(docker_url(dr->engine), "unix://", 7) == 0;

	if (local && glob("/dev/infiniband/*", 0, NULL, &g) == 0) {
		dr->rdma_devices = calloc(g.gl_pathc + 1, sizeof *dr->rdma_devices);
		for (size_t i = 0; dr->rdma_devices && i < g.gl_pathc; i++)
			dr->rdma_devices[i] = strdup(g.gl_pathv[i]);
		globfree(&g);
	}
	if (mode && !strcmp(mode, "on"))
		dr->rdma = true;
	else if (mode && !strcmp(mode, "off"))
		dr->rdma = false;
	else
		dr->rdma = dr->rdma_devices && dr->rdma_devices[0];
	cmpi_debug("RDMA in containers: %s", dr->rdma ? "on" : "off");
}

/* Creates and starts container i on engine (a handle of the calling thread's
 * own); what went wrong goes to err. */
static int start_container(struct docker_runtime *dr, struct docker *engine, long i,
			   const char *addr, int port, const char *token_hex,
			   struct docker_error *err)
{
	char connect[128], node_s[32], token[128], label[64], node_label[64], name[64];
	char launcher[320];
	char *bind_bundle = NULL, *bind_cwd = NULL;
	/* Ranks start in our directory where it is mounted, else where the
	 * staged files are, else in the image's working directory. */
	const char *workdir = !dr->remote ? dr->cwd : dr->stage_tar ? STAGE_DIR : NULL;
	int rc = -1;

	*err = (struct docker_error){0};
	snprintf(connect, sizeof connect, "%s:%d", addr, port);
	snprintf(node_s, sizeof node_s, "%ld", dr->nodes[i]);
	snprintf(token, sizeof token, "CMPI_AGENT_TOKEN=%s", token_hex);
	snprintf(label, sizeof label, "cmpi.job=%s", dr->jobid);
	snprintf(node_label, sizeof node_label, "cmpi.node=%ld", dr->nodes[i]);
	snprintf(name, sizeof name, "cmpi-%s-%ld", dr->jobid, dr->nodes[i]);
	/* The bundle's own loader and libraries: the image's glibc does not
	 * matter, and no variable leads the ranks to the bundle's libraries. */
	char *cmd[] = {BUNDLE_MOUNT "/lib/ld-linux-x86-64.so.2",
		       "--library-path",
		       BUNDLE_MOUNT "/lib",
		       BUNDLE_MOUNT "/bin/cmpi-agent",
		       "--connect",
		       connect,
		       "--node",
		       node_s,
		       cmpi_verbose() ? "--verbose" : NULL,
		       NULL};
	char *env[] = {token, "CMPI_PMIX_PLUGINS=" BUNDLE_MOUNT "/lib/pmix", NULL};
	char launcher_label[340] = "cmpi.launcher=";
	if (cleanup_launcher_label(launcher, sizeof launcher) == 0)
		strcat(launcher_label, launcher);
	char *labels[] = {label, node_label, launcher_label, NULL};
	/* Cross-memory attach (process_vm_readv) between ranks: Docker's seccomp
	 * profile refuses it without SYS_PTRACE, and UCX then falls back to TCP
	 * between ranks of one container (which also hung at MPI_Finalize). */
	char *caps[] = {"SYS_PTRACE", dr->rdma ? "IPC_LOCK" : NULL, NULL};
	if (!dr->remote && (asprintf(&bind_bundle, "%s:" BUNDLE_MOUNT ":ro", dr->bundle) < 0 ||
			    asprintf(&bind_cwd, "%s:%s", dr->cwd, dr->cwd) < 0)) {
		snprintf(err->message, sizeof err->message, "out of memory");
		goto out;
	}
	char *binds[] = {bind_bundle, bind_cwd, NULL};
	struct docker_container_spec spec = {
	    .name = name,
	    .image = dr->image,
	    .cmd = cmd,
	    .env = env,
	    .workdir = workdir,
	    .labels = labels,
	    .binds = binds,
	    .cap_add = caps,
	    .devices = dr->rdma ? dr->rdma_devices : NULL,
	    .memlock_unlimited = dr->rdma,
	    .host_network = true, /* the ranks' transports, and the control port on 127.0.0.1 */
	    .host_ipc = true,	  /* shared memory between containers of one host */
	    .host_pid = true,	  /* CMA (process_vm_readv) between ranks */
	    .auto_remove = true,  /* an agent that exits takes its container along */
	};
	if (docker_container_create(engine, &spec, dr->ids[i], err) < 0)
		goto out;
	/* Unwatched, an agent that dies early is still found by the connect
	 * timeout, only later and without its words. */
	if (dr->watch)
		container_watch_add(dr->watch, i, dr->ids[i]);
	if ((dr->remote && docker_container_upload(engine, dr->ids[i], "/", dr->bundle_tar,
						   err) < 0) ||
	    (dr->stage_tar &&
	     docker_container_upload(engine, dr->ids[i], "/", dr->stage_tar, err) < 0) ||
	    docker_container_start(engine, dr->ids[i], err) < 0)
		goto out;
	rc = 0;
out:
	free(bind_bundle);
	free(bind_cwd);
	return rc;
}

/* The agents' containers are started by a few threads at once: the engine
 * takes about 100 ms for each, most of it waiting, not working. */
#define START_THREADS 8

struct start_work {
	struct docker_runtime *dr;
	const char *addr, *token_hex;
	int port;
	atomic_long next;		 /* the next container to start */
	struct docker_error *errors; /* [container] */
	bool *started;		 /* [container] */
};

static void *start_worker(void *arg)
{
	struct start_work *w = arg;
	struct docker *engine = docker_clone(w->dr->engine);
	long i;
	while ((i = atomic_fetch_add(&w->next, 1)) < w->dr->nagents) {
		if (!engine)
			snprintf(w->errors[i].message, sizeof w->errors[i].message,
				 "out of memory");
		else
			w->started[i] = start_container(w->dr, engine, i, w->addr, w->port,
							w->token_hex, &w->errors[i]) == 0;
	}
	docker_free(engine);
	return NULL;
}

/* The engine's words, once for each distinct refusal (eight agents refused
 * alike say it once), and what they mean when we asked for RDMA. */
static void report_start_errors(struct docker_runtime *dr, const struct start_work *w)
{
	for (long i = 0; i < dr->nagents; i++) {
		const char *msg = w->errors[i].message;
		bool said = w->started[i];
		for (long before = 0; !said && before < i; before++)
			said = !w->started[before] && !strcmp(w->errors[before].message, msg);
		if (said)
			continue;
		bool memlock = dr->rdma && strstr(msg, "rlimit type 8");
		cmpi_error("%s%s", msg,
			   memlock ? " (cmpirun asked for unlimited locked memory, which RDMA "
				     "needs: raise this host's memlock hard limit, or set "
				     "CMPI_RDMA=off)"
				   : "");
	}
}

static void docker_start_agents(struct runtime *rt, const char *addr, int port,
				const char *token_hex, bool *started)
{
	struct docker_runtime *dr = (struct docker_runtime *)rt;
	struct start_work w = {.dr = dr, .addr = addr, .token_hex = token_hex, .port = port};
	pthread_t threads[START_THREADS];
	long nthreads = dr->nagents < START_THREADS ? dr->nagents : START_THREADS, running = 0;

	atomic_init(&w.next, 0);
	w.errors = calloc((size_t)dr->nagents, sizeof *w.errors);
	w.started = calloc((size_t)dr->nagents, sizeof *w.started);
	if (!w.errors || !w.started) {
		cmpi_error("cannot start the agents: out of memory");
		free(w.errors);
		free(w.started);
		return;
	}
	/* The first on this thread, with the engine handle it has. */
	for (long i = 1; i < nthreads; i++)
		if (pthread_create(&threads[running], NULL, start_worker, &w) == 0)
			running++;
	long i;
	while ((i = atomic_fetch_add(&w.next, 1)) < dr->nagents)
		w.started[i] = start_container(dr, dr->engine, i, addr, port, token_hex,
					       &w.errors[i]) == 0;
	for (long t = 0; t < running; t++)
		pthread_join(threads[t], NULL);
	report_start_errors(dr, &w);
	for (i = 0; i < dr->nagents; i++) {
		started[dr->nodes[i]] = w.started[i];
		if (w.started[i])
			cmpi_debug("started agent %ld in container %.12s", dr->nodes[i], dr->ids[i]);
	}
	free(w.errors);
	free(w.started);
}

/* The job's containers on this engine that are this runtime's: its nodes' (other nodes
 * may share the engine, each with a runtime of its own: cmpi-container on Slurm nodes).
 * How many, with *ids (NULL-terminated), or -1. */
static long own_containers(struct docker_runtime *dr, char ***ids, struct docker_error *err)
{
	char label[64], **values = NULL;
	snprintf(label, sizeof label, "cmpi.job=%s", dr->jobid);
	long n = docker_containers_with_label(dr->engine, label, ids, "cmpi.node", &values, err);
	long kept = 0;
	for (long i = 0; i < n; i++) {
		long node;
		bool ours = false;
		if (cmpi_parse_long(values[i], 0, 1L << 30, &node) == 0)
			for (long j = 0; !ours && j < dr->nagents; j++)
				ours = dr->nodes[j] == node;
		if (ours)
			(*ids)[kept++] = (*ids)[i];
		else
			free((*ids)[i]);
	}
	if (n > 0)
		(*ids)[kept] = NULL;
	cmpi_strv_free(values);
	return n < 0 ? n : kept;
}

/* Waits for this runtime's containers to go (their agents exit when cmpirun
 * closes the connections, AutoRemove does the rest), then removes what is left. */
static void docker_finish(struct runtime *rt, int grace_ms)
{
	struct docker_runtime *dr = (struct docker_runtime *)rt;
	struct docker_error err;
	char **ids = NULL;
	long n = 0;

	for (int waited = 0; waited <= grace_ms; waited += 20) {
		cmpi_strv_free(ids);
		ids = NULL;
		n = own_containers(dr, &ids, &err);
		if (n <= 0)
			break;
		struct timespec tick = {0, 20 * 1000 * 1000};
		nanosleep(&tick, NULL);
	}
	bool left = n < 0;
	if (n < 0)
		cmpi_error("%s", err.message);
	for (long i = 0; i < n; i++) {
		cmpi_debug("container %.12s did not exit; removing it", ids[i]);
		if (docker_container_remove(dr->engine, ids[i], &err) < 0) {
			cmpi_error("%s", err.message);
			left = true;
		}
	}
	/* The ranks' work is done (or not) either way; what may be left is ours to say. */
	if (left)
		cmpi_error("containers of job %s (label cmpi.job=%s) may be left on the engine: "
			   "run 'cmpirun --cleanup --engine %s' once it answers",
			   dr->jobid, dr->jobid, docker_url(dr->engine));
	cmpi_strv_free(ids);
	/* Host IPC: the agents' /dev/shm directories are this host's when the
	 * engine is; a killed container leaves its agent's behind. */
	for (long i = 0; !dr->remote && i < dr->nagents; i++)
		cmpi_jobdirs_remove_node("/dev/shm", dr->jobid, dr->nodes[i]);
}

static void docker_destroy(struct runtime *rt)
{
	struct docker_runtime *dr = (struct docker_runtime *)rt;
	if (!dr)
		return;
	container_watch_stop(dr->watch);
	docker_free(dr->engine);
	free(dr->image);
	free(dr->bundle);
	free(dr->bundle_tar);
	free(dr->stage_tar);
	free(dr->cwd);
	free(dr->ids);
	free(dr->nodes);
	cmpi_strv_free(dr->rdma_devices);
	free(dr);
}

static const struct runtime_ops docker_ops = {
    .start_agents = docker_start_agents,
    .finish = docker_finish,
    .destroy = docker_destroy,
};

/* What an agent printed in its container before it could tell us over its
 * connection (why it could not start, say), then its end. */
static void on_container_exited(void *ctx, long i, int status, const char *output)
{
	struct docker_runtime *dr = ctx;
	long node = dr->nodes[i];
	for (const char *line = output; *line;) {
		int len = (int)strcspn(line, "\n");
		cmpi_error("agent %ld's container: %.*s", node, len, line);
		line += len + (line[len] == '\n');
	}
	dr->exited(dr->ctx, node, status);
}

struct runtime *runtime_docker_create(struct event_base *base, struct docker *engine,
				      const struct docker_job *job, const long *nodes,
				      long nagents, runtime_agent_exited_f exited, void *ctx)
{
	struct docker_runtime *dr = calloc(1, sizeof *dr);
	if (!dr)
		return NULL;
	dr->rt.ops = &docker_ops;
	dr->engine = engine;
	dr->nagents = nagents;
	dr->exited = exited;
	dr->ctx = ctx;
	snprintf(dr->jobid, sizeof dr->jobid, "%s", job->jobid);
	dr->image = strdup(job->image);
	dr->bundle = strdup(job->bundle);
	dr->cwd = strdup(job->cwd);
	if (job->stage_tar && !(dr->stage_tar = strdup(job->stage_tar)))
		goto fail;
	dr->ids = calloc((size_t)nagents, sizeof *dr->ids);
	dr->nodes = calloc((size_t)nagents, sizeof *dr->nodes);
	if (!dr->image || !dr->bundle || !dr->cwd || !dr->ids || !dr->nodes)
		goto fail;
	memcpy(dr->nodes, nodes, (size_t)nagents * sizeof *nodes);
	dr->remote = strncmp(docker_url(engine), "unix://", 7) != 0;
	dr->rt.sees_our_files = !dr->remote;
	dr->rt.one_host = true;
	if (dr->remote && asprintf(&dr->bundle_tar, "%s.tar", job->bundle) < 0) {
		dr->bundle_tar = NULL;
		goto fail;
	}
	if (dr->remote && access(dr->bundle_tar, R_OK) < 0) {
		cmpi_error("cannot read the agent bundle %s, which an engine on another host needs "
			   "(build the agent_bundle target): %s",
			   dr->bundle_tar, strerror(errno));
		goto fail;
	}
	if (control_address(docker_url(engine), dr->rt.control_addr, sizeof dr->rt.control_addr) <
	    0)
		goto fail; /* said why */
	dr->watch = container_watch_start(base, engine, nagents, on_container_exited, dr);
	if (!dr->watch)
		goto fail;
	choose_rdma(dr);
	return &dr->rt;
fail:
	dr->engine = NULL; /* the caller's still */
	docker_destroy(&dr->rt);
	return NULL;
}
