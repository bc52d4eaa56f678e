/* fuzz_check.h - what the libFuzzer harnesses share. */
#ifndef CMPI_FUZZ_CHECK_H
#define CMPI_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* A property every input must keep. assert() vanishes with NDEBUG
 * (RelWithDebInfo); this does not, and the abort is what libFuzzer reports. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,        \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
