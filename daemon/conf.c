/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fosrd configuration file.  Every directive is one row of
 * conf_directives; parsing, defaults, printing and copying walk that
 * table, so a new directive is one new row and one new field.  Values are
 * the rest of the line after the name, optionally in double quotes; a '#'
 * starts a comment anywhere outside quotes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#define CONF_OFF(f) offsetof(struct conf, f)

const struct conf_directive conf_directives[] = {
	{ "socket", CONF_T_STRING, CONF_OFF(socket), 0, 0,
	    FOSR_RUNSTATEDIR "/fosrd.sock", false, "control socket path" },
	{ "socket_mode", CONF_T_MODE, CONF_OFF(socket_mode), 0, 0777,
	    "0660", false, "permissions of the control socket" },
	{ "socket_group", CONF_T_STRING, CONF_OFF(socket_group), 0, 0,
	    "fosr", false, "group owning the control socket" },
	{ "max_clients", CONF_T_UINT, CONF_OFF(max_clients), 1, 65536,
	    "1024", false, "control connections served at once" },
	{ "profile", CONF_T_STRING, CONF_OFF(profile), 0, 0, "default", true,
	    "profile directory, or default for the built-in one" },
	{ "netconf", CONF_T_STRING, CONF_OFF(netconf), 0, 0, "none", true,
	    "network configuration file, or none" },
	{ "timezone", CONF_T_STRING, CONF_OFF(timezone), 0, 0, "local",
	    false, "zone of the daily shape, or local" },
	{ "output", CONF_T_STRING, CONF_OFF(output), 0, 0,
	    FOSR_STATEDIR, true, "pcap directory, or discard" },
	{ "rotate_size", CONF_T_SIZE, CONF_OFF(rotate_size), 0, 1e15, "0",
	    true, "start a new pcap file past this size (0: never)" },
	{ "rotate_time", CONF_T_SECONDS, CONF_OFF(rotate_time), 0, 1e9, "0",
	    true, "start a new pcap file after this time (0: never)" },
	{ "fps", CONF_T_DOUBLE, CONF_OFF(fps), 0.001, 1e7, "10", true,
	    "default mean flows per second" },
	{ "flat", CONF_T_BOOL, CONF_OFF(flat), 0, 0, "no", true,
	    "ignore the daily shape of the profile" },
	{ "taint", CONF_T_BOOL, CONF_OFF(taint), 0, 0, "no", true,
	    "set the IPv4 reserved bit" },
	{ "seed", CONF_T_U64, CONF_OFF(seed), 0, 0, "0", true,
	    "master seed (0: a new one at each start)" },
	{ "threads_s1", CONF_T_UINT, CONF_OFF(threads_s1), 1, 64, "1", true,
	    "stage 1 worker threads" },
	{ "threads_s2", CONF_T_UINT, CONF_OFF(threads_s2), 1, 64, "1", true,
	    "stage 2 worker threads" },
	{ "threads_s3", CONF_T_UINT, CONF_OFF(threads_s3), 1, 64, "1", true,
	    "stage 3 worker threads" },
	{ "ring_size", CONF_T_UINT, CONF_OFF(ring_size), 16, 1 << 20,
	    "1024", true, "entries of each ring between stages" },
	{ "max_flows", CONF_T_UINT, CONF_OFF(max_flows), 64, 1 << 22,
	    "16384", true, "flows held in the pipeline at once" },
	{ "log_level", CONF_T_LEVEL, CONF_OFF(log_level), 0, 0, "notice",
	    true, "err, warning, notice, info or debug" },
	{ NULL, 0, 0, 0, 0, NULL, false, NULL },
};

#define CONF_FIELD(c, d, type) ((type *)((char *)(c) + (d)->off))

static const struct conf_directive *
conf_find(const char *name, size_t n)
{
	for (const struct conf_directive *d = conf_directives; d->name; d++)
		if (strlen(d->name) == n && strncmp(d->name, name, n) == 0)
			return d;
	return NULL;
}

/* Parses an unsigned number with an optional unit suffix. */
static int
conf_number_unit(const char *v, double *out, const char *units,
    const double *mult)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || errno != 0 || !isfinite(x))
		return -EINVAL;
	if (*end != '\0') {
		const char *u = strchr(units, *end);

		if (u == NULL || end[1] != '\0')
			return -EINVAL;
		x *= mult[u - units];
	}
	*out = x;
	return 0;
}

static int
conf_check_range(const struct conf_directive *d, double x, struct diag *dg)
{
	if (x >= d->min && x <= d->max)
		return 0;
	/* Whole-number directives print their limits as whole numbers. */
	if (d->type != CONF_T_DOUBLE)
		return diag_set(dg, "%s: %.0f out of range [%.0f, %.0f]",
		    d->name, x, d->min, d->max);
	return diag_set(dg, "%s: %g out of range [%g, %g]", d->name, x,
	    d->min, d->max);
}

static int
conf_set_bool(bool *b, const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*b = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*b = false;
	else
		return -EINVAL;
	return 0;
}

static int
conf_set_int(struct conf *c, const struct conf_directive *d, const char *v,
    struct diag *dg)
{
	static const double size_mult[] = { 1 << 10, 1 << 10, 1 << 20, 1 << 20,
		1 << 30, 1 << 30 };
	static const double sec_mult[] = { 1, 60, 3600, 86400 };
	char *end;
	double x;
	int rc = 0;

	if (d->type == CONF_T_SIZE)
		rc = conf_number_unit(v, &x, "kKmMgG", size_mult);
	else if (d->type == CONF_T_SECONDS)
		rc = conf_number_unit(v, &x, "smhd", sec_mult);
	else if (d->type == CONF_T_MODE) {
		errno = 0;
		x = strtoul(v, &end, 8);
		if (*end != '\0' || end == v || errno != 0)
			rc = -EINVAL;
	} else {
		errno = 0;
		x = strtod(v, &end);
		if (*end != '\0' || end == v || errno != 0 || !isfinite(x))
			rc = -EINVAL;
		else if (d->type != CONF_T_DOUBLE && x != floor(x))
			rc = -EINVAL;
	}
	if (rc < 0)
		return diag_set(dg, "%s: not a valid value: %s", d->name, v);
	if (d->type == CONF_T_U64) {
		unsigned long long u;

		errno = 0;
		u = strtoull(v, &end, 10);
		if (*end != '\0' || errno != 0 || v[0] == '-')
			return diag_set(dg, "%s: not a valid value: %s",
			    d->name, v);
		*CONF_FIELD(c, d, uint64_t) = u;
		return 0;
	}
	if (d->max > d->min && conf_check_range(d, x, dg) < 0)
		return -EINVAL;
	switch (d->type) {
	case CONF_T_DOUBLE:
		*CONF_FIELD(c, d, double) = x;
		break;
	case CONF_T_SIZE:
	case CONF_T_SECONDS:
		*CONF_FIELD(c, d, uint64_t) = (uint64_t)x;
		break;
	default:
		*CONF_FIELD(c, d, unsigned) = (unsigned)x;
		break;
	}
	return 0;
}

/* Sets one directive from its text value. */
static int
conf_set(struct conf *c, const struct conf_directive *d, const char *v,
    struct diag *dg)
{
	char **s;
	int lvl;

	switch (d->type) {
	case CONF_T_STRING:
		if (*v == '\0')
			return diag_set(dg, "%s: empty value", d->name);
		s = CONF_FIELD(c, d, char *);
		free(*s);
		if ((*s = strdup(v)) == NULL)
			return -ENOMEM;
		return 0;
	case CONF_T_BOOL:
		if (conf_set_bool(CONF_FIELD(c, d, bool), v) < 0)
			return diag_set(dg, "%s: expected yes or no: %s",
			    d->name, v);
		return 0;
	case CONF_T_LEVEL:
		if ((lvl = log_level_parse(v)) < 0)
			return diag_set(dg, "%s: unknown level: %s", d->name,
			    v);
		*CONF_FIELD(c, d, int) = lvl;
		return 0;
	default:
		return conf_set_int(c, d, v, dg);
	}
}

void
conf_defaults(struct conf *c)
{
	struct diag d;

	memset(c, 0, sizeof(*c));
	for (const struct conf_directive *cd = conf_directives; cd->name;
	    cd++)
		if (conf_set(c, cd, cd->def, &d) < 0)
			fatalx("conf: default of %s: %s", cd->name, d.msg);
}

/*
 * Splits one line in place into name and value; returns 0 for a blank or
 * comment line, 1 for a directive, -EINVAL with d set.
 */
static int
conf_split(char *line, char **name, size_t *nlen, char **value,
    struct diag *d)
{
	char *p = line, *v, *out;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*name = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '#')
		p++;
	*nlen = p - *name;
	while (*p == ' ' || *p == '\t')
		p++;
	v = out = p;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			*out++ = *p;
		if (*p != '"')
			return diag_set(d, "unterminated quoted value");
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#')
			return diag_set(d, "text after the quoted value");
		*out = '\0';
	} else {
		char *hash = strchr(p, '#');

		if (hash)
			*hash = '\0';
		out = p + strlen(p);
		while (out > p && (out[-1] == ' ' || out[-1] == '\t'))
			out--;
		*out = '\0';
	}
	*value = v;
	return 1;
}

int
conf_parse(struct conf *c, const char *text, size_t len, const char *fname,
    struct diag *d)
{
	const struct conf_directive *cd;
	char *buf, *line, *next, *name = NULL, *value = NULL;
	size_t nlen;
	unsigned lineno = 0;
	int rc = 0;

	if ((buf = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = buf; line != NULL && rc == 0; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (next == NULL ? line + strlen(line) != buf + len :
		    line + strlen(line) != next - 1) {
			rc = diag_set(d, "%s:%u: NUL byte in the line", fname,
			    lineno);
			break;
		}
		if ((rc = conf_split(line, &name, &nlen, &value, d)) <= 0) {
			if (rc < 0)
				diag_prefix(d, "%s:%u", fname, lineno);
			continue;
		}
		rc = 0;
		if ((cd = conf_find(name, nlen)) == NULL) {
			rc = diag_set(d, "%s:%u: unknown directive: %.*s",
			    fname, lineno, (int)(nlen > 64 ? 64 : nlen), name);
			break;
		}
		if (*value == '\0')
			rc = diag_set(d, "%s: missing value", cd->name);
		else
			rc = conf_set(c, cd, value, d);
		if (rc < 0)
			diag_prefix(d, "%s:%u", fname, lineno);
	}
	free(buf);
	return rc;
}

int
conf_load(struct conf *c, const char *path, struct diag *d)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, rc = 0;

	conf_defaults(c);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		diag_set(d, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nt;

			cap = cap ? cap * 2 : 8192;
			if (cap > (1 << 24)) {
				rc = diag_set(d, "%s: file too large", path);
				goto out;
			}
			if ((nt = realloc(text, cap)) == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			text = nt;
		}
		if ((n = read(fd, text + len, cap - len)) < 0) {
			rc = -errno;
			diag_set(d, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	rc = conf_parse(c, text, len, path, d);
out:
	free(text);
	close(fd);
	return rc;
}

/* Formats one value in the file syntax. */
static void
conf_format(const struct conf *c, const struct conf_directive *d, char *buf,
    size_t sz)
{
	switch (d->type) {
	case CONF_T_STRING:
		snprintf(buf, sz, "%s", *CONF_FIELD(c, d, char *));
		break;
	case CONF_T_BOOL:
		snprintf(buf, sz, "%s", *CONF_FIELD(c, d, bool) ? "yes" : "no");
		break;
	case CONF_T_LEVEL:
		snprintf(buf, sz, "%s",
		    log_level_name(*CONF_FIELD(c, d, int)));
		break;
	case CONF_T_MODE:
		snprintf(buf, sz, "%04o", *CONF_FIELD(c, d, unsigned));
		break;
	case CONF_T_UINT:
		snprintf(buf, sz, "%u", *CONF_FIELD(c, d, unsigned));
		break;
	case CONF_T_U64:
	case CONF_T_SIZE:
	case CONF_T_SECONDS:
		snprintf(buf, sz, "%llu",
		    (unsigned long long)*CONF_FIELD(c, d, uint64_t));
		break;
	case CONF_T_DOUBLE:
		snprintf(buf, sz, "%.17g", *CONF_FIELD(c, d, double));
		break;
	}
}

void
conf_print(const struct conf *c, FILE *f)
{
	char buf[4096];

	for (const struct conf_directive *d = conf_directives; d->name; d++) {
		conf_format(c, d, buf, sizeof(buf));
		/*
		 * Quotes only where the plain form would read back
		 * differently: a '#', or blanks at either end.  A quoted
		 * value cannot hold '"', and a plain one never needs to.
		 */
		if (d->type == CONF_T_STRING && (strchr(buf, '#') != NULL ||
		    buf[0] == ' ' || buf[0] == '\t' || (*buf && strchr(" \t",
		    buf[strlen(buf) - 1]) != NULL)))
			fprintf(f, "%s \"%s\"\n", d->name, buf);
		else
			fprintf(f, "%s %s\n", d->name, buf);
	}
}

bool
conf_same(const struct conf_directive *d, const struct conf *a,
    const struct conf *b)
{
	char va[4096], vb[4096];

	conf_format(a, d, va, sizeof(va));
	conf_format(b, d, vb, sizeof(vb));
	return strcmp(va, vb) == 0;
}

void
conf_free(struct conf *c)
{
	for (const struct conf_directive *d = conf_directives; d->name; d++)
		if (d->type == CONF_T_STRING)
			free(*CONF_FIELD(c, d, char *));
	memset(c, 0, sizeof(*c));
}

int
conf_copy(struct conf *dst, const struct conf *src)
{
	const struct conf_directive *d;

	*dst = *src;
	for (d = conf_directives; d->name; d++)
		if (d->type == CONF_T_STRING)
			*CONF_FIELD(dst, d, char *) = NULL;
	for (d = conf_directives; d->name; d++) {
		const char *s;

		if (d->type != CONF_T_STRING)
			continue;
		s = *CONF_FIELD(src, d, char *);
		if (s != NULL &&
		    (*CONF_FIELD(dst, d, char *) = strdup(s)) == NULL) {
			conf_free(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

int
conf_keep(struct conf *dst, const struct conf *src,
    const struct conf_directive *d)
{
	char **s;

	switch (d->type) {
	case CONF_T_STRING:
		s = CONF_FIELD(dst, d, char *);
		free(*s);
		*s = NULL;
		if (*CONF_FIELD(src, d, char *) != NULL &&
		    (*s = strdup(*CONF_FIELD(src, d, char *))) == NULL)
			return -ENOMEM;
		return 0;
	case CONF_T_BOOL:
		*CONF_FIELD(dst, d, bool) = *CONF_FIELD(src, d, bool);
		return 0;
	case CONF_T_DOUBLE:
		*CONF_FIELD(dst, d, double) = *CONF_FIELD(src, d, double);
		return 0;
	case CONF_T_U64:
	case CONF_T_SIZE:
	case CONF_T_SECONDS:
		*CONF_FIELD(dst, d, uint64_t) = *CONF_FIELD(src, d, uint64_t);
		return 0;
	case CONF_T_LEVEL:
		*CONF_FIELD(dst, d, int) = *CONF_FIELD(src, d, int);
		return 0;
	default:
		*CONF_FIELD(dst, d, unsigned) = *CONF_FIELD(src, d, unsigned);
		return 0;
	}
}
