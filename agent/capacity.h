/* capacity.h - refuse a rank count this node cannot hold (descriptors, processes, memory). */
#ifndef CMPI_AGENT_CAPACITY_H
#define CMPI_AGENT_CAPACITY_H

#include <stddef.h>

/* 0, or -1 with why (one phrase naming the limit) when nranks cannot start here. */
int rank_capacity_check(long nranks, char *why, size_t len);

#endif
