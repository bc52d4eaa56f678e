/* bench.c - the MPI benchmarks' shared part; see bench.h. */
#define _GNU_SOURCE
#include "bench.h"
#include "pattern.h"

#include <getopt.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIND_TEXT 256

static void usage(const struct bench *b, const char *prog)
{
	if (b->rank != 0)
		return;
	fprintf(
	    stderr,
	    "usage: %s [-m [MIN:]MAX] [-i ITERS] [-x WARMUP] [-W WINDOW] [-f] [-c] [--json FILE]\n"
	    "  -m  message sizes, doubling from MIN (default %zu) to MAX (default %zu)\n"
	    "  -i  timed iterations for every size (default %d, %d above %d bytes)\n"
	    "  -x  warm-up iterations (default %d, %d above %d bytes)\n"
	    "  -W  messages in flight per window (bandwidth tests; default 64)\n"
	    "  -f  also print min and max latency and the iterations (collectives)\n"
	    "  -c  check every received message's contents (figures then include the check)\n"
	    "  --json FILE  every figure, with min/median/mean/p99/max of the samples, the MPI\n"
	    "      library, the launcher, container or host, and each rank's CPU binding\n"
	    "CMPI_BENCH_CORRUPT=1 spoils received data on purpose: with -c the run must fail.\n",
	    prog, b->default_min, b->default_max, b->iters_small, b->iters_large, BENCH_LARGE,
	    b->warmup_small, b->warmup_large, BENCH_LARGE);
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || (*end && *end != ':') || v > (1ull << 30))
		return false;
	*out = (size_t)v;
	return true;
}

static bool parse_sizes(const char *arg, size_t *min, size_t *max)
{
	const char *colon = strchr(arg, ':');
	if (!colon)
		return parse_size(arg, max);
	return parse_size(arg, min) && parse_size(colon + 1, max) && *min <= *max;
}

static bool parse_count(const char *arg, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (end == arg || *end || v < 0 || v > 100000000)
		return false;
	*out = (int)v;
	return true;
}

bool bench_init(struct bench *b, int argc, char **argv)
{
	static const struct option longopts[] = {{"json", required_argument, NULL, 'J'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	const char *corrupt = getenv("CMPI_BENCH_CORRUPT");
	bool ok = true;
	int c;

	MPI_Comm_rank(MPI_COMM_WORLD, &b->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &b->size);
	b->min_size = b->default_min;
	b->max_size = b->default_max;
	b->window = 64;
	b->corrupt = corrupt && !strcmp(corrupt, "1");
	opterr = 0;
	while (ok && (c = getopt_long(argc, argv, "m:i:x:W:fch", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			ok = parse_sizes(optarg, &b->min_size, &b->max_size);
			break;
		case 'i':
			ok = parse_count(optarg, &b->iters) && b->iters > 0;
			break;
		case 'x':
			ok = parse_count(optarg, &b->warmup);
			b->warmup = ok && b->warmup == 0 ? -1 : b->warmup; /* -1: explicitly none */
			break;
		case 'W':
			ok = parse_count(optarg, &b->window) && b->window > 0 && b->window <= 1024;
			break;
		case 'f':
			b->full = true;
			break;
		case 'c':
			b->check = true;
			break;
		case 'J':
			b->json_path = optarg;
			break;
		default:
			ok = false;
		}
	}
	if (!ok || optind < argc || b->min_size > b->max_size) {
		usage(b, argv[0]);
		return false;
	}
	if (b->size_step && (b->min_size % b->size_step || b->max_size % b->size_step)) {
		if (b->rank == 0)
			fprintf(stderr, "%s: message sizes must be multiples of %zu bytes\n",
				argv[0], b->size_step);
		return false;
	}
	if (b->exact_ranks && b->size != b->exact_ranks) {
		if (b->rank == 0)
			fprintf(stderr, "%s: needs exactly %d ranks, not %d\n", argv[0],
				b->exact_ranks, b->size);
		return false;
	}
	if (b->size < 2 || (b->even_ranks && b->size % 2)) {
		if (b->rank == 0)
			fprintf(stderr, "%s: needs %s ranks, not %d\n", argv[0],
				b->even_ranks ? "an even number of" : "at least 2", b->size);
		return false;
	}
	b->json = b->rank == 0 ? json_array() : NULL;
	return true;
}

void bench_header(const struct bench *b)
{
	char lib[MPI_MAX_LIBRARY_VERSION_STRING];
	int len;
	MPI_Get_library_version(lib, &len);
	lib[strcspn(lib, "\n")] = '\0';
	if (b->rank != 0)
		return;
	printf("# cmpirun MPI %s (%s)\n", b->name, lib);
	/* OSU's columns: the size in 10, each figure in 18, iterations in 12. */
	if (b->kind == BENCH_COLLECTIVE && b->full)
		printf("%-10s%18s%18s%18s%12s\n", "# Size", b->column, "Min Latency(us)",
		       "Max Latency(us)", "Iterations");
	else if (b->kind == BENCH_PAIRS)
		printf("%-10s%18s%18s\n", "# Size", b->column, "Messages/s");
	else
		printf("%-10s%18s\n", "# Size", b->column);
	fflush(stdout);
}

int bench_iters(const struct bench *b, size_t size)
{
	if (b->iters)
		return b->iters;
	return size > BENCH_LARGE ? b->iters_large : b->iters_small;
}

int bench_warmup(const struct bench *b, size_t size)
{
	if (b->warmup)
		return b->warmup < 0 ? 0 : b->warmup;
	return size > BENCH_LARGE ? b->warmup_large : b->warmup_small;
}

void bench_reset(struct bench *b, int iters)
{
	/* Room for every sample before the timing starts: no allocation inside
	 * the timed loop. */
	if (iters > b->samples_cap) {
		double *grown = realloc(b->samples, (size_t)iters * sizeof *grown);
		if (!grown) {
			fprintf(stderr, "out of memory (%d samples)\n", iters);
			MPI_Abort(MPI_COMM_WORLD, 1);
		}
		b->samples = grown;
		b->samples_cap = iters;
	}
	b->nsamples = 0;
}

void bench_sample(struct bench *b, double us)
{
	if (b->nsamples < b->samples_cap)
		b->samples[b->nsamples++] = us;
}

double bench_mean(const struct bench *b)
{
	double sum = 0;
	for (int i = 0; i < b->nsamples; i++)
		sum += b->samples[i];
	return b->nsamples ? sum / b->nsamples : 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* min, median, mean, p99 and max of this rank's samples. */
static json_t *sample_stats(struct bench *b)
{
	int n = b->nsamples;
	if (n == 0)
		return json_null();
	qsort(b->samples, (size_t)n, sizeof *b->samples, by_value);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += b->samples[i];
	double median = n % 2 ? b->samples[n / 2] : (b->samples[n / 2 - 1] + b->samples[n / 2]) / 2;
	int p99 = (int)((99L * n + 99) / 100) - 1; /* the nearest rank */
	return json_pack("{s:f,s:f,s:f,s:f,s:f,s:i}", "min_us", b->samples[0], "median_us", median,
			 "mean_us", sum / n, "p99_us", b->samples[p99 < 0 ? 0 : p99], "max_us",
			 b->samples[n - 1], "count", n);
}

void bench_row(struct bench *b, size_t size, double value, double min, double max, int iters)
{
	if (b->rank != 0)
		return;
	if (b->kind == BENCH_COLLECTIVE && b->full)
		printf("%-10zu%18.2f%18.2f%18.2f%12d\n", size, value, min, max, iters);
	else
		printf("%-10zu%18.2f\n", size, value);
	fflush(stdout);
	json_t *row = json_pack("{s:I,s:f,s:s,s:i,s:o}", "size", (json_int_t)size, "value", value,
				"unit", b->column, "iterations", iters, "samples", sample_stats(b));
	if (b->kind == BENCH_COLLECTIVE)
		json_object_update_new(
		    row, json_pack("{s:f,s:f}", "min_over_ranks", min, "max_over_ranks", max));
	json_array_append_new(b->json, row);
}

void bench_rate_row(struct bench *b, size_t size, double mbs, double msgs_per_s, int iters)
{
	if (b->rank != 0)
		return;
	printf("%-10zu%18.2f%18.2f\n", size, mbs, msgs_per_s);
	fflush(stdout);
	json_array_append_new(b->json, json_pack("{s:I,s:f,s:s,s:f,s:i,s:o}", "size",
						 (json_int_t)size, "value", mbs, "unit", b->column,
						 "messages_per_s", msgs_per_s, "iterations", iters,
						 "samples", sample_stats(b)));
}

void bench_collective_row(struct bench *b, size_t size, int iters)
{
	double my_mean_us = bench_mean(b);
	double min, max, sum;
	MPI_Reduce(&my_mean_us, &min, 1, MPI_DOUBLE, MPI_MIN, 0, MPI_COMM_WORLD);
	MPI_Reduce(&my_mean_us, &max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
	MPI_Reduce(&my_mean_us, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
	bench_row(b, size, sum / b->size, min, max, iters);
}

/* This rank's CPU binding, as a list of CPUs ("0-1" style is not needed). */
static void binding(char *out, size_t len)
{
	cpu_set_t set;
	size_t used = 0;
	out[0] = '\0';
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE && used + 8 < len; cpu++)
		if (CPU_ISSET(cpu, &set))
			used +=
			    (size_t)snprintf(out + used, len - used, "%s%d", used ? "," : "", cpu);
}

static const char *launcher(void)
{
	if (getenv("CMPI_JOBID"))
		return "cmpirun";
	if (getenv("OMPI_COMM_WORLD_SIZE"))
		return "mpirun (Open MPI)";
	if (getenv("PMI_RANK") || getenv("PMI_FD"))
		return "mpiexec (hydra)";
	return "unknown";
}

int bench_finish(struct bench *b)
{
	int status = 0;
	char mine[BIND_TEXT], *all = b->rank == 0 ? calloc((size_t)b->size, BIND_TEXT) : NULL;
	binding(mine, sizeof mine);
	MPI_Gather(mine, BIND_TEXT, MPI_CHAR, all, BIND_TEXT, MPI_CHAR, 0, MPI_COMM_WORLD);
	if (b->rank == 0 && b->json_path) {
		char lib[MPI_MAX_LIBRARY_VERSION_STRING];
		int len;
		MPI_Get_library_version(lib, &len);
		lib[strcspn(lib, "\n")] = '\0';
		json_t *bind = json_array();
		for (int r = 0; all && r < b->size; r++)
			json_array_append_new(bind, json_string(all + (size_t)r * BIND_TEXT));
		/* /.cmpi is the agent bundle cmpirun puts in its containers. */
		const char *where = access("/.cmpi", F_OK) == 0	       ? "cmpirun container"
				    : access("/.dockerenv", F_OK) == 0 ? "container"
								       : "host";
		json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:i,s:b,s:o,s:O}", "benchmark", b->name,
					"mpi_library", lib, "launcher", launcher(), "where", where,
					"ranks", b->size, "validated", b->check && !b->no_data,
					"cpu_binding", bind, "rows", b->json);
		if (!doc || json_dump_file(doc, b->json_path, JSON_INDENT(1)) < 0) {
			fprintf(stderr, "cannot write %s\n", b->json_path);
			status = 1;
		}
		json_decref(doc);
	}
	json_decref(b->json);
	free(all);
	free(b->samples);
	return status;
}

void bench_fill(unsigned char *buf, size_t size, uint64_t seed)
{
	pattern_fill(buf, size, seed);
}

void bench_verify(const struct bench *b, unsigned char *buf, size_t size, uint64_t seed)
{
	if (b->corrupt && size > 0)
		buf[size / 2] ^= 0x5a;
	size_t bad = pattern_mismatch(buf, size, seed);
	if (bad < size) {
		fprintf(stderr, "DATA VALIDATION ERROR: rank %d, size %zu, block %llu, byte %zu\n",
			b->rank, size, (unsigned long long)seed, bad);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
}

void *bench_alloc(size_t size)
{
	void *p = NULL;
	if (posix_memalign(&p, (size_t)sysconf(_SC_PAGESIZE), size ? size : 1) != 0) {
		fprintf(stderr, "out of memory (%zu bytes)\n", size);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	memset(p, 0, size);
	return p;
}
