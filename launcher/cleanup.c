/* cleanup.c - cmpirun --cleanup: remove the containers of jobs whose cmpirun is gone (killed
 * before it could remove them, or on a machine that rebooted). */
#define _GNU_SOURCE
#include "cleanup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmpi/jobdir.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "docker.h"
#include "job.h"
#include "plan.h"

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks since
 * boot. With the pid it names one process: a reused pid has another. */
static int process_start_time(long pid, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p, " %llu", start) == 1 ? 0 : -1;
}

int cleanup_launcher_label(char *buf, size_t len)
{
	char host[256];
	unsigned long long start;
	if (gethostname(host, sizeof host) < 0 || process_start_time(getpid(), &start) < 0)
		return -1;
	host[sizeof host - 1] = '\0';
	int n = snprintf(buf, len, "%s/%ld/%llu", host, (long)getpid(), start);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* True when the launcher that label names surely is gone: it ran on this
 * host, and its pid is free or belongs to a later process. */
static bool launcher_gone(const char *label, const char *host)
{
	char h[256];
	long pid;
	unsigned long long start, now;
	if (sscanf(label, "%255[^/]/%ld/%llu", h, &pid, &start) != 3 || strcmp(h, host) != 0)
		return false;
	if (process_start_time(pid, &now) < 0)
		return true;
	return now != start;
}

int cleanup_run(const char *engine_url, const char *certs, bool name_engine)
{
	struct docker_error err;
	char host[256], **ids = NULL, **launchers = NULL, **job_ids = NULL, **jobs = NULL;
	long removed = 0, kept = 0;

	if (gethostname(host, sizeof host) < 0)
		return JOB_EXIT_ERROR;
	host[sizeof host - 1] = '\0';
	struct docker *d = docker_connect_certs(engine_url, certs, &err);
	if (!d) {
		cmpi_error("%s", err.message);
		return JOB_EXIT_ERROR;
	}
	long n =
	    docker_containers_with_label(d, "cmpi.job", &ids, "cmpi.launcher", &launchers, &err);
	/* The job of each container too, for the agents' /dev/shm directories. */
	long njobs =
	    n < 0 ? -1
		  : docker_containers_with_label(d, "cmpi.job", &job_ids, "cmpi.job", &jobs, &err);
	int rc = 0;
	if (n < 0 || njobs < 0) {
		cmpi_error("%s", err.message);
		rc = JOB_EXIT_ERROR;
		goto out;
	}
	for (long i = 0; i < n; i++) {
		if (!launcher_gone(launchers[i], host)) {
			kept++;
			continue;
		}
		if (docker_container_remove(d, ids[i], &err) < 0) {
			cmpi_error("%s", err.message);
			rc = JOB_EXIT_ERROR;
			continue;
		}
		removed++;
		/* Host IPC: with a local engine, a killed agent's directory is ours. */
		for (long k = 0; k < njobs; k++)
			if (!strcmp(job_ids[k], ids[i]) && !strncmp(docker_url(d), "unix://", 7))
				cmpi_jobdirs_remove_all("/dev/shm", jobs[k]);
	}
	printf("cmpirun: removed %ld container%s of finished jobs", removed,
	       removed == 1 ? "" : "s");
	if (name_engine)
		printf(" on %s", docker_url(d));
	if (kept)
		printf("; kept %ld of jobs still running or launched from another host", kept);
	printf("\n");
out:
	cmpi_strv_free(ids);
	cmpi_strv_free(launchers);
	cmpi_strv_free(job_ids);
	cmpi_strv_free(jobs);
	docker_free(d);
	return rc;
}

int cleanup_engines(const struct cmpi_options *opt)
{
	int rc = 0;
	for (size_t i = 0; i < opt->nhosts; i++) {
		const char *url = opt->hosts[i].engine ? opt->hosts[i].engine : opt->engine;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const char *other =
			    opt->hosts[k].engine ? opt->hosts[k].engine : opt->engine;
			seen = plan_same_engine(url, other);
		}
		int one = seen ? 0 : cleanup_run(url, opt->hosts[i].certs, true);
		rc = rc ? rc : one;
	}
	return opt->nhosts ? rc : cleanup_run(opt->engine, NULL, false);
}
