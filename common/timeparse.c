/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Parsing of durations and start times.  Numbers are read digit by digit
 * into integers, never through floating point, so "0.1s" is exactly
 * 100000000 ns and a fraction on a start time survives to the file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "timeparse.h"

#define NS_PER_S 1000000000ULL

static const struct {
	const char *name;
	uint64_t ns;
} timeparse_units[] = {
	{ "nanos", 1 }, { "nsec", 1 }, { "ns", 1 },
	{ "usec", 1000 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
	{ "millis", 1000000 }, { "msec", 1000000 }, { "ms", 1000000 },
	{ "seconds", NS_PER_S }, { "second", NS_PER_S }, { "secs", NS_PER_S },
	{ "sec", NS_PER_S }, { "s", NS_PER_S },
	{ "minutes", 60 * NS_PER_S }, { "minute", 60 * NS_PER_S },
	{ "mins", 60 * NS_PER_S }, { "min", 60 * NS_PER_S },
	{ "m", 60 * NS_PER_S },
	{ "hours", 3600 * NS_PER_S }, { "hour", 3600 * NS_PER_S },
	{ "hrs", 3600 * NS_PER_S }, { "hr", 3600 * NS_PER_S },
	{ "h", 3600 * NS_PER_S },
	{ "days", 86400 * NS_PER_S }, { "day", 86400 * NS_PER_S },
	{ "d", 86400 * NS_PER_S },
	{ "weeks", 604800 * NS_PER_S }, { "week", 604800 * NS_PER_S },
	{ "wks", 604800 * NS_PER_S }, { "wk", 604800 * NS_PER_S },
	{ "w", 604800 * NS_PER_S },
	{ "months", 2630016 * NS_PER_S }, { "month", 2630016 * NS_PER_S },
	{ "M", 2630016 * NS_PER_S },
	{ "years", 31557600 * NS_PER_S }, { "year", 31557600 * NS_PER_S },
	{ "yrs", 31557600 * NS_PER_S }, { "yr", 31557600 * NS_PER_S },
	{ "y", 31557600 * NS_PER_S },
};

/*
 * Reads digits[.digits] at *p: the integer part into *ip (-ERANGE past
 * 64 bits), the fraction as frac / 10^fdig with at most 18 digits kept
 * (the rest cannot change a nanosecond count by a whole unit).
 */
static int
timeparse_number(const char **p, uint64_t *ip, uint64_t *frac, int *fdig)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ip = v;
	*frac = 0;
	*fdig = 0;
	if (*s == '.' && isdigit((unsigned char)s[1])) {
		for (s++; isdigit((unsigned char)*s); s++)
			if (*fdig < 18) {
				*frac = *frac * 10 + (uint64_t)(*s - '0');
				(*fdig)++;
			}
	}
	*p = s;
	return 0;
}

/* The unit at *p: the longest name that matches and is not followed by a
 * letter (so "min" is not "m" followed by "in"). */
static int
timeparse_unit(const char **p, uint64_t *unit_ns)
{
	size_t i, n, best = 0;

	for (i = 0; i < sizeof(timeparse_units) / sizeof(timeparse_units[0]);
	    i++) {
		n = strlen(timeparse_units[i].name);
		if (strncmp(*p, timeparse_units[i].name, n) != 0 ||
		    isalpha((unsigned char)(*p)[n]) || n <= best)
			continue;
		best = n;
		*unit_ns = timeparse_units[i].ns;
	}
	if (best == 0)
		return -EINVAL;
	*p += best;
	return 0;
}

/* v * unit + frac / 10^fdig * unit, rounded down, with overflow checks. */
static int
timeparse_scale(uint64_t v, uint64_t frac, int fdig, uint64_t unit,
    uint64_t *out)
{
	unsigned __int128 r, f, p10 = 1;
	int i;

	for (i = 0; i < fdig; i++)
		p10 *= 10;
	f = (unsigned __int128)frac * unit / p10;
	r = (unsigned __int128)v * unit + f;
	if (r > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)r;
	return 0;
}

int
timeparse_duration(const char *s, uint64_t *ns, struct diag *d)
{
	const char *p = s;
	uint64_t total = 0, v, frac, unit, part;
	int fdig, rc, items = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*p != '\0') {
		rc = timeparse_number(&p, &v, &frac, &fdig);
		if (rc == -ERANGE)
			goto range;
		if (rc != 0)
			return diag_set(d, "duration '%s': expected a number "
			    "at '%s'", s, p);
		while (isspace((unsigned char)*p))
			p++;
		if (timeparse_unit(&p, &unit) != 0)
			return diag_set(d, "duration '%s': unknown or missing "
			    "unit at '%s' (use ns, us, ms, s, min, h, d, w, "
			    "M, y)", s, *p ? p : "end");
		if (timeparse_scale(v, frac, fdig, unit, &part) != 0 ||
		    total > UINT64_MAX - part)
			goto range;
		total += part;
		items++;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (items == 0)
		return diag_set(d, "duration: empty");
	*ns = total;
	return 0;
range:
	diag_set(d, "duration '%s': too long", s);
	return -ERANGE;
}

int64_t
timeparse_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	/* Years start in March so that the leap day ends a year. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
timeparse_digits(const char *p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

static unsigned
timeparse_mdays(int y, int m)
{
	static const unsigned md[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return md[m - 1] + (m == 2 && leap);
}

/*
 * "YYYY-MM-DD[T ]HH:MM:SS[.frac]" into seconds (as if UTC) and
 * nanoseconds; *rest points after it.  Leap second 60 reads as 59.
 */
static int
timeparse_civil(const char *s, int64_t *secs, uint64_t *nsec,
    const char **rest)
{
	int y, mo, da, h, mi, se;
	uint64_t ip, frac;
	int fdig;
	const char *p;

	if (!timeparse_digits(s, 4, &y) || s[4] != '-' ||
	    !timeparse_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !timeparse_digits(s + 8, 2, &da) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !timeparse_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !timeparse_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !timeparse_digits(s + 17, 2, &se))
		return -EINVAL;
	if (mo < 1 || mo > 12 || da < 1 || (unsigned)da > timeparse_mdays(y, mo)
	    || h > 23 || mi > 59 || se > 60)
		return -ERANGE;
	if (se == 60)
		se = 59;
	p = s + 17;
	*nsec = 0;
	if (p[2] == '.') {
		if (timeparse_number(&p, &ip, &frac, &fdig) != 0 || fdig == 0)
			return -EINVAL;
		timeparse_scale(0, frac, fdig, NS_PER_S, nsec);
	} else {
		p += 2;
	}
	*secs = timeparse_days_from_civil(y, (unsigned)mo, (unsigned)da) *
	    86400 + h * 3600 + mi * 60 + se;
	*rest = p;
	return 0;
}

/*
 * The UTC instant of a wall time in the local zone.  Two guesses cover
 * every case: the offset at (wall - offset at wall) is right unless the
 * wall time falls in or next to a transition, where the earlier of the
 * consistent readings wins.
 */
static int64_t
timeparse_from_wall(int64_t wall, timeparse_offset_fn off)
{
	int64_t t1, t2;

	t1 = wall - off(wall - 86400);
	t2 = wall - off(wall + 86400);
	if (t1 + off(t1) == wall && t2 + off(t2) == wall)
		return t1 < t2 ? t1 : t2;
	if (t1 + off(t1) == wall)
		return t1;
	if (t2 + off(t2) == wall)
		return t2;
	/* Skipped by the zone: keep the offset from before the gap. */
	return t1;
}

static int
timeparse_offset_suffix(const char *p, int64_t *off)
{
	int hh, mm;

	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((*p != '+' && *p != '-') || !timeparse_digits(p + 1, 2, &hh) ||
	    p[3] != ':' || !timeparse_digits(p + 4, 2, &mm) || p[6] != '\0' ||
	    hh > 23 || mm > 59)
		return -EINVAL;
	*off = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
	return 0;
}

int
timeparse_start(const char *s, timeparse_offset_fn local_offset,
    uint64_t *ns, struct diag *d)
{
	const char *p = s;
	uint64_t ip, frac, nsec;
	int64_t secs, off;
	int fdig, rc;

	if (timeparse_number(&p, &ip, &frac, &fdig) == 0 && *p == '\0') {
		if (timeparse_scale(ip, frac, fdig, NS_PER_S, ns) != 0)
			return diag_set(d, "start time '%s': out of range", s);
		return 0;
	}
	rc = timeparse_civil(s, &secs, &nsec, &p);
	if (rc == -ERANGE)
		return diag_set(d, "start time '%s': no such date or time", s);
	if (rc != 0)
		return diag_set(d, "start time '%s': expected Unix seconds "
		    "or YYYY-MM-DDTHH:MM:SS[.frac][Z|+hh:mm]", s);
	if (*p == '\0')
		secs = timeparse_from_wall(secs, local_offset);
	else if (timeparse_offset_suffix(p, &off) == 0)
		secs -= off;
	else
		return diag_set(d, "start time '%s': bad offset '%s' "
		    "(use Z or +hh:mm)", s, p);
	if (secs < 0 || (uint64_t)secs > UINT64_MAX / NS_PER_S - 1)
		return diag_set(d, "start time '%s': before 1970 or too far "
		    "ahead", s);
	*ns = (uint64_t)secs * NS_PER_S + nsec;
	return 0;
}

uint64_t
timeparse_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
