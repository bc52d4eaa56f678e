/* output.h - ranks' stdout/stderr to the launcher's own, whole lines at a time. */
#ifndef CMPI_OUTPUT_H
#define CMPI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct output;

/* A line without its newline is written anyway once its rank has been quiet
 * this long, so prompts and progress dots still show. */
#define OUTPUT_PARTIAL_FLUSH_MS 100
/* A line longer than this is written in pieces rather than held. */
#define OUTPUT_MAX_LINE (64u * 1024)

struct output *output_create(struct event_base *base, long nranks, bool tag, int out_fd,
			     int err_fd);
void output_free(struct output *out);
/* stream is CMPI_STREAM_STDOUT or CMPI_STREAM_STDERR. */
void output_write(struct output *out, long rank, int stream, const uint8_t *data, size_t len);
/* Writes whatever the rank left without a newline (it has exited). */
void output_flush_rank(struct output *out, long rank);
void output_flush_all(struct output *out);

#endif
