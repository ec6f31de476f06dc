/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Zone names are checked before use; offsets follow daylight saving. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "tz.h"
#include "tap.h"

static void
check_bad(const char *zone, const char *want)
{
	struct diag d = { "" };

	CHECK(tz_set(zone, &d) < 0);
	CHECK_STR(d.msg, want);
	/* A refused name leaves the zone that was in force. */
	CHECK_STR(getenv("TZ"), "Asia/Tokyo");
	CHECK_EQ_I(tz_offset(0), 32400);
}

/* The per-thread cache must agree with the C library at every instant. */
static void
sweep(const char *zone, int64_t from, int64_t to, int64_t step)
{
	struct diag d = { "" };
	uint64_t bad = 0, n = 0;

	CHECK_EQ_I(tz_set(zone, &d), 0);
	for (int64_t t = from; t < to; t += step, n++) {
		time_t tt = (time_t)t;
		struct tm tm;
		uint32_t want;

		localtime_r(&tt, &tm);
		want = (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 +
		    tm.tm_sec);
		if (tz_offset(t) != tm.tm_gmtoff || tz_sec_of_day(t) != want) {
			if (bad++ == 0)
				fprintf(stderr, "%s: %lld: %d/%u, want "
				    "%ld/%u\n", zone, (long long)t,
				    tz_offset(t), tz_sec_of_day(t),
				    tm.tm_gmtoff, want);
		}
	}
	CHECK_EQ_U(bad, 0);
	CHECK(n > 1000);
}

int
main(void)
{
	struct diag d = { "" };

	CHECK_EQ_I(tz_set("UTC", &d), 0);
	CHECK_EQ_I(tz_offset(1773100800), 0);
	CHECK_EQ_U(tz_sec_of_day(1773100800 + 3723), 3723);

	CHECK_EQ_I(tz_set("Europe/Paris", &d), 0);
	/* 2026-01-15 12:00 UTC is winter time, 2026-07-15 12:00 summer. */
	CHECK_EQ_I(tz_offset(1768478400), 3600);
	CHECK_EQ_I(tz_offset(1784116800), 7200);
	CHECK_EQ_U(tz_sec_of_day(1768478400), 13 * 3600);
	CHECK_EQ_U(tz_sec_of_day(1784116800), 14 * 3600);
	/* The spring change of 2026-03-29 happens at 01:00 UTC sharp. */
	CHECK_EQ_I(tz_offset(1774746000 - 1), 3600);
	CHECK_EQ_I(tz_offset(1774746000), 7200);
	CHECK_EQ_U(tz_sec_of_day(1774746000 - 1), 2 * 3600 - 1);
	CHECK_EQ_U(tz_sec_of_day(1774746000), 3 * 3600);
	/* Before the epoch and across a local midnight. */
	CHECK_EQ_U(tz_sec_of_day(-1), 3599);

	CHECK_EQ_I(tz_set("Asia/Tokyo", &d), 0);
	CHECK_EQ_I(tz_offset(0), 32400);
	CHECK_EQ_U(tz_sec_of_day(15 * 3600), 0);

	check_bad("Nowhere/City", "time zone: Nowhere/City: unknown zone");
	check_bad("PST", "time zone: PST: unknown zone");
	check_bad("zone.tab", "time zone: zone.tab: unknown zone");
	check_bad("Europe", "time zone: Europe: unknown zone");
	check_bad("../../etc/passwd",
	    "time zone: ../../etc/passwd: not a zone name");
	check_bad("/usr/share/zoneinfo/UTC",
	    "time zone: /usr/share/zoneinfo/UTC: not a zone name");
	check_bad("Europe/Paris;x",
	    "time zone: Europe/Paris;x: not a zone name");
	check_bad("", "time zone: empty name");

	check_bad("right/UTC",
	    "time zone: right/UTC: leap-second zones are not supported");

	/* Around the 2026 changes in Paris, every second. */
	sweep("Europe/Paris", 1774746000 - 1000, 1774746000 + 1000, 1);
	sweep("Europe/Paris", 1792976400 - 1000, 1792976400 + 1000, 1);
	/* A year with an odd step; half-hour daylight saving. */
	sweep("Europe/Paris", 1767225600, 1767225600 + 366 * 86400, 37);
	sweep("Australia/Lord_Howe", 1767225600, 1767225600 + 366 * 86400,
	    41);
	/* Offsets with seconds and minutes: Amsterdam 1937, Nepal 1986. */
	sweep("Europe/Amsterdam", -1041000000, -1000000000, 7);
	sweep("Asia/Kathmandu", 504000000, 505000000, 13);
	CHECK_EQ_I(tz_set("Asia/Tokyo", &d), 0);

	/* NULL keeps what is set. */
	CHECK_EQ_I(tz_set(NULL, &d), 0);
	CHECK_EQ_I(tz_offset(0), 32400);

	/* NULL also checks a TZ found in the environment. */
	setenv("TZ", "Nowhere/City", 1);
	CHECK_EQ_I(tz_set(NULL, &d), -EINVAL);
	CHECK_STR(d.msg, "time zone: TZ=Nowhere/City: unknown zone");
	setenv("TZ", ":Europe/Paris", 1);
	CHECK_EQ_I(tz_set(NULL, &d), 0);
	CHECK_EQ_I(tz_offset(1784116800), 7200);
	setenv("TZ", "<+0330>-3:30", 1);
	CHECK_EQ_I(tz_set(NULL, &d), 0);
	CHECK_EQ_I(tz_offset(0), 12600);
	setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
	CHECK_EQ_I(tz_set(NULL, &d), 0);
	CHECK_EQ_I(tz_offset(1784116800), -4 * 3600);
	setenv("TZ", "/usr/share/zoneinfo/Asia/Tokyo", 1);
	CHECK_EQ_I(tz_set(NULL, &d), 0);
	CHECK_EQ_I(tz_offset(0), 32400);
	return tap_done();
}
