/* output.c - line assembly per rank and stream, so no two ranks' bytes share a line, and
 * writing to our stdout/stderr without ever blocking the event loop. */
#define _GNU_SOURCE
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cmpi/msg.h"
#include "cmpi/util.h"

struct rank_stream {
	struct evbuffer *pending; /* bytes after the last newline written */
	bool midline;             /* part of the current line already went out */
	struct timeval last;      /* when bytes last arrived */
};

/* One of our own output fds. It stays blocking (it is shared with the shell),
 * so we write only when poll says there is room, at most `chunk` bytes: a
 * pipe that polls writable takes PIPE_BUF bytes without blocking. */
struct sink {
	struct output *out;
	int fd;
	size_t chunk;
	struct evbuffer *queue;
	struct event *writable;
};

struct output {
	struct event_base *base;
	long nranks;
	enum output_prefix prefix;
	char *dir; /* --output-filename DIR/1, or NULL */
	struct sink sink[2];         /* stdout, stderr; sink[1] unused when they are one file */
	struct sink *route[2];       /* where each stream goes */
	struct rank_stream *streams; /* [rank * 2 + stream index] */
	struct event *partial_timer;
	output_backlog_f backlog;
	void *ctx;
	bool over;                   /* told the producer to pause */
	bool discard;
	size_t dropped;
	size_t file_errors; /* writes to --output-filename files that failed */
};

static void on_partial_timer(evutil_socket_t fd, short what, void *arg);
static void on_writable(evutil_socket_t fd, short what, void *arg);

static void arm_partial_timer(struct output *out)
{
	struct timeval tv = {0, OUTPUT_PARTIAL_FLUSH_MS * 1000};
	evtimer_add(out->partial_timer, &tv);
}

static size_t backlog(const struct output *out)
{
	size_t n = 0;
	for (int i = 0; i < 2; i++)
		if (out->sink[i].queue)
			n += evbuffer_get_length(out->sink[i].queue);
	return n;
}

static void update_backlog(struct output *out)
{
	size_t n = backlog(out);
	if (!out->over && !out->discard && n > OUTPUT_HIGH_WATER) {
		out->over = true;
		out->backlog(out->ctx, true);
	} else if (out->over && (n < OUTPUT_LOW_WATER || out->discard)) {
		out->over = false;
		/* The ranks were silent because we paused them: their unfinished
		 * lines count as fresh, not as quiet. */
		struct timeval now;
		event_base_gettimeofday_cached(out->base, &now);
		for (long i = 0; i < out->nranks * 2; i++)
			out->streams[i].last = now;
		out->backlog(out->ctx, false);
	}
}

/* Writes what the reader takes now; the rest waits for a writable event. */
static void sink_flush(struct output *out, struct sink *s)
{
	while (evbuffer_get_length(s->queue) > 0) {
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};
		if (poll(&p, 1, 0) <= 0)
			break;
		if (p.revents & (POLLERR | POLLNVAL)) {
			evbuffer_drain(s->queue, evbuffer_get_length(s->queue)); /* reader gone */
			break;
		}
		int n = evbuffer_write_atmost(s->queue, s->fd, (ev_ssize_t)s->chunk);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			evbuffer_drain(s->queue, evbuffer_get_length(s->queue)); /* EPIPE: gone */
		if (n < 0 && errno == EAGAIN)
			break;
	}
	if (evbuffer_get_length(s->queue) > 0)
		event_add(s->writable, NULL);
	else
		event_del(s->writable);
	update_backlog(out);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct sink *s = arg;
	(void)fd;
	(void)what;
	sink_flush(s->out, s);
}

static int sink_init(struct output *out, struct sink *s, int fd, const struct stat *st)
{
	s->out = out;
	s->fd = fd;
	/* A regular file never makes a write wait; a pipe or terminal might. */
	s->chunk = S_ISREG(st->st_mode) ? (1u << 20) : 4096;
	s->queue = evbuffer_new();
	s->writable = event_new(out->base, fd, EV_WRITE | EV_PERSIST, on_writable, s);
	return s->queue && s->writable ? 0 : -1;
}

/* Streams that reach one file (2>&1, or both on a terminal) share one queue:
 * two queues would each stop mid-line and tear each other's lines. */
static int sinks_init(struct output *out, int out_fd, int err_fd)
{
	struct stat so, se;
	if (fstat(out_fd, &so) < 0 || fstat(err_fd, &se) < 0)
		return -1;
	if (sink_init(out, &out->sink[0], out_fd, &so) < 0)
		return -1;
	out->route[0] = out->route[1] = &out->sink[0];
	if (so.st_dev == se.st_dev && so.st_ino == se.st_ino)
		return 0;
	out->route[1] = &out->sink[1];
	return sink_init(out, &out->sink[1], err_fd, &se);
}

/* DIR/1/rank.R/{stdout,stderr} for every rank, empty, so that a rank that
 * said nothing still has its files. */
static int make_rank_files(struct output *out, const char *dir)
{
	if (asprintf(&out->dir, "%s/1", dir) < 0) {
		out->dir = NULL;
		return -1;
	}
	if ((mkdir(dir, 0777) < 0 && errno != EEXIST) ||
	    (mkdir(out->dir, 0777) < 0 && errno != EEXIST))
		return -1;
	for (long r = 0; r < out->nranks; r++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/rank.%ld", out->dir, r);
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return -1;
		for (int si = 0; si < 2; si++) {
			snprintf(path, sizeof path, "%s/rank.%ld/%s", out->dir, r,
				 si ? "stderr" : "stdout");
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
			if (fd < 0)
				return -1;
			close(fd);
		}
	}
	return 0;
}

/* Regular files take a write at once; opened per write, so 64k ranks do not
 * need 128k descriptors. */
static void write_rank_file(struct output *out, long rank, int si, const uint8_t *data,
			    size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/rank.%ld/%s", out->dir, rank, si ? "stderr" : "stdout");
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || cmpi_write_all(fd, data, len) < 0)
		out->file_errors++;
	if (fd >= 0)
		close(fd);
}

struct output *output_create(struct event_base *base, long nranks, enum output_prefix prefix,
			     const char *dir, int out_fd, int err_fd, output_backlog_f backlog_cb,
			     void *ctx)
{
	struct output *out = calloc(1, sizeof *out);
	if (!out)
		return NULL;
	out->base = base;
	out->nranks = nranks;
	out->prefix = prefix;
	if (dir && make_rank_files(out, dir) < 0) {
		int err = errno;
		output_free(out);
		errno = err;
		return NULL;
	}
	out->backlog = backlog_cb;
	out->ctx = ctx;
	out->streams = calloc((size_t)nranks * 2, sizeof *out->streams);
	out->partial_timer = evtimer_new(base, on_partial_timer, out);
	if (!out->streams || !out->partial_timer || sinks_init(out, out_fd, err_fd) < 0) {
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
	for (int i = 0; i < 2; i++) {
		if (out->sink[i].queue)
			evbuffer_free(out->sink[i].queue);
		if (out->sink[i].writable)
			event_free(out->sink[i].writable);
	}
	if (out->partial_timer)
		event_free(out->partial_timer);
	free(out->dir);
	free(out);
}

static void add_piece(struct output *out, long rank, struct rank_stream *rs, struct sink *s,
		      size_t len, bool ends_line)
{
	if (out->prefix == OUTPUT_PREFIX_TAG && !rs->midline)
		evbuffer_add_printf(s->queue, "[1,%ld]<%s>:", rank,
				    rs == &out->streams[rank * 2] ? "stdout" : "stderr");
	else if (out->prefix == OUTPUT_PREFIX_LABEL && !rs->midline)
		evbuffer_add_printf(s->queue, "[%ld] ", rank);
	evbuffer_remove_buffer(rs->pending, s->queue, len);
	rs->midline = !ends_line;
}

void output_write(struct output *out, long rank, int stream, const uint8_t *data, size_t len)
{
	int si = stream == CMPI_STREAM_STDERR;
	struct rank_stream *rs = &out->streams[rank * 2 + si];
	struct sink *s = out->route[si];

	if (out->dir) {
		write_rank_file(out, rank, si, data, len);
		return;
	}
	if (out->discard && backlog(out) > OUTPUT_HIGH_WATER) {
		out->dropped += len;
		return;
	}
	if (!rs->pending && !(rs->pending = evbuffer_new()))
		return;
	evbuffer_add(rs->pending, data, len);
	event_base_gettimeofday_cached(out->base, &rs->last);
	for (;;) {
		struct evbuffer_ptr eol = evbuffer_search(rs->pending, "\n", 1, NULL);
		if (eol.pos < 0)
			break;
		add_piece(out, rank, rs, s, (size_t)eol.pos + 1, true);
	}
	if (evbuffer_get_length(rs->pending) >= OUTPUT_MAX_LINE)
		add_piece(out, rank, rs, s, evbuffer_get_length(rs->pending), false);
	sink_flush(out, s);
	if (evbuffer_get_length(rs->pending) > 0 && !evtimer_pending(out->partial_timer, NULL))
		arm_partial_timer(out);
}

static void flush_partial(struct output *out, long index)
{
	struct rank_stream *rs = &out->streams[index];
	if (!rs->pending || evbuffer_get_length(rs->pending) == 0)
		return;
	add_piece(out, index / 2, rs, out->route[index % 2], evbuffer_get_length(rs->pending),
		  false);
	sink_flush(out, out->route[index % 2]);
}

void output_flush_rank(struct output *out, long rank)
{
	flush_partial(out, rank * 2);
	flush_partial(out, rank * 2 + 1);
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
		if (!out->over && timercmp(&since, &quiet, >=))
			flush_partial(out, i);
		else
			waiting = true;
	}
	if (waiting)
		arm_partial_timer(out);
}

void output_message(struct output *out, const char *line, size_t len)
{
	evbuffer_add(out->route[1]->queue, line, len);
	sink_flush(out, out->route[1]);
}

void output_discard_excess(struct output *out)
{
	out->discard = true;
	update_backlog(out);
}

void output_finish(struct output *out)
{
	output_flush_all(out);
	for (int i = 0; i < 2; i++) {
		struct sink *s = &out->sink[i];
		if (!s->queue)
			continue;
		event_del(s->writable);
		while (evbuffer_get_length(s->queue) > 0) {
			int n = evbuffer_write(s->queue, s->fd);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				break; /* the reader is gone */
			if (n < 0 && errno == EAGAIN) {
				struct pollfd p = {.fd = s->fd, .events = POLLOUT};
				poll(&p, 1, -1);
			}
		}
	}
	if (out->file_errors > 0)
		cmpi_error("could not write %zu pieces of the ranks' output to --output-filename %s",
			   out->file_errors, out->dir);
	if (out->dropped > 0)
		cmpi_error("dropped %zu bytes of the ranks' output while the job was killed: "
			   "nothing was reading cmpirun's output",
			   out->dropped);
}
