/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Timed automata: reading one automaton file, checking it whole, and
 * building the count-constrained graph that S2 walks backwards.  Every
 * defect of a file is an error that names the file and the JSON path of
 * the value at fault; nothing in a file can crash the loader or make the
 * walk loop forever.
 *
 * The file format is the one of the TADAM learner (an object with edges,
 * initial_state, accepting_state, protocol, l7protocol, noise, metadata).
 * Extensions and stricter rules, for the profile format documentation:
 *
 *   "iat_unit": "ps" | "ns" | "us" | "ms" | "s"
 *	Unit of the first component of mu and cov (the inter-arrival time).
 *	Default "ns" for TCP and "ps" for UDP and ICMP: the learner scaled
 *	UDP times by 10^6 per microsecond, so its UDP files read as ns put
 *	DNS answers tens of seconds after their query.
 *   "size_includes_l4_header": true | false
 *	Whether the second component of mu (the size) counts the transport
 *	header.  Default true for UDP (the learner used the UDP length) and
 *	false for TCP and ICMP.  When true, 8 bytes (UDP, ICMP) or 20 (TCP)
 *	are taken off the mean size at load.
 *   "noise" and "metadata" may be left out; when present they are
 *	checked (noise: the five numbers; metadata: the types of its members).
 *   Symbols: TCP flags from the letters S A F R U P (C E N are accepted
 *	and ignored); the direction must be ">" or "<"; the kind, when
 *	given, must start with Empty, Replay, Random or Text.  An ICMP symbol
 *	is ">" (echo request) or "<" (echo reply).
 *   State indices may be any value below 4096; "p" must lie in [0, 1];
 *	the size variance of an edge that emits a packet must be positive.
 *	A "Text" payload's "weights" must have as many entries as "content"
 *	and not all be 0.
 *   Payload lengths are at most 65507 bytes for UDP and ICMP, 1 MiB for
 *	TCP.
 *   Edges of count 0 are accepted but never walked.  Every state with
 *	edges into it needs one of positive count, every state with two
 *	or more edges out of it one of positive p, and the accepting state
 *	must be reachable with 1 to cap packets.
 *   A key may appear only once in an object.  The number of states times
 *	(cap + 1)(cap + 2)/2 is at most 2^26 (4096 states at the default
 *	cap of 100 packets).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "automaton.h"

#define AM_PATH 128
#define AM_PATH_EDGE 24
#define AM_PATH_KEY 64
#define AM_TCP_PAYLOAD_MAX (1u << 20)
#define AM_DGRAM_PAYLOAD_MAX 65507u

/* Parsing state for one file. */
struct am_parse {
	struct automaton *am;
	struct diag *d;
	size_t arena_cap;
	uint32_t choices_cap;
};

static int
am_err(struct am_parse *ps, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
am_verr(struct am_parse *ps, const char *path, const char *fmt, va_list ap)
{
	char buf[384];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (path != NULL && *path != '\0')
		return diag_set(ps->d, "%s: %s: %s", ps->am->name, path, buf);
	return diag_set(ps->d, "%s: %s", ps->am->name, buf);
}

static int
am_err(struct am_parse *ps, const char *path, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = am_verr(ps, path, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Entry i of the list key of the object at path.  Payload lists run to
 * millions of entries in a large profile, so the JSON path of an entry
 * is only written out when there is an error to report.
 */
struct am_entry {
	const char *path;
	const char *key;
	size_t i;
};

static int
am_erre(struct am_parse *ps, const struct am_entry *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
am_erre(struct am_parse *ps, const struct am_entry *at, const char *fmt, ...)
{
	char p[AM_PATH];
	va_list ap;
	int rc;

	snprintf(p, sizeof(p), "%s.%s[%zu]", at->path, at->key, at->i);
	va_start(ap, fmt);
	rc = am_verr(ps, p, fmt, ap);
	va_end(ap);
	return rc;
}

/* As am_err, for the member key of the object at path. */
static int
am_errk(struct am_parse *ps, const char *path, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
am_errk(struct am_parse *ps, const char *path, const char *key,
    const char *fmt, ...)
{
	char buf[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (path != NULL && *path != '\0')
		return diag_set(ps->d, "%s: %s.%s: %s", ps->am->name, path, key,
		    buf);
	return diag_set(ps->d, "%s: %s: %s", ps->am->name, key, buf);
}

static json_t *
am_member(struct am_parse *ps, json_t *obj, const char *path, const char *key,
    int *rc)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		*rc = am_err(ps, path, "missing key \"%s\"", key);
	return v;
}

/* A required integer member in [0, max]. */
static int
am_uint(struct am_parse *ps, json_t *obj, const char *path, const char *key,
    uint64_t max, uint64_t *out)
{
	json_t *v;
	json_int_t x;
	int rc = 0;

	if ((v = am_member(ps, obj, path, key, &rc)) == NULL)
		return rc;
	if (!json_is_integer(v))
		return am_errk(ps, path, key, "expected an integer");
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > max)
		return am_errk(ps, path, key, "%lld is out of range 0..%llu",
		    (long long)x, (unsigned long long)max);
	*out = (uint64_t)x;
	return 0;
}

static int
am_finite(struct am_parse *ps, json_t *v, const char *path, double *out)
{
	if (!json_is_number(v))
		return am_err(ps, path, "expected a number");
	*out = json_number_value(v);
	if (!isfinite(*out))
		return am_err(ps, path, "not a finite number");
	return 0;
}

/* Appends bytes to the arena; returns their offset through *off. */
static int
am_arena_put(struct am_parse *ps, size_t n, uint8_t **dst, uint32_t *off)
{
	struct automaton *am = ps->am;

	if (am->arena_len + n > UINT32_MAX)
		return -ENOMEM;
	/* Even an empty payload gets a real address. */
	if (am->arena == NULL || am->arena_len + n > ps->arena_cap) {
		size_t cap = ps->arena_cap ? ps->arena_cap : 4096;
		uint8_t *p;

		while (cap < am->arena_len + n)
			cap *= 2;
		if ((p = realloc(am->arena, cap)) == NULL)
			return -ENOMEM;
		am->arena = p;
		ps->arena_cap = cap;
	}
	*dst = am->arena + am->arena_len;
	*off = (uint32_t)am->arena_len;
	am->arena_len += n;
	return 0;
}

static int
am_choice_add(struct am_parse *ps, uint32_t off, uint32_t len)
{
	struct automaton *am = ps->am;

	if (am->nchoices == ps->choices_cap) {
		uint32_t cap = ps->choices_cap ? ps->choices_cap * 2 : 256;
		uint32_t *o, *l;

		if (cap < ps->choices_cap)
			return -ENOMEM;
		o = realloc(am->choice_off, cap * sizeof(*o));
		if (o == NULL)
			return -ENOMEM;
		am->choice_off = o;
		l = realloc(am->choice_len, cap * sizeof(*l));
		if (l == NULL)
			return -ENOMEM;
		am->choice_len = l;
		ps->choices_cap = cap;
	}
	am->choice_off[am->nchoices] = off;
	am->choice_len[am->nchoices] = len;
	am->nchoices++;
	return 0;
}

/* One more than the value of each hex digit, so that 0 marks the rest. */
static const uint8_t am_hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * Checks and decodes pairs of hex digits into dst (when not NULL).  Most
 * of a large profile's bytes are hex payloads, so this is one pass over
 * the text; it returns the offset of the first bad digit, or n.
 */
static size_t
am_unhex(const char *h, size_t n, uint8_t *dst)
{
	const unsigned char *u = (const unsigned char *)h;
	int hi, lo;

	for (size_t i = 0; i < n; i += 2) {
		hi = am_hexval1[u[i]] - 1;
		lo = am_hexval1[u[i + 1]] - 1;
		if (hi < 0)
			return i;
		if (lo < 0)
			return i + 1;
		if (dst != NULL)
			dst[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

/* One HexCodes entry: checked always, stored when keep is set. */
static int
am_hex(struct am_parse *ps, json_t *s, const struct am_entry *at,
    uint32_t max, bool keep)
{
	const char *h;
	size_t n, bad;
	uint8_t *dst = NULL;
	uint32_t off = 0;
	int rc;

	if (!json_is_string(s))
		return am_erre(ps, at, "expected a string of hex digits");
	h = json_string_value(s);
	n = json_string_length(s);
	if (n % 2 != 0)
		return am_erre(ps, at, "odd number of hex digits (%zu)", n);
	if (n / 2 > max)
		return am_erre(ps, at, "payload of %zu bytes exceeds %u",
		    n / 2, max);
	/* The arena only grows; a failed parse frees it whole. */
	if (keep && (rc = am_arena_put(ps, n / 2, &dst, &off)) != 0)
		return rc;
	if ((bad = am_unhex(h, n, dst)) != n)
		return am_erre(ps, at, "not a hex digit at offset %zu", bad);
	if (!keep)
		return 0;
	return am_choice_add(ps, off, (uint32_t)(n / 2));
}

static int
am_text(struct am_parse *ps, json_t *s, const struct am_entry *at,
    uint32_t max, bool keep)
{
	uint8_t *dst = NULL;
	uint32_t off = 0;
	size_t n;
	int rc;

	if (!json_is_string(s))
		return am_erre(ps, at, "expected a string");
	n = json_string_length(s);
	if (n > max)
		return am_erre(ps, at, "payload of %zu bytes exceeds %u", n,
		    max);
	if (!keep)
		return 0;
	if ((rc = am_arena_put(ps, n, &dst, &off)) != 0)
		return rc;
	memcpy(dst, json_string_value(s), n);
	return am_choice_add(ps, off, (uint32_t)n);
}

static int
am_length(struct am_parse *ps, json_t *v, const struct am_entry *at,
    uint32_t max, bool keep)
{
	json_int_t x;

	if (!json_is_integer(v))
		return am_erre(ps, at, "expected an integer");
	x = json_integer_value(v);
	if (x < 0 || x > (json_int_t)max)
		return am_erre(ps, at, "length %lld is out of range 0..%u",
		    (long long)x, max);
	return keep ? am_choice_add(ps, 0, (uint32_t)x) : 0;
}

/* Text weights: one non-negative integer per content entry, not all 0. */
static int
am_weights(struct am_parse *ps, json_t *w, const char *path,
    struct automaton_edge *ed, bool keep)
{
	char p[AM_PATH];
	double *wt = NULL;
	size_t n;
	int rc = 0;

	if (!json_is_array(w))
		return am_errk(ps, path, "weights", "expected an array");
	n = json_array_size(w);
	if (n != ed->nchoice)
		return am_errk(ps, path, "weights", "%zu entries for %u in "
		    "content", n, ed->nchoice);
	if (!keep || n == 0)
		return 0;
	if ((wt = calloc(n, sizeof(*wt))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(w, i);

		snprintf(p, sizeof(p), "%s.weights[%zu]", path, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rc = am_err(ps, p, "expected a non-negative integer");
			goto out;
		}
		wt[i] = (double)json_integer_value(v);
	}
	if ((ed->weights = calloc(1, sizeof(*ed->weights))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = dist_init(ed->weights, wt, (uint32_t)n)) == -EINVAL)
		rc = am_errk(ps, path, "weights", "all 0");
out:
	free(wt);
	return rc;
}

/*
 * A payload object.  For an epsilon edge (keep false) only its shape is
 * checked: such an edge sends nothing, so an empty list is harmless.
 */
static int
am_payload(struct am_parse *ps, json_t *pl, const char *path,
    struct automaton_edge *ed, bool keep)
{
	struct am_entry at;
	const char *type, *key;
	json_t *list, *t;
	uint32_t max;
	int rc = 0, kind;
	size_t i;

	if (!json_is_object(pl))
		return am_err(ps, path, "expected an object");
	if ((t = am_member(ps, pl, path, "type", &rc)) == NULL)
		return rc;
	if (!json_is_string(t))
		return am_errk(ps, path, "type", "expected a string");
	type = json_string_value(t);
	ed->pl = AUTOMATON_PL_NONE;
	if (strcmp(type, "NoPayload") == 0)
		return 0;
	if (strcmp(type, "HexCodes") == 0)
		kind = 0, key = "content";
	else if (strcmp(type, "Text") == 0)
		kind = 1, key = "content";
	else if (strcmp(type, "Lengths") == 0)
		kind = 2, key = "lengths";
	else
		return am_errk(ps, path, "type", "unknown payload type \"%s\"",
		    type);

	if ((list = am_member(ps, pl, path, key, &rc)) == NULL)
		return rc;
	if (!json_is_array(list))
		return am_errk(ps, path, key, "expected an array");
	if (keep && json_array_size(list) == 0)
		return am_errk(ps, path, key, "empty list");
	if (json_array_size(list) > UINT32_MAX / 2)
		return am_errk(ps, path, key, "too many entries");
	max = ps->am->l4 == L4_TCP ? AM_TCP_PAYLOAD_MAX : AM_DGRAM_PAYLOAD_MAX;
	ed->first = ps->am->nchoices;
	at.path = path;
	at.key = key;
	json_array_foreach(list, i, t) {
		at.i = i;
		if (kind == 0)
			rc = am_hex(ps, t, &at, max, keep);
		else if (kind == 1)
			rc = am_text(ps, t, &at, max, keep);
		else
			rc = am_length(ps, t, &at, max, keep);
		if (rc != 0)
			return rc;
	}
	ed->nchoice = (uint32_t)json_array_size(list);
	ed->pl = kind == 2 ? AUTOMATON_PL_LENGTHS : AUTOMATON_PL_BYTES;
	if (kind == 1 && (t = json_object_get(pl, "weights")) != NULL)
		rc = am_weights(ps, t, path, ed, keep);
	if (!keep) {
		ed->pl = AUTOMATON_PL_NONE;
		ed->nchoice = 0;
	}
	return rc;
}

static bool
am_kind_ok(const char *k)
{
	static const char *const kinds[] = { "Empty", "Replay", "Random",
		"Text" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(k, kinds[i], strlen(kinds[i])) == 0)
			return true;
	return false;
}

/* "FLAGS_DIR_KIND" (TCP), "DIR_KIND" (UDP), "DIR" (ICMP) or "$". */
static int
am_symbol(struct am_parse *ps, const char *sym, const char *path,
    struct automaton_edge *ed)
{
	const char *dir = sym, *us;

	if (strcmp(sym, "$") == 0) {
		ed->eps = true;
		return 0;
	}
	if (ps->am->l4 == L4_TCP) {
		if ((us = strchr(sym, '_')) == NULL)
			return am_err(ps, path,
			    "\"%s\": expected FLAGS_DIR_KIND", sym);
		for (const char *c = sym; c < us; c++) {
			const char *fl = "FSRPAU", *at = strchr(fl, *c);

			if (at != NULL && *at != '\0')
				ed->tcp_flags |= (uint8_t)(1u << (at - fl));
			else if (*c != 'C' && *c != 'E' && *c != 'N')
				return am_err(ps, path,
				    "\"%s\": unknown TCP flag '%c'", sym, *c);
		}
		dir = us + 1;
	}
	if ((dir[0] != '>' && dir[0] != '<') ||
	    (dir[1] != '\0' && dir[1] != '_') ||
	    (ps->am->l4 == L4_ICMP && dir[1] != '\0'))
		return am_err(ps, path, "\"%s\": direction must be \">\" or "
		    "\"<\"", sym);
	ed->dir = dir[0] == '>' ? DIR_FWD : DIR_BWD;
	if (dir[1] == '_' && !am_kind_ok(dir + 2))
		return am_err(ps, path, "\"%s\": unknown kind \"%s\"", sym,
		    dir + 2);
	return 0;
}

/* mu: two numbers; cov: at least 2x2 numbers. */
static int
am_gauss(struct am_parse *ps, json_t *e, const char *path, double mu[2],
    double cov[2][2])
{
	char p[AM_PATH];
	json_t *m, *c;
	int rc = 0;

	if ((m = am_member(ps, e, path, "mu", &rc)) == NULL)
		return rc;
	if (!json_is_array(m) || json_array_size(m) != 2)
		return am_errk(ps, path, "mu",
		    "expected an array of 2 numbers");
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s.mu[%zu]", path, i);
		if ((rc = am_finite(ps, json_array_get(m, i), p, &mu[i])) != 0)
			return rc;
	}
	if ((c = am_member(ps, e, path, "cov", &rc)) == NULL)
		return rc;
	if (!json_is_array(c) || json_array_size(c) < 2)
		return am_errk(ps, path, "cov", "expected a 2x2 array");
	for (size_t i = 0; i < 2; i++) {
		json_t *row = json_array_get(c, i);

		if (!json_is_array(row) || json_array_size(row) < 2)
			return am_errk(ps, path, "cov", "expected a 2x2 array");
		for (size_t j = 0; j < 2; j++) {
			snprintf(p, sizeof(p), "%s.cov[%zu][%zu]", path, i, j);
			rc = am_finite(ps, json_array_get(row, j), p,
			    &cov[i][j]);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* Unit conversion and the conditional normal of one emitting edge. */
static int
am_timing(struct am_parse *ps, const char *path, struct automaton_edge *ed,
    const double mu[2], const double cov[2][2])
{
	struct automaton *am = ps->am;
	double hdr = 0.0, v;

	if (ed->eps)
		return 0;
	if (!(cov[1][1] > 0.0))
		return am_errk(ps, path, "cov[1][1]", "size variance %g is not "
		    "positive", cov[1][1]);
	if (am->size_has_header)
		hdr = am->l4 == L4_TCP ? 20.0 : 8.0;
	v = cov[0][0] - cov[0][1] * cov[0][1] / cov[1][1];
	if (!(v > 0.0))
		v = 0.0;
	ed->size_mean = mu[1] - hdr;
	ed->iat_mean = mu[0] * am->iat_scale;
	ed->iat_slope = cov[0][1] / cov[1][1] * am->iat_scale;
	ed->iat_sd = sqrt(v) * am->iat_scale;
	if (!isfinite(ed->iat_slope) || !isfinite(ed->iat_sd) ||
	    !isfinite(ed->iat_mean))
		return am_errk(ps, path, "cov", "IAT out of range");
	return 0;
}

static int
am_edge(struct am_parse *ps, json_t *e, uint32_t i)
{
	struct automaton_edge *ed = &ps->am->edges[i];
	double mu[2], cov[2][2], p;
	char path[AM_PATH_EDGE], sp[AM_PATH_KEY];
	uint64_t v;
	json_t *t;
	int rc = 0;

	snprintf(path, sizeof(path), "edges[%u]", i);
	if (!json_is_object(e))
		return am_err(ps, path, "expected an object");
	if ((rc = am_uint(ps, e, path, "src", AUTOMATON_STATES_MAX - 1,
	    &v)) != 0)
		return rc;
	ed->src = (uint32_t)v;
	if ((rc = am_uint(ps, e, path, "dst", AUTOMATON_STATES_MAX - 1,
	    &v)) != 0)
		return rc;
	ed->dst = (uint32_t)v;
	if ((rc = am_uint(ps, e, path, "count", UINT32_MAX, &v)) != 0)
		return rc;
	ed->count = (uint32_t)v;

	snprintf(sp, sizeof(sp), "%s.p", path);
	if ((t = am_member(ps, e, path, "p", &rc)) == NULL)
		return rc;
	if ((rc = am_finite(ps, t, sp, &p)) != 0)
		return rc;
	if (p < 0.0 || p > 1.0 + 1e-6)
		return am_err(ps, sp, "%g is not a probability", p);
	ed->p = (float)p;

	snprintf(sp, sizeof(sp), "%s.symbol", path);
	if ((t = am_member(ps, e, path, "symbol", &rc)) == NULL)
		return rc;
	if (!json_is_string(t))
		return am_err(ps, sp, "expected a string");
	if ((rc = am_symbol(ps, json_string_value(t), sp, ed)) != 0)
		return rc;

	if ((rc = am_gauss(ps, e, path, mu, cov)) != 0)
		return rc;
	if ((rc = am_timing(ps, path, ed, mu, cov)) != 0)
		return rc;
	snprintf(sp, sizeof(sp), "%s.payloads", path);
	if ((t = am_member(ps, e, path, "payloads", &rc)) == NULL)
		return rc;
	return am_payload(ps, t, sp, ed, !ed->eps);
}

static int
am_protocols(struct am_parse *ps, json_t *root)
{
	const char *s;
	json_t *v;
	int rc = 0;

	if ((v = am_member(ps, root, "", "protocol", &rc)) == NULL)
		return rc;
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "TCP") == 0)
		ps->am->l4 = L4_TCP;
	else if (strcmp(s, "UDP") == 0)
		ps->am->l4 = L4_UDP;
	else if (strcmp(s, "ICMP") == 0)
		ps->am->l4 = L4_ICMP;
	else
		return am_err(ps, "protocol", "expected \"TCP\", \"UDP\" or "
		    "\"ICMP\"");
	if ((v = am_member(ps, root, "", "l7protocol", &rc)) == NULL)
		return rc;
	if (!json_is_string(v))
		return am_err(ps, "l7protocol", "expected a string");
	ps->am->l7 = (uint8_t)l7_parse(json_string_value(v));
	if (ps->am->l7 == L7_NONE)
		return am_err(ps, "l7protocol", "unknown protocol \"%s\"",
		    json_string_value(v));
	return 0;
}

/* The optional extensions: IAT unit and what the size counts. */
static int
am_units(struct am_parse *ps, json_t *root)
{
	static const struct {
		const char *name;
		double scale;
	} units[] = { { "ps", 1e-3 }, { "ns", 1.0 }, { "us", 1e3 },
		{ "ms", 1e6 }, { "s", 1e9 } };
	struct automaton *am = ps->am;
	json_t *v;
	size_t i;

	am->iat_scale = am->l4 == L4_TCP ? 1.0 : 1e-3;
	am->size_has_header = am->l4 == L4_UDP;
	if ((v = json_object_get(root, "iat_unit")) != NULL) {
		const char *u = json_is_string(v) ? json_string_value(v) : "";

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(u, units[i].name) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return am_err(ps, "iat_unit", "expected \"ps\", "
			    "\"ns\", \"us\", \"ms\" or \"s\"");
		am->iat_scale = units[i].scale;
	}
	if ((v = json_object_get(root, "size_includes_l4_header")) != NULL) {
		if (!json_is_boolean(v))
			return am_err(ps, "size_includes_l4_header",
			    "expected true or false");
		am->size_has_header = json_is_true(v);
	}
	return 0;
}

/* noise and metadata are not used, but a present one must be sound. */
static int
am_extras(struct am_parse *ps, json_t *root)
{
	static const char *const noise[] = { "none", "deletion", "reemission",
		"transposition", "addition" };
	static const char *const strs[] = { "input_file", "creation_time",
		"automaton_name" };
	static const char *const ports[] = { "select_dst_ports",
		"ignore_dst_ports" };
	char p[AM_PATH];
	json_t *v, *m, *x;
	size_t i, j;
	double d;
	int rc;

	if ((v = json_object_get(root, "noise")) != NULL) {
		if (!json_is_object(v))
			return am_err(ps, "noise", "expected an object");
		for (i = 0; i < 5; i++) {
			snprintf(p, sizeof(p), "noise.%s", noise[i]);
			if ((m = json_object_get(v, noise[i])) == NULL)
				return am_err(ps, "noise", "missing key \"%s\"",
				    noise[i]);
			if ((rc = am_finite(ps, m, p, &d)) != 0)
				return rc;
		}
	}
	if ((v = json_object_get(root, "metadata")) == NULL)
		return 0;
	if (!json_is_object(v))
		return am_err(ps, "metadata", "expected an object");
	for (i = 0; i < 3; i++)
		if ((m = json_object_get(v, strs[i])) != NULL &&
		    !json_is_string(m))
			return am_errk(ps, "metadata", strs[i],
			    "expected a string");
	for (i = 0; i < 2; i++) {
		if ((m = json_object_get(v, ports[i])) == NULL)
			continue;
		if (!json_is_array(m))
			return am_errk(ps, "metadata", ports[i],
			    "expected an array");
		json_array_foreach(m, j, x)
			if (!json_is_integer(x) || json_integer_value(x) < 0 ||
			    json_integer_value(x) > 65535)
				return am_errk(ps, "metadata", ports[i],
				    "entry %zu: expected a port number", j);
	}
	return 0;
}

/* Checks that need every edge: sizes, in-counts, out-probabilities. */
static int
am_states(struct am_parse *ps)
{
	struct automaton *am = ps->am;
	uint32_t n = 0, *nin = NULL, *nout = NULL;
	uint64_t *cin = NULL;
	double *pout = NULL;
	int rc = -ENOMEM;

	n = am->initial > am->accepting ? am->initial : am->accepting;
	for (uint32_t i = 0; i < am->nedges; i++) {
		if (am->edges[i].src > n)
			n = am->edges[i].src;
		if (am->edges[i].dst > n)
			n = am->edges[i].dst;
	}
	am->nstates = n + 1;
	nin = calloc(am->nstates, sizeof(*nin));
	nout = calloc(am->nstates, sizeof(*nout));
	cin = calloc(am->nstates, sizeof(*cin));
	pout = calloc(am->nstates, sizeof(*pout));
	if (!nin || !nout || !cin || !pout)
		goto out;
	for (uint32_t i = 0; i < am->nedges; i++) {
		const struct automaton_edge *e = &am->edges[i];

		nin[e->dst]++;
		cin[e->dst] += e->count;
		nout[e->src]++;
		pout[e->src] += e->p;
	}
	rc = 0;
	for (uint32_t s = 0; s < am->nstates && rc == 0; s++) {
		if (nin[s] > 0 && cin[s] == 0)
			rc = am_err(ps, "edges", "every edge into state %u has "
			    "count 0", s);
		else if (nout[s] > 1 && pout[s] <= 0.0)
			rc = am_err(ps, "edges", "every edge out of state %u "
			    "has p 0", s);
	}
out:
	free(nin);
	free(nout);
	free(cin);
	free(pout);
	return rc;
}

static int
am_parse_root(struct am_parse *ps, json_t *root)
{
	struct automaton *am = ps->am;
	json_t *edges, *e;
	uint64_t v;
	size_t i;
	int rc = 0;

	if (!json_is_object(root))
		return am_err(ps, NULL, "expected a JSON object");
	if ((rc = am_protocols(ps, root)) != 0 ||
	    (rc = am_units(ps, root)) != 0 ||
	    (rc = am_extras(ps, root)) != 0)
		return rc;
	if ((rc = am_uint(ps, root, "", "initial_state",
	    AUTOMATON_STATES_MAX - 1, &v)) != 0)
		return rc;
	am->initial = (uint32_t)v;
	if ((rc = am_uint(ps, root, "", "accepting_state",
	    AUTOMATON_STATES_MAX - 1, &v)) != 0)
		return rc;
	am->accepting = (uint32_t)v;

	if ((edges = am_member(ps, root, "", "edges", &rc)) == NULL)
		return rc;
	if (!json_is_array(edges) || json_array_size(edges) == 0)
		return am_err(ps, "edges", "expected a non-empty array");
	if (json_array_size(edges) > UINT16_MAX)
		return am_err(ps, "edges", "more than %u edges", UINT16_MAX);
	am->nedges = (uint32_t)json_array_size(edges);
	if ((am->edges = calloc(am->nedges, sizeof(*am->edges))) == NULL)
		return -ENOMEM;
	json_array_foreach(edges, i, e)
		if ((rc = am_edge(ps, e, (uint32_t)i)) != 0)
			return rc;
	return am_states(ps);
}

/* automaton_in keeps a state index in 16 bits. */
_Static_assert(AUTOMATON_STATES_MAX <= UINT16_MAX + 1, "state index width");

/* Per state: in-edges of positive count with their alias table. */
static int
am_state_ins(struct automaton *am)
{
	uint32_t *fill = NULL;
	double *w = NULL;
	int rc = -ENOMEM;

	am->in_first = calloc(am->nstates + 1, sizeof(*am->in_first));
	am->ins = malloc((am->nedges + 1) * sizeof(*am->ins));
	fill = calloc(am->nstates + 1, sizeof(*fill));
	w = malloc((am->nedges + 1) * sizeof(*w));
	if (!am->in_first || !am->ins || !fill || !w)
		goto out;
	for (uint32_t i = 0; i < am->nedges; i++)
		if (am->edges[i].count > 0)
			am->in_first[am->edges[i].dst + 1]++;
	for (uint32_t s = 0; s < am->nstates; s++)
		am->in_first[s + 1] += am->in_first[s];
	memcpy(fill, am->in_first, am->nstates * sizeof(*fill));
	for (uint32_t i = 0; i < am->nedges; i++) {
		const struct automaton_edge *e = &am->edges[i];
		struct automaton_in *in;

		if (e->count == 0)
			continue;
		in = &am->ins[fill[e->dst]++];
		in->edge = i;
		in->src = (uint16_t)e->src;
		in->step = e->eps ? AUTOMATON_STEP_EPS : e->dir == DIR_FWD ?
		    AUTOMATON_STEP_FWD : AUTOMATON_STEP_BWD;
		in->combo = (uint8_t)AUTOMATON_COMBO(e->tcp_flags);
	}

	for (uint32_t s = 0; s < am->nstates; s++) {
		struct automaton_in *in = &am->ins[am->in_first[s]];
		uint32_t n = am->in_first[s + 1] - am->in_first[s];
		struct dist dt;

		if (n == 0)
			continue;
		for (uint32_t k = 0; k < n; k++)
			w[k] = am->edges[in[k].edge].count;
		if (dist_init(&dt, w, n) != 0)
			goto out;
		for (uint32_t k = 0; k < n; k++) {
			double t = ldexp(dt.prob[k], 32);

			in[k].thr = t >= 4294967295.0 ? UINT32_MAX :
			    (uint32_t)t;
			in[k].alias = dt.alias[k];
		}
		dist_free(&dt);
	}
	rc = 0;
out:
	free(fill);
	free(w);
	return rc;
}

/* The combinations c | e for c in mask: what an edge adds to its paths. */
static uint8_t
am_combine(uint8_t mask, unsigned e)
{
	uint8_t out = 0;

	for (unsigned c = 0; c < 4; c++)
		if (mask & (1u << c))
			out |= (uint8_t)(1u << (c | e));
	return out;
}

/*
 * Working lists for filling the cells, every cell visiting every edge of
 * positive count: epsilon edges as out-lists per state, for the closure
 * in a cell, and emitting edges as compact in-lists per state and
 * direction, so that the inner loop reads neither the full edge records
 * nor edges that cannot lead into the cell.
 */
struct am_emit {
	uint32_t src;
	uint32_t combo;          /* AUTOMATON_COMBO of the edge's flags */
};

struct am_build {
	uint32_t *first;         /* nstates + 1 */
	uint32_t *to;
	uint32_t *queue;         /* 4 * nstates: a state grows 4 times */
	/* In-edges of state s: forward in [2s, 2s + 1), backward after. */
	uint32_t *em_first;      /* 2 * nstates + 1 */
	struct am_emit *em;
	uint8_t comb[4][16];     /* am_combine(mask, combo), by combo */
};

/* Slot of an emitting edge in em_first: by destination, then direction. */
static uint32_t
am_emit_slot(const struct automaton_edge *e)
{
	return 2 * e->dst + (e->dir == DIR_FWD ? 0 : 1);
}

static int
am_build_emit(struct am_build *bd, const struct automaton *am)
{
	uint32_t *fill;

	bd->em_first = calloc(2 * (size_t)am->nstates + 1,
	    sizeof(*bd->em_first));
	bd->em = malloc((am->nedges + 1) * sizeof(*bd->em));
	fill = malloc((2 * (size_t)am->nstates + 1) * sizeof(*fill));
	if (!bd->em_first || !bd->em || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < am->nedges; i++)
		if (!am->edges[i].eps && am->edges[i].count > 0)
			bd->em_first[am_emit_slot(&am->edges[i]) + 1]++;
	for (uint32_t k = 0; k < 2 * am->nstates; k++)
		bd->em_first[k + 1] += bd->em_first[k];
	memcpy(fill, bd->em_first, 2 * (size_t)am->nstates * sizeof(*fill));
	for (uint32_t i = 0; i < am->nedges; i++) {
		const struct automaton_edge *e = &am->edges[i];

		if (e->eps || e->count == 0)
			continue;
		bd->em[fill[am_emit_slot(e)]++] = (struct am_emit){ e->src,
		    AUTOMATON_COMBO(e->tcp_flags) };
	}
	free(fill);
	for (unsigned e = 0; e < 4; e++)
		for (unsigned m = 0; m < 16; m++)
			bd->comb[e][m] = am_combine((uint8_t)m, e);
	return 0;
}

static int
am_build_init(struct am_build *bd, const struct automaton *am)
{
	bd->first = calloc(am->nstates + 1, sizeof(*bd->first));
	bd->to = malloc((am->nedges + 1) * sizeof(*bd->to));
	bd->queue = malloc(4 * (size_t)am->nstates * sizeof(*bd->queue));
	if (!bd->first || !bd->to || !bd->queue)
		return -ENOMEM;
	for (uint32_t i = 0; i < am->nedges; i++)
		if (am->edges[i].eps && am->edges[i].count > 0)
			bd->first[am->edges[i].src + 1]++;
	for (uint32_t s = 0; s < am->nstates; s++)
		bd->first[s + 1] += bd->first[s];
	/* The queue is free until the first cell: fill pointers go there. */
	memcpy(bd->queue, bd->first, am->nstates * sizeof(*bd->queue));
	for (uint32_t i = 0; i < am->nedges; i++) {
		const struct automaton_edge *e = &am->edges[i];

		if (e->eps && e->count > 0)
			bd->to[bd->queue[e->src]++] = e->dst;
	}
	return am_build_emit(bd, am);
}

static void
am_build_free(struct am_build *bd)
{
	free(bd->first);
	free(bd->to);
	free(bd->queue);
	free(bd->em_first);
	free(bd->em);
}

/*
 * What the emitting edges in em[k0, k1) bring into a cell from the cell
 * before it, column c of the source states (already final).
 */
static uint8_t
am_emit_into(const struct am_build *bd, const uint8_t *ends, size_t nc,
    uint32_t c, uint32_t k0, uint32_t k1)
{
	uint8_t m = 0;

	for (uint32_t k = k0; k < k1; k++)
		m |= bd->comb[bd->em[k].combo][ends[bd->em[k].src * nc + c]];
	return m;
}

/*
 * One cell (f, b) of every state: first what emitting edges bring from
 * the cells before (already final), then the closure over the epsilon
 * edges, which keep the cell and add no FIN or RST.
 */
static void
am_cell(struct automaton *am, struct am_build *bd, uint32_t f, uint32_t b)
{
	uint32_t c = automaton_cell(am, f, b), head = 0, tail = 0;
	/* The cells one forward or one backward packet before this one. */
	uint32_t cf = f > 0 ? automaton_cell(am, f - 1, b) : 0;
	uint32_t cb = b > 0 ? automaton_cell(am, f, b - 1) : 0;
	const uint32_t *ef = bd->em_first;
	uint8_t *ends = am->ends;
	size_t nc = am->ncells;

	for (uint32_t s = 0; s < am->nstates; s++) {
		uint8_t m = ends[s * nc + c];

		if (f > 0)
			m |= am_emit_into(bd, ends, nc, cf, ef[2 * s],
			    ef[2 * s + 1]);
		if (b > 0)
			m |= am_emit_into(bd, ends, nc, cb, ef[2 * s + 1],
			    ef[2 * s + 2]);
		ends[s * nc + c] = m;
		if (m != 0)
			bd->queue[tail++] = s;
	}
	while (head < tail) {
		uint32_t s = bd->queue[head++];

		for (uint32_t k = bd->first[s]; k < bd->first[s + 1]; k++) {
			uint8_t *t = &ends[bd->to[k] * nc + c];

			if ((*t | ends[s * nc + c]) != *t) {
				*t |= ends[s * nc + c];
				bd->queue[tail++] = bd->to[k];
			}
		}
	}
}

/* The end points, column by column, for every class. */
static int
am_points(struct automaton *am)
{
	static const uint8_t cls[4] = { AUTOMATON_END_ANY, AUTOMATON_END_FIN,
		AUTOMATON_END_RST, AUTOMATON_END_OPEN };

	for (int c = 0; c < 4; c++) {
		struct automaton_points *pt = &am->points[c];
		uint32_t n = 0;

		pt->col = calloc(am->cap + 2, sizeof(*pt->col));
		pt->b = malloc(am->ncells * sizeof(*pt->b));
		if (!pt->col || !pt->b)
			return -ENOMEM;
		for (uint32_t f = 0; f <= am->cap; f++) {
			pt->col[f] = n;
			for (uint32_t b = f == 0; f + b <= am->cap; b++)
				if (automaton_ends(am, am->accepting, f, b) &
				    cls[c])
					pt->b[n++] = (uint16_t)b;
		}
		pt->col[am->cap + 1] = n;
		pt->n = n;
	}
	return 0;
}

/*
 * Reachability from (initial, 0, 0) cell by cell in order of f + b, so
 * that emitting edges only ever read settled cells.
 */
static int
am_graph(struct am_parse *ps)
{
	struct automaton *am = ps->am;
	struct am_build bd = { 0 };
	size_t total;
	int rc;

	am->ncells = (am->cap + 1) * (am->cap + 2) / 2;
	total = (size_t)am->nstates * am->ncells;
	if (total > AUTOMATON_GRAPH_MAX)
		return am_err(ps, NULL, "%u states are too many for %u packets "
		    "per flow", am->nstates, am->cap);
	if ((am->ends = calloc(total, 1)) == NULL ||
	    (rc = am_state_ins(am)) != 0 ||
	    (rc = am_build_init(&bd, am)) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	am->ends[(size_t)am->initial * am->ncells] = 1;
	for (uint32_t l = 0; l <= am->cap; l++)
		for (uint32_t f = 0; f <= l; f++)
			am_cell(am, &bd, f, l - f);
	/* Whatever leads back into the root, the walk stops there. */
	am->ends[(size_t)am->initial * am->ncells] = 1;
	for (size_t i = 0; i < total; i++)
		am->nnodes += am->ends[i] != 0;
	if ((rc = am_points(am)) != 0)
		goto out;
	if (am->points[0].n == 0)
		rc = am_err(ps, NULL, "no path from state %u to accepting "
		    "state %u emits between 1 and %u packets", am->initial,
		    am->accepting, am->cap);
out:
	am_build_free(&bd);
	return rc;
}

int
automaton_parse(struct automaton **out, const char *name, const char *text,
    size_t len, uint32_t cap, struct diag *d)
{
	struct am_parse ps = { .d = d };
	struct automaton *am;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (cap == 0 || cap > AUTOMATON_CAP_MAX)
		return diag_set(d, "%s: %u packets per flow is out of range "
		    "1..%u", name, cap, AUTOMATON_CAP_MAX);
	if ((am = calloc(1, sizeof(*am))) == NULL ||
	    (am->name = strdup(name)) == NULL)
		goto out;
	am->cap = cap;
	ps.am = am;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = diag_set(d, "%s: line %d column %d: %s", name, jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if ((rc = am_parse_root(&ps, root)) != 0 || (rc = am_graph(&ps)) != 0)
		goto out;
	*out = am;
	am = NULL;
out:
	if (rc == -ENOMEM)
		diag_set(d, "%s: out of memory", name);
	json_decref(root);
	automaton_free(am);
	return rc;
}

void
automaton_free(struct automaton *am)
{
	if (am == NULL)
		return;
	for (int c = 0; c < 4; c++) {
		free(am->points[c].col);
		free(am->points[c].b);
	}
	for (uint32_t i = 0; am->edges != NULL && i < am->nedges; i++) {
		if (am->edges[i].weights != NULL)
			dist_free(am->edges[i].weights);
		free(am->edges[i].weights);
	}
	free(am->ends);
	free(am->in_first);
	free(am->ins);
	free(am->edges);
	free(am->arena);
	free(am->choice_off);
	free(am->choice_len);
	free(am->name);
	free(am);
}

uint8_t
automaton_point(const struct automaton *am, uint32_t f, uint32_t b)
{
	if (f + b == 0 || f > am->cap || b > am->cap - f)
		return 0;
	return automaton_ends(am, am->accepting, f, b);
}
