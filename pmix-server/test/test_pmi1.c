/* test_pmi1.c - the PMI-1 engine driven by raw protocol lines, as MPICH 4.0.2 sends them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "pmi1.h"

/* What one client was sent. */
struct peer {
	char out[65536];
	size_t len;
	bool fail_send; /* make ops->send return -1 */
};

/* What one agent's engine asked of the agent. */
struct agent {
	struct pmi1_server *srv;
	char *blob; /* copy of the last ops->barrier blob */
	size_t blob_len;
	int barriers;
	bool answer_at_once; /* ops->barrier calls pmi1_server_barrier_done itself */
	int aborts, abort_code;
	long abort_rank;
	char abort_msg[256];
	int errors;
	long error_rank;
	char why[256];
	int initialized, finalized;
};

static int t_send(void *ctx, void *client_ctx, const char *buf, size_t len)
{
	struct peer *p = client_ctx;
	(void)ctx;
	if (p->fail_send)
		return -1;
	assert_true(p->len + len < sizeof p->out);
	memcpy(p->out + p->len, buf, len);
	p->len += len;
	p->out[p->len] = '\0';
	return 0;
}

static void t_barrier(void *ctx, const void *blob, size_t len)
{
	struct agent *a = ctx;
	free(a->blob);
	a->blob = malloc(len + 1);
	assert_non_null(a->blob);
	memcpy(a->blob, blob, len);
	a->blob_len = len;
	a->barriers++;
	if (a->answer_at_once)
		assert_int_equal(pmi1_server_barrier_done(a->srv, 0, blob, len), 0);
}

static void t_abort(void *ctx, long rank, int code, const char *msg)
{
	struct agent *a = ctx;
	a->aborts++;
	a->abort_rank = rank;
	a->abort_code = code;
	snprintf(a->abort_msg, sizeof a->abort_msg, "%s", msg);
}

static void t_initialized(void *ctx, long rank)
{
	struct agent *a = ctx;
	(void)rank;
	a->initialized++;
}

static void t_finalized(void *ctx, long rank)
{
	struct agent *a = ctx;
	(void)rank;
	a->finalized++;
}

static void t_protocol_error(void *ctx, long rank, const char *why)
{
	struct agent *a = ctx;
	a->errors++;
	a->error_rank = rank;
	snprintf(a->why, sizeof a->why, "%s", why);
}

static const struct pmi1_ops ops = {
    .send = t_send,
    .barrier = t_barrier,
    .abort = t_abort,
    .initialized = t_initialized,
    .finalized = t_finalized,
    .protocol_error = t_protocol_error,
};

/* Two agents, two ranks each: ranks 0-1 on node 0, 2-3 on node 1. */
static void agent_init(struct agent *a, long first, long n, long size)
{
	uint32_t ranks[16];
	assert_true(n <= 16);
	for (long i = 0; i < n; i++)
		ranks[i] = (uint32_t)(first + i);
	struct pmi1_job job = {
	    .kvsname = "kvs_42_0",
	    .size = size,
	    .process_mapping = "(vector,(0,2,2))",
	    .ranks = ranks,
	    .nranks = n,
	};
	memset(a, 0, sizeof *a);
	a->srv = pmi1_server_create(&job, &ops, a);
	assert_non_null(a->srv);
}

static void agent_fini(struct agent *a)
{
	pmi1_server_free(a->srv);
	free(a->blob);
}

static int say(struct pmi1_client *c, const char *s)
{
	return pmi1_client_input(c, s, strlen(s));
}

/* Feeds one request line and checks the exact reply, then forgets it. */
static void ask(struct pmi1_client *c, struct peer *p, const char *req, const char *want)
{
	assert_int_equal(say(c, req), 0);
	assert_string_equal(p->out, want);
	p->len = 0;
	p->out[0] = '\0';
}

static void clear(struct peer *p)
{
	p->len = 0;
	p->out[0] = '\0';
}

/* MPIR_pmi_init's start, as MPICH 4.0.2 with PMI_FD runs it. */
static void mpich_start(struct pmi1_client *c, struct peer *p)
{
	ask(c, p, "cmd=init pmi_version=1 pmi_subversion=1\n",
	    "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n");
	ask(c, p, "cmd=get_maxes\n", "cmd=maxes kvsname_max=256 keylen_max=64 vallen_max=1024\n");
	ask(c, p, "cmd=get_appnum\n", "cmd=appnum appnum=0\n");
	ask(c, p, "cmd=get_my_kvsname\n", "cmd=my_kvsname kvsname=kvs_42_0\n");
	ask(c, p, "cmd=get kvsname=kvs_42_0 key=PMI_process_mapping\n",
	    "cmd=get_result rc=0 msg=success value=(vector,(0,2,2))\n");
}

/* Simulates the launcher's allgather: both agents' blobs, B's first. */
static void allgather(struct agent *a, struct agent *b)
{
	size_t len = a->blob_len + b->blob_len;
	char *all = malloc(len + 1);
	assert_non_null(all);
	memcpy(all, b->blob, b->blob_len);
	memcpy(all + b->blob_len, a->blob, a->blob_len);
	assert_int_equal(pmi1_server_barrier_done(a->srv, 0, all, len), 0);
	assert_int_equal(pmi1_server_barrier_done(b->srv, 0, all, len), 0);
	free(all);
}

static void two_agents_mpich_sequence(void **state)
{
	struct agent a, b;
	struct peer p[4] = {0};
	struct pmi1_client *c[4];
	char line[256], want[256];
	(void)state;

	agent_init(&a, 0, 2, 4);
	agent_init(&b, 2, 2, 4);
	for (int r = 0; r < 4; r++) {
		c[r] = pmi1_client_create(r < 2 ? a.srv : b.srv, r, &p[r]);
		assert_non_null(c[r]);
		mpich_start(c[r], &p[r]);
	}
	assert_int_equal(a.initialized, 2);
	assert_int_equal(b.initialized, 2);
	ask(c[3], &p[3], "cmd=get_universe_size\n", "cmd=universe_size size=4\n");

	/* First barrier: nothing put yet, empty blobs. */
	for (int r = 0; r < 4; r++)
		ask(c[r], &p[r], "cmd=barrier_in\n", "");
	assert_int_equal(a.barriers, 1);
	assert_int_equal(b.barriers, 1);
	assert_int_equal(a.blob_len, 0);
	allgather(&a, &b);
	for (int r = 0; r < 4; r++) {
		assert_string_equal(p[r].out, "cmd=barrier_out\n");
		clear(&p[r]);
	}

	/* Business cards, hex-encoded as MPICH does, then a barrier. */
	for (int r = 0; r < 4; r++) {
		snprintf(line, sizeof line,
			 "cmd=put kvsname=kvs_42_0 key=-bcast-1-%d value=%02x7573696e673d31\n", r,
			 r);
		ask(c[r], &p[r], line, "cmd=put_result rc=0 msg=success\n");
	}
	/* Agent A waits for its last local rank; agent B's puts are not seen yet. */
	ask(c[0], &p[0], "cmd=barrier_in\n", "");
	assert_int_equal(a.barriers, 1);
	ask(c[1], &p[1], "cmd=get kvsname=kvs_42_0 key=-bcast-1-3\n",
	    "cmd=get_result rc=-1 msg=key_-bcast-1-3_not_found\n");
	ask(c[1], &p[1], "cmd=barrier_in\n", "");
	ask(c[2], &p[2], "cmd=barrier_in\n", "");
	ask(c[3], &p[3], "cmd=barrier_in\n", "");
	assert_int_equal(a.barriers, 2);
	assert_int_equal(b.barriers, 2);
	assert_true(a.blob_len > 0);
	allgather(&a, &b);
	for (int r = 0; r < 4; r++) {
		assert_string_equal(p[r].out, "cmd=barrier_out\n");
		clear(&p[r]);
	}
	for (int r = 0; r < 4; r++) {
		for (int k = 0; k < 4; k++) {
			snprintf(line, sizeof line, "cmd=get kvsname=kvs_42_0 key=-bcast-1-%d\n",
				 k);
			snprintf(want, sizeof want,
				 "cmd=get_result rc=0 msg=success value=%02x7573696e673d31\n", k);
			ask(c[r], &p[r], line, want);
		}
	}
	/* MPI_Finalize: a last barrier, then finalize. */
	for (int r = 0; r < 4; r++)
		ask(c[r], &p[r], "cmd=barrier_in\n", "");
	assert_int_equal(a.blob_len, 0);
	allgather(&a, &b);
	for (int r = 0; r < 4; r++) {
		clear(&p[r]);
		ask(c[r], &p[r], "cmd=finalize\n", "cmd=finalize_ack\n");
		pmi1_client_free(c[r]);
	}
	assert_int_equal(a.finalized, 2);
	assert_int_equal(b.finalized, 2);
	assert_int_equal(a.errors + b.errors, 0);
	agent_fini(&a);
	agent_fini(&b);
}

static void partial_and_batched_lines(void **state)
{
	struct agent a;
	struct peer p = {0};
	const char *req = "cmd=init pmi_version=1 pmi_subversion=1\ncmd=get_maxes\n"
			  "cmd=get_appnum\n";
	(void)state;
	agent_init(&a, 0, 1, 1);
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);
	/* Byte by byte: nothing until each newline. */
	for (size_t i = 0; req[i]; i++) {
		assert_int_equal(pmi1_client_input(c, req + i, 1), 0);
		if (req[i] != '\n' && i < 39)
			assert_int_equal(p.len, 0);
	}
	assert_string_equal(p.out, "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n"
				   "cmd=maxes kvsname_max=256 keylen_max=64 vallen_max=1024\n"
				   "cmd=appnum appnum=0\n");
	clear(&p);
	/* Several lines in one call, the last one split across two. */
	assert_int_equal(say(c, "cmd=put kvsname=kvs_42_0 key=a value=1\ncmd=get kvsname=kvs_"), 0);
	assert_string_equal(p.out, "cmd=put_result rc=0 msg=success\n");
	ask(c, &p, "42_0 key=a\n\ncmd=get_my_kvsname\n",
	    "cmd=put_result rc=0 msg=success\ncmd=get_result rc=0 msg=success value=1\n"
	    "cmd=my_kvsname kvsname=kvs_42_0\n");
	/* Extra spaces between words are fine. */
	ask(c, &p, "cmd=get  kvsname=kvs_42_0   key=a \n",
	    "cmd=get_result rc=0 msg=success value=1\n");
	assert_int_equal(a.errors, 0);
	agent_fini(&a);
}

static void line_limit(void **state)
{
	struct agent a;
	struct peer p = {0};
	char line[PMI1_MAXLINE + 2];
	(void)state;
	agent_init(&a, 0, 2, 2);
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);

	/* 1023 characters and the newline: the longest line MPICH can write. */
	int n = snprintf(line, sizeof line, "cmd=put kvsname=kvs_42_0 key=long value=");
	memset(line + n, 'x', PMI1_MAXLINE - 1 - (size_t)n);
	line[PMI1_MAXLINE - 1] = '\n';
	line[PMI1_MAXLINE] = '\0';
	ask(c, &p, line, "cmd=put_result rc=0 msg=success\n");

	/* One byte more is an error, even before the newline arrives. */
	struct pmi1_client *c1 = pmi1_client_create(a.srv, 1, &p);
	memset(line, 'y', PMI1_MAXLINE);
	assert_int_equal(pmi1_client_input(c1, line, PMI1_MAXLINE - 1), 0);
	assert_int_equal(pmi1_client_input(c1, line, 1), -1);
	assert_int_equal(a.errors, 1);
	assert_string_equal(a.why, "sent a line longer than 1024 bytes");
	assert_int_equal(a.error_rank, 1);
	/* Whatever follows is refused without another report. */
	assert_int_equal(say(c1, "cmd=get_maxes\n"), -1);
	assert_int_equal(a.errors, 1);
	pmi1_client_free(c1);
	agent_fini(&a);
}

static void key_and_value_errors(void **state)
{
	struct agent a;
	struct peer p = {0};
	char line[512];
	(void)state;
	agent_init(&a, 0, 1, 1);
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);

	ask(c, &p, "cmd=get kvsname=kvs_42_0 key=nope\n",
	    "cmd=get_result rc=-1 msg=key_nope_not_found\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=k value=v1\n",
	    "cmd=put_result rc=0 msg=success\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=k value=v2\n",
	    "cmd=put_result rc=-1 msg=duplicate_key_k\n");
	ask(c, &p, "cmd=get kvsname=kvs_42_0 key=k\n",
	    "cmd=get_result rc=0 msg=success value=v1\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=PMI_process_mapping value=x\n",
	    "cmd=put_result rc=-1 msg=duplicate_key_PMI_process_mapping\n");
	ask(c, &p, "cmd=put kvsname=other key=k2 value=v\n",
	    "cmd=put_result rc=-1 msg=unknown_kvsname\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=k2\n", "cmd=put_result rc=-1 msg=missing_value\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=a=b value=v\n",
	    "cmd=put_result rc=-1 msg=invalid_key\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key= value=v\n",
	    "cmd=put_result rc=-1 msg=invalid_key\n");
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=e value=\n", "cmd=put_result rc=0 msg=success\n");
	ask(c, &p, "cmd=get kvsname=kvs_42_0 key=e\n", "cmd=get_result rc=0 msg=success value=\n");
	/* Key of 64 characters: fine; 65: too long. */
	snprintf(line, sizeof line, "cmd=put kvsname=kvs_42_0 key=%064d value=v\n", 7);
	ask(c, &p, line, "cmd=put_result rc=0 msg=success\n");
	snprintf(line, sizeof line, "cmd=put kvsname=kvs_42_0 key=%065d value=v\n", 7);
	ask(c, &p, line, "cmd=put_result rc=-1 msg=key_too_long\n");
	snprintf(line, sizeof line, "cmd=get kvsname=kvs_42_0 key=%065d\n", 7);
	ask(c, &p, line, "cmd=get_result rc=-1 msg=key_too_long\n");
	/* A value with a carriage return could not travel in a blob. */
	ask(c, &p, "cmd=put kvsname=kvs_42_0 key=cr value=v\r\n",
	    "cmd=put_result rc=-1 msg=invalid_value\n");
	ask(c, &p, "cmd=init pmi_version=2 pmi_subversion=0\n",
	    "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=-1\n");
	assert_int_equal(a.initialized, 0);
	assert_int_equal(a.errors, 0);
	agent_fini(&a);
}

static void unsupported_commands(void **state)
{
	struct agent a;
	struct peer p = {0};
	(void)state;
	agent_init(&a, 0, 1, 1);
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);

	ask(c, &p, "cmd=publish_name service=svc port=tag#0$\n",
	    "cmd=publish_result rc=-1 info=not_supported msg=not_supported\n");
	ask(c, &p, "cmd=unpublish_name service=svc\n",
	    "cmd=unpublish_result rc=-1 info=not_supported msg=not_supported\n");
	ask(c, &p, "cmd=lookup_name service=svc\n",
	    "cmd=lookup_result rc=-1 info=not_supported msg=not_supported\n");
	/* MPI_Comm_spawn_multiple with two commands: one reply after both blocks. */
	ask(c, &p,
	    "mcmd=spawn\nnprocs=2\nexecname=./child\ntotspawns=2\nspawnssofar=1\narg1=a b=c\n"
	    "argcnt=1\npreput_num=1\npreput_key_0=PARENT_ROOT_PORT_NAME\n"
	    "preput_val_0=tag#0$description#h$port#1$ifname#127.0.0.1$\ninfo_num=0\nendcmd\n",
	    "");
	ask(c, &p,
	    "mcmd=spawn\nnprocs=1\nexecname=./other\ntotspawns=2\nspawnssofar=2\nargcnt=0\n"
	    "preput_num=0\ninfo_num=0\nendcmd\n",
	    "cmd=spawn_result rc=-1 msg=spawn_not_supported\n");
	ask(c, &p, "cmd=get_appnum\n", "cmd=appnum appnum=0\n");
	assert_int_equal(a.errors, 0);
	agent_fini(&a);
}

static void abort_command(void **state)
{
	struct agent a;
	struct peer p = {0};
	(void)state;
	agent_init(&a, 3, 2, 5);
	struct pmi1_client *c = pmi1_client_create(a.srv, 4, &p);
	ask(c, &p, "cmd=abort exitcode=3\n", "");
	assert_int_equal(a.aborts, 1);
	assert_int_equal(a.abort_rank, 4);
	assert_int_equal(a.abort_code, 3);
	assert_string_equal(a.abort_msg, "");
	/* Flux-style, with a message that has spaces. */
	ask(c, &p, "cmd=abort exitcode=-1 error_msg=it all went wrong = badly\n", "");
	assert_int_equal(a.abort_code, -1);
	assert_string_equal(a.abort_msg, "it all went wrong = badly");
	ask(c, &p, "cmd=abort exitcode=lots\n", "");
	assert_int_equal(a.abort_code, 1);
	assert_int_equal(a.aborts, 3);
	assert_int_equal(a.errors, 0);
	agent_fini(&a);
}

static void pmi_port_initack(void **state)
{
	struct agent a;
	struct peer p[5] = {0};
	(void)state;
	agent_init(&a, 2, 2, 4);

	struct pmi1_client *c = pmi1_client_create(a.srv, -1, &p[0]);
	ask(c, &p[0], "cmd=initack pmiid=3\n",
	    "cmd=initack\ncmd=set size=4\ncmd=set rank=3\ncmd=set debug=0\n");
	ask(c, &p[0], "cmd=init pmi_version=1 pmi_subversion=1\n",
	    "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n");
	assert_int_equal(a.initialized, 1);

	/* Rank 3 again. */
	struct pmi1_client *dup = pmi1_client_create(a.srv, -1, &p[1]);
	assert_int_equal(say(dup, "cmd=initack pmiid=3\n"), -1);
	assert_string_equal(a.why, "sent cmd=initack pmiid=3, a rank already connected or done");
	assert_int_equal(a.error_rank, -1);
	pmi1_client_free(dup);
	/* Not one of this agent's ranks, or not a number. */
	const char *bad[] = {"cmd=initack pmiid=1\n", "cmd=initack pmiid=4\n",
			     "cmd=initack pmiid=x\n", "cmd=initack\n", "cmd=initack pmiid=\n"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct pmi1_client *b = pmi1_client_create(a.srv, -1, &p[2]);
		assert_int_equal(say(b, bad[i]), -1);
		assert_non_null(strstr(a.why, "not a rank of this node"));
		pmi1_client_free(b);
	}
	assert_int_equal(p[2].len, 0);
	/* Anything before initack. */
	struct pmi1_client *early = pmi1_client_create(a.srv, -1, &p[3]);
	assert_int_equal(say(early, "cmd=init pmi_version=1 pmi_subversion=1\n"), -1);
	assert_string_equal(a.why, "sent a command before cmd=initack");
	pmi1_client_free(early);
	/* initack where the rank is known (PMI_FD). */
	struct pmi1_client *fd = pmi1_client_create(a.srv, 2, &p[4]);
	assert_int_equal(say(fd, "cmd=initack pmiid=2\n"), -1);
	pmi1_client_free(fd);
	/* Once freed, rank 3 may connect again; a known rank taken is EBUSY. */
	assert_null(pmi1_client_create(a.srv, 3, &p[4]));
	pmi1_client_free(c);
	c = pmi1_client_create(a.srv, 3, &p[4]);
	assert_non_null(c);
	assert_null(pmi1_client_create(a.srv, 0, &p[4]));
	/* server_free takes the clients still there. */
	agent_fini(&a);
}

/* The port takes anyone on the host: once a rank has used PMI, or ended, no
 * later connection may speak for it (and, say, abort the job in its name). */
static void pmi_port_cannot_claim_a_used_rank(void **state)
{
	struct agent a;
	struct peer p[4] = {0};
	(void)state;
	agent_init(&a, 2, 2, 4);

	/* Rank 2 inits over its socketpair, then its connection goes. */
	struct pmi1_client *c = pmi1_client_create(a.srv, 2, &p[0]);
	assert_true(!pmi1_client_in_mpi(c));
	ask(c, &p[0], "cmd=init pmi_version=1 pmi_subversion=1\n",
	    "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n");
	assert_true(pmi1_client_in_mpi(c));
	assert_int_equal(pmi1_client_rank(c), 2);
	pmi1_client_free(c);
	struct pmi1_client *thief = pmi1_client_create(a.srv, -1, &p[1]);
	assert_int_equal(pmi1_client_rank(thief), -1);
	assert_int_equal(say(thief, "cmd=initack pmiid=2\n"), -1);
	assert_string_equal(a.why, "sent cmd=initack pmiid=2, a rank already connected or done");
	pmi1_client_free(thief);

	/* Rank 3 never used PMI (its wrapper closed PMI_FD) and has ended. */
	pmi1_server_rank_gone(a.srv, 3);
	thief = pmi1_client_create(a.srv, -1, &p[2]);
	assert_int_equal(say(thief, "cmd=initack pmiid=3\n"), -1);
	pmi1_client_free(thief);
	assert_int_equal(a.aborts, 0);
	agent_fini(&a);
}

static void pmi2_client(void **state)
{
	struct agent a;
	struct peer p = {0};
	const char *why = "speaks PMI-2, which cmpirun does not serve (it serves PMI-1 and PMIx)";
	const char *full = "000045cmd=fullinit;pmijobid=kvs_42_0;pmirank=0;threaded=FALSE;";
	(void)state;
	agent_init(&a, 0, 2, 2);
	/* As one write. */
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);
	assert_int_equal(say(c, full), -1);
	assert_string_equal(a.why, why);
	pmi1_client_free(c);
	/* In pieces: the header is recognised once its 10 bytes are in. */
	c = pmi1_client_create(a.srv, 0, &p);
	assert_int_equal(pmi1_client_input(c, full, 9), 0);
	assert_int_equal(pmi1_client_input(c, full + 9, 1), -1);
	assert_int_equal(a.errors, 2);
	pmi1_client_free(c);
	/* On a PMI_PORT connection, before any initack. */
	c = pmi1_client_create(a.srv, -1, &p);
	assert_int_equal(say(c, full), -1);
	assert_string_equal(a.why, why);
	assert_int_equal(p.len, 0);
	agent_fini(&a);
}

static void garbage(void **state)
{
	struct agent a;
	struct peer p = {0};
	const char *bad[] = {
	    "hello\n", "cmd=nosuch\n",	       "=x\n",
	    "cmd\n",   "cmd=get_maxes junk\n", "key=v cmd=x\n",
	    "cmd=\n",  "\x01\x02\xff\n",       "cmd=barrier_in\ncmd=barrier_in\n",
	};
	(void)state;
	agent_init(&a, 0, 2, 2);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);
		assert_int_equal(say(c, bad[i]), -1);
		assert_int_equal(a.errors, (int)i + 1);
		pmi1_client_free(c);
	}
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);
	assert_int_equal(pmi1_client_input(c, "cmd=get\0_maxes\n", 15), -1);
	assert_string_equal(a.why, "sent a NUL byte");
	pmi1_client_free(c);
	agent_fini(&a);

	/* Random bytes, now and then a newline: no crash, leak or hang. */
	srand(7);
	for (int round = 0; round < 2000; round++) {
		char buf[300];
		size_t len = (size_t)(rand() % (int)sizeof buf);
		for (size_t i = 0; i < len; i++) {
			int r = rand() % 16;
			buf[i] = r == 0 ? '\n' : r == 1 ? ' ' : r == 2 ? '=' : (char)(rand() % 256);
		}
		if (round % 3 == 0 && len > 12)
			memcpy(buf, "cmd=put kvs", 11);
		agent_init(&a, 0, 1, 1);
		c = pmi1_client_create(a.srv, round % 2 ? 0 : -1, &p);
		for (size_t off = 0; off < len;) {
			size_t n = 1 + (size_t)rand() % 40;
			if (n > len - off)
				n = len - off;
			if (pmi1_client_input(c, buf + off, n) < 0)
				break;
			off += n;
		}
		clear(&p);
		agent_fini(&a);
	}
}

/* Appends one blob record. */
static size_t rec(char *p, const char *key, const char *val)
{
	size_t k = strlen(key), v = strlen(val), n = 0;
	p[n++] = (char)(k >> 8);
	p[n++] = (char)k;
	memcpy(p + n, key, k);
	n += k;
	p[n++] = (char)(v >> 8);
	p[n++] = (char)v;
	memcpy(p + n, val, v);
	return n + v;
}

static void malformed_blobs(void **state)
{
	struct agent a;
	struct peer p = {0};
	char blob[4096];
	size_t n;
	(void)state;
	agent_init(&a, 0, 1, 1);
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);

	/* No barrier waiting. */
	assert_int_equal(pmi1_server_barrier_done(a.srv, 0, "", 0), -1);
	ask(c, &p, "cmd=barrier_in\n", "");

	n = rec(blob, "good", "1");
	n += rec(blob + n, "k", "v");
	/* Every cut is malformed but the one on the record boundary, which
	 * completes the barrier (later cuts then find none waiting). */
	for (size_t cut = 1; cut < n; cut++)
		assert_int_equal(pmi1_server_barrier_done(a.srv, 0, blob, cut),
				 cut == 2 + 4 + 2 + 1 ? 0 : -1);
	assert_string_equal(p.out, "cmd=barrier_out\n");
	clear(&p);
	ask(c, &p, "cmd=barrier_in\n", "");

	const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
	    {"\0\0\0\0", 4},	     /* empty key */
	    {"\0\x41", 2},	     /* key length beyond the data */
	    {"\0\x01k\x04\x01", 5},  /* value of 1025 */
	    {"\0\x02k \0\x01v", 7},  /* space in the key */
	    {"\0\x02k=\0\x01v", 7},  /* '=' in the key */
	    {"\0\x01k\0\x02v\n", 7}, /* newline in the value */
	    {"\0\x01k\0\x02v\0", 7}, /* NUL in the value */
	    {"\0\x01k\0\x01v\0", 7}, /* a stray byte after a record */
	    {"\xff\xff", 2},	     /* key length 65535 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(pmi1_server_barrier_done(a.srv, 0, bad[i].bytes, bad[i].len), -1);
	assert_int_equal(pmi1_server_barrier_done(a.srv, 0, NULL, 3), -1);
	/* A failed collective answers nobody and changes nothing. */
	assert_int_equal(pmi1_server_barrier_done(a.srv, 1, NULL, 0), 0);
	assert_int_equal(p.len, 0);
	ask(c, &p, "cmd=get kvsname=kvs_42_0 key=k\n",
	    "cmd=get_result rc=-1 msg=key_k_not_found\n");

	/* A 64-byte key and a 1024-byte value are the limits, and pass. */
	char key[65], val[1025];
	memset(key, 'K', 64);
	key[64] = '\0';
	memset(val, 'V', 1024);
	val[1024] = '\0';
	n = rec(blob, key, val);
	n += rec(blob + n, "k", "remote");
	assert_int_equal(pmi1_server_barrier_done(a.srv, 0, blob, n), 0);
	assert_string_equal(p.out, "cmd=barrier_out\n");
	clear(&p);
	ask(c, &p, "cmd=get kvsname=kvs_42_0 key=k\n",
	    "cmd=get_result rc=0 msg=success value=remote\n");

	/* Random blobs: rejected or stored, never a crash. */
	srand(11);
	for (int round = 0; round < 5000; round++) {
		size_t len = (size_t)(rand() % 64);
		for (size_t i = 0; i < len; i++)
			blob[i] = (char)(i % 3 == 0 ? rand() % 3 : rand() % 256);
		ask(c, &p, "cmd=barrier_in\n", "");
		if (pmi1_server_barrier_done(a.srv, 0, blob, len) < 0)
			assert_int_equal(pmi1_server_barrier_done(a.srv, 0, "", 0), 0);
		clear(&p);
	}
	assert_int_equal(a.errors, 0);
	agent_fini(&a);
}

static void many_keys(void **state)
{
	struct agent a;
	struct peer p = {0};
	char line[256], want[256], key[64], val[64];
	size_t cap = 1 << 20, n = 0;
	char *blob = malloc(cap);
	(void)state;
	assert_non_null(blob);
	agent_init(&a, 0, 1, 1000);
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p);
	ask(c, &p, "cmd=barrier_in\n", "");
	/* 1000 ranks x 5 keys from "other agents". */
	for (int r = 0; r < 1000; r++) {
		for (int k = 0; k < 5; k++) {
			snprintf(key, sizeof key, "-allgather-%d-%d", k, r);
			snprintf(val, sizeof val, "%08x", r * 5 + k);
			n += rec(blob + n, key, val);
		}
	}
	assert_int_equal(pmi1_server_barrier_done(a.srv, 0, blob, n), 0);
	clear(&p);
	for (int r = 0; r < 1000; r += 37) {
		snprintf(line, sizeof line, "cmd=get kvsname=kvs_42_0 key=-allgather-4-%d\n", r);
		snprintf(want, sizeof want, "cmd=get_result rc=0 msg=success value=%08x\n",
			 r * 5 + 4);
		ask(c, &p, line, want);
	}
	free(blob);
	agent_fini(&a);
}

static void barrier_details(void **state)
{
	struct agent a;
	struct peer p[3] = {0};
	(void)state;

	/* One agent whose collective answers at once, inside ops->barrier. */
	agent_init(&a, 0, 1, 1);
	a.answer_at_once = true;
	struct pmi1_client *c = pmi1_client_create(a.srv, 0, &p[0]);
	ask(c, &p[0],
	    "cmd=put kvsname=kvs_42_0 key=x value=1\ncmd=barrier_in\ncmd=get kvsname=kvs_42_0 "
	    "key=x\n",
	    "cmd=put_result rc=0 msg=success\ncmd=barrier_out\n"
	    "cmd=get_result rc=0 msg=success value=1\n");
	/* The put was in the blob; a second barrier's blob is empty. */
	assert_int_equal(a.barriers, 1);
	assert_int_equal(a.blob_len, 2 + 1 + 2 + 1);
	ask(c, &p[0], "cmd=barrier_in\n", "cmd=barrier_out\n");
	assert_int_equal(a.blob_len, 0);
	agent_fini(&a);

	/* A rank gone after barrier_in still counts; the others get barrier_out. */
	agent_init(&a, 0, 3, 3);
	struct pmi1_client *cs[3];
	for (int r = 0; r < 3; r++) {
		cs[r] = pmi1_client_create(a.srv, r, &p[r]);
		clear(&p[r]);
	}
	ask(cs[0], &p[0], "cmd=barrier_in\n", "");
	pmi1_client_free(cs[0]);
	ask(cs[1], &p[1], "cmd=barrier_in\n", "");
	/* A send that fails: the client is gone, with no protocol error. */
	p[2].fail_send = true;
	assert_int_equal(say(cs[2], "cmd=barrier_in\n"), 0);
	assert_int_equal(a.barriers, 1);
	assert_int_equal(pmi1_server_barrier_done(a.srv, 0, "", 0), 0);
	assert_string_equal(p[1].out, "cmd=barrier_out\n");
	assert_int_equal(say(cs[2], "cmd=get_maxes\n"), -1);
	assert_int_equal(a.errors, 0);
	agent_fini(&a);
}

/* An MPMD job: each rank learns its own program's number, and the agent's
 * ranks need not be consecutive (--map-by node). */
static void mpmd_appnum_and_scattered_ranks(void **state)
{
	uint32_t ranks[] = {1, 3}, rank_app[] = {0, 0, 1, 1};
	struct pmi1_job job = {.kvsname = "k", .size = 4, .rank_app = rank_app, .ranks = ranks,
			       .nranks = 2};
	struct agent a;
	struct peer p1 = {0}, p3 = {0};
	(void)state;
	memset(&a, 0, sizeof a);
	a.srv = pmi1_server_create(&job, &ops, &a);
	assert_non_null(a.srv);
	assert_null(pmi1_client_create(a.srv, 2, &p1)); /* another agent's */
	struct pmi1_client *c1 = pmi1_client_create(a.srv, 1, &p1);
	struct pmi1_client *c3 = pmi1_client_create(a.srv, 3, &p3);
	assert_non_null(c1);
	assert_non_null(c3);
	ask(c1, &p1, "cmd=get_appnum\n", "cmd=appnum appnum=0\n");
	ask(c3, &p3, "cmd=get_appnum\n", "cmd=appnum appnum=1\n");
	pmi1_client_free(c1);
	pmi1_client_free(c3);
	agent_fini(&a);
}

static void expect_mapping(const uint32_t *rank_node, uint32_t size, uint32_t nnodes,
			   const char *want)
{
	char *got = pmi1_process_mapping(rank_node, size, nnodes);
	if (!want) {
		assert_null(got);
		assert_int_equal(errno, 0);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* MPICH's node map for blocks, round robin, uneven blocks, a node without
 * ranks, and maps too long for one PMI-1 value. */
static void process_mappings(void **state)
{
	static uint32_t big[16384];
	(void)state;
	expect_mapping((uint32_t[]){0, 0, 1, 1}, 4, 2, "(vector,(0,2,2))");
	expect_mapping((uint32_t[]){0, 1, 0, 1, 0, 1}, 6, 2, "(vector,(0,2,1),(0,2,1),(0,2,1))");
	expect_mapping((uint32_t[]){0, 0, 0, 1, 1}, 5, 2, "(vector,(0,1,3),(1,1,2))");
	expect_mapping((uint32_t[]){0, 0, 2, 2}, 4, 3, "(vector,(0,2,2))");
	/* 16384 ranks round robin over 64 nodes: the full list (256 triples) is
	 * too long, one cycle stands for it (MPICH repeats the pattern). */
	for (uint32_t r = 0; r < 16384; r++)
		big[r] = r % 64;
	expect_mapping(big, 16384, 64, "(vector,(0,64,1))");
	/* Too long, and no pattern repeats: none, and MPICH asks the host names. */
	for (uint32_t r = 0; r < 4096; r++)
		big[r] = (r * r / 7) % 64;
	expect_mapping(big, 4096, 64, NULL);
}

static void bad_jobs(void **state)
{
	uint32_t ranks[] = {2, 3, 4}, unordered[] = {3, 2};
	struct pmi1_job job = {.kvsname = "k", .size = 4, .ranks = ranks, .nranks = 2};
	(void)state;
	struct pmi1_server *srv = pmi1_server_create(&job, &ops, NULL);
	assert_non_null(srv);
	pmi1_server_free(srv);
	job.nranks = 3;
	assert_null(pmi1_server_create(&job, &ops, NULL));
	job.nranks = 2;
	job.ranks = unordered;
	assert_null(pmi1_server_create(&job, &ops, NULL));
	job.ranks = ranks;
	job.kvsname = "has space";
	assert_null(pmi1_server_create(&job, &ops, NULL));
	job.kvsname = NULL;
	assert_null(pmi1_server_create(&job, &ops, NULL));
	pmi1_server_free(NULL);
	pmi1_client_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(two_agents_mpich_sequence),
	    cmocka_unit_test(partial_and_batched_lines),
	    cmocka_unit_test(line_limit),
	    cmocka_unit_test(key_and_value_errors),
	    cmocka_unit_test(unsupported_commands),
	    cmocka_unit_test(abort_command),
	    cmocka_unit_test(pmi_port_initack),
	    cmocka_unit_test(pmi_port_cannot_claim_a_used_rank),
	    cmocka_unit_test(pmi2_client),
	    cmocka_unit_test(garbage),
	    cmocka_unit_test(malformed_blobs),
	    cmocka_unit_test(many_keys),
	    cmocka_unit_test(barrier_details),
	    cmocka_unit_test(mpmd_appnum_and_scattered_ranks),
	    cmocka_unit_test(process_mappings),
	    cmocka_unit_test(bad_jobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
