/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_PROFILE_H
#define FOSR_PROFILE_H

#include <stddef.h>

#include "diag.h"

/*
 * A profile: the models of one network (time profile, Bayesian network,
 * automata) plus an optional network configuration.  It is loaded and
 * checked whole, away from the data path, and is immutable afterwards, so
 * any number of worker threads read it without locks.  The daemon swaps
 * profiles with RCU; flows keep a pointer to the profile they came from.
 */

struct time_profile;
struct bn;
struct automata;
struct netconf;

/*
 * Where profile files come from: a directory, or the default profile
 * compiled into the programs.  Paths are relative ("bn/bn_tcp.bifxml").
 */
struct profile_src {
	const char *dir;         /* NULL for the embedded default */
	/*
	 * When not NULL, every file read through this source is recorded
	 * here (name and SHA-256), so that profile_load can fingerprint
	 * exactly what it used.
	 */
	struct profile_reads *reads;
};

/*
 * Reads a whole file; *data is NUL-terminated and owned by the caller.
 * The diagnostic names the file.  -ENOENT if it does not exist.
 */
int profile_src_read(const struct profile_src *src, const char *rel,
    char **data, size_t *len, struct diag *d);
/*
 * Lists the regular files of a subdirectory whose names end in suffix,
 * sorted by name (so loading never depends on directory order).  *names
 * is a NULL-terminated array owned by the caller (free each, then it).
 */
int profile_src_list(const struct profile_src *src, const char *subdir,
    const char *suffix, char ***names, struct diag *d);
/*
 * The size of a file in bytes, 0 if it cannot be known: a hint to share
 * out work, never a promise about what a read will return.
 */
size_t profile_src_size(const struct profile_src *src, const char *rel);
/* "default" or the directory, for messages. */
const char *profile_src_name(const struct profile_src *src);
/* Reads a file outside any profile (a configuration), like the above. */
int profile_src_read_path(const char *path, char **data, size_t *len,
    struct diag *d);

/* What a source has read: names and SHA-256 of the contents. */
struct profile_read {
	char *name;
	unsigned char sha[32];
};

struct profile_reads {
	struct profile_read *v;
	size_t n;
	size_t cap;
};

/* Records one file read through src (nothing if src->reads is NULL). */
void profile_src_record(const struct profile_src *src, const char *name,
    const char *data, size_t len);
/* The same for a file whose SHA-256 the caller has computed. */
void profile_src_record_sha(const struct profile_src *src, const char *name,
    const unsigned char sha[32]);
/* Hex SHA-256 over the records sorted by name: (name, NUL, SHA-256). */
void profile_src_digest(struct profile_reads *r, char out[65]);
void profile_src_reads_free(struct profile_reads *r);

struct profile {
	char *name;              /* directory, or "default" */
	char *conf_path;         /* configuration file, or NULL */
	char digest[65];         /* hex SHA-256 of the files that were read */
	struct time_profile *time;
	struct bn *bn;
	struct automata *automata;
	struct netconf *conf;    /* NULL without a configuration */
};

/*
 * Loads and checks a profile: dir NULL for the embedded default, conf_path
 * NULL for none.  On error returns -errno with d naming file and field.
 */
int profile_load(struct profile **out, const char *dir, const char *conf_path,
    struct diag *d);
void profile_free(struct profile *p);

#endif
