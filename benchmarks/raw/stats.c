/* stats.c - min, median, mean, percentiles, max and spread of a set of samples. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Integer arithmetic: 99.9% of 1000 must be rank 999, which 0.999 * 1000 in doubles is not
 * guaranteed to give after ceil. */
size_t stats_rank(size_t n, unsigned permille)
{
	size_t rank = (n * permille + 999) / 1000;
	return rank < 1 ? 1 : rank > n ? n : rank;
}

int stats_compute(double *samples, size_t n, struct stats *out)
{
	if (n == 0)
		return -1;
	qsort(samples, n, sizeof *samples, compare);
	double sum = 0, squares = 0;
	for (size_t i = 0; i < n; i++)
		sum += samples[i];
	double mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		squares += (samples[i] - mean) * (samples[i] - mean);
	out->min = samples[0];
	out->max = samples[n - 1];
	out->median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
	out->mean = mean;
	out->p99 = samples[stats_rank(n, 990) - 1];
	out->p999 = samples[stats_rank(n, 999) - 1];
	out->stdev = n > 1 ? sqrt(squares / (double)(n - 1)) : 0;
	return 0;
}
