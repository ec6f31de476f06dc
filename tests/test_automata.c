/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Loading a set of automata on several threads gives what a load one file
 * after the other gives: the same automata, the same file records for the
 * digest and, when files are bad, the error of the first bad file in name
 * order, however the threads happen to run.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "automaton.h"
#include "stage2.h"
#include "tap.h"

#define REPEAT 20

static const unsigned thread_counts[] = { 1, 2, 3, 5, 8 };

/* A valid UDP automaton for l7, n edges with a 2 KB payload each. */
static void
put_automaton(const char *path, const char *l7, unsigned n, bool bad_end)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "{\"protocol\": \"UDP\", \"l7protocol\": \"%s\", "
	    "\"initial_state\": 0, \"accepting_state\": 1, \"edges\": [", l7);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "{\"src\": 0, \"dst\": 1, \"symbol\": \">\", "
		    "\"p\": 0.5, \"count\": 1, \"mu\": [0, 100], "
		    "\"cov\": [[1, 0], [0, 1]], \"payloads\": {\"type\": "
		    "\"HexCodes\", \"content\": [\"");
		for (unsigned k = 0; k < 2048; k++)
			fprintf(f, "%02x", (i + k) & 0xff);
		fprintf(f, "\"]}}, ");
	}
	fprintf(f, "{\"src\": 0, %s\"symbol\": \"<\", \"p\": 0.5, "
	    "\"count\": 1, \"mu\": [0, 100], \"cov\": [[1, 0], [0, 1]], "
	    "\"payloads\": {\"type\": \"NoPayload\"}}]}",
	    bad_end ? "" : "\"dst\": 1, ");
	fclose(f);
}

/*
 * Loads dir with every thread count, REPEAT times each: every load must
 * fail with rc and exactly the message want.
 */
static void
check_error(const char *dir, int rc, const char *want)
{
	struct profile_src src = { dir, NULL };
	struct automata *a;
	struct diag d;
	unsigned bad = 0;

	for (size_t t = 0; t < sizeof(thread_counts) / sizeof(*thread_counts);
	    t++) {
		for (int r = 0; r < REPEAT; r++) {
			memset(&d, 0, sizeof(d));
			a = NULL;
			if (automata_load_threads(&a, &src, 100,
			    thread_counts[t], &d) != rc || a != NULL ||
			    strcmp(d.msg, want) != 0) {
				if (bad++ == 0)
					fprintf(stderr, "%u threads: \"%s\"\n",
					    thread_counts[t], d.msg);
				automata_free(a);
			}
		}
	}
	CHECK_EQ_U(bad, 0);
}

/* A second and a fourth bad file: the second is reported, every time. */
static void
test_first_error(void)
{
	mkdir("p", 0755);
	mkdir("p/automata", 0755);
	put_automaton("p/automata/a.json", "ntp", 1, false);
	/* Long to parse, so that the fourth file fails well before it. */
	put_automaton("p/automata/b.json", "dns", 30, true);
	put_automaton("p/automata/c.json", "mqtt", 1, false);
	tap_put_file("p/automata/d.json", "{\"protocol\": ");
	put_automaton("p/automata/e.json", "kms", 1, false);
	check_error("p", -EINVAL, "automata/b.json: edges[30]: missing key "
	    "\"dst\"");

	/* With the second file mended, the fourth one is reported. */
	put_automaton("p/automata/b.json", "dns", 30, false);
	check_error("p", -EINVAL, "automata/d.json: line 1 column 13: "
	    "unexpected token near end of file");

	/* A duplicate key is found in name order too, before a bad file. */
	put_automaton("p/automata/c.json", "ntp", 1, false);
	check_error("p", -EEXIST, "automata/c.json: UDP/ntp is already "
	    "defined by automata/a.json");
}

static bool
same_edge(const struct automaton_edge *x, const struct automaton_edge *y)
{
	return x->src == y->src && x->dst == y->dst && x->count == y->count &&
	    x->p == y->p && x->eps == y->eps && x->dir == y->dir &&
	    x->tcp_flags == y->tcp_flags && x->pl == y->pl &&
	    x->nchoice == y->nchoice && x->first == y->first &&
	    (x->weights == NULL) == (y->weights == NULL) &&
	    x->iat_mean == y->iat_mean && x->iat_slope == y->iat_slope &&
	    x->iat_sd == y->iat_sd && x->size_mean == y->size_mean;
}

/* Everything S2 reads of an automaton, compared field by field. */
static bool
same_automaton(const struct automaton *x, const struct automaton *y)
{
	if (strcmp(x->name, y->name) != 0 || x->l4 != y->l4 ||
	    x->l7 != y->l7 || x->cap != y->cap || x->nstates != y->nstates ||
	    x->initial != y->initial || x->accepting != y->accepting ||
	    x->nedges != y->nedges || x->nchoices != y->nchoices ||
	    x->arena_len != y->arena_len || x->ncells != y->ncells ||
	    x->nnodes != y->nnodes)
		return false;
	for (uint32_t i = 0; i < x->nedges; i++)
		if (!same_edge(&x->edges[i], &y->edges[i]))
			return false;
	return memcmp(x->arena, y->arena, x->arena_len) == 0 &&
	    memcmp(x->choice_off, y->choice_off, x->nchoices *
	    sizeof(*x->choice_off)) == 0 &&
	    memcmp(x->choice_len, y->choice_len, x->nchoices *
	    sizeof(*x->choice_len)) == 0 &&
	    memcmp(x->ends, y->ends, (size_t)x->nstates * x->ncells) == 0;
}

/* One load per thread count: same automata, same records, same digest. */
static void
test_same_set(const char *dir, unsigned want_n)
{
	struct automata *ref = NULL, *a;
	struct profile_reads rref = { NULL, 0, 0 };
	char dref[65], dg[65];
	struct diag d;

	{
		struct profile_src src = { dir, &rref };

		CHECK_EQ_I(automata_load_threads(&ref, &src, 100, 1, &d), 0);
	}
	if (ref == NULL) {
		fprintf(stderr, "%s: %s\n", dir, d.msg);
		return;
	}
	CHECK_EQ_U(ref->n, want_n);
	CHECK_EQ_U(rref.n, want_n);
	profile_src_digest(&rref, dref);
	for (size_t t = 1; t < sizeof(thread_counts) / sizeof(*thread_counts);
	    t++) {
		struct profile_reads r = { NULL, 0, 0 };
		struct profile_src src = { dir, &r };
		bool same;

		a = NULL;
		CHECK_EQ_I(automata_load_threads(&a, &src, 100,
		    thread_counts[t], &d), 0);
		if (a == NULL)
			continue;
		CHECK_EQ_U(a->n, ref->n);
		same = a->n == ref->n;
		for (uint32_t i = 0; same && i < a->n; i++)
			same = same_automaton(a->list[i], ref->list[i]);
		CHECK(same);
		CHECK_EQ_U(r.n, rref.n);
		for (size_t i = 0; i < r.n && r.n == rref.n; i++) {
			CHECK_STR(r.v[i].name, rref.v[i].name);
			CHECK(memcmp(r.v[i].sha, rref.v[i].sha, 32) == 0);
		}
		profile_src_digest(&r, dg);
		CHECK_STR(dg, dref);
		profile_src_reads_free(&r);
		automata_free(a);
	}
	profile_src_reads_free(&rref);
	automata_free(ref);
}

int
main(void)
{
	const char *shared = getenv("FOSR_SHARED");
	char legacy[4096];

	test_first_error();
	put_automaton("p/automata/c.json", "mqtt", 1, false);
	unlink("p/automata/d.json");
	test_same_set("p", 4);
	/* The default profile, and the legacy one when it is there. */
	test_same_set(NULL, 7);
	if (shared != NULL && *shared != '\0') {
		snprintf(legacy, sizeof(legacy), "%s/fosr-models/legacy",
		    shared);
		test_same_set(legacy, 5);
	}
	return tap_done();
}
