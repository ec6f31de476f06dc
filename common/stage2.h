/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_STAGE2_H
#define FOSR_STAGE2_H

/*
 * S2: packet sequences.  Each application protocol has a timed automaton;
 * a flow's packets come from a walk in it that ends with the packet
 * counts S1 asked for (or the nearest the automaton can make).  A flow
 * whose protocol has no automaton gets the generic exchange of its
 * transport protocol instead, and is marked as a fallback.
 */

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "flow.h"
#include "profile.h"

struct automata;
struct automaton;
struct s2_scratch;

/* Loads every automata/NAME.json of the profile; a bad file fails. */
int automata_load(struct automata **out, const struct profile_src *src,
    struct diag *d);
void automata_free(struct automata *a);
bool automata_has(const struct automata *a, enum l4_proto l4,
    enum l7_proto l7);

/*
 * As automata_load, with at most max_pkts packets per flow (1..1000; the
 * default is 100).  Requests for more collapse onto the largest counts
 * the automaton reaches within the cap.
 */
int automata_load_cap(struct automata **out, const struct profile_src *src,
    uint32_t max_pkts, struct diag *d);
/*
 * As automata_load_cap, parsing on nthreads threads (0: one per online
 * CPU); the outcome is the same for every nthreads.
 */
int automata_load_threads(struct automata **out,
    const struct profile_src *src, uint32_t max_pkts, unsigned nthreads,
    struct diag *d);
/* An empty set (every flow gets the generic exchange); NULL on ENOMEM. */
struct automata *automata_new(uint32_t max_pkts);
/*
 * Adds one parsed automaton (struct automaton, automaton.h), which the
 * set then owns; -EEXIST with d naming both files if its (protocol,
 * l7protocol) is taken.  Its cap must be the set's.
 */
int automata_add(struct automata *a, struct automaton *am, struct diag *d);
/* The automaton for (l4, l7), or NULL. */
const struct automaton *automata_find(const struct automata *a,
    enum l4_proto l4, enum l7_proto l7);
/* Number of automata in the set. */
unsigned automata_count(const struct automata *a);

/* Per-thread working memory. */
struct s2_scratch *s2_scratch_new(void);
void s2_scratch_free(struct s2_scratch *s);

/*
 * Fills out with the packets of f (out->flow is a copy of f with the real
 * packet counts and the S3 seed).  Returns 0 or -ENOMEM.  a may be NULL
 * (every flow gets the generic exchange).  For TCP, out->flow.end tells
 * how the generated packets end (END_FIN, END_RST or END_OPEN).  The
 * payload bytes of a generic exchange live in s: they stay valid until
 * the next call with s.
 */
int s2_generate(const struct automata *a, const struct flow *f,
    struct pkt_seq *out, struct s2_scratch *s);
void pkt_seq_free(struct pkt_seq *seq);

#endif
