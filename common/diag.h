/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_DIAG_H
#define FOSR_DIAG_H

/*
 * A diagnostic: the one message that explains why a load or parse failed,
 * naming the file and the field or line.  Loaders fill it and return
 * -errno; the caller decides whether to print it, send it to a control
 * client or log it.
 */
struct diag {
	char msg[512];
};

/* Sets the message (printf-style); returns -EINVAL for "return diag_...". */
int diag_set(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to the current message. */
void diag_prefix(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
