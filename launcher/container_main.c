/* container_main.c - cmpi-container: what srun runs on each node of a Slurm allocation when
 * the job has --image. cmpirun cannot reach the nodes' engines, so this starts the node's
 * agent in a container on the node's own engine (the docker runtime, for one node), waits
 * for the container to end, and removes it early when srun passes on a SIGTERM. The agent
 * inside connects back to cmpirun as every agent does. */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpi/jobdir.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "docker.h"
#include "pull.h"
#include "runtime.h"

struct node_container {
	struct event_base *base;
	bool ended;    /* the container has exited */
	int status;    /* its agent's wait status, once ended */
	int signalled; /* the signal that ended our wait, 0: none */
};

static void usage(void)
{
	fprintf(stderr,
		"Usage: cmpi-container --image IMAGE --job JOBID --connect HOST:PORT\n"
		"                      (--node N | --node-env VAR) [--engine URL] [--pull]\n"
		"                      [--verbose]\n"
		"       cmpi-container --sweep JOBID [--engine URL]\n"
		"Run by cmpirun through srun on each node of a Slurm allocation: starts the\n"
		"node's agent in a container of IMAGE on the node's engine (URL, else\n"
		"$DOCKER_HOST, else the default socket; --pull pulls IMAGE when missing)\n"
		"and waits for it. The job token comes in CMPI_AGENT_TOKEN.\n"
		"--sweep removes what job JOBID left on this node.\n");
}

static void on_agent_exited(void *ctx, long node, int status)
{
	struct node_container *nc = ctx;
	(void)node;
	cmpi_debug("the agent's container exited (wait status %d)", status);
	nc->ended = true;
	nc->status = status;
	event_base_loopbreak(nc->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct node_container *nc = arg;
	(void)what;
	cmpi_debug("signal %d: removing the agent's container", (int)sig);
	nc->signalled = (int)sig;
	event_base_loopbreak(nc->base);
}

/* The containers a killed step left on this node's engine, and the agent's
 * directories in /dev/shm (host IPC: the node's own). */
static int sweep(const char *url, const char *jobid)
{
	struct docker_error err;
	char label[64], **ids = NULL;
	int rc = 0;

	cmpi_jobdirs_remove_all("/dev/shm", jobid);
	struct docker *engine = docker_connect(url, &err);
	if (!engine) {
		cmpi_error("%s", err.message);
		return 1;
	}
	snprintf(label, sizeof label, "cmpi.job=%s", jobid);
	long n = docker_containers_with_label(engine, label, &ids, NULL, NULL, &err);
	if (n < 0) {
		cmpi_error("%s", err.message);
		rc = 1;
	}
	for (long i = 0; i < n; i++) {
		cmpi_debug("removing container %.12s of job %s", ids[i], jobid);
		if (docker_container_remove(engine, ids[i], &err) < 0) {
			cmpi_error("%s", err.message);
			rc = 1;
		}
	}
	cmpi_strv_free(ids);
	docker_free(engine);
	return rc;
}

/* The engine must be this node's (a unix socket: the working directory is
 * mounted from here), answer and have the image (pulled, with pull): said with
 * this node's name, since every node's words reach the user through one srun. */
static struct docker *node_engine(const char *url, const char *image, bool pull)
{
	struct docker_error err;
	const char *asked = url ? url : getenv("DOCKER_HOST");
	if (asked && *asked && strncmp(asked, "unix://", 7) != 0) {
		cmpi_error("the engine at %s is not this node's own (a unix:// socket): inside a "
			   "Slurm allocation each node's agent runs on its node's engine (is "
			   "DOCKER_HOST set where cmpirun runs? srun passes it on)",
			   asked);
		return NULL;
	}
	struct docker *engine = docker_connect(url, &err);
	int have = engine ? docker_image_exists(engine, image, &err) : -1;
	if (have == 0 && pull)
		have = pull_image(engine, image) == 0 ? 1 : -2; /* -2: said why */
	if (have == 0)
		cmpi_error("image '%s' not found on this node's engine at %s (--pull pulls it)",
			   image, docker_url(engine));
	else if (have == -1)
		cmpi_error("%s", err.message);
	if (have == 1)
		return engine;
	docker_free(engine);
	return NULL;
}

/* Starts the container and waits for its end or a signal; the exit status
 * srun sees: the agent's own, or 128 + the signal. */
static int run(struct docker *engine, const struct docker_job *dj, long node,
	       const char *connect_addr, const char *token_hex)
{
	struct node_container nc = {.base = event_base_new()};
	struct runtime *rt = NULL;
	struct event *signals[3] = {NULL};
	const int signos[3] = {SIGTERM, SIGINT, SIGHUP};
	char addr[256];
	long port;
	bool running = false;
	int rc = 1;

	const char *colon = strrchr(connect_addr, ':');
	if (!colon || cmpi_parse_long(colon + 1, 1, 65535, &port) < 0) {
		cmpi_error("bad --connect '%s' (HOST:PORT)", connect_addr);
		docker_free(engine);
		goto out;
	}
	snprintf(addr, sizeof addr, "%.*s", (int)(colon - connect_addr), connect_addr);
	if (!nc.base ||
	    !(rt = runtime_docker_create(nc.base, engine, dj, &node, 1, on_agent_exited, &nc))) {
		cmpi_error("cannot set up the agent's container");
		if (!rt)
			docker_free(engine);
		goto out;
	}
	for (int i = 0; i < 3; i++)
		if (!(signals[i] = evsignal_new(nc.base, signos[i], on_signal, &nc)) ||
		    evsignal_add(signals[i], NULL) < 0)
			goto out;
	/* By the job's node index, as the runtime reports every agent. */
	bool *started = calloc((size_t)node + 1, sizeof *started);
	if (!started)
		goto out;
	rt->ops->start_agents(rt, addr, (int)port, token_hex, started);
	running = started[node];
	free(started);
	if (running)
		event_base_dispatch(nc.base);
	/* After a signal or a failed start, at once; else the container is on its
	 * way out (AutoRemove). */
	rt->ops->finish(rt, nc.signalled || !running ? 0 : 5000);
	if (nc.signalled)
		rc = 128 + nc.signalled;
	else if (nc.ended)
		rc = WIFEXITED(nc.status) ? WEXITSTATUS(nc.status) : 128 + WTERMSIG(nc.status);
out:
	for (int i = 0; i < 3; i++)
		if (signals[i])
			event_free(signals[i]);
	if (rt)
		rt->ops->destroy(rt);
	if (nc.base)
		event_base_free(nc.base);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"image", required_argument, NULL, 'i'},
	    {"job", required_argument, NULL, 'j'},
	    {"connect", required_argument, NULL, 'c'},
	    {"node", required_argument, NULL, 'n'},
	    {"node-env", required_argument, NULL, 'e'},
	    {"engine", required_argument, NULL, 'E'},
	    {"sweep", required_argument, NULL, 's'},
	    {"pull", no_argument, NULL, 'p'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	const char *image = NULL, *jobid = NULL, *connect_addr = NULL, *url = NULL,
		   *sweep_job = NULL;
	long node = -1;
	bool pull = false;
	int c;

	/* Messages say which node speaks: srun mixes every node's. */
	static char progname[300] = "cmpi-container";
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	snprintf(progname, sizeof progname, "cmpi-container on %s", host);
	cmpi_set_progname(progname);
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			image = optarg;
			break;
		case 'j':
			jobid = optarg;
			break;
		case 'c':
			connect_addr = optarg;
			break;
		case 'n':
		case 'e': {
			const char *value = c == 'n' ? optarg : getenv(optarg);
			if (!value || cmpi_parse_long(value, 0, 1L << 30, &node) < 0)
				node = -1;
			break;
		}
		case 'E':
			url = optarg;
			break;
		case 's':
			sweep_job = optarg;
			break;
		case 'p':
			pull = true;
			break;
		case 'v':
			cmpi_set_verbose(true);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (sweep_job)
		return sweep(url, sweep_job);
	const char *token_hex = getenv("CMPI_AGENT_TOKEN");
	if (optind != argc || !image || !jobid || !connect_addr || node < 0 || !token_hex) {
		usage();
		return 2;
	}
	char *bundle = runtime_find_bundle(), *cwd = getcwd(NULL, 0);
	int rc = 1;
	if (!bundle || access(bundle, R_OK | X_OK) < 0) {
		cmpi_error("cannot find the agent bundle %s (set CMPI_AGENT_BUNDLE)",
			   bundle ? bundle : "cmpi-agent-bundle");
	} else if (!cwd) {
		cmpi_error("cannot get the current directory: %s", strerror(errno));
	} else {
		/* The ranks start in our (srun's, cmpirun's) directory, mounted alike. */
		struct docker_job dj = {
		    .image = image, .bundle = bundle, .cwd = cwd, .jobid = jobid};
		struct docker *engine = node_engine(url, image, pull);
		if (engine)
			rc = run(engine, &dj, node, connect_addr, token_hex);
	}
	free(bundle);
	free(cwd);
	return rc;
}
