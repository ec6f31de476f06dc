/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Durations and start times as the command line reads them. */
#include <errno.h>

#include "tap.h"
#include "timeparse.h"

#define S 1000000000ULL

static uint64_t
dur(const char *s)
{
	struct diag d;
	uint64_t ns = 12345;

	if (timeparse_duration(s, &ns, &d) != 0) {
		fprintf(stderr, "unexpected error: %s\n", d.msg);
		return UINT64_MAX;
	}
	return ns;
}

static int
dur_err(const char *s, const char *want)
{
	struct diag d = { "" };
	uint64_t ns;
	int rc = timeparse_duration(s, &ns, &d);

	if (rc == 0 || strstr(d.msg, want) == NULL) {
		fprintf(stderr, "'%s': rc %d, msg '%s'\n", s, rc, d.msg);
		return 0;
	}
	return rc;
}

static int32_t
off_utc(int64_t t)
{
	return 0;
}

static int32_t
off_plus1(int64_t t)
{
	return 3600;
}

/*
 * A zone shaped like central Europe in 2026: +1 h, +2 h from 2026-03-29
 * 01:00 UTC, back to +1 h at 2026-10-25 01:00 UTC.
 */
static int32_t
off_dst(int64_t t)
{
	return t >= 1774746000 && t < 1792890000 ? 7200 : 3600;
}

static uint64_t
start(const char *s, timeparse_offset_fn f)
{
	struct diag d;
	uint64_t ns = 12345;

	if (timeparse_start(s, f, &ns, &d) != 0) {
		fprintf(stderr, "unexpected error: %s\n", d.msg);
		return UINT64_MAX;
	}
	return ns;
}

static void
test_durations(void)
{
	CHECK_EQ_U(dur("15days 30min 5s"), (15 * 86400 + 1805) * S);
	CHECK_EQ_U(dur("1h30m"), 5400 * S);
	CHECK_EQ_U(dur("1.5h"), 5400 * S);
	CHECK_EQ_U(dur("15 days"), 15 * 86400 * S);
	CHECK_EQ_U(dur("0"), 0);
	CHECK_EQ_U(dur("0.1s"), 100000000);
	CHECK_EQ_U(dur("250ms"), 250000000);
	CHECK_EQ_U(dur("3us 7ns"), 3007);
	CHECK_EQ_U(dur("2wk"), 14 * 86400 * S);
	CHECK_EQ_U(dur("1M"), 2630016 * S);
	CHECK_EQ_U(dur("1m"), 60 * S);
	CHECK_EQ_U(dur("1y"), 31557600 * S);
	CHECK_EQ_U(dur("1min"), 60 * S);
	CHECK_EQ_U(dur("2 hours 1 sec"), 7201 * S);
	CHECK_EQ_U(dur("0.000000001s"), 1);
	CHECK_EQ_U(dur("1d"), 86400 * S);

	CHECK(dur_err("", "empty") == -EINVAL);
	CHECK(dur_err("5", "missing unit") == -EINVAL);
	CHECK(dur_err("5 parsecs", "unknown or missing unit") == -EINVAL);
	CHECK(dur_err("h", "expected a number") == -EINVAL);
	CHECK(dur_err("1H", "unknown or missing unit") == -EINVAL);
	CHECK(dur_err("-1h", "expected a number") == -EINVAL);
	CHECK(dur_err("600y", "too long") == -ERANGE);
	CHECK(dur_err("99999999999999999999s", "too long") == -ERANGE);
}

static void
test_starts(void)
{
	struct diag d;
	uint64_t ns;

	CHECK_EQ_U(start("0", off_plus1), 0);
	CHECK_EQ_U(start("1733300100", off_plus1), 1733300100 * S);
	CHECK_EQ_U(start("1733300100.25", off_plus1),
	    1733300100 * S + 250000000);
	/* An explicit offset is honoured whatever the zone. */
	CHECK_EQ_U(start("2024-12-04T08:15:00Z", off_plus1),
	    1733300100 * S);
	CHECK_EQ_U(start("2024-12-04 09:15:00+01:00", off_utc),
	    1733300100 * S);
	CHECK_EQ_U(start("2024-12-04T03:15:00-05:00", off_utc),
	    1733300100 * S);
	CHECK_EQ_U(start("2024-12-04T08:15:00.123456789Z", off_utc),
	    1733300100 * S + 123456789);
	CHECK_EQ_U(start("2024-02-29T23:59:59Z", off_utc), 1709251199 * S);
	CHECK_EQ_U(start("2024-02-29T23:59:60Z", off_utc), 1709251199 * S);
	/* Without an offset: wall time in the zone. */
	CHECK_EQ_U(start("2024-12-04T09:15:00", off_plus1), 1733300100 * S);
	CHECK_EQ_U(start("2026-07-01T12:00:00", off_dst), 1782900000 * S);
	CHECK_EQ_U(start("2026-01-01T01:00:00", off_dst),
	    (1767225600 + 0) * S);
	/* 02:30 does not exist on 2026-03-29: read with +1 h. */
	CHECK_EQ_U(start("2026-03-29T02:30:00", off_dst),
	    (1774746000 + 1800) * S);
	/* 02:30 happens twice on 2026-10-25: the first one (+2 h). */
	CHECK_EQ_U(start("2026-10-25T02:30:00", off_dst),
	    (1792890000 - 1800) * S);
	CHECK_EQ_I(timeparse_days_from_civil(1970, 1, 1), 0);
	CHECK_EQ_I(timeparse_days_from_civil(2000, 3, 1), 11017);

	CHECK(timeparse_start("2024-02-30T00:00:00Z", off_utc, &ns, &d) ==
	    -EINVAL && strstr(d.msg, "no such date") != NULL);
	CHECK(timeparse_start("2023-02-29T00:00:00Z", off_utc, &ns, &d) ==
	    -EINVAL && strstr(d.msg, "no such date") != NULL);
	CHECK(timeparse_start("2024-12-04T25:00:00Z", off_utc, &ns, &d) ==
	    -EINVAL);
	CHECK(timeparse_start("yesterday", off_utc, &ns, &d) == -EINVAL &&
	    strstr(d.msg, "'yesterday'") != NULL);
	CHECK(timeparse_start("2024-12-04T08:15:00+1", off_utc, &ns, &d) ==
	    -EINVAL && strstr(d.msg, "bad offset") != NULL);
	CHECK(timeparse_start("1969-12-31T23:59:59Z", off_utc, &ns, &d) ==
	    -EINVAL && strstr(d.msg, "before 1970") != NULL);
	CHECK(timeparse_start("-5", off_utc, &ns, &d) == -EINVAL);
}

int
main(void)
{
	test_durations();
	test_starts();
	return tap_done();
}
