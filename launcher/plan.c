/* plan.c - block distribution of ranks over agents, as mpirun's --map-by node:block would. */
#include "plan.h"

void cmpi_plan_block(long nranks, long nagents, long agent, long *first, long *count)
{
	long base = nranks / nagents, extra = nranks % nagents;
	*count = base + (agent < extra);
	*first = agent * base + (agent < extra ? agent : extra);
}

long cmpi_plan_agent_of_rank(long nranks, long nagents, long rank)
{
	long base = nranks / nagents, extra = nranks % nagents;
	long cut = extra * (base + 1); /* ranks below this live on the larger agents */
	return rank < cut ? rank / (base + 1) : extra + (rank - cut) / base;
}
