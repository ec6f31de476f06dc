/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internet checksum.  The one's-complement sum does not depend on the
 * byte order it is computed in, as long as the result is stored in the
 * same order, so the data are read in native order, 32 bits at a time,
 * into a 64-bit accumulator that cannot overflow for any frame size; the
 * carries are folded once at the end.  Where SSE2 is there (every x86-64)
 * the words of a long buffer go into four vector accumulators of two
 * 64-bit lanes, which sums the very same 32-bit words: the result is the
 * plain loop's to the bit, in half the time or less on a full segment.
 * Where the CPU also has AVX2, buffers of 128 bytes or more take the same
 * loop with lanes twice as wide first.
 */
#include <arpa/inet.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#include <immintrin.h>
#endif

#include "cksum.h"

static enum cksum_path cksum_path = CKSUM_AUTO;

#ifdef __SSE2__
/* Whether long buffers may take the AVX2 loop: the CPU says at run time. */
static inline bool
cksum_avx2(void)
{
	return (cksum_path == CKSUM_AUTO || cksum_path == CKSUM_AVX2) &&
	    __builtin_cpu_supports("avx2");
}

static inline bool
cksum_sse2(void)
{
	return cksum_path != CKSUM_SCALAR;
}

/*
 * The 32-bit words of the first len / 32 * 32 bytes, added to sum, and
 * stored at d as they are read when d is not NULL.  Inlined into each
 * caller, where d is a constant, so the test costs nothing.
 */
static inline __attribute__((always_inline)) uint64_t
cksum_run_sse2(uint64_t sum, uint8_t *d, const uint8_t *p, size_t len)
{
	__m128i z = _mm_setzero_si128(), a0 = z, a1 = z, a2 = z, a3 = z;
	uint64_t lane[2];

	for (; len >= 32; p += 32, len -= 32) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i u = _mm_loadu_si128((const __m128i *)(p + 16));

		if (d != NULL) {
			_mm_storeu_si128((__m128i *)d, v);
			_mm_storeu_si128((__m128i *)(d + 16), u);
			d += 32;
		}
		/* Each 32-bit word widened to a 64-bit lane. */
		a0 = _mm_add_epi64(a0, _mm_unpacklo_epi32(v, z));
		a1 = _mm_add_epi64(a1, _mm_unpackhi_epi32(v, z));
		a2 = _mm_add_epi64(a2, _mm_unpacklo_epi32(u, z));
		a3 = _mm_add_epi64(a3, _mm_unpackhi_epi32(u, z));
	}
	a0 = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
	_mm_storeu_si128((__m128i *)lane, a0);
	return sum + lane[0] + lane[1];
}

static uint64_t
cksum_add_sse2(uint64_t sum, const uint8_t *p, size_t len)
{
	return cksum_run_sse2(sum, NULL, p, len);
}

static uint64_t
cksum_copy_sse2(uint64_t sum, uint8_t *d, const uint8_t *p, size_t len)
{
	return cksum_run_sse2(sum, d, p, len);
}

/*
 * cksum_run_sse2 with 256-bit vectors, on the first len / 64 * 64 bytes:
 * the same words in the same 64-bit sums, eight at a time.  Called only
 * where the CPU has AVX2 (checked at run time: the build targets plain
 * x86-64).
 */
__attribute__((target("avx2"))) static inline
__attribute__((always_inline)) uint64_t
cksum_run_avx2(uint64_t sum, uint8_t *d, const uint8_t *p, size_t len)
{
	__m256i z = _mm256_setzero_si256(), a0 = z, a1 = z, a2 = z, a3 = z;
	uint64_t lane[4];

	for (; len >= 64; p += 64, len -= 64) {
		__m256i v = _mm256_loadu_si256((const __m256i *)p);
		__m256i u = _mm256_loadu_si256((const __m256i *)(p + 32));

		if (d != NULL) {
			_mm256_storeu_si256((__m256i *)d, v);
			_mm256_storeu_si256((__m256i *)(d + 32), u);
			d += 64;
		}
		a0 = _mm256_add_epi64(a0, _mm256_unpacklo_epi32(v, z));
		a1 = _mm256_add_epi64(a1, _mm256_unpackhi_epi32(v, z));
		a2 = _mm256_add_epi64(a2, _mm256_unpacklo_epi32(u, z));
		a3 = _mm256_add_epi64(a3, _mm256_unpackhi_epi32(u, z));
	}
	a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1),
	    _mm256_add_epi64(a2, a3));
	_mm256_storeu_si256((__m256i *)lane, a0);
	return sum + lane[0] + lane[1] + lane[2] + lane[3];
}

__attribute__((target("avx2"))) static uint64_t
cksum_add_avx2(uint64_t sum, const uint8_t *p, size_t len)
{
	return cksum_run_avx2(sum, NULL, p, len);
}

__attribute__((target("avx2"))) static uint64_t
cksum_copy_avx2(uint64_t sum, uint8_t *d, const uint8_t *p, size_t len)
{
	return cksum_run_avx2(sum, d, p, len);
}

#endif

void
cksum_use(enum cksum_path path)
{
	cksum_path = path;
}

uint64_t
cksum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t w;
	uint16_t h;

#ifdef __SSE2__
	if (len >= 128 && cksum_avx2()) {
		sum = cksum_add_avx2(sum, p, len);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len >= 64 && cksum_sse2()) {
		sum = cksum_add_sse2(sum, p, len);
		p += len & ~(size_t)31;
		len &= 31;
	}
#endif
	while (len >= 16) {
		uint32_t a, b, c, d;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		sum += (uint64_t)a + b + c + d;
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* The missing byte counts as zero at the next address. */
		uint8_t pad[2] = { p[0], 0 };

		memcpy(&h, pad, 2);
		sum += h;
	}
	return sum;
}

/*
 * One pass instead of two over a payload that is copied into a frame
 * anyway: the bytes are summed from the registers they are moved with.
 */
uint64_t
cksum_copy(uint64_t sum, void *dst, const void *src, size_t len)
{
	uint8_t *d = dst;
	const uint8_t *p = src;

#ifdef __SSE2__
	if (len >= 128 && cksum_avx2()) {
		size_t done = len & ~(size_t)63;

		sum = cksum_copy_avx2(sum, d, p, len);
		d += done;
		p += done;
		len -= done;
	}
	if (len >= 64 && cksum_sse2()) {
		size_t done = len & ~(size_t)31;

		sum = cksum_copy_sse2(sum, d, p, len);
		d += done;
		p += done;
		len -= done;
	}
#endif
	/*
	 * The tail is summed from the source: a short memcpy stores in
	 * overlapping pieces, and loads of what they just wrote cannot be
	 * forwarded from them and wait until they reach the cache.
	 */
	sum = cksum_add(sum, p, len);
	memcpy(d, p, len);
	return sum;
}

static uint16_t
cksum_reduce(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
cksum_fold(uint64_t sum)
{
	return (uint16_t)~cksum_reduce(sum);
}

uint16_t
cksum(const void *buf, size_t len)
{
	return cksum_fold(cksum_add(0, buf, len));
}

uint64_t
cksum_pseudo4(const uint8_t *ip, uint8_t proto, uint16_t len)
{
	uint32_t a[2];
	uint64_t sum;

	/* The two addresses: the words cksum_add would sum. */
	memcpy(a, ip + 12, 8);
	sum = (uint64_t)a[0] + a[1];

	sum += htons(proto);
	sum += htons(len);
	return sum;
}

bool
cksum_ok(const void *buf, size_t len, uint64_t sum)
{
	return cksum_reduce(cksum_add(sum, buf, len)) == 0xffff;
}

void
cksum_ipv4_fix(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	uint16_t c;

	ip[10] = 0;
	ip[11] = 0;
	if (hlen == 20) {
		/* Every header S3 writes: five words, no loop. */
		uint32_t w[5];

		memcpy(w, ip, 20);
		c = cksum_fold((uint64_t)w[0] + w[1] + w[2] + w[3] + w[4]);
	} else {
		c = cksum(ip, hlen);
	}
	memcpy(ip + 10, &c, 2);
}
