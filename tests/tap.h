/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_TESTS_TAP_H
#define FOSR_TESTS_TAP_H

/*
 * Minimal checks for unit tests: each failed check prints where and what,
 * and tap_done() returns the exit status (1 if anything failed).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_failed, tap_checks;

#define CHECK(cond)                                                          \
	do {                                                                 \
		tap_checks++;                                                \
		if (!(cond)) {                                               \
			tap_failed++;                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n",         \
			    __FILE__, __LINE__, #cond);                      \
		}                                                            \
	} while (0)

#define CHECK_EQ_U(a, b)                                                     \
	do {                                                                 \
		uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);           \
		tap_checks++;                                                \
		if (va_ != vb_) {                                            \
			tap_failed++;                                        \
			fprintf(stderr,                                      \
			    "%s:%d: %s == %s: %" PRIu64 " != %" PRIu64 "\n", \
			    __FILE__, __LINE__, #a, #b, va_, vb_);           \
		}                                                            \
	} while (0)

#define CHECK_EQ_I(a, b)                                                     \
	do {                                                                 \
		int64_t va_ = (int64_t)(a), vb_ = (int64_t)(b);              \
		tap_checks++;                                                \
		if (va_ != vb_) {                                            \
			tap_failed++;                                        \
			fprintf(stderr,                                      \
			    "%s:%d: %s == %s: %" PRId64 " != %" PRId64 "\n", \
			    __FILE__, __LINE__, #a, #b, va_, vb_);           \
		}                                                            \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                \
	do {                                                                 \
		double va_ = (a), vb_ = (b);                                 \
		tap_checks++;                                                \
		if (!(fabs(va_ - vb_) <= (tol))) {                           \
			tap_failed++;                                        \
			fprintf(stderr, "%s:%d: %s ~ %s: %g vs %g (tol %g)\n", \
			    __FILE__, __LINE__, #a, #b, va_, vb_,            \
			    (double)(tol));                                  \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *va_ = (a), *vb_ = (b);                           \
		tap_checks++;                                                \
		if (va_ == NULL || vb_ == NULL || strcmp(va_, vb_) != 0) {   \
			tap_failed++;                                        \
			fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", \
			    __FILE__, __LINE__, #a, #b,                      \
			    va_ ? va_ : "(null)", vb_ ? vb_ : "(null)");     \
		}                                                            \
	} while (0)

/* Where the shared test data lives, or exit 77 (skip) if it is missing. */
static inline const char *
tap_shared(void)
{
	const char *s = getenv("FOSR_SHARED");

	if (s == NULL || *s == '\0') {
		printf("skip: FOSR_SHARED is not set (no shared test data)\n");
		exit(77);
	}
	return s;
}

/* Writes text to path, or exits: a test cannot go on without its input. */
static inline void
tap_put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static inline int
tap_done(void)
{
	printf("%d checks, %d failed\n", tap_checks, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
