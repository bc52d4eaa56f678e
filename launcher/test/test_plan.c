/* test_plan.c - block mapping of ranks to agents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plan.h"

static void blocks_cover_every_rank_once(void **state)
{
	(void)state;
	for (long n = 1; n <= 40; n++) {
		for (long k = 1; k <= n; k++) {
			long next = 0, smallest = n, largest = 0;
			for (long a = 0; a < k; a++) {
				long first, count;
				cmpi_plan_block(n, k, a, &first, &count);
				assert_int_equal(first, next); /* contiguous, in order */
				for (long r = first; r < first + count; r++)
					assert_int_equal(cmpi_plan_agent_of_rank(n, k, r), a);
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

static void known_layouts(void **state)
{
	long first, count;
	(void)state;
	cmpi_plan_block(5, 2, 0, &first, &count);
	assert_int_equal(first, 0);
	assert_int_equal(count, 3);
	cmpi_plan_block(5, 2, 1, &first, &count);
	assert_int_equal(first, 3);
	assert_int_equal(count, 2);
	cmpi_plan_block(4, 4, 3, &first, &count);
	assert_int_equal(first, 3);
	assert_int_equal(count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_cover_every_rank_once),
		cmocka_unit_test(known_layouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
