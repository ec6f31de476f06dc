/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_TIMEPARSE_H
#define FOSR_TIMEPARSE_H

#include <stdint.h>

#include "diag.h"

/*
 * Durations and start instants as users type them on the command line or
 * in a configuration file.  Both keep fractions down to the nanosecond.
 */

/*
 * Parses a duration made of <number><unit> items, blanks allowed between
 * items and between number and unit: "15days 30min 5s", "1h30m", "1.5h".
 * Units: ns, us, ms, s, min/m, h, d, w, months/M (30.44 days), y (365.25
 * days) and their long forms; "0" alone is zero.  Case matters: M is a
 * month, m a minute.  -EINVAL with d saying what is wrong, -ERANGE if
 * the result does not fit in 64 bits of nanoseconds.
 */
int timeparse_duration(const char *s, uint64_t *ns, struct diag *d);

/* UTC offset in seconds east at a Unix time (tz_offset fits). */
typedef int32_t (*timeparse_offset_fn)(int64_t t);

/*
 * Parses a start instant into nanoseconds since the epoch:
 * - Unix seconds, with an optional fraction ("1733300000.25");
 * - RFC 3339 "YYYY-MM-DD[T ]HH:MM:SS[.frac]" with "Z" or "+hh:mm"/"-hh:mm",
 *   taken as written;
 * - the same without an offset: a wall-clock time in the zone whose
 *   offsets local_offset gives.  A wall time that the zone skips (spring
 *   forward) is read with the offset in force just before the gap; one
 *   that occurs twice is its first occurrence.
 * The instant must not be before 1970.
 */
int timeparse_start(const char *s, timeparse_offset_fn local_offset,
    uint64_t *ns, struct diag *d);

/* Days since 1970-01-01 of a proleptic Gregorian date (for tests, too). */
int64_t timeparse_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The current wall-clock time, in nanoseconds since the epoch. */
uint64_t timeparse_now_ns(void);

#endif
