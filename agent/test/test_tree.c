/* test_tree.c - the agent's allgather tree over real loopback sockets: who may join,
 * what goes up, what comes down, and what a lost link does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpi/msg.h"
#include "tree.h"

static const uint8_t token[CMPI_TOKEN_SIZE] = {1, 2, 3};

/* What the agent's ranks were given, and what the job was told. */
struct seen {
	int results;
	uint32_t status;
	char data[64];
	int fails;
};

static void on_result(void *ctx, const struct cmpi_msg_fence *m)
{
	struct seen *s = ctx;
	s->results++;
	s->status = m->status;
	snprintf(s->data, sizeof s->data, "%.*s", (int)m->len, (const char *)m->data);
}

static void on_fail(void *ctx, const char *msg)
{
	(void)msg;
	((struct seen *)ctx)->fails++;
}

static const struct agent_tree_ops ops = {.result = on_result, .fail = on_fail};

/* A connected pair on loopback, as the launcher and an agent's control connection. */
static void control_pair(int *agent_end, int *launcher_end)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	*agent_end = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*agent_end, (struct sockaddr *)&sa, sizeof sa), 0);
	*launcher_end = accept(l, NULL, NULL);
	assert_true(*launcher_end >= 0);
	close(l);
}

static int connect_to(const char *addr)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	assert_int_equal(evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &len), 0);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_buffer(int fd, struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	assert_int_equal(write(fd, evbuffer_pullup(b, -1), len), (ssize_t)len);
	evbuffer_drain(b, len);
}

static void send_hello(int fd, const uint8_t *tok, uint32_t node)
{
	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_hello h = {.node = node, .pid = 1};
	memcpy(h.token, tok, CMPI_TOKEN_SIZE);
	assert_int_equal(cmpi_msg_hello_write(b, &h), 0);
	send_buffer(fd, b);
	evbuffer_free(b);
}

static void send_fence_in(int fd, uint32_t seq, const char *data)
{
	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_fence m = {.kind = CMPI_FENCE_PMIX,
				   .seq = seq,
				   .data = (const uint8_t *)data,
				   .len = strlen(data)};
	assert_int_equal(cmpi_msg_fence_write(b, CMPI_MSG_FENCE_IN, &m), 0);
	send_buffer(fd, b);
	evbuffer_free(b);
}

/* Lets the agent's loop run for about ms milliseconds. */
static void spin_ms(struct event_base *base, int ms)
{
	for (int i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static void spin(struct event_base *base)
{
	spin_ms(base, 50);
}

/* Takes one frame of type from b (the agent's control output); its payload in out. */
static size_t take(struct evbuffer *b, uint8_t type, uint8_t *out)
{
	struct cmpi_frame_header h;
	const uint8_t *p;
	assert_int_equal(cmpi_frame_peek(b, &h, &p), CMPI_FRAME_OK);
	assert_int_equal(h.type, type);
	memcpy(out, p, h.length);
	evbuffer_drain(b, CMPI_FRAME_HEADER_SIZE + h.length);
	return h.length;
}

static int place(struct agent_tree *t, const char *parent, uint32_t nchildren, uint32_t *children)
{
	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_tree m = {
	    .parent = (char *)parent, .nchildren = nchildren, .children = children};
	uint8_t payload[256];
	assert_int_equal(cmpi_msg_tree_write(b, &m), 0);
	size_t len = take(b, CMPI_MSG_TREE, payload);
	evbuffer_free(b);
	return agent_tree_place(t, payload, len);
}

static bool closed_by_peer(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;
	return poll(&p, 1, 1000) == 1 && read(fd, &c, 1) == 0;
}

/* A stranger with the wrong token is closed on; the child with the token
 * joins, its part goes up with ours, and the result comes down to it. */
static void children_join_with_the_token_only(void **state)
{
	struct event_base *base = event_base_new();
	struct evbuffer *ctl = evbuffer_new();
	struct seen seen = {0};
	uint8_t payload[4096], wrong[CMPI_TOKEN_SIZE] = {9};
	uint32_t children[] = {5};
	char *addr;
	int agent_fd, launcher_fd;
	(void)state;

	control_pair(&agent_fd, &launcher_fd);
	struct agent_tree *t = agent_tree_start(base, agent_fd, ctl, token, 0, &ops, &seen);
	assert_non_null(t);
	size_t len = take(ctl, CMPI_MSG_TREE_PORT, payload);
	assert_int_equal(cmpi_msg_tree_port_read(payload, len, &addr), 0);
	assert_memory_equal(addr, "127.0.0.1:", 10);

	int stranger = connect_to(addr), impostor = connect_to(addr), child = connect_to(addr);
	assert_true(stranger >= 0 && impostor >= 0 && child >= 0);
	send_hello(stranger, wrong, 5);
	send_hello(impostor, token, 6); /* the token, but not a child of ours */
	send_hello(child, token, 5);
	send_fence_in(child, 0, "child");
	spin(base);
	assert_int_equal(evbuffer_get_length(ctl), 0); /* nothing before TREE */

	assert_int_equal(place(t, "", 1, children), 0);
	assert_int_equal(place(t, "", 1, children), -1); /* placed once */
	spin(base);
	assert_true(closed_by_peer(stranger));
	assert_true(closed_by_peer(impostor));
	assert_int_equal(connect_to(addr), -1); /* every child is in: nobody else may connect */
	assert_int_equal(evbuffer_get_length(ctl), 0); /* our own part is missing */

	struct cmpi_msg_fence own = {.kind = CMPI_FENCE_PMIX,
				     .seq = 0,
				     .data = (const uint8_t *)"own",
				     .len = 3},
			      m;
	assert_int_equal(agent_tree_fence_in(t, &own), 0);
	assert_int_equal(agent_tree_fence_in(t, &own), -1); /* the same part twice */
	len = take(ctl, CMPI_MSG_FENCE_IN, payload);
	assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_IN, payload, len, &m), 0);
	assert_int_equal(m.len, 8);
	assert_memory_equal(m.data, "childown", 8);

	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_fence out = {
	    .kind = CMPI_FENCE_PMIX, .seq = 0, .data = (const uint8_t *)"ALL", .len = 3};
	assert_int_equal(cmpi_msg_fence_write(b, CMPI_MSG_FENCE_OUT, &out), 0);
	len = take(b, CMPI_MSG_FENCE_OUT, payload);
	assert_int_equal(agent_tree_result_from_launcher(t, payload, len), 0);
	assert_int_equal(seen.results, 1);
	assert_int_equal(seen.status, 0);
	assert_string_equal(seen.data, "ALL");
	spin(base);
	uint8_t got[64];
	ssize_t n = read(child, got, sizeof got);
	assert_int_equal(n, CMPI_FRAME_HEADER_SIZE + 9 + 3); /* kind, seq, status, data */
	assert_memory_equal(got + n - 3, "ALL", 3);

	/* The child goes while nothing waits: quiet, also after the grace; later
	 * allgathers fail at once. */
	close(child);
	spin_ms(base, 1200);
	assert_int_equal(seen.fails, 0);
	own.seq = 1;
	assert_int_equal(agent_tree_fence_in(t, &own), 0);
	assert_int_equal(seen.results, 2);
	assert_int_equal(seen.status, 1);
	assert_int_equal(evbuffer_get_length(ctl), 0);

	free(addr);
	close(stranger);
	close(impostor);
	agent_tree_stop(t);
	evbuffer_free(b);
	evbuffer_free(ctl);
	close(agent_fd);
	close(launcher_fd);
	event_base_free(base);
}

/* Two real agents: node 1 below node 0. The parent's part waits for the
 * child's; a child lost while an allgather waits fails it, and the job, after
 * the grace. */
static void parent_and_child_agents(void **state)
{
	struct event_base *base = event_base_new();
	struct evbuffer *ctl0 = evbuffer_new(), *ctl1 = evbuffer_new();
	struct seen seen0 = {0}, seen1 = {0};
	uint8_t payload[4096];
	uint32_t children[] = {1};
	char *addr0, *addr1;
	int a0, l0, a1, l1;
	(void)state;

	control_pair(&a0, &l0);
	control_pair(&a1, &l1);
	struct agent_tree *t0 = agent_tree_start(base, a0, ctl0, token, 0, &ops, &seen0);
	struct agent_tree *t1 = agent_tree_start(base, a1, ctl1, token, 1, &ops, &seen1);
	assert_non_null(t0);
	assert_non_null(t1);
	size_t len = take(ctl0, CMPI_MSG_TREE_PORT, payload);
	assert_int_equal(cmpi_msg_tree_port_read(payload, len, &addr0), 0);
	len = take(ctl1, CMPI_MSG_TREE_PORT, payload);
	assert_int_equal(cmpi_msg_tree_port_read(payload, len, &addr1), 0);
	assert_int_equal(place(t1, addr0, 0, NULL), 0); /* the child may be placed first */
	assert_int_equal(connect_to(addr1), -1);	/* a leaf listens no more */

	struct cmpi_msg_fence part = {.kind = CMPI_FENCE_PMI1,
				      .seq = 0,
				      .data = (const uint8_t *)"one",
				      .len = 3},
			      m;
	assert_int_equal(agent_tree_fence_in(t1, &part), 0);
	part.data = (const uint8_t *)"zero";
	part.len = 4;
	assert_int_equal(agent_tree_fence_in(t0, &part), 0);
	spin(base);
	assert_int_equal(evbuffer_get_length(ctl0), 0); /* node 0 is not placed yet */
	assert_int_equal(place(t0, "", 1, children), 0);
	spin(base);
	len = take(ctl0, CMPI_MSG_FENCE_IN, payload);
	assert_int_equal(cmpi_msg_fence_read(CMPI_MSG_FENCE_IN, payload, len, &m), 0);
	assert_int_equal(m.len, 7);
	assert_memory_equal(m.data, "zeroone", 7);
	assert_int_equal(evbuffer_get_length(ctl1), 0); /* node 1's part went to node 0 only */

	struct evbuffer *b = evbuffer_new();
	struct cmpi_msg_fence out = {
	    .kind = CMPI_FENCE_PMI1, .seq = 0, .data = (const uint8_t *)"zeroone", .len = 7};
	assert_int_equal(cmpi_msg_fence_write(b, CMPI_MSG_FENCE_OUT, &out), 0);
	len = take(b, CMPI_MSG_FENCE_OUT, payload);
	assert_int_equal(agent_tree_result_from_launcher(t1, payload, len),
			 -1); /* not its parent */
	assert_int_equal(agent_tree_result_from_launcher(t0, payload, len), 0);
	spin(base);
	assert_int_equal(seen0.results, 1);
	assert_int_equal(seen1.results, 1);
	assert_string_equal(seen1.data, "zeroone");

	/* Node 0 enters the next allgather; then node 1 is gone. */
	part.seq = 1;
	assert_int_equal(agent_tree_fence_in(t0, &part), 0);
	agent_tree_stop(t1);
	spin(base);
	/* The launcher gets a second to see the lost agent and say so first. */
	assert_int_equal(seen0.results, 1);
	assert_int_equal(seen0.fails, 0);
	spin_ms(base, 1200);
	assert_int_equal(seen0.results, 2);
	assert_int_equal(seen0.status, 1);
	assert_int_equal(seen0.fails, 1);

	free(addr0);
	free(addr1);
	agent_tree_stop(t0);
	evbuffer_free(b);
	evbuffer_free(ctl0);
	evbuffer_free(ctl1);
	close(a0);
	close(l0);
	close(a1);
	close(l1);
	event_base_free(base);
}

/* A finished agent's children may not have read the last result yet: before
 * it exits, the agent hands them all of it (8 MiB, more than the sockets hold). */
static void flush_hands_children_what_they_wait_for(void **state)
{
	enum { BIG = 8 << 20 };
	struct event_base *base = event_base_new();
	struct evbuffer *ctl = evbuffer_new(), *b = evbuffer_new();
	struct seen seen = {0};
	uint8_t payload[256];
	uint32_t children[] = {3};
	char *addr;
	int agent_fd, launcher_fd;
	(void)state;

	control_pair(&agent_fd, &launcher_fd);
	struct agent_tree *t = agent_tree_start(base, agent_fd, ctl, token, 0, &ops, &seen);
	assert_non_null(t);
	size_t len = take(ctl, CMPI_MSG_TREE_PORT, payload);
	assert_int_equal(cmpi_msg_tree_port_read(payload, len, &addr), 0);
	int child = connect_to(addr);
	send_hello(child, token, 3);
	send_fence_in(child, 0, "c");
	assert_int_equal(place(t, "", 1, children), 0);
	spin(base);
	struct cmpi_msg_fence own = {
	    .kind = CMPI_FENCE_PMIX, .data = (const uint8_t *)"o", .len = 1};
	assert_int_equal(agent_tree_fence_in(t, &own), 0);

	uint8_t *data = calloc(1, BIG);
	struct cmpi_msg_fence out = {.kind = CMPI_FENCE_PMIX, .data = data, .len = BIG};
	assert_int_equal(cmpi_msg_fence_write(b, CMPI_MSG_FENCE_OUT, &out), 0);
	struct cmpi_frame_header h;
	const uint8_t *p;
	assert_int_equal(cmpi_frame_peek(b, &h, &p), CMPI_FRAME_OK);
	assert_int_equal(agent_tree_result_from_launcher(t, p, h.length), 0);
	size_t want = CMPI_FRAME_HEADER_SIZE + h.length;

	pid_t reader = fork();
	if (reader == 0) { /* the child agent, reading slowly from the start */
		size_t got = 0;
		char buf[65536];
		ssize_t n;
		usleep(100 * 1000);
		/* Not until EOF: this process holds a copy of the agent's end too;
		 * bytes that never come end it after 3 s. */
		struct timeval tv = {3, 0};
		setsockopt(child, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		while (got < want && (n = read(child, buf, sizeof buf)) > 0)
			got += (size_t)n;
		_exit(got == want ? 0 : 1);
	}
	close(child);
	agent_tree_flush(t, 10000);
	agent_tree_stop(t);
	int status;
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	free(data);
	free(addr);
	evbuffer_free(b);
	evbuffer_free(ctl);
	close(agent_fd);
	close(launcher_fd);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(children_join_with_the_token_only),
	    cmocka_unit_test(parent_and_child_agents),
	    cmocka_unit_test(flush_hands_children_what_they_wait_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
