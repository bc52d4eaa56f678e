/* test_docker_json.c - the engine's JSON answers as cmpirun reads them, without an engine:
 * what real engines send, and what the fuzzer (fuzz_docker_json.c) found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_json.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void error_messages(void **state)
{
	char buf[400];
	(void)state;
	const char *body = "{\"message\":\"No such image: nope:latest\"}";
	assert_string_equal(docker_json_message(body, strlen(body), buf, sizeof buf),
			    "No such image: nope:latest");
	/* Not JSON: the body itself, its first line. */
	body = "404 page not found\nmore";
	assert_string_equal(docker_json_message(body, strlen(body), buf, sizeof buf),
			    "404 page not found");
	assert_string_equal(docker_json_message("", 0, buf, sizeof buf), "no message");
	/* The length counts, not a NUL after it. */
	assert_string_equal(docker_json_message("abcdef", 3, buf, sizeof buf), "abc");
	/* Control characters (a terminal's escape sequences) do not reach the terminal. */
	body = "{\"message\":\"bad\\u001b[2Jthing\\tend\"}";
	assert_string_equal(docker_json_message(body, strlen(body), buf, sizeof buf),
			    "bad?[2Jthing?end");
}

static void created_id(void **state)
{
	char id[65];
	(void)state;
	const char *body = "{\"Id\":\"" ID "\",\"Warnings\":[]}";
	assert_int_equal(docker_json_created_id(body, strlen(body), id), 0);
	assert_string_equal(id, ID);
	body = "{\"Id\":\"abc\"}";
	assert_int_equal(docker_json_created_id(body, strlen(body), id), -1);
	body = "{\"Id\":7}";
	assert_int_equal(docker_json_created_id(body, strlen(body), id), -1);
	assert_int_equal(docker_json_created_id("", 0, id), -1);
}

static void running(void **state)
{
	(void)state;
	const char *body = "{\"State\":{\"Running\":false,\"ExitCode\":0}}";
	assert_false(docker_json_running(body, strlen(body)));
	body = "{\"State\":{\"Running\":true}}";
	assert_true(docker_json_running(body, strlen(body)));
	/* Unknown: assume it runs. */
	assert_true(docker_json_running("{}", 2));
	assert_true(docker_json_running("garbage", 7));
}

static void container_list(void **state)
{
	char **ids, **values;
	(void)state;
	const char *body = "[{\"Id\":\"" ID "\",\"Labels\":{\"cmpi.job\":\"j1\"}},"
			   "{\"Id\":\"not-hex\",\"Labels\":{}},"
			   "{\"Id\":\"" ID "\",\"Labels\":null}]";
	assert_int_equal(docker_json_container_ids(body, strlen(body), "cmpi.job", &ids, &values),
			 2);
	assert_string_equal(ids[0], ID);
	assert_string_equal(values[0], "j1");
	assert_string_equal(values[1], "");
	assert_null(ids[2]);
	assert_null(values[2]);
	for (int i = 0; i < 2; i++) {
		free(ids[i]);
		free(values[i]);
	}
	free(ids);
	free(values);
	/* Not a list: no containers. */
	assert_int_equal(docker_json_container_ids("{}", 2, NULL, &ids, NULL), 0);
	assert_null(ids[0]);
	free(ids);
}

static void wait_status(void **state)
{
	int status = -1;
	(void)state;
	const char *body = "{\"Error\":null,\"StatusCode\":137}";
	assert_int_equal(docker_json_wait_status(body, strlen(body), &status), 0);
	assert_int_equal(status, 137 << 8);
	body = "{\"StatusCode\":\"0\"}";
	assert_int_equal(docker_json_wait_status(body, strlen(body), &status), -1);
}

struct seen {
	int calls;
	struct docker_pull_progress last;
};

static void on_progress(void *ctx, const struct docker_pull_progress *p)
{
	struct seen *s = ctx;
	s->calls++;
	s->last = *p;
	s->last.status = NULL; /* valid only during the call */
}

/* The lines fed as one body; returns what was left unterminated. */
static size_t feed(struct docker_pull_events *ev, const char *text)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, text, len);
	len = docker_pull_lines(ev, buf, len);
	if (len)
		docker_pull_event(ev, buf, len);
	free(buf);
	return len;
}

static void pull_progress(void **state)
{
	struct seen s = {0};
	struct docker_pull_events *ev = calloc(1, sizeof *ev);
	(void)state;
	assert_non_null(ev);
	ev->progress = on_progress;
	ev->ctx = &s;
	feed(ev, "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\n"
		 "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1\"}\n"
		 "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":100,\"total\":400},"
		 "\"id\":\"a1\"}\n"
		 "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"a1\"}\n"
		 "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"a1\"}");
	assert_int_equal(s.calls, 5);
	assert_int_equal(s.last.layers, 1);
	assert_int_equal(s.last.layers_done, 1);
	assert_int_equal(s.last.bytes_done, 400);
	assert_int_equal(s.last.bytes_total, 400);
	assert_string_equal(ev->error, "");
	feed(ev, "{\"errorDetail\":{\"message\":\"denied\"},\"error\":\"denied\"}\n");
	assert_string_equal(ev->error, "denied");
	free(ev);
}

/* Found by fuzz_docker_json: a negative size showed as negative megabytes, and
 * sizes near LLONG_MAX overflowed the sums (undefined behaviour: UBSan stopped). */
static void pull_sizes_that_mean_nothing(void **state)
{
	struct seen s = {0};
	struct docker_pull_events *ev = calloc(1, sizeof *ev);
	(void)state;
	assert_non_null(ev);
	ev->progress = on_progress;
	ev->ctx = &s;
	feed(ev, "{\"status\":\"Downloading\",\"id\":\"01\",\"progressDetail\":"
		 "{\"current\":100,\"total\":1000}}\n"
		 "{\"status\":\"Downloading\",\"id\":\"01\",\"progressDetail\":"
		 "{\"current\":-6917529027641081856,\"total\":-1}}\n");
	assert_int_equal(s.last.bytes_done, 100);
	assert_int_equal(s.last.bytes_total, 1000);
	feed(ev, "{\"status\":\"Downloading\",\"id\":\"02\",\"progressDetail\":"
		 "{\"current\":8224184395959005031,\"total\":9223372036854775807}}\n"
		 "{\"status\":\"Downloading\",\"id\":\"03\",\"progressDetail\":"
		 "{\"current\":8305875163302947874,\"total\":9223372036854775807}}\n");
	assert_int_equal(s.last.layers, 3);
	assert_int_equal(s.last.bytes_done, 100);
	assert_int_equal(s.last.bytes_total, 1000);
	free(ev);
}

/* An id too long to keep matched no later event: each took a new layer, until
 * "0 of 256 layers". Such an event counts for no layer. */
static void pull_long_ids(void **state)
{
	struct seen s = {0};
	struct docker_pull_events *ev = calloc(1, sizeof *ev);
	char line[300];
	(void)state;
	assert_non_null(ev);
	ev->progress = on_progress;
	ev->ctx = &s;
	snprintf(line, sizeof line, "{\"status\":\"Pulling fs layer\",\"id\":\"%s%s\"}\n", ID, ID);
	for (int i = 0; i < 3; i++)
		feed(ev, line);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.last.layers, 0);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(error_messages),
	    cmocka_unit_test(created_id),
	    cmocka_unit_test(running),
	    cmocka_unit_test(container_list),
	    cmocka_unit_test(wait_status),
	    cmocka_unit_test(pull_progress),
	    cmocka_unit_test(pull_sizes_that_mean_nothing),
	    cmocka_unit_test(pull_long_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
