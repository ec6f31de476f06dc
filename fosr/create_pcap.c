/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosr create-pcap: loads a profile, runs the generation engine into a
 * pcap file and prints what it made.  Neither the capture nor the flow
 * file appears under its final name unless the run completed: an error,
 * SIGINT or SIGTERM removes the temporary files and exits non-zero.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "flowrec.h"
#include "fsutil.h"
#include "gen.h"
#include "pcapout.h"
#include "profile.h"
#include "timeparse.h"
#include "tz.h"

struct cp_args {
	const char *out;
	const char *duration;
	const char *start;
	const char *zone;
	const char *conf;
	const char *profile;
	const char *flows;
	uint64_t duration_ns;
	uint64_t start_ns;
	uint64_t packets;
	uint64_t seed;
	double flows_per_day;
	unsigned jobs;
	bool has_seed;
	bool taint;
	bool nano;
	bool quiet;
};

struct cp_sink {
	struct pcapout *po;
	struct flowrec_writer *fw;
	struct diag d;
};

static atomic_bool cp_stop;
/* Temporary names the second signal must remove before dying. */
static const char *volatile cp_tmp_pcap;

static const char cp_usage_text[] =
"usage: fosr create-pcap [-hq] [-o FILE] [-d DURATION] [-n PACKETS]\n"
"                        [-t START] [--tz ZONE] [-s SEED] [-j JOBS]\n"
"                        [-f FLOWS_PER_DAY] [-c CONFIG] [--profile DIR]\n"
"                        [--taint] [--nanosecond] [--flows FILE]\n"
"\n"
"Generates traffic from a profile into a pcap file.  At least one of -d\n"
"and -n is required.\n"
"\n"
"  -o, --outfile FILE         output file (default output.pcap)\n"
"  -d, --duration DURATION    simulated time: \"1h30m\", \"15days 30min 5s\"\n"
"  -n, --packets-count N      stop after the first N packets in time order\n"
"  -t, --start-time START     RFC 3339 (with Z or +hh:mm: as written;\n"
"                             without: wall time in --tz) or Unix seconds;\n"
"                             default: now\n"
"      --tz ZONE              IANA time zone of the profile's day\n"
"                             (default: the machine's)\n"
"  -s, --seed SEED            master seed (default: random, printed)\n"
"  -j, --jobs JOBS            worker threads (default: online CPUs)\n"
"  -f, --flows-per-day N      scale the time profile to N flows a day\n"
"  -c, --config FILE          network configuration (YAML or JSON)\n"
"      --profile DIR          profile directory (default: built-in)\n"
"      --custom-models DIR    same as --profile\n"
"      --taint                set the IPv4 reserved bit in every packet\n"
"      --nanosecond           nanosecond timestamps in the pcap\n"
"      --flows FILE           also write the generated flows as CSV\n"
"  -q, --quiet                no progress line and no summary\n"
"  -h, --help                 this help\n";

enum {
	OPT_TZ = 256,
	OPT_PROFILE,
	OPT_TAINT,
	OPT_NANO,
	OPT_FLOWS,
};

static const struct option cp_longopts[] = {
	{ "outfile", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "packets-count", required_argument, NULL, 'n' },
	{ "start-time", required_argument, NULL, 't' },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "seed", required_argument, NULL, 's' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "flows-per-day", required_argument, NULL, 'f' },
	{ "flow-per-day", required_argument, NULL, 'f' },
	{ "config", required_argument, NULL, 'c' },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "custom-models", required_argument, NULL, OPT_PROFILE },
	{ "taint", no_argument, NULL, OPT_TAINT },
	{ "nanosecond", no_argument, NULL, OPT_NANO },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cp_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
cp_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fosr create-pcap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n'fosr create-pcap --help' lists the options\n");
	return 2;
}

static bool
cp_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int
cp_parse_opt(struct cp_args *a, int c, const char *arg)
{
	uint64_t v;
	char *end;

	switch (c) {
	case 'o': a->out = arg; break;
	case 'd': a->duration = arg; break;
	case 't': a->start = arg; break;
	case OPT_TZ: a->zone = arg; break;
	case 'c': a->conf = arg; break;
	case OPT_PROFILE: a->profile = arg; break;
	case OPT_FLOWS: a->flows = arg; break;
	case OPT_TAINT: a->taint = true; break;
	case OPT_NANO: a->nano = true; break;
	case 'q': a->quiet = true; break;
	case 'n':
		if (!cp_parse_u64(arg, &a->packets) || a->packets == 0)
			return cp_usage_error("-n: not a positive packet "
			    "count: '%s'", arg);
		break;
	case 's':
		if (!cp_parse_u64(arg, &a->seed))
			return cp_usage_error("-s: not a seed (0 to 2^64-1): "
			    "'%s'", arg);
		a->has_seed = true;
		break;
	case 'j':
		if (!cp_parse_u64(arg, &v) || v == 0 || v > 1024)
			return cp_usage_error("-j: not a thread count (1 to "
			    "1024): '%s'", arg);
		a->jobs = (unsigned)v;
		break;
	case 'f':
		errno = 0;
		a->flows_per_day = strtod(arg, &end);
		if (errno != 0 || *end != '\0' || end == arg ||
		    !(a->flows_per_day > 0 && a->flows_per_day <= 1e9))
			return cp_usage_error("-f: not a positive number of "
			    "flows per day up to 1e9: '%s'", arg);
		break;
	default:
		return 2;
	}
	return 0;
}

/* Options into a; 0, 2 on a usage error, or -1 after --help. */
static int
cp_parse_args(struct cp_args *a, int argc, char **argv)
{
	struct diag d;
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->out = "output.pcap";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:d:n:t:s:j:f:c:q",
	    cp_longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cp_usage_text, stdout);
			return -1;
		}
		if (c == '?')
			return cp_usage_error("unknown option '%s'",
			    argv[optind - 1]);
		if (c == ':')
			return cp_usage_error("option '%s' needs an argument",
			    argv[optind - 1]);
		rc = cp_parse_opt(a, c, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return cp_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->duration == NULL && a->packets == 0)
		return cp_usage_error("give a duration (-d) or a packet "
		    "count (-n)");
	if (a->duration != NULL) {
		if (timeparse_duration(a->duration, &a->duration_ns, &d) != 0)
			return cp_usage_error("-d: %s", d.msg);
		if (a->duration_ns == 0)
			return cp_usage_error("-d: the duration must be more "
			    "than zero: '%s'", a->duration);
	}
	if (a->out[0] == '\0')
		return cp_usage_error("-o: empty file name");
	if (a->flows != NULL && fsutil_same_file(a->out, a->flows))
		return cp_usage_error("--flows: %s is also the pcap output",
		    a->flows);
	return 0;
}

/* Zone, start time, seed and jobs: the parts that need the system. */
static int
cp_settle(struct cp_args *a)
{
	struct diag d;
	long n;

	if (tz_set(a->zone, &d) != 0)
		return cp_usage_error("--tz: %s", d.msg);
	if (a->start != NULL) {
		if (timeparse_start(a->start, tz_offset, &a->start_ns,
		    &d) != 0)
			return cp_usage_error("-t: %s", d.msg);
	} else {
		a->start_ns = timeparse_now_ns();
	}
	if (!a->has_seed && getrandom(&a->seed, sizeof(a->seed), 0) !=
	    (ssize_t)sizeof(a->seed)) {
		fprintf(stderr, "fosr create-pcap: getrandom: %s\n",
		    strerror(errno));
		return 1;
	}
	if (a->jobs == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		a->jobs = n > 0 ? (unsigned)(n > 1024 ? 1024 : n) : 1;
	}
	return 0;
}

static void
cp_on_signal(int sig)
{
	const char *t;

	if (!atomic_exchange(&cp_stop, true))
		return;
	/* Second signal: the user insists; leave nothing behind. */
	t = cp_tmp_pcap;
	if (t != NULL)
		unlink(t);
	_exit(128 + sig);
}

static void
cp_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cp_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int
cp_frame(void *arg, const struct gen_frame *f)
{
	struct cp_sink *s = arg;

	return pcapout_write_ref(s->po, f->ts_ns, f->data, f->len, &s->d);
}

static int
cp_sync(void *arg)
{
	struct cp_sink *s = arg;

	return pcapout_flush(s->po, &s->d);
}

/* Adds one frame's IPv4 facts to a ground-truth record. */
static void
cp_rec_frame(struct flowrec *r, const struct flow *f, const uint8_t *p,
    uint32_t len, bool *fin)
{
	uint32_t ihl, tot, l4h = 0, src;
	int dir;

	if (len < 34 || p[12] != 0x08 || p[13] != 0x00)
		return;
	ihl = (uint32_t)(p[14] & 15) * 4;
	tot = (uint32_t)p[16] << 8 | p[17];
	src = (uint32_t)p[26] << 24 | (uint32_t)p[27] << 16 |
	    (uint32_t)p[28] << 8 | p[29];
	dir = src == f->client_ip ? 0 : 1;
	if (p[23] == 6 && len >= 14 + ihl + 20) {
		l4h = (uint32_t)(p[14 + ihl + 12] >> 4) * 4;
		r->tcp_flags |= p[14 + ihl + 13];
		if (p[14 + ihl + 13] & TCPF_FIN)
			fin[dir] = true;
	} else if (p[23] == 17) {
		l4h = 8;
	} else if (p[23] == 1) {
		l4h = 8;
	}
	r->pkts[dir]++;
	r->frame_bytes[dir] += len;
	if (tot >= ihl + l4h)
		r->bytes[dir] += tot - ihl - l4h;
}

static int
cp_flow(void *arg, const struct flow *f, const struct frame_buf *fb)
{
	struct cp_sink *s = arg;
	struct flowrec r;
	bool fin[2] = { false, false };
	uint32_t i;

	flowrec_init(&r);
	flowrec_from_flow(&r, f);
	r.pkts[0] = r.pkts[1] = 0;
	for (i = 0; i < fb->n; i++)
		cp_rec_frame(&r, f, fb->data + fb->frames[i].off,
		    fb->frames[i].len, fin);
	r.start_ns = fb->frames[0].ts_ns;
	r.end_ns = fb->frames[fb->n - 1].ts_ns;
	if (r.tcp_flags & TCPF_RST)
		r.end = FLOWREC_END_RST;
	else if (fin[0] && fin[1])
		r.end = FLOWREC_END_FIN;
	else
		r.end = FLOWREC_END_EOF;
	return flowrec_writer_add(s->fw, &r, &s->d);
}

static void
cp_progress(void *arg, const struct gen_stats *st)
{
	static struct timespec last;
	const struct cp_args *a = arg;
	struct timespec now;
	double done;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec * 1000000000L + now.tv_nsec - (last.tv_sec *
	    1000000000L + last.tv_nsec) < 200000000L)
		return;
	last = now;
	if (a->duration_ns != 0)
		done = 100.0 * (double)(st->sim_ns - a->start_ns) /
		    (double)a->duration_ns;
	else
		done = 100.0 * (double)st->total.packets / (double)a->packets;
	fprintf(stderr, "\r%5.1f%%  %" PRIu64 " flows  %" PRIu64 " packets  "
	    "%.1f MB ", done > 100 ? 100.0 : done, st->total.flows,
	    st->total.packets, (double)st->total.bytes / 1e6);
}

static void
cp_fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	uint32_t frac = (uint32_t)(ns % 1000000000u);

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0)
		snprintf(buf + strlen(buf), len - strlen(buf), ".%09u", frac);
	snprintf(buf + strlen(buf), len - strlen(buf), "Z");
}

static void
cp_summary(const struct cp_args *a, const struct profile *p,
    const struct gen_stats *st)
{
	double el = st->elapsed_s > 1e-9 ? st->elapsed_s : 1e-9;
	char start[64];
	int i;

	cp_fmt_time(a->start_ns, start, sizeof(start));
	printf("output:     %s\n", a->out);
	if (a->flows != NULL)
		printf("flows file: %s\n", a->flows);
	printf("profile:    %s (sha256 %s)%s%s\n", p->name, p->digest,
	    p->conf_path ? ", configuration " : "",
	    p->conf_path ? p->conf_path : "");
	printf("seed:       %" PRIu64 "\n", a->seed);
	printf("start:      %s (-t %" PRIu64 ".%09" PRIu64 ")\n", start,
	    a->start_ns / 1000000000u, a->start_ns % 1000000000u);
	if (st->limited)
		printf("stopped:    after %" PRIu64 " packets (-n)\n",
		    st->total.packets);
	printf("flows:      %" PRIu64 " (fallback %" PRIu64 ", rejected %"
	    PRIu64 ")\n", st->total.flows, st->fallback_flows,
	    st->s1_rejects);
	printf("packets:    %" PRIu64 "\n", st->total.packets);
	printf("bytes:      %" PRIu64 "\n", st->total.bytes);
	printf("elapsed:    %.3f s\n", st->elapsed_s);
	printf("rate:       %.0f flows/s, %.0f packets/s, %.1f MB/s\n",
	    (double)st->total.flows / el, (double)st->total.packets / el,
	    (double)st->total.bytes / el / 1e6);
	printf("peak RSS:   %ld KiB\n", st->peak_rss_kb);
	printf("%-10s %10s %12s %14s\n", "protocol", "flows", "packets",
	    "bytes");
	for (i = 0; i < L7_COUNT; i++)
		if (st->proto[i].flows != 0)
			printf("%-10s %10" PRIu64 " %12" PRIu64 " %14" PRIu64
			    "\n", i == L7_NONE ? "other" : l7_name(i),
			    st->proto[i].flows, st->proto[i].packets,
			    st->proto[i].bytes);
}

/* Opens the outputs, runs the engine, commits or removes the outputs. */
static int
cp_run(const struct cp_args *a, const struct profile *p,
    struct gen_stats *st)
{
	struct cp_sink sink = { NULL, NULL, { "" } };
	struct gen_sink gs = { cp_frame, NULL, &sink, &sink.d, cp_sync };
	struct gen_opts o;
	struct diag d = { "" };
	int rc;

	sink.po = pcapout_open(a->out, a->nano, &d);
	if (sink.po == NULL) {
		rc = -errno;
		goto out;
	}
	cp_tmp_pcap = pcapout_tmp_path(sink.po);
	if (a->flows != NULL) {
		rc = flowrec_writer_open(&sink.fw, a->flows, false, &d);
		if (rc != 0)
			goto out;
		gs.flow = cp_flow;
	}
	memset(&o, 0, sizeof(o));
	o.prof = p;
	o.seed = a->seed;
	o.start_ns = a->start_ns;
	o.duration_ns = a->duration_ns;
	o.max_packets = a->packets;
	o.flows_per_day = a->flows_per_day;
	o.jobs = a->jobs;
	o.taint = a->taint;
	o.stop = &cp_stop;
	if (!a->quiet && isatty(STDERR_FILENO)) {
		o.progress = cp_progress;
		o.progress_arg = (void *)a;
	}
	rc = gen_run(&o, &gs, st, &d);
	if (o.progress != NULL)
		fprintf(stderr, "\r\033[K");
	if (rc == 0 && st->interrupted) {
		rc = -EINTR;
		diag_set(&d, "interrupted; %s was not written", a->out);
	}
	if (rc == 0 && sink.fw != NULL) {
		rc = flowrec_writer_close(sink.fw, &d);
		sink.fw = NULL;
	}
	if (rc == 0) {
		cp_tmp_pcap = NULL;
		rc = pcapout_commit(sink.po, &d);
		sink.po = NULL;
	}
out:
	cp_tmp_pcap = NULL;
	if (sink.fw != NULL)
		flowrec_writer_abort(sink.fw);
	pcapout_abort(sink.po);
	if (rc != 0)
		fprintf(stderr, "fosr create-pcap: %s\n", d.msg);
	return rc;
}

int
cmd_create_pcap(int argc, char **argv)
{
	struct cp_args a;
	struct profile *p = NULL;
	struct gen_stats st;
	struct diag d;
	int rc;

	rc = cp_parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cp_settle(&a);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	cp_signals();
	if (profile_load(&p, a.profile, a.conf, &d) != 0) {
		fprintf(stderr, "fosr create-pcap: %s\n", d.msg);
		return 1;
	}
	rc = cp_run(&a, p, &st);
	if (rc == 0 && !a.quiet)
		cp_summary(&a, p, &st);
	profile_free(p);
	return rc == 0 ? 0 : 1;
}
