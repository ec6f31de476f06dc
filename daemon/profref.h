/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSRD_PROFREF_H
#define FOSRD_PROFREF_H

/*
 * The running profile and its hot swap.  The current profile is an RCU
 * pointer; a reader that wants to keep one beyond its read-side section
 * (stage 0 for the time profile, every flow for the rest) takes a
 * reference inside the section.  A swap publishes the new pointer and
 * drops the daemon's reference after a grace period, so the old profile is
 * freed when its last flow leaves the sink.
 */

#include <stdatomic.h>

#include "profile.h"

struct profref {
	struct profile *p;
	_Atomic unsigned long refs;
};

/* Wraps p with one reference (the caller's).  Aborts on out of memory. */
struct profref *profref_new(struct profile *p);
void profref_get(struct profref *r);
/* Drops a reference; the last one frees the profile. */
void profref_put(struct profref *r);

/* Threads that call profref_current must be registered with RCU. */
void profref_thread_online(void);
void profref_thread_offline(void);
/* A reference to the current profile, or NULL if none is set. */
struct profref *profref_current(void);
/*
 * Publishes r (taking over the caller's reference), waits for a grace
 * period and drops the reference to the previous one.  Control thread.
 */
void profref_swap(struct profref *r);
/* Cheap check from a worker: is r still the current profile? */
int profref_is_current(const struct profref *r);

#endif
