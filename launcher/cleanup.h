/* cleanup.h - containers of dead jobs, found by label and removed (cmpirun --cleanup). */
#ifndef CMPI_CLEANUP_H
#define CMPI_CLEANUP_H

#include <stddef.h>

/* "HOST/PID/STARTTIME" naming this cmpirun, for the cmpi.launcher label. */
int cleanup_launcher_label(char *buf, size_t len);

/* Removes every cmpi.job container whose launcher ran on this host and is
 * gone; returns cmpirun's exit status. */
int cleanup_run(const char *engine_url);

#endif
