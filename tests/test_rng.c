/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PCG32 against published vectors; samplers against their moments. */
#include <math.h>
#include <string.h>

#include "rng.h"
#include "dist.h"
#include "tap.h"

static void
test_vectors(void)
{
	static const uint32_t want[6] = { 0xa15c02b7, 0x7b47f409, 0xba1d3330,
		0x83d2f293, 0xbfa4784b, 0xcbed606e };
	struct rng r, r2;

	rng_init(&r, 42, 54);
	for (int i = 0; i < 6; i++)
		CHECK_EQ_U(rng_u32(&r), want[i]);
	rng_seed(&r, 0);
	CHECK_EQ_U(rng_u64(&r), 18195738587432868099ULL);
	rng_seed(&r, 42);
	CHECK_EQ_U(rng_u64(&r), 14387133034650956336ULL);
	CHECK_EQ_U(rng_u64(&r), 18144982300527743150ULL);
	rng_seed(&r, 7);
	r2 = r;
	for (int i = 0; i < 20; i++)
		rng_u32(&r);
	rng_advance(&r2, 20);
	CHECK_EQ_U(r.state, r2.state);
}

/*
 * rng_fill against the plain draws it stands for: the bytes of rng_u64
 * in memory order, the last one cut, and the generator left where the
 * draws leave it, for every length around the loops' steps, on each loop.
 */
static void
test_fill(enum rng_path path)
{
	uint8_t got[600], want[608];
	unsigned bad = 0;
	struct rng r, r2;

	rng_use(path);
	for (size_t n = 0; n <= 600; n++) {
		rng_seed(&r, 1000 + n);
		r2 = r;
		memset(got, 0, sizeof(got));
		rng_fill(&r, got, n);
		for (size_t i = 0; i < n; i += 8) {
			uint64_t x = rng_u64(&r2);

			memcpy(want + i, &x, 8);
		}
		if (memcmp(got, want, n) != 0 || r.state != r2.state ||
		    r.inc != r2.inc)
			bad++;
	}
	CHECK_EQ_U(bad, 0);
	/* Odd streams and states too, not only seeded ones. */
	rng_init(&r, UINT64_MAX, 0);
	r2 = r;
	rng_fill(&r, got, 200);
	for (size_t i = 0; i < 200; i += 8) {
		uint64_t x = rng_u64(&r2);

		CHECK(memcmp(got + i, &x, 8) == 0);
	}
	CHECK_EQ_U(r.state, r2.state);
	rng_use(RNG_AUTO);
}

/* rng_u01_pair is two rng_u01 calls, state included. */
static void
test_pair(void)
{
	unsigned bad = 0;
	struct rng r, r2;
	double a, b;

	rng_init(&r, 0xfedcba9876543210ULL, 0x0123456789abcdefULL);
	r2 = r;
	for (int i = 0; i < 10000; i++) {
		rng_u01_pair(&r, &a, &b);
		bad += a != rng_u01(&r2);
		bad += b != rng_u01(&r2);
		bad += r.state != r2.state;
		if (i % 7 == 0)
			rng_u32(&r);
		if (i % 7 == 0)
			rng_u32(&r2);
	}
	CHECK_EQ_U(bad, 0);
}

static void
test_moments(void)
{
	const int n = 400000;
	double sum = 0, sq = 0;
	struct rng r;

	rng_seed(&r, 1);
	for (int i = 0; i < n; i++) {
		double x = rng_normal(&r);
		sum += x;
		sq += x * x;
	}
	CHECK_NEAR(sum / n, 0.0, 0.01);
	CHECK_NEAR(sq / n, 1.0, 0.01);

	for (double lambda = 0.5; lambda < 200; lambda *= 3.7) {
		sum = sq = 0;
		for (int i = 0; i < n; i++) {
			double k = (double)rng_poisson(&r, lambda);
			sum += k;
			sq += k * k;
		}
		double mean = sum / n, var = sq / n - mean * mean;
		CHECK_NEAR(mean / lambda, 1.0, 0.01);
		CHECK_NEAR(var / lambda, 1.0, 0.03);
	}

	uint32_t hist[7] = { 0 };
	for (int i = 0; i < n; i++)
		hist[rng_below(&r, 7)]++;
	for (int i = 0; i < 7; i++)
		CHECK_NEAR(hist[i] / (double)n, 1.0 / 7, 0.003);
}

static void
test_dist(void)
{
	const double w[5] = { 1, 0, 3, 0.5, 5.5 };
	const int n = 1000000;
	uint32_t hist[5] = { 0 };
	struct dist d;
	struct rng r;

	CHECK_EQ_I(dist_init(&d, w, 5), 0);
	rng_seed(&r, 9);
	for (int i = 0; i < n; i++)
		hist[dist_sample(&d, &r)]++;
	CHECK_EQ_U(hist[1], 0);
	for (int i = 0; i < 5; i++)
		CHECK_NEAR(hist[i] / (double)n, w[i] / 10.0, 0.002);
	dist_free(&d);

	const double bad[2] = { 0, 0 };
	CHECK_EQ_I(dist_init(&d, bad, 2), -22);
	const double neg[2] = { 1, -1 };
	CHECK_EQ_I(dist_init(&d, neg, 2), -22);
}

int
main(void)
{
	test_vectors();
	/* Every loop, whichever the CPU would pick by itself. */
	test_fill(RNG_AUTO);
	test_fill(RNG_SCALAR);
	test_fill(RNG_AVX2);
	test_fill(RNG_AVX512);
	test_pair();
	test_moments();
	test_dist();
	return tap_done();
}
