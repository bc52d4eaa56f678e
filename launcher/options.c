/* options.c - parse cmpirun's command line (getopt_long_only, so -np works as with mpirun). */
#include "options.h"

#include <getopt.h>
#include <string.h>

#include "cmpi/util.h"

enum {
	OPT_AGENTS = 256,
	OPT_TAG_OUTPUT,
	OPT_TIMEOUT,
	OPT_IMAGE,
	OPT_ENGINE,
	OPT_PULL,
	OPT_CLEANUP,
	OPT_REPORT_TIMING,
	OPT_REPORT_JSON,
};

static const struct option long_options[] = {
	{"np", required_argument, NULL, 'n'},
	{"agents", required_argument, NULL, OPT_AGENTS},
	{"tag-output", no_argument, NULL, OPT_TAG_OUTPUT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"image", required_argument, NULL, OPT_IMAGE},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"pull", no_argument, NULL, OPT_PULL},
	{"cleanup", no_argument, NULL, OPT_CLEANUP},
	{"report-timing", no_argument, NULL, OPT_REPORT_TIMING},
	{"report-json", required_argument, NULL, OPT_REPORT_JSON},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

void cmpi_options_help(FILE *out)
{
	fprintf(out,
		"Usage: cmpirun [options] program [args...]\n"
		"\n"
		"Start the ranks of a parallel program without ssh, hostfiles or keys.\n"
		"\n"
		"Options:\n"
		"  -n, -np N        number of ranks (default: one per online CPU)\n"
		"      --agents K   start K agents on this host, each owning a block of\n"
		"                   the ranks and acting as its own node (default 1)\n"
		"      --tag-output prefix every output line with [rank]\n"
		"      --timeout S  kill the job after S seconds\n"
		"      --image IMG  run the agents and ranks in containers of IMG (one per\n"
		"                   agent) through the Docker Engine API\n"
		"      --engine URL the engine: unix:///PATH or tcp://HOST:PORT (default:\n"
		"                   $DOCKER_HOST, else unix:///var/run/docker.sock); over\n"
		"                   tcp:// TLS follows DOCKER_TLS_VERIFY and DOCKER_CERT_PATH,\n"
		"                   and the engine is taken to be on another host: the\n"
		"                   program must be in the image, nothing is mounted\n"
		"      --pull       pull the image from its registry when the engine does\n"
		"                   not have it (without it, a missing image is an error)\n"
		"      --cleanup    remove the containers of jobs whose cmpirun is gone\n"
		"                   (killed with SIGKILL, say), then exit\n"
		"      --report-timing  at the end, print on stderr when each phase was\n"
		"                   reached: setup, agents started (engine calls) and\n"
		"                   connected, ranks forked, ranks in MPI_Init, first fence\n"
		"                   (with 2 or more agents), ranks exited, cleaned up\n"
		"      --report-json FILE  write those phases and every rank's start, MPI_Init\n"
		"                   and exit times and its exit status to FILE as JSON\n"
		"  -v, --verbose    print launch phases with timestamps on stderr\n"
		"  -h, --help       show this help\n"
		"  -V, --version    show the version\n"
		"\n"
		"Every rank gets CMPI_RANK, CMPI_SIZE, CMPI_LOCAL_RANK, CMPI_LOCAL_SIZE,\n"
		"CMPI_NODE and CMPI_JOBID in its environment. Standard input goes to\n"
		"rank 0; the other ranks read /dev/null.\n"
		"\n"
		"Exit status: 0 when every rank exits 0; otherwise the first failing\n"
		"rank's status, 128+N for a rank killed by signal N, 124 after --timeout,\n"
		"127 when the program cannot be executed, 130 or 143 after SIGINT or\n"
		"SIGTERM, 2 for a usage error, 1 for any other launcher error.\n");
}

static int parse_count(const char *what, const char *arg, long max, long *out, char *err,
		       size_t errlen)
{
	if (cmpi_parse_long(arg, 1, max, out) < 0) {
		snprintf(err, errlen, "%s must be a whole number from 1 to %ld, not '%s'", what,
			 max, arg);
		return -1;
	}
	return 0;
}

enum cmpi_options_result cmpi_options_parse(int argc, char **argv, struct cmpi_options *opt,
					    char *err, size_t errlen)
{
	memset(opt, 0, sizeof *opt);
	opt->nagents = 1;
	opterr = 0;
	optind = 0; /* glibc: full reinitialisation, so the parser can run more than once */

	/* '+': stop at the program name, its own options are not ours. */
	int c;
	while ((c = getopt_long_only(argc, argv, "+:n:vhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_count("-n", optarg, CMPI_MAX_RANKS, &opt->nranks, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_AGENTS:
			if (parse_count("--agents", optarg, CMPI_MAX_RANKS, &opt->nagents, err,
					errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_TAG_OUTPUT:
			opt->tag_output = true;
			break;
		case OPT_TIMEOUT:
			if (parse_count("--timeout", optarg, 100L * 365 * 86400, &opt->timeout_s,
					err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_IMAGE:
			opt->image = optarg;
			break;
		case OPT_ENGINE:
			opt->engine = optarg;
			break;
		case OPT_PULL:
			opt->pull = true;
			break;
		case OPT_CLEANUP:
			opt->cleanup = true;
			break;
		case OPT_REPORT_TIMING:
			opt->report_timing = true;
			break;
		case OPT_REPORT_JSON:
			opt->report_json = optarg;
			break;
		case 'v':
			opt->verbose = true;
			break;
		case 'h':
			return CMPI_OPTIONS_HELP;
		case 'V':
			return CMPI_OPTIONS_VERSION;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return CMPI_OPTIONS_ERROR;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return CMPI_OPTIONS_ERROR;
		}
	}
	if (opt->cleanup) {
		if (optind < argc) {
			snprintf(err, errlen, "--cleanup runs no program");
			return CMPI_OPTIONS_ERROR;
		}
		if (opt->report_timing || opt->report_json) {
			snprintf(err, errlen, "--cleanup runs no job to report on");
			return CMPI_OPTIONS_ERROR;
		}
		return CMPI_OPTIONS_RUN;
	}
	if (optind >= argc) {
		snprintf(err, errlen, "no program given");
		return CMPI_OPTIONS_ERROR;
	}
	if ((opt->pull || opt->engine) && !opt->image) {
		snprintf(err, errlen, "%s needs --image", opt->pull ? "--pull" : "--engine");
		return CMPI_OPTIONS_ERROR;
	}
	if (opt->nranks && opt->nagents > opt->nranks) {
		snprintf(err, errlen, "--agents %ld is more than the %ld ranks", opt->nagents,
			 opt->nranks);
		return CMPI_OPTIONS_ERROR;
	}
	opt->argv = argv + optind;
	return CMPI_OPTIONS_RUN;
}
