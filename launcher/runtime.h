/* runtime.h - how agents get started: one interface, one file per backend (local, docker, slurm). */
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
	/* True when every agent shares one network namespace (one host): then
	 * the ranks' traffic between agents belongs on loopback. */
	bool one_host;
};

/* Agents as child processes of cmpirun on this host, for job `jobid`. */
struct runtime *runtime_local_create(struct event_base *base, const char *agent_path,
				     const char *jobid, long nagents, runtime_agent_exited_f exited,
				     void *ctx);

/* The cmpi-agent binary: $CMPI_AGENT, else beside cmpirun's own executable
 * (the build tree), else in ../lib/cmpirun/ from it (an installed tree).
 * Returns a malloc'd path or NULL. */
char *runtime_find_agent(void);

/* Agents of job jobid on the nagents nodes of nodelist ("h1,h3", in the allocation's
 * order), nodes of the Slurm allocation cmpirun runs in, started by one srun that runs
 * program (a path and its first arguments: cmpi-agent, or cmpi-container --image ...) on
 * each. They connect to launcher_addr, else 127.0.0.1 when every node is this host, else
 * this host's address towards the first node; NULL after saying why there is none. */
struct runtime *runtime_slurm_create(struct event_base *base, char *const *program,
				     const char *jobid, const char *nodelist, long nagents,
				     const char *launcher_addr, bool on_this_host,
				     runtime_agent_exited_f exited, void *ctx);

struct docker;
/* What every container of the job gets, whatever its engine. */
struct docker_job {
	const char *image;
	const char *bundle;    /* the agent bundle (scripts/bundle-agent.sh), mounted from here
				* on a local engine, uploaded from BUNDLE.tar to another host's */
	const char *cwd;       /* ours, mounted at the same path on a local engine */
	const char *jobid;
	const char *stage_tar; /* --stage's archive, unpacked in every container; NULL: none */
};
/* Agents of the job's nodes[0..nagents) in containers on the engine (which it
 * takes over). */
struct runtime *runtime_docker_create(struct event_base *base, struct docker *engine,
				      const struct docker_job *job, const long *nodes,
				      long nagents, runtime_agent_exited_f exited, void *ctx);
/* The agent bundle: $CMPI_AGENT_BUNDLE, else cmpi-agent-bundle beside cmpirun,
 * else in ../lib/cmpirun/ from it.
 * Returns a malloc'd path or NULL. */
char *runtime_find_bundle(void);
/* cmpi-container, found alike ($CMPI_CONTAINER). */
char *runtime_find_container(void);

/* One runtime of several (each with nodes of its own, which it takes over, even
 * when it fails): agents on several engines. Agents reach cmpirun at one address:
 * launcher_addr when given, else the only one other than 127.0.0.1 the members
 * chose (a local engine's containers share this host's network and reach it
 * too). NULL after saying why there is none. */
struct runtime *runtime_group_create(struct runtime **members, long nmembers,
				     const char *launcher_addr);
#endif
