/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Alias tables for weighted choices on the data path. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "dist.h"

int
dist_init(struct dist *d, const double *weights, uint32_t n)
{
	uint32_t *small = NULL, *large = NULL, ns = 0, nl = 0;
	double total = 0.0, *scaled = NULL;
	int rc = -ENOMEM;

	d->n = 0;
	d->prob = NULL;
	d->alias = NULL;
	if (n == 0)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (!isfinite(weights[i]) || weights[i] < 0.0)
			return -EINVAL;
		total += weights[i];
	}
	if (!(total > 0.0))
		return -EINVAL;

	d->prob = malloc(n * sizeof(*d->prob));
	d->alias = malloc(n * sizeof(*d->alias));
	scaled = malloc(n * sizeof(*scaled));
	small = malloc(n * sizeof(*small));
	large = malloc(n * sizeof(*large));
	if (!d->prob || !d->alias || !scaled || !small || !large)
		goto out;

	for (uint32_t i = 0; i < n; i++) {
		scaled[i] = weights[i] * n / total;
		d->alias[i] = i;
		if (scaled[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		uint32_t s = small[--ns], l = large[nl - 1];

		d->prob[s] = scaled[s];
		d->alias[s] = l;
		scaled[l] -= 1.0 - scaled[s];
		if (scaled[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	/* Leftovers are 1 up to rounding; a zero weight must never win. */
	while (nl > 0) {
		uint32_t l = large[--nl];

		d->prob[l] = 1.0;
	}
	while (ns > 0) {
		uint32_t s = small[--ns];

		d->prob[s] = weights[s] > 0.0 ? 1.0 : 0.0;
		if (weights[s] == 0.0)
			d->alias[s] = s == 0 ? 1 : 0;
	}
	d->n = n;
	d->total = total;
	rc = 0;
out:
	free(scaled);
	free(small);
	free(large);
	if (rc != 0)
		dist_free(d);
	return rc;
}

void
dist_free(struct dist *d)
{
	free(d->prob);
	free(d->alias);
	d->prob = NULL;
	d->alias = NULL;
	d->n = 0;
}

double
dist_prob(const struct dist *d, const double *weights, uint32_t i)
{
	return i < d->n ? weights[i] / d->total : 0.0;
}
