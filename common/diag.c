/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Diagnostic messages for loaders and parsers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

int
diag_set(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void
diag_prefix(struct diag *d, const char *fmt, ...)
{
	char buf[sizeof(d->msg)];
	size_t n;
	va_list ap;

	if (d == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (n + 2 < sizeof(buf)) {
		memcpy(buf + n, ": ", 2);
		n += 2;
		memcpy(buf + n, d->msg, sizeof(buf) - n - 1);
		buf[sizeof(buf) - 1] = '\0';
	}
	memcpy(d->msg, buf, sizeof(d->msg));
}
