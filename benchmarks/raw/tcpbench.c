/* tcpbench.c - raw TCP latency and bandwidth, the floor under every MPI transport over TCP:
 *   tcpbench server [-a ADDR] [-p PORT]   serves clients until killed; prints "port N"
 *                                         (ADDR: 127.0.0.1 unless told)
 *   tcpbench client HOST PORT lat|bw [-m [MIN:]MAX] [-i ITERS] [-t SECONDS]
 * lat: ping-pong of SIZE-byte messages with TCP_NODELAY; one-way latency (half the round
 * trip, averaged), as qperf's tcp_lat reports it. bw: the client streams SIZE-byte messages
 * for -t seconds (default 2) and the server says how many bytes it read; MB = 10^6, as
 * qperf's tcp_bw. Rows in OSU's layout. Each test opens its own connection and starts with a
 * 16-byte request: the test, the size, the iterations (or milliseconds). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TEST_LAT = 1, TEST_BW = 2 };

struct request {
	uint32_t test, size, count, reserved; /* big-endian; count: iterations, or ms for bw */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int io_all(int fd, void *buf, size_t len, int writing)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* One client connection: answer its request, then close. */
static void serve(int fd)
{
	struct request r;
	if (io_all(fd, &r, sizeof r, 0) < 0)
		return;
	uint32_t test = ntohl(r.test), size = ntohl(r.size), count = ntohl(r.count);
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	nodelay(fd);
	if (test == TEST_LAT) {
		for (uint32_t i = 0; i < count; i++)
			if (io_all(fd, buf, size, 0) < 0 || io_all(fd, buf, size, 1) < 0)
				break;
	} else if (test == TEST_BW) {
		/* Read until the client shuts its side down; then say how much came. */
		uint64_t total = 0;
		ssize_t n;
		while ((n = read(fd, buf, size)) > 0 || (n < 0 && errno == EINTR))
			total += n > 0 ? (uint64_t)n : 0;
		uint32_t be[2] = {htonl((uint32_t)(total >> 32)), htonl((uint32_t)total)};
		io_all(fd, be, sizeof be, 1);
	}
	free(buf);
}

static int server(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	int opt, one = 1;
	while ((opt = getopt(argc, argv, "a:p:")) != -1) {
		if (opt == 'p')
			sin.sin_port = htons((uint16_t)atoi(optarg));
		else if (opt != 'a' || inet_pton(AF_INET, optarg, &sin.sin_addr) != 1)
			return 2;
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) < 0) {
		fprintf(stderr, "tcpbench: cannot listen: %s\n", strerror(errno));
		return 1;
	}
	printf("port %d\n", ntohs(sin.sin_port));
	fflush(stdout);
	signal(SIGCHLD, SIG_IGN); /* a child per connection; none left as zombies */
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcpbench: accept: %s\n", strerror(errno));
			return 1;
		}
		pid_t pid = fork();
		if (pid == 0) {
			close(lfd);
			serve(fd);
			_exit(0);
		}
		close(fd);
	}
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "tcpbench: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "tcpbench: cannot connect to %s:%s: %s\n", host, port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0)
		nodelay(fd);
	return fd;
}

static int ask(int fd, uint32_t test, uint32_t size, uint32_t count)
{
	struct request r = {htonl(test), htonl(size), htonl(count), 0};
	return io_all(fd, &r, sizeof r, 1);
}

/* Mean one-way latency in microseconds. */
static double latency(const char *host, const char *port, uint32_t size, uint32_t iters)
{
	int fd = dial(host, port);
	char *buf = calloc(1, size ? size : 1);
	double us = -1;
	if (fd >= 0 && buf && ask(fd, TEST_LAT, size, iters + iters / 10) == 0) {
		double start = 0;
		uint32_t warmup = iters / 10, i;
		for (i = 0; i < warmup + iters; i++) {
			if (i == warmup)
				start = now();
			if (io_all(fd, buf, size, 1) < 0 || io_all(fd, buf, size, 0) < 0)
				break;
		}
		if (i == warmup + iters)
			us = (now() - start) * 1e6 / (2.0 * iters);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return us;
}

/* MB/s (10^6) that the server read in about seconds. */
static double bandwidth(const char *host, const char *port, uint32_t size, double seconds)
{
	int fd = dial(host, port);
	char *buf = calloc(1, size ? size : 1);
	double mbs = -1;
	uint32_t total_be[2];
	if (fd >= 0 && buf && ask(fd, TEST_BW, size, (uint32_t)(seconds * 1000)) == 0) {
		double start = now();
		while (now() - start < seconds)
			if (io_all(fd, buf, size, 1) < 0)
				break;
		shutdown(fd, SHUT_WR);
		if (io_all(fd, total_be, sizeof total_be, 0) == 0) {
			uint64_t total = (uint64_t)ntohl(total_be[0]) << 32 | ntohl(total_be[1]);
			mbs = (double)total / (now() - start) / 1e6;
		}
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return mbs;
}

static int client(int argc, char **argv)
{
	unsigned long min = 1, max = 4ul << 20;
	long iters = 0;
	double seconds = 2;
	int opt;
	if (argc < 4)
		return 2;
	const char *host = argv[1], *port = argv[2], *test = argv[3];
	optind = 4;
	while ((opt = getopt(argc, argv, "m:i:t:")) != -1) {
		char *end;
		if (opt == 'm') {
			max = strtoul(optarg, &end, 10);
			if (*end == ':') {
				min = max;
				max = strtoul(end + 1, &end, 10);
			}
			if (*end || min > max || max > (1ul << 30))
				return 2;
		} else if (opt == 'i') {
			iters = strtol(optarg, &end, 10);
			if (*end || iters <= 0)
				return 2;
		} else if (opt == 't') {
			seconds = strtod(optarg, &end);
			if (*end || seconds <= 0 || seconds > 600)
				return 2;
		} else {
			return 2;
		}
	}
	bool lat = !strcmp(test, "lat");
	if (!lat && strcmp(test, "bw"))
		return 2;
	printf("# cmpirun raw TCP %s Test (TCP_NODELAY)\n%-10s%18s\n",
	       lat ? "Latency" : "Bandwidth", "# Size", lat ? "Latency (us)" : "Bandwidth (MB/s)");
	for (unsigned long size = min; size <= max; size = size ? size * 2 : 1) {
		uint32_t n = (uint32_t)(iters ? iters : size > 8192 ? 1000 : 10000);
		double v = lat ? latency(host, port, (uint32_t)size, n)
			       : bandwidth(host, port, (uint32_t)size, seconds);
		if (v < 0)
			return 1; /* said why */
		printf("%-10lu%18.2f\n", size, v);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "server"))
		rc = server(argc - 1, argv + 1);
	else if (argc >= 2 && !strcmp(argv[1], "client"))
		rc = client(argc - 1, argv + 1);
	if (rc == 2)
		fprintf(stderr, "usage: tcpbench server [-a ADDR] [-p PORT]\n"
				"       tcpbench client HOST PORT lat|bw [-m [MIN:]MAX] [-i ITERS] "
				"[-t SECONDS]\n");
	return rc;
}
