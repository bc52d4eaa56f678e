/* main.c - cmpi-agent: connect back to cmpirun with the job's token and run this node's ranks. */
#include <errno.h>
#include <event2/buffer.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "cmpi/jobdir.h"
#include "cmpi/msg.h"
#include "cmpi/util.h"

/* How long the first answer may take before the event loop waits instead, and
 * how often a connection closed before the job is tried again. */
#define HANDSHAKE_WAIT_MS 5000
#define HANDSHAKE_ATTEMPTS 50

static void usage(void)
{
	fprintf(stderr, "Usage: cmpi-agent --connect HOST:PORT (--node N | --node-env VAR) "
			"[--verbose]\n"
			"       cmpi-agent --sweep JOBID\n"
			"Started by cmpirun, which passes the job token in CMPI_AGENT_TOKEN;\n"
			"--node-env reads the node from VAR (srun's SLURM_NODEID, say).\n"
			"--sweep removes what killed agents of job JOBID left on this node.\n");
}

/* A blocking connect to host:port; the launcher listens before any agent starts. */
static int connect_to(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	int fd = -1, one = 1;

	if (!colon || (size_t)(colon - hostport) >= sizeof host) {
		cmpi_error("bad --connect address '%s'", hostport);
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		cmpi_error("cannot resolve '%s': %s", hostport, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd < 0)
		cmpi_error("cannot connect to cmpirun at %s: %s", hostport, strerror(errno));
	else
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	freeaddrinfo(res);
	return fd;
}

/* Sends HELLO and waits for the launcher's first answer (the JOB). 1: it came
 * (the bytes stay in the socket for the event loop), 0: the launcher closed
 * the connection first, -1: the HELLO could not be sent. */
static int handshake(int fd, long node, const uint8_t token[CMPI_TOKEN_SIZE])
{
	struct cmpi_msg_hello hello = {.node = (uint32_t)node, .pid = (uint32_t)getpid()};
	struct evbuffer *buf = evbuffer_new();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b;
	int rc = -1;

	memcpy(hello.token, token, CMPI_TOKEN_SIZE);
	if (!buf || cmpi_msg_hello_write(buf, &hello) < 0 ||
	    cmpi_write_all(fd, evbuffer_pullup(buf, -1), evbuffer_get_length(buf)) < 0)
		goto out;
	/* No answer in time is not a refusal: the event loop waits on. */
	rc = 1;
	while (poll(&p, 1, HANDSHAKE_WAIT_MS) < 0 && errno == EINTR)
		continue;
	if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && recv(fd, &b, 1, MSG_PEEK) <= 0)
		rc = 0;
out:
	if (buf)
		evbuffer_free(buf);
	return rc;
}

/* Connects and says HELLO until the launcher keeps the connection. A local
 * user flooding cmpirun's port can get a fresh connection of ours closed
 * before our HELLO is read (cmpirun closes the oldest waiting ones when too
 * many wait); a new one then gets in. */
static int connect_and_hello(const char *addr, long node, const uint8_t token[CMPI_TOKEN_SIZE])
{
	for (int attempt = 1;; attempt++) {
		int fd = connect_to(addr);
		if (fd < 0)
			return -1;
		int rc = handshake(fd, node, token);
		if (rc == 1)
			return fd;
		close(fd);
		if (rc < 0 || attempt == HANDSHAKE_ATTEMPTS) {
			cmpi_error("cmpirun at %s closed the connection before sending the job", addr);
			return -1;
		}
		cmpi_debug("cmpirun closed the connection before the job; connecting again");
		usleep(20 * 1000);
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"connect", required_argument, NULL, 'c'},
		{"node", required_argument, NULL, 'n'},
		{"node-env", required_argument, NULL, 'e'},
		{"sweep", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	const char *connect_addr = NULL;
	long node = -1;
	uint8_t token[CMPI_TOKEN_SIZE];
	int c;

	static char progname[48] = "cmpi-agent";
	cmpi_set_progname(progname);
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			connect_addr = optarg;
			break;
		case 'n':
		case 'e': {
			const char *value = c == 'n' ? optarg : getenv(optarg);
			if (!value || cmpi_parse_long(value, 0, 1L << 30, &node) < 0)
				node = -1;
			else /* messages say which agent speaks */
				snprintf(progname, sizeof progname, "cmpi-agent[%ld]", node);
			break;
		}
		case 'v':
			cmpi_set_verbose(true);
			break;
		case 's':
			/* The private directories, as cmpirun sweeps them for local agents. */
			cmpi_jobdirs_remove_all("/tmp", optarg);
			cmpi_jobdirs_remove_all("/dev/shm", optarg);
			return 0;
		default:
			usage();
			return 2;
		}
	}
	const char *token_hex = getenv("CMPI_AGENT_TOKEN");
	if (!connect_addr || node < 0 || !token_hex ||
	    cmpi_hex_decode(token_hex, token, sizeof token) < 0) {
		usage();
		return 2;
	}
	/* The ranks must never see the token. */
	unsetenv("CMPI_AGENT_TOKEN");
	int fd = connect_and_hello(connect_addr, node, token);
	if (fd < 0)
		return 1;
	cmpi_set_nonblocking(fd);
	return agent_run(fd, node, token);
}
