/* jobdir.c - make, remove and sweep the per-job private directories of the agents. */
#define _GNU_SOURCE
#include "cmpi/jobdir.h"

#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmpi_jobdir_make(char *path, size_t len, const char *parent, const char *jobid, long node)
{
	int n = snprintf(path, len, "%s/cmpi-%.16s-%ld-XXXXXX", parent, jobid, node);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(path) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cmpi_jobdir_remove(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes every directory of ours that pattern matches. */
static void remove_matching(const char *pattern)
{
	glob_t g;
	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (lstat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
			cmpi_jobdir_remove(g.gl_pathv[i]);
	}
	globfree(&g);
}

/* Job ids are hex: nothing in one can widen a pattern. */
static bool is_jobid(const char *jobid)
{
	return *jobid && strspn(jobid, "0123456789abcdef") == strlen(jobid);
}

void cmpi_jobdirs_remove_all(const char *parent, const char *jobid)
{
	char pattern[CMPI_JOBDIR_MAX];
	if (!is_jobid(jobid))
		return;
	snprintf(pattern, sizeof pattern, "%s/cmpi-%.16s-*", parent, jobid);
	remove_matching(pattern);
}

void cmpi_jobdirs_remove_node(const char *parent, const char *jobid, long node)
{
	char pattern[CMPI_JOBDIR_MAX];
	if (!is_jobid(jobid) || node < 0)
		return;
	snprintf(pattern, sizeof pattern, "%s/cmpi-%.16s-%ld-*", parent, jobid, node);
	remove_matching(pattern);
}
