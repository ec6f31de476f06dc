/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Time zones.  The C library already knows every rule of the IANA
 * database, daylight saving included, so this module only makes sure the
 * name given really is a zone before handing it to TZ: glibc quietly
 * treats an unknown name as UTC, which would shift every generated day
 * without a word.  Offsets are read per instant through localtime_r, never
 * frozen at start-up.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tz.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 128

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

int
tz_set(const char *zone, struct diag *d)
{
	int rc;

	if (zone == NULL) {
		tzset();
		return 0;
	}
	if ((rc = tz_check_name(zone, d)) != 0)
		return rc;
	if ((rc = tz_check_file(zone, d)) != 0)
		return rc;
	if (setenv("TZ", zone, 1) != 0)
		return -errno;
	tzset();
	return 0;
}

int32_t
tz_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

uint32_t
tz_sec_of_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	uint32_t s;

	if (localtime_r(&tt, &tm) == NULL) {
		int64_t r = t % 86400;

		return (uint32_t)(r < 0 ? r + 86400 : r);
	}
	/* A leap second (zones under "right/") reads as 60: keep the day. */
	s = (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	return s < 86400 ? s : 86399;
}
