/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * time_profile.json: how many flows start in each slice of an average
 * day.  The file comes from a learning script, so it is checked as closely
 * as a hand-written one: every bin must be a JSON integer (a float such as
 * 425.0 is refused, as Fos-R refuses it), none negative, at least one
 * above zero, and the optional metadata must have the documented types.
 * Unknown keys are ignored so that newer learners stay readable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "timeprof.h"

/*
 * Counts stay below 2^53 so that the day total is exact in a double and
 * the per-window means cannot overflow.
 */
#define TIMEPROF_MAX_COUNT (1ULL << 53)
/* One bin per second at most: finer slices carry no information. */
#define TIMEPROF_MAX_BINS 86400

static int
timeprof_metadata(struct time_profile *tp, json_t *meta, const char *fname,
    struct diag *d)
{
	static const char *const keys[] = { "creation_time", "input_file" };
	json_t *v;

	if (meta == NULL)
		return 0;
	if (!json_is_object(meta))
		return diag_set(d, "%s: metadata: not an object", fname);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_object_get(meta, keys[i]);
		if (v != NULL && !json_is_string(v))
			return diag_set(d, "%s: metadata.%s: not a string",
			    fname, keys[i]);
	}
	v = json_object_get(meta, "input_file");
	if (v != NULL && (tp->input_file = strdup(json_string_value(v))) ==
	    NULL)
		return -ENOMEM;
	return 0;
}

static int
timeprof_histogram(struct time_profile *tp, json_t *h, const char *fname,
    struct diag *d)
{
	size_t n, i;
	json_t *v;

	if (h == NULL)
		return diag_set(d, "%s: histogram: missing", fname);
	if (!json_is_array(h))
		return diag_set(d, "%s: histogram: not an array", fname);
	if ((n = json_array_size(h)) == 0)
		return diag_set(d, "%s: histogram: empty", fname);
	if (n > TIMEPROF_MAX_BINS)
		return diag_set(d, "%s: histogram: more than %d bins", fname,
		    TIMEPROF_MAX_BINS);
	if ((tp->hist = calloc(n, sizeof(*tp->hist))) == NULL)
		return -ENOMEM;
	tp->nbins = (uint32_t)n;

	json_array_foreach(h, i, v) {
		json_int_t x;

		if (!json_is_integer(v) || (x = json_integer_value(v)) < 0)
			return diag_set(d, "%s: histogram[%zu]: not a "
			    "non-negative integer", fname, i);
		if ((unsigned long long)x > TIMEPROF_MAX_COUNT)
			return diag_set(d, "%s: histogram[%zu]: too large: "
			    "%lld", fname, i, (long long)x);
		tp->hist[i] = (uint64_t)x;
		tp->total += (double)x;
	}
	if (tp->total == 0)
		return diag_set(d, "%s: histogram: every bin is zero", fname);
	return 0;
}

int
timeprof_parse(struct time_profile **out, const char *text, size_t len,
    const char *fname, struct diag *d)
{
	struct time_profile *tp = NULL;
	json_error_t err;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		rc = diag_set(d, "%s:%d: %s", fname, err.line, err.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = diag_set(d, "%s: not a JSON object", fname);
		goto out;
	}
	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = timeprof_histogram(tp, json_object_get(root, "histogram"), fname,
	    d);
	if (rc == 0)
		rc = timeprof_metadata(tp, json_object_get(root, "metadata"),
		    fname, d);
	if (rc == 0) {
		*out = tp;
		tp = NULL;
	}
out:
	timeprof_free(tp);
	json_decref(root);
	return rc;
}

void
timeprof_free(struct time_profile *tp)
{
	if (tp == NULL)
		return;
	free(tp->hist);
	free(tp->input_file);
	free(tp);
}
