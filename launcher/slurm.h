/* slurm.h - inside a Slurm allocation: its nodes become the job's hosts, and srun starts one
 * agent on each (runtime_slurm.c). */
#ifndef CMPI_SLURM_H
#define CMPI_SLURM_H

#include <stddef.h>

#include "options.h"

/* True when cmpirun runs inside an allocation (SLURM_JOB_ID and SLURM_JOB_NODELIST). */
int slurm_in_allocation(void);

/* The allocation's nodes, in Slurm's order (SLURM_NODEID's), as hosts with the slots of
 * SLURM_TASKS_PER_NODE; scontrol expands the node list. 0, or -1 with one line in err. */
int slurm_hosts(struct cmpi_host **hosts, size_t *nhosts, char *err, size_t errlen);

/* SLURM_TASKS_PER_NODE's "2(x3),1": the slots of node i of nnodes into slots[i].
 * 0, or -1 when text is not that form or does not cover exactly nnodes nodes. */
int slurm_parse_tasks_per_node(const char *text, long *slots, size_t nnodes);

#endif
