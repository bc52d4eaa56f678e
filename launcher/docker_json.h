/* docker_json.h - the engine's JSON answers turned into results; apart from docker.c so they
 * can be tested and fuzzed without an engine. Bodies are bytes, not NUL-terminated. */
#ifndef CMPI_DOCKER_JSON_H
#define CMPI_DOCKER_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* Where a pull stands, summed over the image's layers as the engine reports
 * them (sizes are known only once a layer's download starts). */
struct docker_pull_progress {
	int layers, layers_done;
	long long bytes_done, bytes_total;
	const char *status; /* the engine's latest line: "Pulling fs layer", ... */
};
typedef void (*docker_pull_progress_f)(void *ctx, const struct docker_pull_progress *p);

/* The "message" of an error body, else the body itself, else "no message";
 * its first line only, in buf. Returns buf. */
const char *docker_json_message(const char *body, size_t len, char *buf, size_t size);

/* create's answer {"Id":"<64 characters>",...}: 0 with id filled, or -1. */
int docker_json_created_id(const char *body, size_t len, char id[65]);

/* inspect's State.Running: false only when the engine says false. */
bool docker_json_running(const char *body, size_t len);

/* The list of containers' answer: the ids (64 hex characters; others are
 * skipped) as a malloc'd NULL-terminated list, and with values non-NULL the
 * value of label value_of on each ("" when it has none). How many, or -1
 * (out of memory; nothing allocated). Not a list: none. */
long docker_json_container_ids(const char *body, size_t len, const char *value_of, char ***ids,
			       char ***values);

/* wait's answer {"StatusCode":N}: 0 with *status N as a wait(2) status, or
 * -1 when it says no such thing. */
int docker_json_wait_status(const char *body, size_t len, int *status);

/* A pull's stream of JSON lines, one per engine event, summed per layer. */
#define DOCKER_PULL_MAX_LAYERS 256
struct docker_pull_events {
	docker_pull_progress_f progress;
	void *ctx;
	struct {
		char id[72];
		long long done, total;
		bool complete;
	} layer[DOCKER_PULL_MAX_LAYERS];
	int nlayers;
	char error[400]; /* the stream's own error line, if any */
};

/* One event (a line without its newline). */
void docker_pull_event(struct docker_pull_events *p, const char *line, size_t len);
/* Takes the whole lines at the start of buf[0..len) and moves what is left
 * to the front, NUL-terminated (buf has room for len + 1); returns its length. */
size_t docker_pull_lines(struct docker_pull_events *p, char *buf, size_t len);

#endif
