/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RCU-published current profile with per-user references.  Readers (stage
 * 0) run rcu_read_lock, load the pointer and raise its count before
 * leaving the section; the control thread publishes a new pointer and
 * waits for a grace period before dropping its own reference, so no
 * reader can raise the count of a profile that is already being freed.
 * References are atomic counters: workers take and drop them per flow,
 * which is one uncontended atomic add each.
 */
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#include "log.h"
#include "profref.h"

static struct profref *profref_cur;

struct profref *
profref_new(struct profile *p)
{
	struct profref *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("profile reference");
	r->p = p;
	atomic_init(&r->refs, 1);
	return r;
}

void
profref_get(struct profref *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void
profref_put(struct profref *r)
{
	if (r == NULL)
		return;
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	profile_free(r->p);
	free(r);
}

void
profref_thread_online(void)
{
	urcu_memb_register_thread();
}

void
profref_thread_offline(void)
{
	urcu_memb_unregister_thread();
}

struct profref *
profref_current(void)
{
	struct profref *r;

	urcu_memb_read_lock();
	r = rcu_dereference(profref_cur);
	if (r != NULL)
		profref_get(r);
	urcu_memb_read_unlock();
	return r;
}

int
profref_is_current(const struct profref *r)
{
	return CMM_LOAD_SHARED(profref_cur) == r;
}

void
profref_swap(struct profref *r)
{
	struct profref *old;

	old = rcu_xchg_pointer(&profref_cur, r);
	urcu_memb_synchronize_rcu();
	profref_put(old);
}
