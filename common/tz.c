/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Time zones.  The C library already knows every rule of the IANA
 * database, daylight saving included, so this module only makes sure the
 * name given really is a zone before handing it to TZ: glibc quietly
 * treats an unknown name as UTC, which would shift every generated day
 * without a word.  Offsets are read per instant through localtime_r, never
 * frozen at start-up, and each thread keeps the last one it read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tz.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 128
/* Seconds over which a thread reuses an offset it looked up. */
#define TZ_SPAN 900

struct tz_cache {
	unsigned gen;                    /* 0: empty */
	int64_t lo;                      /* start of the cached span */
	int32_t off;
};

/* Bumped by tz_set so that no thread keeps an offset of the old zone. */
static _Atomic unsigned tz_generation = 1;

/* Characters that occur in IANA names ("America/Port-au-Prince", "GMT+5"). */
static bool
tz_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
	    c == '+' || c == '.';
}

static int
tz_check_name(const char *zone, struct diag *d)
{
	size_t n = strlen(zone);

	if (n == 0)
		return diag_set(d, "time zone: empty name");
	if (n >= TZ_NAME_MAX)
		return diag_set(d, "time zone: name too long");
	if (zone[0] == '/' || zone[n - 1] == '/' || strstr(zone, "//"))
		return diag_set(d, "time zone: %s: not a zone name", zone);
	if (strstr(zone, "..") != NULL || zone[0] == '.')
		return diag_set(d, "time zone: %s: not a zone name", zone);
	/* Their clocks count leap seconds: not POSIX time, as used here. */
	if (strncmp(zone, "right/", 6) == 0)
		return diag_set(d, "time zone: %s: leap-second zones are not "
		    "supported", zone);
	for (size_t i = 0; i < n; i++)
		if (!tz_name_char(zone[i]))
			return diag_set(d, "time zone: %s: not a zone name",
			    zone);
	return 0;
}

/* The zone file must exist and be a compiled tzdata file ("TZif"). */
static int
tz_check_file(const char *zone, struct diag *d)
{
	const char *dir = getenv("TZDIR");
	char path[TZ_NAME_MAX + 256], magic[4];
	int fd, n;

	if (dir == NULL || *dir == '\0')
		dir = TZ_DEFAULT_DIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, zone);
	if (n < 0 || (size_t)n >= sizeof(path))
		return diag_set(d, "time zone: %s: name too long", zone);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_set(d, "time zone: %s: unknown zone", zone);
	n = (int)read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (int)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return diag_set(d, "time zone: %s: unknown zone", zone);
	return 0;
}

/* A POSIX rule such as "CET-1CEST,M3.5.0,M10.5.0/3": a name, an offset. */
static bool
tz_is_rule(const char *s)
{
	size_t n = 0;

	if (*s == '<') {
		if ((s = strchr(s, '>')) == NULL)
			return false;
		s++;
	} else {
		for (; (s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z'); n++)
			;
		if (n < 3)
			return false;
		s += n;
	}
	if (*s == '+' || *s == '-')
		s++;
	return *s >= '0' && *s <= '9';
}

/*
 * The machine's zone: /etc/localtime, or TZ from the environment, which
 * glibc also reads as UTC when it names nothing; catch that case too.
 */
static int
tz_check_env(struct diag *d)
{
	const char *v = getenv("TZ");
	struct diag tmp;

	if (v == NULL || *v == '\0')
		return 0;
	if (*v == ':')
		v++;
	if (tz_is_rule(v) || (tz_check_name(v, &tmp) == 0 &&
	    tz_check_file(v, &tmp) == 0) || (*v == '/' &&
	    access(v, R_OK) == 0))
		return 0;
	return diag_set(d, "time zone: TZ=%s: unknown zone", getenv("TZ"));
}

int
tz_set(const char *zone, struct diag *d)
{
	int rc;

	if (zone == NULL) {
		if ((rc = tz_check_env(d)) != 0)
			return rc;
		tzset();
		atomic_fetch_add(&tz_generation, 1);
		return 0;
	}
	if ((rc = tz_check_name(zone, d)) != 0)
		return rc;
	if ((rc = tz_check_file(zone, d)) != 0)
		return rc;
	if (setenv("TZ", zone, 1) != 0)
		return -errno;
	tzset();
	atomic_fetch_add(&tz_generation, 1);
	return 0;
}

static int64_t
tz_mod(int64_t a, int64_t m)
{
	int64_t r = a % m;

	return r < 0 ? r + m : r;
}

static int32_t
tz_offset_libc(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

/*
 * localtime_r costs about half a microsecond and takes a lock inside the
 * C library, while stage 1 asks for the time of day of every flow.  Each
 * thread therefore remembers the offset of the last quarter hour it saw,
 * when the offset is the same at both ends of it: no zone changes its
 * offset twice within 15 minutes, so equal ends mean no change between.
 * A quarter hour that holds a change is never cached.
 */
int32_t
tz_offset(int64_t t)
{
	static __thread struct tz_cache cache;
	unsigned gen = atomic_load_explicit(&tz_generation,
	    memory_order_acquire);
	int64_t lo = t - tz_mod(t, TZ_SPAN);
	int32_t off;

	if (cache.gen == gen && cache.lo == lo)
		return cache.off;
	off = tz_offset_libc(lo);
	if (tz_offset_libc(lo + TZ_SPAN - 1) != off)
		return tz_offset_libc(t);
	cache = (struct tz_cache){ gen, lo, off };
	return off;
}

uint32_t
tz_sec_of_day(int64_t t)
{
	return (uint32_t)tz_mod(t + tz_offset(t), 86400);
}
