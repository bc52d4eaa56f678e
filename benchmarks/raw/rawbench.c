/* rawbench.c - raw transports without MPI, the floor under every MPI figure: a server that
 * answers requests over TCP, and a client that sweeps message sizes and prints OSU-style rows,
 * for kernel TCP (tcp-lat, tcp-bw, as qperf's tcp_lat and tcp_bw) and libibverbs RC (send-lat,
 * write-lat, write-bw, as perftest's ib_send_lat, ib_write_lat and ib_write_bw). Every row
 * has its own TCP connection, which starts with a wire_request; the verbs tests exchange their
 * queue pairs over it and keep it to notice a peer that died. Exit status: 0, 1 (a failure,
 * said in one line), 2 (usage), 77 (a verbs test on a host without an RDMA device). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "net.h"
#include "options.h"
#include "stats.h"
#include "verbs.h"
#include "wire.h"

enum { EXIT_USAGE = 2, EXIT_NO_DEVICE = 77 };

static const char usage[] =
    "usage: rawbench server [-a ADDR] [-p PORT] [-d DEVICE] [-P DEVPORT] [-g GID]\n"
    "       rawbench client HOST PORT tcp-lat|tcp-bw|send-lat|write-lat|write-bw\n"
    "                [-m [MIN:]MAX] [-i ITERS] [-t SECONDS] [-f] [-d DEVICE] [-P DEVPORT] "
    "[-g GID]\n";

/* What one size gave: latency samples' statistics, or bandwidth and message rate. */
struct row {
	struct stats lat;
	double mbs, rate;
	char transport[160];
};

static struct verbs_config verbs_config(const struct rawbench_options *o)
{
	return (struct verbs_config){
	    .device = o->device, .ib_port = o->ib_port, .gid_index = o->gid_index};
}

static int tcp_gone(void *arg)
{
	return net_peer_gone(*(int *)arg);
}

/* ---- server: a child per connection, each answering one request ---- */

static void serve_tcp_lat(int fd, const struct wire_request *req, char *buf)
{
	for (uint64_t i = 0; i < req->count; i++)
		if (net_read_full(fd, buf, req->size) < 0 ||
		    net_write_full(fd, buf, req->size) < 0) {
			fprintf(stderr, "rawbench server: tcp-lat, %u B: %s\n", req->size,
				net_why(errno));
			return;
		}
}

/* Reads until the client shuts its side down, then says how much came. */
static void serve_tcp_bw(int fd, const struct wire_request *req, char *buf)
{
	uint64_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, req->size)) > 0 || (n < 0 && errno == EINTR))
		total += n > 0 ? (uint64_t)n : 0;
	uint8_t be[8];
	wire_put_u64(be, total);
	if (n < 0 || net_write_full(fd, be, sizeof be) < 0)
		fprintf(stderr, "rawbench server: tcp-bw, %u B: %s\n", req->size, net_why(errno));
}

static void reply(int fd, enum wire_status status, const struct wire_qp *qp)
{
	uint8_t out[WIRE_REPLY_LEN + WIRE_QP_LEN];
	wire_reply_encode(status, out);
	if (qp)
		wire_qp_encode(qp, out + WIRE_REPLY_LEN);
	net_write_full(fd, out, WIRE_REPLY_LEN + (qp ? WIRE_QP_LEN : 0));
}

static void serve_verbs(int fd, const struct rawbench_options *o, const struct wire_request *req)
{
	const char *name = rawbench_test_name(req->test);
	uint8_t in[WIRE_QP_LEN];
	struct wire_qp peer, mine;
	char err[256] = "";
	struct verbs_ep *ep = NULL;
	if (net_read_full(fd, in, sizeof in) < 0 || wire_qp_decode(in, sizeof in, &peer) < 0) {
		reply(fd, WIRE_BAD_REQUEST, NULL);
		return;
	}
	if (verbs_device_count() == 0) {
		fprintf(stderr, "rawbench server: a client asked for %s; no RDMA device here\n",
			name);
		reply(fd, WIRE_NO_DEVICE, NULL);
		return;
	}
	struct verbs_config cfg = verbs_config(o);
	ep = verbs_ep_open(&cfg, req->test, req->size, err, sizeof err);
	if (!ep || verbs_ep_connect(ep, &peer, err, sizeof err) < 0) {
		fprintf(stderr, "rawbench server: %s, %u B: %s\n", name, req->size, err);
		reply(fd, WIRE_VERBS_FAILED, NULL);
		goto out;
	}
	verbs_ep_info(ep, &mine);
	reply(fd, WIRE_OK, &mine); /* we are in RTS, our receives posted: the client may start */
	struct verbs_run run = {.iters = req->count, .peer_gone = tcp_gone, .arg = &fd};
	char done;
	if (verbs_ep_run(ep, &run, err, sizeof err) < 0)
		fprintf(stderr, "rawbench server: %s, %u B: %s\n", name, req->size, err);
	else if (net_read_full(fd, &done, 1) < 0 || net_write_full(fd, &done, 1) < 0)
		fprintf(stderr, "rawbench server: %s, %u B: %s\n", name, req->size, net_why(errno));
out:
	verbs_ep_close(ep);
}

static void serve(int fd, const struct rawbench_options *o)
{
	uint8_t in[WIRE_REQUEST_LEN];
	struct wire_request req;
	if (net_read_full(fd, in, sizeof in) < 0)
		return; /* a port probe, or a client gone before it asked */
	if (wire_request_decode(in, sizeof in, &req) < 0) {
		fprintf(stderr, "rawbench server: a request that is not rawbench's; closed\n");
		reply(fd, WIRE_BAD_REQUEST, NULL);
		return;
	}
	if (wire_test_is_verbs(req.test)) {
		serve_verbs(fd, o, &req);
		return;
	}
	char *buf = malloc(req.size);
	if (!buf) {
		fprintf(stderr, "rawbench server: no memory for %u bytes\n", req.size);
		reply(fd, WIRE_BAD_REQUEST, NULL);
		return;
	}
	reply(fd, WIRE_OK, NULL);
	if (req.test == WIRE_TCP_LAT)
		serve_tcp_lat(fd, &req, buf);
	else
		serve_tcp_bw(fd, &req, buf);
	free(buf);
}

static int server(const struct rawbench_options *o)
{
	char err[256];
	uint16_t port;
	int lfd = net_listen(o->address, o->port, &port, err, sizeof err);
	if (lfd < 0) {
		fprintf(stderr, "rawbench: %s\n", err);
		return 1;
	}
	printf("port %u\n", port);
	fflush(stdout);
	signal(SIGCHLD, SIG_IGN); /* a child per connection; none left as zombies */
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "rawbench: accept: %s\n", strerror(errno));
			return 1;
		}
		net_nodelay(fd);
		pid_t pid = fork();
		if (pid == 0) {
			close(lfd);
			serve(fd, o);
			_exit(0);
		}
		if (pid < 0)
			fprintf(stderr, "rawbench: cannot fork for a client: %s\n",
				strerror(errno));
		close(fd);
	}
}

/* ---- client: one connection a size ---- */

__attribute__((format(printf, 3, 4))) static int say(const struct rawbench_options *o,
						     uint32_t size, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rawbench: %s, %u B: ", rawbench_test_name(o->test), size);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int io_failed(const struct rawbench_options *o, uint32_t size, const char *doing)
{
	return say(o, size, "cannot %s %s:%u: %s", doing, o->host, o->port, net_why(errno));
}

/* Dials, asks, and reads the server's answer; a verbs request carries our queue pair and the
 * answer the server's. The connected socket, or -1 said. */
static int ask(const struct rawbench_options *o, uint32_t size, uint64_t count,
	       const struct wire_qp *mine, struct wire_qp *theirs)
{
	char err[256];
	uint8_t out[WIRE_REQUEST_LEN + WIRE_QP_LEN], in[WIRE_REPLY_LEN + WIRE_QP_LEN];
	struct wire_request req = {.test = o->test, .size = size, .count = count};
	enum wire_status status;
	int fd = net_dial(o->host, o->port, err, sizeof err);
	if (fd < 0)
		return say(o, size, "%s", err);
	wire_request_encode(&req, out);
	if (mine)
		wire_qp_encode(mine, out + WIRE_REQUEST_LEN);
	if (net_write_full(fd, out, WIRE_REQUEST_LEN + (mine ? WIRE_QP_LEN : 0)) < 0) {
		io_failed(o, size, "write to");
		goto fail;
	}
	if (net_read_full(fd, in, WIRE_REPLY_LEN) < 0) {
		io_failed(o, size, "read from");
		goto fail;
	}
	if (wire_reply_decode(in, WIRE_REPLY_LEN, &status) < 0) {
		say(o, size, "%s:%u answered something that is not rawbench", o->host, o->port);
		goto fail;
	}
	if (status == WIRE_NO_DEVICE) {
		say(o, size, "the server at %s:%u has no RDMA device", o->host, o->port);
		goto fail;
	}
	if (status == WIRE_VERBS_FAILED) {
		say(o, size,
		    "the server at %s:%u could not set up its queue pair (its stderr says why)",
		    o->host, o->port);
		goto fail;
	}
	if (status != WIRE_OK) {
		say(o, size, "the server at %s:%u refused the request", o->host, o->port);
		goto fail;
	}
	if (theirs && (net_read_full(fd, in + WIRE_REPLY_LEN, WIRE_QP_LEN) < 0 ||
		       wire_qp_decode(in + WIRE_REPLY_LEN, WIRE_QP_LEN, theirs) < 0)) {
		say(o, size, "no valid queue pair from %s:%u", o->host, o->port);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Ping-pong of size-byte messages; every round trip timed, half of it one sample. */
static int tcp_lat(const struct rawbench_options *o, uint32_t size, struct row *row)
{
	uint64_t iters = rawbench_iters(o, size), warmup = iters / 10;
	char *buf = calloc(1, size);
	double *samples = malloc(iters * sizeof *samples);
	int fd = -1, rc = -1;
	if (!buf || !samples) {
		say(o, size, "out of memory");
		goto out;
	}
	fd = ask(o, size, warmup + iters, NULL, NULL);
	if (fd < 0)
		goto out;
	for (uint64_t i = 0; i < warmup + iters; i++) {
		double start = rawbench_now();
		if (net_write_full(fd, buf, size) < 0) {
			io_failed(o, size, "write to");
			goto out;
		}
		if (net_read_full(fd, buf, size) < 0) {
			io_failed(o, size, "read from");
			goto out;
		}
		if (i >= warmup)
			samples[i - warmup] = (rawbench_now() - start) * 1e6 / 2;
	}
	stats_compute(samples, iters, &row->lat);
	snprintf(row->transport, sizeof row->transport, "TCP_NODELAY");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(samples);
	free(buf);
	return rc;
}

/* Streams size-byte writes for -t seconds; the server says how many bytes it read. */
static int tcp_bw(const struct rawbench_options *o, uint32_t size, struct row *row)
{
	char *buf = calloc(1, size);
	uint8_t total_be[8];
	int fd = -1, rc = -1;
	if (!buf) {
		say(o, size, "out of memory");
		goto out;
	}
	fd = ask(o, size, (uint64_t)(o->seconds * 1000 + 0.5), NULL, NULL);
	if (fd < 0)
		goto out;
	double start = rawbench_now();
	while (rawbench_now() - start < o->seconds)
		if (net_write_full(fd, buf, size) < 0) {
			io_failed(o, size, "write to");
			goto out;
		}
	if (shutdown(fd, SHUT_WR) < 0 || net_read_full(fd, total_be, sizeof total_be) < 0) {
		io_failed(o, size, "read the total from");
		goto out;
	}
	double elapsed = rawbench_now() - start, total = (double)wire_get_u64(total_be);
	row->mbs = total / elapsed / 1e6;
	row->rate = total / size / elapsed;
	snprintf(row->transport, sizeof row->transport, "TCP_NODELAY");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* Our queue pair first (the server answers with its own), then the test, then one byte each
 * way so that neither side tears its queue pair down while the other still uses it. */
static int verbs_test(const struct rawbench_options *o, uint32_t size, struct row *row)
{
	bool lat = wire_test_is_latency(o->test);
	uint64_t iters = rawbench_iters(o, size), warmup = iters / 10;
	uint64_t count = lat ? warmup + iters : (uint64_t)(o->seconds * 1000 + 0.5);
	struct verbs_config cfg = verbs_config(o);
	struct wire_qp mine, theirs;
	char err[256], done = 'D';
	double *samples = NULL;
	int fd = -1, rc = -1;
	struct verbs_ep *ep = verbs_ep_open(&cfg, o->test, size, err, sizeof err);
	if (!ep) {
		say(o, size, "%s", err);
		goto out;
	}
	if (lat && !(samples = malloc(iters * sizeof *samples))) {
		say(o, size, "out of memory");
		goto out;
	}
	verbs_ep_info(ep, &mine);
	fd = ask(o, size, count, &mine, &theirs);
	if (fd < 0)
		goto out;
	if (verbs_ep_connect(ep, &theirs, err, sizeof err) < 0) {
		say(o, size, "%s", err);
		goto out;
	}
	struct verbs_run run = {.client = 1,
				.warmup = warmup,
				.iters = iters,
				.seconds = o->seconds,
				.samples = samples,
				.peer_gone = tcp_gone,
				.arg = &fd};
	if (verbs_ep_run(ep, &run, err, sizeof err) < 0) {
		say(o, size, "%s", err);
		goto out;
	}
	if (net_write_full(fd, &done, 1) < 0 || net_read_full(fd, &done, 1) < 0) {
		io_failed(o, size, "finish with");
		goto out;
	}
	if (lat) {
		stats_compute(samples, iters, &row->lat);
	} else {
		row->mbs = (double)run.messages * size / run.elapsed / 1e6;
		row->rate = (double)run.messages / run.elapsed;
	}
	snprintf(row->transport, sizeof row->transport, "%s", verbs_ep_describe(ep));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(samples);
	verbs_ep_close(ep);
	return rc;
}

static void print_header(const struct rawbench_options *o, const char *transport)
{
	static const char *const titles[] = {
	    [WIRE_TCP_LAT] = "raw TCP Latency",
	    [WIRE_TCP_BW] = "raw TCP Bandwidth",
	    [WIRE_SEND_LAT] = "raw verbs RC Send Latency",
	    [WIRE_WRITE_LAT] = "raw verbs RC RDMA Write Latency",
	    [WIRE_WRITE_BW] = "raw verbs RC RDMA Write Bandwidth",
	};
	bool lat = wire_test_is_latency(o->test);
	printf("# cmpirun %s Test (%s%s)\n%-10s%18s", titles[o->test], transport,
	       lat ? "; one way, median" : "; MB = 10^6 bytes", "# Size",
	       lat ? "Latency (us)" : "Bandwidth (MB/s)");
	if (o->full && lat)
		printf("%18s%18s%18s%18s%18s%18s", "Min (us)", "Max (us)", "Mean (us)", "P99 (us)",
		       "P99.9 (us)", "Stdev (us)");
	else if (o->full)
		printf("%18s", "Messages/s");
	printf("\n");
}

static void print_row(const struct rawbench_options *o, uint32_t size, const struct row *row)
{
	bool lat = wire_test_is_latency(o->test);
	const struct stats *s = &row->lat;
	printf("%-10u%18.2f", size, lat ? s->median : row->mbs);
	if (o->full && lat)
		printf("%18.2f%18.2f%18.2f%18.2f%18.2f%18.2f", s->min, s->max, s->mean, s->p99,
		       s->p999, s->stdev);
	else if (o->full)
		printf("%18.2f", row->rate);
	printf("\n");
	fflush(stdout);
}

static int client(const struct rawbench_options *o)
{
	if (wire_test_is_verbs(o->test) && verbs_device_count() == 0) {
		/* Before connecting anywhere: a host without RDMA is a skip, not a failure. */
		fprintf(stderr, "rawbench: no RDMA device on this host (%s needs one)\n",
			rawbench_test_name(o->test));
		return EXIT_NO_DEVICE;
	}
	/* Sizes double from MIN while they fit under MAX (at most 1 GiB: no overflow). */
	for (uint32_t size = o->min_size; size && size <= o->max_size; size *= 2) {
		struct row row = {0};
		int rc = o->test == WIRE_TCP_LAT  ? tcp_lat(o, size, &row)
			 : o->test == WIRE_TCP_BW ? tcp_bw(o, size, &row)
						  : verbs_test(o, size, &row);
		if (rc < 0)
			return 1; /* said why */
		if (size == o->min_size)
			print_header(o, row.transport);
		print_row(o, size, &row);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rawbench_options o;
	char err[256];
	signal(SIGPIPE, SIG_IGN); /* a peer gone is a write error, said as such */
	if (rawbench_options_parse(argc, argv, &o, err, sizeof err) < 0) {
		fprintf(stderr, "rawbench: %s\n%s", err, usage);
		return EXIT_USAGE;
	}
	return o.role == ROLE_SERVER ? server(&o) : client(&o);
}
