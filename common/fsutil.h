/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_FSUTIL_H
#define FOSR_FSUTIL_H

#include <stdbool.h>

/*
 * True if the two paths name the same file: the same existing inode, or,
 * for files that do not exist yet, the same name in the same directory.
 * Used to refuse an output that would overwrite an input or another
 * output of the same run.
 */
bool fsutil_same_file(const char *a, const char *b);

#endif
