/* test_placement.c - --map-by, --bind-to and --report-bindings on synthetic hwloc topologies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/placement.h"

/* PUs of a synthetic topology are numbered in order: "pack:2 core:4 pu:2" has core 0 = PUs
 * 0-1, ..., core 4 (the first of package 1) = PUs 8-9. */
static hwloc_topology_t synthetic(const char *desc)
{
	hwloc_topology_t t;
	assert_int_equal(hwloc_topology_init(&t), 0);
	assert_int_equal(hwloc_topology_set_synthetic(t, desc), 0);
	assert_int_equal(hwloc_topology_load(t), 0);
	return t;
}

/* A topology whose objects all stay but only the PUs in list may be used, as in a cgroup. */
static hwloc_topology_t synthetic_allowed(const char *desc, const char *list)
{
	hwloc_topology_t t;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	assert_int_equal(hwloc_topology_init(&t), 0);
	assert_int_equal(hwloc_topology_set_synthetic(t, desc), 0);
	assert_int_equal(hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED), 0);
	assert_int_equal(hwloc_topology_load(t), 0);
	assert_int_equal(hwloc_bitmap_list_sscanf(set, list), 0);
	assert_int_equal(hwloc_topology_allow(t, set, NULL, HWLOC_ALLOW_FLAG_CUSTOM), 0);
	hwloc_bitmap_free(set);
	return t;
}

static struct cmpi_placement_request request(enum cmpi_map_by map_by, enum cmpi_bind_to bind_to,
					     long pe, long nranks)
{
	struct cmpi_placement_request req = {
	    .map_by = map_by, .pe = pe, .bind_to = bind_to, .nranks = nranks};
	return req;
}

/* Computes and compares each rank's cpuset with want[r] as an hwloc list ("0-1"). */
static void expect_sets(hwloc_topology_t t, const struct cmpi_placement_request *req,
			const char *const *want)
{
	hwloc_bitmap_t *sets = NULL;
	char err[256] = "";
	int rc = cmpi_placement_compute(t, req, &sets, err, sizeof err);
	if (rc != 0)
		fail_msg("compute failed: %s", err);
	assert_non_null(sets);
	for (long r = 0; r < req->nranks; r++) {
		char *list = NULL;
		assert_non_null(sets[r]);
		assert_true(hwloc_bitmap_list_asprintf(&list, sets[r]) >= 0);
		if (strcmp(list, want[r]) != 0)
			fail_msg("rank %ld: got %s, want %s", r, list, want[r]);
		free(list);
	}
	cmpi_placement_free(sets, req->nranks);
}

/* Expects compute to refuse the request with exactly this message. */
static void expect_error(hwloc_topology_t t, const struct cmpi_placement_request *req,
			 const char *want)
{
	static hwloc_bitmap_t dummy;
	hwloc_bitmap_t *sets = &dummy; /* must come back NULL */
	char err[512] = "";
	assert_int_equal(cmpi_placement_compute(t, req, &sets, err, sizeof err), -1);
	assert_null(sets);
	if (want)
		assert_string_equal(err, want);
	else
		assert_true(strlen(err) > 0);
}

static void expect_describe(hwloc_topology_t t, long rank, const char *list, const char *want)
{
	hwloc_bitmap_t set = NULL;
	if (list) {
		set = hwloc_bitmap_alloc();
		assert_int_equal(hwloc_bitmap_list_sscanf(set, list), 0);
	}
	char *got = cmpi_placement_describe(t, rank, set);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	hwloc_bitmap_free(set);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(cmpi_map_by_name(CMPI_MAP_DEFAULT), "default");
	assert_string_equal(cmpi_map_by_name(CMPI_MAP_SLOT), "slot");
	assert_string_equal(cmpi_map_by_name(CMPI_MAP_NODE), "node");
	assert_string_equal(cmpi_map_by_name(CMPI_MAP_CORE), "core");
	assert_string_equal(cmpi_map_by_name(CMPI_MAP_SOCKET), "socket");
	assert_string_equal(cmpi_bind_to_name(CMPI_BIND_DEFAULT), "default");
	assert_string_equal(cmpi_bind_to_name(CMPI_BIND_NONE), "none");
	assert_string_equal(cmpi_bind_to_name(CMPI_BIND_CORE), "core");
	assert_string_equal(cmpi_bind_to_name(CMPI_BIND_SOCKET), "socket");
}

static void by_slot_bind_core(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:4 pu:2");
	(void)state;
	/* Slot, core, node and default all fill cores in order inside a node. */
	const enum cmpi_map_by maps[] = {CMPI_MAP_DEFAULT, CMPI_MAP_SLOT, CMPI_MAP_NODE,
					 CMPI_MAP_CORE};
	for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
		struct cmpi_placement_request req = request(maps[i], CMPI_BIND_CORE, 1, 5);
		expect_sets(t, &req, (const char *[]){"0-1", "2-3", "4-5", "6-7", "8-9"});
	}
	hwloc_topology_destroy(t);
}

static void pe_two(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:4 pu:2");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 2, 4);
	expect_sets(t, &req, (const char *[]){"0-3", "4-7", "8-11", "12-15"});
	/* A rank's pe cores may straddle two sockets, and then it binds to both. */
	req = request(CMPI_MAP_SLOT, CMPI_BIND_SOCKET, 3, 2);
	expect_sets(t, &req, (const char *[]){"0-7", "0-15"});
	hwloc_topology_destroy(t);
}

static void by_socket_round_robin(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:4 pu:2");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 5);
	expect_sets(t, &req, (const char *[]){"0-1", "8-9", "2-3", "10-11", "4-5"});
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 2, 4);
	expect_sets(t, &req, (const char *[]){"0-3", "8-11", "4-7", "12-15"});
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_SOCKET, 1, 4);
	expect_sets(t, &req, (const char *[]){"0-7", "8-15", "0-7", "8-15"});
	/* Mapped by core, bound by socket: the first four ranks fill socket 0. */
	req = request(CMPI_MAP_CORE, CMPI_BIND_SOCKET, 1, 5);
	expect_sets(t, &req, (const char *[]){"0-7", "0-7", "0-7", "0-7", "8-15"});
	hwloc_topology_destroy(t);
}

static void first_slot_offset(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:2 pu:1");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 2);
	req.first_slot = 2;
	expect_sets(t, &req, (const char *[]){"2", "3"});
	/* Slot 1 is the first on socket 1, slot 2 the second on socket 0. */
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 2);
	req.first_slot = 1;
	expect_sets(t, &req, (const char *[]){"2", "1"});
	/* The cores before first_slot count against the node. */
	req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 2);
	req.first_slot = 3;
	expect_error(t, &req,
		     "binding 5 ranks (3 of them by other agents on this machine) with 1 core each "
		     "needs 5 cores; this node has 4 (--bind-to core:overload-allowed, or "
		     "--oversubscribe without --bind-to)");
	hwloc_topology_destroy(t);
}

static void overload_refused(void **state)
{
	hwloc_topology_t t = synthetic("pack:1 core:2 pu:1");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 4);
	expect_error(t, &req,
		     "binding 4 ranks with 1 core each needs 4 cores; this node has 2 (--bind-to "
		     "core:overload-allowed, or --oversubscribe without --bind-to)");
	req = request(CMPI_MAP_CORE, CMPI_BIND_SOCKET, 2, 2);
	expect_error(t, &req,
		     "binding 2 ranks with 2 cores each needs 4 cores; this node has 2 (--bind-to "
		     "socket:overload-allowed, or --oversubscribe without --bind-to)");
	hwloc_topology_destroy(t);

	/* By socket, each socket must hold its own share. */
	t = synthetic("pack:2 core:2 pu:1");
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 5);
	expect_error(t, &req,
		     "binding 5 ranks by socket with 1 core each needs 3 cores on socket 0; it "
		     "has 2 (--bind-to core:overload-allowed, or --oversubscribe without "
		     "--bind-to)");
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 4);
	expect_sets(t, &req, (const char *[]){"0", "2", "1", "3"});
	hwloc_topology_destroy(t);
}

static void overload_wraps(void **state)
{
	hwloc_topology_t t = synthetic("pack:1 core:2 pu:1");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 5);
	req.overload = true;
	expect_sets(t, &req, (const char *[]){"0", "1", "0", "1", "0"});
	req.pe = 2;
	req.nranks = 3;
	expect_sets(t, &req, (const char *[]){"0-1", "0-1", "0-1"});
	req.pe = 3; /* more cores per rank than the node has: all of them */
	req.nranks = 1;
	expect_sets(t, &req, (const char *[]){"0-1"});
	hwloc_topology_destroy(t);

	t = synthetic("pack:2 core:2 pu:1");
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 6);
	req.overload = true;
	expect_sets(t, &req, (const char *[]){"0", "2", "1", "3", "0", "2"});
	hwloc_topology_destroy(t);
}

static void unbound_gives_nulls(void **state)
{
	hwloc_topology_t t = synthetic("pack:1 core:2 pu:1");
	hwloc_bitmap_t *sets = NULL;
	char err[256] = "";
	(void)state;
	/* No binding: nothing to check, however many ranks. */
	const enum cmpi_bind_to binds[] = {CMPI_BIND_NONE, CMPI_BIND_DEFAULT};
	for (size_t i = 0; i < 2; i++) {
		struct cmpi_placement_request req = request(CMPI_MAP_SOCKET, binds[i], 4, 100);
		assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
		assert_non_null(sets);
		for (long r = 0; r < req.nranks; r++)
			assert_null(sets[r]);
		cmpi_placement_free(sets, req.nranks);
	}
	/* Zero ranks still gives an array to free. */
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 0);
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	assert_non_null(sets);
	cmpi_placement_free(sets, 0);
	req.first_slot = 10; /* full node, but nothing to place */
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	cmpi_placement_free(sets, 0);
	cmpi_placement_free(NULL, 3);
	hwloc_topology_destroy(t);
}

/* Open MPI's default: a core each for up to 2 ranks, else a socket each, and
 * no binding when the ranks outnumber the cores. */
static void default_binding(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:2 pu:1");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_DEFAULT, CMPI_BIND_DEFAULT, 1, 2);
	req.job_size = 2;
	expect_sets(t, &req, (const char *const[]){"0", "1"});
	req.nranks = req.job_size = 4;
	expect_sets(t, &req, (const char *const[]){"0-1", "0-1", "2-3", "2-3"});
	/* Other agents' ranks on this machine count: 2 + 2 still fit. */
	req.nranks = 2;
	req.first_slot = 2;
	expect_sets(t, &req, (const char *const[]){"2-3", "2-3"});
	req.first_slot = 3; /* 5 ranks on 4 cores: oversubscribed */
	hwloc_bitmap_t *sets = NULL;
	char err[256] = "";
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	assert_null(sets[0]);
	assert_null(sets[1]);
	cmpi_placement_free(sets, req.nranks);
	hwloc_topology_destroy(t);
}

static void bad_requests(void **state)
{
	hwloc_topology_t t = synthetic("pack:1 core:2 pu:1");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_NONE, 0, 1);
	expect_error(t, &req, "pe=0: each rank needs at least 1 core");
	req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, -1);
	expect_error(t, &req, "bad rank counts: -1 ranks after 0 others");
	req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 1);
	req.first_slot = -2;
	expect_error(t, &req, NULL);
	req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 1);
	req.first_slot = LONG_MAX;
	expect_error(t, &req, NULL);
	req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, LONG_MAX / 2, 3);
	req.overload = true;
	expect_error(t, &req, NULL);
	req = request((enum cmpi_map_by)9, CMPI_BIND_CORE, 1, 1);
	expect_error(t, &req, NULL);
	/* A NULL error buffer is allowed. */
	hwloc_bitmap_t *sets;
	req = request(CMPI_MAP_SLOT, CMPI_BIND_CORE, 1, 3);
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, NULL, 0), -1);
	hwloc_topology_destroy(t);
}

/* hwloc_topology_restrict removes the disallowed objects altogether. */
static void restricted_topology(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:2 pu:2");
	hwloc_bitmap_t keep = hwloc_bitmap_alloc();
	(void)state;
	assert_int_equal(hwloc_bitmap_list_sscanf(keep, "2-7"), 0);
	assert_int_equal(hwloc_topology_restrict(t, keep, 0), 0);
	hwloc_bitmap_free(keep);

	struct cmpi_placement_request req = request(CMPI_MAP_CORE, CMPI_BIND_CORE, 1, 3);
	expect_sets(t, &req, (const char *[]){"2-3", "4-5", "6-7"});
	req.nranks = 4;
	expect_error(t, &req, NULL);
	/* Socket 0 now has one core: the second rank by socket goes to socket 1. */
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 3);
	expect_error(t, &req,
		     "binding 3 ranks by socket with 1 core each needs 2 cores on socket 0; it "
		     "has 1 (--bind-to core:overload-allowed, or --oversubscribe without "
		     "--bind-to)");
	req.nranks = 2;
	expect_sets(t, &req, (const char *[]){"2-3", "4-5"});
	expect_describe(t, 1, "4-5", "MCW rank 1 bound to socket 1[core 1[hwt 0-1]]: [.][B/.]");
	hwloc_topology_destroy(t);
}

/* With only an allowed set (a cgroup), objects stay but bindings keep to allowed PUs. */
static void allowed_subset(void **state)
{
	hwloc_topology_t t = synthetic_allowed("pack:2 core:2 pu:2", "1-5");
	(void)state;
	struct cmpi_placement_request req = request(CMPI_MAP_CORE, CMPI_BIND_CORE, 1, 3);
	expect_sets(t, &req, (const char *[]){"1", "2-3", "4-5"});
	req.nranks = 4; /* core 3 (PUs 6-7) is not allowed at all */
	expect_error(t, &req, NULL);
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_SOCKET, 1, 2);
	expect_sets(t, &req, (const char *[]){"1-3", "4-5"});
	expect_describe(t, 0, "0-1", "MCW rank 0 bound to socket 0[core 0[hwt 1]]: [B/.][.]");
	expect_describe(t, 0, "1-5",
			"MCW rank 0 is not bound (or bound to all available processors)");
	hwloc_topology_destroy(t);
}

/* PUs without Core objects are cores; no packages make the machine one socket. */
static void no_cores_no_packages(void **state)
{
	hwloc_topology_t t = synthetic("pack:1 pu:4");
	(void)state;
	assert_int_equal(hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE), 0);
	struct cmpi_placement_request req = request(CMPI_MAP_CORE, CMPI_BIND_CORE, 1, 4);
	expect_sets(t, &req, (const char *[]){"0", "1", "2", "3"});
	req.pe = 2;
	req.nranks = 2;
	expect_sets(t, &req, (const char *[]){"0-1", "2-3"});
	expect_describe(t, 2, "2", "MCW rank 2 bound to socket 0[core 2[hwt 0]]: [././B/.]");
	hwloc_topology_destroy(t);

	t = synthetic("core:4 pu:1");
	assert_int_equal(hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE), 0);
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_CORE, 1, 2);
	expect_sets(t, &req, (const char *[]){"0", "1"});
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_SOCKET, 1, 1);
	expect_sets(t, &req, (const char *[]){"0-3"});
	expect_describe(t, 5, "1", "MCW rank 5 bound to socket 0[core 1[hwt 0]]: [./B/./.]");
	hwloc_topology_destroy(t);
}

static void describe_strings(void **state)
{
	hwloc_topology_t t = synthetic("pack:2 core:2 pu:1");
	(void)state;
	expect_describe(t, 3, "1", "MCW rank 3 bound to socket 0[core 1[hwt 0]]: [./B][./.]");
	expect_describe(t, 0, "0,3",
			"MCW rank 0 bound to socket 0[core 0[hwt 0]], socket 1[core 3[hwt 0]]: "
			"[B/.][./B]");
	expect_describe(t, 7, NULL,
			"MCW rank 7 is not bound (or bound to all available processors)");
	expect_describe(t, 7, "0-3",
			"MCW rank 7 is not bound (or bound to all available processors)");
	expect_describe(t, 7, "", "MCW rank 7 is not bound (or bound to all available processors)");
	expect_describe(t, 1, "9-10",
			"MCW rank 1 bound to PUs 9-10, outside this node's allowed cores");
	hwloc_topology_destroy(t);

	t = synthetic("pack:2 core:4 pu:2");
	expect_describe(t, 0, "0-3",
			"MCW rank 0 bound to socket 0[core 0[hwt 0-1]], socket 0[core 1[hwt 0-1]]: "
			"[B/B/./.][./././.]");
	expect_describe(t, 1, "9",
			"MCW rank 1 bound to socket 1[core 4[hwt 1]]: [./././.][B/././.]");
	expect_describe(t, 2, "8-15",
			"MCW rank 2 bound to socket 1[core 4[hwt 0-1]], socket "
			"1[core 5[hwt 0-1]], socket 1[core 6[hwt 0-1]], socket "
			"1[core 7[hwt 0-1]]: [./././.][B/B/B/B]");
	hwloc_topology_destroy(t);

	/* One socket: binding to it is binding to everything. */
	t = synthetic("pack:1 core:2 pu:1");
	hwloc_bitmap_t *sets;
	char err[256];
	struct cmpi_placement_request req = request(CMPI_MAP_SLOT, CMPI_BIND_SOCKET, 1, 1);
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	char *got = cmpi_placement_describe(t, 0, sets[0]);
	assert_string_equal(got, "MCW rank 0 is not bound (or bound to all available processors)");
	free(got);
	cmpi_placement_free(sets, 1);
	hwloc_topology_destroy(t);
}

/* This machine's real topology: only consistency, since it differs from host to host. */
static void real_machine(void **state)
{
	hwloc_topology_t t;
	hwloc_bitmap_t *sets;
	char err[512];
	(void)state;
	assert_int_equal(hwloc_topology_init(&t), 0);
	assert_int_equal(hwloc_topology_load(t), 0);
	hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(t);
	hwloc_obj_type_t type =
	    hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
	hwloc_obj_t core = NULL;
	long ncores = 0;
	while ((core = hwloc_get_next_obj_by_type(t, type, core)))
		ncores += hwloc_bitmap_intersects(core->cpuset, allowed);
	assert_true(ncores > 0);

	struct cmpi_placement_request req = request(CMPI_MAP_CORE, CMPI_BIND_CORE, 1, 8);
	req.overload = true;
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	for (long r = 0; r < req.nranks; r++) {
		/* Exactly one core's allowed PUs. */
		hwloc_obj_t only = NULL;
		int hits = 0;
		assert_non_null(sets[r]);
		assert_false(hwloc_bitmap_iszero(sets[r]));
		core = NULL;
		assert_true(hwloc_bitmap_isincluded(sets[r], allowed));
		while ((core = hwloc_get_next_obj_by_type(t, type, core)))
			if (hwloc_bitmap_intersects(core->cpuset, sets[r])) {
				only = core;
				hits++;
			}
		assert_int_equal(hits, 1);
		hwloc_bitmap_t want = hwloc_bitmap_alloc();
		hwloc_bitmap_and(want, only->cpuset, allowed);
		assert_true(hwloc_bitmap_isequal(want, sets[r]));
		hwloc_bitmap_free(want);
		char *line = cmpi_placement_describe(t, r, sets[r]);
		assert_non_null(line);
		assert_true(strncmp(line, "MCW rank ", 9) == 0);
		free(line);
	}
	cmpi_placement_free(sets, req.nranks);

	/* Without overload, one rank more than the cores is refused. */
	req = request(CMPI_MAP_CORE, CMPI_BIND_CORE, 1, ncores + 1);
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), -1);
	req.nranks = ncores;
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	cmpi_placement_free(sets, req.nranks);
	req = request(CMPI_MAP_SOCKET, CMPI_BIND_SOCKET, 1, ncores);
	assert_int_equal(cmpi_placement_compute(t, &req, &sets, err, sizeof err), 0);
	cmpi_placement_free(sets, req.nranks);
	hwloc_topology_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names),
	    cmocka_unit_test(by_slot_bind_core),
	    cmocka_unit_test(pe_two),
	    cmocka_unit_test(by_socket_round_robin),
	    cmocka_unit_test(first_slot_offset),
	    cmocka_unit_test(overload_refused),
	    cmocka_unit_test(overload_wraps),
	    cmocka_unit_test(unbound_gives_nulls),
	    cmocka_unit_test(default_binding),
	    cmocka_unit_test(bad_requests),
	    cmocka_unit_test(restricted_topology),
	    cmocka_unit_test(allowed_subset),
	    cmocka_unit_test(no_cores_no_packages),
	    cmocka_unit_test(describe_strings),
	    cmocka_unit_test(real_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
