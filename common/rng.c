/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Random numbers: PCG32 and the few distributions the stages need.  The
 * normal and Poisson samplers are exact in distribution (polar method;
 * Hoermann's transformed rejection for large means); they do not try to
 * reproduce another program's bit stream.
 */
#include <math.h>
#include <string.h>

#include "rng.h"

#define RNG_SEED_INC 11634580027462260723ULL

static void
rng_start(struct rng *r, uint64_t state0, uint64_t inc)
{
	r->inc = inc | 1;
	r->state = state0 + r->inc;
	r->state = r->state * RNG_MULT + r->inc;
}

void
rng_init(struct rng *r, uint64_t state, uint64_t stream)
{
	rng_start(r, state, (stream << 1) | 1);
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	uint32_t w[4];

	for (int k = 0; k < 4; k++) {
		seed = seed * RNG_MULT + RNG_SEED_INC;
		w[k] = rng_output(seed);
	}
	rng_start(r, (uint64_t)w[0] | (uint64_t)w[1] << 32,
	    (uint64_t)w[2] | (uint64_t)w[3] << 32);
}

double
rng_open01(struct rng *r)
{
	return ((double)(rng_u64(r) >> 12) + 0.5) * 0x1.0p-52;
}

uint32_t
rng_below(struct rng *r, uint32_t n)
{
	uint64_t m = (uint64_t)rng_u32(r) * n;
	uint32_t lo = (uint32_t)m;

	if (lo < n) {
		uint32_t t = -n % n;

		while (lo < t) {
			m = (uint64_t)rng_u32(r) * n;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

uint64_t
rng_below64(struct rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_u64(r) * n;
	uint64_t lo = (uint64_t)m;

	if (lo < n) {
		uint64_t t = -n % n;

		while (lo < t) {
			m = (unsigned __int128)rng_u64(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double
rng_normal(struct rng *r)
{
	double u, v, s;

	do {
		rng_u01_pair(r, &u, &v);
		u = 2.0 * u - 1.0;
		v = 2.0 * v - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

double
rng_exp(struct rng *r)
{
	return -log(rng_open01(r));
}

/* Transformed rejection with squeeze (Hoermann 1993), for mean >= 10. */
static uint64_t
rng_poisson_ptrs(struct rng *r, double lambda)
{
	double slam = sqrt(lambda), loglam = log(lambda);
	double b = 0.931 + 2.53 * slam;
	double a = -0.059 + 0.02483 * b;
	double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
	double vr = 0.9277 - 3.6224 / (b - 2.0);

	for (;;) {
		double u = rng_u01(r) - 0.5;
		double v = rng_u01(r);
		double us = 0.5 - fabs(u);
		double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
		int sign;

		if (us >= 0.07 && v <= vr)
			return (uint64_t)k;
		if (k < 0.0 || (us < 0.013 && v > us))
			continue;
		if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
		    -lambda + k * loglam - lgamma_r(k + 1.0, &sign))
			return (uint64_t)k;
	}
}

uint64_t
rng_poisson(struct rng *r, double lambda)
{
	double limit, p;
	uint64_t k;

	if (!(lambda > 0.0))
		return 0;
	if (lambda >= 10.0)
		return rng_poisson_ptrs(r, lambda);
	limit = exp(-lambda);
	p = rng_u01(r);
	for (k = 0; p > limit; k++)
		p *= rng_u01(r);
	return k;
}

/*
 * Four steps of the generator at once: state k + 4 is state k times
 * RNG_MULT^4 plus inc (RNG_MULT^3 + RNG_MULT^2 + RNG_MULT + 1), so four
 * chains of one multiplication each give the same states, in the same
 * order, as the one chain of rng_u32, without waiting on each other.
 */
#define RNG_MULT2 (RNG_MULT * RNG_MULT)
#define RNG_MULT4 (RNG_MULT2 * RNG_MULT2)
#define RNG_SUM4 ((RNG_MULT + 1) * (RNG_MULT2 + 1))

void
rng_fill(struct rng *r, void *buf, size_t n)
{
	uint8_t *p = buf;

	if (n >= 16) {
		/* Four named states, which gcc keeps in registers. */
		uint64_t add = r->inc * RNG_SUM4, x;
		uint64_t s0 = r->state, s1 = s0 * RNG_MULT + r->inc;
		uint64_t s2 = s1 * RNG_MULT + r->inc;
		uint64_t s3 = s2 * RNG_MULT + r->inc;

		for (; n >= 16; p += 16, n -= 16) {
			x = rng_output(s0) | (uint64_t)rng_output(s1) << 32;
			memcpy(p, &x, 8);
			x = rng_output(s2) | (uint64_t)rng_output(s3) << 32;
			memcpy(p + 8, &x, 8);
			s0 = s0 * RNG_MULT4 + add;
			s1 = s1 * RNG_MULT4 + add;
			s2 = s2 * RNG_MULT4 + add;
			s3 = s3 * RNG_MULT4 + add;
		}
		r->state = s0;
	}
	while (n >= 8) {
		uint64_t x = rng_u64(r);

		memcpy(p, &x, 8);
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t x = rng_u64(r);

		memcpy(p, &x, n);
	}
}

void
rng_advance(struct rng *r, uint64_t n)
{
	uint64_t acc_mult = 1, acc_plus = 0;
	uint64_t cur_mult = RNG_MULT, cur_plus = r->inc;

	while (n > 0) {
		if (n & 1) {
			acc_mult *= cur_mult;
			acc_plus = acc_plus * cur_mult + cur_plus;
		}
		cur_plus = (cur_mult + 1) * cur_plus;
		cur_mult *= cur_mult;
		n >>= 1;
	}
	r->state = acc_mult * r->state + acc_plus;
}

uint64_t
rng_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}
