/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The offline generation engine.
 *
 * Threads and what they touch:
 * - the coordinator (the caller of gen_run) runs S0 and fills a batch
 *   with the flows of consecutive windows, each flow in a slot taken
 *   from a pool;
 * - J workers ("fosr-gen/N") claim the slots of the published batch one
 *   by one with an atomic counter and run S1, S2 and S3 into them; a slot
 *   is written by exactly one worker, and the worker that finishes a
 *   batch's last flow marks it ready;
 * - the writer ("fosr-write") takes finished batches in order, puts each
 *   flow's first frame in the merge heap, then hands the sink every
 *   frame older than the batch's watermark (the end of its last window:
 *   no later flow starts before it) and, once the sink has synced,
 *   returns finished slots to the pool.  Frames are built in their slot
 *   and never copied on the way: the sink may keep references to them
 *   until its sync.
 * GEN_NBATCH batches go round: while one is written, the next ones are
 * generated, and a new batch is published as soon as every slot of the
 * previous one is taken.  The mutex protects the batch states, the
 * published batch, the done counts and the pool; one condition variable
 * wakes whoever waits (a few wake-ups per batch, not per flow), and the
 * frame blocks have a lock of their own.  Only the writer touches the
 * merge and the statistics.
 *
 * Every flow draws from its own seeds and the merge orders by (time,
 * flow id, frame index), so the output does not depend on J nor on which
 * worker built a flow.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gen.h"
#include "log.h"
#include "merge.h"
#include "profile.h"
#include "stage0.h"
#include "stage1.h"
#include "stage2.h"
#include "stage3.h"
#include "tz.h"

/* A batch closes at this many flows or windows, whichever comes first. */
#define GEN_BATCH_FLOWS 512
#define GEN_BATCH_WINDOWS 24
#define GEN_NBATCH 4
/* What a slot keeps between flows (bytes, frames); more goes back. */
#define GEN_SLOT_KEEP (8u << 10)
#define GEN_SLOT_FRAMES 128u
/* Blocks of up to 1 MiB (the last of GEN_STASH_CLASSES sizes) are kept
 * for reuse, GEN_STASH_BYTES of them at most. */
#define GEN_STASH_MIN 2048u
#define GEN_STASH_CLASSES 19u
#define GEN_STASH_BYTES (8u << 20)
/* For sizing a flow's frames: payload per segment, the most header bytes
 * a frame carries (Ethernet, IPv4, TCP with options), and frames that no
 * packet asks for (handshake, teardown). */
#define GEN_SEG_PAYLOAD 1460u
#define GEN_FRAME_HEADERS 78u
#define GEN_FIXED_FRAMES 8u

enum gen_slot_state {
	SLOT_OK,
	SLOT_REJECTED,
	SLOT_FAILED,
};

struct gen_slot {
	struct flow flow;
	struct frame_buf fb;
	struct gen_slot *next;   /* pool link */
	int state;
};

enum gen_batch_state {
	BATCH_FREE,
	BATCH_WORK,
	BATCH_READY,
};

struct gen_batch {
	struct gen_slot **slots;
	uint32_t n;
	uint32_t cap;
	atomic_uint next;        /* next slot to claim */
	uint32_t done;           /* slots finished (mutex) */
	uint32_t active;         /* workers inside the claim loop (mutex) */
	uint64_t wm_ns;
	bool last;
	int state;               /* enum gen_batch_state (mutex) */
};

/* A worker's own buffers, reused from flow to flow. */
struct gen_wbuf {
	struct pkt_seq seq;
	struct s2_scratch *scr;
};

/*
 * Frame buffers of finished flows, kept for the next ones: allocating
 * and freeing a block of tens of kilobytes for every big flow, across
 * threads, cost more than building its frames.  Blocks come in classes
 * half a power of two apart (at most a third of a block is wasted); a
 * free block holds the link to the next one of its class in its first
 * bytes.  At most GEN_STASH_BYTES are
 * kept; beyond that, and for blocks too big for any class, plain malloc
 * and free.
 */
struct gen_stash {
	pthread_mutex_t mu;
	void *head[GEN_STASH_CLASSES];
	size_t bytes;
};

struct gen {
	const struct gen_opts *o;
	const struct gen_sink *sink;
	struct gen_stats *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* any state change: one condition is
				  * enough at this rate (one wake-up per
				  * batch, not per flow) */
	struct gen_batch batch[GEN_NBATCH];
	struct gen_batch *work;  /* published batch, or NULL */
	struct gen_slot *pool;
	bool coord_done;
	bool quit;
	atomic_bool halt;        /* writer is done or something failed */
	int err;                 /* first error (mutex) */
	struct diag errd;
	struct merge m;
	struct s3_opts s3o;
	struct gen_stash stash;
};

static void
gen_fail(struct gen *g, int err, const struct diag *d, const char *what)
{
	pthread_mutex_lock(&g->mu);
	if (g->err == 0) {
		g->err = err;
		if (d != NULL)
			g->errd = *d;
		else
			diag_set(&g->errd, "%s: %s", what, strerror(-err));
	}
	atomic_store(&g->halt, true);
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* The size of the blocks of class c: 2, 3, 4, 6, 8, 12 ... KiB. */
static size_t
gen_stash_size(unsigned c)
{
	size_t z = (size_t)GEN_STASH_MIN << (c / 2);

	return c % 2 ? z + z / 2 : z;
}

/* The smallest class for len bytes, GEN_STASH_CLASSES if none. */
static unsigned
gen_stash_class(size_t len)
{
	unsigned c = 0;

	while (c < GEN_STASH_CLASSES && gen_stash_size(c) < len)
		c++;
	return c;
}

/* A block of at least len bytes; *cap gets its real size.  NULL: ENOMEM. */
static void *
gen_stash_get(struct gen_stash *st, size_t len, size_t *cap)
{
	unsigned c = gen_stash_class(len);
	void *p = NULL;

	if (c == GEN_STASH_CLASSES) {
		*cap = (len + 255) & ~(size_t)255;
		return malloc(*cap);
	}
	*cap = gen_stash_size(c);
	pthread_mutex_lock(&st->mu);
	if ((p = st->head[c]) != NULL) {
		memcpy(&st->head[c], p, sizeof(void *));
		st->bytes -= *cap;
	}
	pthread_mutex_unlock(&st->mu);
	return p != NULL ? p : malloc(*cap);
}

/* Takes a block back; the caller holds st->mu. */
static void
gen_stash_put_locked(struct gen_stash *st, void *p, size_t cap)
{
	unsigned c = gen_stash_class(cap);

	if (p == NULL)
		return;
	if (c == GEN_STASH_CLASSES || gen_stash_size(c) != cap ||
	    st->bytes + cap > GEN_STASH_BYTES) {
		free(p);
		return;
	}
	memcpy(p, &st->head[c], sizeof(void *));
	st->head[c] = p;
	st->bytes += cap;
}

static void
gen_stash_free(struct gen_stash *st)
{
	void *p, *next;
	unsigned c;

	for (c = 0; c < GEN_STASH_CLASSES; c++)
		for (p = st->head[c]; p != NULL; p = next) {
			memcpy(&next, p, sizeof(void *));
			free(p);
		}
	memset(st->head, 0, sizeof(st->head));
	st->bytes = 0;
}

/*
 * Sizes the slot's buffers for the frames of seq before S3 builds them
 * there, so that frames are written once, where the writer will read
 * them.  The bound counts every packet as full-size segments, each with
 * an acknowledgement, plus a handshake and a teardown; should S3 ever
 * need more, it grows the buffers itself.
 */
static int
gen_reserve(struct gen *g, struct gen_slot *s, const struct pkt_seq *seq)
{
	struct frame_buf *fb = &s->fb;
	uint64_t frames = GEN_FIXED_FRAMES, bytes = 0, cap;
	uint32_t i, segs;
	size_t got;

	for (i = 0; i < seq->n; i++) {
		segs = seq->pkts[i].len / GEN_SEG_PAYLOAD + 1;
		frames += 2 * (uint64_t)segs;
		bytes += seq->pkts[i].len;
	}
	bytes += frames * GEN_FRAME_HEADERS;
	if (bytes > UINT32_MAX || frames > UINT32_MAX / sizeof(*fb->frames))
		return -ENOMEM;
	if (bytes > fb->cap) {
		/* A slot's block is in the stash only between two flows. */
		if (fb->data != NULL) {
			pthread_mutex_lock(&g->stash.mu);
			gen_stash_put_locked(&g->stash, fb->data, fb->cap);
			pthread_mutex_unlock(&g->stash.mu);
		}
		fb->cap = 0;
		if ((fb->data = gen_stash_get(&g->stash, bytes, &got)) == NULL)
			return -ENOMEM;
		fb->cap = (uint32_t)got;
	}
	if (frames > fb->ncap) {
		cap = frames < GEN_SLOT_FRAMES ? GEN_SLOT_FRAMES :
		    (frames + 15) & ~(uint64_t)15;
		free(fb->frames);
		fb->ncap = 0;
		if ((fb->frames = malloc(cap * sizeof(*fb->frames))) == NULL)
			return -ENOMEM;
		fb->ncap = (uint32_t)cap;
	}
	return 0;
}

/*
 * Frames of one flow must be in time order for the merge; S3 makes them
 * so, but a stable insertion sort costs nothing when they are.  Done by
 * the worker, while the frames are still in its cache.
 */
static void
gen_sort_frames(struct frame_buf *fb)
{
	struct frame t;
	uint32_t i, j;

	for (i = 1; i < fb->n; i++) {
		if (fb->frames[i].ts_ns >= fb->frames[i - 1].ts_ns)
			continue;
		t = fb->frames[i];
		for (j = i; j > 0 && fb->frames[j - 1].ts_ns > t.ts_ns; j--)
			fb->frames[j] = fb->frames[j - 1];
		fb->frames[j] = t;
	}
}

/* S1, S2 and S3 for the flow in slot s, built in the worker's buffers. */
static void
gen_one(struct gen *g, struct gen_slot *s, struct gen_wbuf *wb)
{
	const struct profile *p = g->o->prof;
	uint32_t sod;
	int rc;

	sod = tz_sec_of_day((int64_t)(s->flow.start_ns / 1000000000u));
	if (s1_sample(p->bn, p->conf, sod, &s->flow) != 0) {
		s->state = SLOT_REJECTED;
		return;
	}
	rc = s2_generate(p->automata, &s->flow, &wb->seq, wb->scr);
	if (rc == 0)
		rc = gen_reserve(g, s, &wb->seq);
	if (rc == 0)
		rc = s3_build(&wb->seq, &g->s3o, &s->fb);
	if (rc == 0)
		gen_sort_frames(&s->fb);
	if (rc != 0) {
		s->state = SLOT_FAILED;
		gen_fail(g, rc, NULL, "generating a flow");
		return;
	}
	s->flow = wb->seq.flow;
	s->fb.flow_id = s->flow.id;
	s->state = SLOT_OK;
}

static void *
gen_worker(void *arg)
{
	struct gen *g = arg;
	struct gen_wbuf wb;
	struct gen_batch *b;
	uint32_t i, mine;

	memset(&wb, 0, sizeof(wb));
	wb.scr = s2_scratch_new();
	if (wb.scr == NULL)
		gen_fail(g, -ENOMEM, NULL, "worker");
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->quit && (g->work == NULL ||
		    atomic_load(&g->work->next) >= g->work->n))
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->quit)
			break;
		b = g->work;
		b->active++;
		pthread_mutex_unlock(&g->mu);
		mine = 0;
		while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
			/* The last slot is taken: the coordinator may
			 * publish the next batch to whoever is free. */
			if (i + 1 == b->n) {
				pthread_mutex_lock(&g->mu);
				pthread_cond_broadcast(&g->cv);
				pthread_mutex_unlock(&g->mu);
			}
			if (wb.scr != NULL && !atomic_load(&g->halt))
				gen_one(g, b->slots[i], &wb);
			else
				b->slots[i]->state = SLOT_FAILED;
			mine++;
		}
		pthread_mutex_lock(&g->mu);
		b->done += mine;
		b->active--;
		/* No worker may still hold b when it is handed on. */
		if (b->done == b->n && b->active == 0 &&
		    b->state == BATCH_WORK) {
			b->state = BATCH_READY;
			if (g->work == b)
				g->work = NULL;
			pthread_cond_broadcast(&g->cv);
		}
	}
	pthread_mutex_unlock(&g->mu);
	pkt_seq_free(&wb.seq);
	if (wb.scr != NULL)
		s2_scratch_free(wb.scr);
	return NULL;
}

/* Returns slots to the pool; big buffers are released, not kept. */
static void
gen_release(struct gen *g, struct gen_slot *head, struct gen_slot *tail)
{
	struct gen_slot *s;

	if (head == NULL)
		return;
	/* Slots keep small blocks; big ones serve whichever flow needs one. */
	pthread_mutex_lock(&g->stash.mu);
	for (s = head; s != NULL; s = s->next)
		if (s->fb.cap > GEN_SLOT_KEEP) {
			gen_stash_put_locked(&g->stash, s->fb.data, s->fb.cap);
			s->fb.data = NULL;
			s->fb.cap = 0;
		}
	pthread_mutex_unlock(&g->stash.mu);
	for (s = head; s != NULL; s = s->next) {
		if (s->fb.ncap > GEN_SLOT_FRAMES) {
			free(s->fb.frames);
			s->fb.frames = NULL;
			s->fb.ncap = 0;
		}
	}
	pthread_mutex_lock(&g->mu);
	tail->next = g->pool;
	g->pool = head;
	pthread_mutex_unlock(&g->mu);
}

static struct gen_slot *
gen_take(struct gen *g)
{
	struct gen_slot *s;

	pthread_mutex_lock(&g->mu);
	s = g->pool;
	if (s != NULL)
		g->pool = s->next;
	pthread_mutex_unlock(&g->mu);
	if (s == NULL)
		s = calloc(1, sizeof(*s));
	return s;
}

static int
gen_batch_add(struct gen *g, struct gen_batch *b, const struct flow *f)
{
	struct gen_slot **nv, *s;
	uint32_t ncap;

	if (b->n == b->cap) {
		ncap = b->cap ? 2 * b->cap : 256;
		nv = realloc(b->slots, ncap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		b->slots = nv;
		b->cap = ncap;
	}
	s = gen_take(g);
	if (s == NULL)
		return -ENOMEM;
	s->flow = *f;
	s->next = NULL;
	b->slots[b->n++] = s;
	return 0;
}

/* Fills b from S0; returns 1 if S0 is used up, 0, or -ENOMEM. */
static int
gen_fill(struct gen *g, struct s0 *s0, struct s0_window *w,
    struct gen_batch *b)
{
	uint32_t i, nwin = 0;
	int rc = 0;

	b->n = 0;
	b->last = false;
	while (b->n < GEN_BATCH_FLOWS && nwin < GEN_BATCH_WINDOWS) {
		rc = s0_next(s0, w);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			b->last = true;
			break;
		}
		nwin++;
		b->wm_ns = w->end_ns;
		for (i = 0; i < w->n; i++)
			if (gen_batch_add(g, b, &w->flows[i]) != 0)
				return -ENOMEM;
	}
	return b->last ? 1 : 0;
}

static int
gen_emit(struct gen *g, struct gen_slot *s, uint32_t idx)
{
	const struct frame *fr = &s->fb.frames[idx];
	struct gen_stats *st = g->st;
	struct gen_count *pc = &st->proto[s->flow.l7 < L7_COUNT ?
	    s->flow.l7 : L7_NONE];
	struct gen_frame f;
	int rc;

	if (idx == 0) {
		st->total.flows++;
		pc->flows++;
		st->fallback_flows += s->flow.fallback != 0;
		if (g->sink->flow != NULL &&
		    (rc = g->sink->flow(g->sink->arg, &s->flow, &s->fb)) != 0)
			return rc;
	}
	f.ts_ns = fr->ts_ns;
	f.data = s->fb.data + fr->off;
	f.len = fr->len;
	f.flow = &s->flow;
	rc = g->sink->frame(g->sink->arg, &f);
	if (rc != 0)
		return rc;
	if (st->total.packets == 0)
		st->first_ts_ns = fr->ts_ns;
	st->last_ts_ns = fr->ts_ns;
	st->total.packets++;
	st->total.bytes += fr->len;
	pc->packets++;
	pc->bytes += fr->len;
	return 0;
}

/*
 * Flows are built long before they are written, and interleave: the next
 * frame is rarely in the cache.  Asking for it while the current one is
 * handed over hides part of the wait.
 */
static inline void
gen_prefetch(const struct merge *m)
{
	const struct merge_ent *t = merge_top(m);
	const struct gen_slot *s;

	if (t == NULL)
		return;
	s = t->stream;
	__builtin_prefetch(&s->fb.frames[t->idx]);
	__builtin_prefetch(&s->flow.l7);
}

/*
 * Writes every frame before wm.  Returns 1 when the run must end (packet
 * limit, stop request), 0, or a sink error.
 */
static int
gen_drain(struct gen *g, uint64_t wm)
{
	struct gen_slot *s, *head = NULL, *tail = NULL;
	const struct merge_ent *e;
	uint32_t idx, n = 0;
	int rc = 0;

	while (merge_ready(&g->m, wm)) {
		e = merge_top(&g->m);
		s = e->stream;
		idx = e->idx;
		rc = gen_emit(g, s, idx);
		if (rc != 0)
			break;
		if (idx + 1 < s->fb.n) {
			merge_advance(&g->m, s->fb.frames[idx + 1].ts_ns,
			    idx + 1);
		} else {
			merge_pop(&g->m);
			s->next = head;
			head = s;
			if (tail == NULL)
				tail = s;
		}
		gen_prefetch(&g->m);
		if (g->o->max_packets != 0 &&
		    g->st->total.packets >= g->o->max_packets) {
			g->st->limited = true;
			rc = 1;
			break;
		}
		if ((++n & 0xffff) == 0 && g->o->stop != NULL &&
		    atomic_load(g->o->stop)) {
			rc = 1;
			break;
		}
	}
	/*
	 * The sink may hold references to frames of the flows released
	 * below, and after a stop to any frame at all.
	 */
	if (rc >= 0 && g->sink->sync != NULL) {
		int src = g->sink->sync(g->sink->arg);

		if (src != 0)
			rc = src;
	}
	gen_release(g, head, tail);
	return rc;
}

/* Moves the flows of a finished batch into the merge. */
static int
gen_take_batch(struct gen *g, struct gen_batch *b)
{
	struct gen_slot *s, *head = NULL, *tail = NULL;
	uint32_t i;
	int rc = 0;

	for (i = 0; i < b->n; i++) {
		s = b->slots[i];
		if (rc == 0 && s->state == SLOT_OK && s->fb.n > 0) {
			rc = merge_push(&g->m, s->fb.frames[0].ts_ns,
			    s->flow.id, 0, s);
			if (rc == 0)
				continue;
		}
		if (s->state == SLOT_REJECTED)
			g->st->s1_rejects++;
		else if (s->state == SLOT_OK)
			g->st->empty_flows++;
		s->next = head;
		head = s;
		if (tail == NULL)
			tail = s;
	}
	gen_release(g, head, tail);
	return rc;
}

static void *
gen_writer(void *arg)
{
	struct gen *g = arg;
	struct gen_batch *b;
	uint64_t k, wm;
	bool last, ready;
	int rc = 0;

	for (k = 0; rc == 0; k++) {
		b = &g->batch[k % GEN_NBATCH];
		pthread_mutex_lock(&g->mu);
		while (b->state != BATCH_READY && !g->coord_done)
			pthread_cond_wait(&g->cv, &g->mu);
		ready = b->state == BATCH_READY;
		pthread_mutex_unlock(&g->mu);
		if (!ready)
			break;
		rc = gen_take_batch(g, b);
		/* b is refilled as soon as it is free: copy what we need. */
		last = b->last;
		wm = last ? UINT64_MAX : b->wm_ns;
		g->st->sim_ns = b->wm_ns;
		pthread_mutex_lock(&g->mu);
		b->state = BATCH_FREE;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		if (rc == 0)
			rc = gen_drain(g, wm);
		if (rc == 0 && g->o->progress != NULL)
			g->o->progress(g->o->progress_arg, g->st);
		if (last)
			break;
	}
	if (rc < 0) {
		if (g->sink->sink_diag != NULL &&
		    g->sink->sink_diag->msg[0] != '\0')
			gen_fail(g, rc, g->sink->sink_diag, NULL);
		else
			gen_fail(g, rc, NULL, "writing");
	}
	atomic_store(&g->halt, true);
	pthread_mutex_lock(&g->mu);
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/*
 * Publishes b to the workers.  The last worker to finish one of its
 * slots hands it to the writer; an empty batch goes there at once.
 */
static void
gen_publish(struct gen *g, struct gen_batch *b)
{
	pthread_mutex_lock(&g->mu);
	atomic_store(&b->next, 0);
	b->done = 0;
	b->active = 0;
	if (b->n == 0) {
		b->state = BATCH_READY;
	} else {
		b->state = BATCH_WORK;
		g->work = b;
	}
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/*
 * Waits until every slot of b is taken.  Not cut short by a halt: the
 * workers only see the published batch, so b must stay published until
 * they have taken all of it (after a halt they mark its slots failed
 * without building them, which is quick).
 */
static void
gen_wait_taken(struct gen *g, struct gen_batch *b)
{
	pthread_mutex_lock(&g->mu);
	while (b->state == BATCH_WORK && atomic_load(&b->next) < b->n)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* Waits until no batch is being generated. */
static void
gen_wait_idle(struct gen *g)
{
	unsigned i;

	pthread_mutex_lock(&g->mu);
	for (i = 0; i < GEN_NBATCH; i++)
		while (g->batch[i].state == BATCH_WORK)
			pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static bool
gen_stopping(const struct gen *g)
{
	return atomic_load(&g->halt) ||
	    (g->o->stop != NULL && atomic_load(g->o->stop));
}

/*
 * The coordinator: S0 into batches until the end or a stop.  A batch is
 * filled while the one before is generated and published as soon as the
 * workers have taken all of that one's slots, so a worker that is done
 * never waits for the slowest flow of a batch to finish: flow sizes have
 * a long tail, and a barrier per batch left a core idle for a third of
 * the run.  Up to GEN_NBATCH batches are in flight between S0 and the
 * writer, which takes them in order.
 */
static int
gen_coordinate(struct gen *g)
{
	struct s0_params p;
	struct s0 s0;
	struct s0_window w;
	struct gen_batch *b, *prev = NULL;
	uint64_t k;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	memset(&w, 0, sizeof(w));
	p.tp = g->o->prof->time;
	p.seed = g->o->seed;
	p.start_ns = g->o->start_ns;
	p.duration_ns = g->o->duration_ns;
	p.flows_per_day = g->o->flows_per_day;
	s0_init(&s0, &p);
	for (k = 0; rc == 0; k++) {
		b = &g->batch[k % GEN_NBATCH];
		pthread_mutex_lock(&g->mu);
		while (b->state != BATCH_FREE && !atomic_load(&g->halt))
			pthread_cond_wait(&g->cv, &g->mu);
		pthread_mutex_unlock(&g->mu);
		if (gen_stopping(g))
			break;
		rc = gen_fill(g, &s0, &w, b);
		if (rc < 0) {
			gen_fail(g, rc, NULL, "stage 0");
			break;
		}
		if (prev != NULL)
			gen_wait_taken(g, prev);
		gen_publish(g, b);
		prev = b;
	}
	gen_wait_idle(g);
	s0_window_free(&w);
	return 0;
}

static void
gen_free_slots(struct gen *g)
{
	struct gen_slot *s;
	int i;
	uint32_t j;

	/* After a stop, slots may still sit in the merge or a batch. */
	while ((s = g->m.n > 0 ? (struct gen_slot *)merge_top(&g->m)->stream :
	    NULL) != NULL) {
		merge_pop(&g->m);
		s->next = g->pool;
		g->pool = s;
	}
	for (i = 0; i < GEN_NBATCH; i++) {
		if (g->batch[i].state != BATCH_FREE)
			for (j = 0; j < g->batch[i].n; j++) {
				g->batch[i].slots[j]->next = g->pool;
				g->pool = g->batch[i].slots[j];
			}
		free(g->batch[i].slots);
	}
	while ((s = g->pool) != NULL) {
		g->pool = s->next;
		free(s->fb.data);
		free(s->fb.frames);
		free(s);
	}
	merge_free(&g->m);
}

static double
gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
gen_run(const struct gen_opts *o, const struct gen_sink *sink,
    struct gen_stats *st, struct diag *d)
{
	struct gen g;
	pthread_t *tids = NULL, wtid;
	unsigned i, nstarted = 0;
	bool writer = false;
	struct rusage ru;
	char name[32];
	double t0 = gen_now();
	int rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&g, 0, sizeof(g));
	g.o = o;
	g.sink = sink;
	g.st = st;
	g.s3o.taint = o->taint;
	st->end_ns = o->duration_ns ? o->start_ns + o->duration_ns : 0;
	merge_init(&g.m);
	pthread_mutex_init(&g.mu, NULL);
	pthread_mutex_init(&g.stash.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	tids = calloc(o->jobs ? o->jobs : 1, sizeof(*tids));
	if (tids == NULL) {
		diag_set(d, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < (o->jobs ? o->jobs : 1); i++) {
		rc = -pthread_create(&tids[i], NULL, gen_worker, &g);
		if (rc != 0) {
			diag_set(d, "cannot start a worker: %s", strerror(-rc));
			goto out;
		}
		snprintf(name, sizeof(name), "fosr-gen/%u", i);
		name[15] = '\0';
		pthread_setname_np(tids[i], name);
		nstarted++;
	}
	rc = -pthread_create(&wtid, NULL, gen_writer, &g);
	if (rc != 0) {
		diag_set(d, "cannot start the writer: %s", strerror(-rc));
		goto out;
	}
	pthread_setname_np(wtid, "fosr-write");
	writer = true;
	gen_coordinate(&g);
out:
	pthread_mutex_lock(&g.mu);
	g.coord_done = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	if (writer)
		pthread_join(wtid, NULL);
	pthread_mutex_lock(&g.mu);
	g.quit = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	for (i = 0; i < nstarted; i++)
		pthread_join(tids[i], NULL);
	if (rc == 0 && g.err != 0) {
		rc = g.err;
		*d = g.errd;
	}
	st->interrupted = rc == 0 && !st->limited && o->stop != NULL &&
	    atomic_load(o->stop);
	gen_free_slots(&g);
	gen_stash_free(&g.stash);
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.stash.mu);
	pthread_mutex_destroy(&g.mu);
	free(tids);
	st->elapsed_s = gen_now() - t0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		st->peak_rss_kb = ru.ru_maxrss;
	return rc;
}
