/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The time-ordered merge: streams added batch by batch and drained up to
 * a watermark come out in (time, id, index) order, complete, whatever
 * order the streams of a batch were added in.
 */
#include <errno.h>

#include "merge.h"
#include "rng.h"
#include "tap.h"

#define NSTREAMS 3000
#define MAXLEN 40

struct stream {
	uint64_t id;
	uint64_t ts[MAXLEN];
	uint32_t n;
};

static struct stream streams[NSTREAMS];

/* Streams start in id order, one batch every 1000 time units. */
static void
make_streams(struct rng *r)
{
	uint64_t t = 0;
	uint32_t i, k;

	for (i = 0; i < NSTREAMS; i++) {
		t += rng_below(r, 20);
		streams[i].id = i;
		streams[i].n = 1 + rng_below(r, MAXLEN);
		streams[i].ts[0] = t;
		for (k = 1; k < streams[i].n; k++)
			/* Long gaps now and then: flows outlive batches. */
			streams[i].ts[k] = streams[i].ts[k - 1] +
			    (rng_below(r, 50) == 0 ? rng_below(r, 20000) :
			    rng_below(r, 4));
	}
}

static void
test_order(void)
{
	struct merge m;
	struct rng r;
	uint64_t last_ts = 0, last_id = 0, wm, out = 0, want = 0;
	uint32_t i, j, last_idx = 0, first, perm[NSTREAMS];
	int bad = 0, early = 0;
	struct stream *s;
	const struct merge_ent *e;

	rng_seed(&r, 7);
	make_streams(&r);
	for (i = 0; i < NSTREAMS; i++)
		want += streams[i].n;
	merge_init(&m);
	for (first = 0; first < NSTREAMS;) {
		/* A batch: every stream starting before wm, shuffled. */
		wm = (streams[first].ts[0] / 1000 + 1) * 1000;
		for (i = first; i < NSTREAMS && streams[i].ts[0] < wm; i++)
			perm[i - first] = i;
		for (j = i - first; j > 1; j--) {
			uint32_t k = rng_below(&r, j), t = perm[j - 1];

			perm[j - 1] = perm[k];
			perm[k] = t;
		}
		for (j = 0; j < i - first; j++)
			CHECK_EQ_I(merge_push(&m, streams[perm[j]].ts[0],
			    streams[perm[j]].id, 0, &streams[perm[j]]), 0);
		first = i;
		if (first == NSTREAMS)
			wm = UINT64_MAX;
		while (merge_ready(&m, wm)) {
			e = merge_top(&m);
			s = e->stream;
			if (e->ts_ns < last_ts || (e->ts_ns == last_ts &&
			    (e->id < last_id || (e->id == last_id &&
			    e->idx <= last_idx))))
				bad++;
			if (first < NSTREAMS &&
			    e->ts_ns >= streams[first].ts[0])
				early++;
			last_ts = e->ts_ns;
			last_id = e->id;
			last_idx = e->idx;
			out++;
			if (e->idx + 1 < s->n)
				merge_advance(&m, s->ts[e->idx + 1],
				    e->idx + 1);
			else
				merge_pop(&m);
		}
	}
	CHECK_EQ_I(bad, 0);
	CHECK_EQ_I(early, 0);
	CHECK_EQ_U(out, want);
	CHECK_EQ_U(m.n, 0);
	CHECK(merge_top(&m) == NULL);
	merge_free(&m);
}

static void
test_ties(void)
{
	struct merge m;
	static int a, b, c;

	merge_init(&m);
	CHECK_EQ_I(merge_push(&m, 10, 5, 0, &a), 0);
	CHECK_EQ_I(merge_push(&m, 10, 3, 2, &b), 0);
	CHECK_EQ_I(merge_push(&m, 10, 3, 1, &c), 0);
	CHECK(!merge_ready(&m, 10));
	CHECK(merge_ready(&m, 11));
	CHECK(merge_top(&m)->stream == &c);
	merge_pop(&m);
	CHECK(merge_top(&m)->stream == &b);
	merge_advance(&m, 11, 3);
	CHECK(merge_top(&m)->stream == &a);
	merge_pop(&m);
	CHECK(merge_top(&m)->stream == &b && merge_top(&m)->idx == 3);
	merge_pop(&m);
	merge_pop(&m);
	CHECK(merge_top(&m) == NULL);
	merge_free(&m);
}

int
main(void)
{
	test_order();
	test_ties();
	return tap_done();
}
