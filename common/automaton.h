/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_AUTOMATON_H
#define FOSR_AUTOMATON_H

/*
 * One timed automaton (one JSON file of a profile's automata/ folder) and
 * the count-constrained graph S2 samples from.  Parsing converts every
 * value to the units the walk uses (IAT in ns, sizes in payload bytes, in
 * double) and decodes all payload bytes into one arena, so the walk does
 * no arithmetic on units and no allocation.  Immutable once built: any
 * number of threads may walk it.
 *
 * The graph's nodes are (state, f, b): an automaton state plus the number
 * of forward and backward packets emitted on the way there, with f + b
 * bounded by the per-flow packet cap.  Only edges whose count is positive
 * enter it, since a walk weighted by count can never take the others; so
 * every node reached from the root can walk back to it.  The graph is not
 * stored edge by edge: a node's in-edges are those of its state whose
 * origin is a node, so a dense table of nodes (one byte each) and the
 * in-edges of each state say it all, and stay in cache during walks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "dist.h"
#include "flow.h"

/* Packets per flow when the caller does not say. */
#define AUTOMATON_CAP_DEFAULT 100
/* Largest cap accepted: the graph grows with its square. */
#define AUTOMATON_CAP_MAX 1000
/* Largest state index a file may use. */
#define AUTOMATON_STATES_MAX 4096
/* Largest graph (states times cells) built for one file. */
#define AUTOMATON_GRAPH_MAX (1u << 26)

/*
 * What a TCP flow's packets hold, as a combination c: bit 0 "some packet
 * has FIN", bit 1 "some packet has RST".  A set of combinations is a
 * 4-bit mask with bit c for combination c; the end flags S1 asks for are
 * these sets.
 */
#define AUTOMATON_COMBO(flags) \
	((((flags) & TCPF_FIN) ? 1u : 0u) | (((flags) & TCPF_RST) ? 2u : 0u))
#define AUTOMATON_END_OPEN 0x1  /* neither FIN nor RST */
#define AUTOMATON_END_FIN 0x2   /* FIN and no RST */
#define AUTOMATON_END_RST 0xc   /* RST, with or without FIN */
#define AUTOMATON_END_ANY 0xf

enum automaton_payload {
	AUTOMATON_PL_NONE = 0,
	AUTOMATON_PL_BYTES,      /* HexCodes or Text: bytes in the arena */
	AUTOMATON_PL_LENGTHS,    /* random bytes of a listed length */
};

struct automaton_edge {
	uint32_t src;
	uint32_t dst;
	uint32_t count;
	float p;
	bool eps;                /* "$": no packet, no time */
	uint8_t dir;             /* enum pkt_dir */
	uint8_t tcp_flags;       /* TCPF_* */
	uint8_t pl;              /* enum automaton_payload */
	uint32_t nchoice;        /* payload choices (0 for none) */
	uint32_t first;          /* first choice in choice_off/choice_len */
	struct dist *weights;    /* Text weights, NULL for a uniform pick */
	/*
	 * IAT given the payload size s: normal with mean
	 * iat_mean + iat_slope * (s - size_mean) and deviation iat_sd, in ns.
	 */
	double iat_mean;
	double iat_slope;
	double iat_sd;
	double size_mean;        /* payload bytes */
};

/*
 * An edge of positive count into a state.  The in-edges of a state are
 * stored together with their alias table over the counts (slot k is
 * taken if the draw is below thr, else slot alias).  The edge's fields
 * that decide whether a walk may take it are copied here, so that a walk
 * step tests a draw without loading the edge itself.
 */
struct automaton_in {
	uint32_t edge;
	uint32_t thr;            /* acceptance threshold, scaled to 2^32 */
	uint32_t alias;          /* slot within the state's in-edges */
	uint16_t src;            /* the edge's origin state */
	uint8_t step;            /* AUTOMATON_STEP_* */
	uint8_t combo;           /* AUTOMATON_COMBO of its flags */
};

/* What an edge adds to (f, b): nothing, a forward or a backward packet. */
#define AUTOMATON_STEP_EPS 0
#define AUTOMATON_STEP_FWD 1
#define AUTOMATON_STEP_BWD 2

/*
 * End points (f, b) of the accepting state, column by column: those with
 * f == x are b[col[x]] .. b[col[x + 1] - 1], in increasing order.
 */
struct automaton_points {
	uint32_t n;
	uint32_t *col;           /* cap + 2 entries */
	uint16_t *b;
};

struct automaton {
	char *name;              /* file name, for messages */
	uint8_t l4;              /* enum l4_proto */
	uint8_t l7;              /* enum l7_proto */
	uint32_t cap;            /* packets per flow */
	uint32_t nstates;
	uint32_t initial;
	uint32_t accepting;
	double iat_scale;        /* file unit to ns */
	bool size_has_header;    /* sizes in the file include the L4 header */

	struct automaton_edge *edges;
	uint32_t nedges;
	uint8_t *arena;          /* all payload bytes */
	size_t arena_len;
	uint32_t *choice_off;    /* per payload choice: offset in the arena */
	uint32_t *choice_len;    /* per payload choice: length */
	uint32_t nchoices;

	/*
	 * The graph: for each state and each (f, b) with f + b <= cap (a
	 * cell), the FIN/RST combinations of the paths that reach it from
	 * the root (initial, 0, 0); 0 where none does.
	 */
	uint32_t ncells;         /* (cap + 1) (cap + 2) / 2 */
	uint8_t *ends;           /* nstates * ncells */
	uint32_t nnodes;         /* reachable (state, f, b) */
	uint32_t *in_first;      /* nstates + 1: in-edges of each state */
	struct automaton_in *ins;
	/* [0] every end point, then those of AUTOMATON_END_FIN, _RST, _OPEN */
	struct automaton_points points[4];
};

/* Cell of (f, b), f + b <= cap: row f starts after rows 0 .. f - 1. */
static inline uint32_t
automaton_cell(const struct automaton *am, uint32_t f, uint32_t b)
{
	return f * (am->cap + 1) - f * (f - 1) / 2 + b;
}

/* The combinations reaching (state, f, b); 0 if it is unreachable. */
static inline uint8_t
automaton_ends(const struct automaton *am, uint32_t state, uint32_t f,
    uint32_t b)
{
	return am->ends[(size_t)state * am->ncells + automaton_cell(am, f, b)];
}

/*
 * A profile's set of automata (stage2.h has its functions): at most one
 * per (transport, application) pair, all built for the same cap.
 */
struct automata {
	uint32_t cap;
	uint32_t n;
	struct automaton **list;             /* in load order */
	struct automaton *by_key[3][L7_COUNT];
};

/* Row of by_key for a transport protocol, or -1. */
static inline int
automata_row(unsigned l4)
{
	return l4 == L4_ICMP ? 0 : l4 == L4_TCP ? 1 : l4 == L4_UDP ? 2 : -1;
}

/*
 * Parses and checks one automaton from text (len bytes, need not be
 * NUL-terminated) and builds its graph for at most cap packets per flow.
 * name is used in messages: "dns.json: edges[3].cov: expected a 2x2
 * array".  Returns 0, -EINVAL with d set, or -ENOMEM.
 */
int automaton_parse(struct automaton **out, const char *name,
    const char *text, size_t len, uint32_t cap, struct diag *d);
void automaton_free(struct automaton *am);

/*
 * The combinations with which a flow can end at (f, b); 0 if it cannot
 * (and for (0, 0): a flow has at least one packet).
 */
uint8_t automaton_point(const struct automaton *am, uint32_t f, uint32_t b);
/* The payload bytes of choice i (AUTOMATON_PL_BYTES); inline for walks. */
static inline const uint8_t *
automaton_choice(const struct automaton *am, uint32_t i)
{
	return am->arena + am->choice_off[i];
}

#endif
