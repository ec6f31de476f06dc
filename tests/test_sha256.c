/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 against the example messages of FIPS 180, incremental split
 * every way and in one call, and from several threads at once (the first
 * use sets the library up).
 */
#include <pthread.h>

#include "sha256.h"
#include "tap.h"

#define MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39" \
	"ccc7112cd0"

static char million[1000000];

static void
digest(const void *p, size_t len, size_t step, char hex[65])
{
	struct sha256 s;
	uint8_t out[32];
	size_t off, n;

	sha256_init(&s);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		sha256_update(&s, (const char *)p + off, n);
	}
	sha256_final(&s, out);
	sha256_hex(out, hex);
}

static void
digest_buf(const void *p, size_t len, char hex[65])
{
	uint8_t out[32];

	sha256_buf(p, len, out);
	sha256_hex(out, hex);
}

static void *
hash_million(void *arg)
{
	char *hex = arg;

	digest_buf(million, sizeof(million), hex);
	return NULL;
}

int
main(void)
{
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnop"
	    "nopq";
	size_t steps[] = { 1, 3, 55, 56, 63, 64, 65, 1000000 };
	pthread_t th[4];
	char hex[65], thex[4][65];
	size_t i;

	/* Threads first, so that one of them sets libgcrypt up. */
	memset(million, 'a', sizeof(million));
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, hash_million, thex[i]) == 0);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_STR(thex[i], MILLION_A);
	}

	digest("", 0, 1, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
	    "1b7852b855");
	digest_buf("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
	    "1b7852b855");
	digest("abc", 3, 1, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
	    "61f20015ad");
	digest_buf("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
	    "61f20015ad");
	digest(two, strlen(two), 64, hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd"
	    "419db06c1");
	digest_buf(two, strlen(two), hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd"
	    "419db06c1");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		digest(million, sizeof(million), steps[i], hex);
		CHECK_STR(hex, MILLION_A);
	}
	return tap_done();
}
