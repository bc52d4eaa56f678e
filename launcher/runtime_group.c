/* runtime_group.c - agents on several engines: one runtime made of one runtime per engine,
 * each with its own nodes. The members start their agents at the same time, a few
 * threads taking the next member in turn: each engine takes some 100 ms a container,
 * mostly waiting. What a member says is held and said afterwards, in member order, by
 * the calling thread, which the job's message hook belongs to. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/util.h"
#include "runtime.h"

#define GROUP_START_THREADS 16

struct group_runtime {
	struct runtime rt;
	struct runtime **members;
	long nmembers;
};

struct held_lines {
	char *text;
	size_t len;
};

struct group_start {
	struct group_runtime *g;
	const char *addr, *token_hex;
	int port;
	bool *started; /* [node]: each member sets its own nodes' */
	atomic_long next;
	struct held_lines *said; /* [member] */
};

static void hold_line(void *ctx, const char *line, size_t len)
{
	struct held_lines *h = ctx;
	char *text = realloc(h->text, h->len + len);
	if (!text)
		return; /* out of memory: the line is lost, not the job */
	memcpy(text + h->len, line, len);
	h->text = text;
	h->len += len;
}

static void *start_members(void *arg)
{
	struct group_start *s = arg;
	long i;
	while ((i = atomic_fetch_add(&s->next, 1)) < s->g->nmembers) {
		struct runtime *m = s->g->members[i];
		cmpi_set_thread_message_hook(hold_line, &s->said[i]);
		m->ops->start_agents(m, s->addr, s->port, s->token_hex, s->started);
		cmpi_set_thread_message_hook(NULL, NULL);
	}
	return NULL;
}

static void group_start_agents(struct runtime *rt, const char *addr, int port,
			       const char *token_hex, bool *started)
{
	struct group_runtime *g = (struct group_runtime *)rt;
	struct group_start s = {.g = g, .addr = addr, .token_hex = token_hex, .port = port,
				.started = started};
	pthread_t threads[GROUP_START_THREADS];
	long nthreads = g->nmembers < GROUP_START_THREADS ? g->nmembers : GROUP_START_THREADS;
	long running = 0;

	atomic_init(&s.next, 0);
	s.said = calloc((size_t)g->nmembers, sizeof *s.said);
	if (!s.said) {
		cmpi_error("cannot start the agents: out of memory");
		return;
	}
	/* One share on this thread, and all of it when no thread could start. */
	for (long t = 1; t < nthreads; t++)
		if (pthread_create(&threads[running], NULL, start_members, &s) == 0)
			running++;
	start_members(&s);
	for (long t = 0; t < running; t++)
		pthread_join(threads[t], NULL);
	for (long i = 0; i < g->nmembers; i++) {
		if (!s.said[i].text)
			continue; /* it said nothing */
		const char *line = s.said[i].text, *end = line + s.said[i].len;
		while (line < end) {
			const char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t len = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
			cmpi_message_line(line, len);
			line += len;
		}
		free(s.said[i].text);
	}
	free(s.said);
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
