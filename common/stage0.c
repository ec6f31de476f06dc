/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * S0: when flows start.  Time is cut into 5 s windows from the start
 * instant.  A window's Poisson mean is the time profile's rate in the bin
 * over the window's local time of day, bins being exactly 86400/B seconds
 * long so that a day carries the histogram total (or the requested daily
 * rate) on average; a last window cut by the duration gets the share it
 * covers.  Each window owns a generator derived from the
 * master seed and its own start instant only: two runs that share a seed
 * and whose windows line up produce the same flows in every common window,
 * whenever each of them started.  Inside a window the count, the start
 * times and the flow seeds come one after the other from that generator,
 * so no flow's time can be read off its seed.
 *
 * Not thread-safe: one S0 per run, driven by one thread.  The rate may be
 * changed between windows by that same thread.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "stage0.h"
#include "timeprof.h"
#include "tz.h"

#define S0_NS_PER_S 1000000000ULL
#define S0_DAY_S 86400.0

static double
s0_scale(const struct time_profile *tp, double flows_per_day)
{
	/* Anything but a positive finite rate means "the profile's own". */
	if (!(flows_per_day > 0.0) || !isfinite(flows_per_day))
		return 1.0;
	return flows_per_day / tp->total;
}

void
s0_init(struct s0 *s, const struct s0_params *p)
{
	uint64_t w = S0_WINDOW_NS, dur = p->duration_ns;

	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->next_start_ns = p->start_ns;
	s->rate_scale = s0_scale(p->tp, p->flows_per_day);
	if (dur == 0) {
		s->windows_left = UINT64_MAX;
		s->stop_ns = UINT64_MAX;
	} else {
		s->windows_left = dur / w + (dur % w != 0);
		s->stop_ns = p->start_ns > UINT64_MAX - dur ? UINT64_MAX :
		    p->start_ns + dur;
	}
}

void
s0_set_flows_per_day(struct s0 *s, double flows_per_day)
{
	s->p.flows_per_day = flows_per_day;
	s->rate_scale = s0_scale(s->p.tp, flows_per_day);
}

/*
 * Mean number of flows in [t, t + len): the profile's rate integrated over
 * the span, so a window that straddles a bin boundary takes its share of
 * both bins and a whole local day sums to the daily total exactly.  The
 * local time of day is read once at t; a daylight saving jump inside a
 * 5 s window moves at most 5 s of rate.
 */
static double
s0_mean_over(const struct s0 *s, uint64_t t_ns, uint64_t len_ns)
{
	const struct time_profile *tp = s->p.tp;
	double bin_s = S0_DAY_S / tp->nbins, sod, left, sum = 0;
	uint64_t bin;

	left = (double)len_ns / S0_NS_PER_S;
	if (s->p.flat)
		return tp->total * s->rate_scale * left / S0_DAY_S;
	sod = tz_sec_of_day((int64_t)(t_ns / S0_NS_PER_S)) +
	    (double)(t_ns % S0_NS_PER_S) / S0_NS_PER_S;
	bin = (uint64_t)(sod / bin_s);
	if (bin >= tp->nbins)
		bin = tp->nbins - 1;
	while (left > 0) {
		double edge = bin + 1 == tp->nbins ? S0_DAY_S :
		    (double)(bin + 1) * bin_s;
		double in_bin = edge - sod;

		if (in_bin < 0)
			in_bin = 0;
		if (in_bin > left)
			in_bin = left;
		sum += (double)tp->hist[bin] * in_bin;
		left -= in_bin;
		sod = edge;
		if (++bin == tp->nbins) {
			bin = 0;
			sod = 0;
		}
	}
	return sum * s->rate_scale / bin_s;
}

void
s0_set_profile(struct s0 *s, const struct time_profile *tp)
{
	s->p.tp = tp;
	s->rate_scale = s0_scale(tp, s->p.flows_per_day);
}

uint64_t
s0_align(uint64_t t_ns)
{
	uint64_t r = t_ns % S0_WINDOW_NS;

	if (r == 0 || t_ns > UINT64_MAX - S0_WINDOW_NS)
		return t_ns - r;
	return t_ns - r + S0_WINDOW_NS;
}

double
s0_window_mean(const struct s0 *s, uint64_t t_ns)
{
	return s0_mean_over(s, t_ns, S0_WINDOW_NS);
}

/* Grows both arrays together; a window rarely needs more than the last. */
static int
s0_reserve(struct s0_window *w, uint64_t n)
{
	struct flow *f;
	uint64_t cap, *t;

	if (n <= w->cap)
		return 0;
	if (n > UINT32_MAX / 2)
		return -ENOMEM;
	cap = w->cap ? w->cap : 64;
	while (cap < n)
		cap *= 2;
	if ((f = realloc(w->flows, cap * sizeof(*f))) == NULL)
		return -ENOMEM;
	w->flows = f;
	if ((t = realloc(w->times, 2 * cap * sizeof(*t))) == NULL)
		return -ENOMEM;
	w->times = t;
	w->cap = (uint32_t)cap;
	return 0;
}

/*
 * Sorts n offsets below 2^33 (a window is 5e9 ns at most): three passes
 * of an 11-bit radix through tmp, linear where a comparison sort spent
 * three quarters of S0's time on busy windows.
 */
static void
s0_sort(uint64_t *v, uint64_t *tmp, uint64_t n)
{
	uint32_t count[2048];

	/* Small windows: insertion sort beats three passes of 2048 bins. */
	if (n < 64) {
		for (uint64_t i = 1; i < n; i++) {
			uint64_t x = v[i], j = i;

			for (; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	for (int shift = 0; shift < 33; shift += 11) {
		uint32_t sum = 0;

		memset(count, 0, sizeof(count));
		for (uint64_t i = 0; i < n; i++)
			count[(v[i] >> shift) & 2047]++;
		for (int b = 0; b < 2048; b++) {
			uint32_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (uint64_t i = 0; i < n; i++)
			tmp[count[(v[i] >> shift) & 2047]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}

int
s0_next(struct s0 *s, struct s0_window *w)
{
	uint64_t start = s->next_start_ns, len, n;
	double mean;
	struct rng r;
	int rc;

	if (s->windows_left == 0 || start >= s->stop_ns ||
	    start > UINT64_MAX - S0_WINDOW_NS)
		return 0;
	w->start_ns = start;
	w->end_ns = start + S0_WINDOW_NS;
	if (w->end_ns > s->stop_ns)
		w->end_ns = s->stop_ns;
	len = w->end_ns - start;

	mean = s0_mean_over(s, start, len);
	rng_seed(&r, rng_mix64(s->p.seed ^ rng_mix64(start)));
	n = rng_poisson(&r, mean);
	if ((rc = s0_reserve(w, n)) != 0)
		return rc;

	for (uint64_t i = 0; i < n; i++)
		w->times[i] = rng_below64(&r, len);
	s0_sort(w->times, w->times + w->cap, n);
	for (uint64_t i = 0; i < n; i++) {
		memset(&w->flows[i], 0, sizeof(w->flows[i]));
		w->flows[i].start_ns = start + w->times[i];
		w->flows[i].seed = rng_u64(&r);
		w->flows[i].id = s->next_id++;
	}
	w->n = (uint32_t)n;

	s->next_start_ns = w->end_ns;
	if (s->windows_left != UINT64_MAX)
		s->windows_left--;
	return 1;
}

void
s0_window_free(struct s0_window *w)
{
	free(w->flows);
	free(w->times);
	w->flows = NULL;
	w->times = NULL;
	w->n = w->cap = 0;
}
