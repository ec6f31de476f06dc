/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Random numbers: PCG32 and the few distributions the stages need.  The
 * normal and Poisson samplers are exact in distribution (polar method;
 * Hoermann's transformed rejection for large means); they do not try to
 * reproduce another program's bit stream.
 */
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

/*
 * The four words come from four steps of a PCG32 with a fixed stream;
 * every flow of every stage is seeded, so the four states are computed
 * from the seed side by side (as in rng_u01_pair) rather than in a chain.
 */
void
rng_seed(struct rng *r, uint64_t seed)
{
	const uint64_t m2 = RNG_MULT * RNG_MULT, m3 = m2 * RNG_MULT;
	const uint64_t c = RNG_SEED_INC;
	uint64_t s0 = seed * RNG_MULT + c;
	uint64_t s1 = seed * m2 + c * (RNG_MULT + 1);
	uint64_t s2 = seed * m3 + c * (m2 + RNG_MULT + 1);
	uint64_t s3 = seed * (m3 * RNG_MULT) + c * (m3 + m2 + RNG_MULT + 1);

	rng_start(r, rng_output(s0) | (uint64_t)rng_output(s1) << 32,
	    rng_output(s2) | (uint64_t)rng_output(s3) << 32);
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

#if defined(__x86_64__) && defined(__GNUC__)
/*
 * With AVX2, eight states in two vectors, 32 bytes per step: each lane
 * moves on by RNG_MULT^8 (a 64-bit product out of three 32-bit ones, as
 * AVX2 has no 64-bit multiply) and the output's rotation is a pair of
 * variable shifts.  Same states, same order, same bytes as rng_u64.
 * Used when the processor says it has AVX2; returns the bytes written.
 */
#define RNG_MULT8 (RNG_MULT4 * RNG_MULT4)
#define RNG_SUM8 (RNG_SUM4 * (RNG_MULT4 + 1))
#define RNG_HAVE_AVX2 1

__attribute__((target("avx2"))) static inline __m256i
rng_out_avx2(__m256i s)
{
	__m256i x = _mm256_srli_epi64(_mm256_xor_si256(_mm256_srli_epi64(s,
	    18), s), 27);
	__m256i rot = _mm256_srli_epi64(s, 59);
	__m256i left = _mm256_and_si256(_mm256_sub_epi32(
	    _mm256_set1_epi64x(32), rot), _mm256_set1_epi64x(31));

	/* The low 32 bits of each lane hold the output. */
	return _mm256_or_si256(_mm256_srlv_epi32(x, rot),
	    _mm256_sllv_epi32(x, left));
}

__attribute__((target("avx2"))) static inline __m256i
rng_step_avx2(__m256i s, __m256i mlo, __m256i mhi, __m256i add)
{
	__m256i lo = _mm256_mul_epu32(s, mlo);
	__m256i mid = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(s,
	    32), mlo), _mm256_mul_epu32(s, mhi));

	return _mm256_add_epi64(_mm256_add_epi64(lo, _mm256_slli_epi64(mid,
	    32)), add);
}

__attribute__((target("avx2"))) static size_t
rng_fill_avx2(struct rng *r, uint8_t *p, size_t n)
{
	const __m256i mlo = _mm256_set1_epi64x((long long)(RNG_MULT8 &
	    0xffffffffu));
	const __m256i mhi = _mm256_set1_epi64x((long long)(RNG_MULT8 >> 32));
	const __m256i add = _mm256_set1_epi64x((long long)(r->inc *
	    RNG_SUM8));
	const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
	uint64_t st[8];
	__m256i a, b, oa, ob;
	size_t done;

	st[0] = r->state;
	for (int i = 1; i < 8; i++)
		st[i] = st[i - 1] * RNG_MULT + r->inc;
	a = _mm256_loadu_si256((const __m256i *)st);
	b = _mm256_loadu_si256((const __m256i *)(st + 4));
	for (done = 0; n - done >= 32; done += 32) {
		oa = _mm256_permutevar8x32_epi32(rng_out_avx2(a), pick);
		ob = _mm256_permutevar8x32_epi32(rng_out_avx2(b), pick);
		_mm256_storeu_si256((__m256i *)(p + done),
		    _mm256_permute2x128_si256(oa, ob, 0x20));
		a = rng_step_avx2(a, mlo, mhi, add);
		b = rng_step_avx2(b, mlo, mhi, add);
	}
	_mm256_storeu_si256((__m256i *)st, a);
	r->state = st[0];
	return done;
}

/*
 * With AVX-512 (F and DQ), a lane's step is one 64-bit multiply and the
 * output's rotation one instruction, and the eight outputs of a vector
 * are packed by truncating each lane to its low half.  Two vectors of
 * eight states each, 64 bytes per step, so that the two multiply chains
 * overlap.  Same states, same order, same bytes as rng_u64.
 */
#define RNG_MULT16 (RNG_MULT8 * RNG_MULT8)
#define RNG_SUM16 (RNG_SUM8 * (RNG_MULT8 + 1))

__attribute__((target("avx512f,avx512dq"))) static inline __m256i
rng_out_avx512(__m512i s)
{
	__m512i x = _mm512_srli_epi64(_mm512_xor_si512(_mm512_srli_epi64(s,
	    18), s), 27);

	/*
	 * The rotation count s >> 59 sits in the low half of each lane and
	 * 0 in the high half, which the truncation drops anyway.
	 */
	return _mm512_cvtepi64_epi32(_mm512_rorv_epi32(x,
	    _mm512_srli_epi64(s, 59)));
}

__attribute__((target("avx512f,avx512dq"))) static size_t
rng_fill_avx512(struct rng *r, uint8_t *p, size_t n)
{
	const __m512i mult = _mm512_set1_epi64((long long)RNG_MULT16);
	const __m512i add = _mm512_set1_epi64((long long)(r->inc *
	    RNG_SUM16));
	uint64_t st[16];
	__m512i a, b;
	size_t done;

	st[0] = r->state;
	for (int i = 1; i < 16; i++)
		st[i] = st[i - 1] * RNG_MULT + r->inc;
	a = _mm512_loadu_si512(st);
	b = _mm512_loadu_si512(st + 8);
	for (done = 0; n - done >= 64; done += 64) {
		_mm256_storeu_si256((__m256i *)(p + done), rng_out_avx512(a));
		_mm256_storeu_si256((__m256i *)(p + done + 32),
		    rng_out_avx512(b));
		a = _mm512_add_epi64(_mm512_mullo_epi64(a, mult), add);
		b = _mm512_add_epi64(_mm512_mullo_epi64(b, mult), add);
	}
	_mm512_storeu_si512(st, a);
	r->state = st[0];
	return done;
}
#endif

static enum rng_path rng_path = RNG_AUTO;

void
rng_use(enum rng_path path)
{
	rng_path = path;
}

void
rng_fill(struct rng *r, void *buf, size_t n)
{
	uint8_t *p = buf;

#ifdef RNG_HAVE_AVX2
	if (rng_path == RNG_SCALAR) {
		/* the plain loops below */
	} else if (n >= 64 && rng_path != RNG_AVX2 &&
	    __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512dq")) {
		size_t k = rng_fill_avx512(r, p, n);

		p += k;
		n -= k;
	} else if (n >= 64 && __builtin_cpu_supports("avx2")) {
		size_t k = rng_fill_avx2(r, p, n);

		p += k;
		n -= k;
	}
#endif
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
