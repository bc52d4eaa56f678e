/* main.c - cmpirun: parse the command line and run the job. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmpi/util.h"
#include "job.h"
#include "options.h"

static const char usage_line[] = "Usage: cmpirun [options] program [args...]  (see cmpirun --help)\n";

int main(int argc, char **argv)
{
	struct cmpi_options opt;
	char err[256];

	cmpi_set_progname("cmpirun");
	/* A closed stdin, stdout or stderr would be reused by the next open (our
	 * event loop's epoll fd, say) and output would go there. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return JOB_EXIT_ERROR;
	switch (cmpi_options_parse(argc, argv, &opt, err, sizeof err)) {
	case CMPI_OPTIONS_HELP:
		cmpi_options_help(stdout);
		return 0;
	case CMPI_OPTIONS_VERSION:
		printf("cmpirun %s\n", CMPI_VERSION);
		return 0;
	case CMPI_OPTIONS_ERROR:
		cmpi_error("%s", err);
		fprintf(stderr, "%s", usage_line);
		return JOB_EXIT_USAGE;
	case CMPI_OPTIONS_RUN:
		break;
	}
	if (opt.cleanup)
		return cleanup_run(opt.engine);
	if (opt.nranks == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		opt.nranks = cpus > 0 ? cpus : 1;
		if (opt.nagents > opt.nranks) {
			cmpi_error("--agents %ld is more than the %ld ranks (one per CPU); give -n",
				   opt.nagents, opt.nranks);
			fprintf(stderr, "%s", usage_line);
			return JOB_EXIT_USAGE;
		}
	}
	cmpi_set_verbose(opt.verbose);
	return job_run(&opt);
}
