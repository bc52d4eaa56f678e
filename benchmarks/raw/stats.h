/* stats.h - the latency figures perftest and OSU's -f report, from every sample kept. */
#ifndef RAWBENCH_STATS_H
#define RAWBENCH_STATS_H

#include <stddef.h>

struct stats {
	double min, median, mean, p99, p999, max, stdev;
};

/* Sorts samples in place. Median: the middle sample, or the mean of the two middle ones;
 * p99 and p99.9: nearest rank (the smallest sample with at least 99% / 99.9% of all at or
 * below it); stdev: the sample standard deviation (n - 1), 0 for one sample. -1 when n is 0. */
int stats_compute(double *samples, size_t n, struct stats *out);

/* The 1-based nearest rank of the permille-th percentile of n samples (990 for p99). */
size_t stats_rank(size_t n, unsigned permille);

#endif
