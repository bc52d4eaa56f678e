/* util.c - messages, random tokens, fd and signal helpers shared by cmpirun and cmpi-agent. */
#define _GNU_SOURCE
#include "cmpi/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const char *progname = "cmpi";
static bool verbose;
static struct timespec debug_start;
static cmpi_message_hook_f message_hook;
static void *message_hook_ctx;
static __thread cmpi_message_hook_f thread_hook;
static __thread void *thread_hook_ctx;

void cmpi_set_message_hook(cmpi_message_hook_f hook, void *ctx)
{
	message_hook = hook;
	message_hook_ctx = ctx;
}

void cmpi_set_thread_message_hook(cmpi_message_hook_f hook, void *ctx)
{
	thread_hook = hook;
	thread_hook_ctx = ctx;
}

void cmpi_message_line(const char *line, size_t len)
{
	if (message_hook)
		message_hook(message_hook_ctx, line, len);
	else
		(void)cmpi_write_all(STDERR_FILENO, line, len);
}

void cmpi_set_progname(const char *name)
{
	progname = name;
}

const char *cmpi_progname(void)
{
	return progname;
}

void cmpi_set_verbose(bool on)
{
	verbose = on;
	clock_gettime(CLOCK_MONOTONIC, &debug_start);
}

bool cmpi_verbose(void)
{
	return verbose;
}

/* Builds the whole line first so that it reaches stderr in one write. */
static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof line, "%s%s: ", prefix, progname);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + ((size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m
									: sizeof line - (size_t)n - 2);
	line[len++] = '\n';
	if (thread_hook)
		thread_hook(thread_hook_ctx, line, len);
	else
		cmpi_message_line(line, len);
}

void cmpi_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cmpi_debug(const char *fmt, ...)
{
	struct timespec now;
	char prefix[32];
	va_list ap;

	if (!verbose)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - debug_start.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - debug_start.tv_nsec) / 1e6;
	snprintf(prefix, sizeof prefix, "[%9.3f ms] ", ms);
	va_start(ap, fmt);
	vmessage(prefix, fmt, ap);
	va_end(ap);
}

int cmpi_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool cmpi_bytes_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

void cmpi_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cmpi_hex_decode(const char *in, uint8_t *out, size_t len)
{
	if (strlen(in) != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int cmpi_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cmpi_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int cmpi_set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

pid_t cmpi_fork(void)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		/* The parent's message queue is not the child's to write. */
		cmpi_set_message_hook(NULL, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP and gaps */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		return 0;
	}
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

int cmpi_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long cmpi_rank_index(const uint32_t *sorted, long n, uint32_t rank)
{
	long lo = 0, hi = n - 1;
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		if (sorted[mid] == rank)
			return mid;
		if (sorted[mid] < rank)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}
