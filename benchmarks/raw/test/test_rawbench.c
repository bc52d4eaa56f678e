/* test_rawbench.c - rawbench's pure parts: the wire format (round trips, the exact bytes, and
 * short or garbled input refused), the statistics on known samples, and the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"
#include "stats.h"
#include "wire.h"

/* ---- wire ---- */

static void request_round_trip(void **state)
{
	(void)state;
	for (int t = WIRE_TCP_LAT; t <= WIRE_WRITE_BW; t++) {
		struct wire_request in = {.test = (enum wire_test)t,
					  .size = 1u << 30,
					  .count = WIRE_MAX_COUNT},
				    out;
		uint8_t buf[WIRE_REQUEST_LEN];
		wire_request_encode(&in, buf);
		assert_int_equal(wire_request_decode(buf, sizeof buf, &out), 0);
		assert_int_equal(out.test, in.test);
		assert_int_equal(out.size, in.size);
		assert_int_equal(out.count, in.count);
	}
}

static void request_bytes(void **state)
{
	(void)state;
	struct wire_request req = {
	    .test = WIRE_WRITE_LAT, .size = 0x01020304, .count = 0x0000000105060708ull};
	uint8_t buf[WIRE_REQUEST_LEN];
	static const uint8_t want[WIRE_REQUEST_LEN] = {'R', 'A', 'W', 'B', 0, 1, 0, 4, 1, 2, 3, 4,
						       0,   0,	 0,   0,   0, 0, 0, 1, 5, 6, 7, 8};
	wire_request_encode(&req, buf);
	assert_memory_equal(buf, want, sizeof want);
}

/* Each byte string is a good request with one thing wrong. */
static void request_refused(void **state)
{
	(void)state;
	struct wire_request good = {.test = WIRE_TCP_LAT, .size = 64, .count = 100}, out;
	uint8_t buf[WIRE_REQUEST_LEN], bad[WIRE_REQUEST_LEN];
	wire_request_encode(&good, buf);
	for (size_t len = 0; len < sizeof buf; len++)
		assert_int_equal(wire_request_decode(buf, len, &out), -1);
	struct {
		size_t at;
		uint8_t value;
	} cases[] = {
	    {0, 'X'},  /* magic */
	    {5, 2},    /* version */
	    {7, 0},    /* test 0 */
	    {7, 6},    /* test 6 */
	    {11, 0},   /* size 0 */
	    {8, 0x40}, /* size over 1 GiB */
	    {15, 1},   /* reserved */
	    {23, 0},   /* count 0 */
	    {16, 1},   /* count over the bound */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memcpy(bad, buf, sizeof bad);
		bad[cases[i].at] = cases[i].value;
		assert_int_equal(wire_request_decode(bad, sizeof bad, &out), -1);
	}
	uint8_t garbage[WIRE_REQUEST_LEN];
	memset(garbage, 0xff, sizeof garbage);
	assert_int_equal(wire_request_decode(garbage, sizeof garbage, &out), -1);
}

static void reply_round_trip(void **state)
{
	(void)state;
	uint8_t buf[WIRE_REPLY_LEN];
	enum wire_status out;
	for (int s = WIRE_OK; s <= WIRE_VERBS_FAILED; s++) {
		wire_reply_encode((enum wire_status)s, buf);
		assert_int_equal(wire_reply_decode(buf, sizeof buf, &out), 0);
		assert_int_equal(out, s);
	}
	assert_int_equal(wire_reply_decode(buf, WIRE_REPLY_LEN - 1, &out), -1);
	buf[5] = 4; /* no such status */
	assert_int_equal(wire_reply_decode(buf, sizeof buf, &out), -1);
	wire_reply_encode(WIRE_OK, buf);
	buf[3] = 'X';
	assert_int_equal(wire_reply_decode(buf, sizeof buf, &out), -1);
}

static const struct wire_qp sample_qp = {
    .lid = 0xbeef,
    .mtu = 5,
    .flags = WIRE_QP_HAS_GID,
    .qpn = 0xabcdef,
    .psn = 0x123456,
    .rkey = 0xdeadbeef,
    .addr = 0x00007f0102030405ull,
    .gid = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 2, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55},
};

static void qp_round_trip(void **state)
{
	(void)state;
	uint8_t buf[WIRE_QP_LEN];
	struct wire_qp out;
	wire_qp_encode(&sample_qp, buf);
	assert_int_equal(wire_qp_decode(buf, sizeof buf, &out), 0);
	assert_int_equal(out.lid, sample_qp.lid);
	assert_int_equal(out.mtu, sample_qp.mtu);
	assert_int_equal(out.flags, sample_qp.flags);
	assert_int_equal(out.qpn, sample_qp.qpn);
	assert_int_equal(out.psn, sample_qp.psn);
	assert_int_equal(out.rkey, sample_qp.rkey);
	assert_int_equal(out.addr, sample_qp.addr);
	assert_memory_equal(out.gid, sample_qp.gid, 16);
}

static void qp_bytes(void **state)
{
	(void)state;
	uint8_t buf[WIRE_QP_LEN];
	static const uint8_t head[24] = {0xbe, 0xef, 5,	   1,	 0,    0xab, 0xcd, 0xef,
					 0,    0x12, 0x34, 0x56, 0xde, 0xad, 0xbe, 0xef,
					 0,    0,    0x7f, 1,	 2,    3,    4,	   5};
	wire_qp_encode(&sample_qp, buf);
	assert_memory_equal(buf, head, sizeof head);
	assert_memory_equal(buf + 24, sample_qp.gid, 16);
}

static void qp_refused(void **state)
{
	(void)state;
	uint8_t buf[WIRE_QP_LEN], bad[WIRE_QP_LEN];
	struct wire_qp out;
	wire_qp_encode(&sample_qp, buf);
	for (size_t len = 0; len < sizeof buf; len++)
		assert_int_equal(wire_qp_decode(buf, len, &out), -1);
	struct {
		size_t at;
		uint8_t value;
	} cases[] = {
	    {2, 0}, /* MTU 0 */
	    {2, 6}, /* MTU 6 */
	    {3, 2}, /* an unknown flag */
	    {4, 1}, /* a QPN of 25 bits */
	    {8, 1}, /* a PSN of 25 bits */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memcpy(bad, buf, sizeof bad);
		bad[cases[i].at] = cases[i].value;
		assert_int_equal(wire_qp_decode(bad, sizeof bad, &out), -1);
	}
}

static void u64_round_trip(void **state)
{
	(void)state;
	uint8_t buf[8];
	wire_put_u64(buf, 0x0102030405060708ull);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[7], 8);
	assert_int_equal(wire_get_u64(buf), 0x0102030405060708ull);
}

/* ---- stats ---- */

static void stats_hundred(void **state)
{
	(void)state;
	double s[100];
	struct stats st;
	for (int i = 0; i < 100; i++)
		s[i] = (double)((i * 37) % 100 + 1); /* 1..100, shuffled */
	assert_int_equal(stats_compute(s, 100, &st), 0);
	assert_true(st.min == 1 && st.max == 100);
	assert_true(st.median == 50.5 && st.mean == 50.5);
	assert_true(st.p99 == 99 && st.p999 == 100);
	/* sum of (i - 50.5)^2 over 1..100 is 83325; / 99 */
	assert_true(st.stdev > 29.0114 && st.stdev < 29.0116);
	for (int i = 1; i < 100; i++)
		assert_true(s[i - 1] <= s[i]);
}

static void stats_thousand(void **state)
{
	(void)state;
	static double s[1000];
	struct stats st;
	for (int i = 0; i < 1000; i++)
		s[i] = 1000 - i;
	assert_int_equal(stats_compute(s, 1000, &st), 0);
	assert_true(st.median == 500.5);
	assert_true(st.p99 == 990 && st.p999 == 999 && st.max == 1000);
}

static void stats_small(void **state)
{
	(void)state;
	double odd[] = {5, 1, 3}, one[] = {7.25};
	struct stats st;
	assert_int_equal(stats_compute(odd, 3, &st), 0);
	assert_true(st.median == 3 && st.mean == 3 && st.min == 1 && st.max == 5);
	assert_true(st.p99 == 5 && st.stdev == 2);
	assert_int_equal(stats_compute(one, 1, &st), 0);
	assert_true(st.min == 7.25 && st.median == 7.25 && st.p999 == 7.25 && st.stdev == 0);
	assert_int_equal(stats_compute(one, 0, &st), -1);
	assert_int_equal(stats_rank(1, 999), 1);
	assert_int_equal(stats_rank(10, 990), 10);
	assert_int_equal(stats_rank(200, 990), 198);
}

/* ---- options ---- */

static int parse(const char *line, struct rawbench_options *o, char *err)
{
	static char copy[512];
	char *argv[32];
	int argc = 0;
	snprintf(copy, sizeof copy, "rawbench %s", line);
	for (char *word = strtok(copy, " "); word && argc < 31; word = strtok(NULL, " "))
		argv[argc++] = word;
	argv[argc] = NULL;
	err[0] = 0;
	return rawbench_options_parse(argc, argv, o, err, 256);
}

static void options_client(void **state)
{
	(void)state;
	struct rawbench_options o;
	char err[256];
	assert_int_equal(parse("client h 1234 tcp-lat", &o, err), 0);
	assert_int_equal(o.role, ROLE_CLIENT);
	assert_string_equal(o.host, "h");
	assert_int_equal(o.port, 1234);
	assert_int_equal(o.test, WIRE_TCP_LAT);
	assert_int_equal(o.min_size, 1);
	assert_int_equal(o.max_size, 4u << 20);
	assert_true(o.seconds == 2 && !o.full && !o.device && o.ib_port == 1 && o.gid_index == -1);
	assert_int_equal(rawbench_iters(&o, 8192), 10000);
	assert_int_equal(rawbench_iters(&o, 8193), 1000);

	assert_int_equal(
	    parse("client -f -i 7 h 65535 write-bw -m 8:64 -t 0.5 -d mlx5_1 -P 2 -g 3", &o, err),
	    0);
	assert_int_equal(o.test, WIRE_WRITE_BW);
	assert_int_equal(o.port, 65535);
	assert_int_equal(o.min_size, 8);
	assert_int_equal(o.max_size, 64);
	assert_int_equal(o.iters, 7);
	assert_int_equal(rawbench_iters(&o, 1 << 20), 7);
	assert_true(o.seconds == 0.5 && o.full && o.ib_port == 2 && o.gid_index == 3);
	assert_string_equal(o.device, "mlx5_1");

	assert_int_equal(parse("client h 1 send-lat -m 64 -i 10000000", &o, err), 0);
	assert_int_equal(o.min_size, 1);
	assert_int_equal(o.max_size, 64);
	assert_int_equal(o.iters, 10000000);
	assert_int_equal(parse("client h 1 write-lat -m 1073741824", &o, err), 0);
	assert_int_equal(parse("client h 1 tcp-bw", &o, err), 0);
	assert_int_equal(o.test, WIRE_TCP_BW);
}

static void options_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "serve",
	    "client",
	    "client h 1",
	    "client h 1 tcp-lat extra",
	    "client h 1 lat", /* the old names are gone */
	    "client h 1 nonsense",
	    "client h 0 tcp-lat",
	    "client h 65536 tcp-lat",
	    "client h 12ab tcp-lat",
	    "client h -1 tcp-lat",
	    "client h 1 tcp-lat -m 0",
	    "client h 1 tcp-lat -m 0:8",
	    "client h 1 tcp-lat -m 9:8",
	    "client h 1 tcp-lat -m 1073741825",
	    "client h 1 tcp-lat -m 1:",
	    "client h 1 tcp-lat -m :8",
	    "client h 1 tcp-lat -m 8x",
	    "client h 1 tcp-lat -m -1",
	    "client h 1 tcp-lat -m 123456789012345678901234:1",
	    "client h 1 tcp-lat -i 0",
	    "client h 1 tcp-lat -i -5",
	    "client h 1 tcp-lat -i 4294967297", /* tcpbench kept 1 of it */
	    "client h 1 tcp-lat -i 10000001",
	    "client h 1 tcp-lat -i 1e3",
	    "client h 1 tcp-bw -t 0",
	    "client h 1 tcp-bw -t abc",
	    "client h 1 tcp-bw -t nan",
	    "client h 1 tcp-bw -t 601",
	    "client h 1 tcp-bw -t 1s",
	    "client h 1 send-lat -P 0",
	    "client h 1 send-lat -P 256",
	    "client h 1 send-lat -g 256",
	    "client h 1 send-lat -g -1",
	    "client h 1 tcp-lat -z",
	    "client h 1 tcp-lat -a 127.0.0.1", /* a server option */
	    "client h 1 tcp-lat -i",
	    "server extra",
	    "server -p 65536",
	    "server -p abc",
	    "server -p -1",
	    "server -p 99999999999999999999",
	    "server -a 300.1.1.1",
	    "server -a localhost",
	    "server -m 8", /* a client option */
	    "server -p",
	};
	struct rawbench_options o;
	char err[256];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (parse(bad[i], &o, err) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != 0 && !strchr(err, '\n'));
	}
	parse("client h 1 tcp-lat -z", &o, err);
	assert_non_null(strstr(err, "-z"));
	parse("client h 1 tcp-lat -i", &o, err);
	assert_non_null(strstr(err, "-i needs a value"));
}

static void options_server(void **state)
{
	(void)state;
	struct rawbench_options o;
	char err[256];
	assert_int_equal(parse("server", &o, err), 0);
	assert_int_equal(o.role, ROLE_SERVER);
	assert_string_equal(o.address, "127.0.0.1");
	assert_int_equal(o.port, 0);
	assert_int_equal(parse("server -a 0.0.0.0 -p 65535 -d rxe0 -P 1 -g 1", &o, err), 0);
	assert_string_equal(o.address, "0.0.0.0");
	assert_int_equal(o.port, 65535);
	assert_string_equal(o.device, "rxe0");
	assert_int_equal(o.gid_index, 1);
	assert_string_equal(rawbench_test_name(WIRE_SEND_LAT), "send-lat");
	assert_string_equal(rawbench_test_name(WIRE_WRITE_BW), "write-bw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(request_round_trip), cmocka_unit_test(request_bytes),
	    cmocka_unit_test(request_refused),	  cmocka_unit_test(reply_round_trip),
	    cmocka_unit_test(qp_round_trip),	  cmocka_unit_test(qp_bytes),
	    cmocka_unit_test(qp_refused),	  cmocka_unit_test(u64_round_trip),
	    cmocka_unit_test(stats_hundred),	  cmocka_unit_test(stats_thousand),
	    cmocka_unit_test(stats_small),	  cmocka_unit_test(options_client),
	    cmocka_unit_test(options_refused),	  cmocka_unit_test(options_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
