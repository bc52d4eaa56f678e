/* plan.h - the job's plan: its nodes (the hosts given, or agents on this host), the node of
 * every rank (-n, -N, slots, --map-by) and each node's share of this machine's cores. */
#ifndef CMPI_PLAN_H
#define CMPI_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmpi_options;

struct plan_node {
	char *name;        /* the host name in the MPI maps */
	long slots;        /* from -H or --hostfile; 0 when no host was given: no limit */
	long nranks;
	uint32_t *ranks;   /* [nranks], ascending */
	long first_slot;   /* ranks placed on its machine by the nodes before it */
	const char *engine; /* its container engine (the host's engine=); NULL: the default */
	const char *certs;  /* that engine's TLS files (certs=); NULL: $DOCKER_CERT_PATH */
};

struct plan {
	long nranks;
	long nnodes;
	struct plan_node *nodes; /* only nodes with ranks */
	uint32_t *rank_node;     /* [nranks] */
	bool hosts_given;        /* -H or --hostfile */
};

/* Decides the plan as mpirun would; hostname is this machine's (the nodes'
 * names without a host list), ncpus its online CPUs (-n's default). 0, or -1
 * with one line in err (too few slots without --oversubscribe, say). */
int plan_make(const struct cmpi_options *opt, const char *hostname, long ncpus,
	      struct plan *plan, char *err, size_t errlen);
void plan_free(struct plan *plan);

/* True when two nodes' engines (NULL: the default one) are the same. */
bool plan_same_engine(const char *a, const char *b);

/* True when name is this machine: localhost, a loopback address, or its host name. */
bool plan_is_this_machine(const char *name, const char *hostname);

/* Ranks [*first, *first + *count) of nranks in blocks over nagents belong to agent. */
void plan_block(long nranks, long nagents, long agent, long *first, long *count);

/* "0-3,8,10-11": a rank list, ascending, as ranges; malloc'd. */
char *plan_ranks_text(const uint32_t *ranks, long n);

#endif
