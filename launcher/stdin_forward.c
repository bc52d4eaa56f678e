/* stdin_forward.c - our standard input to rank 0, as STDIN frames, within a window. */
#include "stdin_forward.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmpi/msg.h"

struct stdin_forward {
	struct event *ev;
	bool pollable;
	bool paused; /* the window is full; an ack resumes */
	bool stopped;
	size_t inflight;
	stdin_forward_output_f output;
	void *ctx;
};

static void resume(struct stdin_forward *f)
{
	f->paused = false;
	if (f->pollable)
		event_add(f->ev, NULL);
	else
		event_active(f->ev, EV_READ, 0);
}

static void stop(struct stdin_forward *f)
{
	if (f->ev)
		event_del(f->ev);
	f->stopped = true;
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct stdin_forward *f = arg;
	struct evbuffer *out = f->output(f->ctx);
	char buf[STDIN_CHUNK];
	(void)fd;
	(void)what;

	if (!out) {
		stop(f);
		return;
	}
	if (f->inflight >= STDIN_WINDOW) {
		f->paused = true;
		event_del(f->ev);
		return;
	}
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		cmpi_msg_stdin_write(out, NULL, 0); /* EOF for rank 0 */
		stop(f);
		return;
	}
	cmpi_msg_stdin_write(out, buf, (size_t)n);
	f->inflight += (size_t)n;
	if (!f->pollable)
		event_active(f->ev, EV_READ, 0);
}

/* epoll refuses regular files and /dev/null; those never block, so they are
 * read in chunks from the loop instead of waiting for readiness. */
struct stdin_forward *stdin_forward_start(struct event_base *base, stdin_forward_output_f output,
					  void *ctx)
{
	struct stat st;
	struct stdin_forward *f = calloc(1, sizeof *f);
	if (!f || fstat(STDIN_FILENO, &st) < 0) {
		struct evbuffer *out = output(ctx);
		if (out)
			cmpi_msg_stdin_write(out, NULL, 0);
		free(f);
		return NULL;
	}
	f->output = output;
	f->ctx = ctx;
	f->pollable = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
		      (S_ISCHR(st.st_mode) && isatty(STDIN_FILENO));
	f->ev = event_new(base, f->pollable ? STDIN_FILENO : -1,
			  f->pollable ? EV_READ | EV_PERSIST : 0, on_stdin, f);
	if (!f->ev) {
		free(f);
		return NULL;
	}
	resume(f);
	return f;
}

void stdin_forward_acked(struct stdin_forward *f, const struct cmpi_msg_stdin_ack *ack)
{
	if (!f)
		return;
	f->inflight -= ack->bytes < f->inflight ? ack->bytes : f->inflight;
	if (ack->closed)
		stop(f);
	else if (!f->stopped && f->paused && f->inflight < STDIN_WINDOW)
		resume(f);
}

void stdin_forward_stop(struct stdin_forward *f)
{
	if (!f)
		return;
	event_free(f->ev);
	free(f);
}
