/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: time_profile.json parsing. */
#include <stddef.h>
#include <stdint.h>

#include "timeprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct time_profile *tp = NULL;
	struct diag d;

	if (timeprof_parse(&tp, (const char *)data, size, "fuzz.json",
	    &d) == 0) {
		/* A profile that loads must be usable by S0. */
		if (tp->nbins == 0 || !(tp->total > 0))
			__builtin_trap();
	}
	timeprof_free(tp);
	return 0;
}
