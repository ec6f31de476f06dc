/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_BIF_H
#define FOSR_BIF_H

/*
 * BIF 0.3 XML (the format aGrUM writes): variables with their outcome
 * labels, and one definition per variable giving its parents and its
 * conditional probability table.  The reader checks everything a sampler
 * relies on, so a parsed network is complete and acyclic.
 */

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct bif_var {
	char *name;
	char **outcomes;         /* labels; position = value index */
	uint32_t noutcomes;
	unsigned long line;      /* of the VARIABLE element */
	uint32_t *parents;       /* indices into bif_net.vars, GIVEN order */
	uint32_t nparents;
	/*
	 * nrows rows of noutcomes weights; rows are numbered with the first
	 * parent most significant.  A row of zeros is an impossible row.
	 */
	double *table;
	uint32_t nrows;
};

struct bif_net {
	char *name;
	struct bif_var *vars;    /* in file order */
	uint32_t nvars;
};

/*
 * Parses a document; fname names it in messages, which read
 * "fname:line: what".  Returns 0 or -EINVAL/-ENOMEM with d set.
 */
int bif_parse(struct bif_net **out, const char *text, size_t len,
    const char *fname, struct diag *d);
void bif_free(struct bif_net *net);
/* Index of the variable with this name, or -1. */
int bif_find(const struct bif_net *net, const char *name);

#endif
