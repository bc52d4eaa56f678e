/* options.h - cmpirun's command line. */
#ifndef CMPI_OPTIONS_H
#define CMPI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CMPI_MAX_RANKS 65536

struct cmpi_options {
	long nranks;     /* -n; 0 = one per online CPU, decided by the caller */
	long nagents;    /* --agents */
	bool tag_output;
	long timeout_s;  /* 0 = none */
	bool verbose;
	const char *image;  /* --image: agents in containers of it; NULL: on this host */
	const char *engine; /* --engine URL; NULL: $DOCKER_HOST or the default socket */
	bool pull;          /* --pull: pull the image when the engine does not have it */
	bool cleanup;       /* --cleanup: remove dead jobs' containers, run nothing */
	bool report_timing;      /* --report-timing: the phases on stderr at the end */
	const char *report_json; /* --report-json FILE: the phases and every rank's times */
	char **argv;     /* the program and its arguments, inside the caller's argv */
};

enum cmpi_options_result {
	CMPI_OPTIONS_RUN,
	CMPI_OPTIONS_HELP,
	CMPI_OPTIONS_VERSION,
	CMPI_OPTIONS_ERROR, /* err holds one line saying why */
};

enum cmpi_options_result cmpi_options_parse(int argc, char **argv, struct cmpi_options *opt,
					    char *err, size_t errlen);
void cmpi_options_help(FILE *out);

#endif
