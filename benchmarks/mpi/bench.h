/* bench.h - what the MPI benchmarks share: OSU-style options and output, timing samples and
 * their statistics, data validation, and the JSON record (jansson) of every figure. */
#ifndef CMPI_BENCH_H
#define CMPI_BENCH_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_LARGE 8192 /* above this, messages get the large iteration counts */

/* Point to point between 2 ranks; collectives over all; pairs i and i + size/2 at once. */
enum bench_kind { BENCH_PT2PT, BENCH_COLLECTIVE, BENCH_PAIRS };

struct bench {
	/* What the program says of itself. */
	const char *name;   /* "Latency Test" */
	const char *column; /* "Latency (us)", "Bandwidth (MB/s)" */
	enum bench_kind kind;
	int exact_ranks;  /* 2 for the point-to-point tests; 0: any number from 2 */
	bool even_ranks;  /* pairs: rank i with rank i + size/2 */
	bool no_data;	  /* barrier: nothing for -c to check */
	size_t size_step; /* sizes must be multiples of this (allreduce: an int); 0: any */
	size_t default_min, default_max;
	int iters_small, warmup_small, iters_large, warmup_large;
	/* From the command line. */
	size_t min_size, max_size;
	int iters, warmup; /* -i, -x: override both small and large (0: defaults) */
	int window;	   /* -W */
	bool full;	   /* -f: min, max and iterations as well */
	bool check;	   /* -c */
	bool corrupt;	   /* CMPI_BENCH_CORRUPT=1: spoil received data, so -c must fail */
	const char *json_path;
	/* Runtime. */
	int rank, size;
	double *samples; /* one per timed iteration, in microseconds */
	int nsamples, samples_cap;
	void *json; /* json_t *: the rows so far (rank 0) */
};

/* Parses the options (-m [min:]max, -i, -x, -W, -f, -c, --json FILE, -h) after
 * MPI_Init; on a usage error rank 0 says why and every rank returns false. */
bool bench_init(struct bench *b, int argc, char **argv);
/* Rank 0 prints the OSU-style header lines. */
void bench_header(const struct bench *b);
/* The iterations and warm-up for one message size. */
int bench_iters(const struct bench *b, size_t size);
int bench_warmup(const struct bench *b, size_t size);
/* Clears the samples and makes room for iters of them; bench_sample() adds
 * one (microseconds), bench_mean() is their mean. */
void bench_reset(struct bench *b, int iters);
void bench_sample(struct bench *b, double us);
double bench_mean(const struct bench *b);
/* Rank 0 prints the row for size and records it; value is the row's figure.
 * Collective benchmarks pass the figure averaged over ranks and its min/max. */
void bench_row(struct bench *b, size_t size, double value, double min, double max, int iters);
/* For collectives: each rank's mean of its samples; the row gets the mean of
 * those over ranks, and with -f their min and max. */
void bench_collective_row(struct bench *b, size_t size, int iters);
/* For pairs: the row of aggregate MB/s and messages per second. */
void bench_rate_row(struct bench *b, size_t size, double mbs, double msgs_per_s, int iters);
/* Writes --json FILE (rank 0) and frees what bench_init took. Returns the
 * program's exit status: 1 when the JSON could not be written. */
int bench_finish(struct bench *b);

/* Data validation: fill a buffer with the pattern of a seed (pattern.h), and
 * check it; a mismatch prints "DATA VALIDATION ERROR" and aborts the job. A
 * seed names what the block is: the iteration, and where senders differ, who
 * sent it to whom. */
void bench_fill(unsigned char *buf, size_t size, uint64_t seed);
void bench_verify(const struct bench *b, unsigned char *buf, size_t size, uint64_t seed);
/* A buffer of size bytes (page aligned), zeroed; aborts when out of memory. */
void *bench_alloc(size_t size);

#endif
