/* A minimal TAP emitter for the C tests: CHECK(cond, name) prints one line. */
#ifndef CHAIN_TEST_TAP_H
#define CHAIN_TEST_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		int ok_ = (cond) ? 1 : 0;                                                  \
		printf("%s %d - ", ok_ ? "ok" : "not ok", ++tap_n);                        \
		printf(__VA_ARGS__);                                                       \
		printf("%s\n", ok_ ? "" : "  [" #cond "]");                                \
		tap_failed += !ok_;                                                        \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
