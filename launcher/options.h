/* options.h - cmpirun's command line: mpirun's and mpiexec's options, same meanings. */
#ifndef CMPI_OPTIONS_H
#define CMPI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cmpi/placement.h"

#define CMPI_MAX_RANKS 65536

/* A host of -H/--host or --hostfile. Repeated names are merged, slots added. */
struct cmpi_host {
	char *name;
	long slots; /* 0: none given (mpirun counts 1 for -H, 1 for a hostfile line) */
	char *engine; /* its container engine's URL (engine= or --engine NAME=URL); NULL: the default */
	char *certs;  /* its engine's TLS files (a hostfile's certs=DIR); NULL: $DOCKER_CERT_PATH */
};

/* One program of the job; an MPMD job `a : -n 2 b` has several. */
struct cmpi_app {
	long nranks;      /* its -n; 0 = not given */
	char **argv;      /* the program and its arguments (malloc'd vector of pointers into the caller's argv) */
	char **env;       /* malloc'd "KEY=VALUE" strings from -env VAR VAL in its section; NULL-terminated */
	const char *wdir; /* -wdir/--wdir of its section, else of the first section; NULL: cmpirun's cwd */
};

struct cmpi_options {
	long nranks;     /* sum of the apps' -n; 0 = none given, decided by the planner */
	long npernode;   /* -N/--npernode/-ppn; 0 = not given */
	long nagents;    /* --agents; 0 = not given */
	struct cmpi_host *hosts; /* -H and --hostfile, merged, in order of first appearance */
	size_t nhosts;
	char **env;      /* NULL-terminated malloc'd "KEY=VALUE": -x, -genv, --mca (OMPI_MCA_k=v), in order */
	enum cmpi_map_by map_by; /* --map-by; CMPI_MAP_DEFAULT when not given */
	long pe;                 /* --map-by X:PE=n; 1 when not given */
	enum cmpi_bind_to bind_to; /* --bind-to; CMPI_BIND_DEFAULT when not given */
	bool bind_overload;      /* --bind-to X:overload-allowed */
	bool report_bindings;
	bool oversubscribe;
	bool tag_output;         /* --tag-output: Open MPI's "[1,R]<stdout>:" */
	bool label;              /* -l/--label: MPICH's "[R] " */
	const char *output_dir;  /* --output-filename DIR */
	long timeout_s;  /* 0 = none */
	long tree_fanout; /* --tree-fanout: children per agent in the allgather tree; 0: the
			   * star; -1 (not given): chosen by the number of agents */
	bool verbose;
	bool dry_run;
	bool pmi_port;      /* --pmi-port: PMI-1 also on a loopback TCP port */
	const char *image;  /* --image: agents in containers of it; NULL: on this host */
	const char *engine; /* --engine URL; NULL: $DOCKER_HOST or the default socket */
	const char **host_engines; /* --engine NAME=URL, in argv; applied to hosts once all are read */
	size_t nhost_engines;
	const char **stage; /* --stage PATH, in argv */
	size_t nstage;
	const char *launcher_addr; /* --launcher-addr: where agents reach cmpirun; NULL: chosen */
	bool slurm;         /* the hosts are the Slurm allocation's, and srun starts the agents */
	bool pull;
	bool cleanup;
	bool report_timing;
	const char *report_json;
	struct cmpi_app *apps; /* at least one when the result is RUN and !cleanup */
	size_t napps;
};

enum cmpi_options_result {
	CMPI_OPTIONS_RUN,
	CMPI_OPTIONS_HELP,
	CMPI_OPTIONS_VERSION,
	CMPI_OPTIONS_ERROR, /* err holds one line saying why */
};

/* Parses; on every result, cmpi_options_free releases what it allocated. */
enum cmpi_options_result cmpi_options_parse(int argc, char **argv, struct cmpi_options *opt,
					    char *err, size_t errlen);
void cmpi_options_free(struct cmpi_options *opt);
void cmpi_options_help(FILE *out);

#endif
