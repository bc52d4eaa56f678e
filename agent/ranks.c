/* ranks.c - start one rank: environment, stdio pipes, own process group, exec errors reported back. */
#define _GNU_SOURCE
#include "ranks.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpi/pack.h"
#include "cmpi/util.h"

static bool same_key(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");
	return strncmp(a, b, n) == 0 && b[n] == '=';
}

static bool overridden(const char *entry, char *const *over)
{
	for (; *over; over++)
		if (same_key(entry, *over))
			return true;
	return false;
}

char **rank_environment(char *const *base, const struct cmpi_msg_job *job, long rank,
			char *const *wireup)
{
	const struct cmpi_msg_app *app = cmpi_msg_job_app(job, (uint32_t)rank);
	size_t napp = cmpi_strv_len(app->env), njob = cmpi_strv_len(job->env);
	size_t nwire = wireup ? cmpi_strv_len(wireup) : 0;
	size_t nextra = napp + njob + nwire, nbase = cmpi_strv_len(base), n = 0;
	char **over = calloc(nextra + 7, sizeof *over);
	char **env = calloc(nbase + nextra + 7, sizeof *env);
	bool ok = env && over;

	/* The first of a name wins in getenv: the program's own -env, then the
	 * job's (-x, -genv, --mca), then the servers' defaults. */
	for (size_t i = 0; ok && i < napp; i++)
		over[i] = app->env[i];
	for (size_t i = 0; ok && i < njob; i++)
		over[napp + i] = job->env[i];
	for (size_t i = 0; ok && i < nwire; i++)
		over[napp + njob + i] = wireup[i];
	ok = ok && asprintf(&over[nextra + 0], "CMPI_RANK=%ld", rank) >= 0;
	ok = ok && asprintf(&over[nextra + 1], "CMPI_SIZE=%u", job->size) >= 0;
	ok = ok && asprintf(&over[nextra + 2], "CMPI_LOCAL_RANK=%ld",
			    cmpi_msg_job_local_index(job, (uint32_t)rank)) >= 0;
	ok = ok && asprintf(&over[nextra + 3], "CMPI_LOCAL_SIZE=%u", job->nranks) >= 0;
	ok = ok && asprintf(&over[nextra + 4], "CMPI_NODE=%u", job->node) >= 0;
	ok = ok && asprintf(&over[nextra + 5], "CMPI_JOBID=%s", job->jobid) >= 0;
	for (size_t i = 0; ok && i < nbase; i++)
		if (!overridden(base[i], over) && !(env[n++] = strdup(base[i])))
			ok = false;
	for (size_t i = 0; ok && i < nextra; i++)
		if (!(env[n++] = strdup(over[i])))
			ok = false;
	for (size_t i = nextra; over && i < nextra + 6; i++) {
		if (ok)
			env[n++] = over[i];
		else
			free(over[i]);
	}
	free(over);
	if (!ok) {
		cmpi_strv_free(env);
		return NULL;
	}
	return env;
}

/* What a child that could not start writes to its parent before _exit. */
struct spawn_failure {
	int how;
	int err;
};

static void child_fail(int fd, int how)
{
	struct spawn_failure f = {how, errno};
	(void)!write(fd, &f, sizeof f);
	_exit(127);
}

int rank_gate_open(struct rank_gate *g)
{
	int fds[2];
	g->rd = g->wr = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	g->rd = fds[0];
	g->wr = fds[1];
	return 0;
}

void rank_gate_release(struct rank_gate *g)
{
	if (g->wr >= 0)
		close(g->wr); /* the children read EOF: go */
	if (g->rd >= 0)
		close(g->rd);
	g->rd = g->wr = -1;
}

/* In the child between fork and exec. */
static void child_exec(const struct cmpi_msg_app *app, char **envp, pid_t agent, int stdin_fd,
		       int keep_fd, int out_fd, int err_fd, int report_fd,
		       const cpu_set_t *affinity, const struct rank_gate *gate)
{
	extern char **environ;
	char c;

	if (gate->wr >= 0)
		close(gate->wr); /* or no child would ever see the gate open */
	setpgid(0, 0);
	/* If the agent dies, even by SIGKILL, the rank goes with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != agent)
		_exit(127);
	if (stdin_fd < 0)
		stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (stdin_fd < 0 || dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		child_fail(report_fd, CMPI_EXIT_SPAWN_FAILED);
	if (keep_fd >= 0 && fcntl(keep_fd, F_SETFD, 0) < 0)
		child_fail(report_fd, CMPI_EXIT_SPAWN_FAILED);
	if (app->cwd[0] && chdir(app->cwd) < 0) /* "": where the agent was started */
		child_fail(report_fd, CMPI_EXIT_CHDIR_FAILED);
	if (affinity && sched_setaffinity(0, sizeof *affinity, affinity) < 0)
		child_fail(report_fd, CMPI_EXIT_BIND_FAILED);
	/* At the gate until EOF: every rank is forked. */
	while (gate->rd >= 0 && read(gate->rd, &c, 1) < 0 && errno == EINTR)
		continue;
	environ = envp; /* execvp searches the rank's PATH, not the agent's */
	execvp(app->argv[0], app->argv);
	child_fail(report_fd, CMPI_EXIT_EXEC_FAILED);
}

int rank_fork(struct rank_proc *r, const struct cmpi_msg_job *job, char **envp, int stdin_fd,
	      int keep_fd, hwloc_const_bitmap_t cpuset, const struct rank_gate *gate, int *how,
	      int *err)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, report[2] = {-1, -1};
	pid_t agent = getpid();
	cpu_set_t affinity;

	*how = CMPI_EXIT_SPAWN_FAILED;
	/* hwloc's bitmap becomes glibc's set here, so the child only makes a
	 * system call between fork and exec. */
	if (cpuset) {
		CPU_ZERO(&affinity);
		for (int cpu = hwloc_bitmap_first(cpuset); cpu >= 0 && cpu < CPU_SETSIZE;
		     cpu = hwloc_bitmap_next(cpuset, cpu))
			CPU_SET(cpu, &affinity);
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(report, O_CLOEXEC) < 0) {
		*err = errno;
		goto fail;
	}
	pid_t pid = cmpi_fork();
	if (pid < 0) {
		*err = errno;
		goto fail;
	}
	if (pid == 0)
		child_exec(cmpi_msg_job_app(job, (uint32_t)r->rank), envp, agent, stdin_fd,
			   keep_fd, out[1], errp[1], report[1], cpuset ? &affinity : NULL, gate);
	setpgid(pid, pid); /* also here, so a kill right after fork finds the group */
	close(out[1]);
	close(errp[1]);
	close(report[1]);
	r->pid = pid;
	r->out_fd = out[0];
	r->err_fd = errp[0];
	r->report_fd = report[0];
	cmpi_set_nonblocking(r->out_fd);
	cmpi_set_nonblocking(r->err_fd);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	return -1;
}

int rank_exec_result(struct rank_proc *r, int *how, int *err)
{
	struct spawn_failure f;
	ssize_t n;
	/* EOF means exec succeeded (the pipe is close-on-exec). */
	do
		n = read(r->report_fd, &f, sizeof f);
	while (n < 0 && errno == EINTR);
	close(r->report_fd);
	r->report_fd = -1;
	if (n != (ssize_t)sizeof f)
		return 0;
	*how = f.how;
	*err = f.err;
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
	close(r->out_fd);
	close(r->err_fd);
	r->out_fd = r->err_fd = -1;
	return -1;
}
