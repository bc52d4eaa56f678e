/* plan.h - which ranks each agent (node) runs: contiguous blocks, the first ones one larger. */
#ifndef CMPI_PLAN_H
#define CMPI_PLAN_H

/* Ranks [*first, *first + *count) belong to `agent`. */
void cmpi_plan_block(long nranks, long nagents, long agent, long *first, long *count);
long cmpi_plan_agent_of_rank(long nranks, long nagents, long rank);

#endif
