/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_BN_INT_H
#define FOSR_BN_INT_H

/*
 * The merged Bayesian network as bn.c builds it and stage1.c samples it.
 * Private to those two files and to tests; everything here is written at
 * load or conditioning time and read-only afterwards, so sampling threads
 * share it without locks.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dist.h"
#include "flow.h"
#include "netconf.h"
#include "stage1.h"

/* The sampler keeps one value per node on the stack. */
#define BN_MAX_NODES 256
/* Value of a protocol-specific node in a flow of the other protocol. */
#define BN_NA UINT32_MAX
/* Value not drawn (yet); any value >= BN_UNSET is not an outcome. */
#define BN_UNSET (UINT32_MAX - 1)

enum bn_kind {
	BN_LATENT = 0,           /* not interpreted, sampled for its children */
	BN_TIME,
	BN_PROTO,
	BN_L7,
	BN_SRC_ROLE,
	BN_DST_ROLE,
	BN_SRC_ADDR,
	BN_DST_ADDR,
	BN_DST_PORT,
	BN_OUT_PKTS,
	BN_IN_PKTS,
	BN_END,
};

enum bn_role {
	BN_ROLE_USER,
	BN_ROLE_SERVER,
	BN_ROLE_INTERNET,
};

/* How the sampler draws a node. */
enum bn_mode {
	BN_SKIP = 0,             /* no effect on any flow field: not drawn */
	BN_OBSERVED,             /* the Time node */
	BN_FORWARD,              /* from its own row */
	BN_FOLDED,               /* from its row reweighted by the evidence */
	BN_CORE,                 /* jointly, from the core table */
	BN_PAIR,                 /* the two address nodes, jointly */
};

struct bn_gauss {
	double mu;
	double sigma;
};

struct bn_node {
	char *name;
	const char *file;        /* where it is declared, for messages */
	unsigned long line;
	enum bn_kind kind;
	uint8_t l4;              /* protocol it is specific to, 0 if common */
	uint32_t k;              /* outcomes */
	char **labels;
	uint32_t np;
	uint32_t *par;           /* node indices, first is most significant */
	uint32_t nrows;
	double *w;               /* nrows x k weights, as conditioned */
	/*
	 * Per row, the sum of its weights before conditioning removed any:
	 * P(x | row) = w / norm, and what is missing is the evidence.
	 */
	double *norm;
	/*
	 * Meaning of each outcome: L4 protocol, L7 protocol, role, port,
	 * Gaussian index, end flags, time bin or IPv4 address (host order).
	 */
	uint32_t *val;
	uint8_t *pub;            /* address nodes: outcome is "the Internet" */
	/* Sampler, rebuilt by bn_prepare. */
	enum bn_mode mode;
	struct dist *rows;       /* one per row; n == 0 for an impossible row */
	bool nchild;             /* has children */
};

/* The joint of the core nodes for one time bin. */
struct bn_core_tab {
	struct dist d;           /* n == 0: nothing possible in this bin */
	uint16_t *vals;          /* d.n states x ncore values */
	double z;                /* probability of the evidence */
};

struct bn {
	struct bn_node *nodes;
	uint32_t n;
	uint32_t *order;         /* topological order used to sample */
	uint32_t *draw;          /* nodes drawn one by one, in that order */
	uint32_t ndraw;
	int time, proto, l7, src_role, dst_role, src_addr, dst_addr, port;
	int pkts[2][2];          /* [0 TCP, 1 UDP][0 out, 1 in] */
	int end;
	uint32_t nbins;          /* time bins of a day */
	uint32_t *bin_val;       /* bin -> outcome of the Time node */
	struct bn_gauss *gauss[2][2];
	uint32_t ngauss[2][2];
	const struct netconf *conf;
	/* Addresses public draws avoid (model and configuration). */
	uint32_t *local;
	uint32_t nlocal;
	/* Sampler. */
	bool rejection;          /* the exact tables were too large */
	uint32_t *core;          /* core nodes, topological order */
	uint32_t ncore;
	struct bn_core_tab *tabs;
	uint32_t ntabs;          /* 1, or nbins if the core depends on Time */
	struct dist *pair_src;   /* per (src row, dst row): source address */
	uint32_t npair;
	uint32_t pair_dst_rows;
};

/*
 * Rebuilds the sampler's tables from the current nodes; -ESRCH if the
 * evidence rules out every flow.
 */
int bn_prepare(struct bn *bn, struct diag *d);
/*
 * Rebuilds the sampler for rejection, which bn_prepare uses when exact
 * tables would be too large; tests call it to check that path.
 */
int bn_prepare_rejection(struct bn *bn, struct diag *d);
/* Row index of node i from the values of its parents; BN_NA if any NA. */
uint32_t bn_row(const struct bn *bn, uint32_t i, const uint32_t *vals);
/* The outcome of the Time node for a local time of day. */
uint32_t bn_time_value(const struct bn *bn, uint32_t sec_of_day);
/* Index of a node by name, or -1. */
int bn_node_find(const struct bn *bn, const char *name);
/* Whether the flow's L4 protocol (value of Proto) makes node i apply. */
bool bn_applies(const struct bn *bn, uint32_t i, const uint32_t *vals);

/*
 * Samples the network values of one flow into vals (BN_MAX_NODES) with
 * rng r; public addresses are not drawn here.  Returns 0 or -EAGAIN.
 */
struct rng;
int bn_sample(const struct bn *bn, struct rng *r, uint32_t sec_of_day,
    uint32_t *vals);

/*
 * Exact marginal of a node given the evidence and the time of day, by
 * enumeration, without the sampler's tables: out[i] for each outcome,
 * normalised over the flows where the node applies.  *applies gets that
 * probability (may be NULL).
 */
int bn_marginal(const struct bn *bn, const char *name, uint32_t sec_of_day,
    double *out, uint32_t n, double *applies);

/* Loads from the texts of the four files (tests use it directly). */
int bn_load_texts(struct bn **out, const char *const text[4],
    const size_t len[4], struct diag *d);

#endif
