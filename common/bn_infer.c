/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Exact sampling from the network given the evidence.  The evidence of a
 * flow is that no impossible row (a row of zeros) is drawn and that the
 * source and destination addresses differ.  Nodes that have no evidence
 * below them are drawn forward from their rows.  The others are summed
 * out from the leaves up while a node's evidence depends only on itself
 * and its parents ("folding": its row is reweighted by the likelihood of
 * the evidence below it, and that likelihood becomes a factor on its
 * parents).  What cannot be folded is the core: its joint distribution,
 * times the remaining factors, is enumerated once per time bin into an
 * alias table.  A flow is then one draw from the core table followed by
 * ancestral sampling of the rest.  If the core would be too large, the
 * sampler falls back to rejection with a bounded number of attempts.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bn_int.h"
#include "log.h"
#include "rng.h"

#define BN_MAX_SCOPE 16
#define BN_MAX_FACTOR (1u << 22)
#define BN_MAX_STATES (1u << 21)
#define BN_TRIES 10000

struct bn_factor {
	uint32_t ns;
	uint32_t sc[BN_MAX_SCOPE];
	double *t;
	uint8_t tag;             /* 1 where the protocol differs from tag */
	bool used;
};

static int bn_attempt(const struct bn *bn, struct rng *r,
    uint32_t sec_of_day, uint32_t *vals);

struct bn_prep {
	struct bn *bn;
	struct bn_factor *f;
	uint32_t nf;
	bool *has_ev;
	bool too_big;
};

uint32_t
bn_row(const struct bn *bn, uint32_t i, const uint32_t *vals)
{
	const struct bn_node *nd = &bn->nodes[i];
	uint32_t r = 0;

	for (uint32_t j = 0; j < nd->np; j++) {
		uint32_t v = vals[nd->par[j]];

		if (v >= BN_UNSET)
			return BN_NA;
		r = r * bn->nodes[nd->par[j]].k + v;
	}
	return r;
}

uint32_t
bn_time_value(const struct bn *bn, uint32_t sec_of_day)
{
	uint64_t b;

	if (bn->time < 0)
		return BN_UNSET;
	b = (uint64_t)(sec_of_day % 86400) * bn->nbins / 86400;
	return bn->bin_val[b];
}

bool
bn_applies(const struct bn *bn, uint32_t i, const uint32_t *vals)
{
	uint32_t pv;

	if (bn->nodes[i].l4 == 0)
		return true;
	pv = vals[bn->proto];
	return pv < BN_UNSET && bn->nodes[bn->proto].val[pv] ==
	    bn->nodes[i].l4;
}

static double
bn_fval(const struct bn *bn, const struct bn_factor *f, const uint32_t *vals)
{
	uint32_t pv = vals[bn->proto];
	size_t idx = 0;

	if (f->tag != 0 && pv < BN_UNSET &&
	    bn->nodes[bn->proto].val[pv] != f->tag)
		return 1.0;
	for (uint32_t j = 0; j < f->ns; j++) {
		uint32_t v = vals[f->sc[j]];

		if (v >= BN_UNSET)
			return 1.0;
		idx = idx * bn->nodes[f->sc[j]].k + v;
	}
	return f->t[idx];
}

static double
bn_mass(const struct bn_node *nd, uint32_t r)
{
	double m = 0.0;

	for (uint32_t x = 0; x < nd->k; x++)
		m += nd->w[(size_t)r * nd->k + x];
	return m;
}

/* Whether conditioning removed weight from row r (or it has none). */
static bool
bn_deficient(const struct bn_node *nd, uint32_t r)
{
	double m = bn_mass(nd, r);

	return !(m > 0.0) || m < nd->norm[r] * (1.0 - 1e-12);
}

/* Sets the parents of node i from row index r. */
static void
bn_set_row(const struct bn *bn, uint32_t i, uint32_t r, uint32_t *vals)
{
	const struct bn_node *nd = &bn->nodes[i];

	for (uint32_t j = nd->np; j-- > 0;) {
		uint32_t c = bn->nodes[nd->par[j]].k;

		vals[nd->par[j]] = r % c;
		r /= c;
	}
}

static void
bn_free_sampler(struct bn *bn)
{
	for (uint32_t i = 0; i < bn->n; i++) {
		struct bn_node *nd = &bn->nodes[i];

		for (uint32_t r = 0; nd->rows != NULL && r < nd->nrows; r++)
			dist_free(&nd->rows[r]);
		free(nd->rows);
		nd->rows = NULL;
		nd->mode = BN_SKIP;
	}
	for (uint32_t t = 0; bn->tabs != NULL && t < bn->ntabs; t++) {
		dist_free(&bn->tabs[t].d);
		free(bn->tabs[t].vals);
	}
	free(bn->tabs);
	bn->tabs = NULL;
	bn->ntabs = 0;
	for (uint32_t r = 0; bn->pair_src != NULL && r < bn->npair; r++)
		dist_free(&bn->pair_src[r]);
	free(bn->pair_src);
	bn->pair_src = NULL;
	bn->npair = 0;
	free(bn->core);
	bn->core = NULL;
	bn->ncore = 0;
	free(bn->order);
	bn->order = NULL;
	free(bn->draw);
	bn->draw = NULL;
	bn->ndraw = 0;
}

/* The nodes bn_sample_once draws from their rows, in order. */
static int
bn_list_draws(struct bn *bn)
{
	if ((bn->draw = calloc(bn->n + 1, sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	for (uint32_t q = 0; q < bn->n; q++) {
		enum bn_mode m = bn->nodes[bn->order[q]].mode;

		if (m == BN_FORWARD || m == BN_FOLDED)
			bn->draw[bn->ndraw++] = bn->order[q];
	}
	return 0;
}

/*
 * Kahn's algorithm taking the lowest index first, so the order follows
 * the files where it can; protocol-specific nodes wait for Proto, whose
 * value says whether they apply.
 */
static int
bn_sort(struct bn *bn, struct diag *d)
{
	bool done[BN_MAX_NODES];
	uint32_t n = 0;

	if ((bn->order = calloc(bn->n, sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	memset(done, 0, sizeof(done));
	while (n < bn->n) {
		uint32_t pick = UINT32_MAX;

		for (uint32_t i = 0; i < bn->n && pick == UINT32_MAX; i++) {
			const struct bn_node *nd = &bn->nodes[i];
			bool ready = !done[i];

			for (uint32_t j = 0; j < nd->np && ready; j++)
				ready = done[nd->par[j]];
			if (ready && nd->l4 != 0 && (int)i != bn->proto)
				ready = done[bn->proto];
			if (ready)
				pick = i;
		}
		if (pick == UINT32_MAX)
			return diag_set(d, "the merged network has a cycle");
		done[pick] = true;
		bn->order[n++] = pick;
	}
	return 0;
}

static int
bn_rows_dist(struct bn_node *nd, const double *w)
{
	if ((nd->rows = calloc(nd->nrows, sizeof(struct dist))) == NULL)
		return -ENOMEM;
	for (uint32_t r = 0; r < nd->nrows; r++) {
		int rc = dist_init(&nd->rows[r], &w[(size_t)r * nd->k], nd->k);

		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

/* Which nodes matter for a flow, and which carry evidence below them. */
static void
bn_mark(struct bn *bn, bool *has_ev, bool *in_a)
{
	bool needed[BN_MAX_NODES];

	memset(needed, 0, sizeof(needed));
	for (uint32_t i = 0; i < bn->n; i++) {
		struct bn_node *nd = &bn->nodes[i];

		has_ev[i] = false;
		in_a[i] = (int)i == bn->src_addr || (int)i == bn->dst_addr;
		for (uint32_t r = 0; r < nd->nrows && (int)i != bn->time; r++)
			if (bn_deficient(nd, r))
				has_ev[i] = true;
	}
	for (uint32_t q = bn->n; q-- > 0;) {
		uint32_t i = bn->order[q];
		struct bn_node *nd = &bn->nodes[i];

		needed[i] = needed[i] || nd->kind != BN_LATENT || has_ev[i];
		in_a[i] = in_a[i] || has_ev[i];
		for (uint32_t j = 0; j < nd->np; j++) {
			needed[nd->par[j]] |= needed[i];
			in_a[nd->par[j]] |= in_a[i];
		}
		nd->mode = !needed[i] ? BN_SKIP : (int)i == bn->time ?
		    BN_OBSERVED : in_a[i] ? BN_CORE : BN_FORWARD;
	}
}

static struct bn_factor *
bn_new_factor(struct bn_prep *p, const uint32_t *sc, uint32_t ns, uint8_t tag)
{
	struct bn_factor *f;
	size_t cells = 1;

	if (ns > BN_MAX_SCOPE) {
		p->too_big = true;
		return NULL;
	}
	for (uint32_t j = 0; j < ns; j++) {
		cells *= p->bn->nodes[sc[j]].k;
		if (cells > BN_MAX_FACTOR) {
			p->too_big = true;
			return NULL;
		}
	}
	f = &p->f[p->nf];
	memset(f, 0, sizeof(*f));
	if ((f->t = calloc(cells, sizeof(double))) == NULL)
		return NULL;
	memcpy(f->sc, sc, ns * sizeof(uint32_t));
	f->ns = ns;
	f->tag = tag;
	p->nf++;
	return f;
}

static bool
bn_same_host(const struct bn_node *s, uint32_t a, const struct bn_node *t,
    uint32_t b)
{
	return !s->pub[a] && !t->pub[b] && s->val[a] == t->val[b];
}

/*
 * Weights of the source given rows rs and rd and a destination that
 * differs from it: w(a) times the destination weight left besides a.
 */
static double
bn_pair_law(const struct bn_node *s, uint32_t rs, const struct bn_node *t,
    uint32_t rd, double *wa)
{
	double sum = 0.0, md = bn_mass(t, rd);

	for (uint32_t a = 0; a < s->k; a++) {
		double clash = 0.0;

		for (uint32_t b = 0; b < t->k; b++)
			if (bn_same_host(s, a, t, b))
				clash += t->w[(size_t)rd * t->k + b];
		wa[a] = s->w[(size_t)rs * s->k + a] * fmax(md - clash, 0.0);
		sum += wa[a];
	}
	return sum;
}

/*
 * The two address nodes as one: a factor on their parents, the chance
 * that the two draws differ, and per pair of rows the law of the source
 * given that the destination will differ.
 */
static int
bn_fold_pair(struct bn_prep *p)
{
	struct bn *bn = p->bn;
	uint32_t is = (uint32_t)bn->src_addr, id = (uint32_t)bn->dst_addr;
	struct bn_node *s = &bn->nodes[is], *t = &bn->nodes[id];
	uint32_t sc[2 * BN_MAX_SCOPE], ns = 0, vals[BN_MAX_NODES];
	struct bn_factor *f;
	double *wa;
	size_t cells = 1;

	for (uint32_t j = 0; j < s->np + t->np; j++) {
		uint32_t v = j < s->np ? s->par[j] : t->par[j - s->np];
		bool dup = false;

		for (uint32_t q = 0; q < ns; q++)
			dup = dup || sc[q] == v;
		if (!dup)
			sc[ns++] = v;
	}
	if ((f = bn_new_factor(p, sc, ns, 0)) == NULL)
		return p->too_big ? 0 : -ENOMEM;
	bn->npair = s->nrows * t->nrows;
	bn->pair_dst_rows = t->nrows;
	bn->pair_src = calloc(bn->npair, sizeof(struct dist));
	wa = malloc(s->k * sizeof(double));
	if (bn->pair_src == NULL || wa == NULL) {
		free(wa);
		return -ENOMEM;
	}
	for (uint32_t j = 0; j < ns; j++)
		cells *= bn->nodes[sc[j]].k;
	for (size_t c = 0; c < cells; c++) {
		uint32_t rs, rd;
		size_t rem = c;
		double ms, md, sum = 0.0;

		for (uint32_t j = ns; j-- > 0;) {
			vals[sc[j]] = (uint32_t)(rem % bn->nodes[sc[j]].k);
			rem /= bn->nodes[sc[j]].k;
		}
		rs = bn_row(bn, is, vals);
		rd = bn_row(bn, id, vals);
		ms = s->norm[rs];
		md = t->norm[rd];
		if (!(bn_mass(s, rs) > 0.0) || !(bn_mass(t, rd) > 0.0))
			continue;
		sum = bn_pair_law(s, rs, t, rd, wa);
		f->t[c] = sum / (ms * md);
		if (bn->pair_src[rs * t->nrows + rd].n == 0 &&
		    dist_init(&bn->pair_src[rs * t->nrows + rd], wa, s->k) ==
		    -ENOMEM) {
			free(wa);
			return -ENOMEM;
		}
	}
	free(wa);
	s->mode = t->mode = BN_PAIR;
	return bn_rows_dist(t, t->w);
}

/* Whether node i can be summed into a factor on its parents. */
static bool
bn_foldable(struct bn_prep *p, uint32_t i)
{
	struct bn *bn = p->bn;
	struct bn_node *nd = &bn->nodes[i];
	bool has_proto = (int)i == bn->proto;

	for (uint32_t j = 0; j < nd->np; j++)
		has_proto = has_proto || (int)nd->par[j] == bn->proto;
	for (uint32_t c = 0; c < bn->n; c++)
		for (uint32_t j = 0; j < bn->nodes[c].np; j++)
			if (bn->nodes[c].par[j] == i &&
			    bn->nodes[c].mode == BN_CORE)
				return false;
	for (uint32_t q = 0; q < p->nf; q++) {
		struct bn_factor *f = &p->f[q];
		bool mine = false;

		for (uint32_t j = 0; j < f->ns; j++)
			mine = mine || f->sc[j] == i;
		if (f->used || !mine)
			continue;
		if (f->tag != 0 && f->tag != nd->l4 && !has_proto)
			return false;
		for (uint32_t j = 0; j < f->ns; j++) {
			bool in = f->sc[j] == i;

			for (uint32_t k = 0; k < nd->np; k++)
				in = in || f->sc[j] == nd->par[k];
			if (!in)
				return false;
		}
	}
	return true;
}

static int
bn_fold(struct bn_prep *p, uint32_t i)
{
	struct bn *bn = p->bn;
	struct bn_node *nd = &bn->nodes[i];
	uint32_t vals[BN_MAX_NODES];
	struct bn_factor *lam, *mine[BN_MAX_NODES];
	uint32_t nmine = 0;
	double *wa;
	int rc;

	for (uint32_t q = 0; q < p->nf; q++)
		for (uint32_t j = 0; j < p->f[q].ns && !p->f[q].used; j++)
			if (p->f[q].sc[j] == i && nmine < BN_MAX_NODES) {
				mine[nmine++] = &p->f[q];
				break;
			}
	if ((lam = bn_new_factor(p, nd->par, nd->np, nd->l4)) == NULL)
		return p->too_big ? 0 : -ENOMEM;
	if ((wa = malloc((size_t)nd->nrows * nd->k * sizeof(double))) == NULL)
		return -ENOMEM;
	for (uint32_t q = 0; q < BN_MAX_NODES; q++)
		vals[q] = BN_UNSET;
	for (uint32_t r = 0; r < nd->nrows; r++) {
		double m = nd->norm[r], sum = 0.0;

		bn_set_row(bn, i, r, vals);
		for (uint32_t x = 0; x < nd->k; x++) {
			double w = nd->w[(size_t)r * nd->k + x];

			vals[i] = x;
			for (uint32_t q = 0; q < nmine && w > 0.0; q++)
				w *= bn_fval(bn, mine[q], vals);
			wa[(size_t)r * nd->k + x] = w;
			sum += w;
		}
		lam->t[r] = m > 0.0 ? sum / m : 0.0;
	}
	for (uint32_t q = 0; q < nmine; q++)
		mine[q]->used = true;
	rc = bn_rows_dist(nd, wa);
	free(wa);
	nd->mode = BN_FOLDED;
	return rc;
}

struct bn_enum {
	struct bn_prep *p;
	struct bn_core_tab *tab;
	uint32_t vals[BN_MAX_NODES];
	double *w;               /* weights of the states found */
	uint32_t cap;
};

static int
bn_enum_add(struct bn_enum *e, double w)
{
	struct bn *bn = e->p->bn;
	struct bn_core_tab *t = e->tab;

	for (uint32_t q = 0; q < e->p->nf && w > 0.0; q++)
		if (!e->p->f[q].used)
			w *= bn_fval(bn, &e->p->f[q], e->vals);
	if (!(w > 0.0))
		return 0;
	if (t->d.n >= BN_MAX_STATES) {
		e->p->too_big = true;
		return 0;
	}
	if (t->d.n == e->cap) {
		uint32_t nc = e->cap ? 2 * e->cap : 64;
		double *nw = realloc(e->w, nc * sizeof(double));
		uint16_t *nv;

		if (nw == NULL)
			return -ENOMEM;
		e->w = nw;
		nv = realloc(t->vals, (size_t)nc * (bn->ncore + 1) *
		    sizeof(uint16_t));
		if (nv == NULL)
			return -ENOMEM;
		t->vals = nv;
		e->cap = nc;
	}
	for (uint32_t c = 0; c < bn->ncore; c++) {
		uint32_t v = e->vals[bn->core[c]];

		t->vals[(size_t)t->d.n * bn->ncore + c] =
		    v == BN_NA ? UINT16_MAX : (uint16_t)v;
	}
	e->w[t->d.n++] = w;
	t->z += w;
	return 0;
}

static int
bn_enum_rec(struct bn_enum *e, uint32_t c, double w)
{
	struct bn *bn = e->p->bn;
	uint32_t i, r;
	struct bn_node *nd;
	double m;
	int rc;

	if (e->p->too_big)
		return 0;
	if (c == bn->ncore)
		return bn_enum_add(e, w);
	i = bn->core[c];
	nd = &bn->nodes[i];
	if (!bn_applies(bn, i, e->vals)) {
		e->vals[i] = BN_NA;
		return bn_enum_rec(e, c + 1, w);
	}
	r = bn_row(bn, i, e->vals);
	if (r == BN_NA || !((m = nd->norm[r]) > 0.0))
		return 0;
	for (uint32_t x = 0; x < nd->k; x++) {
		double px = nd->w[(size_t)r * nd->k + x] / m;

		if (!(px > 0.0))
			continue;
		e->vals[i] = x;
		if ((rc = bn_enum_rec(e, c + 1, w * px)) != 0)
			return rc;
	}
	e->vals[i] = BN_UNSET;
	return 0;
}

static bool
bn_core_uses_time(struct bn_prep *p)
{
	struct bn *bn = p->bn;

	if (bn->time < 0)
		return false;
	for (uint32_t c = 0; c < bn->ncore; c++)
		for (uint32_t j = 0; j < bn->nodes[bn->core[c]].np; j++)
			if ((int)bn->nodes[bn->core[c]].par[j] == bn->time)
				return true;
	for (uint32_t q = 0; q < p->nf; q++)
		for (uint32_t j = 0; j < p->f[q].ns && !p->f[q].used; j++)
			if ((int)p->f[q].sc[j] == bn->time)
				return true;
	return false;
}

static int
bn_build_core(struct bn_prep *p)
{
	struct bn *bn = p->bn;
	struct bn_enum e;
	int rc = 0;

	if ((bn->core = calloc(bn->n + 1, sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	for (uint32_t q = 0; q < bn->n; q++)
		if (bn->nodes[bn->order[q]].mode == BN_CORE)
			bn->core[bn->ncore++] = bn->order[q];
	bn->ntabs = bn_core_uses_time(p) ? bn->nbins : 1;
	if ((bn->tabs = calloc(bn->ntabs, sizeof(*bn->tabs))) == NULL)
		return -ENOMEM;
	memset(&e, 0, sizeof(e));
	e.p = p;
	for (uint32_t t = 0; t < bn->ntabs && rc == 0 && !p->too_big; t++) {
		for (uint32_t q = 0; q < BN_MAX_NODES; q++)
			e.vals[q] = BN_UNSET;
		if (bn->time >= 0)
			e.vals[bn->time] = bn->ntabs == 1 ? BN_UNSET :
			    bn->bin_val[t];
		e.tab = &bn->tabs[t];
		e.cap = 0;
		free(e.w);
		e.w = NULL;
		if ((rc = bn_enum_rec(&e, 0, 1.0)) != 0)
			break;
		if (e.tab->d.n > 0) {
			uint32_t n = e.tab->d.n;

			e.tab->d.n = 0;
			rc = dist_init(&e.tab->d, e.w, n);
		}
	}
	free(e.w);
	return rc;
}

/* Everything drawn forward; each attempt checks the evidence. */
int
bn_prepare_rejection(struct bn *bn, struct diag *d)
{
	struct rng r;
	uint32_t vals[BN_MAX_NODES], ok = 0, n = 4000;
	int rc;

	bn_free_sampler(bn);
	if ((rc = bn_sort(bn, d)) != 0)
		return rc;
	for (uint32_t i = 0; i < bn->n; i++) {
		struct bn_node *nd = &bn->nodes[i];

		nd->mode = (int)i == bn->time ? BN_OBSERVED : BN_FORWARD;
		if (nd->mode == BN_FORWARD && (rc = bn_rows_dist(nd, nd->w)) !=
		    0)
			return rc;
	}
	bn->rejection = true;
	if ((rc = bn_list_draws(bn)) != 0)
		return rc;
	rng_seed(&r, 1);
	for (uint32_t t = 0; t < n; t++)
		ok += bn_attempt(bn, &r, t * 86400 / n, vals) == 0;
	if (ok * 100 < n)
		return diag_set(d, "the conditioned network is too large for "
		    "exact sampling and rejection accepts only %u of %u "
		    "draws", ok, n);
	log_notice("network: sampling by rejection, acceptance %.3f",
	    (double)ok / n);
	return 0;
}

static int
bn_prepare_exact(struct bn_prep *p, struct diag *d)
{
	struct bn *bn = p->bn;
	bool in_a[BN_MAX_NODES];
	int rc;

	bn_mark(bn, p->has_ev, in_a);
	for (uint32_t i = 0; i < bn->n; i++)
		if (bn->nodes[i].mode == BN_FORWARD &&
		    (rc = bn_rows_dist(&bn->nodes[i], bn->nodes[i].w)) != 0)
			return rc;
	for (uint32_t q = bn->n; q-- > 0 && !p->too_big;) {
		uint32_t i = bn->order[q];
		struct bn_node *nd = &bn->nodes[i];

		if (nd->mode != BN_CORE)
			continue;
		if ((int)i == bn->src_addr || (int)i == bn->dst_addr)
			rc = bn_fold_pair(p);
		else if (bn_foldable(p, i))
			rc = bn_fold(p, i);
		else
			rc = 0;
		if (rc != 0)
			return rc;
	}
	/*
	 * A factor or a core node that depends on the protocol needs Proto
	 * in the core.  A root Proto drawn forward can join it as is; other
	 * shapes are left to rejection (no learned model has them).
	 */
	for (uint32_t i = 0; i < p->nf + bn->n; i++) {
		bool dep = i < p->nf ? !p->f[i].used && p->f[i].tag != 0 :
		    bn->nodes[i - p->nf].mode == BN_CORE &&
		    bn->nodes[i - p->nf].l4 != 0;
		struct bn_node *pr = &bn->nodes[bn->proto];

		if (!dep || pr->mode == BN_CORE)
			continue;
		if (pr->mode == BN_FORWARD && pr->np == 0)
			pr->mode = BN_CORE;
		else
			p->too_big = true;
	}
	if (p->too_big)
		return 0;
	return bn_build_core(p);
}

int
bn_prepare(struct bn *bn, struct diag *d)
{
	struct bn_prep p;
	bool has_ev[BN_MAX_NODES], any = false;
	int rc;

	bn_free_sampler(bn);
	bn->rejection = false;
	if ((rc = bn_sort(bn, d)) != 0)
		return rc;
	memset(&p, 0, sizeof(p));
	p.bn = bn;
	p.has_ev = has_ev;
	if ((p.f = calloc(2 * BN_MAX_NODES, sizeof(*p.f))) == NULL)
		return -ENOMEM;
	rc = bn_prepare_exact(&p, d);
	for (uint32_t q = 0; q < p.nf; q++)
		free(p.f[q].t);
	free(p.f);
	if (rc != 0)
		return rc;
	if (p.too_big)
		return bn_prepare_rejection(bn, d);
	if ((rc = bn_list_draws(bn)) != 0)
		return rc;
	for (uint32_t t = 0; t < bn->ntabs; t++)
		any = any || bn->tabs[t].d.n > 0;
	if (!any) {
		diag_set(d, "no flow of the model is possible: every one "
		    "reaches a row of zeros");
		return -ESRCH;
	}
	return 0;
}

/* A destination that differs from the source address a. */
static uint32_t
bn_draw_dst(const struct bn *bn, struct rng *r, uint32_t rd, uint32_t a)
{
	const struct bn_node *s = &bn->nodes[bn->src_addr];
	const struct bn_node *t = &bn->nodes[bn->dst_addr];
	const double *w = &t->w[(size_t)rd * t->k];
	double tot = 0.0, u;
	uint32_t b = 0;

	for (int i = 0; i < 64; i++) {
		b = dist_sample(&t->rows[rd], r);
		if (!bn_same_host(s, a, t, b))
			return b;
	}
	/* Nearly all the mass is on the source itself: scan instead. */
	for (uint32_t j = 0; j < t->k; j++)
		if (!bn_same_host(s, a, t, j))
			tot += w[j];
	u = rng_u01(r) * tot;
	for (uint32_t j = 0; j < t->k; j++) {
		if (bn_same_host(s, a, t, j) || !(w[j] > 0.0))
			continue;
		b = j;
		if ((u -= w[j]) < 0.0)
			break;
	}
	return b;
}

static int
bn_sample_once(const struct bn *bn, struct rng *r, uint32_t *vals)
{
	const struct bn_node *s = &bn->nodes[bn->src_addr];
	uint32_t rs, rd;

	for (uint32_t q = 0; q < bn->ndraw; q++) {
		uint32_t i = bn->draw[q], row;
		const struct bn_node *nd = &bn->nodes[i];

		if (!bn_applies(bn, i, vals)) {
			vals[i] = BN_NA;
			continue;
		}
		row = bn_row(bn, i, vals);
		if (row == BN_NA || nd->rows[row].n == 0)
			return -EAGAIN;
		vals[i] = dist_sample(&nd->rows[row], r);
		/* Rejection: the weight conditioning removed is evidence. */
		if (bn->rejection && bn_deficient(nd, row) &&
		    rng_u01(r) * nd->norm[row] >= bn_mass(nd, row))
			return -EAGAIN;
	}
	if (bn->rejection) {
		uint32_t a = vals[bn->src_addr], b = vals[bn->dst_addr];

		return bn_same_host(s, a, &bn->nodes[bn->dst_addr], b) ?
		    -EAGAIN : 0;
	}
	rs = bn_row(bn, (uint32_t)bn->src_addr, vals);
	rd = bn_row(bn, (uint32_t)bn->dst_addr, vals);
	if (rs == BN_NA || rd == BN_NA ||
	    bn->pair_src[rs * bn->pair_dst_rows + rd].n == 0)
		return -EAGAIN;
	vals[bn->src_addr] = dist_sample(
	    &bn->pair_src[rs * bn->pair_dst_rows + rd], r);
	vals[bn->dst_addr] = bn_draw_dst(bn, r, rd, vals[bn->src_addr]);
	return 0;
}

/* One attempt: the core table, then the rest forward. */
static int
bn_attempt(const struct bn *bn, struct rng *r, uint32_t sec_of_day,
    uint32_t *vals)
{
	const struct bn_core_tab *t;
	uint32_t s;

	for (uint32_t i = 0; i < bn->n; i++)
		vals[i] = BN_UNSET;
	if (bn->time >= 0)
		vals[bn->time] = bn_time_value(bn, sec_of_day);
	if (!bn->rejection) {
		t = &bn->tabs[bn->ntabs == 1 ? 0 :
		    (uint64_t)(sec_of_day % 86400) * bn->nbins / 86400];
		if (t->d.n == 0)
			return -EAGAIN;
		s = dist_sample(&t->d, r);
		for (uint32_t c = 0; c < bn->ncore; c++) {
			uint16_t v = t->vals[(size_t)s * bn->ncore + c];

			vals[bn->core[c]] = v == UINT16_MAX ? BN_NA : v;
		}
	}
	return bn_sample_once(bn, r, vals);
}

int
bn_sample(const struct bn *bn, struct rng *r, uint32_t sec_of_day,
    uint32_t *vals)
{
	uint32_t tries = bn->rejection ? BN_TRIES : 1;

	for (uint32_t a = 0; a < tries; a++)
		if (bn_attempt(bn, r, sec_of_day, vals) == 0)
			return 0;
	return -EAGAIN;
}

/* Marginals by plain enumeration, for tests: slow but independent. */
struct bn_marg {
	const struct bn *bn;
	uint32_t target;
	bool rel[BN_MAX_NODES];
	uint32_t vals[BN_MAX_NODES];
	double *acc;
	double app;
	double total;
};

static void
bn_marg_rec(struct bn_marg *m, uint32_t q, double w)
{
	const struct bn *bn = m->bn;
	const struct bn_node *nd;
	uint32_t i, r;
	double mass;

	while (q < bn->n && (!m->rel[bn->order[q]] ||
	    (int)bn->order[q] == bn->time))
		q++;
	if (q == bn->n) {
		uint32_t a = m->vals[bn->src_addr], b = m->vals[bn->dst_addr];

		if (bn_same_host(&bn->nodes[bn->src_addr], a,
		    &bn->nodes[bn->dst_addr], b))
			return;
		m->total += w;
		if (m->vals[m->target] < BN_UNSET) {
			m->acc[m->vals[m->target]] += w;
			m->app += w;
		}
		return;
	}
	i = bn->order[q];
	nd = &bn->nodes[i];
	if (!bn_applies(bn, i, m->vals)) {
		m->vals[i] = BN_NA;
		bn_marg_rec(m, q + 1, w);
		return;
	}
	r = bn_row(bn, i, m->vals);
	if (r == BN_NA || !((mass = nd->norm[r]) > 0.0))
		return;
	for (uint32_t x = 0; x < nd->k; x++) {
		double px = nd->w[(size_t)r * nd->k + x] / mass;

		if (!(px > 0.0))
			continue;
		m->vals[i] = x;
		bn_marg_rec(m, q + 1, w * px);
	}
	m->vals[i] = BN_UNSET;
}

int
bn_marginal(const struct bn *bn, const char *name, uint32_t sec_of_day,
    double *out, uint32_t n, double *applies)
{
	struct bn_marg m;
	int t = bn_node_find(bn, name);

	if (t < 0 || bn->nodes[t].k != n || t == bn->time)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.bn = bn;
	m.target = (uint32_t)t;
	m.acc = out;
	memset(out, 0, n * sizeof(double));
	/* The target, the evidence and their ancestors. */
	for (uint32_t i = 0; i < bn->n; i++) {
		const struct bn_node *nd = &bn->nodes[i];

		m.rel[i] = (int)i == t || (int)i == bn->src_addr ||
		    (int)i == bn->dst_addr;
		for (uint32_t r = 0; r < nd->nrows && (int)i != bn->time; r++)
			m.rel[i] = m.rel[i] || bn_deficient(nd, r);
	}
	/* Proto decides which protocol-specific nodes apply. */
	m.rel[bn->proto] = true;
	for (uint32_t q = bn->n; q-- > 0;) {
		const struct bn_node *nd = &bn->nodes[bn->order[q]];

		for (uint32_t j = 0; j < nd->np && m.rel[bn->order[q]]; j++)
			m.rel[nd->par[j]] = true;
	}
	for (uint32_t i = 0; i < BN_MAX_NODES; i++)
		m.vals[i] = BN_UNSET;
	if (bn->time >= 0)
		m.vals[bn->time] = bn_time_value(bn, sec_of_day);
	bn_marg_rec(&m, 0, 1.0);
	if (!(m.app > 0.0))
		return -ENOENT;
	for (uint32_t x = 0; x < n; x++)
		out[x] /= m.app;
	if (applies != NULL)
		*applies = m.app / m.total;
	return 0;
}
