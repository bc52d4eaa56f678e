/* runtime.h - how agents get started: one interface, one file per backend (local now; docker, slurm later). */
#ifndef CMPI_RUNTIME_H
#define CMPI_RUNTIME_H

#include <stdbool.h>

struct event_base;
struct runtime;

/* Told when an agent's process (or container) ended; status is a wait(2) status. */
typedef void (*runtime_agent_exited_f)(void *ctx, long node, int status);

struct runtime_ops {
	/* Starts every agent, each to connect to addr:port with the token, and
	 * sets started[node] for those that did; the others' reasons are said. */
	void (*start_agents)(struct runtime *rt, const char *addr, int port,
			     const char *token_hex, bool *started);
	/* Waits up to grace_ms for every agent to end, then kills what is left. */
	void (*finish)(struct runtime *rt, int grace_ms);
	void (*destroy)(struct runtime *rt);
};

struct runtime {
	const struct runtime_ops *ops;
	/* Where the agents reach cmpirun's control server: 127.0.0.1 when they
	 * run on this host, else this host's address on the way to theirs. */
	char control_addr[16];
	/* False when the agents run where our files are not (an engine on
	 * another host): ranks then start in the image's working directory. */
	bool sees_our_files;
};

/* Agents as child processes of cmpirun on this host, for job `jobid`. */
struct runtime *runtime_local_create(struct event_base *base, const char *agent_path,
				     const char *jobid, long nagents, runtime_agent_exited_f exited,
				     void *ctx);

/* The cmpi-agent binary: $CMPI_AGENT, else beside cmpirun's own executable
 * (the build tree), else in ../lib/cmpirun/ from it (an installed tree).
 * Returns a malloc'd path or NULL. */
char *runtime_find_agent(void);

struct docker;
/* Agents in containers of `image` on the engine (which it takes over), the
 * agent bundle (scripts/bundle-agent.sh) mounted from `bundle`. */
struct runtime *runtime_docker_create(struct event_base *base, struct docker *engine,
				      const char *image, const char *bundle, const char *cwd,
				      const char *jobid, long nagents,
				      runtime_agent_exited_f exited, void *ctx);
/* The agent bundle: $CMPI_AGENT_BUNDLE, else cmpi-agent-bundle beside cmpirun,
 * else in ../lib/cmpirun/ from it.
 * Returns a malloc'd path or NULL. */
char *runtime_find_bundle(void);

#endif
