/* slurm.c - read the allocation cmpirun runs in: node names from `scontrol show hostnames`
 * (Slurm's own hostlist expansion), slots from SLURM_TASKS_PER_NODE. */
#define _GNU_SOURCE
#include "slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpi/util.h"
#include "hostfile.h"

int slurm_in_allocation(void)
{
	const char *id = getenv("SLURM_JOB_ID"), *list = getenv("SLURM_JOB_NODELIST");
	return id && *id && list && *list;
}

int slurm_parse_tasks_per_node(const char *text, long *slots, size_t nnodes)
{
	size_t node = 0;
	const char *p = text;
	for (;;) {
		char *end;
		errno = 0;
		long n = strtol(p, &end, 10), times = 1;
		if (end == p || errno || n < 1 || n > CMPI_MAX_RANKS)
			return -1;
		p = end;
		if (*p == '(') {
			if (strncmp(p, "(x", 2) != 0)
				return -1;
			errno = 0;
			times = strtol(p + 2, &end, 10);
			if (end == p + 2 || errno || times < 1 || *end != ')')
				return -1;
			p = end + 1;
		}
		for (long i = 0; i < times; i++) {
			if (node == nnodes)
				return -1;
			slots[node++] = n;
		}
		if (*p == '\0')
			return node == nnodes ? 0 : -1;
		if (*p++ != ',')
			return -1;
	}
}

/* `scontrol show hostnames LIST`'s output (a name a line), malloc'd, or NULL. */
static char *expand_node_list(const char *list, char *err, size_t errlen)
{
	int pipefd[2], status = -1;
	char *out = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&out, &size);

	if (!mem || pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot run scontrol: %s", strerror(errno));
		if (mem)
			fclose(mem);
		free(out);
		return NULL;
	}
	pid_t pid = cmpi_fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execlp("scontrol", "scontrol", "show", "hostnames", list, (char *)NULL);
		cmpi_error("cannot run scontrol: %s", strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	char buf[4096];
	ssize_t n;
	while (pid > 0 && ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			fwrite(buf, 1, (size_t)n, mem);
	close(pipefd[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	fclose(mem);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !out || !*out) {
		snprintf(err, errlen,
			 "cannot expand SLURM_JOB_NODELIST '%s' with scontrol show hostnames",
			 list);
		free(out);
		return NULL;
	}
	return out;
}

int slurm_hosts(struct cmpi_host **hosts, size_t *nhosts, char *err, size_t errlen)
{
	const char *list = getenv("SLURM_JOB_NODELIST");
	const char *tasks = getenv("SLURM_TASKS_PER_NODE");
	char *names = expand_node_list(list, err, errlen), *save = NULL;
	long *slots = NULL;
	size_t n = 0;
	int rc = -1;

	if (!names)
		return -1;
	for (char *c = names; *c; c++)
		n += *c == '\n';
	if (!(slots = calloc(n + 1, sizeof *slots))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Without tasks (salloc -N2 alone), a slot a node, as mpirun counts it. */
	if (tasks && slurm_parse_tasks_per_node(tasks, slots, n) < 0) {
		snprintf(err, errlen, "SLURM_TASKS_PER_NODE '%s' does not give the %zu nodes of %s",
			 tasks, n, list);
		goto out;
	}
	size_t i = 0;
	for (char *name = strtok_r(names, "\n", &save); name; name = strtok_r(NULL, "\n", &save))
		if (cmpi_hosts_add(hosts, nhosts, name, strlen(name), slots[i++], err, errlen) < 0)
			goto out;
	rc = 0;
out:
	free(slots);
	free(names);
	return rc;
}
