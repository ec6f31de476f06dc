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

#include "diag.h"
#include "flow.h"
#include "profile.h"

struct automata;
struct s2_scratch;

/* Loads every automata/NAME.json of the profile; a bad file fails. */
int automata_load(struct automata **out, const struct profile_src *src,
    struct diag *d);
void automata_free(struct automata *a);
bool automata_has(const struct automata *a, enum l4_proto l4,
    enum l7_proto l7);

/* Per-thread working memory. */
struct s2_scratch *s2_scratch_new(void);
void s2_scratch_free(struct s2_scratch *s);

/*
 * Fills out with the packets of f (out->flow is a copy of f with the real
 * packet counts and the S3 seed).  Returns 0 or -ENOMEM.
 */
int s2_generate(const struct automata *a, const struct flow *f,
    struct pkt_seq *out, struct s2_scratch *s);
void pkt_seq_free(struct pkt_seq *seq);

#endif
