/* gather.c - allgathers in progress: a list keyed by (kind, seq), each source's part once. */
#include "cmpi/gather.h"

#include <event2/buffer.h>
#include <stdlib.h>

static void gather_free(struct cmpi_gather *g)
{
	if (g->data)
		evbuffer_free(g->data);
	free(g->from);
	free(g);
}

struct cmpi_gather *cmpi_gather_find(struct cmpi_gather **list, uint8_t kind, uint32_t seq,
				     long nsources)
{
	for (struct cmpi_gather *g = *list; g; g = g->next)
		if (g->kind == kind && g->seq == seq)
			return g;
	if (nsources <= 0)
		return NULL;
	struct cmpi_gather *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->kind = kind;
	g->seq = seq;
	g->nsources = nsources;
	g->from = calloc((size_t)nsources, sizeof *g->from);
	g->data = evbuffer_new();
	if (!g->from || !g->data) {
		gather_free(g);
		return NULL;
	}
	g->next = *list;
	*list = g;
	return g;
}

void cmpi_gather_remove(struct cmpi_gather **list, struct cmpi_gather *g)
{
	struct cmpi_gather **pp = list;
	while (*pp != g)
		pp = &(*pp)->next;
	*pp = g->next;
	gather_free(g);
}

enum cmpi_gather_result cmpi_gather_add(struct cmpi_gather *g, long source, const void *data,
					size_t len)
{
	if (g->from[source])
		return CMPI_GATHER_TWICE;
	/* Refused as soon as the parts cannot fit, not after holding them all. */
	if (evbuffer_get_length(g->data) + len > CMPI_GATHER_MAX)
		return CMPI_GATHER_TOO_BIG;
	if (evbuffer_add(g->data, data, len) < 0)
		return CMPI_GATHER_NOMEM;
	g->from[source] = true;
	g->arrived++;
	return CMPI_GATHER_ADDED;
}
