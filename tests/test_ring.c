/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rings: capacity, order, full and empty, and a stress run with several
 * producers and consumers in which every value must come out exactly once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ring.h"
#include "tap.h"

#define NPROD 3
#define NCONS 3
#define PER_PROD 200000

static void
test_basic(void)
{
	struct ring *r = ring_new(5);
	uintptr_t i;

	CHECK(r != NULL);
	CHECK_EQ_U(ring_cap(r), 8);
	CHECK(ring_pop(r) == NULL);
	for (i = 1; i <= 8; i++)
		CHECK(ring_push(r, (void *)i));
	CHECK(!ring_push(r, (void *)99));
	CHECK_EQ_U(ring_count(r), 8);
	for (i = 1; i <= 8; i++)
		CHECK_EQ_U((uintptr_t)ring_pop(r), i);
	CHECK(ring_pop(r) == NULL);
	CHECK_EQ_U(ring_count(r), 0);
	/* Wrap around many laps. */
	for (i = 1; i <= 1000; i++) {
		CHECK(ring_push(r, (void *)i));
		CHECK(ring_push(r, (void *)(i + 5000)));
		CHECK_EQ_U((uintptr_t)ring_pop(r), i);
		CHECK_EQ_U((uintptr_t)ring_pop(r), i + 5000);
	}
	ring_free(r);
	CHECK(ring_new(0) == NULL);
}

struct stress {
	struct ring *r;
	_Atomic unsigned producers_left;
	_Atomic uint64_t sum;
	_Atomic uint64_t count;
	unsigned id;
};

struct stress_arg {
	struct stress *st;
	unsigned id;
};

static void *
producer(void *arg)
{
	struct stress_arg *a = arg;
	struct ring_wait w = { 0 };

	for (uintptr_t i = 1; i <= PER_PROD; i++) {
		uintptr_t v = (uintptr_t)a->id * PER_PROD + i;

		while (!ring_push(a->st->r, (void *)v))
			ring_wait(&w);
		ring_wait_reset(&w);
	}
	atomic_fetch_sub(&a->st->producers_left, 1);
	return NULL;
}

static void *
consumer(void *arg)
{
	struct stress *st = arg;
	struct ring_wait w = { 0 };
	uint64_t sum = 0, n = 0;
	void *p;

	for (;;) {
		bool done = atomic_load(&st->producers_left) == 0;

		if ((p = ring_pop(st->r)) == NULL) {
			if (done)
				break;
			ring_wait(&w);
			continue;
		}
		ring_wait_reset(&w);
		sum += (uintptr_t)p;
		n++;
	}
	atomic_fetch_add(&st->sum, sum);
	atomic_fetch_add(&st->count, n);
	return NULL;
}

static void
test_stress(void)
{
	struct stress st = { .r = ring_new(64) };
	struct stress_arg args[NPROD];
	pthread_t prod[NPROD], cons[NCONS];
	uint64_t total = (uint64_t)NPROD * PER_PROD, want = 0;

	atomic_init(&st.producers_left, NPROD);
	for (unsigned i = 0; i < NCONS; i++)
		CHECK(pthread_create(&cons[i], NULL, consumer, &st) == 0);
	for (unsigned i = 0; i < NPROD; i++) {
		args[i].st = &st;
		args[i].id = i;
		CHECK(pthread_create(&prod[i], NULL, producer, &args[i]) == 0);
	}
	for (unsigned i = 0; i < NPROD; i++)
		pthread_join(prod[i], NULL);
	for (unsigned i = 0; i < NCONS; i++)
		pthread_join(cons[i], NULL);
	for (uint64_t v = 1; v <= total; v++)
		want += v;
	CHECK_EQ_U(atomic_load(&st.count), total);
	CHECK_EQ_U(atomic_load(&st.sum), want);
	CHECK_EQ_U(ring_count(st.r), 0);
	ring_free(st.r);
}

int
main(void)
{
	test_basic();
	test_stress();
	return tap_done();
}
