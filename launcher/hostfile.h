/* hostfile.h - the hosts of -H and --hostfile, merged into one list as mpirun merges them. */
#ifndef CMPI_HOSTFILE_H
#define CMPI_HOSTFILE_H

#include <stddef.h>

#include "options.h"

/* Appends name (namelen bytes) with slots (0: none given), or adds the slots to the
 * entry already of that name, each side counting 1 when it gave none (mpirun's -H a,a
 * is two slots on a). 0, or -1 with one line in err. */
int cmpi_hosts_add(struct cmpi_host **hosts, size_t *nhosts, const char *name, size_t namelen,
		   long slots, char *err, size_t errlen);

/* Sets the engine of host name (namelen bytes), which must be in the list already;
 * the same host given two different engines is an error. what names the source. */
int cmpi_hosts_set_engine(struct cmpi_host *hosts, size_t nhosts, const char *name,
			  size_t namelen, const char *engine, const char *what, char *err,
			  size_t errlen);

/* -H's LIST: comma-separated NAME or NAME:SLOTS. what names the option in messages. */
int cmpi_hosts_add_list(struct cmpi_host **hosts, size_t *nhosts, const char *list,
			const char *what, char *err, size_t errlen);

/* Reads a hostfile, one host a line: Open MPI's "NAME [slots=N]", MPICH's "NAME:N", or
 * "NAME", each optionally with "engine=URL" (the host's container engine) and, for a
 * tcp:// engine, "certs=DIR" (its TLS files, instead of $DOCKER_CERT_PATH); '#' starts a
 * comment. Errors say "hostfile PATH line L: ...". */
int cmpi_hostfile_read(const char *path, struct cmpi_host **hosts, size_t *nhosts, char *err,
		       size_t errlen);

void cmpi_hosts_free(struct cmpi_host *hosts, size_t nhosts);

#endif
