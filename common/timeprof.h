/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_TIMEPROF_H
#define FOSR_TIMEPROF_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* time_profile.json: flow counts per time-of-day bin, bin 0 at midnight. */
struct time_profile {
	uint64_t *hist;
	uint32_t nbins;
	double total;            /* sum of hist: flows in an average day */
	char *input_file;        /* metadata, for messages */
};

/* Parses the JSON text; fname is used in messages. */
int timeprof_parse(struct time_profile **out, const char *text, size_t len,
    const char *fname, struct diag *d);
void timeprof_free(struct time_profile *tp);

#endif
