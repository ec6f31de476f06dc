/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_TESTS_BN_TESTUTIL_H
#define FOSR_TESTS_BN_TESTUTIL_H

/*
 * Helpers shared by the tests of the network and of stage 1: loading the
 * legacy model from the test data, and the Jensen-Shannon distance.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bn_int.h"
#include "profile.h"

static inline struct bn *
bt_load_legacy(void)
{
	char dir[4096];
	struct profile_src src;
	struct bn *bn = NULL;
	struct diag d;
	int rc;

	snprintf(dir, sizeof(dir), "%s/fosr-models/legacy", tap_shared());
	memset(&src, 0, sizeof(src));
	src.dir = dir;
	rc = bn_load(&bn, &src, &d);
	if (rc != 0) {
		fprintf(stderr, "bn_load: %s\n", d.msg);
		exit(1);
	}
	return bn;
}

/* Jensen-Shannon distance (base 2) of two distributions of n values. */
static inline double
bt_js(const double *p, const double *q, uint32_t n)
{
	double js = 0.0, sp = 0.0, sq = 0.0;

	for (uint32_t i = 0; i < n; i++) {
		sp += p[i];
		sq += q[i];
	}
	for (uint32_t i = 0; i < n; i++) {
		double a = p[i] / sp, b = q[i] / sq, m = (a + b) / 2;

		if (a > 0)
			js += 0.5 * a * log2(a / m);
		if (b > 0)
			js += 0.5 * b * log2(b / m);
	}
	return sqrt(js > 0 ? js : 0);
}

#endif
