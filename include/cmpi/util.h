/* util.h - small helpers both programs share: messages, tokens, fds. */
#ifndef CMPI_UTIL_H
#define CMPI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The program name that prefixes every message ("cmpirun", "cmpi-agent"). */
void cmpi_set_progname(const char *name);
const char *cmpi_progname(void);
/* Turns --verbose on; debug timestamps count from this call. */
void cmpi_set_verbose(bool on);
bool cmpi_verbose(void);

/* Where whole message lines go instead of a blocking write to stderr (the
 * launcher queues them behind the ranks' output); NULL restores stderr. */
typedef void (*cmpi_message_hook_f)(void *ctx, const char *line, size_t len);
void cmpi_set_message_hook(cmpi_message_hook_f hook, void *ctx);
/* The calling thread's messages go to hook instead (a worker holds them for the
 * thread the message hook belongs to); NULL: the process-wide way again. */
void cmpi_set_thread_message_hook(cmpi_message_hook_f hook, void *ctx);
/* One whole line, as a hook received it, the process-wide way. */
void cmpi_message_line(const char *line, size_t len);

void cmpi_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only with --verbose; prefixed with the time since start, for phase timing. */
void cmpi_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fills buf from getrandom(2); 0 or -1. */
int cmpi_random_bytes(void *buf, size_t len) __attribute__((warn_unused_result));
/* Constant-time comparison, so a wrong token leaks nothing through timing. */
bool cmpi_bytes_equal(const void *a, const void *b, size_t len);
/* Lower-case hex of len bytes into out (2*len + 1 chars). */
void cmpi_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*len hex digits; 0 or -1. */
int cmpi_hex_decode(const char *in, uint8_t *out, size_t len);

/* Writes all of buf, retrying on EINTR and short writes; 0 or -1. */
int cmpi_write_all(int fd, const void *buf, size_t len);
int cmpi_set_nonblocking(int fd);
int cmpi_set_cloexec(int fd);

/* fork(2) for a child that will exec: signals are blocked across the fork, and
 * the child starts with default dispositions and an empty mask, so no signal
 * reaches the parent's handlers (libevent's) in the child, and ignored
 * signals (SIGPIPE) do not survive the exec. */
pid_t cmpi_fork(void);

/* Parses a whole decimal integer in [min, max]; 0 or -1. */
/* The index of rank in sorted[n] (ascending), or -1. */
long cmpi_rank_index(const uint32_t *sorted, long n, uint32_t rank);
int cmpi_parse_long(const char *s, long min, long max, long *out);

#endif
