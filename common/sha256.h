/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_SHA256_H
#define FOSR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 through libgcrypt, enough to fingerprint the files of a profile
 * so that a run can say exactly which models produced it.  Every function
 * may be called from any thread; the library is set up on first use.
 */

/* An incremental hash: any number of sha256_update between the two ends. */
struct sha256 {
	void *hd;                /* libgcrypt handle, opaque here */
};

/* Starts a hash; aborts only when out of memory. */
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest and releases s; init it again to reuse it. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* The digest of one buffer, without the set-up of an incremental hash. */
void sha256_buf(const void *data, size_t len, uint8_t out[32]);
/* Writes the digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[32], char out[65]);

#endif
