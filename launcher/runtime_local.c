/* runtime_local.c - the local backend: agents are child processes of cmpirun on this host. */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmpi/jobdir.h"
#include "cmpi/util.h"
#include "runtime.h"

struct local_runtime {
	struct runtime rt;
	char *agent_path;
	char jobid[17];
	long nagents;
	pid_t *pids; /* 0 when not started or already reaped */
	struct event *sigchld;
	runtime_agent_exited_f exited;
	void *ctx;
};

/* name beside cmpirun's own executable, unless $var names it. The build tree
 * has both programs in bin/; an installed tree has PREFIX/bin/cmpirun and
 * PREFIX/lib/cmpirun/NAME. The first that exists wins; when neither does, the
 * path beside us, for the error message. */
static char *find_beside_us(const char *var, const char *name)
{
	const char *env = getenv(var);
	char self[PATH_MAX], *path;

	if (env && *env)
		return strdup(env);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if (asprintf(&path, "%s/%s", self, name) < 0)
		return NULL;
	if (access(path, F_OK) == 0)
		return path;
	/* Resolved, without "..": the bundle's path goes to the engine as a bind source. */
	char *installed, *real = NULL;
	if (asprintf(&installed, "%s/../lib/cmpirun/%s", self, name) >= 0) {
		real = realpath(installed, NULL);
		free(installed);
	}
	if (!real)
		return path;
	free(path);
	return real;
}

char *runtime_find_agent(void)
{
	return find_beside_us("CMPI_AGENT", "cmpi-agent");
}

char *runtime_find_bundle(void)
{
	return find_beside_us("CMPI_AGENT_BUNDLE", "cmpi-agent-bundle");
}

char *runtime_find_container(void)
{
	return find_beside_us("CMPI_CONTAINER", "cmpi-container");
}

/* Reaps only our own agents, by PID. */
static void reap(struct local_runtime *lr, bool report)
{
	for (long i = 0; i < lr->nagents; i++) {
		int status;
		if (lr->pids[i] <= 0 || waitpid(lr->pids[i], &status, WNOHANG) != lr->pids[i])
			continue;
		lr->pids[i] = 0;
		if (report)
			lr->exited(lr->ctx, i, status);
	}
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	reap(arg, true);
}

static int local_start_agent(struct runtime *rt, long node, const char *addr, int port,
			     const char *token_hex)
{
	struct local_runtime *lr = (struct local_runtime *)rt;
	char connect[128], node_s[32];

	snprintf(connect, sizeof connect, "%s:%d", addr, port);
	snprintf(node_s, sizeof node_s, "%ld", node);
	char *argv[] = {"cmpi-agent", "--connect", connect, "--node", node_s,
			cmpi_verbose() ? "--verbose" : NULL, NULL};

	pid_t pid = cmpi_fork();
	if (pid < 0) {
		cmpi_error("cannot start agent %ld: %s", node, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Its own process group: Ctrl-C on the terminal reaches cmpirun only,
		 * which forwards it to the ranks as the user asked. */
		setpgid(0, 0);
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		/* The token goes by environment, not argv, so ps does not show it. */
		setenv("CMPI_AGENT_TOKEN", token_hex, 1);
		execv(lr->agent_path, argv);
		cmpi_error("cannot execute the agent '%s': %s", lr->agent_path, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	lr->pids[node] = pid;
	cmpi_debug("started agent %ld (pid %d)", node, (int)pid);
	return 0;
}

static void local_start_agents(struct runtime *rt, const char *addr, int port,
			       const char *token_hex, bool *started)
{
	struct local_runtime *lr = (struct local_runtime *)rt;
	for (long node = 0; node < lr->nagents; node++)
		started[node] = local_start_agent(rt, node, addr, port, token_hex) == 0;
}

static long live_agents(const struct local_runtime *lr)
{
	long n = 0;
	for (long i = 0; i < lr->nagents; i++)
		n += lr->pids[i] > 0;
	return n;
}

static void local_finish(struct runtime *rt, int grace_ms)
{
	struct local_runtime *lr = (struct local_runtime *)rt;
	struct timespec tick = {0, 1000000};

	for (int waited = 0; live_agents(lr) > 0 && waited < grace_ms; waited++) {
		reap(lr, false);
		if (live_agents(lr) > 0)
			nanosleep(&tick, NULL);
	}
	for (long i = 0; i < lr->nagents; i++) {
		if (lr->pids[i] <= 0)
			continue;
		cmpi_debug("agent %ld (pid %d) did not exit; killing it", i, (int)lr->pids[i]);
		kill(lr->pids[i], SIGKILL);
		waitpid(lr->pids[i], NULL, 0);
		lr->pids[i] = 0;
	}
	/* An agent killed before its own cleanup leaves its private directories
	 * behind; the agents ran on this host, so they are ours to sweep. */
	cmpi_jobdirs_remove_all("/tmp", lr->jobid);
	cmpi_jobdirs_remove_all("/dev/shm", lr->jobid);
}

static void local_destroy(struct runtime *rt)
{
	struct local_runtime *lr = (struct local_runtime *)rt;
	if (!lr)
		return;
	if (lr->sigchld)
		event_free(lr->sigchld);
	free(lr->pids);
	free(lr->agent_path);
	free(lr);
}

static const struct runtime_ops local_ops = {
	.start_agents = local_start_agents,
	.finish = local_finish,
	.destroy = local_destroy,
};

struct runtime *runtime_local_create(struct event_base *base, const char *agent_path,
				     const char *jobid, long nagents, runtime_agent_exited_f exited,
				     void *ctx)
{
	struct local_runtime *lr = calloc(1, sizeof *lr);
	if (!lr)
		return NULL;
	lr->rt.ops = &local_ops;
	snprintf(lr->rt.control_addr, sizeof lr->rt.control_addr, "127.0.0.1");
	lr->rt.sees_our_files = true;
	lr->rt.one_host = true;
	lr->nagents = nagents;
	lr->exited = exited;
	lr->ctx = ctx;
	lr->agent_path = strdup(agent_path);
	snprintf(lr->jobid, sizeof lr->jobid, "%s", jobid);
	lr->pids = calloc((size_t)nagents, sizeof *lr->pids);
	lr->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, lr);
	if (!lr->agent_path || !lr->pids || !lr->sigchld || event_add(lr->sigchld, NULL) < 0) {
		local_destroy(&lr->rt);
		return NULL;
	}
	return &lr->rt;
}
