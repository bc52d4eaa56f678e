/* runtime_group.c - agents on several engines: one runtime made of one runtime per engine,
 * each with its own nodes. The members start one after another: their errors go through
 * the job's message hook, which belongs to the event loop's thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/util.h"
#include "runtime.h"

struct group_runtime {
	struct runtime rt;
	struct runtime **members;
	long nmembers;
};

static void group_start_agents(struct runtime *rt, const char *addr, int port,
			       const char *token_hex, bool *started)
{
	struct group_runtime *g = (struct group_runtime *)rt;
	for (long i = 0; i < g->nmembers; i++)
		g->members[i]->ops->start_agents(g->members[i], addr, port, token_hex, started);
}

static void group_finish(struct runtime *rt, int grace_ms)
{
	struct group_runtime *g = (struct group_runtime *)rt;
	for (long i = 0; i < g->nmembers; i++)
		g->members[i]->ops->finish(g->members[i], grace_ms);
}

static void group_destroy(struct runtime *rt)
{
	struct group_runtime *g = (struct group_runtime *)rt;
	for (long i = 0; i < g->nmembers; i++)
		g->members[i]->ops->destroy(g->members[i]);
	free(g->members);
	free(g);
}

static const struct runtime_ops group_ops = {
    .start_agents = group_start_agents,
    .finish = group_finish,
    .destroy = group_destroy,
};

struct runtime *runtime_group_create(struct runtime **members, long nmembers,
				     const char *launcher_addr)
{
	struct group_runtime *g = calloc(1, sizeof *g);
	struct runtime **copy = calloc((size_t)nmembers, sizeof *copy);
	if (!g || !copy) {
		cmpi_error("cannot set up the job: out of memory");
		free(g);
		free(copy);
		for (long i = 0; i < nmembers; i++)
			members[i]->ops->destroy(members[i]);
		return NULL;
	}
	memcpy(copy, members, (size_t)nmembers * sizeof *copy);
	*g = (struct group_runtime){
	    .rt = {.ops = &group_ops, .sees_our_files = true, .one_host = nmembers == 1},
	    .members = copy,
	    .nmembers = nmembers};
	snprintf(g->rt.control_addr, sizeof g->rt.control_addr, "%s",
		 launcher_addr ? launcher_addr : "127.0.0.1");
	for (long i = 0; i < nmembers; i++) {
		const char *addr = members[i]->control_addr;
		g->rt.sees_our_files &= members[i]->sees_our_files;
		if (launcher_addr || !strcmp(addr, "127.0.0.1") ||
		    !strcmp(addr, g->rt.control_addr))
			continue;
		if (strcmp(g->rt.control_addr, "127.0.0.1") != 0) {
			cmpi_error(
			    "this host reaches the engines' hosts from two addresses, %s and "
			    "%s: give the one every host can reach with --launcher-addr",
			    g->rt.control_addr, addr);
			group_destroy(&g->rt);
			return NULL;
		}
		strcpy(g->rt.control_addr, addr);
	}
	return &g->rt;
}
