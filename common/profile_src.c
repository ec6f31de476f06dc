/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where profile files come from: a directory in the Fos-R layout, or the
 * default profile compiled into the programs.  Every file read through a
 * source with a record attached leaves its name and SHA-256 there, so
 * that the profile's digest names exactly the bytes that shaped a run,
 * whatever order the loaders read them in.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embedded.h"
#include "profile.h"
#include "sha256.h"

#define PROFILE_MAX_FILE (256u << 20)

const char *
profile_src_name(const struct profile_src *src)
{
	return src->dir != NULL ? src->dir : "default";
}

void
profile_src_record(const struct profile_src *src, const char *name,
    const char *data, size_t len)
{
	unsigned char sha[32];

	if (src->reads == NULL)
		return;
	sha256_buf(data, len, sha);
	profile_src_record_sha(src, name, sha);
}

void
profile_src_record_sha(const struct profile_src *src, const char *name,
    const unsigned char sha[32])
{
	struct profile_reads *r = src->reads;
	struct profile_read *nv;

	if (r == NULL)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		nv = realloc(r->v, r->cap * sizeof(*nv));
		if (nv == NULL)
			abort();
		r->v = nv;
	}
	r->v[r->n].name = strdup(name);
	if (r->v[r->n].name == NULL)
		abort();
	memcpy(r->v[r->n].sha, sha, sizeof(r->v[r->n].sha));
	r->n++;
}

/* Reads a whole regular file; the buffer gets a final NUL. */
int
profile_src_read_path(const char *path, char **data, size_t *len,
    struct diag *d)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		diag_set(d, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > PROFILE_MAX_FILE) {
		rc = -EINVAL;
		diag_set(d, "%s: not a regular file of at most %u MiB", path,
		    PROFILE_MAX_FILE >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		diag_set(d, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			diag_set(d, "%s: cannot read: %s", path,
			    n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

size_t
profile_src_size(const struct profile_src *src, const char *rel)
{
	const struct embedded_file *e;
	struct stat st;
	char *path = NULL;
	size_t n = 0;

	if (src->dir == NULL) {
		for (e = embedded_default_profile; e->path != NULL; e++)
			if (strcmp(e->path, rel) == 0)
				return (size_t)(e->end - e->data);
		return 0;
	}
	if (asprintf(&path, "%s/%s", src->dir, rel) < 0)
		return 0;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		n = (size_t)st.st_size;
	free(path);
	return n;
}

int
profile_src_read(const struct profile_src *src, const char *rel,
    char **data, size_t *len, struct diag *d)
{
	const struct embedded_file *e;
	char *path = NULL;
	int rc;

	if (src->dir == NULL) {
		for (e = embedded_default_profile; e->path != NULL; e++)
			if (strcmp(e->path, rel) == 0)
				break;
		if (e->path == NULL) {
			diag_set(d, "default profile: %s: no such file", rel);
			return -ENOENT;
		}
		*len = (size_t)(e->end - e->data);
		*data = malloc(*len + 1);
		if (*data == NULL)
			return diag_set(d, "%s: out of memory", rel), -ENOMEM;
		memcpy(*data, e->data, *len);
		(*data)[*len] = '\0';
	} else {
		if (asprintf(&path, "%s/%s", src->dir, rel) < 0)
			return diag_set(d, "%s: out of memory", rel), -ENOMEM;
		rc = profile_src_read_path(path, data, len, d);
		free(path);
		if (rc != 0)
			return rc;
	}
	profile_src_record(src, rel, *data, *len);
	return 0;
}

static int
profile_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
profile_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* Appends a copy of name to the NULL-terminated array *v. */
static int
profile_push_name(char ***v, size_t *n, const char *name)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(name);
	if (nv[*n] == NULL)
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

static int
profile_list_dir(const char *dir, const char *suffix, char ***v, size_t *n,
    struct diag *d)
{
	struct dirent *e;
	struct stat st;
	DIR *dp;
	int rc = 0;

	dp = opendir(dir);
	if (dp == NULL) {
		rc = -errno;
		diag_set(d, "%s: cannot open directory: %s", dir,
		    strerror(errno));
		return rc;
	}
	while (rc == 0 && (e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.' || !profile_has_suffix(e->d_name,
		    suffix))
			continue;
		if (fstatat(dirfd(dp), e->d_name, &st, 0) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		rc = profile_push_name(v, n, e->d_name);
	}
	closedir(dp);
	if (rc != 0)
		diag_set(d, "%s: out of memory", dir);
	return rc;
}

int
profile_src_list(const struct profile_src *src, const char *subdir,
    const char *suffix, char ***names, struct diag *d)
{
	const struct embedded_file *e;
	char **v = NULL, *path = NULL;
	size_t n = 0, k = strlen(subdir);
	int rc = 0;

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return diag_set(d, "out of memory"), -ENOMEM;
	if (src->dir == NULL) {
		for (e = embedded_default_profile; rc == 0 && e->path; e++)
			if (strncmp(e->path, subdir, k) == 0 &&
			    e->path[k] == '/' &&
			    strchr(e->path + k + 1, '/') == NULL &&
			    profile_has_suffix(e->path + k + 1, suffix))
				rc = profile_push_name(&v, &n, e->path + k + 1);
		if (rc != 0)
			diag_set(d, "out of memory");
	} else if (asprintf(&path, "%s/%s", src->dir, subdir) < 0) {
		rc = diag_set(d, "out of memory");
		path = NULL;
	} else {
		rc = profile_list_dir(path, suffix, &v, &n, d);
	}
	free(path);
	if (rc != 0) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return rc;
	}
	qsort(v, n, sizeof(*v), profile_cmp_names);
	*names = v;
	return 0;
}

static int
profile_src_cmp_reads(const void *a, const void *b)
{
	const struct profile_read *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Hex SHA-256 over (name, NUL, file SHA-256) of each read, by name. */
void
profile_src_digest(struct profile_reads *r, char out[65])
{
	struct sha256 s;
	uint8_t dg[32];
	size_t i;

	qsort(r->v, r->n, sizeof(*r->v), profile_src_cmp_reads);
	sha256_init(&s);
	for (i = 0; i < r->n; i++) {
		sha256_update(&s, r->v[i].name, strlen(r->v[i].name) + 1);
		sha256_update(&s, r->v[i].sha, sizeof(r->v[i].sha));
	}
	sha256_final(&s, dg);
	sha256_hex(dg, out);
}

void
profile_src_reads_free(struct profile_reads *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
}
