/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_MERGE_H
#define FOSR_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Time-ordered merge of many streams (one per flow) with a watermark.
 * Each stream is already in time order; the merge holds one entry per
 * live stream in a binary heap keyed by (time, stream id, index in the
 * stream), so ties never depend on frame bytes or on which thread built
 * a flow.  The owner pops entries up to a watermark: the time before
 * which no stream added later can have anything.  Memory is one entry
 * per live stream.  No locking: one thread owns a merge.
 */

struct merge_ent {
	uint64_t ts_ns;
	uint64_t id;             /* stream id: flow id */
	uint32_t idx;            /* position in the stream */
	void *stream;
};

struct merge {
	struct merge_ent *heap;
	uint32_t n;
	uint32_t cap;
};

void merge_init(struct merge *m);
void merge_free(struct merge *m);
/* Adds a stream whose next item has this key.  0 or -ENOMEM. */
int merge_push(struct merge *m, uint64_t ts_ns, uint64_t id, uint32_t idx,
    void *stream);
/* The smallest entry, or NULL when empty. */
static inline const struct merge_ent *
merge_top(const struct merge *m)
{
	return m->n > 0 ? &m->heap[0] : NULL;
}
/* True if the smallest entry exists and is strictly before wm_ns. */
bool merge_ready(const struct merge *m, uint64_t wm_ns);
/* Moves the top stream on to its next item (time must not go back). */
void merge_advance(struct merge *m, uint64_t ts_ns, uint32_t idx);
/* Drops the top stream (it has nothing left). */
void merge_pop(struct merge *m);

#endif
