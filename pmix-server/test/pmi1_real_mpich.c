/* pmi1_real_mpich.c - real MPICH ranks against the PMI-1 engine, over PMI_FD or PMI_PORT. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmpi/util.h"
#include "pmi1.h"

#define MAXRANKS 64
#define MAXAGENTS 2

/* One connection from a rank. */
struct conn {
	int fd;
	struct pmi1_client *client;
};

struct state;

/* One simulated agent: its engine, its listener, its contribution to a barrier. */
struct agent {
	struct state *st;
	struct pmi1_server *srv;
	int lfd;
	char port[64];
	char *blob;
	size_t len;
	bool contributed;
};

struct state {
	struct agent agents[MAXAGENTS];
	int nagents, initialized, finalized, errors, aborts;
};

static int d_send(void *ctx, void *client_ctx, const char *buf, size_t len)
{
	struct conn *c = client_ctx;
	(void)ctx;
	return cmpi_write_all(c->fd, buf, len);
}

/* The launcher's allgather: once every agent contributed, each gets all
 * blobs concatenated, the last agent's first. */
static void d_barrier(void *ctx, const void *blob, size_t len)
{
	struct agent *a = ctx;
	struct state *st = a->st;
	a->blob = malloc(len + 1);
	memcpy(a->blob, blob, len);
	a->len = len;
	a->contributed = true;
	size_t total = 0;
	for (int i = 0; i < st->nagents; i++) {
		if (!st->agents[i].contributed)
			return;
		total += st->agents[i].len;
	}
	char *all = malloc(total + 1), *p = all;
	for (int i = st->nagents - 1; i >= 0; i--) {
		memcpy(p, st->agents[i].blob, st->agents[i].len);
		p += st->agents[i].len;
	}
	for (int i = 0; i < st->nagents; i++) {
		struct agent *b = &st->agents[i];
		free(b->blob);
		b->blob = NULL;
		b->contributed = false;
	}
	for (int i = 0; i < st->nagents; i++) {
		if (pmi1_server_barrier_done(st->agents[i].srv, 0, all, total) < 0) {
			fprintf(stderr, "driver: agent %d refused the allgather\n", i);
			st->errors++;
		}
	}
	free(all);
}

static void d_abort(void *ctx, long rank, int code, const char *msg)
{
	struct state *st = ((struct agent *)ctx)->st;
	fprintf(stderr, "driver: rank %ld aborts with %d: %s\n", rank, code, msg);
	st->aborts++;
}

static void d_initialized(void *ctx, long rank)
{
	struct state *st = ((struct agent *)ctx)->st;
	(void)rank;
	st->initialized++;
}

static void d_finalized(void *ctx, long rank)
{
	struct state *st = ((struct agent *)ctx)->st;
	(void)rank;
	st->finalized++;
}

static void d_protocol_error(void *ctx, long rank, const char *why)
{
	struct state *st = ((struct agent *)ctx)->st;
	fprintf(stderr, "driver: rank %ld %s\n", rank, why);
	st->errors++;
}

static const struct pmi1_ops ops = {
    .send = d_send,
    .barrier = d_barrier,
    .abort = d_abort,
    .initialized = d_initialized,
    .finalized = d_finalized,
    .protocol_error = d_protocol_error,
};

static void child_env(const char *name, long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%ld", v);
	setenv(name, buf, 1);
}

/* Rank r's agent: blocks, the first agent taking the remainder. */
static int agent_of(long r, long n, int nagents)
{
	long per = n / nagents, extra = n % nagents;
	return r < (per + 1) * extra ? (int)(r / (per + 1))
				     : (int)(extra + (r - (per + 1) * extra) / per);
}

static void drop(struct conn *c, int *open_conns)
{
	pmi1_client_free(c->client);
	close(c->fd);
	c->fd = -1;
	(*open_conns)--;
}

int main(int argc, char **argv)
{
	struct state st = {0};
	struct conn conns[MAXRANKS];
	pid_t pids[MAXRANKS];
	struct pollfd pfd[MAXRANKS + MAXAGENTS];
	char kvsname[64], mapping[256];
	int nconns = 0, open_conns = 0, running, failed = 0;
	long n, k;

	if (argc != 5 || cmpi_parse_long(argv[2], 1, MAXRANKS, &n) < 0 ||
	    cmpi_parse_long(argv[3], 1, MAXAGENTS, &k) < 0 || k > n ||
	    (strcmp(argv[4], "fd") && strcmp(argv[4], "port"))) {
		fprintf(stderr, "usage: %s PROGRAM NRANKS NAGENTS(1-2) fd|port\n", argv[0]);
		return 2;
	}
	bool use_port = !strcmp(argv[4], "port");
	st.nagents = (int)k;
	snprintf(kvsname, sizeof kvsname, "kvs_%d_0", (int)getpid());
	/* PMI_process_mapping: agent i is node i, holding a block of ranks. */
	long first[MAXAGENTS], count[MAXAGENTS] = {0};
	int len = snprintf(mapping, sizeof mapping, "(vector");
	for (long r = n - 1; r >= 0; r--) {
		first[agent_of(r, n, st.nagents)] = r;
		count[agent_of(r, n, st.nagents)]++;
	}
	for (int i = 0; i < st.nagents; i++)
		len += snprintf(mapping + len, sizeof mapping - (size_t)len, ",(%d,1,%ld)", i,
				count[i]);
	snprintf(mapping + len, sizeof mapping - (size_t)len, ")");
	uint32_t *ranks = calloc((size_t)n, sizeof *ranks);
	if (!ranks)
		return 1;
	for (long r = 0; r < n; r++)
		ranks[r] = (uint32_t)r;
	for (int i = 0; i < st.nagents; i++) {
		struct pmi1_job job = {.kvsname = kvsname,
				       .size = n,
				       .process_mapping = mapping,
				       .ranks = ranks + first[i],
				       .nranks = count[i]};
		struct agent *a = &st.agents[i];
		a->st = &st;
		a->lfd = -1;
		if (!(a->srv = pmi1_server_create(&job, &ops, a)))
			return 1;
	}
	free(ranks); /* the servers keep copies */
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; use_port && i < st.nagents; i++) {
		struct agent *a = &st.agents[i];
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof sa;
		a->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (a->lfd < 0 || bind(a->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    listen(a->lfd, MAXRANKS) < 0 ||
		    getsockname(a->lfd, (struct sockaddr *)&sa, &sl) < 0) {
			perror("driver: listen");
			return 1;
		}
		snprintf(a->port, sizeof a->port, "127.0.0.1:%d", ntohs(sa.sin_port));
	}
	for (long r = 0; r < n; r++) {
		struct agent *a = &st.agents[agent_of(r, n, st.nagents)];
		int sv[2] = {-1, -1};
		if (!use_port && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			perror("driver: socketpair");
			return 1;
		}
		pids[r] = fork();
		if (pids[r] == 0) {
			if (use_port) {
				setenv("PMI_PORT", a->port, 1);
				child_env("PMI_ID", r);
			} else {
				child_env("PMI_FD", dup(sv[1])); /* dup drops CLOEXEC */
				child_env("PMI_RANK", r);
				child_env("PMI_SIZE", n);
			}
			execl(argv[1], argv[1], (char *)NULL);
			_exit(127);
		}
		if (!use_port) {
			close(sv[1]);
			conns[nconns].fd = sv[0];
			conns[nconns].client = pmi1_client_create(a->srv, r, &conns[nconns]);
			nconns++;
			open_conns++;
		}
	}

	/* Serve until every rank has exited and every connection is closed. */
	running = (int)n;
	time_t deadline = time(NULL) + 60;
	while ((running > 0 || open_conns > 0) && time(NULL) < deadline) {
		int np = 0;
		for (int i = 0; i < nconns; i++)
			pfd[np++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
		for (int i = 0; i < st.nagents; i++)
			pfd[np++] = (struct pollfd){.fd = st.agents[i].lfd, .events = POLLIN};
		if (poll(pfd, (nfds_t)np, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < nconns; i++) {
			char buf[4096];
			if (conns[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t got = read(conns[i].fd, buf, sizeof buf);
			if (got > 0 && pmi1_client_input(conns[i].client, buf, (size_t)got) == 0)
				continue;
			drop(&conns[i], &open_conns);
		}
		for (int i = 0; i < st.nagents; i++) {
			struct agent *a = &st.agents[i];
			if (!(pfd[np - st.nagents + i].revents & POLLIN) || nconns == MAXRANKS)
				continue;
			int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			conns[nconns].fd = fd;
			conns[nconns].client = pmi1_client_create(a->srv, -1, &conns[nconns]);
			nconns++;
			open_conns++;
		}
		for (long r = 0; r < n; r++) {
			int status;
			if (pids[r] > 0 && waitpid(pids[r], &status, WNOHANG) == pids[r]) {
				pids[r] = 0;
				running--;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
					fprintf(stderr, "driver: rank %ld ended with status 0x%x\n",
						r, status);
					failed++;
				}
			}
		}
		/* Every rank exited: what is left open is drained, drop it. */
		for (int i = 0; running == 0 && i < nconns; i++) {
			if (conns[i].fd >= 0)
				drop(&conns[i], &open_conns);
		}
	}
	for (long r = 0; r < n; r++) {
		if (pids[r] > 0) {
			kill(pids[r], SIGKILL);
			waitpid(pids[r], NULL, 0);
			failed++;
		}
	}
	for (int i = 0; i < st.nagents; i++) {
		pmi1_server_free(st.agents[i].srv);
		free(st.agents[i].blob);
		if (st.agents[i].lfd >= 0)
			close(st.agents[i].lfd);
	}
	printf("driver: %ld ranks, %d agents, PMI_%s, mapping %s: %d initialized, %d finalized, "
	       "%d protocol errors, %d aborts, %d failed\n",
	       n, st.nagents, use_port ? "PORT" : "FD", mapping, st.initialized, st.finalized,
	       st.errors, st.aborts, failed);
	return failed || st.errors || st.aborts || st.finalized != n || st.initialized != n;
}
