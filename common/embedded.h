/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_EMBEDDED_H
#define FOSR_EMBEDDED_H

/* A file compiled into the programs; data is followed by a NUL byte. */
struct embedded_file {
	const char *path;        /* relative to the profile directory */
	const char *data;
	const char *end;
};

/* The default profile, terminated by an entry whose path is NULL. */
extern const struct embedded_file embedded_default_profile[];

#endif
