/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 on top of libgcrypt, which uses the processor's SHA extensions
 * where there are some: profile files are hashed as they are read, so the
 * hash speed is part of the load time of every profile.
 *
 * libgcrypt must see gcry_check_version once before any other call.  The
 * profile loader hashes from several threads and the daemon reloads from
 * its control thread, so that first call is guarded by pthread_once.
 */
#include <gcrypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sha256.h"

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_setup(void)
{
	/* The header's version is the oldest library it may run with. */
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		fatalx("libgcrypt %s is older than %s",
		    gcry_check_version(NULL), GCRYPT_VERSION);
	/* Nothing secret is hashed here: no locked secure memory. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

static void
sha256_lib(void)
{
	if (pthread_once(&sha256_once, sha256_setup) != 0)
		abort();
}

void
sha256_init(struct sha256 *s)
{
	gcry_md_hd_t hd;

	sha256_lib();
	if (gcry_md_open(&hd, GCRY_MD_SHA256, 0) != 0)
		abort();
	s->hd = hd;
}

void
sha256_update(struct sha256 *s, const void *data, size_t len)
{
	gcry_md_write(s->hd, data, len);
}

void
sha256_final(struct sha256 *s, uint8_t out[32])
{
	gcry_md_final((gcry_md_hd_t)s->hd);
	memcpy(out, gcry_md_read(s->hd, GCRY_MD_SHA256), 32);
	gcry_md_close(s->hd);
	s->hd = NULL;
}

void
sha256_buf(const void *data, size_t len, uint8_t out[32])
{
	sha256_lib();
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
}

void
sha256_hex(const uint8_t digest[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}
