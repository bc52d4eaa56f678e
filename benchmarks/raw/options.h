/* options.h - rawbench's command line, parsed and checked without touching anything else. */
#ifndef RAWBENCH_OPTIONS_H
#define RAWBENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define RAWBENCH_MAX_ITERS 10000000ull /* every latency sample is kept: 80 MB at most */
#define RAWBENCH_MAX_SECONDS 600.0

enum rawbench_role {
	ROLE_SERVER = 1,
	ROLE_CLIENT = 2,
};

struct rawbench_options {
	enum rawbench_role role;
	const char *address; /* server: -a, dotted IPv4 (127.0.0.1 unless told) */
	uint16_t port;	     /* server: -p (0: any free one); client: PORT */
	const char *host;    /* client: HOST */
	enum wire_test test;
	uint32_t min_size, max_size; /* -m [MIN:]MAX; 1..WIRE_MAX_SIZE */
	uint64_t iters;		     /* -i; 0: by size, as OSU (see rawbench_iters) */
	double seconds;		     /* -t: each bandwidth row runs this long */
	bool full;		     /* -f: every latency figure, and the message rate */
	const char *device;	     /* -d: the RDMA device (NULL: the first) */
	int ib_port;		     /* -P: its port, 1 unless told */
	int gid_index;		     /* -g: GID index (-1: none on InfiniBand, 0 on RoCE) */
};

/* argv[0] is the program, argv[1] the role. 0 with o filled; -1 with a one-line reason in err
 * (a usage error). Resets getopt, so it can be called more than once. */
int rawbench_options_parse(int argc, char **argv, struct rawbench_options *o, char *err,
			   size_t errlen);

/* The latency test's iterations for a size: -i, or OSU's 10000 (1000 above 8 KiB). */
uint64_t rawbench_iters(const struct rawbench_options *o, uint32_t size);

const char *rawbench_test_name(enum wire_test test);

#endif
