/* stdin_forward.h - cmpirun's standard input to rank 0's agent, in STDIN frames, with a
 * window of unacknowledged bytes so that a rank 0 that does not read cannot make its
 * agent buffer without end. */
#ifndef CMPI_STDIN_FORWARD_H
#define CMPI_STDIN_FORWARD_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct cmpi_msg_stdin_ack;

/* Stdin bytes sent and not yet acknowledged, at most; and a read's size. */
#define STDIN_WINDOW (1u << 20)
#define STDIN_CHUNK (64u * 1024)

/* Where the frames go: rank 0's agent's output, or NULL once it is gone. */
typedef struct evbuffer *(*stdin_forward_output_f)(void *ctx);

struct stdin_forward;

/* Starts reading our stdin (fd 0). NULL when there is nothing to read (EOF
 * sent) or no memory; stdin_forward_stop is NULL-safe. */
struct stdin_forward *stdin_forward_start(struct event_base *base, stdin_forward_output_f output,
					  void *ctx);
/* The agent's STDIN_ACK: bytes taken, or rank 0 stopped reading. */
void stdin_forward_acked(struct stdin_forward *f, const struct cmpi_msg_stdin_ack *ack);
/* Rank 0 is gone, or the job ends: stop reading. */
void stdin_forward_stop(struct stdin_forward *f);

#endif
