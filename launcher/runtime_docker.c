/* runtime_docker.c - agents in containers through the Docker Engine API: one container per
 * agent, the agent bundle bind-mounted read-only at /.cmpi and started through its own loader,
 * host network and IPC, the working directory at the same path, a cmpi.job label. */
#define _GNU_SOURCE
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include "cmpi/jobdir.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "cleanup.h"
#include "docker.h"
#include "runtime.h"

#define BUNDLE_MOUNT "/.cmpi"

struct docker_runtime {
	struct runtime rt;
	struct docker *engine;
	char *image, *bundle, *cwd;
	char jobid[17];
	long nagents;
	char (*ids)[65]; /* [node]: "" when not created */
	bool rdma;	 /* pass RDMA devices, IPC_LOCK and unlimited memlock */
	char **rdma_devices;
};

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

static int docker_start_agent(struct runtime *rt, long node, const char *addr, int port,
			      const char *token_hex)
{
	struct docker_runtime *dr = (struct docker_runtime *)rt;
	struct docker_error err;
	char connect[128], node_s[32], token[128], label[64], name[64], launcher[320];
	char *bind_bundle = NULL, *bind_cwd = NULL;
	int rc = -1;

	snprintf(connect, sizeof connect, "%s:%d", addr, port);
	snprintf(node_s, sizeof node_s, "%ld", node);
	snprintf(token, sizeof token, "CMPI_AGENT_TOKEN=%s", token_hex);
	snprintf(label, sizeof label, "cmpi.job=%s", dr->jobid);
	snprintf(name, sizeof name, "cmpi-%s-%ld", dr->jobid, node);
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
	char *labels[] = {label, launcher_label, NULL};
	/* Cross-memory attach (process_vm_readv) between ranks: Docker's seccomp
	 * profile refuses it without SYS_PTRACE, and UCX then falls back to TCP
	 * between ranks of one container (which also hung at MPI_Finalize). */
	char *caps[] = {"SYS_PTRACE", dr->rdma ? "IPC_LOCK" : NULL, NULL};
	if (asprintf(&bind_bundle, "%s:" BUNDLE_MOUNT ":ro", dr->bundle) < 0 ||
	    asprintf(&bind_cwd, "%s:%s", dr->cwd, dr->cwd) < 0)
		goto out;
	char *binds[] = {bind_bundle, bind_cwd, NULL};
	struct docker_container_spec spec = {
	    .name = name,
	    .image = dr->image,
	    .cmd = cmd,
	    .env = env,
	    .workdir = dr->cwd,
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
	if (docker_container_create(dr->engine, &spec, dr->ids[node], &err) < 0 ||
	    docker_container_start(dr->engine, dr->ids[node], &err) < 0) {
		/* The engine's words, and what they mean when we asked for RDMA. */
		bool memlock = dr->rdma && strstr(err.message, "rlimit type 8");
		cmpi_error(
		    "%s%s", err.message,
		    memlock ? " (cmpirun asked for unlimited locked memory, which RDMA "
			      "needs: raise this host's memlock hard limit, or set CMPI_RDMA=off)"
			    : "");
		goto out;
	}
	cmpi_debug("started agent %ld in container %.12s", node, dr->ids[node]);
	rc = 0;
out:
	free(bind_bundle);
	free(bind_cwd);
	return rc;
}

/* Waits for the job's containers to go (their agents exit when cmpirun closes
 * the connections, AutoRemove does the rest), then removes what is left. */
static void docker_finish(struct runtime *rt, int grace_ms)
{
	struct docker_runtime *dr = (struct docker_runtime *)rt;
	struct docker_error err;
	char label[64], **ids = NULL;
	long n = 0;

	snprintf(label, sizeof label, "cmpi.job=%s", dr->jobid);
	for (int waited = 0; waited <= grace_ms; waited += 20) {
		cmpi_strv_free(ids);
		n = docker_containers_with_label(dr->engine, label, &ids, NULL, NULL, &err);
		if (n <= 0)
			break;
		struct timespec tick = {0, 20 * 1000 * 1000};
		nanosleep(&tick, NULL);
	}
	for (long i = 0; i < n; i++) {
		cmpi_debug("container %.12s did not exit; removing it", ids[i]);
		if (docker_container_remove(dr->engine, ids[i], &err) < 0)
			cmpi_error("%s", err.message);
	}
	if (n < 0)
		cmpi_error("%s", err.message);
	cmpi_strv_free(ids);
	/* Host IPC: the agents' /dev/shm directories are this host's when the
	 * engine is; a killed container leaves its agent's behind. */
	if (strncmp(docker_url(dr->engine), "unix://", 7) == 0)
		cmpi_jobdirs_remove_all("/dev/shm", dr->jobid);
}

static void docker_destroy(struct runtime *rt)
{
	struct docker_runtime *dr = (struct docker_runtime *)rt;
	if (!dr)
		return;
	docker_free(dr->engine);
	free(dr->image);
	free(dr->bundle);
	free(dr->cwd);
	free(dr->ids);
	cmpi_strv_free(dr->rdma_devices);
	free(dr);
}

static const struct runtime_ops docker_ops = {
    .start_agent = docker_start_agent,
    .finish = docker_finish,
    .destroy = docker_destroy,
};

struct runtime *runtime_docker_create(struct docker *engine, const char *image, const char *bundle,
				      const char *cwd, const char *jobid, long nagents)
{
	struct docker_runtime *dr = calloc(1, sizeof *dr);
	if (!dr)
		return NULL;
	dr->rt.ops = &docker_ops;
	dr->engine = engine;
	dr->nagents = nagents;
	snprintf(dr->jobid, sizeof dr->jobid, "%s", jobid);
	dr->image = strdup(image);
	dr->bundle = strdup(bundle);
	dr->cwd = strdup(cwd);
	dr->ids = calloc((size_t)nagents, sizeof *dr->ids);
	if (!dr->image || !dr->bundle || !dr->cwd || !dr->ids) {
		docker_destroy(&dr->rt);
		return NULL;
	}
	choose_rdma(dr);
	return &dr->rt;
}
