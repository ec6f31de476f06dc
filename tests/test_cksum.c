/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Internet checksum against a reference that follows RFC 1071 to the
 * letter, byte by byte: big-endian 16-bit words, an odd last byte padded
 * with zero, end-around carries.  Every length up to 2000 at every
 * alignment, so that both the wide loops and the tails are covered, plus
 * sums built from pieces, verification and worst-case carries.  The
 * sums run once per loop the code can pick (scalar, SSE2, AVX2).
 */
#include <string.h>

#include "cksum.h"
#include "rng.h"
#include "tap.h"

#define MAXLEN 2000

/* The checksum of len bytes as RFC 1071 computes it (host order). */
static uint16_t
ref_cksum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* What cksum() stores, read back as the network-order field. */
static uint16_t
stored(uint16_t c)
{
	uint8_t b[2];

	memcpy(b, &c, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Every length and alignment over one buffer; the number of mismatches. */
static unsigned
sweep(const uint8_t *buf)
{
	unsigned bad = 0;

	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= MAXLEN; len++) {
			uint16_t want = ref_cksum(buf + off, len);
			uint16_t got = stored(cksum(buf + off, len));

			if (want == got)
				continue;
			if (bad++ == 0)
				fprintf(stderr, "len %zu at +%zu: %04x != "
				    "%04x\n", len, off, got, want);
		}
	return bad;
}

static void
test_sweep(void)
{
	static uint8_t buf[MAXLEN + 8];
	struct rng r;

	rng_seed(&r, 1071);
	rng_fill(&r, buf, sizeof(buf));
	CHECK_EQ_U(sweep(buf), 0);
	/* All ones: the most carries. */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ_U(sweep(buf), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_U(sweep(buf), 0);
	CHECK_EQ_U(stored(cksum(buf, 40)), 0xffff);
	/* Sparse high bytes and a few zero runs. */
	rng_fill(&r, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 3 == 0 || buf[i] < 64) ? 0 : buf[i] | 0x80;
	CHECK_EQ_U(sweep(buf), 0);
}

/* A sum built from even pieces equals the sum of the whole. */
static void
test_pieces(void)
{
	static uint8_t buf[MAXLEN];
	unsigned bad = 0;
	struct rng r;

	rng_seed(&r, 1624);
	rng_fill(&r, buf, sizeof(buf));
	for (size_t cut = 0; cut <= 1600; cut += 2)
		for (size_t len = cut; len <= cut + 300; len += 7) {
			uint64_t s = cksum_add(cksum_add(0, buf, cut),
			    buf + cut, len - cut);

			bad += cksum_fold(s) != cksum(buf, len);
		}
	CHECK_EQ_U(bad, 0);
}

/*
 * cksum_copy copies exactly len bytes, at any alignment of either side,
 * and sums them as cksum_add does.
 */
static void
test_copy(void)
{
	static uint8_t src[MAXLEN + 8], dst[MAXLEN + 24], want[MAXLEN + 24];
	unsigned bad = 0;
	struct rng r;

	rng_seed(&r, 1141);
	rng_fill(&r, src, sizeof(src));
	for (size_t so = 0; so < 8; so += 3)
		for (size_t dof = 0; dof < 8; dof++)
			for (size_t n = 0; n <= MAXLEN; n += 1 + n / 64) {
				uint64_t s;

				memset(dst, 0xa5, sizeof(dst));
				memset(want, 0xa5, sizeof(want));
				memcpy(want + 8 + dof, src + so, n);
				s = cksum_copy(7, dst + 8 + dof, src + so, n);
				bad += memcmp(dst, want, sizeof(dst)) != 0;
				bad += cksum_fold(s) !=
				    cksum_fold(cksum_add(7, src + so, n));
			}
	CHECK_EQ_U(bad, 0);
}

/* A buffer that carries its checksum verifies; a changed byte does not. */
static void
test_ok(void)
{
	static uint8_t buf[1514];
	uint16_t c;
	struct rng r;

	rng_seed(&r, 793);
	for (size_t len = 2; len <= sizeof(buf); len += 97) {
		rng_fill(&r, buf, len);
		buf[0] = buf[1] = 0;
		c = cksum(buf, len);
		memcpy(buf, &c, 2);
		CHECK(cksum_ok(buf, len, 0));
		buf[len / 2] ^= 0x10;
		CHECK(!cksum_ok(buf, len, 0));
	}
}

/* The pseudo-header of TCP and UDP, against the reference. */
static void
test_pseudo(void)
{
	static const uint8_t ip[20] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6,
		0, 0, 192, 168, 1, 10, 10, 0, 0, 1 };
	uint8_t seg[20], all[32];
	uint16_t c;

	for (int i = 0; i < 20; i++)
		seg[i] = (uint8_t)(i * 37 + 11);
	memcpy(all, ip + 12, 8);
	all[8] = 0;
	all[9] = 6;
	all[10] = 0;
	all[11] = 20;
	memcpy(all + 12, seg, 20);
	c = cksum_fold(cksum_add(cksum_pseudo4(ip, 6, 20), seg, 20));
	CHECK_EQ_U(stored(c), ref_cksum(all, 32));
}

/* An IPv4 header fixed in place verifies as RFC 1071 says. */
static void
test_ipv4(void)
{
	uint8_t ip[20] = { 0x45, 0, 0x05, 0xdc, 0x12, 0x34, 0x40, 0, 64, 6,
		0xaa, 0xbb, 10, 1, 2, 3, 10, 4, 5, 6 };
	uint8_t zero[20];

	cksum_ipv4_fix(ip);
	memcpy(zero, ip, 20);
	zero[10] = zero[11] = 0;
	CHECK_EQ_U((uint32_t)ip[10] << 8 | ip[11], ref_cksum(zero, 20));
	CHECK_EQ_U(ref_cksum(ip, 20), 0);
}

/* Random headers of every IHL, with and without options. */
static void
test_ipv4_random(void)
{
	uint8_t ip[60], zero[60];
	unsigned bad = 0;
	struct rng r;

	rng_seed(&r, 791);
	for (int i = 0; i < 2000; i++) {
		size_t hlen;

		rng_fill(&r, ip, sizeof(ip));
		ip[0] = (uint8_t)(0x45 + i % 11);
		hlen = (size_t)(ip[0] & 0x0f) * 4;
		cksum_ipv4_fix(ip);
		memcpy(zero, ip, hlen);
		zero[10] = zero[11] = 0;
		bad += ((uint32_t)ip[10] << 8 | ip[11]) !=
		    ref_cksum(zero, hlen);
		bad += ref_cksum(ip, hlen) != 0;
	}
	CHECK_EQ_U(bad, 0);
}

int
main(void)
{
	static const enum cksum_path path[] = { CKSUM_SCALAR, CKSUM_SSE2,
		CKSUM_AVX2, CKSUM_AUTO };

	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		cksum_use(path[i]);
		test_sweep();
		test_pieces();
		test_copy();
	}
	test_ok();
	test_pseudo();
	test_ipv4();
	test_ipv4_random();
	return tap_done();
}
