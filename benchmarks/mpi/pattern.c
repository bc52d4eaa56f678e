/* pattern.c - see pattern.h. */
#include "pattern.h"

/* The splitmix64 finalizer: xor-shifts and odd multiplications, each one to one. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte i: word i/8 is mix(seed + i/8 * an odd constant), little end first. */
static unsigned char byte_at(uint64_t seed, size_t i, uint64_t *word, size_t *word_index)
{
	if (i / 8 != *word_index) {
		*word_index = i / 8;
		*word = mix(seed + (uint64_t)*word_index * 0x9e3779b97f4a7c15ull);
	}
	return (unsigned char)(*word >> (8 * (i % 8)));
}

void pattern_fill(void *buf, size_t size, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t word = 0;
	size_t word_index = SIZE_MAX;
	for (size_t i = 0; i < size; i++)
		p[i] = byte_at(seed, i, &word, &word_index);
}

size_t pattern_mismatch(const void *buf, size_t size, uint64_t seed)
{
	const unsigned char *p = buf;
	uint64_t word = 0;
	size_t word_index = SIZE_MAX;
	for (size_t i = 0; i < size; i++)
		if (p[i] != byte_at(seed, i, &word, &word_index))
			return i;
	return size;
}
