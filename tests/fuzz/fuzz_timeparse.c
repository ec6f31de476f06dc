/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the duration and start-time parsers on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A zone with a daylight-saving jump, to reach every wall-time path. */
static int32_t
fuzz_offset(int64_t t)
{
	return (t / 86400) % 200 < 100 ? 3600 : 7200;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d;
	uint64_t v;
	char *s;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	timeparse_duration(s, &v, &d);
	timeparse_start(s, fuzz_offset, &v, &d);
	free(s);
	return 0;
}
