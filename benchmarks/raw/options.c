/* options.c - parsing rawbench's roles and options into a struct, every number range-checked. */
#define _GNU_SOURCE
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const test_names[] = {
    [WIRE_TCP_LAT] = "tcp-lat",	    [WIRE_TCP_BW] = "tcp-bw",	  [WIRE_SEND_LAT] = "send-lat",
    [WIRE_WRITE_LAT] = "write-lat", [WIRE_WRITE_BW] = "write-bw",
};

const char *rawbench_test_name(enum wire_test test)
{
	return test >= WIRE_TCP_LAT && test <= WIRE_WRITE_BW ? test_names[test] : "?";
}

__attribute__((format(printf, 3, 4))) static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A whole decimal number in min..max: no sign, no junk, no wrap-around (strtoull takes "-1"). */
static int parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* -m MAX or -m MIN:MAX. Sizes start at 1: a 0-byte TCP message is no message at all, and an
 * RDMA write of 0 bytes has no last byte to poll. */
static int parse_sizes(const char *text, struct rawbench_options *o)
{
	uint64_t min = 1, max;
	const char *colon = strchr(text, ':');
	if (colon) {
		char head[32];
		size_t n = (size_t)(colon - text);
		if (n >= sizeof head)
			return -1;
		memcpy(head, text, n);
		head[n] = 0;
		if (parse_number(head, 1, WIRE_MAX_SIZE, &min) < 0)
			return -1;
		text = colon + 1;
	}
	if (parse_number(text, 1, WIRE_MAX_SIZE, &max) < 0 || min > max)
		return -1;
	o->min_size = (uint32_t)min;
	o->max_size = (uint32_t)max;
	return 0;
}

static int parse_test(const char *name, enum wire_test *test)
{
	for (int t = WIRE_TCP_LAT; t <= WIRE_WRITE_BW; t++)
		if (!strcmp(name, test_names[t])) {
			*test = (enum wire_test)t;
			return 0;
		}
	return -1;
}

static int parse_option(int opt, const char *arg, struct rawbench_options *o, char *err,
			size_t errlen)
{
	uint64_t v;
	char *end;
	struct in_addr in;
	switch (opt) {
	case 'a':
		if (inet_pton(AF_INET, arg, &in) != 1)
			return say(err, errlen, "-a %s: not an IPv4 address", arg);
		o->address = arg;
		return 0;
	case 'p':
		if (parse_number(arg, 0, 65535, &v) < 0)
			return say(err, errlen, "-p %s: not a port (0 to 65535)", arg);
		o->port = (uint16_t)v;
		return 0;
	case 'm':
		if (parse_sizes(arg, o) < 0)
			return say(err, errlen, "-m %s: not [MIN:]MAX with 1 <= MIN <= MAX <= %u",
				   arg, WIRE_MAX_SIZE);
		return 0;
	case 'i':
		if (parse_number(arg, 1, RAWBENCH_MAX_ITERS, &o->iters) < 0)
			return say(err, errlen, "-i %s: not a count of iterations (1 to %llu)", arg,
				   RAWBENCH_MAX_ITERS);
		return 0;
	case 't':
		o->seconds = strtod(arg, &end);
		if (end == arg || *end || !isfinite(o->seconds) || o->seconds < 0.001 ||
		    o->seconds > RAWBENCH_MAX_SECONDS)
			return say(err, errlen, "-t %s: not a duration (0.001 to %g seconds)", arg,
				   RAWBENCH_MAX_SECONDS);
		return 0;
	case 'f':
		o->full = true;
		return 0;
	case 'd':
		if (!*arg)
			return say(err, errlen, "-d: an empty device name");
		o->device = arg;
		return 0;
	case 'P':
		if (parse_number(arg, 1, 255, &v) < 0)
			return say(err, errlen, "-P %s: not a device port (1 to 255)", arg);
		o->ib_port = (int)v;
		return 0;
	case 'g':
		if (parse_number(arg, 0, 255, &v) < 0)
			return say(err, errlen, "-g %s: not a GID index (0 to 255)", arg);
		o->gid_index = (int)v;
		return 0;
	}
	return say(err, errlen, "unknown option");
}

int rawbench_options_parse(int argc, char **argv, struct rawbench_options *o, char *err,
			   size_t errlen)
{
	*o = (struct rawbench_options){.address = "127.0.0.1",
				       .test = WIRE_TCP_LAT,
				       .min_size = 1,
				       .max_size = 4u << 20,
				       .seconds = 2,
				       .ib_port = 1,
				       .gid_index = -1};
	if (argc < 2)
		return say(err, errlen, "no role: server or client");
	if (!strcmp(argv[1], "server"))
		o->role = ROLE_SERVER;
	else if (!strcmp(argv[1], "client"))
		o->role = ROLE_CLIENT;
	else
		return say(err, errlen, "%s: no such role (server or client)", argv[1]);
	const char *optstring = o->role == ROLE_SERVER ? ":a:p:d:P:g:" : ":m:i:t:fd:P:g:";
	int opt;
	/* getopt on argv + 1 so that positional arguments start at index 1; our own messages,
	 * since getopt's would name the role as the program. optind 0 makes glibc start over. */
	opterr = 0;
	optind = 0;
	while ((opt = getopt(argc - 1, argv + 1, optstring)) != -1) {
		if (opt == '?')
			return say(err, errlen, "-%c: no such option for the %s", optopt, argv[1]);
		if (opt == ':')
			return say(err, errlen, "-%c needs a value", optopt);
		if (parse_option(opt, optarg, o, err, errlen) < 0)
			return -1;
	}
	char **rest = argv + 1 + optind;
	int nrest = argc - 1 - optind;
	if (o->role == ROLE_SERVER)
		return nrest == 0 ? 0
				  : say(err, errlen, "%s: the server takes no arguments", rest[0]);
	if (nrest != 3)
		return say(err, errlen, "the client needs HOST PORT TEST");
	uint64_t port;
	o->host = rest[0];
	if (parse_number(rest[1], 1, 65535, &port) < 0)
		return say(err, errlen, "%s: not a port (1 to 65535)", rest[1]);
	o->port = (uint16_t)port;
	if (parse_test(rest[2], &o->test) < 0)
		return say(err, errlen,
			   "%s: no such test (tcp-lat, tcp-bw, send-lat, write-lat, write-bw)",
			   rest[2]);
	return 0;
}

uint64_t rawbench_iters(const struct rawbench_options *o, uint32_t size)
{
	return o->iters ? o->iters : size > 8192 ? 1000 : 10000;
}
