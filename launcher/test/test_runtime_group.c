/* test_runtime_group.c - several runtimes started as one: every member starts its own
 * nodes' agents, the members run at once, and what each said comes out afterwards, whole
 * lines, in member order, through the process-wide message hook. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmpi/util.h"
#include "runtime.h"

#define MEMBERS 20 /* more than the group's threads */

struct test_member {
	struct runtime rt;
	long node;	/* the one node it starts */
	int delay_ms;	/* how long its start takes */
	bool destroyed;
	pthread_t thread; /* the thread that started it */
};

static void member_start(struct runtime *rt, const char *addr, int port, const char *token_hex,
			 bool *started)
{
	struct test_member *m = (struct test_member *)rt;
	(void)addr, (void)port, (void)token_hex;
	struct timespec wait = {0, m->delay_ms * 1000000L};
	cmpi_error("member %ld starting", m->node);
	nanosleep(&wait, NULL);
	m->thread = pthread_self();
	started[m->node] = m->node % 3 != 0; /* every third one fails */
	if (!started[m->node])
		cmpi_error("member %ld: refused", m->node);
}

static void member_finish(struct runtime *rt, int grace_ms)
{
	(void)rt, (void)grace_ms;
}

static void member_destroy(struct runtime *rt)
{
	((struct test_member *)rt)->destroyed = true;
}

static const struct runtime_ops member_ops = {member_start, member_finish, member_destroy};

static char said[8192];
static size_t said_len;
static pthread_t hook_thread;
static bool hook_elsewhere; /* the hook ran on another thread than the caller's */

static void hook(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (!pthread_equal(pthread_self(), hook_thread))
		hook_elsewhere = true;
	assert_true(len > 0 && line[len - 1] == '\n'); /* whole lines */
	assert_true(said_len + len < sizeof said);
	memcpy(said + said_len, line, len);
	said_len += len;
}

static void members_at_once(void **state)
{
	static struct test_member m[MEMBERS];
	struct runtime *members[MEMBERS];
	bool started[MEMBERS] = {false};
	char expected[8192] = "";
	(void)state;

	for (long i = 0; i < MEMBERS; i++) {
		m[i] = (struct test_member){.rt = {.ops = &member_ops}, .node = i, .delay_ms = 100};
		snprintf(m[i].rt.control_addr, sizeof m[i].rt.control_addr, "127.0.0.1");
		members[i] = &m[i].rt;
	}
	struct runtime *g = runtime_group_create(members, MEMBERS, NULL);
	assert_non_null(g);
	hook_thread = pthread_self();
	cmpi_set_progname("test");
	cmpi_set_message_hook(hook, NULL);
	g->ops->start_agents(g, "127.0.0.1", 1, "00", started);
	cmpi_set_message_hook(NULL, NULL);

	/* Each member's nodes, and nothing else. */
	for (long i = 0; i < MEMBERS; i++)
		assert_int_equal(started[i], i % 3 != 0);
	/* In member order, each member's lines together, on the caller's thread. */
	for (long i = 0; i < MEMBERS; i++) {
		char line[64];
		snprintf(line, sizeof line, "test: member %ld starting\n", i);
		strcat(expected, line);
		if (i % 3 == 0) {
			snprintf(line, sizeof line, "test: member %ld: refused\n", i);
			strcat(expected, line);
		}
	}
	said[said_len] = '\0';
	assert_string_equal(said, expected);
	assert_false(hook_elsewhere);
	/* At once: more than one thread started them (a bound on the time would
	 * fail on a loaded machine). */
	bool other_thread = false;
	for (long i = 0; i < MEMBERS; i++)
		other_thread |= !pthread_equal(m[i].thread, m[0].thread);
	assert_true(other_thread);

	g->ops->destroy(g);
	for (long i = 0; i < MEMBERS; i++)
		assert_true(m[i].destroyed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(members_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
