/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A binary min-heap of stream heads.  Advancing the top stream replaces
 * its key in place and sifts it down, which costs one sift instead of a
 * pop and a push per item.
 */
#include <errno.h>
#include <stdlib.h>

#include "merge.h"

static inline bool
merge_less(const struct merge_ent *a, const struct merge_ent *b)
{
	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns;
	if (a->id != b->id)
		return a->id < b->id;
	return a->idx < b->idx;
}

static void
merge_sift_down(struct merge *m, uint32_t i)
{
	struct merge_ent e = m->heap[i];
	uint32_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= m->n)
			break;
		if (c + 1 < m->n && merge_less(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!merge_less(&m->heap[c], &e))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	m->heap[i] = e;
}

void
merge_init(struct merge *m)
{
	m->heap = NULL;
	m->n = 0;
	m->cap = 0;
}

void
merge_free(struct merge *m)
{
	free(m->heap);
	merge_init(m);
}

int
merge_push(struct merge *m, uint64_t ts_ns, uint64_t id, uint32_t idx,
    void *stream)
{
	struct merge_ent e = { ts_ns, id, idx, stream }, *nh;
	uint32_t i, p, ncap;

	if (m->n == m->cap) {
		ncap = m->cap ? m->cap * 2 : 256;
		nh = realloc(m->heap, (size_t)ncap * sizeof(*nh));
		if (nh == NULL)
			return -ENOMEM;
		m->heap = nh;
		m->cap = ncap;
	}
	for (i = m->n++; i > 0; i = p) {
		p = (i - 1) / 2;
		if (!merge_less(&e, &m->heap[p]))
			break;
		m->heap[i] = m->heap[p];
	}
	m->heap[i] = e;
	return 0;
}

bool
merge_ready(const struct merge *m, uint64_t wm_ns)
{
	return m->n > 0 && m->heap[0].ts_ns < wm_ns;
}

void
merge_advance(struct merge *m, uint64_t ts_ns, uint32_t idx)
{
	m->heap[0].ts_ns = ts_ns;
	m->heap[0].idx = idx;
	merge_sift_down(m, 0);
}

void
merge_pop(struct merge *m)
{
	if (m->n == 0)
		return;
	m->heap[0] = m->heap[--m->n];
	if (m->n > 0)
		merge_sift_down(m, 0);
}
