/* fuzz_docker_json.c - libFuzzer harness for the Docker engine's answers as cmpirun reads
 * them (docker_json.c): arbitrary bytes as a response body.
 *
 * Input: byte 0 picks the reader (bits 0-2) and, for a pull, the chunk size the
 * body arrives in (bits 3-7, 0: at once); the rest is the body.
 *   0 an error body's message        4 the same with the values of a label
 *   1 create's Id                    5 wait's StatusCode
 *   2 inspect's State.Running        6 a pull's stream of JSON lines
 *   3 the list of containers' ids    7 pull events made from the bytes (below)
 * jansson is not instrumented, so the fuzzer gets no guidance towards well-formed
 * JSON; 7 makes well-formed pull events of its bytes to reach the sums behind them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_json.h"

#include "fuzz_check.h"

static bool hex_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void message(const char *body, size_t len)
{
	char buf[400];
	memset(buf, 'x', sizeof buf);
	CHECK(docker_json_message(body, len, buf, sizeof buf) == buf);
	/* One line, within the buffer: it ends a message to the user. */
	CHECK(memchr(buf, '\0', sizeof buf));
	CHECK(!strchr(buf, '\n'));
}

static void created(const char *body, size_t len)
{
	char id[65];
	if (docker_json_created_id(body, len, id) == 0)
		CHECK(strlen(id) == 64);
}

static void list(const char *body, size_t len, const char *value_of, bool with_values)
{
	char **ids, **values = NULL;
	long n = docker_json_container_ids(body, len, value_of, &ids, with_values ? &values : NULL);
	if (n < 0) {
		CHECK(!ids && !values);
		return;
	}
	CHECK(ids && (!with_values || values));
	for (long i = 0; i < n; i++) {
		CHECK(ids[i] && hex_id(ids[i]));
		CHECK(!with_values || values[i]);
		free(ids[i]);
		if (with_values)
			free(values[i]);
	}
	CHECK(!ids[n] && (!with_values || !values[n]));
	free(ids);
	free(values);
}

static void wait_status(const char *body, size_t len)
{
	int status = -1;
	if (docker_json_wait_status(body, len, &status) == 0)
		CHECK(status >= 0 && status <= 0xff00 && (status & 0xff) == 0);
}

static void on_progress(void *ctx, const struct docker_pull_progress *p)
{
	(void)ctx;
	CHECK(p->status);
	CHECK(p->layers >= 0 && p->layers <= DOCKER_PULL_MAX_LAYERS);
	CHECK(p->layers_done >= 0 && p->layers_done <= p->layers);
	/* pull.c shows these as megabytes done of the total. */
	CHECK(p->bytes_done >= 0 && p->bytes_total >= 0);
}

/* Records of 18 bytes: status (index into the list), layer id, then current and
 * total as big-endian 64-bit integers, each made into one event line. */
static void pull_fields(const uint8_t *data, size_t len)
{
	static const char *const statuses[] = {
	    "Pulling fs layer",	  "Waiting",	       "Downloading",
	    "Verifying Checksum", "Download complete", "Extracting",
	    "Pull complete",	  "Already exists",    "Pulling from x"};
	struct docker_pull_events *ev = calloc(1, sizeof *ev);
	CHECK(ev);
	ev->progress = on_progress;
	for (; len >= 18; data += 18, len -= 18) {
		long long v[2] = {0, 0};
		for (int k = 0; k < 16; k++)
			v[k / 8] = (long long)((unsigned long long)v[k / 8] << 8 | data[2 + k]);
		char line[256];
		int n = snprintf(line, sizeof line,
				 "{\"status\":\"%s\",\"id\":\"%02x\",\"progressDetail\":"
				 "{\"current\":%lld,\"total\":%lld}}",
				 statuses[data[0] % (sizeof statuses / sizeof *statuses)], data[1],
				 v[0], v[1]);
		docker_pull_event(ev, line, (size_t)n);
	}
	free(ev);
}

/* The body as curl hands it over, in chunks, through docker.c's line buffer. */
static void pull(const char *body, size_t len, size_t chunk)
{
	struct docker_pull_events *ev = calloc(1, sizeof *ev);
	char *buf = malloc(len + 1);
	size_t have = 0;
	CHECK(ev && buf);
	ev->progress = on_progress;
	for (size_t off = 0; off < len;) {
		size_t n = chunk && chunk < len - off ? chunk : len - off;
		memcpy(buf + have, body + off, n);
		have += n;
		off += n;
		have = docker_pull_lines(ev, buf, have);
		CHECK(buf[have] == '\0' && !memchr(buf, '\n', have));
	}
	if (have) /* a last line without its newline */
		docker_pull_event(ev, buf, have);
	CHECK(ev->nlayers >= 0 && ev->nlayers <= DOCKER_PULL_MAX_LAYERS);
	CHECK(memchr(ev->error, '\0', sizeof ev->error));
	free(buf);
	free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] & 7) {
	case 0:
		message(body, len);
		break;
	case 1:
		created(body, len);
		break;
	case 2:
		(void)docker_json_running(body, len);
		break;
	case 3:
		list(body, len, NULL, false);
		break;
	case 4:
		list(body, len, "cmpi.job", true);
		break;
	case 5:
		wait_status(body, len);
		break;
	case 6:
		pull(body, len, data[0] >> 3);
		break;
	default:
		pull_fields(data + 1, size - 1);
		break;
	}
	return 0;
}
