/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for the whole network loader: the input is cut at NUL
 * bytes into the three BIF files and the additional data, so the merge,
 * the label decoding, the JSON reader and the sampler's tables all see
 * hostile input.  A network that loads must also sample.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn_int.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text[4] = { "", "", "", "" };
	size_t len[4] = { 0, 0, 0, 0 }, off = 0;
	uint32_t vals[BN_MAX_NODES];
	struct bn *bn = NULL;
	struct diag d;
	struct rng r;

	for (int f = 0; f < 4 && off <= size; f++) {
		const uint8_t *end = memchr(data + off, '\0', size - off);
		size_t n = end != NULL ? (size_t)(end - data) - off :
		    size - off;

		text[f] = (const char *)data + off;
		len[f] = n;
		off += n + 1;
	}
	if (bn_load_texts(&bn, text, len, &d) != 0)
		return 0;
	rng_seed(&r, size);
	for (uint32_t i = 0; i < 16; i++)
		(void)bn_sample(bn, &r, i * 5400, vals);
	bn_free(bn);
	return 0;
}
