/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_CKSUM_H
#define FOSR_CKSUM_H

/*
 * The Internet checksum (RFC 1071) for IPv4 headers, TCP, UDP and ICMP.
 * Sums are kept in the byte order of memory, so a finished checksum is
 * stored with memcpy as it comes, and a header that carries a correct
 * checksum sums to 0xffff.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes to a running sum.  Pieces summed one after another must
 * all have an even length except the last.
 */
uint64_t cksum_add(uint64_t sum, const void *buf, size_t len);
/*
 * Copies len bytes from src to dst (which must not overlap) and adds
 * them to a running sum, as memcpy then cksum_add would.
 */
uint64_t cksum_copy(uint64_t sum, void *dst, const void *src, size_t len);
/*
 * Which wide loop long buffers take.  CKSUM_AUTO (the default) picks the
 * widest the CPU has; the others exist so that tests check each loop
 * (CKSUM_AVX2 still needs a CPU that has it, else it is SSE2).
 */
enum cksum_path {
	CKSUM_AUTO = 0,
	CKSUM_SCALAR,
	CKSUM_SSE2,
	CKSUM_AVX2,
};
void cksum_use(enum cksum_path path);
/* Folds a running sum and complements it: the value to store. */
uint16_t cksum_fold(uint64_t sum);
/* The checksum of one buffer, ready to store. */
uint16_t cksum(const void *buf, size_t len);
/*
 * The IPv4 pseudo-header of TCP and UDP: addresses taken from the IPv4
 * header ip, the protocol and the length of the segment.
 */
uint64_t cksum_pseudo4(const uint8_t *ip, uint8_t proto, uint16_t len);
/* Whether a buffer that includes its checksum field verifies. */
bool cksum_ok(const void *buf, size_t len, uint64_t sum);
/* Recomputes the checksum of an IPv4 header in place (IHL from byte 0). */
void cksum_ipv4_fix(uint8_t *ip);

#endif
