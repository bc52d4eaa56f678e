/* pull.c - pull an image with its progress on stderr: one line rewritten in place on a
 * terminal, a line per finished layer in a log (where carriage returns would be noise). */
#include "pull.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cmpi/util.h"
#include "docker.h"

struct shown {
	const char *image;
	bool terminal;
	int layers_done;   /* what the log last said */
	double last_drawn; /* seconds: a terminal line is redrawn at most 10 times a second */
};

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_progress(void *ctx, const struct docker_pull_progress *p)
{
	struct shown *s = ctx;
	if (s->terminal) {
		double now = seconds();
		if (now - s->last_drawn < 0.1 && p->layers_done < p->layers)
			return;
		s->last_drawn = now;
		fprintf(stderr, "\r%s: pulling %s: %d of %d layers, %.1f of %.1f MB\033[K",
			cmpi_progname(), s->image, p->layers_done, p->layers,
			(double)p->bytes_done / 1e6, (double)p->bytes_total / 1e6);
	} else if (p->layers_done > s->layers_done) {
		s->layers_done = p->layers_done;
		fprintf(stderr, "%s: pulling %s: %d of %d layers\n", cmpi_progname(), s->image,
			p->layers_done, p->layers);
	}
}

int pull_image(struct docker *engine, const char *image)
{
	struct docker_error err;
	struct shown s = {.image = image, .terminal = isatty(STDERR_FILENO)};
	double start = seconds();

	fprintf(stderr, "%s: image '%s' is not on the engine at %s; pulling it\n", cmpi_progname(),
		image, docker_url(engine));
	int rc = docker_image_pull(engine, image, on_progress, &s, &err);
	if (s.terminal)
		fputc('\n', stderr);
	if (rc < 0) {
		cmpi_error("%s", err.message);
		return -1;
	}
	fprintf(stderr, "%s: pulled %s in %.1f s\n", cmpi_progname(), image, seconds() - start);
	return 0;
}
