/* placement.h - where a node's ranks go on its cores (hwloc): --map-by inside a node,
 * --bind-to, and the --report-bindings line. Used by the agent, and by the launcher for
 * --dry-run on this machine's topology. */
#ifndef CMPI_PLACEMENT_H
#define CMPI_PLACEMENT_H

#include <hwloc.h>
#include <stdbool.h>
#include <stddef.h>

enum cmpi_map_by { CMPI_MAP_DEFAULT = 0, CMPI_MAP_SLOT, CMPI_MAP_NODE, CMPI_MAP_CORE,
		   CMPI_MAP_SOCKET };
enum cmpi_bind_to { CMPI_BIND_DEFAULT = 0, CMPI_BIND_NONE, CMPI_BIND_CORE, CMPI_BIND_SOCKET };

const char *cmpi_map_by_name(enum cmpi_map_by m);   /* "slot", "node", ... */
const char *cmpi_bind_to_name(enum cmpi_bind_to b); /* "none", "core", "socket" */

struct cmpi_placement_request {
	enum cmpi_map_by map_by;
	long pe;             /* cores per rank, >= 1 */
	enum cmpi_bind_to bind_to;
	bool overload;       /* allow more ranks*pe than cores: wrap around */
	long first_slot;     /* ranks of this machine placed before these (other agents on it) */
	long nranks;         /* this node's ranks */
	long job_size;       /* ranks in the whole job, for the default binding */
};

/* Fills cpusets[nranks] (allocated here, hwloc_bitmap_t each; NULL entries when
 * bind_to is NONE) for the topology's allowed cores. DEFAULT is Open MPI's
 * default: to a core for jobs of up to 2 ranks, else to a socket, and no
 * binding when this machine's ranks outnumber its cores (oversubscribed). 0, or -1 with one line in err:
 * "binding 4 ranks with 1 core each needs 4 cores; this node has 2 (--bind-to core:overload-allowed, or --oversubscribe without --bind-to)". */
int cmpi_placement_compute(hwloc_topology_t topo, const struct cmpi_placement_request *req,
			   hwloc_bitmap_t **cpusets, char *err, size_t errlen);
void cmpi_placement_free(hwloc_bitmap_t *cpusets, long nranks);

/* Open MPI's --report-bindings text for one rank, without the "[host:pid] " prefix:
 * "MCW rank 3 bound to socket 0[core 1[hwt 0]]: [./B]" or
 * "MCW rank 3 is not bound (or bound to all available processors)". malloc'd. */
char *cmpi_placement_describe(hwloc_topology_t topo, long rank, hwloc_const_bitmap_t cpuset);

#endif
