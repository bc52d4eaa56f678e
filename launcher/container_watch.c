/* container_watch.c - one thread runs, with curl's multi interface, two long requests for
 * each of the job's containers: attach (what the agent prints, before it can tell us over
 * its connection) and wait (its exit status). The event loop hears of an exit through a
 * pipe. Both requests are in place before the container starts, and AutoRemove cannot
 * take its output away first. */
#define _GNU_SOURCE
#include "container_watch.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docker.h"
#include "docker_json.h"

#define OUTPUT_MAX 4096
#define ADD_TIMEOUT_S 2

struct watched {
	struct container_watch *w;
	long node;
	CURL *attach, *wait;
	/* Under the lock: the engine has answered a request's headers (or it failed). */
	bool attach_ready, wait_ready, attach_done, wait_done;
	/* Under the lock: a request failed or was not answered in time; what the
	 * container does is no longer reported (the connect timeout still is). */
	bool unwatched;
	long attach_http; /* the attach answer's status: its body is a stream only at 200 */
	/* The attach stream (Tty off): frames of [stream, 0, 0, 0, size (be32)], then data. */
	unsigned char header[8];
	size_t header_len, frame_left;
	char output[OUTPUT_MAX + 1];
	size_t output_len;
	char wait_body[256];
	size_t wait_len;
};

struct container_watch {
	const struct docker *engine;
	struct watched *c; /* [node] */
	long n;
	CURLM *multi;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t answered;
	long *pending; /* nodes whose requests the thread has yet to take on */
	long npending;
	atomic_bool stop;
	int notify[2]; /* thread -> event loop: a node whose container has exited */
	struct event *ev_notify;
	container_exited_f exited;
	void *ctx;
};

static size_t on_attach_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct watched *c = arg;
	size_t n = size * nmemb, used = 0;
	if (!c->attach_http)
		curl_easy_getinfo(c->attach, CURLINFO_RESPONSE_CODE, &c->attach_http);
	if (c->attach_http != 200)
		return n; /* an error body, not the container's output */
	while (used < n) {
		if (c->frame_left == 0) { /* in a frame header */
			size_t take = sizeof c->header - c->header_len;
			take = take < n - used ? take : n - used;
			memcpy(c->header + c->header_len, data + used, take);
			c->header_len += take;
			used += take;
			if (c->header_len == sizeof c->header) {
				c->frame_left = (size_t)c->header[4] << 24 |
						(size_t)c->header[5] << 16 |
						(size_t)c->header[6] << 8 | c->header[7];
				c->header_len = 0;
			}
			continue;
		}
		size_t take = c->frame_left < n - used ? c->frame_left : n - used;
		size_t room = OUTPUT_MAX - c->output_len; /* the first words say most */
		memcpy(c->output + c->output_len, data + used, take < room ? take : room);
		c->output_len += take < room ? take : room;
		c->frame_left -= take;
		used += take;
	}
	return n;
}

static size_t on_wait_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct watched *c = arg;
	size_t n = size * nmemb, room = sizeof c->wait_body - 1 - c->wait_len;
	memcpy(c->wait_body + c->wait_len, data, n < room ? n : room);
	c->wait_len += n < room ? n : room;
	return n;
}

/* The blank line after the headers: the engine has the request in hand. */
static void set_answered(struct watched *c, CURL *which)
{
	pthread_mutex_lock(&c->w->lock);
	if (which == c->attach)
		c->attach_ready = true;
	else
		c->wait_ready = true;
	pthread_cond_broadcast(&c->w->answered);
	pthread_mutex_unlock(&c->w->lock);
}

static size_t on_attach_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct watched *c = arg;
	if (size * nmemb == 2 && !memcmp(line, "\r\n", 2))
		set_answered(c, c->attach);
	return size * nmemb;
}

static size_t on_wait_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct watched *c = arg;
	if (size * nmemb == 2 && !memcmp(line, "\r\n", 2))
		set_answered(c, c->wait);
	return size * nmemb;
}

/* The wait's answer says the container exited: 200 and a StatusCode. */
static bool wait_answered(struct watched *c, CURLcode result)
{
	long http = 0;
	curl_easy_getinfo(c->wait, CURLINFO_RESPONSE_CODE, &http);
	int status;
	return result == CURLE_OK && http == 200 &&
	       docker_json_wait_status(c->wait_body, c->wait_len, &status) == 0;
}

/* A request ended. Only a wait that says the container exited is news; a
 * failed one (engine gone, out of descriptors, 404) leaves the container
 * unwatched rather than reported as ended. */
static void transfer_done(struct container_watch *w, CURL *easy, CURLcode result)
{
	struct watched *c;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
	set_answered(c, easy); /* a refused request must not keep its adder waiting */
	pthread_mutex_lock(&w->lock);
	if (easy == c->attach) {
		c->attach_done = true;
	} else {
		c->wait_done = true;
		if (!wait_answered(c, result))
			c->unwatched = true;
	}
	bool both = c->attach_done && c->wait_done && !c->unwatched;
	pthread_mutex_unlock(&w->lock);
	/* A full pipe means the loop has stopped reading (the job is over): the
	 * news is dropped, and nothing may be logged from this thread. */
	if (both)
		(void)!write(w->notify[1], &c->node, sizeof c->node);
}

static void *watch_thread(void *arg)
{
	struct container_watch *w = arg;
	while (!atomic_load(&w->stop)) {
		pthread_mutex_lock(&w->lock);
		for (long i = 0; i < w->npending; i++) {
			struct watched *c = &w->c[w->pending[i]];
			curl_multi_add_handle(w->multi, c->attach);
			curl_multi_add_handle(w->multi, c->wait);
		}
		w->npending = 0;
		pthread_mutex_unlock(&w->lock);

		int running, left;
		curl_multi_perform(w->multi, &running);
		CURLMsg *m;
		while ((m = curl_multi_info_read(w->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				transfer_done(w, m->easy_handle, m->data.result);
		curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

/* {"StatusCode":N,...} as a wait(2) status. */
static int wait_status(const struct watched *c) /* wait_answered() was true */
{
	int status = 0;
	docker_json_wait_status(c->wait_body, c->wait_len, &status);
	return status;
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct container_watch *w = arg;
	long node;
	(void)what;
	while (read(fd, &node, sizeof node) == (ssize_t)sizeof node) {
		if (node < 0 || node >= w->n)
			continue;
		struct watched *c = &w->c[node];
		c->output[c->output_len] = '\0';
		w->exited(w->ctx, node, wait_status(c), c->output);
	}
}

static CURL *stream_handle(struct container_watch *w, struct watched *c, const char *path,
			   curl_write_callback data, curl_write_callback header)
{
	CURL *easy = docker_stream_handle(w->engine, path);
	if (!easy)
		return NULL;
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, data);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, c);
	return easy;
}

int container_watch_add(struct container_watch *w, long node, const char *id)
{
	struct watched *c = &w->c[node];
	char wait[128], attach[128];
	/* next-exit: asked before the start, so the exit cannot come first. */
	snprintf(wait, sizeof wait, "/containers/%.64s/wait?condition=next-exit", id);
	snprintf(attach, sizeof attach, "/containers/%.64s/attach?stream=1&stdout=1&stderr=1", id);
	c->wait = stream_handle(w, c, wait, on_wait_data, on_wait_header);
	c->attach = stream_handle(w, c, attach, on_attach_data, on_attach_header);
	if (!c->wait || !c->attach) {
		curl_easy_cleanup(c->wait);
		curl_easy_cleanup(c->attach);
		c->wait = c->attach = NULL;
		return -1;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ADD_TIMEOUT_S;
	pthread_mutex_lock(&w->lock);
	w->pending[w->npending++] = node;
	curl_multi_wakeup(w->multi);
	int rc = 0;
	while (rc == 0 && !(c->attach_ready && c->wait_ready))
		rc = pthread_cond_timedwait(&w->answered, &w->lock, &deadline);
	if (rc != 0)
		c->unwatched = true; /* an engine that holds its answers back */
	bool ok = !c->unwatched;
	pthread_mutex_unlock(&w->lock);
	return ok ? 0 : -1;
}

struct container_watch *container_watch_start(struct event_base *base, const struct docker *engine,
					      long ncontainers, container_exited_f exited,
					      void *ctx)
{
	struct container_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->engine = engine;
	w->n = ncontainers;
	w->exited = exited;
	w->ctx = ctx;
	w->notify[0] = w->notify[1] = -1;
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->answered, &monotonic);
	pthread_condattr_destroy(&monotonic);
	atomic_init(&w->stop, false);
	w->c = calloc((size_t)ncontainers, sizeof *w->c);
	w->pending = calloc((size_t)ncontainers, sizeof *w->pending);
	w->multi = curl_multi_init();
	if (!w->c || !w->pending || !w->multi || pipe2(w->notify, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	for (long i = 0; i < ncontainers; i++) {
		w->c[i].w = w;
		w->c[i].node = i;
	}
	w->ev_notify = event_new(base, w->notify[0], EV_READ | EV_PERSIST, on_notify, w);
	if (!w->ev_notify || event_add(w->ev_notify, NULL) < 0)
		goto fail;
	if (pthread_create(&w->thread, NULL, watch_thread, w) != 0)
		goto fail;
	w->thread_started = true;
	return w;
fail:
	container_watch_stop(w);
	return NULL;
}

void container_watch_stop(struct container_watch *w)
{
	if (!w)
		return;
	if (w->thread_started) {
		atomic_store(&w->stop, true);
		curl_multi_wakeup(w->multi);
		pthread_join(w->thread, NULL);
	}
	for (long i = 0; w->c && i < w->n; i++) {
		CURL *easy[] = {w->c[i].attach, w->c[i].wait};
		for (int k = 0; k < 2; k++) {
			if (!easy[k])
				continue;
			curl_multi_remove_handle(w->multi, easy[k]);
			curl_easy_cleanup(easy[k]);
		}
	}
	if (w->multi)
		curl_multi_cleanup(w->multi);
	if (w->ev_notify)
		event_free(w->ev_notify);
	for (int i = 0; i < 2; i++)
		if (w->notify[i] >= 0)
			close(w->notify[i]);
	pthread_cond_destroy(&w->answered);
	pthread_mutex_destroy(&w->lock);
	free(w->pending);
	free(w->c);
	free(w);
}
