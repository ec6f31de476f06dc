/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The set of automata of a profile: every JSON file of its automata
 * folder, read in name order so that loading never depends on the
 * directory, each parsed and checked by automaton.c.  One bad file fails
 * the whole set, and two files claiming the same (protocol, l7protocol)
 * are an error rather than a silent replacement.  Read-only once loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "automaton.h"
#include "stage2.h"

struct automata *
automata_new(uint32_t max_pkts)
{
	struct automata *a;

	if (max_pkts == 0 || max_pkts > AUTOMATON_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->cap = max_pkts;
	return a;
}

int
automata_add(struct automata *a, struct automaton *am, struct diag *d)
{
	int row = automata_row(am->l4);
	struct automaton **l;

	if (row < 0 || am->l7 >= L7_COUNT || am->cap != a->cap)
		return diag_set(d, "%s: not usable in this set", am->name);
	if (a->by_key[row][am->l7] != NULL) {
		diag_set(d, "%s: %s/%s is already defined by %s", am->name,
		    l4_name(am->l4), l7_key(am->l7),
		    a->by_key[row][am->l7]->name);
		return -EEXIST;
	}
	if ((l = realloc(a->list, (a->n + 1) * sizeof(*l))) == NULL)
		return -ENOMEM;
	a->list = l;
	a->list[a->n++] = am;
	a->by_key[row][am->l7] = am;
	return 0;
}

static int
automata_read_one(struct automata *a, const struct profile_src *src,
    const char *name, struct diag *d)
{
	struct automaton *am = NULL;
	char rel[512], *text = NULL;
	size_t len = 0;
	int rc;

	snprintf(rel, sizeof(rel), "automata/%s", name);
	if ((rc = profile_src_read(src, rel, &text, &len, d)) != 0)
		return rc;
	rc = automaton_parse(&am, rel, text, len, a->cap, d);
	free(text);
	if (rc == 0 && (rc = automata_add(a, am, d)) != 0)
		automaton_free(am);
	return rc;
}

int
automata_load_cap(struct automata **out, const struct profile_src *src,
    uint32_t max_pkts, struct diag *d)
{
	struct automata *a = NULL;
	char **names = NULL;
	int rc;

	*out = NULL;
	if ((a = automata_new(max_pkts)) == NULL && errno == EINVAL)
		return diag_set(d, "%u packets per flow is out of range 1..%u",
		    max_pkts, AUTOMATON_CAP_MAX);
	if (a == NULL)
		return -ENOMEM;
	if ((rc = profile_src_list(src, "automata", ".json", &names, d)) != 0)
		goto out;
	for (size_t i = 0; names[i] != NULL && rc == 0; i++)
		rc = automata_read_one(a, src, names[i], d);
	if (rc == 0) {
		*out = a;
		a = NULL;
	}
out:
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	automata_free(a);
	return rc;
}

int
automata_load(struct automata **out, const struct profile_src *src,
    struct diag *d)
{
	return automata_load_cap(out, src, AUTOMATON_CAP_DEFAULT, d);
}

void
automata_free(struct automata *a)
{
	if (a == NULL)
		return;
	for (uint32_t i = 0; i < a->n; i++)
		automaton_free(a->list[i]);
	free(a->list);
	free(a);
}

const struct automaton *
automata_find(const struct automata *a, enum l4_proto l4, enum l7_proto l7)
{
	int row = automata_row(l4);

	if (a == NULL || row < 0 || (unsigned)l7 >= L7_COUNT)
		return NULL;
	return a->by_key[row][l7];
}

bool
automata_has(const struct automata *a, enum l4_proto l4, enum l7_proto l7)
{
	return automata_find(a, l4, l7) != NULL;
}

unsigned
automata_count(const struct automata *a)
{
	return a != NULL ? a->n : 0;
}
