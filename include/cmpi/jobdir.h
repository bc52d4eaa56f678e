/* jobdir.h - the private directories an agent makes for a job (the PMIx server's, Open MPI's
 * shared memory), named so that whoever outlives a killed agent can find and remove them. */
#ifndef CMPI_JOBDIR_H
#define CMPI_JOBDIR_H

#include <stddef.h>

#define CMPI_JOBDIR_MAX 96

/* Makes "<parent>/cmpi-<jobid>-<node>-XXXXXX", mode 0700, and puts its name in
 * path (len >= CMPI_JOBDIR_MAX). 0, or -1 with errno. */
int cmpi_jobdir_make(char *path, size_t len, const char *parent, const char *jobid, long node);

/* Removes the directory and everything under it, following no link. */
void cmpi_jobdir_remove(const char *path);

/* Removes every "<parent>/cmpi-<jobid>-*" directory this user owns: what the
 * agents of that job left when they were killed. */
void cmpi_jobdirs_remove_all(const char *parent, const char *jobid);
/* The same for one node's agent only: "<parent>/cmpi-<jobid>-<node>-*". */
void cmpi_jobdirs_remove_node(const char *parent, const char *jobid, long node);

#endif
