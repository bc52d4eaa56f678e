/* dryrun.c - --dry-run: what cmpirun would start, where, bound how, with which programs and
 * environment; nothing is started. Bindings come from this machine's topology (agents here,
 * or containers sharing its cores). */
#define _GNU_SOURCE
#include "dryrun.h"

#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/placement.h"
#include "options.h"
#include "plan.h"

static void print_ranks(FILE *out, const uint32_t *ranks, long n)
{
	char *text = plan_ranks_text(ranks, n);
	fprintf(out, "%s", text ? text : "?");
	free(text);
}

/* One line a rank of the node, as --report-bindings would say it. */
static int print_bindings(const struct cmpi_options *opt, const struct plan_node *node,
			  long job_size, hwloc_topology_t topo, FILE *out)
{
	struct cmpi_placement_request req = {
	    .map_by = opt->map_by,
	    .pe = opt->pe,
	    .bind_to = opt->bind_to,
	    .overload = opt->bind_overload,
	    .first_slot = node->first_slot,
	    .nranks = node->nranks,
	    .job_size = job_size,
	};
	hwloc_bitmap_t *sets = NULL;
	char err[256];
	if (cmpi_placement_compute(topo, &req, &sets, err, sizeof err) < 0) {
		fprintf(out, "    cannot bind: %s\n", err);
		return 1;
	}
	for (long i = 0; i < node->nranks; i++) {
		char *what = cmpi_placement_describe(topo, node->ranks[i], sets[i]);
		fprintf(out, "    %s\n", what ? what : "?");
		free(what);
	}
	cmpi_placement_free(sets, node->nranks);
	return 0;
}

/* Some node's engine is a tcp:// one: that host sees none of our directories.
 * (A Slurm allocation's nodes see them: srun's tasks start in this one.) */
static bool on_another_host(const struct cmpi_options *opt, const struct plan *plan)
{
	if (opt->slurm)
		return false;
	bool remote = opt->engine && !strncmp(opt->engine, "tcp://", 6);
	for (long i = 0; opt->image && i < plan->nnodes; i++) {
		const char *e = plan->nodes[i].engine ? plan->nodes[i].engine : opt->engine;
		remote |= e && !strncmp(e, "tcp://", 6);
	}
	return opt->image && remote;
}

static void print_programs(const struct cmpi_options *opt, const struct plan *plan, FILE *out)
{
	long first = 0;
	for (size_t i = 0; i < opt->napps; i++) {
		const struct cmpi_app *app = &opt->apps[i];
		long n = opt->napps == 1 ? plan->nranks : app->nranks;
		if (n == 1)
			fprintf(out, "program %zu, rank %ld:", i, first);
		else
			fprintf(out, "program %zu, ranks %ld-%ld:", i, first, first + n - 1);
		for (char **a = app->argv; *a; a++)
			fprintf(out, " %s", *a);
		fprintf(out, "\n  directory: %s\n",
			app->wdir ? app->wdir
			: on_another_host(opt, plan) ? "the image's"
						      : "this one");
		for (char **e = app->env; e && *e; e++)
			fprintf(out, "  env: %s\n", *e);
		first += n;
	}
}

int dryrun_print(const struct cmpi_options *opt, const struct plan *plan, const char *hostname,
		 FILE *out)
{
	bool binds = opt->bind_to != CMPI_BIND_NONE;
	hwloc_topology_t topo = NULL;
	int rc = 0;

	fprintf(out, "cmpirun --dry-run: nothing is started\n");
	fprintf(out, "job: %ld rank%s, %zu program%s, %ld node%s, ", plan->nranks,
		plan->nranks == 1 ? "" : "s", opt->napps, opt->napps == 1 ? "" : "s",
		plan->nnodes, plan->nnodes == 1 ? "" : "s");
	if (opt->image)
		fprintf(out, "one container of %s a node through %s\n", opt->image,
			opt->engine ? opt->engine : "the default engine");
	else
		fprintf(out, "one agent a node on this host\n");
	fprintf(out, "placement: --map-by %s", cmpi_map_by_name(opt->map_by ? opt->map_by : CMPI_MAP_SLOT));
	if (opt->pe > 1)
		fprintf(out, ":PE=%ld", opt->pe);
	if (opt->npernode)
		fprintf(out, ", -N %ld", opt->npernode);
	fprintf(out, ", --bind-to %s%s\n",
		opt->bind_to ? cmpi_bind_to_name(opt->bind_to)
			     : "default (core up to 2 ranks, else socket; none when oversubscribed)",
		binds ? " (bindings from this machine's topology)" : "");
	if (binds && (hwloc_topology_init(&topo) < 0 || hwloc_topology_load(topo) < 0)) {
		fprintf(out, "cannot read this machine's topology with hwloc\n");
		rc = 1;
	}
	for (long i = 0; i < plan->nnodes; i++) {
		const struct plan_node *n = &plan->nodes[i];
		fprintf(out, "node %ld %s", i, n->name);
		if (n->slots)
			fprintf(out, " (%ld slot%s)", n->slots, n->slots == 1 ? "" : "s");
		if (opt->slurm)
			fprintf(out, " (Slurm allocation: srun starts its agent%s)",
				opt->image ? " in a container on the node's engine" : "");
		else if (n->engine)
			fprintf(out, " through %s", n->engine);
		else if (plan->hosts_given && !plan_is_this_machine(n->name, hostname))
			fprintf(out, " [not this machine, and no engine: cmpirun cannot start "
				     "ranks there]");
		fprintf(out, ": %ld rank%s ", n->nranks, n->nranks == 1 ? "" : "s");
		print_ranks(out, n->ranks, n->nranks);
		fprintf(out, "\n");
		if (binds && rc == 0)
			rc = print_bindings(opt, n, plan->nranks, topo, out);
	}
	print_programs(opt, plan, out);
	for (char **e = opt->env; e && *e; e++)
		fprintf(out, "env for every rank: %s\n", *e);
	if (opt->output_dir)
		fprintf(out, "output: %s/1/rank.N/stdout and stderr\n", opt->output_dir);
	if (topo)
		hwloc_topology_destroy(topo);
	return rc;
}
