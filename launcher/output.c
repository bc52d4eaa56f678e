/* output.c - line assembly per rank and stream, so no two ranks' bytes share a line. */
#include "output.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "cmpi/msg.h"

struct rank_stream {
	struct evbuffer *pending; /* bytes after the last newline written */
	bool midline;             /* part of the current line already went out */
	struct timeval last;      /* when bytes last arrived */
};

struct output {
	struct event_base *base;
	long nranks;
	bool tag;
	int fd[2];
	struct rank_stream *streams; /* [rank * 2 + stream index] */
	struct evbuffer *batch;      /* lines ready for one write */
	struct event *partial_timer;
};

static void on_partial_timer(evutil_socket_t fd, short what, void *arg);

static void arm_partial_timer(struct output *out)
{
	struct timeval tv = {0, OUTPUT_PARTIAL_FLUSH_MS * 1000};
	evtimer_add(out->partial_timer, &tv);
}

struct output *output_create(struct event_base *base, long nranks, bool tag, int out_fd,
			     int err_fd)
{
	struct output *out = calloc(1, sizeof *out);
	if (!out)
		return NULL;
	out->base = base;
	out->nranks = nranks;
	out->tag = tag;
	out->fd[0] = out_fd;
	out->fd[1] = err_fd;
	out->streams = calloc((size_t)nranks * 2, sizeof *out->streams);
	out->batch = evbuffer_new();
	out->partial_timer = evtimer_new(base, on_partial_timer, out);
	if (!out->streams || !out->batch || !out->partial_timer) {
		output_free(out);
		return NULL;
	}
	return out;
}

void output_free(struct output *out)
{
	if (!out)
		return;
	for (long i = 0; out->streams && i < out->nranks * 2; i++)
		if (out->streams[i].pending)
			evbuffer_free(out->streams[i].pending);
	free(out->streams);
	if (out->batch)
		evbuffer_free(out->batch);
	if (out->partial_timer)
		event_free(out->partial_timer);
	free(out);
}

/* Blocking write of the whole batch. Our stdout may have been left
 * non-blocking by whoever shares it, so EAGAIN waits for room. A closed
 * stdout (EPIPE) drops the output: the job itself goes on. */
static void write_batch(struct output *out, int fd)
{
	while (evbuffer_get_length(out->batch) > 0) {
		int n = evbuffer_write(out->batch, fd);
		if (n >= 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			poll(&p, 1, -1);
			continue;
		}
		evbuffer_drain(out->batch, evbuffer_get_length(out->batch));
	}
}

static void add_piece(struct output *out, long rank, struct rank_stream *rs, size_t len,
		      bool ends_line)
{
	if (out->tag && !rs->midline)
		evbuffer_add_printf(out->batch, "[%ld] ", rank);
	evbuffer_remove_buffer(rs->pending, out->batch, len);
	rs->midline = !ends_line;
}

void output_write(struct output *out, long rank, int stream, const uint8_t *data, size_t len)
{
	int si = stream == CMPI_STREAM_STDERR;
	struct rank_stream *rs = &out->streams[rank * 2 + si];

	if (!rs->pending && !(rs->pending = evbuffer_new()))
		return;
	evbuffer_add(rs->pending, data, len);
	event_base_gettimeofday_cached(out->base, &rs->last);
	for (;;) {
		struct evbuffer_ptr eol = evbuffer_search(rs->pending, "\n", 1, NULL);
		if (eol.pos < 0)
			break;
		add_piece(out, rank, rs, (size_t)eol.pos + 1, true);
	}
	if (evbuffer_get_length(rs->pending) >= OUTPUT_MAX_LINE)
		add_piece(out, rank, rs, evbuffer_get_length(rs->pending), false);
	write_batch(out, out->fd[si]);
	if (evbuffer_get_length(rs->pending) > 0 && !evtimer_pending(out->partial_timer, NULL))
		arm_partial_timer(out);
}

void output_flush_rank(struct output *out, long rank)
{
	for (int si = 0; si < 2; si++) {
		struct rank_stream *rs = &out->streams[rank * 2 + si];
		if (rs->pending && evbuffer_get_length(rs->pending) > 0) {
			add_piece(out, rank, rs, evbuffer_get_length(rs->pending), false);
			write_batch(out, out->fd[si]);
		}
	}
}

void output_flush_all(struct output *out)
{
	for (long r = 0; r < out->nranks; r++)
		output_flush_rank(out, r);
}

/* Writes the unfinished lines of ranks that have been quiet for a while; a
 * rank still streaming is only between two reads, and its line stays whole. */
static void on_partial_timer(evutil_socket_t fd, short what, void *arg)
{
	struct output *out = arg;
	struct timeval now, quiet = {0, OUTPUT_PARTIAL_FLUSH_MS * 1000}, since;
	bool waiting = false;
	(void)fd;
	(void)what;

	event_base_gettimeofday_cached(out->base, &now);
	for (long i = 0; i < out->nranks * 2; i++) {
		struct rank_stream *rs = &out->streams[i];
		if (!rs->pending || evbuffer_get_length(rs->pending) == 0)
			continue;
		timersub(&now, &rs->last, &since);
		if (!timercmp(&since, &quiet, >=)) {
			waiting = true;
			continue;
		}
		add_piece(out, i / 2, rs, evbuffer_get_length(rs->pending), false);
		write_batch(out, out->fd[i % 2]);
	}
	if (waiting)
		arm_partial_timer(out);
}
