/* pmix_locality.c - PMIx client: what the agent's PMIx server says of this rank's place:
 * PMIX_CPUSET, PMIX_LOCALITY_STRING, PMIX_APPNUM, PMIX_LOCAL_RANK and whether the node's
 * topology is there. Prints "rank R appnum A local_rank L cpuset C locality S topology T"
 * ("-" for a key the server does not have). */
#define _POSIX_C_SOURCE 200809L
#include <strings.h> /* pmix_common.h uses strncasecmp without including it */
#include <pmix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pmix_proc_t me;

/* A string-valued key of this rank, or "-". */
static const char *get_string(const char *key, char *buf, size_t len)
{
	pmix_value_t *val = NULL;
	snprintf(buf, len, "-");
	if (PMIx_Get(&me, key, NULL, 0, &val) == PMIX_SUCCESS && val) {
		if (val->type == PMIX_STRING && val->data.string)
			snprintf(buf, len, "%s", val->data.string);
		PMIX_VALUE_RELEASE(val);
	}
	return buf;
}

static long get_number(const pmix_proc_t *proc, const char *key)
{
	pmix_value_t *val = NULL;
	long n = -1;
	if (PMIx_Get(proc, key, NULL, 0, &val) == PMIX_SUCCESS && val) {
		if (val->type == PMIX_UINT32)
			n = val->data.uint32;
		else if (val->type == PMIX_UINT16)
			n = val->data.uint16;
		PMIX_VALUE_RELEASE(val);
	}
	return n;
}

int main(void)
{
	char cpuset[256], locality[256], topology[16];
	pmix_value_t *val = NULL;
	pmix_proc_t job;

	if (PMIx_Init(&me, NULL, 0) != PMIX_SUCCESS) {
		fprintf(stderr, "pmix_locality: PMIx_Init failed\n");
		return 1;
	}
	PMIX_LOAD_PROCID(&job, me.nspace, PMIX_RANK_WILDCARD);
	snprintf(topology, sizeof topology, "-");
	if (PMIx_Get(&job, PMIX_HWLOC_XML_V2, NULL, 0, &val) == PMIX_SUCCESS && val) {
		snprintf(topology, sizeof topology, "xml");
		PMIX_VALUE_RELEASE(val);
	}
	printf("rank %u appnum %ld local_rank %ld cpuset %s locality %s topology %s\n", me.rank,
	       get_number(&me, PMIX_APPNUM), get_number(&me, PMIX_LOCAL_RANK),
	       get_string(PMIX_CPUSET, cpuset, sizeof cpuset),
	       get_string(PMIX_LOCALITY_STRING, locality, sizeof locality), topology);
	fflush(stdout);
	PMIx_Finalize(NULL, 0);
	return 0;
}
