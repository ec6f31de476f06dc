/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bounded rings of pointers, lock-free for any number of producers and
 * consumers.  Each cell carries a sequence number that tells whose turn it
 * is: a producer that claimed position pos may fill the cell when its
 * sequence equals pos, and publishes it by storing pos + 1; a consumer of
 * position pos may take it when the sequence is pos + 1 and frees it for
 * the next lap by storing pos + cap.  Positions are claimed with a
 * compare-and-swap on the shared head or tail, so a thread that is
 * preempted holds up only its own cell.  Head and tail live on separate
 * cache lines so producers and consumers do not share a line.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "ring.h"

#define RING_LINE 64
/* Yields before a waiting thread starts to sleep. */
#define RING_SPINS 8

struct ring_cell {
	_Atomic size_t seq;
	void *p;
};

struct ring {
	_Alignas(RING_LINE) _Atomic size_t head;     /* next position to push */
	_Alignas(RING_LINE) _Atomic size_t tail;     /* next position to pop */
	_Alignas(RING_LINE) size_t mask;
	struct ring_cell *cells;
};

struct ring *
ring_new(size_t cap)
{
	struct ring *r;
	size_t n = 2;

	if (cap == 0 || cap > (SIZE_MAX >> 2)) {
		errno = EINVAL;
		return NULL;
	}
	while (n < cap)
		n <<= 1;
	if ((r = aligned_alloc(RING_LINE, sizeof(*r))) == NULL)
		return NULL;
	if ((r->cells = calloc(n, sizeof(*r->cells))) == NULL) {
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		atomic_init(&r->cells[i].seq, i);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = n - 1;
	return r;
}

void
ring_free(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->cells);
	free(r);
}

bool
ring_push(struct ring *r, void *p)
{
	size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct ring_cell *c;

	for (;;) {
		c = &r->cells[pos & r->mask];
		size_t seq = atomic_load_explicit(&c->seq,
		    memory_order_acquire);
		intptr_t dif = (intptr_t)seq - (intptr_t)pos;

		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->head,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (dif < 0)
			return false;
		else
			pos = atomic_load_explicit(&r->head,
			    memory_order_relaxed);
	}
	c->p = p;
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return true;
}

void *
ring_pop(struct ring *r)
{
	size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct ring_cell *c;
	void *p;

	for (;;) {
		c = &r->cells[pos & r->mask];
		size_t seq = atomic_load_explicit(&c->seq,
		    memory_order_acquire);
		intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);

		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->tail,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (dif < 0)
			return NULL;
		else
			pos = atomic_load_explicit(&r->tail,
			    memory_order_relaxed);
	}
	p = c->p;
	atomic_store_explicit(&c->seq, pos + r->mask + 1,
	    memory_order_release);
	return p;
}

size_t
ring_count(const struct ring *r)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	/* Read apart, the two may cross for a moment: clamp, never wrap. */
	if (t >= h)
		return 0;
	return h - t > r->mask + 1 ? r->mask + 1 : h - t;
}

size_t
ring_cap(const struct ring *r)
{
	return r->mask + 1;
}

void
ring_wait(struct ring_wait *w)
{
	struct timespec ts = { 0, 0 };

	/*
	 * Spinning keeps latency low under load; sleeping keeps an idle
	 * pipeline near zero CPU.  The cap bounds how late a stage notices
	 * new work (about 1 ms), which matters nothing next to the 5 s
	 * windows of stage 0.
	 */
	if (w->n < RING_SPINS) {
		w->n++;
		sched_yield();
		return;
	}
	ts.tv_nsec = 1000L << (w->n - RING_SPINS < 10 ? w->n - RING_SPINS : 10);
	if (w->n < RING_SPINS + 10)
		w->n++;
	nanosleep(&ts, NULL);
}
