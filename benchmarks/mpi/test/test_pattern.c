/* test_pattern.c - the -c pattern: filled blocks check clean, a flipped byte is found where it
 * is, and blocks of different seeds (as alltoall gives every sender/receiver/iteration) differ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../pattern.h"

static void filled_blocks_check_clean(void **state)
{
	(void)state;
	unsigned char buf[1000];
	for (size_t size = 0; size <= sizeof buf; size = size ? size * 2 : 1) {
		pattern_fill(buf, size, 42 + size);
		assert_int_equal(pattern_mismatch(buf, size, 42 + size), size);
	}
	pattern_fill(buf, sizeof buf, 7);
	assert_int_equal(pattern_mismatch(buf, sizeof buf, 7), sizeof buf);
}

static void a_flipped_byte_is_found(void **state)
{
	(void)state;
	unsigned char buf[333];
	for (size_t at = 0; at < sizeof buf; at += 37) {
		pattern_fill(buf, sizeof buf, 9);
		buf[at] ^= 1;
		assert_int_equal(pattern_mismatch(buf, sizeof buf, 9), at);
	}
}

/* 256 ranks, 3 iterations: every (iteration, sender, receiver) seed gives another 8 bytes. */
static int by_bytes(const void *a, const void *b)
{
	return memcmp(a, b, 8);
}

static void seeds_give_distinct_blocks(void **state)
{
	(void)state;
	const uint64_t ranks = 256, iters = 3, n = iters * ranks * ranks;
	unsigned char *blocks = malloc(n * 8);
	assert_non_null(blocks);
	for (uint64_t s = 0; s < n; s++)
		pattern_fill(blocks + s * 8, 8, s);
	qsort(blocks, n, 8, by_bytes);
	for (uint64_t s = 1; s < n; s++)
		assert_int_not_equal(memcmp(blocks + (s - 1) * 8, blocks + s * 8, 8), 0);
	free(blocks);
	/* The old pattern (iteration + 1000 * block, one byte) repeated every 32 blocks. */
	unsigned char a[8], b[8];
	pattern_fill(a, 8, 1000 * 0);
	pattern_fill(b, 8, 1000 * 32);
	assert_memory_not_equal(a, b, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(filled_blocks_check_clean),
	    cmocka_unit_test(a_flipped_byte_is_found),
	    cmocka_unit_test(seeds_give_distinct_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
