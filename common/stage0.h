/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_STAGE0_H
#define FOSR_STAGE0_H

/*
 * S0: flow start times.  Time is cut into windows of S0_WINDOW_NS; each
 * window draws a Poisson number of flows whose mean follows the time
 * profile at the window's local time of day, then uniform start times
 * inside the window, sorted.  A window's random numbers depend only on the
 * master seed and the window's start instant, so peers that share a seed
 * agree on every window whenever they started.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

struct time_profile;

#define S0_WINDOW_NS 5000000000ULL

struct s0_params {
	const struct time_profile *tp;
	uint64_t seed;
	uint64_t start_ns;       /* first window starts here */
	uint64_t duration_ns;    /* 0: endless */
	double flows_per_day;    /* 0: the histogram's own total */
	bool flat;               /* ignore the daily shape */
};

struct s0 {
	struct s0_params p;
	uint64_t next_start_ns;
	uint64_t windows_left;   /* UINT64_MAX when endless */
	uint64_t stop_ns;        /* no flow at or after; UINT64_MAX: endless */
	uint64_t next_id;        /* id of the next flow */
	double rate_scale;       /* flows_per_day / histogram total */
};

/* One window; flows[] holds n flows with id, seed and start_ns set. */
struct s0_window {
	uint64_t start_ns;
	uint64_t end_ns;
	uint32_t n;
	struct flow *flows;      /* owned by the caller, grown as needed */
	uint32_t cap;
	uint64_t *times;         /* scratch for sorting, 2 * cap entries */
};

void s0_init(struct s0 *s, const struct s0_params *p);
/* Changes the mean daily rate from the next window on. */
void s0_set_flows_per_day(struct s0 *s, double flows_per_day);
/*
 * Uses another time profile from the next window on, keeping the position,
 * the ids and the requested daily rate (a reload).
 */
void s0_set_profile(struct s0 *s, const struct time_profile *tp);
/*
 * The first window boundary at or after t_ns, counted from the epoch.
 * Peers that share a seed and start on such boundaries draw the same
 * flows in every window they have in common.
 */
uint64_t s0_align(uint64_t t_ns);
/* Poisson mean of the window starting at t_ns (for status and tests). */
double s0_window_mean(const struct s0 *s, uint64_t t_ns);
/*
 * Draws the next window into w.  Returns 1 with a window (possibly with
 * no flow), 0 when the duration is used up, -ENOMEM.
 */
int s0_next(struct s0 *s, struct s0_window *w);
void s0_window_free(struct s0_window *w);

#endif
