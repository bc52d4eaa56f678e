/* job.h - run one job from the launcher's side and return cmpirun's exit status. */
#ifndef CMPI_JOB_H
#define CMPI_JOB_H

#include "options.h"

/* Exit statuses of the launcher itself (rank statuses pass through). */
#define JOB_EXIT_ERROR 1
#define JOB_EXIT_USAGE 2
#define JOB_EXIT_TIMEOUT 124
#define JOB_EXIT_CANNOT_EXECUTE 127

/* Grace between the first failing rank and killing the others. */
#define JOB_KILL_GRACE_MS 1000
/* After SIGTERM, ranks still alive this long later get SIGKILL. */
#define JOB_TERM_ESCALATE_MS 3000
#define JOB_CONNECT_TIMEOUT_S 30
/* Without --tree-fanout: the star up to this many agents, a tree of this fanout
 * above. Measured (benchmarks/RESULTS.md, "Star or tree"): above 64 agents the
 * tree's fences are as fast or faster and the launcher's CPU a fraction; up to
 * 64 the star's are as fast or faster. 8 rather than 2: fewer levels, for the
 * same time here. */
#define JOB_TREE_AUTO_AGENTS 64
#define JOB_TREE_AUTO_FANOUT 8

struct plan;

/* Runs the planned job to its end; returns cmpirun's exit status. */
int job_run(const struct cmpi_options *opt, const struct plan *plan);

#endif
