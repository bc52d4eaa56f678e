/* test_plan.c - where the ranks go: -n defaults, slots, -N, --map-by, blocks over agents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "options.h"
#include "plan.h"

static void blocks_cover_every_rank_once(void **state)
{
	(void)state;
	for (long n = 1; n <= 40; n++) {
		for (long k = 1; k <= n; k++) {
			long next = 0, smallest = n, largest = 0;
			for (long a = 0; a < k; a++) {
				long first, count;
				plan_block(n, k, a, &first, &count);
				assert_int_equal(first, next); /* contiguous, in order */
				next = first + count;
				smallest = count < smallest ? count : smallest;
				largest = count > largest ? count : largest;
			}
			assert_int_equal(next, n);
			assert_true(largest - smallest <= 1); /* balanced */
			assert_true(smallest >= 1);
		}
	}
}

/* The plan's node of each rank as digits, "00110" say. */
static const char *layout(const struct plan *p)
{
	static char s[128];
	for (long r = 0; r < p->nranks; r++)
		s[r] = (char)('0' + p->rank_node[r]);
	s[p->nranks] = '\0';
	return s;
}

static int make(struct cmpi_options *o, struct plan *p, char *err)
{
	if (!o->pe)
		o->pe = 1;
	return plan_make(o, "node7.example", 4, p, err, 256);
}

static void agents_get_blocks(void **state)
{
	struct cmpi_options o = {.nranks = 5, .nagents = 2};
	struct plan p;
	char err[256];
	(void)state;
	assert_int_equal(make(&o, &p, err), 0);
	assert_string_equal(layout(&p), "00011");
	assert_string_equal(p.nodes[0].name, "node7.example-0");
	assert_int_equal(p.nodes[1].first_slot, 3);
	assert_int_equal(p.nodes[1].nranks, 2);
	assert_int_equal(p.nodes[1].ranks[0], 3);
	plan_free(&p);

	/* One agent is this host; -n defaults to the CPUs. */
	struct cmpi_options one = {0};
	assert_int_equal(make(&one, &p, err), 0);
	assert_int_equal(p.nranks, 4);
	assert_int_equal(p.nnodes, 1);
	assert_string_equal(p.nodes[0].name, "node7.example");
	assert_int_equal(p.nodes[0].slots, 0);
	plan_free(&p);
}

static void map_by_node_is_round_robin(void **state)
{
	struct cmpi_options o = {.nranks = 7, .nagents = 3, .map_by = CMPI_MAP_NODE};
	struct plan p;
	char err[256];
	(void)state;
	assert_int_equal(make(&o, &p, err), 0);
	assert_string_equal(layout(&p), "0120120");
	assert_int_equal(p.nodes[0].nranks, 3);
	assert_int_equal(p.nodes[0].ranks[1], 3);
	assert_int_equal(p.nodes[2].first_slot, 5); /* after 3 + 2 ranks on this machine */
	plan_free(&p);
}

/* Hosts of one engine share its machine's cores; each other engine's host
 * starts at its own first core. */
static void first_slot_counts_per_engine(void **state)
{
	char e1[] = "tcp://198.18.251.2:2376", e2[] = "tcp://198.18.251.3:2376";
	struct cmpi_host hosts[] = {{.name = "a", .slots = 2},
				    {.name = "b", .slots = 2, .engine = e1},
				    {.name = "c", .slots = 2},
				    {.name = "d", .slots = 2, .engine = e1},
				    {.name = "e", .slots = 2, .engine = e2}};
	struct cmpi_options o = {.hosts = hosts, .nhosts = 5};
	struct plan p;
	char err[256];
	(void)state;
	assert_int_equal(make(&o, &p, err), 0);
	assert_int_equal(p.nnodes, 5);
	assert_int_equal(p.nodes[0].first_slot, 0);
	assert_int_equal(p.nodes[1].first_slot, 0);
	assert_int_equal(p.nodes[2].first_slot, 2); /* after a, on the default engine */
	assert_int_equal(p.nodes[3].first_slot, 2); /* after b, on e1 */
	assert_int_equal(p.nodes[4].first_slot, 0);
	assert_string_equal(p.nodes[3].engine, e1);
	assert_null(p.nodes[2].engine);
	plan_free(&p);
}

static void hosts_and_slots(void **state)
{
	struct cmpi_host hosts[] = {
	    {.name = "a", .slots = 2}, {.name = "b", .slots = 3}, {.name = "c", .slots = 0}};
	struct cmpi_options o = {.hosts = hosts, .nhosts = 3};
	struct plan p;
	char err[256];
	(void)state;
	/* -n defaults to the slots; an entry without slots has one. */
	assert_int_equal(make(&o, &p, err), 0);
	assert_int_equal(p.nranks, 6);
	assert_string_equal(layout(&p), "001112");
	assert_string_equal(p.nodes[2].name, "c");
	assert_int_equal(p.nodes[2].slots, 1);
	plan_free(&p);

	/* Round robin skips full hosts. */
	o.map_by = CMPI_MAP_NODE;
	assert_int_equal(make(&o, &p, err), 0);
	assert_string_equal(layout(&p), "012011");
	plan_free(&p);

	/* Nodes left without ranks are not part of the job. */
	o.map_by = CMPI_MAP_DEFAULT;
	o.nranks = 2;
	assert_int_equal(make(&o, &p, err), 0);
	assert_int_equal(p.nnodes, 1);
	plan_free(&p);

	/* More ranks than slots: refused, unless --oversubscribe. */
	o.nranks = 8;
	assert_int_equal(make(&o, &p, err), -1);
	assert_string_equal(err, "8 ranks need more than the 6 slots the hosts give "
				 "(--oversubscribe allows it)");
	o.oversubscribe = true;
	assert_int_equal(make(&o, &p, err), 0);
	assert_string_equal(layout(&p), "00111200"); /* the slots again, in order */
	plan_free(&p);
}

static void ranks_per_node(void **state)
{
	struct cmpi_host hosts[] = {{.name = "a", .slots = 4}, {.name = "b", .slots = 4}};
	struct cmpi_options o = {.hosts = hosts, .nhosts = 2, .npernode = 2};
	struct plan p;
	char err[256];
	(void)state;
	assert_int_equal(make(&o, &p, err), 0);
	assert_string_equal(layout(&p), "0011");
	plan_free(&p);
	o.map_by = CMPI_MAP_NODE;
	assert_int_equal(make(&o, &p, err), 0);
	assert_string_equal(layout(&p), "0101");
	plan_free(&p);
	o.nranks = 5;
	assert_int_equal(make(&o, &p, err), -1);
	assert_string_equal(err, "-N 2 on 2 nodes runs at most 4 ranks, not 5");
	o.nranks = 0;
	o.npernode = 5;
	assert_int_equal(make(&o, &p, err), -1);
	assert_string_equal(err, "-N 5 is more than the 4 slots of host 'a' (--oversubscribe allows it)");
}

static void bad_counts(void **state)
{
	struct cmpi_options o = {.nranks = 2, .nagents = 3};
	struct plan p;
	char err[256];
	(void)state;
	assert_int_equal(make(&o, &p, err), -1);
	assert_string_equal(err, "--agents 3 is more than the 2 ranks");
	struct cmpi_options cpus = {.nagents = 5};
	assert_int_equal(make(&cpus, &p, err), -1);
	assert_string_equal(err, "--agents 5 is more than the 4 ranks (one per CPU); give -n");
	struct cmpi_host many[] = {{.name = "a", .slots = CMPI_MAX_RANKS}, {.name = "b", .slots = 1}};
	struct cmpi_options huge = {.hosts = many, .nhosts = 2};
	assert_int_equal(make(&huge, &p, err), -1);
	assert_string_equal(err, "65537 ranks are more than cmpirun starts (65536)");
}

static void this_machine(void **state)
{
	(void)state;
	assert_true(plan_is_this_machine("localhost", "node7.example"));
	assert_true(plan_is_this_machine("127.0.0.1", "node7.example"));
	assert_true(plan_is_this_machine("node7", "node7.example"));
	assert_true(plan_is_this_machine("node7.example", "node7.example"));
	assert_false(plan_is_this_machine("node8", "node7.example"));
	assert_false(plan_is_this_machine("node", "node7.example"));
	assert_false(plan_is_this_machine("node7.other", "node7.example"));
}

static void ranks_as_text(void **state)
{
	uint32_t ranks[] = {0, 1, 2, 3, 8, 10, 11};
	(void)state;
	char *s = plan_ranks_text(ranks, 7);
	assert_string_equal(s, "0-3,8,10-11");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(blocks_cover_every_rank_once),
	    cmocka_unit_test(agents_get_blocks),
	    cmocka_unit_test(map_by_node_is_round_robin),
	    cmocka_unit_test(first_slot_counts_per_engine),
	    cmocka_unit_test(hosts_and_slots),
	    cmocka_unit_test(ranks_per_node),
	    cmocka_unit_test(bad_counts),
	    cmocka_unit_test(this_machine),
	    cmocka_unit_test(ranks_as_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
