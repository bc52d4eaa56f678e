/* msg.h - the control messages: what each frame type carries, encoders and decoders. */
#ifndef CMPI_MSG_H
#define CMPI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmpi/frame.h"

struct evbuffer;

struct cmpi_msg_hello {
	uint8_t token[CMPI_TOKEN_SIZE];
	uint32_t node;
	uint32_t pid;
};

/* JOB flags */
#define CMPI_JOB_STDIN_TO_RANK0 0x1u /* STDIN frames will follow for rank 0 */

struct cmpi_msg_job {
	char *jobid;
	uint32_t size;       /* ranks in the job */
	uint32_t node;       /* this agent's node index */
	uint32_t nnodes;
	uint32_t first_rank; /* this agent runs ranks first_rank .. first_rank + nranks - 1 */
	uint32_t nranks;
	uint32_t flags;
	char *cwd;
	char **argv;         /* the program and its arguments */
	char **env;          /* KEY=VALUE added to the agent's own environment */
};

enum cmpi_stream { CMPI_STREAM_STDOUT = 1, CMPI_STREAM_STDERR = 2 };

struct cmpi_msg_stdio {
	uint32_t rank;
	uint8_t stream;
	const uint8_t *data; /* points into the frame */
	size_t len;
};

enum cmpi_exit_how {
	CMPI_EXIT_EXITED = 1,      /* code = exit status */
	CMPI_EXIT_SIGNALED,        /* code = signal number */
	CMPI_EXIT_EXEC_FAILED,     /* code = errno of execvp */
	CMPI_EXIT_CHDIR_FAILED,    /* code = errno of chdir */
	CMPI_EXIT_SPAWN_FAILED,    /* code = errno of pipe, fork or dup2: a resource limit */
	CMPI_EXIT_HOW_END
};

struct cmpi_msg_exit {
	uint32_t rank;
	uint32_t pid;
	uint8_t how;
	uint32_t code;
};

/* The launcher keeps at most a window of unacknowledged stdin bytes in flight,
 * so a rank 0 that does not read cannot make the agent buffer without end. */
struct cmpi_msg_stdin_ack {
	uint32_t bytes; /* taken by rank 0's stdin pipe, or dropped */
	uint8_t closed; /* rank 0 no longer reads: stop sending */
};

struct cmpi_msg_kill {
	uint32_t signal;
	uint32_t escalate_ms; /* SIGKILL what is left after this long; 0 = never */
};

/* Encoders append one whole frame (header and payload) to out; 0 or -1. */
int cmpi_msg_hello_write(struct evbuffer *out, const struct cmpi_msg_hello *m);
int cmpi_msg_job_write(struct evbuffer *out, const struct cmpi_msg_job *m);
int cmpi_msg_stdio_write(struct evbuffer *out, uint32_t rank, uint8_t stream, const void *data,
			 size_t len);
int cmpi_msg_stdin_write(struct evbuffer *out, const void *data, size_t len);
/* The payload is one line, newline included, at most CMPI_LOG_MAX bytes
 * (messages are built in a 2 KiB buffer, see util.c). */
#define CMPI_LOG_MAX 4096
int cmpi_msg_log_write(struct evbuffer *out, const char *line, size_t len);
int cmpi_msg_exit_write(struct evbuffer *out, const struct cmpi_msg_exit *m);
int cmpi_msg_kill_write(struct evbuffer *out, const struct cmpi_msg_kill *m);
int cmpi_msg_bye_write(struct evbuffer *out);
int cmpi_msg_stdin_ack_write(struct evbuffer *out, const struct cmpi_msg_stdin_ack *m);

/* Decoders take one frame's payload; 0, or -1 when it is malformed. */
int cmpi_msg_hello_read(const uint8_t *p, size_t len, struct cmpi_msg_hello *m);
int cmpi_msg_job_read(const uint8_t *p, size_t len, struct cmpi_msg_job *m);
void cmpi_msg_job_clear(struct cmpi_msg_job *m);
int cmpi_msg_stdio_read(const uint8_t *p, size_t len, struct cmpi_msg_stdio *m);
int cmpi_msg_exit_read(const uint8_t *p, size_t len, struct cmpi_msg_exit *m);
int cmpi_msg_kill_read(const uint8_t *p, size_t len, struct cmpi_msg_kill *m);
int cmpi_msg_stdin_ack_read(const uint8_t *p, size_t len, struct cmpi_msg_stdin_ack *m);

/* Splits the next whole frame off `in`: OK with *hdr and *payload (valid until
 * the caller drains CMPI_FRAME_HEADER_SIZE + hdr->length bytes), INCOMPLETE,
 * or an error status. */
enum cmpi_frame_status cmpi_frame_peek(struct evbuffer *in, struct cmpi_frame_header *hdr,
				       const uint8_t **payload);

#endif
