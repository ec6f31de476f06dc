/* SPDX-License-Identifier: GPL-3.0-or-later */
/* File-system checks shared by the commands. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"

/* The absolute name of a path whose last component may not exist yet. */
static char *
fsutil_resolve(const char *path)
{
	char *c1 = strdup(path), *c2 = strdup(path), *dir = NULL, *out = NULL;

	if (c1 == NULL || c2 == NULL)
		goto done;
	dir = realpath(dirname(c1), NULL);
	if (dir != NULL && asprintf(&out, "%s/%s", dir, basename(c2)) < 0)
		out = NULL;
done:
	free(c1);
	free(c2);
	free(dir);
	return out;
}

bool
fsutil_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ra, *rb;
	bool same;

	if (strcmp(a, b) == 0)
		return true;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ra = fsutil_resolve(a);
	rb = fsutil_resolve(b);
	same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	return same;
}
