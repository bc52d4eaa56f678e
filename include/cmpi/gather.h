/* gather.h - allgathers in progress, named by (kind, seq): each source's part once,
 * concatenated in arrival order, within what one frame carries. The launcher (from its
 * agents) and the agents of the allgather tree (their own part and their children's). */
#ifndef CMPI_GATHER_H
#define CMPI_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmpi/frame.h"

struct evbuffer;

/* The parts of one allgather may add up to this much: one frame with a fence header. */
#define CMPI_GATHER_MAX (CMPI_FRAME_MAX_PAYLOAD - 16)

struct cmpi_gather {
	uint8_t kind;
	uint32_t seq;
	long nsources;
	long arrived;
	bool *from;	       /* [nsources]: that source's part is in */
	struct evbuffer *data; /* the parts, concatenated in arrival order */
	struct cmpi_gather *next;
};

/* The allgather (kind, seq) of list; when there is none, a new one for nsources
 * sources at its head, or NULL (with nsources 0, or out of memory). */
struct cmpi_gather *cmpi_gather_find(struct cmpi_gather **list, uint8_t kind, uint32_t seq,
				     long nsources);
/* Takes g out of list and frees it. */
void cmpi_gather_remove(struct cmpi_gather **list, struct cmpi_gather *g);

enum cmpi_gather_result {
	CMPI_GATHER_ADDED,
	CMPI_GATHER_TWICE,   /* that source's part is in already */
	CMPI_GATHER_TOO_BIG, /* with it the parts would pass CMPI_GATHER_MAX */
	CMPI_GATHER_NOMEM,
};
/* Source's part (0 <= source < g->nsources); only ADDED changes g. */
enum cmpi_gather_result cmpi_gather_add(struct cmpi_gather *g, long source, const void *data,
					size_t len);

#endif
