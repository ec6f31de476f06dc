/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_SHA256_H
#define FOSR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 (FIPS 180-4), enough to fingerprint the files of a profile so
 * that a run can say exactly which models produced it.  Incremental: any
 * number of sha256_update calls between init and final.
 */
struct sha256 {
	uint32_t h[8];
	uint64_t nbytes;
	uint8_t buf[64];
	uint32_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest; s must be initialised again before reuse. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Writes the digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
