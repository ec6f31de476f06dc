/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_RING_H
#define FOSR_RING_H

/*
 * Bounded lock-free rings of pointers that join the pipeline stages.  Any
 * number of threads may push and pop at once (a single producer or single
 * consumer is the common case and costs nothing extra).  A full ring
 * refuses the push: the producer waits, which is how a slow sink slows the
 * stages before it instead of growing memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring;

/* Creates a ring holding cap pointers; cap is rounded up to a power of 2. */
struct ring *ring_new(size_t cap);
void ring_free(struct ring *r);
/* Adds p; false if the ring is full.  p must not be NULL. */
bool ring_push(struct ring *r, void *p);
/* Takes the oldest pointer, or NULL if the ring is empty. */
void *ring_pop(struct ring *r);
/* Entries now in the ring: exact when quiet, an estimate while in use. */
size_t ring_count(const struct ring *r);
size_t ring_cap(const struct ring *r);

/*
 * Waiting on a ring without a lock: spin briefly, then sleep for growing
 * intervals up to about a millisecond.  ring_wait_reset after progress.
 */
struct ring_wait {
	unsigned n;
};

void ring_wait(struct ring_wait *w);
static inline void
ring_wait_reset(struct ring_wait *w)
{
	w->n = 0;
}

#endif
