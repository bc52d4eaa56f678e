/* pmix_fence.c - PMIx client: put a key, fence, get and check every peer's; time the fences.
 * --drop-rank R: rank R closes its PMIx connection after PMIx_Init and lives on (a fault test). */
#define _POSIX_C_SOURCE 200809L
#include <strings.h> /* pmix_common.h uses strncasecmp without including it */
#include <pmix.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEY "cmpi.fence.test"
#define VERDICT_KEY "cmpi.fence.verdict"

static pmix_proc_t me;

static void usage(void)
{
	fprintf(stderr, "Usage: pmix_fence [-s BYTES] [-r ROUNDS] [-t] [--no-collect] [--drop-rank R]\n");
	exit(2);
}

/* Byte i of rank r's payload: differs between ranks and along the buffer. */
static uint8_t pattern(pmix_rank_t r, size_t i)
{
	return (uint8_t)(r * 131u + i * 7u + (i >> 8));
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void die(const char *what, pmix_status_t rc)
{
	fprintf(stderr, "pmix_fence: rank %u: %s failed: %s\n", me.rank, what,
		PMIx_Error_string(rc));
	exit(1);
}

/* Fence over the whole namespace, with or without data collection. */
static void fence(bool collect)
{
	pmix_proc_t all;
	pmix_info_t info;
	pmix_status_t rc;

	PMIX_LOAD_PROCID(&all, me.nspace, PMIX_RANK_WILDCARD);
	PMIX_INFO_LOAD(&info, PMIX_COLLECT_DATA, &collect, PMIX_BOOL);
	rc = PMIx_Fence(&all, 1, &info, 1);
	PMIX_INFO_DESTRUCT(&info);
	if (rc != PMIX_SUCCESS)
		die("PMIx_Fence", rc);
}

static void put_commit(const char *key, pmix_value_t *val)
{
	pmix_status_t rc = PMIx_Put(PMIX_GLOBAL, key, val);
	if (rc != PMIX_SUCCESS)
		die("PMIx_Put", rc);
	if ((rc = PMIx_Commit()) != PMIX_SUCCESS)
		die("PMIx_Commit", rc);
}

/* Gets KEY of every rank and compares it with the pattern; returns the number of bad keys. */
static int check_peers(uint32_t size, size_t bytes)
{
	int bad = 0;

	for (pmix_rank_t r = 0; r < size; r++) {
		pmix_proc_t peer;
		pmix_value_t *val = NULL;
		pmix_status_t rc;
		size_t i;

		PMIX_LOAD_PROCID(&peer, me.nspace, r);
		rc = PMIx_Get(&peer, KEY, NULL, 0, &val);
		if (rc != PMIX_SUCCESS) {
			fprintf(stderr, "pmix_fence: rank %u: get %s of rank %u: %s\n", me.rank,
				KEY, r, PMIx_Error_string(rc));
			bad++;
			continue;
		}
		if (val->type != PMIX_BYTE_OBJECT || val->data.bo.size != bytes) {
			fprintf(stderr,
				"pmix_fence: rank %u: rank %u's value has type %d, %zu bytes, "
				"expected %zu\n",
				me.rank, r, val->type,
				val->type == PMIX_BYTE_OBJECT ? val->data.bo.size : 0, bytes);
			bad++;
		} else {
			for (i = 0; i < bytes && (uint8_t)val->data.bo.bytes[i] == pattern(r, i);
			     i++)
				;
			if (i < bytes) {
				fprintf(
				    stderr,
				    "pmix_fence: rank %u: rank %u's value differs at byte %zu\n",
				    me.rank, r, i);
				bad++;
			}
		}
		PMIX_VALUE_RELEASE(val);
	}
	return bad;
}

int main(int argc, char **argv)
{
	size_t bytes = 1024;
	long rounds = 1;
	bool timing = false, collect = true;
	long drop_rank = -1;
	pmix_status_t rc;
	pmix_proc_t job;
	pmix_value_t *val = NULL, payload;
	uint32_t size;
	int bad = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			bytes = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			rounds = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-t") == 0)
			timing = true;
		else if (strcmp(argv[i], "--no-collect") == 0)
			collect = false;
		else if (strcmp(argv[i], "--drop-rank") == 0 && i + 1 < argc)
			drop_rank = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (bytes == 0 || rounds < 1)
		usage();

	if ((rc = PMIx_Init(&me, NULL, 0)) != PMIX_SUCCESS)
		die("PMIx_Init", rc);
	if ((long)me.rank == drop_rank) {
		/* Every descriptor past stdio: the PMIx socket among them. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		printf("rank %u dropped its PMIx connection\n", me.rank);
		fflush(stdout);
		sleep(30);
		return 0;
	}
	PMIX_LOAD_PROCID(&job, me.nspace, PMIX_RANK_WILDCARD);
	if ((rc = PMIx_Get(&job, PMIX_JOB_SIZE, NULL, 0, &val)) != PMIX_SUCCESS)
		die("PMIx_Get(PMIX_JOB_SIZE)", rc);
	size = val->data.uint32;
	PMIX_VALUE_RELEASE(val);

	char *buf = malloc(bytes);
	double *us = malloc(rounds * sizeof *us);
	if (!buf || !us) {
		fprintf(stderr, "pmix_fence: out of memory\n");
		return 1;
	}
	for (size_t j = 0; j < bytes; j++)
		buf[j] = (char)pattern(me.rank, j);
	payload.type = PMIX_BYTE_OBJECT;
	payload.data.bo.bytes = buf;
	payload.data.bo.size = bytes;

	/* Every round puts the same value again, so each fence carries the same amount of data. */
	for (long r = 0; r < rounds; r++) {
		put_commit(KEY, &payload);
		double t0 = now_us();
		fence(collect);
		us[r] = now_us() - t0;
		bad += check_peers(size, bytes);
	}

	/* Everyone's verdict reaches rank 0 through one more (collecting) fence. */
	pmix_value_t verdict = {.type = PMIX_INT};
	verdict.data.integer = bad;
	put_commit(VERDICT_KEY, &verdict);
	fence(true);
	int total = 0;
	if (me.rank == 0) {
		for (pmix_rank_t r = 0; r < size; r++) {
			pmix_proc_t peer;
			PMIX_LOAD_PROCID(&peer, me.nspace, r);
			if ((rc = PMIx_Get(&peer, VERDICT_KEY, NULL, 0, &val)) != PMIX_SUCCESS) {
				fprintf(stderr, "pmix_fence: no verdict from rank %u: %s\n", r,
					PMIx_Error_string(rc));
				total++;
				continue;
			}
			total += val->data.integer;
			PMIX_VALUE_RELEASE(val);
		}
		qsort(us, rounds, sizeof *us, cmp_double);
		if (total)
			printf("pmix_fence FAILED: %d bad keys\n", total);
		else if (timing)
			printf(
			    "pmix_fence ok: size %u payload %zu rounds %ld median_fence_us %.1f\n",
			    size, bytes, rounds,
			    rounds % 2 ? us[rounds / 2]
				       : (us[rounds / 2 - 1] + us[rounds / 2]) / 2);
		else
			printf("pmix_fence ok: size %u payload %zu rounds %ld\n", size, bytes,
			       rounds);
		fflush(stdout);
	}
	free(buf);
	free(us);
	if ((rc = PMIx_Finalize(NULL, 0)) != PMIX_SUCCESS)
		die("PMIx_Finalize", rc);
	return bad || total ? 1 : 0;
}
