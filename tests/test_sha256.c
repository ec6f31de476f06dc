/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SHA-256 against the FIPS 180-4 example messages, split every way. */
#include "sha256.h"
#include "tap.h"

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

int
main(void)
{
	static char million[1000000];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnop"
	    "nopq";
	size_t steps[] = { 1, 3, 55, 56, 63, 64, 65, 1000000 };
	char hex[65];
	size_t i;

	digest("", 0, 1, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
	    "1b7852b855");
	digest("abc", 3, 1, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
	    "61f20015ad");
	digest(two, strlen(two), 64, hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd"
	    "419db06c1");
	memset(million, 'a', sizeof(million));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		digest(million, sizeof(million), steps[i], hex);
		CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a49720"
		    "0e046d39ccc7112cd0");
	}
	return tap_done();
}
