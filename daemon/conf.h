/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSRD_CONF_H
#define FOSRD_CONF_H

/*
 * fosrd.conf: one directive per line ("name value"), '#' comments.  One
 * table of directives (name, type, range, default, reloadable) drives the
 * parser, the printer behind fosrd -nv and the check that fosrd.conf(5)
 * documents each of them.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

struct conf {
	char *socket;
	unsigned socket_mode;
	char *socket_group;
	unsigned max_clients;
	char *profile;           /* directory or "default" */
	char *netconf;           /* file or "none" */
	char *timezone;          /* IANA name or "local" */
	char *output;            /* directory or "discard" */
	uint64_t rotate_size;    /* bytes, 0: never */
	uint64_t rotate_time;    /* seconds, 0: never */
	double fps;
	bool flat;
	bool taint;
	uint64_t seed;           /* 0: a new one per start */
	unsigned threads_s1;
	unsigned threads_s2;
	unsigned threads_s3;
	unsigned ring_size;
	unsigned max_flows;
	int log_level;
};

enum conf_type {
	CONF_T_STRING,
	CONF_T_UINT,
	CONF_T_U64,
	CONF_T_SIZE,             /* bytes with an optional k, M or G */
	CONF_T_SECONDS,          /* seconds with an optional s, m, h or d */
	CONF_T_DOUBLE,
	CONF_T_BOOL,
	CONF_T_MODE,             /* octal */
	CONF_T_LEVEL,            /* log level name */
};

struct conf_directive {
	const char *name;
	enum conf_type type;
	size_t off;              /* into struct conf */
	double min, max;         /* numbers only */
	const char *def;         /* default, as written in the file */
	bool reloadable;         /* SIGHUP applies it without a restart */
	const char *help;
};

/* The table, ended by an entry whose name is NULL. */
extern const struct conf_directive conf_directives[];

/* Sets every directive to its default. */
void conf_defaults(struct conf *c);
/*
 * Parses text on top of c (normally defaults).  Errors read
 * "file:line: message" in d; c is then partly changed, so parse into a
 * copy when the old one must survive.
 */
int conf_parse(struct conf *c, const char *text, size_t len,
    const char *fname, struct diag *d);
/* Defaults, then the file.  -ENOENT leaves the defaults (d says so). */
int conf_load(struct conf *c, const char *path, struct diag *d);
/* Prints every directive in the file syntax, defaults included. */
void conf_print(const struct conf *c, FILE *f);
/* Frees the strings and zeroes c. */
void conf_free(struct conf *c);
/* Deep copy; 0 or -ENOMEM. */
int conf_copy(struct conf *dst, const struct conf *src);
/* True if directive d has the same value in a and b. */
bool conf_same(const struct conf_directive *d, const struct conf *a,
    const struct conf *b);
/* Copies the value of directive d from src into dst.  0 or -ENOMEM. */
int conf_keep(struct conf *dst, const struct conf *src,
    const struct conf_directive *d);

#endif
