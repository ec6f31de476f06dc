/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The set of automata of a profile: every JSON file of its automata
 * folder, read in name order so that loading never depends on the
 * directory, each parsed and checked by automaton.c.  One bad file fails
 * the whole set, and two files claiming the same (protocol, l7protocol)
 * are an error rather than a silent replacement.  Read-only once loaded.
 *
 * The files are read, hashed and parsed on up to one thread per online
 * CPU (most of a profile's load time is spent here), then put together
 * on the calling thread in name order, so the set, the digest records and
 * the error reported are those of a load one file after the other.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "automaton.h"
#include "sha256.h"
#include "stage2.h"

/* Enough for the few files of a profile on any machine. */
#define AUTOMATA_LOAD_THREADS_MAX 16

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

/*
 * One file of the set, loaded by whichever thread takes it.  Everything a
 * task produces stays in its slot until the caller combines the slots in
 * name order, so the result never depends on which thread ran first.
 */
struct automata_task {
	const char *name;
	size_t size;             /* bytes, to hand out the big files first */
	struct automaton *am;
	unsigned char sha[32];
	int rc;
	bool done;               /* read and parsed, successfully or not */
	struct diag d;
};

/*
 * Shared by the loading threads.  order lists the tasks largest first
 * (the largest file alone takes about half the time, so it must not be
 * the last one taken); next is the position in order of the next task to
 * take.  first_bad is the lowest name index of a task that failed: tasks
 * above it are no longer worth loading, those below it still are, since
 * one of them may be the first failure in name order.  Each task slot is
 * written by the one thread that took it and read by the caller only
 * after every thread is joined.
 */
struct automata_job {
	const struct profile_src *src;
	uint32_t cap;
	struct automata_task *tasks;
	size_t *order;
	size_t n;
	atomic_size_t next;
	atomic_size_t first_bad;
};

static void
automata_run_task(struct automata_job *job, size_t i)
{
	/* A source without a record: the calling thread records in order. */
	struct profile_src src = { job->src->dir, NULL };
	struct automata_task *t = &job->tasks[i];
	char rel[512], *text = NULL;
	size_t len = 0, bad;

	snprintf(rel, sizeof(rel), "automata/%s", t->name);
	t->rc = profile_src_read(&src, rel, &text, &len, &t->d);
	if (t->rc == 0) {
		sha256_buf(text, len, t->sha);
		t->rc = automaton_parse(&t->am, rel, text, len, job->cap,
		    &t->d);
	}
	free(text);
	t->done = true;
	bad = atomic_load(&job->first_bad);
	while (t->rc != 0 && i < bad &&
	    !atomic_compare_exchange_weak(&job->first_bad, &bad, i))
		;
}

static void *
automata_worker(void *arg)
{
	struct automata_job *job = arg;
	size_t k, i;

	while ((k = atomic_fetch_add(&job->next, 1)) < job->n) {
		i = job->order[k];
		if (i < atomic_load(&job->first_bad))
			automata_run_task(job, i);
	}
	return NULL;
}

/* Runs the job on the calling thread and up to nthreads - 1 others. */
static void
automata_run_job(struct automata_job *job, unsigned nthreads)
{
	pthread_t th[AUTOMATA_LOAD_THREADS_MAX];
	char tname[16];
	unsigned k, started = 0;

	if (nthreads > job->n)
		nthreads = (unsigned)job->n;
	if (nthreads > AUTOMATA_LOAD_THREADS_MAX)
		nthreads = AUTOMATA_LOAD_THREADS_MAX;
	/* A thread that cannot be started leaves its share to the others. */
	for (k = 1; k < nthreads; k++) {
		if (pthread_create(&th[started], NULL, automata_worker,
		    job) != 0)
			break;
		snprintf(tname, sizeof(tname), "fosr-load/%u", k);
		pthread_setname_np(th[started], tname);
		started++;
	}
	automata_worker(job);
	for (k = 0; k < started; k++)
		pthread_join(th[k], NULL);
}

/*
 * Adds the loaded automata to a in name order and records their files,
 * stopping at the first failure, which is the one a sequential load would
 * have met first: a file that did not load, or a duplicate key.  Every
 * task before the first failed one has run (see automata_job).
 */
static int
automata_combine(struct automata *a, const struct profile_src *src,
    struct automata_task *tasks, size_t n, struct diag *d)
{
	char rel[512];
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct automata_task *t = &tasks[i];

		if (!t->done)
			return diag_set(d, "automata/%s: not loaded", t->name);
		if (t->rc != 0) {
			*d = t->d;
			return t->rc;
		}
		snprintf(rel, sizeof(rel), "automata/%s", t->name);
		profile_src_record_sha(src, rel, t->sha);
		if ((rc = automata_add(a, t->am, d)) != 0)
			return rc;
		t->am = NULL;
	}
	return 0;
}

/* Largest first; ties in name order. */
static int
automata_cmp_size(const void *x, const void *y, void *arg)
{
	const struct automata_task *tasks = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;

	if (tasks[i].size != tasks[j].size)
		return tasks[i].size > tasks[j].size ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Sets up one task per name; -ENOMEM. */
static int
automata_job_init(struct automata_job *job, char **names)
{
	char rel[512];
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	job->n = n;
	atomic_init(&job->next, 0);
	atomic_init(&job->first_bad, n);
	if (n == 0)
		return 0;
	job->tasks = calloc(n, sizeof(*job->tasks));
	job->order = calloc(n, sizeof(*job->order));
	if (job->tasks == NULL || job->order == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "automata/%s", names[i]);
		job->tasks[i].name = names[i];
		job->tasks[i].size = profile_src_size(job->src, rel);
		job->order[i] = i;
	}
	qsort_r(job->order, n, sizeof(*job->order), automata_cmp_size,
	    job->tasks);
	return 0;
}

static unsigned
automata_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > AUTOMATA_LOAD_THREADS_MAX ?
	    AUTOMATA_LOAD_THREADS_MAX : (unsigned)n;
}

int
automata_load_threads(struct automata **out, const struct profile_src *src,
    uint32_t max_pkts, unsigned nthreads, struct diag *d)
{
	struct automata_job job = { .src = src, .cap = max_pkts };
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
	if ((rc = automata_job_init(&job, names)) != 0) {
		diag_set(d, "out of memory");
		goto out;
	}
	automata_run_job(&job, nthreads == 0 ? automata_default_threads() :
	    nthreads);
	if ((rc = automata_combine(a, src, job.tasks, job.n, d)) == 0) {
		*out = a;
		a = NULL;
	}
out:
	for (size_t i = 0; job.tasks != NULL && i < job.n; i++)
		automaton_free(job.tasks[i].am);
	free(job.tasks);
	free(job.order);
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	automata_free(a);
	return rc;
}

int
automata_load_cap(struct automata **out, const struct profile_src *src,
    uint32_t max_pkts, struct diag *d)
{
	return automata_load_threads(out, src, max_pkts, 0, d);
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
