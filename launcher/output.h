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
/* Output waiting for a slow reader of our stdout/stderr: above the high mark
 * the producer is told to pause, below the low mark to go on. */
#define OUTPUT_HIGH_WATER (8u << 20)
#define OUTPUT_LOW_WATER (1u << 20)

/* Called when the backlog crosses the high mark (over = true) or drops back
 * under the low mark (over = false). */
typedef void (*output_backlog_f)(void *ctx, bool over);

/* What starts each line of a rank: nothing, Open MPI's --tag-output
 * "[1,R]<stdout>:" or MPICH's -l "[R] ". */
enum output_prefix { OUTPUT_PREFIX_NONE, OUTPUT_PREFIX_TAG, OUTPUT_PREFIX_LABEL };

/* With dir (--output-filename), each rank's stdout and stderr go to the files
 * DIR/1/rank.R/stdout and stderr instead, as Open MPI lays them out; they are
 * created here, and NULL with errno comes back when they cannot be. */
struct output *output_create(struct event_base *base, long nranks, enum output_prefix prefix,
			     const char *dir, int out_fd, int err_fd, output_backlog_f backlog,
			     void *ctx);
void output_free(struct output *out);
/* stream is CMPI_STREAM_STDOUT or CMPI_STREAM_STDERR. Never blocks: what the
 * reader cannot take yet waits in memory and goes out when it can. */
void output_write(struct output *out, long rank, int stream, const uint8_t *data, size_t len);
/* Writes whatever the rank left without a newline (it has exited). */
void output_flush_rank(struct output *out, long rank);
void output_flush_all(struct output *out);
/* One line of cmpirun's own for stderr, queued behind the ranks' output so
 * that it neither overtakes it nor blocks on a stuck reader. */
void output_message(struct output *out, const char *line, size_t len);
/* The job is being killed: stop holding the producer back; output beyond the
 * high mark is dropped (and counted) instead. */
void output_discard_excess(struct output *out);
/* At the end: writes everything still waiting, blocking as long as it takes,
 * and says how much was dropped, if anything. */
void output_finish(struct output *out);

#endif
