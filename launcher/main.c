/* main.c - cmpirun: parse the command line, plan the job, and run it (or print the plan). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmpi/util.h"
#include "dryrun.h"
#include "job.h"
#include "options.h"
#include "plan.h"
#include "slurm.h"

static const char usage_line[] = "Usage: cmpirun [options] program [args...]  (see cmpirun --help)\n";

/* Ranks run on this machine, or with --image on hosts reached through their
 * engines; there is no ssh to reach any other. */
static int check_hosts(const struct cmpi_options *opt, const struct plan *plan,
		       const char *hostname)
{
	for (long i = 0; plan->hosts_given && !opt->slurm && i < plan->nnodes; i++) {
		const struct plan_node *n = &plan->nodes[i];
		if (n->engine && !opt->image) {
			cmpi_error("host '%s' has an engine (%s): running there needs --image",
				   n->name, n->engine);
			return -1;
		}
		if (!n->engine && !plan_is_this_machine(n->name, hostname)) {
			cmpi_error("host '%s' is not this machine (%s) and has no engine: cmpirun "
				   "uses no ssh; with --image, give the host's engine (engine=URL "
				   "in the hostfile, or --engine %s=URL)",
				   n->name, hostname, n->name);
			return -1;
		}
	}
	return 0;
}

static int run(int argc, char **argv, struct cmpi_options *opt)
{
	char err[256], host[256] = "localhost";
	struct plan plan;

	switch (cmpi_options_parse(argc, argv, opt, err, sizeof err)) {
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
	cmpi_set_verbose(opt->verbose);
	if (opt->cleanup)
		return cleanup_engines(opt);
	gethostname(host, sizeof host - 1);
	/* Inside a Slurm allocation, its nodes are the hosts unless the line names some. */
	if (!opt->nhosts && !opt->nagents && slurm_in_allocation()) {
		/* With --image, each node's cmpi-container uses that node's engine and
		 * sees the directories srun's tasks see; cmpirun reaches no engine. */
		const char *refused = NULL;
		if (opt->image && opt->nstage)
			refused = "--stage";
		else if (opt->image && opt->nhost_engines)
			refused = "--engine HOST=URL";
		else if (opt->image && opt->engine && strncmp(opt->engine, "unix://", 7) != 0)
			refused = "--engine with a tcp:// URL";
		if (refused) {
			cmpi_error("%s is not supported inside a Slurm allocation: each node's "
				   "agent starts in a container on that node's engine, and sees "
				   "the directories srun's tasks see",
				   refused);
			return JOB_EXIT_USAGE;
		}
		if (slurm_hosts(&opt->hosts, &opt->nhosts, err, sizeof err) < 0) {
			cmpi_error("%s", err);
			return JOB_EXIT_ERROR;
		}
		opt->slurm = true;
	}
	if (plan_make(opt, host, sysconf(_SC_NPROCESSORS_ONLN), &plan, err, sizeof err) < 0) {
		cmpi_error("%s", err);
		fprintf(stderr, "%s", usage_line);
		return JOB_EXIT_USAGE;
	}
	int rc;
	if (opt->dry_run)
		rc = dryrun_print(opt, &plan, host, stdout) == 0 ? 0 : JOB_EXIT_ERROR;
	else if (check_hosts(opt, &plan, host) < 0)
		rc = JOB_EXIT_ERROR;
	else
		rc = job_run(opt, &plan);
	plan_free(&plan);
	return rc;
}

int main(int argc, char **argv)
{
	struct cmpi_options opt;

	cmpi_set_progname("cmpirun");
	/* A closed stdin, stdout or stderr would be reused by the next open (our
	 * event loop's epoll fd, say) and output would go there. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return JOB_EXIT_ERROR;
	int rc = run(argc, argv, &opt);
	cmpi_options_free(&opt);
	return rc;
}
