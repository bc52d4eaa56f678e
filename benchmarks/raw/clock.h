/* clock.h - the one clock every rawbench figure is read from. */
#ifndef RAWBENCH_CLOCK_H
#define RAWBENCH_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC: a vDSO call, tens of nanoseconds where the clocksource is the
 * TSC, so it can be read around every iteration and every sample kept. */
static inline double rawbench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#endif
