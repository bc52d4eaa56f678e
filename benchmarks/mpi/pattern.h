/* pattern.h - the bytes the MPI benchmarks send when asked to check (-c): a function of a
 * 64-bit seed. The first 8 bytes of a block are a one-to-one function of the seed, so any two
 * blocks of 8 bytes or more with different seeds differ; shorter blocks differ in their bytes
 * with high probability only. Plain C, no MPI: unit tested on its own. */
#ifndef CMPI_BENCH_PATTERN_H
#define CMPI_BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

void pattern_fill(void *buf, size_t size, uint64_t seed);
/* The offset of the first byte that differs from pattern_fill's, or size if none does. */
size_t pattern_mismatch(const void *buf, size_t size, uint64_t seed);

#endif
