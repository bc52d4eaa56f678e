/* plan.c - where the ranks go, decided as mpirun decides it: nodes from the host list (or
 * --agents), -n from -n, -N, the slots or the CPUs, and ranks onto nodes by --map-by. */
#define _GNU_SOURCE
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

void plan_block(long nranks, long nagents, long agent, long *first, long *count)
{
	long base = nranks / nagents, extra = nranks % nagents;
	*count = base + (agent < extra);
	*first = agent * base + (agent < extra ? agent : extra);
}

bool plan_is_this_machine(const char *name, const char *hostname)
{
	size_t short_len = strcspn(hostname, ".");
	return !strcmp(name, "localhost") || !strncmp(name, "127.", 4) || !strcmp(name, "::1") ||
	       !strcmp(name, hostname) ||
	       (strlen(name) == short_len && !strncmp(name, hostname, short_len));
}

static long total_slots(const struct plan_node *nodes, long nnodes)
{
	long total = 0;
	for (long i = 0; i < nnodes; i++)
		total += nodes[i].slots;
	return total;
}

static int node_names(const struct cmpi_options *opt, const char *hostname, struct plan *p)
{
	for (long i = 0; i < p->nnodes; i++) {
		struct plan_node *n = &p->nodes[i];
		if (p->hosts_given) {
			n->name = strdup(opt->hosts[i].name);
			n->slots = opt->hosts[i].slots > 0 ? opt->hosts[i].slots : 1;
			n->engine = opt->hosts[i].engine;
			n->certs = opt->hosts[i].certs;
		} else if (p->nnodes == 1) {
			n->name = strdup(hostname);
		} else if (asprintf(&n->name, "%s-%ld", hostname, i) < 0) {
			/* Several agents on this host are several nodes to MPI: each
			 * needs a name of its own (its shared-memory names too). */
			n->name = NULL;
		}
		if (!n->name)
			return -1;
	}
	return 0;
}

/* -n's default is mpirun's: -N per node, else the slots, else the CPUs. */
static long default_nranks(const struct cmpi_options *opt, const struct plan *p, long ncpus)
{
	if (opt->npernode)
		return opt->npernode * p->nnodes;
	if (p->hosts_given)
		return total_slots(p->nodes, p->nnodes);
	return ncpus > 0 ? ncpus : 1;
}

static int check_counts(const struct cmpi_options *opt, const struct plan *p, char *err,
			size_t errlen)
{
	long slots = total_slots(p->nodes, p->nnodes);

	if (p->nranks > CMPI_MAX_RANKS) {
		snprintf(err, errlen, "%ld ranks are more than cmpirun starts (%d)", p->nranks,
			 CMPI_MAX_RANKS);
		return -1;
	}
	if (opt->nagents > p->nranks) {
		snprintf(err, errlen, "--agents %ld is more than the %ld ranks%s", opt->nagents,
			 p->nranks, opt->nranks ? "" : " (one per CPU); give -n");
		return -1;
	}
	if (opt->npernode && p->nranks > opt->npernode * p->nnodes) {
		snprintf(err, errlen, "-N %ld on %ld node%s runs at most %ld ranks, not %ld",
			 opt->npernode, p->nnodes, p->nnodes == 1 ? "" : "s",
			 opt->npernode * p->nnodes, p->nranks);
		return -1;
	}
	if (!p->hosts_given || opt->oversubscribe)
		return 0;
	for (long i = 0; opt->npernode && i < p->nnodes; i++) {
		if (opt->npernode > p->nodes[i].slots) {
			snprintf(err, errlen,
				 "-N %ld is more than the %ld slots of host '%s' (--oversubscribe allows it)",
				 opt->npernode, p->nodes[i].slots, p->nodes[i].name);
			return -1;
		}
	}
	if (p->nranks > slots) {
		snprintf(err, errlen,
			 "%ld ranks need more than the %ld slots the hosts give (--oversubscribe allows it)",
			 p->nranks, slots);
		return -1;
	}
	return 0;
}

/* Round robin over the nodes, skipping those at their limit while any has room. */
static void map_round_robin(struct plan *p, long limit_per_node)
{
	long *count = calloc((size_t)p->nnodes, sizeof *count), next = 0;
	for (long r = 0; count && r < p->nranks; r++) {
		long node = next;
		for (long k = 0; k < p->nnodes; k++) {
			long i = (next + k) % p->nnodes;
			long limit = limit_per_node ? limit_per_node : p->nodes[i].slots;
			if (!limit || count[i] < limit) {
				node = i;
				break;
			}
		}
		p->rank_node[r] = (uint32_t)node;
		count[node]++;
		next = (node + 1) % p->nnodes;
	}
	free(count);
}

/* Each node filled to its slots in turn, and again while ranks are left. */
static void map_by_slot(struct plan *p)
{
	long r = 0;
	while (r < p->nranks)
		for (long i = 0; i < p->nnodes && r < p->nranks; i++)
			for (long k = 0; k < p->nodes[i].slots && r < p->nranks; k++)
				p->rank_node[r++] = (uint32_t)i;
}

static void map_ranks(const struct cmpi_options *opt, struct plan *p)
{
	if (opt->map_by == CMPI_MAP_NODE) {
		map_round_robin(p, opt->npernode);
	} else if (opt->npernode) {
		for (long r = 0; r < p->nranks; r++)
			p->rank_node[r] = (uint32_t)(r / opt->npernode);
	} else if (p->hosts_given) {
		map_by_slot(p);
	} else {
		for (long i = 0; i < p->nnodes; i++) {
			long first, count;
			plan_block(p->nranks, p->nnodes, i, &first, &count);
			for (long r = first; r < first + count; r++)
				p->rank_node[r] = (uint32_t)i;
		}
	}
}

/* Drops nodes without ranks (more slots than ranks) and lists each node's ranks. */
static int index_nodes(struct plan *p)
{
	long *renumber = calloc((size_t)p->nnodes, sizeof *renumber), kept = 0;
	if (!renumber)
		return -1;
	for (long r = 0; r < p->nranks; r++)
		p->nodes[p->rank_node[r]].nranks++;
	for (long i = 0; i < p->nnodes; i++) {
		if (p->nodes[i].nranks == 0) {
			free(p->nodes[i].name);
			continue;
		}
		renumber[i] = kept;
		p->nodes[kept++] = p->nodes[i];
	}
	p->nnodes = kept;
	for (long r = 0; r < p->nranks; r++)
		p->rank_node[r] = (uint32_t)renumber[p->rank_node[r]];
	free(renumber);
	/* Nodes of one engine share its machine's cores; another engine's machine
	 * starts at its first core. */
	for (long i = 0; i < p->nnodes; i++)
		for (long j = 0; j < i; j++)
			if (plan_same_engine(p->nodes[j].engine, p->nodes[i].engine))
				p->nodes[i].first_slot += p->nodes[j].nranks;
	for (long i = 0; i < p->nnodes; i++) {
		struct plan_node *n = &p->nodes[i];
		if (!(n->ranks = calloc((size_t)n->nranks, sizeof *n->ranks)))
			return -1;
		n->nranks = 0;
	}
	for (long r = 0; r < p->nranks; r++) {
		struct plan_node *n = &p->nodes[p->rank_node[r]];
		n->ranks[n->nranks++] = (uint32_t)r;
	}
	return 0;
}

bool plan_same_engine(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int plan_make(const struct cmpi_options *opt, const char *hostname, long ncpus,
	      struct plan *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->hosts_given = opt->nhosts > 0;
	p->nnodes = p->hosts_given ? (long)opt->nhosts : (opt->nagents ? opt->nagents : 1);
	p->nodes = calloc((size_t)p->nnodes, sizeof *p->nodes);
	if (!p->nodes || node_names(opt, hostname, p) < 0)
		goto oom;
	p->nranks = opt->nranks ? opt->nranks : default_nranks(opt, p, ncpus);
	if (check_counts(opt, p, err, errlen) < 0) {
		plan_free(p);
		return -1;
	}
	if (!(p->rank_node = calloc((size_t)p->nranks, sizeof *p->rank_node)))
		goto oom;
	map_ranks(opt, p);
	if (index_nodes(p) < 0)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "cannot plan the job: out of memory");
	plan_free(p);
	return -1;
}

void plan_free(struct plan *p)
{
	for (long i = 0; p->nodes && i < p->nnodes; i++) {
		free(p->nodes[i].name);
		free(p->nodes[i].ranks);
	}
	free(p->nodes);
	free(p->rank_node);
	memset(p, 0, sizeof *p);
}

char *plan_ranks_text(const uint32_t *ranks, long n)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (long i = 0; i < n;) {
		long end = i;
		while (end + 1 < n && ranks[end + 1] == ranks[end] + 1)
			end++;
		fprintf(f, "%s%u", i ? "," : "", ranks[i]);
		if (end > i)
			fprintf(f, "-%u", ranks[end]);
		i = end + 1;
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}
