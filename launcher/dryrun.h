/* dryrun.h - --dry-run: print the plan (nodes, ranks, programs, bindings, environment). */
#ifndef CMPI_DRYRUN_H
#define CMPI_DRYRUN_H

#include <stdio.h>

struct cmpi_options;
struct plan;

/* Prints the plan to out; 0, or 1 when the job could not run as planned (a
 * binding this machine's cores cannot give, say), with the reason printed. */
int dryrun_print(const struct cmpi_options *opt, const struct plan *plan, const char *hostname,
		 FILE *out);

#endif
