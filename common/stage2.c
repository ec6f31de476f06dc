/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * S2: the packets of one flow.  With an automaton, a backward walk on its
 * count-constrained graph: pick the end point (f, b) of the accepting
 * state nearest to the counts S1 asked for, then go back to the root
 * choosing in-edges by their training count, so that the flow has exactly
 * f forward and b backward packets.  Requests beyond the per-flow cap
 * collapse onto the reachable points nearest to them.
 *
 * End flags: a TCP flow that S1 wants ended by FIN (and no RST), by RST,
 * or by neither gets an end point whose paths can give that, if one is
 * not much farther than the nearest point, and the walk is then held to
 * such paths.  The flags are those of the whole flow, as the models learn
 * them, not only of its last packet.
 *
 * Gaps: the edge's normal conditioned on the chosen payload size,
 * truncated at 0 (a redraw, not a clamp, so gaps do not pile up at 0),
 * then at least 1 us between packets of a flow so that their order never
 * rests on a tie, and at most a day.
 *
 * Without an automaton for the flow's (transport, application), a generic
 * exchange of the transport protocol, marked as a fallback: TCP handshake,
 * request/response rounds and the teardown S1 asked for; UDP requests and
 * answers; ICMP echo requests and replies.  An ICMP automaton, if a
 * profile has one, is walked like any other.  No flow is dropped and none
 * is empty.
 *
 * Everything a flow draws comes from its own generator seeded with
 * flow.seed, so a flow comes out the same on any thread; the last draw
 * seeds S3.  The walk reuses the caller's arrays and allocates nothing
 * once they are big enough.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "automaton.h"
#include "rng.h"
#include "s2fill.h"
#include "stage2.h"

/* Consecutive packets of a flow are at least this far apart (ns). */
#define S2_MIN_GAP 1000
/* Longest single gap: a day.  Keeps a wild edge from stalling a run. */
#define S2_MAX_IAT 86400e9
/* Requests are clamped here so that squared distances stay exact. */
#define S2_REQ_MAX (1u << 24)
/* Tries of the truncated normal before settling on its bound. */
#define S2_TRIES 64
/* SYNs sent at most when no answer ever comes (a first try, 6 retries). */
#define S2_SYN_MAX 7
/* No origin cell: the edge would come from below the grid. */
#define S2_NO_CELL UINT32_MAX

#define S2_MS 1000000.0
#define S2_US 1000.0

struct s2_scratch {
	uint32_t *ties;
	uint32_t cap;
	uint8_t *bytes;          /* payloads of the last generic exchange */
	size_t bcap;
};

/* A flow's generator, and the second normal variate of the last pair. */
struct s2_draw {
	struct rng r;
	double spare;
	bool has_spare;
};

struct s2_scratch *
s2_scratch_new(void)
{
	return calloc(1, sizeof(struct s2_scratch));
}

void
s2_scratch_free(struct s2_scratch *s)
{
	if (s == NULL)
		return;
	free(s->ties);
	free(s->bytes);
	free(s);
}

void
pkt_seq_free(struct pkt_seq *seq)
{
	free(seq->pkts);
	seq->pkts = NULL;
	seq->n = seq->cap = 0;
}

static int
s2_reserve(struct pkt_seq *seq, uint32_t n)
{
	struct pkt *p;

	if (seq->cap >= n)
		return 0;
	if ((p = realloc(seq->pkts, n * sizeof(*p))) == NULL)
		return -ENOMEM;
	seq->pkts = p;
	seq->cap = n;
	return 0;
}

/* Standard normal, polar method: each pair of variates costs one log. */
static double
s2_normal(struct s2_draw *g)
{
	double u, v, q;

	if (g->has_spare) {
		g->has_spare = false;
		return g->spare;
	}
	do {
		rng_u01_pair(&g->r, &u, &v);
		u = 2.0 * u - 1.0;
		v = 2.0 * v - 1.0;
		q = u * u + v * v;
	} while (q >= 1.0 || q == 0.0);
	q = sqrt(-2.0 * log(q) / q);
	g->spare = v * q;
	g->has_spare = true;
	return u * q;
}

/*
 * A normal variate of mean m and deviation sd truncated to [0, inf).
 * Near the mean plain rejection is cheap; far in the tail it would almost
 * never succeed, so there an exponential proposal is used (Robert 1995).
 */
static double
s2_trunc_normal(struct s2_draw *g, double m, double sd)
{
	double a, lam, z;

	if (!(sd > 0.0))
		return m > 0.0 ? m : 0.0;
	a = -m / sd;
	if (a < 0.5) {
		for (int i = 0; i < S2_TRIES; i++)
			if ((z = s2_normal(g)) >= a)
				return m + sd * z;
		return 0.0;
	}
	lam = (a + sqrt(a * a + 4.0)) / 2.0;
	for (int i = 0; i < S2_TRIES; i++) {
		z = a + rng_exp(&g->r) / lam;
		if (rng_u01(&g->r) <= exp(-(z - lam) * (z - lam) / 2.0))
			return m + sd * z;
	}
	return 0.0;
}

static uint64_t
s2_ns(double x)
{
	if (!(x > 0.0))
		return 0;
	return x > S2_MAX_IAT ? (uint64_t)S2_MAX_IAT : (uint64_t)x;
}

/* Exp(N(ln median, sigma)) clamped to [lo, hi], in ns. */
static uint64_t
s2_lognormal(struct s2_draw *g, double median, double sigma, double lo,
    double hi)
{
	double x = median * exp(sigma * s2_normal(g));

	return s2_ns(x < lo ? lo : x > hi ? hi : x);
}

/*
 * The candidates of column f (the b just below bq and the first at or
 * above it) against the best squared distance so far.
 */
static void
s2_column(const struct automaton_points *pt, uint32_t f, uint64_t df,
    int64_t bq, uint64_t *best, uint32_t *ties, uint32_t *nt)
{
	uint32_t lo = pt->col[f], hi = pt->col[f + 1], k = lo, len, half;

	/*
	 * k: the first point of the column with b >= bq, found without
	 * branching on the comparisons (which half holds it is as good as
	 * random): the answer stays in [k, k + len] while len halves.
	 */
	for (len = hi - lo; len > 1; len -= half) {
		half = len / 2;
		k += half & (0u - (uint32_t)(pt->b[k + half - 1] < bq));
	}
	k += len == 1 && pt->b[k] < bq;
	for (uint32_t c = k > lo ? k - 1 : k; c <= k && c < hi; c++) {
		int64_t db = bq - pt->b[c];
		uint64_t dd = df + (uint64_t)(db * db);

		if (dd < *best) {
			*best = dd;
			*nt = 0;
		}
		if (dd == *best)
			ties[(*nt)++] = f << 16 | pt->b[c];
	}
}

/*
 * The points of one class nearest to (fq, bq): at most two per column
 * (the b just below and just above bq), in (f, b) order.  Returns the
 * squared distance, UINT64_MAX if the class has no point.  Columns are
 * visited outwards from fq and the search stops where a column is
 * farther than the best point; the ties are sorted at the end, which
 * gives the order of a scan from column 0.
 */
static uint64_t
s2_nearest(const struct automaton_points *pt, uint32_t cap, int64_t fq,
    int64_t bq, uint32_t *ties, uint32_t *nt)
{
	uint32_t f0 = fq < cap ? (uint32_t)fq : cap;
	uint64_t best = UINT64_MAX, df;

	*nt = 0;
	for (uint32_t f = f0 + 1; f-- > 0;) {
		if ((df = (uint64_t)((fq - f) * (fq - f))) > best)
			break;
		if (pt->col[f] < pt->col[f + 1])
			s2_column(pt, f, df, bq, &best, ties, nt);
	}
	for (uint32_t f = f0 + 1; f <= cap; f++) {
		if ((df = (uint64_t)((fq - f) * (fq - f))) > best)
			break;
		if (pt->col[f] < pt->col[f + 1])
			s2_column(pt, f, df, bq, &best, ties, nt);
	}
	for (uint32_t i = 1; i < *nt; i++) {
		uint32_t t = ties[i], j;

		for (j = i; j > 0 && ties[j - 1] > t; j--)
			ties[j] = ties[j - 1];
		ties[j] = t;
	}
	return best;
}

static int
s2_end_class(uint8_t end)
{
	switch (end) {
	case END_FIN:
		return 1;
	case END_RST:
		return 2;
	case END_OPEN:
		return 3;
	}
	return 0;
}

/*
 * The end point (f << 16 | b): the nearest the accepting state reaches,
 * ties drawn at random.  For a TCP flow whose end flags are known, the
 * nearest point that can end that way wins if it is not much farther: by
 * at most 2 packets or a tenth of the request's size.  *cls is then the
 * set of FIN/RST combinations the walk must produce.
 */
static int
s2_end(const struct automaton *am, const struct flow *fl, struct s2_draw *g,
    struct s2_scratch *s, uint32_t *end, uint8_t *cls)
{
	static const uint8_t mask[4] = { AUTOMATON_END_ANY, AUTOMATON_END_FIN,
		AUTOMATON_END_RST, AUTOMATON_END_OPEN };
	int64_t fq = fl->fwd_pkts < S2_REQ_MAX ? fl->fwd_pkts : S2_REQ_MAX;
	int64_t bq = fl->bwd_pkts < S2_REQ_MAX ? fl->bwd_pkts : S2_REQ_MAX;
	uint32_t need = 4 * (am->cap + 1), n0, n1, *t = NULL;
	uint64_t d0, d1;
	int c;

	if (s->cap < need) {
		if ((t = realloc(s->ties, need * sizeof(*t))) == NULL)
			return -ENOMEM;
		s->ties = t;
		s->cap = need;
	}
	t = s->ties;
	*cls = AUTOMATON_END_ANY;
	d0 = s2_nearest(&am->points[0], am->cap, fq, bq, t, &n0);
	c = am->l4 == L4_TCP ? s2_end_class(fl->end) : 0;
	if (c != 0 && am->points[c].n > 0) {
		double slack = 0.1 * sqrt((double)(fq * fq + bq * bq));

		d1 = s2_nearest(&am->points[c], am->cap, fq, bq, t + need / 2,
		    &n1);
		if (sqrt((double)d1) <= sqrt((double)d0) +
		    (slack > 2.0 ? slack : 2.0)) {
			t += need / 2;
			n0 = n1;
			*cls = mask[c];
		}
	}
	*end = n0 > 1 ? t[rng_below(&g->r, n0)] : t[0];
	return 0;
}

/*
 * The combinations a path to an edge's origin may have, by the end flags
 * req the rest of the walk needs and the combination e the edge adds:
 * bit c is set when c | e is in req.  A table, since every step of a walk
 * wants all four rows of one req.
 */
#define S2_NEED_BIT(req, e, c) ((((req) >> ((c) | (e))) & 1u) << (c))
#define S2_NEED(req, e) (S2_NEED_BIT(req, e, 0) | S2_NEED_BIT(req, e, 1) | \
	S2_NEED_BIT(req, e, 2) | S2_NEED_BIT(req, e, 3))
#define S2_NEED_ROW(req) \
	{ S2_NEED(req, 0), S2_NEED(req, 1), S2_NEED(req, 2), S2_NEED(req, 3) }

static const uint8_t s2_need[16][4] = {
	S2_NEED_ROW(0), S2_NEED_ROW(1), S2_NEED_ROW(2), S2_NEED_ROW(3),
	S2_NEED_ROW(4), S2_NEED_ROW(5), S2_NEED_ROW(6), S2_NEED_ROW(7),
	S2_NEED_ROW(8), S2_NEED_ROW(9), S2_NEED_ROW(10), S2_NEED_ROW(11),
	S2_NEED_ROW(12), S2_NEED_ROW(13), S2_NEED_ROW(14), S2_NEED_ROW(15),
};

/* The node an edge comes from, if (f, b) is not below what it adds. */
static bool
s2_origin(const struct automaton_edge *e, uint32_t *f, uint32_t *b)
{
	uint32_t *n = e->dir == DIR_FWD ? f : b;

	if (e->eps)
		return true;
	if (*n == 0)
		return false;
	--*n;
	return true;
}

/*
 * What the in-edges of one node (s, f, b) share, worked out once per
 * step rather than for every edge looked at: the cell an edge comes from
 * (by epsilon, forward, backward; S2_NO_CELL below the grid) and the
 * combinations its origin must have, by the combination the edge adds.
 */
struct s2_node {
	uint32_t from[3];
	const uint8_t *need;
};

static void
s2_node_init(const struct automaton *am, uint32_t f, uint32_t b, uint8_t req,
    struct s2_node *nd)
{
	uint32_t c = automaton_cell(am, f, b);

	/* Row f - 1 of the grid is cap + 2 - f cells long. */
	nd->from[0] = c;
	nd->from[1] = f > 0 ? c - (am->cap + 2 - f) : S2_NO_CELL;
	nd->from[2] = b > 0 ? c - 1 : S2_NO_CELL;
	nd->need = s2_need[req & 0xf];
}

/*
 * Whether in-edge i of the node comes from a node whose paths can give
 * what the rest of the walk needs: that need, or 0 if it does not.
 */
static inline uint8_t
s2_in_ok(const struct automaton *am, const struct s2_node *nd,
    const struct automaton_in *i)
{
	uint32_t c = nd->from[i->step];
	uint8_t need = nd->need[i->combo];

	if (c == S2_NO_CELL)
		return 0;
	return (am->ends[(size_t)i->src * am->ncells + c] & need) ? need : 0;
}

/*
 * One in-edge of node (s, f, b), by count among those that come from a
 * node whose paths can still give the end flags *req; *req then becomes
 * what the rest of the walk, back to the root, must give.  A draw from
 * the state's alias table is kept when its edge qualifies, which gives
 * exactly the count-weighted choice among the qualifying ones; after a
 * few misses (edges from cells no path reaches) a scan decides.
 */
static const struct automaton_edge *
s2_in_pick(const struct automaton *am, uint32_t s, uint32_t f, uint32_t b,
    uint8_t *req, struct s2_draw *g)
{
	const struct automaton_in *in = &am->ins[am->in_first[s]];
	uint32_t n = am->in_first[s + 1] - am->in_first[s];
	uint64_t tot = 0, x;
	struct s2_node nd;
	uint8_t need;

	s2_node_init(am, f, b, *req, &nd);
	for (int i = 0; i < 8 && n > 0; i++) {
		uint32_t k = 0;

		if (n > 1) {
			uint32_t alias, keep;

			x = rng_u64(&g->r);
			k = (uint32_t)(((x >> 32) * n) >> 32);
			/*
			 * Slot or alias is a coin toss: a mask, not a branch
			 * the processor would guess wrong half the time (gcc
			 * makes a branch of the plain conditional).
			 */
			alias = in[k].alias;
			keep = 0u - (uint32_t)((uint32_t)x < in[k].thr);
			k = (k & keep) | (alias & ~keep);
		}
		if ((need = s2_in_ok(am, &nd, &in[k])) != 0) {
			*req = need;
			return &am->edges[in[k].edge];
		}
	}
	for (uint32_t k = 0; k < n; k++)
		tot += s2_in_ok(am, &nd, &in[k]) ?
		    am->edges[in[k].edge].count : 0;
	/* Not reached: the node's combinations came from these edges. */
	if (tot == 0)
		return NULL;
	x = rng_below64(&g->r, tot);
	for (uint32_t k = 0;; k++) {
		const struct automaton_edge *e = &am->edges[in[k].edge];

		if ((need = s2_in_ok(am, &nd, &in[k])) == 0)
			continue;
		if (x < e->count) {
			*req = need;
			return e;
		}
		x -= e->count;
	}
}

static void
s2_payload(const struct automaton *am, const struct automaton_edge *e,
    struct s2_draw *g, struct pkt *p)
{
	uint32_t c;

	p->kind = PAYLOAD_NONE;
	p->len = 0;
	p->payload = NULL;
	if (e->pl == AUTOMATON_PL_NONE)
		return;
	c = e->first;
	if (e->weights != NULL)
		c += dist_sample(e->weights, &g->r);
	else if (e->nchoice > 1)
		c += rng_below(&g->r, e->nchoice);
	p->len = am->choice_len[c];
	if (p->len == 0)
		return;
	if (e->pl == AUTOMATON_PL_BYTES) {
		p->kind = PAYLOAD_BYTES;
		p->payload = automaton_choice(am, c);
		/*
		 * Payloads lie all over the automaton's arena and are first
		 * read after the walk: start fetching them now.
		 */
		__builtin_prefetch(p->payload);
	} else {
		p->kind = PAYLOAD_RANDOM;
	}
}

/* Gaps to absolute times, keeping packets S2_MIN_GAP apart. */
static void
s2_stamp(struct pkt_seq *out, uint64_t start)
{
	uint64_t t = start;

	for (uint32_t i = 0; i < out->n; i++) {
		uint64_t gap = out->pkts[i].ts_ns;

		if (i > 0 && gap < S2_MIN_GAP)
			gap = S2_MIN_GAP;
		t += gap;
		out->pkts[i].ts_ns = t;
	}
}

/* The counts and, for TCP, the end flags the packets really have. */
static void
s2_summarise(struct pkt_seq *out)
{
	uint8_t all = 0;

	out->flow.bwd_pkts = 0;
	for (uint32_t i = 0; i < out->n; i++) {
		out->flow.bwd_pkts += out->pkts[i].dir == DIR_BWD;
		all |= out->pkts[i].tcp_flags;
	}
	out->flow.fwd_pkts = out->n - out->flow.bwd_pkts;
	if (out->flow.l4 != L4_TCP)
		out->flow.end = END_ANY;
	else if (all & TCPF_RST)
		out->flow.end = END_RST;
	else if (all & TCPF_FIN)
		out->flow.end = END_FIN;
	else
		out->flow.end = END_OPEN;
}

/* Bound on walk steps: only epsilon cycles can make a walk long. */
static uint64_t
s2_step_limit(const struct automaton *am)
{
	return 64 * (uint64_t)(am->cap + 1) * am->nstates + 1024;
}

/*
 * Payload bytes that decoders of the flow's port accept: all of them for
 * a generic exchange, the random and the unplaceable ones for a walk
 * (s2fill.h).  They go to the scratch.
 */
static int
s2_dress(struct pkt_seq *out, struct s2_scratch *s, struct s2_draw *g,
    bool walked)
{
	enum s2fill_kind k = s2fill_kind(&out->flow);
	size_t need;
	uint8_t *p;

	if (k == S2FILL_RANDOM || s == NULL)
		return 0;
	if ((need = s2fill_need(out)) > s->bcap) {
		if ((p = realloc(s->bytes, need)) == NULL)
			return -ENOMEM;
		s->bytes = p;
		s->bcap = need;
	}
	if (walked)
		s2fill_repair(k, out, &g->r, s->bytes);
	else
		s2fill_apply(k, out, &g->r, s->bytes);
	return 0;
}

static int s2_fallback(const struct flow *fl, uint32_t cap, struct s2_draw *g,
    struct pkt_seq *out, struct s2_scratch *s);

static int
s2_walk(const struct automaton *am, const struct flow *fl, struct s2_draw *g,
    struct pkt_seq *out, struct s2_scratch *s)
{
	uint64_t steps = 0, limit = s2_step_limit(am);
	uint32_t end, st, f, b, left;
	uint8_t cls;
	int rc;

	if ((rc = s2_reserve(out, am->cap)) != 0 ||
	    (rc = s2_end(am, fl, g, s, &end, &cls)) != 0)
		return rc;
	st = am->accepting;
	f = end >> 16;
	b = end & 0xffff;
	/*
	 * Every packet edge takes one off f or b, so the flow has f + b
	 * packets: the walk, which runs backwards, writes them from the
	 * last one down and nothing has to be reversed.
	 */
	out->n = left = f + b;
	while (st != am->initial || f + b > 0) {
		const struct automaton_edge *e =
		    s2_in_pick(am, st, f, b, &cls, g);
		struct pkt *p;

		if (e == NULL || ++steps > limit)
			return s2_fallback(fl, am->cap, g, out, s);
		st = e->src;
		s2_origin(e, &f, &b);
		if (e->eps)
			continue;
		p = &out->pkts[--left];
		s2_payload(am, e, g, p);
		p->dir = e->dir;
		p->tcp_flags = e->tcp_flags;
		p->icmp_type = am->l4 == L4_ICMP && e->dir == DIR_FWD ? 8 : 0;
		p->ts_ns = s2_ns(s2_trunc_normal(g, e->iat_mean +
		    e->iat_slope * ((double)p->len - e->size_mean), e->iat_sd));
	}
	s2_stamp(out, fl->start_ns);
	return s2_dress(out, s, g, true);
}

/*
 * The generic exchange.  Times are as a capture next to the client sees
 * them: the server answers a round trip (plus its own think time) after
 * the client spoke, the client answers the server within microseconds.
 * All delays are log-normal, drawn once per flow where they are the
 * path's (the round trip) and per use where they are a host's.
 */
struct s2_fb {
	struct pkt_seq *out;
	struct s2_draw *g;
	uint64_t rtt;
};

static void
s2_put(struct s2_fb *fb, uint64_t gap, uint8_t dir, uint8_t flags,
    uint32_t len)
{
	struct pkt *p = &fb->out->pkts[fb->out->n];

	/* The flow starts with its first packet, whatever came before. */
	p->ts_ns = fb->out->n++ == 0 ? 0 : gap;
	p->dir = dir;
	p->tcp_flags = flags;
	p->len = len;
	p->kind = len > 0 ? PAYLOAD_RANDOM : PAYLOAD_NONE;
	p->payload = NULL;
	p->icmp_type = 0;
}

static uint64_t
s2_answer(struct s2_fb *fb)
{
	return fb->rtt + s2_lognormal(fb->g, 0.5 * S2_MS, 1.0, 10 * S2_US,
	    2000 * S2_MS);
}

static uint64_t
s2_reply(struct s2_fb *fb)
{
	return s2_lognormal(fb->g, 60 * S2_US, 0.6, 5 * S2_US, 5 * S2_MS);
}

static uint64_t
s2_think(struct s2_fb *fb)
{
	return s2_lognormal(fb->g, 40 * S2_MS, 1.5, 200 * S2_US, 30000 * S2_MS);
}

static uint32_t
s2_len(struct s2_draw *g, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(&g->r, hi - lo + 1);
}

/* Share i of total spread over n parts, each at least 1 if total >= n. */
static uint32_t
s2_share(uint32_t total, uint32_t n, uint32_t i)
{
	return (uint32_t)((uint64_t)total * (i + 1) / n -
	    (uint64_t)total * i / n);
}

/*
 * One message of k segments from dir: full-sized segments, the last one
 * shorter and pushed.  first is the gap before the first segment.
 */
static void
s2_message(struct s2_fb *fb, uint8_t dir, uint32_t k, uint64_t first,
    bool tcp)
{
	uint32_t lo = dir == DIR_FWD ? 24 : 48;
	uint32_t hi = dir == DIR_FWD ? 600 : 1460;

	for (uint32_t j = 0; j < k; j++) {
		bool last = j + 1 == k;
		uint64_t gap = j == 0 ? first :
		    s2_lognormal(fb->g, 30 * S2_US, 0.7, 2 * S2_US, 2 * S2_MS);

		s2_put(fb, gap, dir, !tcp ? 0 : last ? TCPF_PSH | TCPF_ACK :
		    TCPF_ACK, last ? s2_len(fb->g, lo, hi) : 1460);
	}
}

/* Request/response rounds carrying rf client and rb server packets. */
static void
s2_rounds(struct s2_fb *fb, uint32_t rf, uint32_t rb, bool tcp)
{
	uint32_t n = rf < rb ? rf : rb;

	if (n == 0) {
		/* One side only: an upload, or a server that speaks first. */
		if (rf > 0)
			s2_message(fb, DIR_FWD, rf, s2_reply(fb), tcp);
		if (rb > 0)
			s2_message(fb, DIR_BWD, rb, s2_answer(fb), tcp);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		s2_message(fb, DIR_FWD, s2_share(rf, n, i),
		    i == 0 ? s2_reply(fb) : s2_think(fb), tcp);
		s2_message(fb, DIR_BWD, s2_share(rb, n, i), s2_answer(fb),
		    tcp);
	}
}

enum s2_close {
	S2_FIN_CLIENT,           /* F>, F<, A>: (2, 1) */
	S2_FIN_SERVER,           /* F<, F>, A<: (1, 2) */
	S2_FIN_SHORT,            /* F>, F<: (1, 1), last ACK not seen */
	S2_RST_CLIENT,           /* (1, 0) */
	S2_RST_SERVER,           /* (0, 1) */
	S2_OPEN,                 /* (0, 0) */
};

/* The first teardown of the flow's preference that fits in (af, ab). */
static enum s2_close
s2_close_pick(uint8_t end, uint32_t af, uint32_t ab)
{
	static const uint8_t cost[][2] = { { 2, 1 }, { 1, 2 }, { 1, 1 },
		{ 1, 0 }, { 0, 1 }, { 0, 0 } };
	static const enum s2_close fin[] = { S2_FIN_CLIENT, S2_FIN_SERVER,
		S2_FIN_SHORT, S2_OPEN };
	static const enum s2_close rst[] = { S2_RST_CLIENT, S2_RST_SERVER,
		S2_OPEN };
	const enum s2_close *pref = end == END_RST ? rst : fin;

	if (end == END_OPEN)
		return S2_OPEN;
	for (;; pref++)
		if (cost[*pref][0] <= af && cost[*pref][1] <= ab)
			return *pref;
}

static void
s2_close(struct s2_fb *fb, enum s2_close c)
{
	const uint8_t fa = TCPF_FIN | TCPF_ACK, ra = TCPF_RST | TCPF_ACK;

	switch (c) {
	case S2_FIN_CLIENT:
	case S2_FIN_SHORT:
		s2_put(fb, s2_think(fb), DIR_FWD, fa, 0);
		s2_put(fb, s2_answer(fb), DIR_BWD, fa, 0);
		if (c == S2_FIN_CLIENT)
			s2_put(fb, s2_reply(fb), DIR_FWD, TCPF_ACK, 0);
		break;
	case S2_FIN_SERVER:
		s2_put(fb, s2_answer(fb), DIR_BWD, fa, 0);
		s2_put(fb, s2_reply(fb), DIR_FWD, fa, 0);
		s2_put(fb, fb->rtt, DIR_BWD, TCPF_ACK, 0);
		break;
	case S2_RST_CLIENT:
		s2_put(fb, s2_think(fb), DIR_FWD, ra, 0);
		break;
	case S2_RST_SERVER:
		s2_put(fb, s2_answer(fb), DIR_BWD, ra, 0);
		break;
	case S2_OPEN:
		break;
	}
}

/*
 * TCP: handshake, request/response rounds, teardown as flow.end asks.
 * Exact counts need at least two client packets and one server packet;
 * below that the flow is a connection attempt: SYNs left unanswered
 * (retried with back-off, at most S2_SYN_MAX) or a SYN refused by RST.
 */
static void
s2_fb_tcp(struct s2_fb *fb, const struct flow *fl, uint32_t nf, uint32_t nb)
{
	static const uint8_t closing[][2] = { { 2, 1 }, { 1, 2 }, { 1, 1 },
		{ 1, 0 }, { 0, 1 }, { 0, 0 } };
	enum s2_close c;

	if (nb == 0) {
		nf = nf == 0 ? 1 : nf > S2_SYN_MAX ? S2_SYN_MAX : nf;
		/* Retries after 1 s, then 2, 4, ... as stacks back off. */
		for (uint32_t i = 0; i < nf; i++)
			s2_put(fb, (uint64_t)(1000 * S2_MS) <<
			    (i > 0 ? i - 1 : 0), DIR_FWD, TCPF_SYN, 0);
		return;
	}
	if (nf <= 1) {
		s2_put(fb, 0, DIR_FWD, TCPF_SYN, 0);
		s2_put(fb, fb->rtt, DIR_BWD, TCPF_RST | TCPF_ACK, 0);
		return;
	}
	s2_put(fb, 0, DIR_FWD, TCPF_SYN, 0);
	s2_put(fb, fb->rtt, DIR_BWD, TCPF_SYN | TCPF_ACK, 0);
	s2_put(fb, s2_reply(fb), DIR_FWD, TCPF_ACK, 0);
	nf -= 2;
	nb -= 1;
	c = s2_close_pick(fl->end, nf, nb);
	s2_rounds(fb, nf - closing[c][0], nb - closing[c][1], true);
	s2_close(fb, c);
}

/* UDP: requests each answered in turn; extra requests go unanswered. */
static void
s2_fb_udp(struct s2_fb *fb, uint32_t nf, uint32_t nb)
{
	uint32_t pairs;

	if (nf == 0)
		nf = 1;
	pairs = nf < nb ? nf : nb;
	s2_rounds(fb, pairs, nb, false);
	for (uint32_t i = pairs; i < nf; i++)
		s2_put(fb, s2_lognormal(fb->g, 1000 * S2_MS, 0.3, 100 * S2_MS,
		    5000 * S2_MS), DIR_FWD, 0, s2_len(fb->g, 24, 600));
}

/* ICMP: echo requests a second apart, the first nb of them answered. */
static void
s2_fb_icmp(struct s2_fb *fb, const struct flow *fl, uint32_t nf, uint32_t nb)
{
	uint32_t len = fl->client_os == OS_WINDOWS ? 32 : 56;
	uint64_t back = 0;

	if (nf == 0)
		nf = 1;
	for (uint32_t i = 0; i < nf; i++) {
		uint64_t period = s2_lognormal(fb->g, 1000 * S2_MS, 0.01,
		    990 * S2_MS, 1010 * S2_MS);

		s2_put(fb, period > back ? period - back : S2_MIN_GAP, DIR_FWD,
		    0, len);
		fb->out->pkts[fb->out->n - 1].icmp_type = 8;
		back = 0;
		if (i < nb) {
			back = fb->rtt;
			s2_put(fb, back, DIR_BWD, 0, len);
			fb->out->pkts[fb->out->n - 1].icmp_type = 0;
		}
	}
}

/* Scales a request down to the cap, keeping each side that asked. */
static void
s2_clamp(uint32_t *nf, uint32_t *nb, uint32_t cap)
{
	uint64_t tot = (uint64_t)*nf + *nb, f;

	if (tot <= cap)
		return;
	f = (uint64_t)*nf * cap / tot;
	if (*nf > 0 && f == 0)
		f = 1;
	if (*nb > 0 && f == cap)
		f = cap - 1;
	*nf = (uint32_t)f;
	*nb = cap - (uint32_t)f;
}

static int
s2_fallback(const struct flow *fl, uint32_t cap, struct s2_draw *g,
    struct pkt_seq *out, struct s2_scratch *s)
{
	struct s2_fb fb = { .out = out, .g = g };
	uint32_t nf = fl->fwd_pkts, nb = fl->bwd_pkts;
	int rc;

	if ((rc = s2_reserve(out, cap > S2_SYN_MAX ? cap : S2_SYN_MAX)) != 0)
		return rc;
	out->n = 0;
	out->flow.fallback = 1;
	s2_clamp(&nf, &nb, cap < 2 ? 2 : cap);
	fb.rtt = s2_lognormal(g, 2 * S2_MS, 1.2, 50 * S2_US, 1000 * S2_MS);
	if (fl->l4 == L4_TCP)
		s2_fb_tcp(&fb, fl, nf, nb);
	else if (fl->l4 == L4_UDP)
		s2_fb_udp(&fb, nf, nb);
	else
		s2_fb_icmp(&fb, fl, nf, nb);
	s2_stamp(out, fl->start_ns);
	return s2_dress(out, s, g, false);
}

int
s2_generate(const struct automata *a, const struct flow *f,
    struct pkt_seq *out, struct s2_scratch *s)
{
	const struct automaton *am = automata_find(a, f->l4, f->l7);
	struct s2_draw g = { .has_spare = false };
	int rc;

	rng_seed(&g.r, f->seed);
	out->flow = *f;
	out->flow.fallback = 0;
	out->n = 0;
	if (am != NULL)
		rc = s2_walk(am, f, &g, out, s);
	else
		rc = s2_fallback(f, a != NULL ? a->cap : AUTOMATON_CAP_DEFAULT,
		    &g, out, s);
	if (rc != 0)
		return rc;
	s2_summarise(out);
	out->flow.seed = rng_u64(&g.r);
	return 0;
}
