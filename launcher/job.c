/* job.c - one job from the launcher's side: agents, rank exits, the exit status, kills,
 * signals, --timeout and stdin for rank 0. */
#define _GNU_SOURCE
#include "job.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmpi/msg.h"
#include "cmpi/pack.h"
#include "cmpi/util.h"
#include "control.h"
#include "docker.h"
#include "output.h"
#include "plan.h"
#include "pull.h"
#include "runtime.h"
#include "stage.h"
#include "stdin_forward.h"
#include "timing.h"
#include "wireup.h"


struct agent_slot {
	long node;
	struct control_conn *conn;
	long nranks, exited;
	const uint32_t *ranks; /* [nranks], the plan's */
	bool connected;
	bool done; /* said BYE, or was lost */
};

struct job {
	struct event_base *base;
	const struct cmpi_options *opt;
	const struct plan *plan;
	long nranks, nagents;
	char jobid[17];
	uint8_t token[CMPI_TOKEN_SIZE];
	char *cwd;
	char *stage_tar; /* --stage's archive, or NULL */
	struct control_server *server;
	struct runtime *runtime;
	struct output *output;
	struct agent_slot *agents;
	char **node_names;     /* [nagents]: host names in the MPI maps */
	struct cmpi_msg_app *apps; /* [opt->napps]: the programs, as JOB carries them */
	char **rank_env;       /* KEY=VALUE for every rank, on top of the agents' environment */
	struct wireup *wireup;
	struct timing *timing;
	bool *rank_exited; /* [rank]: its EXIT came; a second one is a protocol error */
	long agents_done;
	bool decided;     /* the exit status is fixed: the first cause wins */
	bool terminating; /* SIGTERM went to every rank, SIGKILL follows */
	int exit_code;
	int sigints;
	struct event *ev_sigint, *ev_sigterm, *ev_timeout, *ev_grace, *ev_connect;
	struct stdin_forward *stdin; /* our stdin to rank 0, or NULL */
};

static void kill_all(struct job *job, int sig, unsigned escalate_ms)
{
	struct cmpi_msg_kill m = {.signal = (uint32_t)sig, .escalate_ms = escalate_ms};
	for (long i = 0; i < job->nagents; i++)
		if (job->agents[i].conn && !job->agents[i].done)
			cmpi_msg_kill_write(control_conn_output(job->agents[i].conn), &m);
}

/* Fixes the exit status unless an earlier cause did; true if this call did. */
static bool decide(struct job *job, int code)
{
	if (job->decided)
		return false;
	job->decided = true;
	job->exit_code = code;
	return true;
}

/* The job is being killed: a reader of our output that does not keep up (or
 * is stuck) must not keep us from seeing the ranks end. */
static void stop_waiting_for_our_reader(struct job *job)
{
	output_discard_excess(job->output);
}

static void agent_done(struct job *job, struct agent_slot *slot);

/* SIGTERM to every rank, SIGKILL to what is left a little later; once. */
static void terminate(struct job *job)
{
	if (job->terminating)
		return;
	job->terminating = true;
	stop_waiting_for_our_reader(job);
	if (job->ev_grace)
		evtimer_del(job->ev_grace);
	kill_all(job, SIGTERM, JOB_TERM_ESCALATE_MS);
	/* An agent that has not connected has no ranks and cannot be told: it is
	 * not waited for (until the connect timeout, say). The runtime's finish
	 * ends its process or removes its container. */
	for (long i = 0; i < job->nagents; i++) {
		if (!job->agents[i].connected) {
			job->agents[i].connected = true;
			agent_done(job, &job->agents[i]);
		}
	}
}

/* The first failure decides the exit status and says why in one line; later
 * ones are consequences and stay quiet. Every failure ends the job, even one
 * after a forwarded SIGINT: the other ranks are killed after grace_ms, so
 * ranks that are failing anyway (MPI_Abort) can go first. */
__attribute__((format(printf, 4, 5))) static void job_fail(struct job *job, int code,
							   int grace_ms, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (decide(job, code)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		cmpi_error("%s", msg);
	}
	if (grace_ms == 0) {
		terminate(job);
	} else if (!job->terminating && !evtimer_pending(job->ev_grace, NULL)) {
		struct timeval tv = {grace_ms / 1000, (grace_ms % 1000) * 1000};
		evtimer_add(job->ev_grace, &tv);
	}
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	terminate(arg);
}

static void check_finished(struct job *job)
{
	if (job->agents_done == job->nagents)
		event_base_loopexit(job->base, NULL);
}

static void agent_done(struct job *job, struct agent_slot *slot)
{
	if (slot->done)
		return;
	slot->done = true;
	job->agents_done++;
	check_finished(job);
}

static void agent_lost(struct job *job, struct agent_slot *slot, const char *why)
{
	if (slot->done)
		return;
	/* With hosts given, their names say where to look. */
	const char *host = job->plan->hosts_given ? job->plan->nodes[slot->node].name : NULL;
	job_fail(job, JOB_EXIT_ERROR, 0, "lost the agent of node %ld%s%s%s: %s", slot->node,
		 host ? " (" : "", host ? host : "", host ? ")" : "", why);
	agent_done(job, slot);
	if (job->wireup)
		wireup_agent_lost(job->wireup, slot->node);
}

/* ---- stdin: the launcher's standard input goes to rank 0 ---- */

static struct evbuffer *rank0_output(void *ctx)
{
	struct job *job = ctx;
	struct agent_slot *slot = &job->agents[job->plan->rank_node[0]];
	return slot->conn && !slot->done ? control_conn_output(slot->conn) : NULL;
}

static void stdin_stop(struct job *job)
{
	stdin_forward_stop(job->stdin);
	job->stdin = NULL;
}

/* ---- control callbacks ---- */

static bool runs_rank(const struct job *job, const struct agent_slot *slot, uint32_t rank)
{
	return rank < (uint32_t)job->nranks && (long)job->plan->rank_node[rank] == slot->node;
}

static const struct cmpi_msg_app *app_of_rank(const struct job *job, long rank)
{
	size_t i = 0;
	while (i + 1 < job->opt->napps && rank >= (long)job->apps[i + 1].first_rank)
		i++;
	return &job->apps[i];
}

static int on_hello(void *ctx, struct control_conn *conn, const struct cmpi_msg_hello *m)
{
	struct job *job = ctx;
	if (m->node >= (uint32_t)job->nagents || job->agents[m->node].connected)
		return -1;
	struct agent_slot *slot = &job->agents[m->node];
	slot->connected = true;
	if (job->decided) {
		/* Too late to start ranks: the closed connection tells the agent to go. */
		agent_done(job, slot);
		return -1;
	}
	cmpi_debug("agent %ld connected (pid %u)", slot->node, m->pid);

	const struct cmpi_options *opt = job->opt;
	bool stdin_here = slot->node == (long)job->plan->rank_node[0];
	struct cmpi_msg_job msg = {
		.jobid = job->jobid,
		.size = (uint32_t)job->nranks,
		.node = (uint32_t)slot->node,
		.nnodes = (uint32_t)job->nagents,
		.flags = (stdin_here ? CMPI_JOB_STDIN_TO_RANK0 : 0) |
			 (opt->pmi_port ? CMPI_JOB_PMI_PORT : 0) |
			 (wireup_uses_tree(job->wireup, slot->node) ? CMPI_JOB_TREE : 0),
		.env = job->rank_env,
		.node_names = job->node_names,
		.napps = (uint32_t)opt->napps,
		.apps = job->apps,
		.rank_node = job->plan->rank_node,
		.placement = {
			.map_by = (uint8_t)opt->map_by,
			.bind_to = (uint8_t)opt->bind_to,
			.overload = opt->bind_overload,
			.report = opt->report_bindings,
			.pe = (uint32_t)opt->pe,
			.first_slot = (uint32_t)job->plan->nodes[slot->node].first_slot,
		},
	};
	if (cmpi_msg_job_write(control_conn_output(conn), &msg) < 0) {
		agent_lost(job, slot, "cannot send it the job");
		return -1;
	}
	slot->conn = conn;
	control_conn_set_data(conn, slot);
	if (stdin_here)
		job->stdin = stdin_forward_start(job->base, rank0_output, job);
	bool all = true;
	for (long i = 0; i < job->nagents; i++)
		all = all && job->agents[i].connected;
	if (all) {
		cmpi_debug("all %ld agents connected", job->nagents);
		timing_phase(job->timing, TIMING_AGENTS_CONNECTED);
		evtimer_del(job->ev_connect);
	}
	return 0;
}

static const char *exit_how_name(unsigned how)
{
	switch (how) {
	case CMPI_EXIT_EXITED:
		return "exited";
	case CMPI_EXIT_SIGNALED:
		return "signaled";
	case CMPI_EXIT_EXEC_FAILED:
		return "exec failed";
	case CMPI_EXIT_CHDIR_FAILED:
		return "chdir failed";
	case CMPI_EXIT_SPAWN_FAILED:
		return "spawn failed";
	case CMPI_EXIT_WIREUP_FAILED:
		return "wire-up failed";
	case CMPI_EXIT_BIND_FAILED:
		return "binding failed";
	case CMPI_EXIT_REFUSED:
		return "refused";
	}
	return "?";
}

static void rank_exited(struct job *job, struct agent_slot *slot, const struct cmpi_msg_exit *m)
{
	long rank = m->rank;
	const struct cmpi_msg_app *app = app_of_rank(job, rank);

	output_flush_rank(job->output, rank);
	slot->exited++;
	if (rank == 0)
		stdin_stop(job);
	cmpi_debug("rank %ld exited (how %u, code %u)", rank, m->how, m->code);
	timing_rank_exited(job->timing, rank, exit_how_name(m->how), m->code);
	switch (m->how) {
	case CMPI_EXIT_EXITED:
		if (m->code == 0)
			wireup_rank_exited(job->wireup, rank);
		else
			job_fail(job, m->code & 0xff, JOB_KILL_GRACE_MS,
				 "rank %ld on node %ld (pid %u) exited with status %u", rank,
				 slot->node, m->pid, m->code);
		break;
	case CMPI_EXIT_SIGNALED:
		job_fail(job, 128 + (int)(m->code & 0x7f), JOB_KILL_GRACE_MS,
			 "rank %ld on node %ld (pid %u) killed by signal %u (%s)", rank, slot->node,
			 m->pid, m->code, strsignal((int)m->code));
		break;
	case CMPI_EXIT_EXEC_FAILED:
		job_fail(job, JOB_EXIT_CANNOT_EXECUTE, 0, "cannot execute '%s': %s", app->argv[0],
			 strerror((int)m->code));
		break;
	case CMPI_EXIT_SPAWN_FAILED:
		job_fail(job, JOB_EXIT_ERROR, 0, "rank %ld on node %ld could not be started: %s",
			 rank, slot->node, strerror((int)m->code));
		break;
	case CMPI_EXIT_WIREUP_FAILED:
		job_fail(job, JOB_EXIT_ERROR, 0,
			 "rank %ld on node %ld could not be started: its agent could not set up PMIx and PMI-1 for it (%s)",
			 rank, slot->node, strerror((int)m->code));
		break;
	case CMPI_EXIT_CHDIR_FAILED:
		job_fail(job, JOB_EXIT_ERROR, 0, "rank %ld on node %ld cannot enter '%s': %s",
			 rank, slot->node, app->cwd[0] ? app->cwd : "its directory",
			 strerror((int)m->code));
		break;
	case CMPI_EXIT_REFUSED:
		/* The agent's line said why; one line is enough. */
		decide(job, JOB_EXIT_ERROR);
		terminate(job);
		break;
	case CMPI_EXIT_BIND_FAILED:
		job_fail(job, JOB_EXIT_ERROR, 0,
			 "rank %ld on node %ld could not be bound to its cores (--bind-to): %s",
			 rank, slot->node, strerror((int)m->code));
		break;
	}
}

static void protocol_error(struct job *job, struct agent_slot *slot, struct control_conn *conn,
			   const char *what)
{
	control_conn_close(conn);
	slot->conn = NULL;
	agent_lost(job, slot, what);
}

static void on_frame(void *ctx, struct control_conn *conn, const struct cmpi_frame_header *hdr,
		     const uint8_t *payload)
{
	struct job *job = ctx;
	struct agent_slot *slot = control_conn_data(conn);
	struct cmpi_msg_stdio io;
	struct cmpi_msg_exit ex;
	struct cmpi_msg_stdin_ack ack;
	const char *bad = NULL;

	if (wireup_handles(hdr->type)) {
		if (wireup_frame(job->wireup, slot->node, hdr, payload) < 0)
			protocol_error(job, slot, conn, "bad wire-up message");
		return;
	}
	switch (hdr->type) {
	case CMPI_MSG_STDIO:
		if (cmpi_msg_stdio_read(payload, hdr->length, &io) < 0 || !runs_rank(job, slot, io.rank))
			bad = "bad STDIO message";
		else
			output_write(job->output, io.rank, io.stream, io.data, io.len);
		break;
	case CMPI_MSG_EXIT:
		if (cmpi_msg_exit_read(payload, hdr->length, &ex) < 0 || !runs_rank(job, slot, ex.rank) ||
		    job->rank_exited[ex.rank]) {
			bad = "bad EXIT message";
			break;
		}
		job->rank_exited[ex.rank] = true;
		rank_exited(job, slot, &ex);
		break;
	case CMPI_MSG_STDIN_ACK:
		if (!runs_rank(job, slot, 0) || cmpi_msg_stdin_ack_read(payload, hdr->length, &ack) < 0)
			bad = "bad STDIN_ACK message";
		else
			stdin_forward_acked(job->stdin, &ack);
		break;
	case CMPI_MSG_LOG:
		if (hdr->length == 0 || hdr->length > CMPI_LOG_MAX || payload[hdr->length - 1] != '\n')
			bad = "bad LOG message";
		else
			output_message(job->output, (const char *)payload, hdr->length);
		break;
	case CMPI_MSG_STARTED:
		if (hdr->length != 0)
			bad = "bad STARTED message";
		else
			timing_ranks_started(job->timing, slot->node, slot->ranks, slot->nranks);
		break;
	case CMPI_MSG_BYE:
		cmpi_debug("agent %ld finished", slot->node);
		control_conn_close(conn); /* the agent exits when it sees us close */
		slot->conn = NULL;
		if (slot->exited < slot->nranks)
			agent_lost(job, slot, "it finished before all its ranks did");
		agent_done(job, slot);
		break;
	default:
		bad = "unexpected message";
	}
	if (bad)
		protocol_error(job, slot, conn, bad);
}

static void on_closed(void *ctx, struct control_conn *conn, const char *why)
{
	struct job *job = ctx;
	struct agent_slot *slot = control_conn_data(conn);
	slot->conn = NULL;
	agent_lost(job, slot, why);
}

static const struct control_ops control_ops = {
	.hello = on_hello,
	.frame = on_frame,
	.closed = on_closed,
};

/* ---- wire-up callbacks ---- */

static struct evbuffer *wireup_agent_output(void *ctx, long node)
{
	struct job *job = ctx;
	struct agent_slot *slot = &job->agents[node];
	return slot->conn && !slot->done ? control_conn_output(slot->conn) : NULL;
}

static void wireup_fail(void *ctx, int code, const char *msg)
{
	job_fail(ctx, code, 0, "%s", msg);
}

static void wireup_rank_in_mpi(void *ctx, long rank)
{
	struct job *job = ctx;
	timing_rank_in_mpi(job->timing, rank);
}

static void wireup_fence_done(void *ctx)
{
	struct job *job = ctx;
	timing_phase(job->timing, TIMING_FIRST_FENCE);
}

static const struct wireup_ops wireup_ops = {
	.agent_output = wireup_agent_output,
	.fail = wireup_fail,
	.rank_in_mpi = wireup_rank_in_mpi,
	.fence_done = wireup_fence_done,
};

/* ---- runtime, signals, timers ---- */

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void on_agent_exited(void *ctx, long node, int status)
{
	struct job *job = ctx;
	struct agent_slot *slot = &job->agents[node];
	char why[128], how[96];

	/* A connected agent's end is seen on its connection, after its last frames. */
	if (slot->connected)
		return;
	describe_status(status, how, sizeof how);
	snprintf(why, sizeof why, "it %s before connecting", how);
	slot->connected = true;
	agent_lost(job, slot, why);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	(void)fd;
	(void)what;
	for (long i = 0; i < job->nagents; i++) {
		if (!job->agents[i].connected) {
			job->agents[i].connected = true;
			agent_lost(job, &job->agents[i], "it did not connect in time");
		}
	}
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	(void)fd;
	(void)what;
	/* Said even when an earlier cause decided the status: it explains the kill. */
	cmpi_error("job exceeded --timeout %ld s; killing its ranks", job->opt->timeout_s);
	decide(job, JOB_EXIT_TIMEOUT);
	terminate(job);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct job *job = arg;
	(void)what;
	if (sig == SIGINT && ++job->sigints > 1) {
		cmpi_error("interrupted again; killing the ranks");
		kill_all(job, SIGKILL, 0);
		return;
	}
	decide(job, 128 + (int)sig);
	stop_waiting_for_our_reader(job);
	cmpi_error("caught SIG%s; forwarding it to the ranks%s", sigabbrev_np((int)sig),
		   sig == SIGINT ? " (Ctrl-C again to kill them)" : "");
	if (sig == SIGTERM)
		terminate(job);
	else
		kill_all(job, (int)sig, 0);
}

/* Our stdout or stderr is slow: stop reading agents, which stop reading
 * their ranks, which block in write. */
static void on_output_backlog(void *ctx, bool over)
{
	struct job *job = ctx;
	cmpi_debug("output backlog %s", over ? "high: pausing agents" : "low: resuming agents");
	if (job->server)
		control_server_pause_reads(job->server, over);
}

static void on_message(void *ctx, const char *line, size_t len)
{
	struct job *job = ctx;
	output_message(job->output, line, len);
}

/* ---- setup and teardown ---- */

static struct runtime *local_runtime(struct job *job)
{
	char *agent_path = runtime_find_agent();
	if (!agent_path || access(agent_path, X_OK) < 0) {
		cmpi_error("cannot find the agent program %s (set CMPI_AGENT)",
			   agent_path ? agent_path : "cmpi-agent");
		free(agent_path);
		return NULL;
	}
	struct runtime *rt = runtime_local_create(job->base, agent_path, job->jobid,
						  job->nagents, on_agent_exited, job);
	free(agent_path);
	if (!rt)
		cmpi_error("cannot set up the job: %s", strerror(errno));
	return rt;
}

/* srun starts the agents on the allocation's nodes, the same agent program as
 * here (installed alike on every node, as mpirun expects of its own daemons);
 * with --image, cmpi-container, which starts each node's agent in a container
 * on that node's engine (--engine URL names it, else the node's default). */
static struct runtime *slurm_runtime(struct job *job)
{
	char host[256] = "localhost";
	bool here = true;
	const struct cmpi_options *opt = job->opt;
	char *path = opt->image ? runtime_find_container() : runtime_find_agent();
	if (!path || access(path, X_OK) < 0) {
		if (opt->image)
			cmpi_error("cannot find the container starter program %s (set "
				   "CMPI_CONTAINER)",
				   path ? path : "cmpi-container");
		else
			cmpi_error("cannot find the agent program %s (set CMPI_AGENT)",
				   path ? path : "cmpi-agent");
		free(path);
		return NULL;
	}
	/* The program and its first arguments: the agent takes none. */
	char *program[10] = {path};
	size_t n = 1;
	if (opt->image) {
		program[n++] = "--image";
		program[n++] = (char *)opt->image;
		program[n++] = "--job";
		program[n++] = job->jobid;
		if (opt->pull)
			program[n++] = "--pull";
		if (opt->engine) {
			program[n++] = "--engine";
			program[n++] = (char *)opt->engine;
		}
	}
	/* The plan's nodes only: those without ranks are left out. */
	size_t len = 1;
	for (long i = 0; i < job->nagents; i++)
		len += strlen(job->plan->nodes[i].name) + 1;
	char *nodelist = calloc(1, len);
	if (!nodelist) {
		cmpi_error("cannot set up the job: out of memory");
		free(path);
		return NULL;
	}
	gethostname(host, sizeof host - 1);
	for (long i = 0; i < job->nagents; i++) {
		here &= plan_is_this_machine(job->plan->nodes[i].name, host);
		strcat(strcat(nodelist, i ? "," : ""), job->plan->nodes[i].name);
	}
	struct runtime *rt = runtime_slurm_create(job->base, program, job->jobid, nodelist,
						  job->nagents, opt->launcher_addr, here,
						  on_agent_exited, job);
	free(nodelist);
	free(path);
	return rt;
}

/* One engine's share of the job, nodes[0..n), reached with its TLS files in
 * certs (NULL: $DOCKER_CERT_PATH): the engine must answer and have
 * the image, which is said before anything starts anywhere. A registry is asked
 * for a missing image only with --pull. */
static struct runtime *engine_runtime(struct job *job, const char *url, const char *certs,
				      const struct docker_job *dj, const long *nodes, long n)
{
	struct docker_error err;
	struct docker *engine = docker_connect_certs(url, certs, &err);
	int have = engine ? docker_image_exists(engine, job->opt->image, &err) : -1;
	struct runtime *rt = NULL;
	/* Hosts each with an engine of its own: say which host's failed. */
	char host[300] = "";
	if (url && job->plan->hosts_given)
		snprintf(host, sizeof host, "host '%s': ", job->plan->nodes[nodes[0]].name);
	if (have == 0 && job->opt->pull)
		have = pull_image(engine, job->opt->image) == 0 ? 1 : -2;
	if (have == 0)
		cmpi_error("%simage '%s' not found on the engine at %s (--pull pulls it)", host,
			   job->opt->image, docker_url(engine));
	else if (have == -1)
		cmpi_error("%s%s", host, err.message);
	else if (have == 1)
		rt = runtime_docker_create(job->base, engine, dj, nodes, n, on_agent_exited, job);
	if (!rt)
		docker_free(engine);
	return rt;
}

/* The nodes grouped by engine (the default one, --engine URL, for nodes
 * without their own), a runtime for each. */
static struct runtime *docker_runtime(struct job *job)
{
	char *bundle = runtime_find_bundle();
	if (!bundle || access(bundle, R_OK | X_OK) < 0) {
		cmpi_error("cannot find the agent bundle %s (set CMPI_AGENT_BUNDLE)",
			   bundle ? bundle : "cmpi-agent-bundle");
		free(bundle);
		return NULL;
	}
	const struct plan *plan = job->plan;
	long *nodes = calloc((size_t)job->nagents, sizeof *nodes), nmembers = 0;
	struct runtime **members = calloc((size_t)job->nagents, sizeof *members);
	bool *grouped = calloc((size_t)job->nagents, sizeof *grouped);
	struct runtime *rt = NULL;
	if (!nodes || !members || !grouped) {
		cmpi_error("cannot set up the job: out of memory");
		goto out;
	}
	if (job->opt->nstage && !(job->stage_tar = stage_pack(job->opt->stage, job->opt->nstage)))
		goto out; /* said why */
	struct docker_job dj = {.image = job->opt->image, .bundle = bundle, .cwd = job->cwd,
				.jobid = job->jobid, .stage_tar = job->stage_tar};
	for (long i = 0; i < job->nagents; i++) {
		long n = 0;
		if (grouped[i])
			continue;
		for (long j = i; j < job->nagents; j++) {
			if (plan_same_engine(plan->nodes[i].engine, plan->nodes[j].engine)) {
				grouped[j] = true;
				nodes[n++] = j;
			}
		}
		const char *url = plan->nodes[i].engine ? plan->nodes[i].engine : job->opt->engine;
		/* Hosts sharing one engine share its TLS files: the first host's. */
		if (!(members[nmembers] =
			  engine_runtime(job, url, plan->nodes[i].certs, &dj, nodes, n)))
			goto out; /* said why */
		nmembers++;
	}
	rt = nmembers == 1 ? members[0]
			   : runtime_group_create(members, nmembers, job->opt->launcher_addr);
	nmembers = 0; /* taken over */
out:
	for (long i = 0; i < nmembers; i++)
		members[i]->ops->destroy(members[i]);
	free(members);
	free(nodes);
	free(grouped);
	free(bundle);
	return rt;
}

/* The user's -x, -genv, --mca variables or cmpirun's own environment. */
static bool user_sets(const struct job *job, const char *key)
{
	size_t len = strlen(key);
	for (char **e = job->opt->env; e && *e; e++)
		if (!strncmp(*e, key, len) && (*e)[len] == '=')
			return true;
	return getenv(key) != NULL;
}

/* Local agents inherit our environment, so ranks get only what the job adds:
 * the user's -x, -genv and --mca, and, with several agents on one host,
 * loopback: every "node" is that host, and traffic between them belongs on
 * loopback, not on whatever interface the MPI library picks (Open MPI's TCP
 * BTL and UCX both skip lo unless told). A user's own choice wins. */
static int rank_env(struct job *job)
{
	static const char *const loopback[] = {"OMPI_MCA_btl_tcp_if_include=lo",
					       "UCX_NET_DEVICES=lo"};
	size_t n = 0, nuser = cmpi_strv_len(job->opt->env);
	job->rank_env = calloc(sizeof loopback / sizeof loopback[0] + nuser + 1,
			       sizeof *job->rank_env);
	if (!job->rank_env)
		return -1;
	for (size_t i = 0; i < nuser; i++)
		if (!(job->rank_env[n++] = strdup(job->opt->env[i])))
			return -1;
	bool one_host = job->nagents > 1 && job->runtime->one_host;
	for (size_t i = 0; one_host && i < sizeof loopback / sizeof loopback[0]; i++) {
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)strcspn(loopback[i], "="), loopback[i]);
		/* Open MPI refuses if_include and if_exclude together. */
		bool chosen = user_sets(job, key) || (strstr(key, "if_include") &&
						      user_sets(job, "OMPI_MCA_btl_tcp_if_exclude"));
		if (!chosen && !(job->rank_env[n++] = strdup(loopback[i])))
			return -1;
	}
	return 0;
}

/* The plan's nodes become the agents, and the programs the JOB's apps. An
 * engine on another host does not see our directories: there the image's
 * working directory is used unless -wdir names one. */
static int plan_agents(struct job *job)
{
	const struct cmpi_options *opt = job->opt;
	uint32_t first = 0;

	job->node_names = calloc((size_t)job->nagents + 1, sizeof *job->node_names);
	job->apps = calloc(opt->napps, sizeof *job->apps);
	if (!job->node_names || !job->apps)
		return -1;
	for (long i = 0; i < job->nagents; i++) {
		struct agent_slot *slot = &job->agents[i];
		slot->node = i;
		slot->nranks = job->plan->nodes[i].nranks;
		slot->ranks = job->plan->nodes[i].ranks;
		if (!(job->node_names[i] = strdup(job->plan->nodes[i].name)))
			return -1;
	}
	for (size_t i = 0; i < opt->napps; i++) {
		const struct cmpi_app *app = &opt->apps[i];
		struct cmpi_msg_app *m = &job->apps[i];
		m->first_rank = first;
		m->nranks = (uint32_t)(opt->napps == 1 ? job->nranks : app->nranks);
		m->argv = app->argv;
		m->env = app->env;
		m->cwd = app->wdir ? (char *)app->wdir
				   : job->runtime->sees_our_files ? job->cwd : "";
		first += m->nranks;
	}
	long fanout = opt->tree_fanout >= 0		 ? opt->tree_fanout
		      : job->nagents > JOB_TREE_AUTO_AGENTS ? JOB_TREE_AUTO_FANOUT
							 : 0;
	job->wireup = wireup_create(job->nagents, job->nranks, job->plan->rank_node, fanout,
				    &wireup_ops, job);
	return job->wireup && rank_env(job) == 0 ? 0 : -1;
}

static int job_setup(struct job *job)
{
	uint8_t id[8];
	char token_hex[2 * CMPI_TOKEN_SIZE + 1];

	if (cmpi_random_bytes(job->token, sizeof job->token) < 0 ||
	    cmpi_random_bytes(id, sizeof id) < 0) {
		cmpi_error("cannot get random bytes: %s", strerror(errno));
		return -1;
	}
	cmpi_hex_encode(id, sizeof id, job->jobid);
	cmpi_hex_encode(job->token, sizeof job->token, token_hex);
	job->cwd = getcwd(NULL, 0);
	if (!job->cwd) {
		cmpi_error("cannot get the current directory: %s", strerror(errno));
		return -1;
	}
	job->agents = calloc((size_t)job->nagents, sizeof *job->agents);
	job->rank_exited = calloc((size_t)job->nranks, sizeof *job->rank_exited);
	job->base = event_base_new();
	if (!job->agents || !job->rank_exited || !job->base || !job->timing) {
		cmpi_error("cannot set up the job: out of memory");
		return -1;
	}
	job->output = output_create(job->base, job->nranks,
				    job->opt->tag_output ? OUTPUT_PREFIX_TAG
				    : job->opt->label	 ? OUTPUT_PREFIX_LABEL
							 : OUTPUT_PREFIX_NONE,
				    job->opt->output_dir, STDOUT_FILENO, STDERR_FILENO,
				    on_output_backlog, job);
	if (!job->output) {
		if (job->opt->output_dir)
			cmpi_error("cannot create the --output-filename files in %s: %s",
				   job->opt->output_dir, strerror(errno));
		else
			cmpi_error("cannot set up the job: %s", strerror(errno));
		return -1;
	}
	job->runtime = job->opt->slurm	 ? slurm_runtime(job)
		       : job->opt->image ? docker_runtime(job)
					 : local_runtime(job);
	if (!job->runtime)
		return -1; /* said why */
	if (job->opt->launcher_addr)
		snprintf(job->runtime->control_addr, sizeof job->runtime->control_addr, "%s",
			 job->opt->launcher_addr);
	if (plan_agents(job) < 0) {
		cmpi_error("cannot set up the job: out of memory");
		return -1;
	}
	timing_phase(job->timing, TIMING_SETUP);
	job->server = control_server_create(job->base, job->runtime->control_addr, job->nagents,
					    job->token, &control_ops, job);
	if (!job->server) {
		cmpi_error("cannot set up the job: %s", strerror(errno));
		return -1;
	}
	cmpi_set_message_hook(on_message, job);
	cmpi_debug("job %s: %ld ranks on %ld agents; control server on %s:%d", job->jobid,
		   job->nranks, job->nagents, job->runtime->control_addr,
		   control_server_port(job->server));

	struct timeval connect_tv = {JOB_CONNECT_TIMEOUT_S, 0};
	job->ev_connect = evtimer_new(job->base, on_connect_timeout, job);
	job->ev_grace = evtimer_new(job->base, on_grace, job);
	job->ev_timeout = evtimer_new(job->base, on_timeout, job);
	job->ev_sigint = evsignal_new(job->base, SIGINT, on_signal, job);
	job->ev_sigterm = evsignal_new(job->base, SIGTERM, on_signal, job);
	if (!job->ev_connect || !job->ev_grace || !job->ev_timeout || !job->ev_sigint ||
	    !job->ev_sigterm)
		return -1;
	/* Nodes pulling the image inside an allocation may take minutes before
	 * their agents connect; a node that fails ends srun's step, and that the job. */
	if (!(job->opt->slurm && job->opt->image && job->opt->pull))
		evtimer_add(job->ev_connect, &connect_tv);
	if (job->opt->timeout_s > 0) {
		struct timeval tv = {job->opt->timeout_s, 0};
		evtimer_add(job->ev_timeout, &tv);
	}
	evsignal_add(job->ev_sigint, NULL);
	evsignal_add(job->ev_sigterm, NULL);

	bool *started = calloc((size_t)job->nagents, sizeof *started);
	if (!started) {
		cmpi_error("cannot set up the job: out of memory");
		return -1;
	}
	job->runtime->ops->start_agents(job->runtime, job->runtime->control_addr,
					control_server_port(job->server), token_hex, started);
	timing_phase(job->timing, TIMING_AGENTS_STARTED);
	/* Unpacked in every container by now: not left behind should we be killed. */
	stage_remove(job->stage_tar);
	job->stage_tar = NULL;
	/* The runtime said why an agent could not start (the engine's words, or
	 * fork's): the job ends without a second line about it. */
	for (long i = 0; i < job->nagents; i++) {
		if (!started[i]) {
			job->agents[i].connected = true;
			decide(job, JOB_EXIT_ERROR);
			agent_done(job, &job->agents[i]);
			if (job->wireup)
				wireup_agent_lost(job->wireup, i);
			terminate(job);
		}
	}
	free(started);
	return 0;
}

static void report_timing(struct job *job)
{
	if (!job->timing)
		return;
	if (job->opt->report_timing)
		timing_print(job->timing, stderr);
	if (job->opt->report_json &&
	    timing_write_json(job->timing, job->opt->report_json, job->jobid, job->nagents,
			      job->opt->image, job->exit_code) < 0) {
		cmpi_error("cannot write --report-json %s: %s", job->opt->report_json,
			   strerror(errno));
		if (job->exit_code == 0)
			job->exit_code = JOB_EXIT_ERROR;
	}
}

static void job_teardown(struct job *job)
{
	stdin_stop(job);
	struct event *events[] = {job->ev_sigint, job->ev_sigterm, job->ev_timeout,
				  job->ev_grace, job->ev_connect};
	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
		if (events[i])
			event_free(events[i]);
	/* Closing the connections tells every agent left to kill its ranks and go. */
	control_server_free(job->server);
	job->server = NULL;
	if (job->runtime) {
		job->runtime->ops->finish(job->runtime, 3000);
		job->runtime->ops->destroy(job->runtime);
	}
	timing_phase(job->timing, TIMING_CLEANED_UP);
	/* Nothing of the job runs any more; what is left is output our reader has
	 * not taken yet. Wait for it, but let a signal end the wait. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	cmpi_set_message_hook(NULL, NULL);
	if (job->output)
		output_finish(job->output);
	output_free(job->output);
	report_timing(job); /* after the ranks' own output */
	if (job->base)
		event_base_free(job->base);
	wireup_free(job->wireup);
	timing_free(job->timing);
	cmpi_strv_free(job->node_names);
	cmpi_strv_free(job->rank_env);
	stage_remove(job->stage_tar);
	free(job->apps);
	free(job->agents);
	free(job->rank_exited);
	free(job->cwd);
}

int job_run(const struct cmpi_options *opt, const struct plan *plan)
{
	struct job job = {
	    .opt = opt, .plan = plan, .nranks = plan->nranks, .nagents = plan->nnodes};

	job.timing = timing_create(job.nranks); /* time 0 */
	signal(SIGPIPE, SIG_IGN); /* a dead agent's socket must not kill the launcher */
	if (job_setup(&job) < 0)
		decide(&job, JOB_EXIT_ERROR);
	else if (job.agents_done < job.nagents)
		event_base_dispatch(job.base);
	job_teardown(&job);
	cmpi_debug("job %s ended with status %d", job.jobid, job.exit_code);
	return job.exit_code;
}
