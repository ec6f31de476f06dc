/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * S0 over whole days of the real learned profile: the daily shape and
 * total, time zones and daylight saving, determinism, agreement between
 * runs started at different instants, rate changes and the duration cut.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "stage0.h"
#include "timeprof.h"
#include "tz.h"
#include "tap.h"

#define NS 1000000000ULL
#define DAY_NS (86400 * NS)

/* 2026-03-10 00:00:00 UTC, a Tuesday without any clock change nearby. */
#define T_0310 1773100800ULL
/* 2026-03-29 00:00 in Paris (23:00 UTC the day before): 23 hours long. */
#define T_PARIS_0329 1774738800ULL
/* 2026-10-25 00:00 in Paris (22:00 UTC the day before): 25 hours long. */
#define T_PARIS_1025 1792879200ULL

static struct time_profile *tp;

static struct time_profile *
load_legacy(void)
{
	struct time_profile *p = NULL;
	struct diag d = { "" };
	char path[1024], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fosr-models/legacy/time_profile.json",
	    tap_shared());
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n &&
	    timeprof_parse(&p, buf, (size_t)n, "time_profile.json", &d) != 0)
		fprintf(stderr, "%s\n", d.msg);
	free(buf);
	fclose(f);
	return p;
}

/* Expected flows in each local hour: bins spread evenly over their span. */
static void
expected_hours(const struct time_profile *p, double scale, double out[24])
{
	double bin = 86400.0 / p->nbins;

	memset(out, 0, 24 * sizeof(out[0]));
	for (uint32_t i = 0; i < p->nbins; i++) {
		double a = i * bin, b = (i + 1) * bin;

		for (int h = 0; h < 24; h++) {
			double lo = a > h * 3600.0 ? a : h * 3600.0;
			double hi = b < (h + 1) * 3600.0 ? b : (h + 1) * 3600.0;

			if (hi > lo)
				out[h] += p->hist[i] * scale * (hi - lo) / bin;
		}
	}
}

static double
correlation(const double *x, const double *y, int n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;

	for (int i = 0; i < n; i++) {
		mx += x[i] / n;
		my += y[i] / n;
	}
	for (int i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	return sxy / sqrt(sxx * syy);
}

struct day {
	double local_hour[24];   /* flows by local hour */
	double utc_hour[24];     /* flows by UTC hour */
	uint64_t total;
	double mean_sum;         /* sum of the window means */
	uint64_t windows;
	bool sorted, ids_ok, in_window;
};

static void
run(const struct s0_params *p, struct day *day)
{
	struct s0_window w = { 0 };
	uint64_t prev = 0, id = 0;
	struct s0 s;
	int rc;

	memset(day, 0, sizeof(*day));
	day->sorted = day->ids_ok = day->in_window = true;
	s0_init(&s, p);
	while ((rc = s0_next(&s, &w)) == 1) {
		day->windows++;
		day->mean_sum += s0_window_mean(&s, w.start_ns) *
		    (double)(w.end_ns - w.start_ns) / S0_WINDOW_NS;
		for (uint32_t i = 0; i < w.n; i++) {
			const struct flow *f = &w.flows[i];
			int64_t sec = (int64_t)(f->start_ns / NS);

			day->local_hour[tz_sec_of_day(sec) / 3600]++;
			day->utc_hour[(sec % 86400) / 3600]++;
			if (f->start_ns < prev)
				day->sorted = false;
			if (f->id != id++)
				day->ids_ok = false;
			if (f->start_ns < w.start_ns || f->start_ns >= w.end_ns)
				day->in_window = false;
			prev = f->start_ns;
		}
		day->total += w.n;
	}
	CHECK_EQ_I(rc, 0);
	s0_window_free(&w);
}

static void
check_shape(const struct day *day, double scale, const char *what)
{
	double want[24], r;

	expected_hours(tp, scale, want);
	r = correlation(day->local_hour, want, 24);
	printf("%s: %" PRIu64 " flows (mean %.1f), hourly correlation %.4f\n",
	    what, day->total, day->mean_sum, r);
	CHECK(r >= 0.99);
}

static void
test_day_utc(void)
{
	struct s0_params p = { .tp = tp, .seed = 1, .start_ns = T_0310 * NS,
		.duration_ns = DAY_NS };
	struct diag d = { "" };
	struct day day;

	CHECK_EQ_I(tz_set("UTC", &d), 0);
	run(&p, &day);
	CHECK_EQ_U(day.windows, 17280);
	CHECK(day.sorted && day.ids_ok && day.in_window);
	/* Exact bins: a whole local day carries the histogram total. */
	CHECK_NEAR(day.mean_sum, 185017, 1e-6 * 185017);
	CHECK_NEAR((double)day.total, 185017, 4 * sqrt(185017));
	check_shape(&day, 1, "utc day");
}

/* The same local start in Tokyo: the same shape, 9 hours earlier in UTC. */
static void
test_day_tokyo(void)
{
	struct s0_params p = { .tp = tp, .seed = 1,
		.start_ns = (T_0310 - 9 * 3600) * NS, .duration_ns = DAY_NS };
	struct diag d = { "" };
	double want[24], shifted[24];
	struct day day;

	CHECK_EQ_I(tz_set("Asia/Tokyo", &d), 0);
	run(&p, &day);
	CHECK_NEAR(day.mean_sum, 185017, 1e-6 * 185017);
	CHECK_NEAR((double)day.total, 185017, 4 * sqrt(185017));
	check_shape(&day, 1, "tokyo day");
	expected_hours(tp, 1, want);
	for (int h = 0; h < 24; h++)
		shifted[h] = want[(h + 9) % 24];
	CHECK(correlation(day.utc_hour, shifted, 24) >= 0.99);
	/* Without the shift the shapes do not match. */
	CHECK(correlation(day.utc_hour, want, 24) < 0.8);
}

/* The spring change in Paris: no flow at 02:xx local, 23 hours of rate. */
static void
test_dst(void)
{
	struct s0_params p = { .tp = tp, .seed = 3,
		.start_ns = T_PARIS_0329 * NS, .duration_ns = 23 * 3600 * NS };
	struct diag d = { "" };
	double want[24], sum = 0, r;
	struct day day;

	CHECK_EQ_I(tz_set("Europe/Paris", &d), 0);
	run(&p, &day);
	expected_hours(tp, 1, want);
	for (int h = 0; h < 24; h++)
		if (h != 2)
			sum += want[h];
	CHECK_EQ_U(day.local_hour[2], 0);
	CHECK_NEAR(day.mean_sum, sum, 1e-6 * sum);
	CHECK_NEAR((double)day.total, sum, 4 * sqrt(sum));
	want[2] = 0;
	r = correlation(day.local_hour, want, 24);
	CHECK(r >= 0.99);

	/* The autumn change: local 02:xx happens twice. */
	p.start_ns = T_PARIS_1025 * NS;
	p.duration_ns = 25 * 3600 * NS;
	run(&p, &day);
	expected_hours(tp, 1, want);
	sum = want[2];
	for (int h = 0; h < 24; h++)
		sum += want[h];
	CHECK_NEAR(day.mean_sum, sum, 1e-6 * sum);
	CHECK_NEAR((double)day.total, sum, 4 * sqrt(sum));
	CHECK_NEAR(day.local_hour[2], 2 * want[2], 4 * sqrt(2 * want[2]));
	want[2] *= 2;
	CHECK(correlation(day.local_hour, want, 24) >= 0.99);
	CHECK_EQ_I(tz_set("UTC", &d), 0);
}

static void
test_determinism(void)
{
	struct s0_params p = { .tp = tp, .seed = 42, .start_ns = T_0310 * NS,
		.duration_ns = 600 * NS, .flows_per_day = 2e6, .flat = true };
	struct s0_window wa = { 0 }, wb = { 0 };
	struct s0 a, b;
	uint64_t same = 0, diff = 0;

	s0_init(&a, &p);
	s0_init(&b, &p);
	while (s0_next(&a, &wa) == 1) {
		CHECK_EQ_I(s0_next(&b, &wb), 1);
		CHECK_EQ_U(wa.n, wb.n);
		for (uint32_t i = 0; i < wa.n && i < wb.n; i++)
			if (memcmp(&wa.flows[i], &wb.flows[i],
			    sizeof(wa.flows[i])) == 0)
				same++;
	}
	CHECK(same > 10000);
	CHECK_EQ_I(s0_next(&b, &wb), 0);

	/* Another seed: other flows. */
	p.seed = 43;
	s0_init(&a, &p);
	s0_init(&b, &(struct s0_params){ .tp = tp, .seed = 42,
	    .start_ns = T_0310 * NS, .duration_ns = 600 * NS,
	    .flows_per_day = 2e6, .flat = true });
	while (s0_next(&a, &wa) == 1 && s0_next(&b, &wb) == 1)
		for (uint32_t i = 0; i < wa.n && i < wb.n; i++)
			if (wa.flows[i].seed != wb.flows[i].seed)
				diff++;
	CHECK(diff > 10000);
	s0_window_free(&wa);
	s0_window_free(&wb);
}

/* A peer that starts a minute later agrees on every common window. */
static void
test_late_peer(void)
{
	struct s0_params p = { .tp = tp, .seed = 7, .start_ns = T_0310 * NS,
		.duration_ns = 300 * NS, .flows_per_day = 1e6, .flat = true };
	struct s0_window wa = { 0 }, wb = { 0 };
	uint64_t compared = 0;
	struct s0 a, b;

	s0_init(&a, &p);
	p.start_ns += 60 * NS;
	s0_init(&b, &p);
	for (int i = 0; i < 12; i++)
		CHECK_EQ_I(s0_next(&a, &wa), 1);
	while (s0_next(&a, &wa) == 1) {
		CHECK_EQ_I(s0_next(&b, &wb), 1);
		CHECK_EQ_U(wa.start_ns, wb.start_ns);
		CHECK_EQ_U(wa.n, wb.n);
		for (uint32_t i = 0; i < wa.n && i < wb.n; i++) {
			CHECK_EQ_U(wa.flows[i].start_ns, wb.flows[i].start_ns);
			CHECK_EQ_U(wa.flows[i].seed, wb.flows[i].seed);
			compared++;
		}
	}
	CHECK(compared > 2000);

	/* Unaligned starts agree once both are put on window boundaries. */
	CHECK_EQ_U(s0_align(0), 0);
	CHECK_EQ_U(s0_align(1), S0_WINDOW_NS);
	CHECK_EQ_U(s0_align(S0_WINDOW_NS), S0_WINDOW_NS);
	p.start_ns = s0_align(T_0310 * NS + 2500000000ULL);
	CHECK_EQ_U(p.start_ns, (T_0310 + 5) * NS);
	s0_init(&a, &p);
	p.start_ns = s0_align((T_0310 + 7) * NS + 1);
	s0_init(&b, &p);
	CHECK_EQ_I(s0_next(&a, &wa), 1);
	CHECK_EQ_I(s0_next(&a, &wa), 1);
	CHECK_EQ_I(s0_next(&b, &wb), 1);
	CHECK_EQ_U(wa.start_ns, wb.start_ns);
	CHECK_EQ_U(wa.n, wb.n);
	CHECK(wa.n > 0 && wb.n > 0 &&
	    wa.flows[0].seed == wb.flows[0].seed);
	s0_window_free(&wa);
	s0_window_free(&wb);
}

static void
test_scaling(void)
{
	struct s0_params p = { .tp = tp, .seed = 5, .start_ns = T_0310 * NS,
		.duration_ns = DAY_NS, .flows_per_day = 20000 };
	struct s0_window w = { 0 };
	struct day day;
	struct s0 s;
	double m;

	run(&p, &day);
	CHECK_NEAR(day.mean_sum, 20000, 1e-6 * 20000);
	CHECK_NEAR((double)day.total, 20000, 4 * sqrt(20000));
	check_shape(&day, 20000 / 185017.0, "scaled day");

	/* Flat: the same mean in every window, whatever the hour. */
	p.flat = true;
	p.flows_per_day = 17280 * 3.0;
	s0_init(&s, &p);
	CHECK_NEAR(s0_window_mean(&s, T_0310 * NS), 3.0, 1e-9);
	CHECK_NEAR(s0_window_mean(&s, (T_0310 + 43210) * NS), 3.0, 1e-9);
	run(&p, &day);
	CHECK_NEAR((double)day.total, 51840, 4 * sqrt(51840));
	CHECK(correlation(day.local_hour, (double[24]){ 1, 2, 3, 4, 5, 6, 7,
	    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 },
	    24) < 0.5);

	/* A rate change applies from the next window on. */
	p.flat = false;
	p.flows_per_day = 0;
	s0_init(&s, &p);
	m = s0_window_mean(&s, T_0310 * NS);
	/* Bin 0 of the legacy profile: 425 flows over 86400/95 seconds. */
	CHECK_NEAR(m, 425 * 5 / (86400.0 / 95), 1e-9);
	CHECK_EQ_I(s0_next(&s, &w), 1);
	s0_set_flows_per_day(&s, 185017 * 10.0);
	CHECK_NEAR(s0_window_mean(&s, (T_0310 + 5) * NS), 10 * m, 1e-9);
	s0_set_flows_per_day(&s, 0);
	CHECK_NEAR(s0_window_mean(&s, (T_0310 + 5) * NS), m, 1e-9);
	s0_window_free(&w);
}

/* The last window stops at start + duration, with its share of the mean. */
static void
test_cut(void)
{
	uint64_t start = T_0310 * NS + 123456789, stop, total = 0;
	struct s0_params p = { .tp = tp, .seed = 9, .start_ns = start,
		.duration_ns = 12500 * 1000000ULL, .flows_per_day = 1.728e8,
		.flat = true };
	struct s0_window w = { 0 };
	struct s0 s;
	int k = 0;

	stop = start + p.duration_ns;
	s0_init(&s, &p);
	while (s0_next(&s, &w) == 1) {
		CHECK_EQ_U(w.start_ns, start + k * S0_WINDOW_NS);
		CHECK_EQ_U(w.end_ns, k < 2 ? w.start_ns + S0_WINDOW_NS : stop);
		for (uint32_t i = 0; i < w.n; i++)
			CHECK(w.flows[i].start_ns < stop);
		if (k == 2)
			CHECK_NEAR(w.n, 5000, 4 * sqrt(5000));
		total += w.n;
		k++;
	}
	CHECK_EQ_I(k, 3);
	CHECK_NEAR((double)total, 25000, 4 * sqrt(25000));

	/* One minute gives twelve windows; no duration never ends. */
	p.duration_ns = 60 * NS;
	s0_init(&s, &p);
	for (k = 0; s0_next(&s, &w) == 1; k++)
		;
	CHECK_EQ_I(k, 12);
	p.duration_ns = 0;
	p.flows_per_day = 0;
	s0_init(&s, &p);
	for (k = 0; k < 20000 && s0_next(&s, &w) == 1; k++)
		;
	CHECK_EQ_I(k, 20000);
	s0_window_free(&w);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The documented draw, redone by hand for a quiet and a busy window: the
 * window generator comes from the seed and the start instant, then the
 * count, the times (sorted) and one seed per flow, in that order.
 */
static void
test_contract(void)
{
	struct s0_params p = { .tp = tp, .seed = 77, .start_ns = T_0310 * NS,
		.duration_ns = 0, .flat = true };
	struct s0_window w = { 0 };
	uint64_t *t, n;
	struct rng r;
	struct s0 s;

	for (int k = 0; k < 2; k++) {
		p.flows_per_day = k == 0 ? 17280 * 3.0 : 17280 * 5000.0;
		s0_init(&s, &p);
		CHECK_EQ_I(s0_next(&s, &w), 1);
		rng_seed(&r, rng_mix64(p.seed ^ rng_mix64(p.start_ns)));
		n = rng_poisson(&r, k == 0 ? 3.0 : 5000.0);
		CHECK_EQ_U(w.n, n);
		if (w.n != n || (t = calloc(n + 1, sizeof(*t))) == NULL)
			continue;
		for (uint64_t i = 0; i < n; i++)
			t[i] = p.start_ns + rng_below64(&r, S0_WINDOW_NS);
		qsort(t, n, sizeof(*t), cmp_u64);
		for (uint64_t i = 0; i < n; i++) {
			CHECK_EQ_U(w.flows[i].start_ns, t[i]);
			CHECK_EQ_U(w.flows[i].seed, rng_u64(&r));
			CHECK_EQ_U(w.flows[i].id, i);
		}
		free(t);
	}
	s0_window_free(&w);
}

/* Zero bins give quiet windows, not a failure. */
static void
test_zero_bins(void)
{
	uint64_t hist[4] = { 0, 8640, 0, 0 };
	struct time_profile zp = { .hist = hist, .nbins = 4, .total = 8640 };
	struct s0_params p = { .tp = &zp, .seed = 2, .start_ns = T_0310 * NS,
		.duration_ns = DAY_NS };
	struct day day;

	struct s0_window w = { 0 };
	struct s0 s;

	run(&p, &day);
	CHECK_EQ_U(day.local_hour[0] + day.local_hour[12], 0);
	CHECK_NEAR((double)day.total, 8640, 4 * sqrt(8640));
	for (int h = 0; h < 24; h++)
		if (h < 6 || h >= 12)
			CHECK_EQ_U(day.local_hour[h], 0);

	/* A reload swaps the profile and keeps position, ids and rate. */
	p.tp = tp;
	p.flows_per_day = 2 * 185017;
	s0_init(&s, &p);
	CHECK_EQ_I(s0_next(&s, &w), 1);
	CHECK_NEAR(s0_window_mean(&s, T_0310 * NS), 2 * 425 * 5 /
	    (86400.0 / 95), 1e-9);
	s0_set_profile(&s, &zp);
	CHECK_NEAR(s0_window_mean(&s, T_0310 * NS), 0, 0);
	CHECK_NEAR(s0_window_mean(&s, (T_0310 + 6 * 3600) * NS),
	    2 * 185017 / 17280.0 * 4, 1e-9);
	CHECK_EQ_I(s0_next(&s, &w), 1);
	CHECK_EQ_U(w.start_ns, (T_0310 + 5) * NS);
	CHECK_EQ_U(w.n, 0);
	s0_window_free(&w);
}

int
main(void)
{
	if ((tp = load_legacy()) == NULL) {
		fprintf(stderr, "cannot load the legacy time profile\n");
		return 1;
	}
	test_day_utc();
	test_day_tokyo();
	test_dst();
	test_determinism();
	test_late_peer();
	test_scaling();
	test_cut();
	test_zero_bins();
	test_contract();
	timeprof_free(tp);
	return tap_done();
}
