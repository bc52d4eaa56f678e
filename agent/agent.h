/* agent.h - cmpi-agent's side of a job: run its ranks, forward their stdio and exits. */
#ifndef CMPI_AGENT_H
#define CMPI_AGENT_H

#include <stdint.h>

#include "cmpi/frame.h"

/* Runs the agent on a control socket whose HELLO the launcher accepted
 * (main.c), until the launcher closes it. token is the job's, which the
 * agent's children in the allgather tree must show. Returns the agent's exit status. */
int agent_run(int ctl_fd, long node, const uint8_t token[CMPI_TOKEN_SIZE]);

#endif
