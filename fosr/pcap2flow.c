/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosr pcap2flow: reads a capture and writes one CSV line per flow.  The
 * capture is streamed once; flows live in the flow table until they end
 * and are written in start-time order.  If the capture breaks off (cut
 * short, corrupt record), the flows read up to that point are still
 * written, marked "error" where they were still open, and the command
 * exits 1 after saying where the file broke.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cmd.h"
#include "flowrec.h"
#include "flowtab.h"
#include "fsutil.h"
#include "timeparse.h"

#define P2F_IDLE_DEFAULT   "600s"
#define P2F_ACTIVE_DEFAULT "3600s"
#define P2F_FRAG_SLOTS     4096
#define P2F_FRAG_NS        (30ull * 1000000000u)

/*
 * First fragments seen lately, to count a datagram once when its first
 * fragment is repeated (retransmitted or overlapping).  Direct-mapped: a
 * collision only forgets an older datagram.
 */
struct p2f_frag {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint8_t proto;
	uint8_t used;
	uint64_t ts_ns;
};

struct p2f_counts {
	uint64_t pkts;
	uint64_t ip;
	uint64_t nonip;
	uint64_t snapcut;        /* frames cut by the snapshot length */
	uint64_t frags;          /* non-first fragments, not in flows */
	uint64_t frag_dups;      /* repeated first fragments */
	uint64_t short_hdr;      /* cut before the headers needed */
	uint64_t bad;            /* malformed IP headers */
	uint64_t linktype;       /* unsupported link type */
	uint64_t bad_ts;
};

struct p2f_out {
	struct flowrec_writer *w;
	struct diag d;
};

static void
p2f_usage(FILE *f)
{
	fprintf(f, "usage: fosr pcap2flow -i capture -o flows.csv [-pq] "
	    "[-t idle] [-a active]\n"
	    "  -i, --input FILE           pcap or pcapng capture to read\n"
	    "  -o, --output FILE          CSV file to write (- for standard "
	    "output)\n"
	    "  -p, --include-payloads     add per-packet columns\n"
	    "  -t, --idle-timeout TIME    end a flow idle that long "
	    "(default %s, 0: never)\n"
	    "  -a, --active-timeout TIME  split a flow lasting that long "
	    "(default %s, 0: never)\n"
	    "  -q, --quiet                no summary\n",
	    P2F_IDLE_DEFAULT, P2F_ACTIVE_DEFAULT);
}

/* A bare number is seconds; anything else is a fosr duration. */
static int
p2f_timeout(const char *opt, const char *s, uint64_t *ns)
{
	char buf[64];
	struct diag d;
	size_t n = strspn(s, "0123456789.");

	if (n > 0 && s[n] == '\0' && n + 2 < sizeof(buf)) {
		snprintf(buf, sizeof(buf), "%ss", s);
		s = buf;
	}
	if (timeparse_duration(s, ns, &d) != 0) {
		fprintf(stderr, "fosr: pcap2flow: %s: %s\n", opt, d.msg);
		return -EINVAL;
	}
	return 0;
}

static int
p2f_emit(void *arg, const struct flowrec *r)
{
	struct p2f_out *o = arg;

	return flowrec_writer_add(o->w, r, &o->d);
}

static bool
p2f_frag_dup(struct p2f_frag *tab, const struct capture_ip *ip,
    uint64_t ts)
{
	struct p2f_frag *e;
	uint32_t h = ip->ip_id * 2654435761u;

	for (int i = 0; i < 16; i++)
		h = (h ^ ip->src[i] ^ (uint32_t)ip->dst[i] << 8) * 16777619u;
	e = &tab[(h ^ ip->proto) % P2F_FRAG_SLOTS];
	if (e->used && e->id == ip->ip_id && e->proto == ip->proto &&
	    memcmp(e->src, ip->src, 16) == 0 &&
	    memcmp(e->dst, ip->dst, 16) == 0 &&
	    (ts >= e->ts_ns ? ts - e->ts_ns : e->ts_ns - ts) < P2F_FRAG_NS)
		return true;
	memcpy(e->src, ip->src, 16);
	memcpy(e->dst, ip->dst, 16);
	e->id = ip->ip_id;
	e->proto = ip->proto;
	e->used = 1;
	e->ts_ns = ts;
	return false;
}

static int
p2f_packet(struct flowtab *t, struct p2f_frag *frags,
    const struct capture_rec *r, struct p2f_counts *n)
{
	struct capture_ip ip;

	n->pkts++;
	n->snapcut += r->caplen < r->len;
	n->bad_ts += r->ts_bad;
	switch (capture_dissect(r->data, r->caplen, r->len, r->linktype,
	    &ip)) {
	case CAPTURE_DEC_IP:
		break;
	case CAPTURE_DEC_NONIP:
		n->nonip++;
		return 0;
	case CAPTURE_DEC_SHORT:
		n->short_hdr++;
		return 0;
	case CAPTURE_DEC_BAD:
		n->bad++;
		return 0;
	case CAPTURE_DEC_LINKTYPE:
		n->linktype++;
		return 0;
	}
	n->ip++;
	if (ip.frag && !ip.frag_first) {
		n->frags++;
		return 0;
	}
	if (ip.frag && p2f_frag_dup(frags, &ip, r->ts_ns)) {
		n->frag_dups++;
		return 0;
	}
	if ((ip.proto == 6 || ip.proto == 17) && !ip.l4_ok) {
		n->short_hdr++;
		return 0;
	}
	return flowtab_add(t, r->ts_ns, &ip, r->len, r->data);
}

static void
p2f_summary(const char *in, const struct p2f_counts *n,
    const struct flowtab_stats *st)
{
	fprintf(stderr, "fosr: pcap2flow: %s: %" PRIu64 " packets, %" PRIu64
	    " IP, %" PRIu64 " flows (at most %" PRIu64 " live); skipped: %"
	    PRIu64 " non-IP, %" PRIu64 " non-first fragments, %" PRIu64
	    " repeated first fragments, %" PRIu64
	    " too short, %" PRIu64 " malformed, %" PRIu64
	    " unsupported link type; %" PRIu64 " cut by the snapshot length"
	    ", %" PRIu64 " bad timestamps\n", in, n->pkts, n->ip, st->flows,
	    st->live_max, n->nonip, n->frags, n->frag_dups, n->short_hdr,
	    n->bad, n->linktype, n->snapcut, n->bad_ts);
}

struct p2f_args {
	const char *in;
	const char *out;
	struct flowtab_conf conf;
	bool quiet;
};

static int
p2f_parse(int argc, char **argv, struct p2f_args *a)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "input-pcap", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "output-csv", required_argument, NULL, 'o' },
		{ "include-payloads", no_argument, NULL, 'p' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "active-timeout", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	p2f_timeout("idle", P2F_IDLE_DEFAULT, &a->conf.idle_ns);
	p2f_timeout("active", P2F_ACTIVE_DEFAULT, &a->conf.active_ns);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:o:pt:a:qh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'i':
			a->in = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'p':
			a->conf.per_packet = true;
			break;
		case 't':
			if (p2f_timeout("--idle-timeout", optarg,
			    &a->conf.idle_ns) < 0)
				return 2;
			break;
		case 'a':
			if (p2f_timeout("--active-timeout", optarg,
			    &a->conf.active_ns) < 0)
				return 2;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			p2f_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "fosr: pcap2flow: option needs a "
			    "value: %s\n", argv[optind - 1]);
			p2f_usage(stderr);
			return 2;
		default:
			fprintf(stderr, "fosr: pcap2flow: unknown option: "
			    "%s\n", argv[optind - 1]);
			p2f_usage(stderr);
			return 2;
		}
	}
	if (a->in == NULL || a->out == NULL || optind != argc) {
		fprintf(stderr, "fosr: pcap2flow: %s\n", optind != argc ?
		    "unexpected argument" : "-i and -o are required");
		p2f_usage(stderr);
		return 2;
	}
	if (strcmp(a->out, "-") != 0 && fsutil_same_file(a->in, a->out)) {
		fprintf(stderr, "fosr: pcap2flow: -o %s would overwrite the "
		    "input\n", a->out);
		return 2;
	}
	return -1;
}

int
cmd_pcap2flow(int argc, char **argv)
{
	struct p2f_counts n = { 0 };
	struct flowtab_stats st;
	struct capture *c = NULL;
	struct flowtab *t = NULL;
	struct p2f_frag *frags = NULL;
	struct capture_rec r;
	struct p2f_out o = { 0 };
	struct p2f_args a;
	struct diag d;
	int rc, ret = 1;

	if ((rc = p2f_parse(argc, argv, &a)) >= 0)
		return rc;
	/* A file that is not a capture at all gets no output. */
	if (capture_open(&c, a.in, &d) < 0 || capture_next(c, &r, &d) < 0) {
		fprintf(stderr, "fosr: pcap2flow: %s\n", d.msg);
		goto out;
	}
	if (flowrec_writer_open(&o.w, a.out, a.conf.per_packet, &d) < 0) {
		fprintf(stderr, "fosr: pcap2flow: %s\n", d.msg);
		goto out;
	}
	if ((t = flowtab_new(&a.conf, p2f_emit, &o)) == NULL ||
	    (frags = calloc(P2F_FRAG_SLOTS, sizeof(*frags))) == NULL)
		goto nomem;
	do {
		if (r.is_pkt && p2f_packet(t, frags, &r, &n) < 0)
			break;
	} while ((rc = capture_next(c, &r, &d)) == 1);
	if (flowtab_finish(t, rc < 0 ? FLOWREC_END_ERROR :
	    FLOWREC_END_EOF) < 0) {
		fprintf(stderr, "fosr: pcap2flow: %s\n", o.d.msg[0] ?
		    o.d.msg : strerror(ENOMEM));
		goto out;
	}
	flowtab_get_stats(t, &st);
	if (rc < 0)
		fprintf(stderr, "fosr: pcap2flow: %s\n", d.msg);
	if (flowrec_writer_close(o.w, &d) < 0) {
		o.w = NULL;
		fprintf(stderr, "fosr: pcap2flow: %s\n", d.msg);
		goto out;
	}
	o.w = NULL;
	if (rc < 0)
		fprintf(stderr, "fosr: pcap2flow: the %" PRIu64 " flows read "
		    "before the error were written to %s\n", st.flows, a.out);
	else
		ret = 0;
	if (!a.quiet)
		p2f_summary(a.in, &n, &st);
	goto out;
nomem:
	fprintf(stderr, "fosr: pcap2flow: %s\n", strerror(ENOMEM));
out:
	flowrec_writer_abort(o.w);
	free(frags);
	flowtab_free(t);
	capture_close(c);
	return ret;
}
