/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_DIST_H
#define FOSR_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

/*
 * A discrete distribution over 0..n-1 built once from weights (Walker's
 * alias method): one draw costs one random number and no search.  Built
 * at load time, read-only afterwards, so any number of threads may sample
 * it at once.
 */
struct dist {
	uint32_t n;
	double total;      /* sum of the weights it was built from */
	double *prob;      /* acceptance threshold per slot */
	uint32_t *alias;   /* value taken when the threshold is not met */
};

/*
 * Builds from n non-negative finite weights.  Returns -EINVAL if a weight
 * is negative or not finite, or if they sum to 0; -ENOMEM.
 */
int dist_init(struct dist *d, const double *weights, uint32_t n);
void dist_free(struct dist *d);
/*
 * Draws one value; values of weight 0 are never returned.  Inline: S1
 * and S2 draw from their tables for every flow and many packets.
 */
static inline uint32_t
dist_sample(const struct dist *d, struct rng *r)
{
	uint64_t x = rng_u64(r);
	uint32_t i = (uint32_t)(((x >> 32) * d->n) >> 32);
	double u = (double)(x & 0xffffffffu) * 0x1.0p-32;

	return u < d->prob[i] ? i : d->alias[i];
}
/* Probability of value i, as built (for tests and diagnostics). */
double dist_prob(const struct dist *d, const double *weights, uint32_t i);

#endif
