/* test_slurm.c - SLURM_TASKS_PER_NODE's compressed form, as salloc and sbatch set it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "slurm.h"

static void tasks_per_node(void **state)
{
	long slots[6] = {0};
	(void)state;
	assert_int_equal(slurm_parse_tasks_per_node("2(x3),1", slots, 4), 0);
	assert_int_equal(slots[0], 2);
	assert_int_equal(slots[2], 2);
	assert_int_equal(slots[3], 1);
	assert_int_equal(slurm_parse_tasks_per_node("4", slots, 1), 0);
	assert_int_equal(slots[0], 4);
	assert_int_equal(slurm_parse_tasks_per_node("1,3(x2),5", slots, 4), 0);
	assert_int_equal(slots[1], 3);
	assert_int_equal(slots[3], 5);
}

static void tasks_per_node_errors(void **state)
{
	long slots[4];
	/* Not the form, or 3 or 5 nodes for 4. */
	static const char *const bad[] = {"",	"x",  "2(3)",	     "2(x0)",  "2(x2",	"0",
					  "2,", ",2", "2(x2),1,1,1", "-1(x4)", "2(x3)", "2(x5)"};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (slurm_parse_tasks_per_node(bad[i], slots, 4) == 0)
			fail_msg("'%s' was taken", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tasks_per_node),
	    cmocka_unit_test(tasks_per_node_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
