/* agent.c - the agent's event loop: JOB starts the ranks; their stdio and exits go to the
 * launcher; KILL and a lost launcher end them. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <hwloc.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capacity.h"
#include "cmpi/msg.h"
#include "cmpi/pack.h"
#include "cmpi/placement.h"
#include "cmpi/util.h"
#include "ranks.h"
#include "tree.h"
#include "wireup.h"

/* Stop reading the ranks' pipes while this much output waits for the launcher,
 * so a fast writer is slowed down instead of filling our memory. */
#define CTL_HIGH_WATER (4u << 20)
#define CTL_LOW_WATER (1u << 20)
#define PIPE_CHUNK (64u * 1024)
/* How long a finished agent may take to hand its children what it still holds. */
#define TREE_FLUSH_MS 10000

struct agent {
	struct event_base *base;
	struct bufferevent *ctl;
	long node;
	uint8_t token[CMPI_TOKEN_SIZE]; /* the job's: children in the allgather tree show it */
	struct cmpi_msg_job job;
	bool have_job;
	struct rank_proc *ranks;
	struct agent_wireup *wireup; /* the PMIx and PMI-1 servers */
	struct agent_tree *tree;     /* our place in the allgather tree, or NULL (star) */
	hwloc_topology_t topology;   /* this node's, loaded once; NULL if hwloc failed */
	hwloc_bitmap_t *cpusets;     /* [job.nranks]: where --bind-to puts each rank, or NULL */
	long nlive;          /* ranks not yet reaped and reported */
	bool paused;         /* rank pipes not read: the launcher is behind */
	int stdin_fd;        /* write end of rank 0's stdin pipe, -1 if none */
	struct evbuffer *stdin_buf;
	struct event *stdin_ev;
	bool stdin_eof;
	struct event *ev_sigchld, *ev_sigterm, *ev_sigint, *ev_escalate;
	bool bye_sent;
	int exit_code;
};

static struct evbuffer *ctl_out(struct agent *a)
{
	return bufferevent_get_output(a->ctl);
}

static void signal_ranks(struct agent *a, int sig)
{
	for (long i = 0; a->ranks && i < (long)a->job.nranks; i++)
		if (a->ranks[i].pid > 0)
			killpg(a->ranks[i].pid, sig);
}

/* Kills and reaps the children listed now; returns how many there were. */
static int kill_children(const char *path)
{
	char word[32];
	int n = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%31s", word) == 1) {
		long pid;
		if (cmpi_parse_long(word, 1, INT_MAX, &pid) < 0)
			continue;
		cmpi_debug("killing pid %ld, left behind by a rank", pid);
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);
		n++;
	}
	fclose(f);
	return n;
}

/* The agent is a child subreaper: whatever a rank started and left behind,
 * even in a session of its own, becomes our child when its parent dies.
 * Kill and reap all of them (they are ours by PID); killing one hands its
 * own children to us, so look again until none is left. */
static void kill_leftovers(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	for (int round = 0; round < 1000 && kill_children(path) > 0; round++)
		;
}

static void finish(struct agent *a, int code)
{
	a->exit_code = code;
	event_base_loopbreak(a->base);
}

/* ---- rank stdout/stderr ---- */

static void set_paused(struct agent *a, bool paused)
{
	a->paused = paused;
	for (long i = 0; a->ranks && i < (long)a->job.nranks; i++) {
		struct event *evs[2] = {a->ranks[i].out_ev, a->ranks[i].err_ev};
		for (int k = 0; k < 2; k++) {
			if (!evs[k])
				continue;
			if (paused)
				event_del(evs[k]);
			else
				event_add(evs[k], NULL);
		}
	}
}

static void close_stream(struct rank_proc *r, int stream)
{
	int *fd = stream == CMPI_STREAM_STDOUT ? &r->out_fd : &r->err_fd;
	struct event **ev = stream == CMPI_STREAM_STDOUT ? &r->out_ev : &r->err_ev;
	if (*ev) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int stream_fd(const struct rank_proc *r, int stream)
{
	return stream == CMPI_STREAM_STDOUT ? r->out_fd : r->err_fd;
}

/* Reads once from a rank's pipe and forwards it: bytes read, 0 at EOF, -1 on error. */
static ssize_t forward_once(struct agent *a, struct rank_proc *r, int stream)
{
	char buf[PIPE_CHUNK];
	ssize_t n = read(stream_fd(r, stream), buf, sizeof buf);

	if (n <= 0)
		return n;
	cmpi_msg_stdio_write(ctl_out(a), (uint32_t)r->rank, (uint8_t)stream, buf, (size_t)n);
	if (!a->paused && evbuffer_get_length(ctl_out(a)) > CTL_HIGH_WATER)
		set_paused(a, true);
	return n;
}

static void on_rank_output(evutil_socket_t fd, short what, void *arg)
{
	struct rank_proc *r = arg;
	int stream = fd == r->out_fd ? CMPI_STREAM_STDOUT : CMPI_STREAM_STDERR;
	(void)what;
	ssize_t n = forward_once(r->owner, r, stream);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		close_stream(r, stream);
}

/* ---- stdin for rank 0 ---- */

static void stdin_ack(struct agent *a, size_t bytes, bool closed)
{
	struct cmpi_msg_stdin_ack ack = {.bytes = (uint32_t)bytes, .closed = closed};
	cmpi_msg_stdin_ack_write(ctl_out(a), &ack);
}

static void stdin_close(struct agent *a)
{
	event_del(a->stdin_ev);
	close(a->stdin_fd);
	a->stdin_fd = -1;
	evbuffer_drain(a->stdin_buf, evbuffer_get_length(a->stdin_buf));
}

static void on_stdin_writable(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	(void)what;
	int n = evbuffer_write(a->stdin_buf, fd);
	if (n > 0) {
		stdin_ack(a, (size_t)n, false);
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* Rank 0 closed its stdin: drop what is queued and stop the sender. */
		stdin_ack(a, evbuffer_get_length(a->stdin_buf), true);
		stdin_close(a);
		return;
	}
	if (evbuffer_get_length(a->stdin_buf) > 0)
		return;
	event_del(a->stdin_ev);
	if (a->stdin_eof)
		stdin_close(a);
}

static void handle_stdin(struct agent *a, const uint8_t *data, size_t len)
{
	if (a->stdin_fd < 0)
		return;
	if (len == 0)
		a->stdin_eof = true;
	else
		evbuffer_add(a->stdin_buf, data, len);
	event_add(a->stdin_ev, NULL);
}

/* ---- rank exits ---- */

static void send_exit(struct agent *a, long rank, pid_t pid, int how, int code)
{
	struct cmpi_msg_exit m = {.rank = (uint32_t)rank,
				  .pid = (uint32_t)pid,
				  .how = (uint8_t)how,
				  .code = (uint32_t)code};
	cmpi_msg_exit_write(ctl_out(a), &m);
	if (--a->nlive == 0) {
		kill_leftovers();
		cmpi_msg_bye_write(ctl_out(a));
		a->bye_sent = true;
		cmpi_debug("all ranks done; said BYE");
	}
}

/* Takes what the rank wrote before it died, so its output precedes its EXIT. */
static void drain_and_close(struct agent *a, struct rank_proc *r)
{
	for (int stream = CMPI_STREAM_STDOUT; stream <= CMPI_STREAM_STDERR; stream++) {
		while (stream_fd(r, stream) >= 0) {
			ssize_t n = forward_once(a, r, stream);
			if (n == 0 || (n < 0 && errno != EINTR))
				break; /* EOF, or nothing more for now (EAGAIN) */
		}
		close_stream(r, stream);
	}
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	(void)sig;
	(void)what;
	for (;;) {
		siginfo_t info = {0};
		/* Look before reaping: while the rank is a zombie its PID, and so its
		 * process group, cannot be reused, so killpg reaches only what it left. */
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
			break;
		pid_t pid = info.si_pid;
		struct rank_proc *r = NULL;
		for (long i = 0; a->ranks && i < (long)a->job.nranks; i++)
			if (a->ranks[i].pid == pid)
				r = &a->ranks[i];
		if (r)
			killpg(pid, SIGKILL);
		int status;
		if (waitpid(pid, &status, 0) < 0 || !r)
			continue; /* not a rank: an orphan we adopted (subreaper, or PID 1) */
		r->pid = 0;
		if (a->wireup)
			agent_wireup_rank_exited(a->wireup, r->rank);
		drain_and_close(a, r);
		if (WIFSIGNALED(status))
			send_exit(a, r->rank, pid, CMPI_EXIT_SIGNALED, WTERMSIG(status));
		else
			send_exit(a, r->rank, pid, CMPI_EXIT_EXITED, WEXITSTATUS(status));
		if (r->rank == 0 && a->stdin_fd >= 0)
			stdin_close(a);
	}
}

/* ---- the job ---- */

/* The node's topology, once for placement, libpmix and every rank, which
 * would otherwise each read /sys. Without I/O devices (hwloc's default): the
 * PCI scan costs about 2 ms a device on a VM and hwloc's PCI plugin leaks at
 * exit. UCX and libfabric find their devices themselves; only Open MPI's
 * older openib BTL looks for NIC locality in hwloc's tree. */
static void load_topology(struct agent *a)
{
	if (hwloc_topology_init(&a->topology) < 0) {
		a->topology = NULL;
		return;
	}
	if (hwloc_topology_load(a->topology) < 0) {
		cmpi_debug(
		    "cannot load the hwloc topology; libpmix and the ranks discover their own");
		hwloc_topology_destroy(a->topology);
		a->topology = NULL;
	}
}

/* --map-by and --bind-to on this node's cores, and --report-bindings in
 * Open MPI's words; -1 (said why) when the ranks cannot be bound as asked. */
static int place_ranks(struct agent *a)
{
	const struct cmpi_msg_placement *pl = &a->job.placement;
	struct cmpi_placement_request req = {
	    .map_by = (enum cmpi_map_by)pl->map_by,
	    .pe = pl->pe,
	    .bind_to = (enum cmpi_bind_to)pl->bind_to,
	    .overload = pl->overload,
	    .first_slot = pl->first_slot,
	    .nranks = a->job.nranks,
	    .job_size = a->job.size,
	};
	char err[256], host[256] = "?";
	bool binds = req.bind_to == CMPI_BIND_CORE || req.bind_to == CMPI_BIND_SOCKET;

	if (!a->topology) {
		if (binds || pl->report) {
			cmpi_error("cannot %s: hwloc cannot read this node's topology",
				   binds ? "bind the ranks" : "report bindings");
			return binds ? -1 : 0;
		}
		return 0;
	}
	if (cmpi_placement_compute(a->topology, &req, &a->cpusets, err, sizeof err) < 0) {
		cmpi_error("%s", err);
		return -1;
	}
	gethostname(host, sizeof host - 1);
	for (uint32_t i = 0; pl->report && i < a->job.nranks; i++) {
		char *what = cmpi_placement_describe(a->topology, a->job.ranks[i], a->cpusets[i]);
		char *line = NULL;
		int len = what ? asprintf(&line, "[%s:%d] %s\n", host, (int)getpid(), what) : -1;
		if (len > 0)
			cmpi_msg_log_write(ctl_out(a), line, (size_t)len);
		free(what);
		free(line);
	}
	return 0;
}

static void start_ranks(struct agent *a)
{
	extern char **environ;
	int stdin_pipe[2] = {-1, -1};
	const struct cmpi_msg_job *job = &a->job;

	a->ranks = calloc(job->nranks ? job->nranks : 1, sizeof *a->ranks);
	if (!a->ranks) {
		cmpi_error("out of memory");
		finish(a, 1);
		return;
	}
	a->nlive = job->nranks;
	if (job->nranks == 0) {
		cmpi_msg_bye_write(ctl_out(a));
		a->bye_sent = true;
		return;
	}
	char why[256];
	if (rank_capacity_check(job->nranks, why, sizeof why) < 0) {
		cmpi_error("%s; starting none", why);
		for (uint32_t i = 0; i < job->nranks; i++)
			send_exit(a, job->ranks[i], 0, CMPI_EXIT_REFUSED, EAGAIN);
		return;
	}
	load_topology(a);
	if (place_ranks(a) < 0) {
		for (uint32_t i = 0; i < job->nranks; i++)
			send_exit(a, job->ranks[i], 0, CMPI_EXIT_BIND_FAILED, EINVAL);
		return;
	}
	a->wireup = agent_wireup_start(a->base, job, ctl_out(a), a->tree, a->topology,
				       (void *const *)a->cpusets);
	if (!a->wireup) {
		int err = errno;
		for (uint32_t i = 0; i < job->nranks; i++)
			send_exit(a, job->ranks[i], 0, CMPI_EXIT_WIREUP_FAILED, err);
		return;
	}
	if ((job->flags & CMPI_JOB_STDIN_TO_RANK0) && pipe2(stdin_pipe, O_CLOEXEC) == 0) {
		a->stdin_fd = stdin_pipe[1];
		cmpi_set_nonblocking(a->stdin_fd);
		a->stdin_ev = event_new(a->base, a->stdin_fd, EV_WRITE | EV_PERSIST,
					on_stdin_writable, a);
	}
	struct rank_gate gate;
	if (rank_gate_open(&gate) < 0)
		cmpi_debug("no start gate (%s): each rank execs at once", strerror(errno));
	for (uint32_t i = 0; i < job->nranks; i++) {
		struct rank_proc *r = &a->ranks[i];
		int how, err, pmi_fd;
		r->rank = job->ranks[i];
		r->out_fd = r->err_fd = r->report_fd = -1;
		char **wire_env = agent_wireup_rank_env(a->wireup, r->rank, &pmi_fd);
		if (!wire_env) {
			agent_wireup_rank_spawned(a->wireup, r->rank, 0);
			send_exit(a, r->rank, 0, CMPI_EXIT_WIREUP_FAILED, errno ? errno : EPROTO);
			continue;
		}
		char **envp = rank_environment(environ, job, r->rank, wire_env);
		cmpi_strv_free(wire_env);
		if (!envp) {
			agent_wireup_rank_spawned(a->wireup, r->rank, 0);
			send_exit(a, r->rank, 0, CMPI_EXIT_SPAWN_FAILED, ENOMEM);
			continue;
		}
		int in_fd = r->rank == 0 ? stdin_pipe[0] : -1;
		hwloc_const_bitmap_t cpuset = a->cpusets ? a->cpusets[i] : NULL;
		if (rank_fork(r, job, envp, in_fd, pmi_fd, cpuset, &gate, &how, &err) < 0) {
			agent_wireup_rank_spawned(a->wireup, r->rank, 0);
			send_exit(a, r->rank, 0, how, err);
		}
		cmpi_strv_free(envp);
	}
	rank_gate_release(&gate);
	for (uint32_t i = 0; i < job->nranks; i++) {
		struct rank_proc *r = &a->ranks[i];
		int how, err;
		if (r->report_fd < 0)
			continue; /* not forked: its EXIT said why */
		if (rank_exec_result(r, &how, &err) < 0) {
			agent_wireup_rank_spawned(a->wireup, r->rank, 0);
			send_exit(a, r->rank, 0, how, err);
			continue;
		}
		agent_wireup_rank_spawned(a->wireup, r->rank, r->pid);
		r->owner = a;
		r->out_ev = event_new(a->base, r->out_fd, EV_READ | EV_PERSIST, on_rank_output, r);
		r->err_ev = event_new(a->base, r->err_fd, EV_READ | EV_PERSIST, on_rank_output, r);
		event_add(r->out_ev, NULL);
		event_add(r->err_ev, NULL);
	}
	if (stdin_pipe[0] >= 0)
		close(stdin_pipe[0]);
	cmpi_msg_started_write(ctl_out(a)); /* for the launcher's --report-timing */
	cmpi_debug("started %u ranks", job->nranks);
}

/* ---- the allgather tree ---- */

static void on_tree_result(void *ctx, const struct cmpi_msg_fence *m)
{
	struct agent *a = ctx;
	if (a->wireup)
		agent_wireup_fence_result(a->wireup, m);
}

static void on_tree_fail(void *ctx, const char *msg)
{
	struct agent *a = ctx;
	if (a->job.nranks > 0) /* the launcher checks that the rank is this node's */
		cmpi_msg_abort_write(ctl_out(a), a->job.ranks[0], CMPI_ABORT_AGENT, 1, msg);
}

static const struct agent_tree_ops tree_ops = {.result = on_tree_result, .fail = on_tree_fail};

/* ---- control channel ---- */

static void on_escalate(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	signal_ranks(arg, SIGKILL);
}

static void kill_ranks(struct agent *a, int sig, unsigned escalate_ms)
{
	signal_ranks(a, sig);
	cmpi_debug("sent signal %d to the ranks", sig);
	if (escalate_ms > 0 && !evtimer_pending(a->ev_escalate, NULL)) {
		struct timeval tv = {escalate_ms / 1000, (escalate_ms % 1000) * 1000};
		evtimer_add(a->ev_escalate, &tv);
	}
}

/* Returns -1 on a protocol violation. */
static int handle_frame(struct agent *a, const struct cmpi_frame_header *hdr,
			const uint8_t *payload)
{
	struct cmpi_msg_kill kill;

	if (a->tree && hdr->type == CMPI_MSG_FENCE_OUT)
		return agent_tree_result_from_launcher(a->tree, payload, hdr->length);
	if (agent_wireup_handles(hdr->type))
		return a->wireup ? agent_wireup_frame(a->wireup, hdr, payload) : -1;
	switch (hdr->type) {
	case CMPI_MSG_JOB:
		if (a->have_job || cmpi_msg_job_read(payload, hdr->length, &a->job) < 0 ||
		    a->job.node != (uint32_t)a->node)
			return -1;
		a->have_job = true;
		/* Listening before the ranks start, so the port goes out ahead of their fences. */
		if ((a->job.flags & CMPI_JOB_TREE) && a->job.nranks > 0) {
			a->tree = agent_tree_start(a->base, bufferevent_getfd(a->ctl), ctl_out(a),
						   a->token, a->node, &tree_ops, a);
			if (!a->tree) {
				finish(a, 1); /* the launcher sees us go and says so */
				return 0;
			}
		}
		start_ranks(a);
		return 0;
	case CMPI_MSG_TREE:
		return a->tree ? agent_tree_place(a->tree, payload, hdr->length) : -1;
	case CMPI_MSG_STDIN:
		if (!a->have_job)
			return -1;
		handle_stdin(a, payload, hdr->length);
		return 0;
	case CMPI_MSG_KILL:
		if (cmpi_msg_kill_read(payload, hdr->length, &kill) < 0)
			return -1;
		kill_ranks(a, (int)kill.signal, kill.escalate_ms);
		return 0;
	default:
		return -1;
	}
}

static void on_ctl_read(struct bufferevent *bev, void *arg)
{
	struct agent *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		struct cmpi_frame_header hdr;
		const uint8_t *payload;
		enum cmpi_frame_status st = cmpi_frame_peek(in, &hdr, &payload);
		if (st == CMPI_FRAME_INCOMPLETE)
			return;
		if (st != CMPI_FRAME_OK || handle_frame(a, &hdr, payload) < 0) {
			cmpi_set_message_hook(NULL, NULL);
			cmpi_error("protocol error from the launcher (%s)",
				   st != CMPI_FRAME_OK ? cmpi_frame_status_string(st)
						       : cmpi_msg_type_name(hdr.type));
			signal_ranks(a, SIGKILL);
			finish(a, 1);
			return;
		}
		evbuffer_drain(in, CMPI_FRAME_HEADER_SIZE + (size_t)hdr.length);
	}
}

static void on_ctl_write(struct bufferevent *bev, void *arg)
{
	struct agent *a = arg;
	(void)bev;
	if (a->paused)
		set_paused(a, false);
}

/* The launcher closed the connection: after our BYE that is the normal end;
 * before it, the launcher is gone and nothing of the job may stay behind. */
static void on_ctl_event(struct bufferevent *bev, short what, void *arg)
{
	struct agent *a = arg;
	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	cmpi_set_message_hook(NULL, NULL); /* nobody reads LOG frames any more */
	if (a->bye_sent) {
		/* Our ranks are done, but the last results on their way down the tree
		 * may still sit in our buffers: the children's ranks wait for them. */
		agent_tree_flush(a->tree, TREE_FLUSH_MS);
		finish(a, 0);
		return;
	}
	cmpi_debug("launcher gone; killing the ranks");
	signal_ranks(a, SIGKILL);
	kill_leftovers();
	finish(a, 1);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	kill_ranks(arg, (int)sig, 3000);
}

/* Once connected, our messages travel to the launcher, which queues them with
 * the ranks' output: a direct write to a stderr nobody reads would block us. */
static void on_message(void *ctx, const char *line, size_t len)
{
	struct agent *a = ctx;
	cmpi_msg_log_write(ctl_out(a), line, len);
}

static void agent_free(struct agent *a)
{
	cmpi_set_message_hook(NULL, NULL);
	for (long i = 0; a->ranks && i < (long)a->job.nranks; i++) {
		close_stream(&a->ranks[i], CMPI_STREAM_STDOUT);
		close_stream(&a->ranks[i], CMPI_STREAM_STDERR);
	}
	free(a->ranks);
	agent_wireup_stop(a->wireup);
	agent_tree_stop(a->tree);
	cmpi_placement_free(a->cpusets, a->job.nranks);
	if (a->topology)
		hwloc_topology_destroy(a->topology); /* after libpmix, which used it */
	struct event *evs[] = {a->stdin_ev, a->ev_sigchld, a->ev_sigterm, a->ev_sigint,
			       a->ev_escalate};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	if (a->stdin_fd >= 0)
		close(a->stdin_fd);
	if (a->stdin_buf)
		evbuffer_free(a->stdin_buf);
	if (a->ctl)
		bufferevent_free(a->ctl);
	cmpi_msg_job_clear(&a->job);
	if (a->base)
		event_base_free(a->base);
}

int agent_run(int ctl_fd, long node, const uint8_t token[CMPI_TOKEN_SIZE])
{
	struct agent a = {.node = node, .stdin_fd = -1, .exit_code = 1};
	memcpy(a.token, token, CMPI_TOKEN_SIZE);

	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	a.base = event_base_new();
	if (!a.base)
		goto out;
	a.ctl = bufferevent_socket_new(a.base, ctl_fd, BEV_OPT_CLOSE_ON_FREE);
	a.stdin_buf = evbuffer_new();
	a.ev_sigchld = evsignal_new(a.base, SIGCHLD, on_sigchld, &a);
	a.ev_sigterm = evsignal_new(a.base, SIGTERM, on_signal, &a);
	a.ev_sigint = evsignal_new(a.base, SIGINT, on_signal, &a);
	a.ev_escalate = evtimer_new(a.base, on_escalate, &a);
	if (!a.ctl || !a.stdin_buf || !a.ev_sigchld || !a.ev_sigterm || !a.ev_sigint ||
	    !a.ev_escalate)
		goto out;
	evsignal_add(a.ev_sigchld, NULL);
	evsignal_add(a.ev_sigterm, NULL);
	evsignal_add(a.ev_sigint, NULL);
	bufferevent_setcb(a.ctl, on_ctl_read, on_ctl_write, on_ctl_event, &a);
	bufferevent_setwatermark(a.ctl, EV_WRITE, CTL_LOW_WATER, 0);
	bufferevent_enable(a.ctl, EV_READ | EV_WRITE);
	cmpi_set_message_hook(on_message, &a);
	event_base_dispatch(a.base);
out:
	agent_free(&a);
	return a.exit_code;
}
