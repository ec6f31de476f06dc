/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_TZ_H
#define FOSR_TZ_H

#include <stdint.h>

#include "diag.h"

/*
 * Time zones by IANA name ("Europe/Paris", "UTC").  The zone is process
 * wide: set it once at start-up, before any thread starts.  Offsets follow
 * the zone's rules at each instant, daylight saving changes included.
 */

/*
 * Selects the zone; NULL keeps the machine's (TZ from the environment,
 * else /etc/localtime).  Unknown names fail, in TZ as well.
 */
int tz_set(const char *zone, struct diag *d);
/* Seconds east of UTC at Unix time t. */
int32_t tz_offset(int64_t t);
/* Seconds since local midnight at Unix time t (0..86399). */
uint32_t tz_sec_of_day(int64_t t);

#endif
