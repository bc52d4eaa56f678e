/* cleanup.h - containers of dead jobs, found by label and removed (cmpirun --cleanup). */
#ifndef CMPI_CLEANUP_H
#define CMPI_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* "HOST/PID/STARTTIME" naming this cmpirun, for the cmpi.launcher label. */
int cleanup_launcher_label(char *buf, size_t len);

/* Removes every cmpi.job container whose launcher ran on this host and is
 * gone, on the engine at engine_url (NULL: the default; its TLS files in certs,
 * NULL: $DOCKER_CERT_PATH); name_engine says which engine in the summary line.
 * Returns cmpirun's exit status. */
int cleanup_run(const char *engine_url, const char *certs, bool name_engine);

/* The same on every engine of the hosts (-H, --hostfile; a host without one
 * counts as the default engine), each once, else on --engine's alone. The
 * first failure's exit status. */
int cleanup_engines(const struct cmpi_options *opt);

#endif
