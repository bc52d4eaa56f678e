/* runtime_slurm.c - agents on the nodes of the Slurm allocation cmpirun runs in: one srun
 * step, one agent a node, each reading its node from SLURM_NODEID; with --image, the step
 * runs cmpi-container, which starts the node's agent in a container on the node's engine.
 * The step takes the nodes whole (--whole): the agent binds the ranks itself. After a step
 * that did not end cleanly, a second one sweeps what the killed agents left (the program's
 * --sweep: their private directories, and their containers). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "runtime.h"

struct slurm_runtime {
	struct runtime rt;
	char **program; /* what the step runs on each node, and its first arguments */
	char *nodelist; /* the plan's nodes, "h1,h3": SLURM_NODEID is the index in it */
	long nagents;
	char jobid[17];
	pid_t srun; /* 0 when not started or reaped */
	bool started;
	int status; /* srun's wait status once reaped */
	struct event *sigchld;
	runtime_agent_exited_f exited;
	void *ctx;
};

/* srun ended: every agent with it (the job ignores those that had connected). */
static void reap(struct slurm_runtime *sr, bool report)
{
	int status;
	if (sr->srun <= 0 || waitpid(sr->srun, &status, WNOHANG) != sr->srun)
		return;
	sr->srun = 0;
	sr->status = status;
	cmpi_debug("srun ended (status %d)", status);
	for (long i = 0; report && i < sr->nagents; i++)
		sr->exited(sr->ctx, i, status);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	reap(arg, true);
}

/* Starts `srun <one task on each of the plan's nodes> PROGRAM ARGS...` in its own process
 * group (Ctrl-C reaches cmpirun, which ends the job through the agents' connections).
 * The agents' step takes the nodes whole; the sweep overlaps, since the agents' step may
 * still be completing on some node, and a step that waits for it can wait for seconds.
 * The pid, or -1 after saying why. */
static pid_t spawn_srun(struct slurm_runtime *sr, char *const *args, const char *token_hex,
			bool sweep)
{
	char nodes[32];
	char *argv[40] = {"srun",
			  "--nodelist",
			  sr->nodelist,
			  "--nodes",
			  nodes,
			  "--ntasks",
			  nodes,
			  "--ntasks-per-node=1",
			  sweep ? "--overlap" : "--whole",
			  "--cpu-bind=none",
			  "--mpi=none",
			  "--quiet",
			  "--kill-on-bad-exit=1"};
	size_t n = 13;
	for (size_t i = 0; sr->program[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
		argv[n++] = sr->program[i];
	for (size_t i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
		argv[n++] = args[i];
	snprintf(nodes, sizeof nodes, "%ld", sr->nagents);
	pid_t pid = cmpi_fork();
	if (pid < 0) {
		cmpi_error("cannot start srun: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		/* By environment, which srun passes on, not argv, which ps shows. */
		if (token_hex)
			setenv("CMPI_AGENT_TOKEN", token_hex, 1);
		execvp("srun", argv);
		cmpi_error("cannot run srun: %s", strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

static void slurm_start_agents(struct runtime *rt, const char *addr, int port,
			       const char *token_hex, bool *started)
{
	struct slurm_runtime *sr = (struct slurm_runtime *)rt;
	char connect[128];

	snprintf(connect, sizeof connect, "%s:%d", addr, port);
	char *args[] = {
	    "--connect", connect, "--node-env", "SLURM_NODEID", cmpi_verbose() ? "--verbose" : NULL,
	    NULL};
	pid_t pid = spawn_srun(sr, args, token_hex, false);
	if (pid < 0)
		return;
	sr->srun = pid;
	sr->started = true;
	cmpi_debug("started %ld agents with srun (pid %d)", sr->nagents, (int)pid);
	for (long i = 0; i < sr->nagents; i++)
		started[i] = true;
}

/* Waits up to ms for our child pid; then SIGTERM (srun passes it to the step's
 * tasks), 2 s more, and SIGKILL. Its wait status. */
static int wait_or_kill(pid_t pid, int ms)
{
	struct timespec tick = {0, 1000000};
	int status = 0;
	for (int waited = 0;; waited++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		if (waited == ms || waited == ms + 2000) {
			int sig = waited == ms ? SIGTERM : SIGKILL;
			cmpi_debug("srun (pid %d) did not exit; sending it signal %d", (int)pid,
				   sig);
			kill(pid, sig);
			if (sig == SIGKILL) {
				waitpid(pid, &status, 0);
				return status;
			}
		}
		nanosleep(&tick, NULL);
	}
}

/* The agents end when cmpirun closes their connections, and srun with them. When
 * the step did not end cleanly (an agent killed, say), a second step removes what
 * the agents could not: their private directories on each node. */
static void slurm_finish(struct runtime *rt, int grace_ms)
{
	struct slurm_runtime *sr = (struct slurm_runtime *)rt;
	if (sr->srun > 0) {
		sr->status = wait_or_kill(sr->srun, grace_ms);
		sr->srun = 0;
	}
	if (!sr->started || (WIFEXITED(sr->status) && WEXITSTATUS(sr->status) == 0))
		return;
	char *args[] = {"--sweep", sr->jobid, NULL};
	pid_t pid = spawn_srun(sr, args, NULL, true);
	if (pid > 0) {
		cmpi_debug("the agents' step ended with status %d: sweeping the nodes", sr->status);
		wait_or_kill(pid, 10000);
	}
}

static void slurm_destroy(struct runtime *rt)
{
	struct slurm_runtime *sr = (struct slurm_runtime *)rt;
	if (!sr)
		return;
	if (sr->sigchld)
		event_free(sr->sigchld);
	cmpi_strv_free(sr->program);
	free(sr->nodelist);
	free(sr);
}

static const struct runtime_ops slurm_ops = {
    .start_agents = slurm_start_agents,
    .finish = slurm_finish,
    .destroy = slurm_destroy,
};

/* The address this host sends from on the way to node's: a connected UDP socket
 * tells it without sending anything. 127.0.0.1 for a node that is this host. */
static int address_towards(const char *node, char *addr, size_t size)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
	struct sockaddr_in me;
	socklen_t len = sizeof me;
	int rc = -1;

	if (getaddrinfo(node, "6818", &hints, &ai) != 0)
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &len) == 0) {
		inet_ntop(AF_INET, &me.sin_addr, addr, (socklen_t)size);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

struct runtime *runtime_slurm_create(struct event_base *base, char *const *program,
				     const char *jobid, const char *nodelist, long nagents,
				     const char *launcher_addr, bool on_this_host,
				     runtime_agent_exited_f exited, void *ctx)
{
	struct slurm_runtime *sr = calloc(1, sizeof *sr);
	if (!sr)
		return NULL;
	sr->rt.ops = &slurm_ops;
	sr->rt.sees_our_files = true; /* a cluster's shared file system, as mpirun assumes */
	sr->rt.one_host = on_this_host;
	sr->nagents = nagents;
	snprintf(sr->jobid, sizeof sr->jobid, "%s", jobid);
	sr->exited = exited;
	sr->ctx = ctx;
	if (launcher_addr) {
		snprintf(sr->rt.control_addr, sizeof sr->rt.control_addr, "%s", launcher_addr);
	} else if (on_this_host) {
		snprintf(sr->rt.control_addr, sizeof sr->rt.control_addr, "127.0.0.1");
	} else {
		char first[256];
		snprintf(first, sizeof first, "%.*s", (int)strcspn(nodelist, ","), nodelist);
		if (address_towards(first, sr->rt.control_addr, sizeof sr->rt.control_addr) < 0) {
			cmpi_error("cannot tell which address of this host the allocation's nodes "
				   "reach (node '%s' has no IPv4 address here): give "
				   "--launcher-addr",
				   first);
			slurm_destroy(&sr->rt);
			return NULL;
		}
	}
	size_t nprogram = cmpi_strv_len(program);
	sr->program = calloc(nprogram + 1, sizeof *sr->program);
	bool copied = sr->program != NULL;
	for (size_t i = 0; copied && i < nprogram; i++)
		copied = (sr->program[i] = strdup(program[i])) != NULL;
	sr->nodelist = strdup(nodelist);
	sr->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, sr);
	if (!copied || !sr->nodelist || !sr->sigchld || evsignal_add(sr->sigchld, NULL) < 0) {
		cmpi_error("cannot set up the job: %s", strerror(errno ? errno : ENOMEM));
		slurm_destroy(&sr->rt);
		return NULL;
	}
	return &sr->rt;
}
