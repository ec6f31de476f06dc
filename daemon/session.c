/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The generation pipeline of one session.
 *
 * Threads: one stage 0 thread (fosr-s0) that releases flows at their
 * wall-clock start time, N workers for each of stages 1 to 3
 * (fosr-s1/0 ...), and one sink thread (fosr-sink) that puts frames back
 * in time order and writes them.  They pass slots by pointer through
 * bounded rings, s1 -> s2 -> s3 -> sink, and the sink gives them back to
 * stage 0 through the free stack.  A slot holds one
 * flow, its packets, its frames and a reference to the profile it was
 * drawn from, and its buffers are reused from flow to flow, so the data
 * path allocates nothing once the buffers have grown.  The number of
 * slots bounds memory; when they are all in use stage 0 waits, which is
 * the back-pressure a slow sink exerts.
 *
 * Order: stage 0 numbers slots in dispatch order (which is start-time
 * order).  The sink accepts them in any order, but moves them into its
 * merge heap only in sequence, so when it has every slot up to n it knows
 * no later flow starts before the start of slot n; frames up to that
 * watermark are final.  Stage 0 also publishes a horizon (no flow will
 * start before it) with the count of slots dispatched, so frames keep
 * flowing during quiet stretches.  The horizon is stored after the count
 * and read before it, so a reader never pairs a new horizon with an old
 * count.
 *
 * Stop: the control thread sets stop; stage 0 exits, each stage exits
 * once its upstream is done and its ring is empty, and the sink writes
 * what it holds.  Counters are owned by one thread each (relaxed atomic
 * stores) and summed by the control thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow.h"
#include "log.h"
#include "merge.h"
#include "profile.h"
#include "profref.h"
#include "ring.h"
#include "session.h"
#include "stage0.h"
#include "stage1.h"
#include "stage2.h"
#include "stage3.h"
#include "timeparse.h"
#include "tz.h"

/* Flows are released this long before they start, for stages 1 to 3. */
#define SESSION_LEAD_NS 100000000ULL
/* Slot buffers larger than this are freed after their flow. */
#define SESSION_KEEP_BYTES (64u << 10)
/*
 * How long past its start a flow may wait for a free slot.  All slots
 * can be held by flows whose remaining frames lie after the next start,
 * which the sink may not write before that flow exists: waiting longer
 * would wait for ever.
 */
#define SESSION_SLOT_WAIT_NS 1000000000ULL
/* Longest sleep of a waiting thread before it looks at stop again. */
#define SESSION_NAP_NS 50000000ULL

struct session_slot {
	struct flow flow;
	struct profref *prof;
	struct pkt_seq seq;
	struct frame_buf fb;
	uint8_t *pay;            /* payloads S2 lent from its scratch */
	uint32_t paycap;
	uint64_t seqno;          /* dispatch order */
	bool dropped;
};

struct session_ctr {
	_Alignas(64) _Atomic uint64_t flows;
	_Atomic uint64_t packets;
	_Atomic uint64_t fallback;
	_Atomic uint64_t dropped;
	_Atomic uint64_t stalls;
};

struct session_worker {
	struct session *s;
	enum session_stage stage;
	unsigned idx;
	pthread_t th;
	bool started;
	struct session_ctr ctr;
};

struct session {
	struct session_params p;
	struct session_slot *slots;
	struct ring *ring[SESSION_NSTAGES];  /* into each stage but S0 */
	pthread_mutex_t free_mu;             /* S0 takes, the sink gives */
	struct session_slot **free;          /* a stack: warm slots on top */
	_Atomic unsigned nfree;
	struct session_worker *workers;
	unsigned nworkers;
	_Atomic unsigned exited[SESSION_NSTAGES];
	_Atomic int stop;
	_Atomic uint64_t fps_bits;
	_Atomic uint64_t target_bits;
	_Atomic uint64_t dispatched;
	_Atomic uint64_t horizon_ns;
	_Atomic uint64_t swaps;
	_Atomic uint64_t order_errors;
	_Atomic int failed;
	char error[256];
	struct sink *sink;
	uint64_t start_ns;
};

static const char *const session_stage_names[SESSION_NSTAGES] = {
	"s0", "s1", "s2", "s3", "sink",
};

const char *
session_stage_name(enum session_stage st)
{
	return (unsigned)st < SESSION_NSTAGES ? session_stage_names[st] : NULL;
}

static void
session_bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static void
session_store_double(_Atomic uint64_t *a, double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	atomic_store(a, b);
}

static double
session_load_double(const _Atomic uint64_t *a)
{
	uint64_t b = atomic_load((_Atomic uint64_t *)a);
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

static bool
session_stopping(const struct session *s)
{
	return atomic_load_explicit(&s->stop, memory_order_relaxed) != 0;
}

static void
session_fail(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
session_fail(struct session *s, const char *fmt, ...)
{
	va_list ap;
	int expected = 0;

	if (!atomic_compare_exchange_strong(&s->failed, &expected, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	log_warnx("session: %s", s->error);
	atomic_store(&s->stop, 1);
}

/* Sleeps until t_ns (wall clock); false if stop was asked first. */
static bool
session_wait_until(struct session *s, uint64_t t_ns)
{
	for (;;) {
		uint64_t now = timeparse_now_ns(), wake;
		struct timespec ts;

		if (session_stopping(s))
			return false;
		if (now >= t_ns)
			return true;
		wake = t_ns - now > SESSION_NAP_NS ? now + SESSION_NAP_NS :
		    t_ns;
		ts.tv_sec = wake / 1000000000ULL;
		ts.tv_nsec = wake % 1000000000ULL;
		clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
	}
}

/* Pushes to a ring that may be full; false if stop came first. */
static bool
session_push(struct session *s, struct ring *r, void *p, bool may_stop,
    _Atomic uint64_t *stalls)
{
	struct ring_wait w = { 0 };
	bool stalled = false;

	while (!ring_push(r, p)) {
		if (may_stop && session_stopping(s))
			return false;
		if (!stalled && stalls != NULL)
			session_bump(stalls, 1);
		stalled = true;
		ring_wait(&w);
	}
	return true;
}

/*
 * The free slots are a stack, not a ring: the slot freed last is reused
 * first while its buffers are still warm, and slots beyond the peak
 * number in flight are never touched, so memory follows the load rather
 * than max_flows.  Only stage 0 and the sink use it, once per flow each,
 * so a mutex costs next to nothing here.
 */
static struct session_slot *
session_slot_get(struct session *s)
{
	struct session_slot *slot = NULL;
	unsigned n;

	pthread_mutex_lock(&s->free_mu);
	if ((n = atomic_load_explicit(&s->nfree, memory_order_relaxed)) > 0) {
		slot = s->free[n - 1];
		atomic_store_explicit(&s->nfree, n - 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&s->free_mu);
	return slot;
}

static void
session_slot_put(struct session *s, struct session_slot *slot)
{
	unsigned n;

	pthread_mutex_lock(&s->free_mu);
	n = atomic_load_explicit(&s->nfree, memory_order_relaxed);
	s->free[n] = slot;
	atomic_store_explicit(&s->nfree, n + 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->free_mu);
}

/* Switches stage 0 to the current profile, keeping its position. */
static void
session_s0_follow(struct session *s, struct s0 *s0, struct profref **pr)
{
	struct profref *np = profref_current();
	struct s0_params p = s0->p;
	struct s0 old = *s0;

	if (np == NULL)
		return;
	p.tp = np->p->time;
	s0_init(s0, &p);
	s0->next_start_ns = old.next_start_ns;
	s0->windows_left = old.windows_left;
	s0->next_id = old.next_id;
	s0_set_flows_per_day(s0, session_load_double(&s->fps_bits) * 86400);
	profref_put(*pr);
	*pr = np;
	session_bump(&s->swaps, 1);
}

/* A flow that found no slot in time is dropped, and said once. */
static void
session_overflow(struct session *s, struct session_worker *wk)
{
	if (atomic_load_explicit(&wk->ctr.dropped, memory_order_relaxed) == 0)
		log_warnx("session: max_flows reached, dropping flows");
	session_bump(&wk->ctr.dropped, 1);
}

/*
 * Releases the flows of one window at their times; false on stop.  A
 * profile swap is noticed before each flow, so flows released after it
 * use the new models; the window's start times were drawn already and
 * keep the old daily shape until the next window.
 */
static bool
session_s0_window(struct session *s, struct session_worker *wk,
    struct s0 *s0, struct s0_window *w, struct profref **pr,
    uint64_t *seqno)
{
	struct session_slot *slot;
	struct ring_wait rw = { 0 };

	for (uint32_t i = 0; i < w->n; i++) {
		const struct flow *f = &w->flows[i];

		atomic_store_explicit(&s->horizon_ns, f->start_ns,
		    memory_order_release);
		if (!session_wait_until(s, f->start_ns > SESSION_LEAD_NS ?
		    f->start_ns - SESSION_LEAD_NS : 0))
			return false;
		ring_wait_reset(&rw);
		while ((slot = session_slot_get(s)) == NULL) {
			if (session_stopping(s))
				return false;
			if (rw.n == 0)
				session_bump(&wk->ctr.stalls, 1);
			if (timeparse_now_ns() > f->start_ns + SESSION_SLOT_WAIT_NS)
				break;
			ring_wait(&rw);
		}
		if (slot == NULL) {
			session_overflow(s, wk);
			continue;
		}
		if (!profref_is_current(*pr))
			session_s0_follow(s, s0, pr);
		slot->flow = *f;
		slot->prof = *pr;
		profref_get(*pr);
		slot->seqno = (*seqno)++;
		slot->dropped = false;
		session_push(s, s->ring[SESSION_S1], slot, false,
		    &wk->ctr.stalls);
		session_bump(&wk->ctr.flows, 1);
		atomic_store_explicit(&s->dispatched, *seqno,
		    memory_order_release);
	}
	atomic_store_explicit(&s->horizon_ns, w->end_ns, memory_order_release);
	return true;
}

static void
session_run_s0(struct session_worker *wk)
{
	struct session *s = wk->s;
	struct profref *pr = profref_current();
	struct s0_window w = { 0 };
	struct s0_params p = { 0 };
	struct s0 s0;
	double fps = 0;
	uint64_t seqno = 0;
	int rc;

	p.tp = pr->p->time;
	p.seed = s->p.seed;
	p.start_ns = s->start_ns;
	p.duration_ns = s->p.duration_ns;
	p.flows_per_day = s->p.fps * 86400;
	p.flat = s->p.flat;
	s0_init(&s0, &p);
	for (;;) {
		if (!session_wait_until(s, s0.next_start_ns > SESSION_LEAD_NS ?
		    s0.next_start_ns - SESSION_LEAD_NS : 0))
			break;
		if (session_load_double(&s->fps_bits) != fps) {
			fps = session_load_double(&s->fps_bits);
			s0_set_flows_per_day(&s0, fps * 86400);
		}
		if (!profref_is_current(pr))
			session_s0_follow(s, &s0, &pr);
		if ((rc = s0_next(&s0, &w)) <= 0) {
			if (rc < 0)
				session_fail(s, "stage 0: %s", strerror(-rc));
			break;
		}
		session_store_double(&s->target_bits, s0_window_mean(&s0,
		    w.start_ns) * 1e9 / (double)(w.end_ns - w.start_ns));
		if (!session_s0_window(s, wk, &s0, &w, &pr, &seqno))
			break;
	}
	s0_window_free(&w);
	profref_put(pr);
}

/*
 * Stage 2 may point payloads into its per-thread scratch, valid only
 * until its next flow; stage 3 builds this flow later, on another thread.
 * So the bytes move into the slot, whose buffer is reused like the rest.
 */
static int
session_own_payloads(struct session_slot *slot)
{
	struct pkt_seq *seq = &slot->seq;
	uint64_t need = 0;
	uint32_t off = 0;

	for (uint32_t i = 0; i < seq->n; i++)
		if (seq->pkts[i].kind == PAYLOAD_BYTES &&
		    seq->pkts[i].payload != NULL)
			need += seq->pkts[i].len;
	if (need > UINT32_MAX)
		return -EOVERFLOW;
	if (need > slot->paycap) {
		uint8_t *p = realloc(slot->pay, need);

		if (p == NULL)
			return -ENOMEM;
		slot->pay = p;
		slot->paycap = need;
	}
	for (uint32_t i = 0; i < seq->n; i++) {
		struct pkt *k = &seq->pkts[i];

		if (k->kind != PAYLOAD_BYTES || k->payload == NULL)
			continue;
		memcpy(slot->pay + off, k->payload, k->len);
		k->payload = slot->pay + off;
		off += k->len;
	}
	return 0;
}

/* Stage work on one slot; false marks the flow dropped. */
static void
session_work(struct session *s, struct session_worker *wk,
    struct session_slot *slot, struct s2_scratch *scratch)
{
	const struct profile *prof = slot->prof->p;
	struct s3_opts o = { .taint = s->p.taint };
	int64_t sec;
	int rc = 0;

	if (slot->dropped)
		return;
	switch (wk->stage) {
	case SESSION_S1:
		sec = (int64_t)(slot->flow.start_ns / 1000000000ULL);
		rc = s1_sample(prof->bn, prof->conf, tz_sec_of_day(sec),
		    &slot->flow);
		break;
	case SESSION_S2:
		rc = s2_generate(prof->automata, &slot->flow, &slot->seq,
		    scratch);
		if (rc == 0)
			rc = session_own_payloads(slot);
		if (rc == 0) {
			session_bump(&wk->ctr.packets, slot->seq.n);
			if (slot->seq.flow.fallback)
				session_bump(&wk->ctr.fallback, 1);
		}
		break;
	case SESSION_S3:
		rc = s3_build(&slot->seq, &o, &slot->fb);
		if (rc == 0)
			session_bump(&wk->ctr.packets, slot->fb.n);
		break;
	default:
		break;
	}
	if (rc < 0) {
		slot->dropped = true;
		session_bump(&wk->ctr.dropped, 1);
	}
}

/* A worker of stage 1, 2 or 3: pop, work, pass on, until drained. */
static void
session_run_stage(struct session_worker *wk)
{
	struct session *s = wk->s;
	enum session_stage up = wk->stage - 1;
	struct s2_scratch *scratch = NULL;
	struct session_slot *slot;
	struct ring_wait w = { 0 };
	unsigned nup = up == SESSION_S0 ? 1 : s->p.threads[up];

	if (wk->stage == SESSION_S2 && (scratch = s2_scratch_new()) == NULL) {
		session_fail(s, "stage 2: out of memory");
		return;
	}
	for (;;) {
		bool done = atomic_load_explicit(&s->exited[up],
		    memory_order_acquire) == nup;

		if ((slot = ring_pop(s->ring[wk->stage])) == NULL) {
			if (done)
				break;
			ring_wait(&w);
			continue;
		}
		ring_wait_reset(&w);
		session_work(s, wk, slot, scratch);
		session_bump(&wk->ctr.flows, 1);
		session_push(s, s->ring[wk->stage + 1], slot, false, NULL);
	}
	if (scratch != NULL)
		s2_scratch_free(scratch);
}

/*
 * The sink's merge: the shared time-ordered merge (one stream per flow,
 * keyed by time, flow id and frame index) plus the reorder table that
 * admits slots in dispatch order.
 */
struct session_merge {
	struct merge heap;
	struct session_slot **pending;       /* by seqno % max_flows */
	uint64_t next;                       /* next seqno to admit */
	uint64_t watermark;                  /* nothing new starts before */
	uint64_t last_ts;
};

static void
session_release(struct session *s, struct session_slot *slot)
{
	profref_put(slot->prof);
	slot->prof = NULL;
	/*
	 * Buffers are kept from flow to flow, but not those a rare huge
	 * flow grew: thousands of slots each holding the largest flow they
	 * ever saw would cost gigabytes.  Such a flow pays one allocation.
	 */
	if (slot->fb.cap > SESSION_KEEP_BYTES)
		frame_buf_free(&slot->fb);
	if ((size_t)slot->seq.cap * sizeof(struct pkt) > SESSION_KEEP_BYTES)
		pkt_seq_free(&slot->seq);
	if (slot->paycap > SESSION_KEEP_BYTES) {
		free(slot->pay);
		slot->pay = NULL;
		slot->paycap = 0;
	}
	session_slot_put(s, slot);
}

/* Admits the slots that are next in dispatch order. */
static void
session_admit(struct session *s, struct session_worker *wk,
    struct session_merge *m)
{
	unsigned max = s->p.max_flows;
	struct session_slot *slot;

	while ((slot = m->pending[m->next % max]) != NULL &&
	    slot->seqno == m->next) {
		m->pending[m->next % max] = NULL;
		m->next++;
		if (slot->flow.start_ns > m->watermark)
			m->watermark = slot->flow.start_ns;
		session_bump(&wk->ctr.flows, 1);
		if (slot->dropped || slot->fb.n == 0 ||
		    merge_push(&m->heap, slot->fb.frames[0].ts_ns,
		    slot->flow.id, 0, slot) < 0)
			session_release(s, slot);
	}
}

/*
 * Writes every frame before the watermark.  A frame at the watermark
 * itself waits: a flow admitted later may start at that very instant.
 */
static void
session_emit(struct session *s, struct session_merge *m)
{
	while (merge_ready(&m->heap, m->watermark)) {
		const struct merge_ent *e = merge_top(&m->heap);
		struct session_slot *slot = e->stream;
		const struct frame *fr = &slot->fb.frames[e->idx];

		if (fr->ts_ns < m->last_ts)
			session_bump(&s->order_errors, 1);
		else
			m->last_ts = fr->ts_ns;
		if (!atomic_load(&s->failed) && sink_write(s->sink, fr->ts_ns,
		    slot->fb.data + fr->off, fr->len) < 0)
			session_fail(s, "sink: write failed");
		if (e->idx + 1 < slot->fb.n) {
			uint32_t next = e->idx + 1;

			merge_advance(&m->heap, slot->fb.frames[next].ts_ns,
			    next);
			continue;
		}
		merge_pop(&m->heap);
		session_release(s, slot);
	}
}

static void
session_run_sink(struct session_worker *wk)
{
	struct session *s = wk->s;
	struct session_merge m = { 0 };
	struct session_slot *slot;
	struct ring_wait w = { 0 };
	unsigned nup = s->p.threads[SESSION_S3];

	merge_init(&m.heap);
	if ((m.pending = calloc(s->p.max_flows, sizeof(*m.pending))) == NULL)
		fatal("sink merge");
	for (;;) {
		bool done = atomic_load_explicit(&s->exited[SESSION_S3],
		    memory_order_acquire) == nup;
		uint64_t h, d;
		bool got = false;

		while ((slot = ring_pop(s->ring[SESSION_SINK])) != NULL) {
			m.pending[slot->seqno % s->p.max_flows] = slot;
			got = true;
		}
		session_admit(s, wk, &m);
		h = atomic_load_explicit(&s->horizon_ns, memory_order_acquire);
		d = atomic_load_explicit(&s->dispatched, memory_order_acquire);
		if (m.next >= d && h > m.watermark)
			m.watermark = h;
		if (done && !got)
			m.watermark = UINT64_MAX;
		session_emit(s, &m);
		if (done && !got && merge_top(&m.heap) == NULL)
			break;
		if (got)
			ring_wait_reset(&w);
		else
			ring_wait(&w);
	}
	if (sink_finish(s->sink) < 0)
		session_fail(s, "sink: output not closed cleanly");
	free(m.pending);
	merge_free(&m.heap);
}

static void *
session_thread(void *arg)
{
	struct session_worker *wk = arg;
	struct session *s = wk->s;

	profref_thread_online();
	switch (wk->stage) {
	case SESSION_S0:
		session_run_s0(wk);
		break;
	case SESSION_SINK:
		session_run_sink(wk);
		break;
	default:
		session_run_stage(wk);
		break;
	}
	profref_thread_offline();
	atomic_fetch_add_explicit(&s->exited[wk->stage], 1,
	    memory_order_acq_rel);
	return NULL;
}

static int
session_alloc(struct session *s, struct diag *d)
{
	unsigned n = s->p.max_flows;

	if ((s->slots = calloc(n, sizeof(*s->slots))) == NULL)
		return -ENOMEM;
	if ((s->free = calloc(n, sizeof(*s->free))) == NULL)
		return -ENOMEM;
	for (int st = SESSION_S1; st < SESSION_NSTAGES; st++)
		if ((s->ring[st] = ring_new(s->p.ring_size)) == NULL)
			return -ENOMEM;
	/* Slot 0 on top: the first flows use the first slots. */
	for (unsigned i = 0; i < n; i++)
		s->free[i] = &s->slots[n - 1 - i];
	atomic_store(&s->nfree, n);
	s->nworkers = 2;
	for (int st = SESSION_S1; st <= SESSION_S3; st++)
		s->nworkers += s->p.threads[st];
	if ((s->workers = calloc(s->nworkers, sizeof(*s->workers))) == NULL)
		return -ENOMEM;
	return 0;
}

/*
 * After a failed thread start: count the workers of this stage and of
 * every upstream stage as exited, so the started ones drain and end.
 */
static void
session_unwind(struct session *s, int stage, unsigned missing)
{
	atomic_store(&s->stop, 1);
	atomic_fetch_add(&s->exited[stage], missing);
	for (int st = stage - 1; st >= SESSION_S0; st--)
		atomic_store(&s->exited[st], s->p.threads[st]);
}

/* Starts the threads from the sink backwards. */
static int
session_spawn(struct session *s, struct diag *d)
{
	unsigned k = 0;
	int rc;

	for (int st = SESSION_SINK; st >= SESSION_S0; st--) {
		unsigned n = (st == SESSION_S0 || st == SESSION_SINK) ? 1 :
		    s->p.threads[st];

		for (unsigned i = 0; i < n; i++, k++) {
			struct session_worker *wk = &s->workers[k];
			char name[32];

			wk->s = s;
			wk->stage = st;
			wk->idx = i;
			if ((rc = pthread_create(&wk->th, NULL, session_thread,
			    wk)) != 0) {
				diag_set(d, "session: thread: %s",
				    strerror(rc));
				session_unwind(s, st, n - i);
				return -rc;
			}
			wk->started = true;
			if (n > 1)
				snprintf(name, sizeof(name), "fosr-%s/%u",
				    session_stage_names[st], i);
			else
				snprintf(name, sizeof(name), "fosr-%s",
				    session_stage_names[st]);
			name[15] = '\0';
			pthread_setname_np(wk->th, name);
		}
	}
	return 0;
}

struct session *
session_start(const struct session_params *p, struct diag *d)
{
	struct session *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		diag_set(d, "session: out of memory");
		return NULL;
	}
	s->p = *p;
	pthread_mutex_init(&s->free_mu, NULL);
	s->p.threads[SESSION_S0] = s->p.threads[SESSION_SINK] = 1;
	for (int st = SESSION_S1; st <= SESSION_S3; st++)
		if (s->p.threads[st] == 0)
			s->p.threads[st] = 1;
	session_store_double(&s->fps_bits, p->fps);
	session_store_double(&s->target_bits, 0);
	s->start_ns = timeparse_now_ns();
	if (session_alloc(s, d) < 0) {
		diag_set(d, "session: out of memory");
		goto fail;
	}
	if ((s->sink = sink_open(&p->sink, d)) == NULL)
		goto fail;
	if ((rc = session_spawn(s, d)) < 0) {
		atomic_store(&s->stop, 1);
		/* Threads that did start drain and exit; join them. */
		goto fail;
	}
	return s;
fail:
	atomic_store(&s->stop, 1);
	session_free(s);
	return NULL;
}

void
session_set_fps(struct session *s, double fps)
{
	session_store_double(&s->fps_bits, fps);
}

void
session_request_stop(struct session *s)
{
	atomic_store(&s->stop, 1);
}

bool
session_finished(const struct session *s)
{
	return atomic_load(&((struct session *)s)->exited[SESSION_SINK]) == 1;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->nworkers; i++)
		if (s->workers[i].started)
			pthread_join(s->workers[i].th, NULL);
	if (s->sink != NULL && sink_close(s->sink) < 0)
		log_warnx("session: output not closed cleanly");
	for (unsigned i = 0; s->slots != NULL && i < s->p.max_flows; i++) {
		profref_put(s->slots[i].prof);
		pkt_seq_free(&s->slots[i].seq);
		frame_buf_free(&s->slots[i].fb);
		free(s->slots[i].pay);
	}
	for (int st = 0; st < SESSION_NSTAGES; st++)
		ring_free(s->ring[st]);
	pthread_mutex_destroy(&s->free_mu);
	free(s->free);
	free(s->workers);
	free(s->slots);
	free(s);
}

void
session_stats(const struct session *s, struct session_stats *st)
{
	const struct sink_counters *sc = sink_counters(s->sink);

	memset(st, 0, sizeof(*st));
	st->start_ns = s->start_ns;
	st->fps = session_load_double(&s->fps_bits);
	st->fps_target = session_load_double(&s->target_bits);
	for (unsigned i = 0; i < s->nworkers; i++) {
		const struct session_worker *wk = &s->workers[i];

		st->flows[wk->stage] += atomic_load(&wk->ctr.flows);
		if (wk->stage == SESSION_S2)
			st->packets += atomic_load(&wk->ctr.packets);
		st->fallback += atomic_load(&wk->ctr.fallback);
		st->dropped += atomic_load(&wk->ctr.dropped);
		st->stalls += atomic_load(&wk->ctr.stalls);
	}
	st->frames = atomic_load(&sc->frames);
	st->bytes = atomic_load(&sc->bytes);
	st->files = atomic_load(&sc->files);
	st->errors = atomic_load(&sc->errors);
	st->order_errors = atomic_load(&s->order_errors);
	st->profile_swaps = atomic_load(&s->swaps);
	for (int i = SESSION_S1; i < SESSION_NSTAGES; i++) {
		st->ring_used[i] = ring_count(s->ring[i]);
		st->ring_cap[i] = ring_cap(s->ring[i]);
	}
	for (int i = 0; i < SESSION_NSTAGES; i++)
		st->threads[i] = s->p.threads[i];
	/* Stage 0 is fed by the free list: report the slots in use. */
	st->flows_held = s->p.max_flows - atomic_load(&((struct session *)
	    s)->nfree);
	st->ring_used[SESSION_S0] = st->flows_held;
	st->ring_cap[SESSION_S0] = s->p.max_flows;
	st->finished = session_finished(s);
	st->failed = atomic_load(&((struct session *)s)->failed) != 0;
	if (st->failed && st->finished)
		snprintf(st->error, sizeof(st->error), "%s", s->error);
}
