/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_RNG_H
#define FOSR_RNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * PCG32 (XSH-RR, 64-bit state).  One generator per flow and per stage,
 * seeded from a 64-bit value drawn by the stage before, so that every
 * flow can be rebuilt on its own whatever the thread that handles it.
 * Not thread-safe: each thread owns its generators.
 */
struct rng {
	uint64_t state;
	uint64_t inc;
};

/* Seeds from a 64-bit value (the rand_core seed_from_u64 expansion). */
void rng_seed(struct rng *r, uint64_t seed);
/* Seeds from an explicit state and stream. */
void rng_init(struct rng *r, uint64_t state, uint64_t stream);

/*
 * The draws every sampler is made of are inline: the walks and samplers
 * of the stages call them millions of times in short loops.
 */
#define RNG_MULT 6364136223846793005ULL

/* The output permutation (XSH-RR) of one state. */
static inline uint32_t
rng_output(uint64_t s)
{
	uint32_t x = (uint32_t)(((s >> 18) ^ s) >> 27);
	unsigned rot = (unsigned)(s >> 59);

	return (x >> rot) | (x << ((32 - rot) & 31));
}

static inline uint32_t
rng_u32(struct rng *r)
{
	uint64_t old = r->state;

	r->state = old * RNG_MULT + r->inc;
	return rng_output(old);
}

/* Low word first, then high word. */
static inline uint64_t
rng_u64(struct rng *r)
{
	uint64_t lo = rng_u32(r);

	return lo | (uint64_t)rng_u32(r) << 32;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double
rng_u01(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/*
 * Two rng_u01 draws, as two calls in a row would make them.  The four
 * states they use are computed from the first one side by side (state
 * k is state 0 times RNG_MULT^k plus inc times the sum of the lower
 * powers), not one after the other: samplers that draw pairs, like the
 * polar method, do not wait on a chain of four multiplications.
 */
static inline void
rng_u01_pair(struct rng *r, double *a, double *b)
{
	const uint64_t m2 = RNG_MULT * RNG_MULT, m3 = m2 * RNG_MULT;
	uint64_t s0 = r->state, inc = r->inc;
	uint64_t s1 = s0 * RNG_MULT + inc;
	uint64_t s2 = s0 * m2 + inc * (RNG_MULT + 1);
	uint64_t s3 = s0 * m3 + inc * (m2 + RNG_MULT + 1);
	uint64_t x = rng_output(s0) | (uint64_t)rng_output(s1) << 32;
	uint64_t y = rng_output(s2) | (uint64_t)rng_output(s3) << 32;

	r->state = s0 * (m3 * RNG_MULT) + inc * (m3 + m2 + RNG_MULT + 1);
	*a = (double)(x >> 11) * 0x1.0p-53;
	*b = (double)(y >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1). */
double rng_open01(struct rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
uint64_t rng_below64(struct rng *r, uint64_t n);
/* Standard normal variate. */
double rng_normal(struct rng *r);
/* Exponential variate with mean 1. */
double rng_exp(struct rng *r);
/* Poisson variate with mean lambda >= 0. */
uint64_t rng_poisson(struct rng *r, double lambda);
/* Fills n bytes: the bytes of rng_u64 draws in memory order. */
void rng_fill(struct rng *r, void *buf, size_t n);
/*
 * Which vector loop rng_fill takes.  RNG_AUTO (the default) picks the
 * widest the CPU has; the others exist so that tests check each loop
 * (a loop the CPU lacks falls back to the next narrower one).  Every
 * loop gives the same bytes.
 */
enum rng_path {
	RNG_AUTO = 0,
	RNG_SCALAR,
	RNG_AVX2,
	RNG_AVX512,
};
void rng_use(enum rng_path path);
/* Jumps ahead by n steps (n calls of rng_u32). */
void rng_advance(struct rng *r, uint64_t n);

/* Mixes a 64-bit value into a well-spread one (splitmix64 finaliser). */
uint64_t rng_mix64(uint64_t x);

#endif
