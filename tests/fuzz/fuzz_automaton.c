/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for the automaton loader: any bytes must give either a
 * checked automaton or an error message, never a crash, a leak or a hang;
 * an automaton that loads must then walk without fault, for a few
 * requests of every kind.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "automaton.h"
#include "stage2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t asks[][3] = { { 0, 0, END_ANY },
		{ 1, 1, END_FIN }, { 3, 7, END_RST }, { 40, 2, END_OPEN },
		{ 100000, 5, END_ANY } };
	struct automaton *am = NULL;
	struct automata *set = NULL;
	struct s2_scratch *scr = NULL;
	struct pkt_seq seq;
	struct diag d;

	memset(&seq, 0, sizeof(seq));
	/* A small cap keeps the graph of a hostile file small. */
	if (automaton_parse(&am, "fuzz.json", (const char *)data, size, 20,
	    &d) != 0)
		return 0;
	if ((set = automata_new(20)) == NULL ||
	    (scr = s2_scratch_new()) == NULL ||
	    automata_add(set, am, &d) != 0) {
		automaton_free(am);
		goto out;
	}
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		struct flow f;

		memset(&f, 0, sizeof(f));
		f.seed = i;
		f.l4 = am->l4;
		f.l7 = am->l7;
		f.fwd_pkts = asks[i][0];
		f.bwd_pkts = asks[i][1];
		f.end = (uint8_t)asks[i][2];
		if (s2_generate(set, &f, &seq, scr) != 0)
			break;
	}
out:
	pkt_seq_free(&seq);
	s2_scratch_free(scr);
	automata_free(set);
	return 0;
}
