/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * S2 on the learned automata: packet order and counts as the automata
 * dictate, requested counts honoured where reachable, delays in real
 * units, payloads from the lists, end flags steered, determinism per
 * seed; and the generic exchange for flows without an automaton.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "automaton.h"
#include "pcapout.h"
#include "stage2.h"
#include "stage3.h"
#include "tap.h"

static struct automata *set;
static struct s2_scratch *scr;
static struct pkt_seq seq;

static struct flow
mkflow(enum l4_proto l4, enum l7_proto l7, uint32_t f, uint32_t b,
    uint64_t seed)
{
	struct flow fl;

	memset(&fl, 0, sizeof(fl));
	fl.seed = seed;
	fl.start_ns = 1700000000ull * 1000000000ull;
	fl.l4 = (uint8_t)l4;
	fl.l7 = (uint8_t)l7;
	fl.fwd_pkts = f;
	fl.bwd_pkts = b;
	return fl;
}

static int
gen(const struct flow *fl)
{
	int rc = s2_generate(set, fl, &seq, scr);

	CHECK_EQ_I(rc, 0);
	return rc;
}

/* Invariants of every generated flow. */
static void
check_seq(const struct flow *fl)
{
	uint32_t nf = 0, nb = 0;
	bool ok = seq.n > 0 && seq.pkts[0].ts_ns >= fl->start_ns;

	for (uint32_t i = 0; i < seq.n; i++) {
		if (seq.pkts[i].dir == DIR_FWD)
			nf++;
		else
			nb++;
		if (i > 0 && seq.pkts[i].ts_ns < seq.pkts[i - 1].ts_ns + 1000)
			ok = false;
		if ((seq.pkts[i].kind == PAYLOAD_NONE) !=
		    (seq.pkts[i].len == 0))
			ok = false;
	}
	CHECK(ok);
	CHECK_EQ_U(seq.flow.fwd_pkts, nf);
	CHECK_EQ_U(seq.flow.bwd_pkts, nb);
	CHECK(seq.flow.seed != fl->seed);
}

static void
test_dns(void)
{
	const struct automaton *am = automata_find(set, L4_UDP, L7_DNS);
	struct flow fl = mkflow(L4_UDP, L7_DNS, 2, 2, 7);
	uint32_t seen33 = 0, seen44 = 0;

	CHECK(am != NULL);
	if (am == NULL || gen(&fl) != 0)
		return;
	check_seq(&fl);
	CHECK_EQ_U(seq.n, 4);
	CHECK_EQ_U(seq.flow.fallback, 0);
	for (uint32_t i = 0; i < seq.n && seq.n == 4; i++) {
		CHECK_EQ_U(seq.pkts[i].dir, i % 2 ? DIR_BWD : DIR_FWD);
		CHECK_EQ_U(seq.pkts[i].kind, PAYLOAD_BYTES);
		CHECK_EQ_U(seq.pkts[i].tcp_flags, 0);
	}
	/* The first query opens the flow. */
	CHECK_EQ_U(seq.pkts[0].ts_ns, fl.start_ns);

	/* (3, 4) is as far from (3, 3) as from (4, 4): both occur. */
	for (uint64_t s = 0; s < 200; s++) {
		fl = mkflow(L4_UDP, L7_DNS, 3, 4, s);
		if (gen(&fl) != 0)
			return;
		seen33 += seq.flow.fwd_pkts == 3 && seq.flow.bwd_pkts == 3;
		seen44 += seq.flow.fwd_pkts == 4 && seq.flow.bwd_pkts == 4;
	}
	CHECK_EQ_U(seen33 + seen44, 200);
	CHECK(seen33 > 60 && seen44 > 60);

	/* Beyond the cap: the farthest point, (50, 50). */
	fl = mkflow(L4_UDP, L7_DNS, 25000, 20000, 3);
	if (gen(&fl) == 0) {
		CHECK_EQ_U(seq.flow.fwd_pkts, 50);
		CHECK_EQ_U(seq.flow.bwd_pkts, 50);
	}
	/* Nothing asked: still one query and its answer. */
	fl = mkflow(L4_UDP, L7_DNS, 0, 0, 3);
	if (gen(&fl) == 0)
		CHECK_EQ_U(seq.n, 2);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median gap between packets i and i + 1 over n flows of (f, b). */
static double
median_gap(enum l4_proto l4, enum l7_proto l7, uint32_t f, uint32_t b,
    uint32_t i, int n)
{
	uint64_t *gaps = calloc((size_t)n, sizeof(*gaps));
	double m;

	for (int k = 0; k < n; k++) {
		struct flow fl = mkflow(l4, l7, f, b, 1000 + (uint64_t)k);

		if (gen(&fl) != 0 || seq.n <= i + 1)
			break;
		gaps[k] = seq.pkts[i + 1].ts_ns - seq.pkts[i].ts_ns;
	}
	qsort(gaps, (size_t)n, sizeof(*gaps), cmp_u64);
	m = (double)gaps[n / 2];
	free(gaps);
	return m;
}

static void
test_delays(void)
{
	double dns = median_gap(L4_UDP, L7_DNS, 1, 1, 0, 2001);
	double ntp = median_gap(L4_UDP, L7_NTP, 1, 1, 0, 2001);
	double https = median_gap(L4_TCP, L7_HTTPS, 5, 5, 0, 2001);
	double mqtt = median_gap(L4_TCP, L7_MQTT, 7, 5, 0, 2001);

	printf("median DNS answer %.3f ms, NTP answer %.3f ms, HTTPS SYN-ACK "
	    "%.3f ms, MQTT SYN-ACK %.3f ms\n", dns / 1e6, ntp / 1e6,
	    https / 1e6, mqtt / 1e6);
	CHECK(dns >= 0.1e6 && dns <= 200e6);
	CHECK(ntp >= 0.1e6 && ntp <= 500e6);
	CHECK(https >= 0.05e6 && https <= 500e6);
	CHECK(mqtt >= 0.05e6 && mqtt <= 50e6);
}

static void
test_mqtt(void)
{
	static const uint8_t flags[12] = { TCPF_SYN, TCPF_SYN | TCPF_ACK,
		TCPF_ACK, TCPF_ACK | TCPF_PSH, TCPF_ACK, TCPF_ACK | TCPF_PSH,
		TCPF_ACK, TCPF_ACK | TCPF_PSH, TCPF_ACK | TCPF_PSH | TCPF_FIN,
		TCPF_ACK, TCPF_ACK | TCPF_FIN, TCPF_ACK };
	static const char dirs[] = "><>><<>>><<>";
	const uint32_t asks[][2] = { { 0, 0 }, { 1, 1 }, { 7, 5 }, { 90, 3 },
		{ 4000, 4000 } };

	for (size_t k = 0; k < sizeof(asks) / sizeof(asks[0]); k++) {
		struct flow fl = mkflow(L4_TCP, L7_MQTT, asks[k][0], asks[k][1],
		    k);

		fl.end = END_RST;
		if (gen(&fl) != 0)
			return;
		check_seq(&fl);
		CHECK_EQ_U(seq.n, 12);
		for (uint32_t i = 0; i < 12 && seq.n == 12; i++) {
			CHECK_EQ_U(seq.pkts[i].tcp_flags, flags[i]);
			CHECK_EQ_U(seq.pkts[i].dir,
			    dirs[i] == '>' ? DIR_FWD : DIR_BWD);
		}
		/* No RST path exists: it ends the way it can, by FIN. */
		CHECK_EQ_U(seq.flow.end, END_FIN);
		/* CONNECT is replayed: an MQTT fixed header. */
		if (seq.n == 12)
			CHECK(seq.pkts[3].kind == PAYLOAD_BYTES &&
			    seq.pkts[3].payload[0] == 0x10);
	}
}

/* Every reachable request is met exactly. */
static void
test_counts(void)
{
	const struct automaton *am = automata_find(set, L4_TCP, L7_HTTPS);
	const struct automaton_points *pt;
	uint32_t tried = 0, met = 0;

	if (am == NULL)
		return;
	pt = &am->points[0];
	for (uint32_t f = 0; f <= 40; f++) {
		for (uint32_t k = pt->col[f]; k < pt->col[f + 1]; k++) {
			struct flow fl = mkflow(L4_TCP, L7_HTTPS, f, pt->b[k],
			    f * 1000 + k);

			if (f + pt->b[k] > 40 || gen(&fl) != 0)
				continue;
			tried++;
			met += seq.flow.fwd_pkts == f &&
			    seq.flow.bwd_pkts == pt->b[k] &&
			    seq.n == f + pt->b[k];
		}
	}
	CHECK(tried > 800);
	CHECK_EQ_U(met, tried);
	/* The lone SYN is reachable. */
	{
		struct flow fl = mkflow(L4_TCP, L7_HTTPS, 1, 0, 5);

		if (gen(&fl) == 0) {
			CHECK_EQ_U(seq.n, 1);
			CHECK_EQ_U(seq.pkts[0].tcp_flags, TCPF_SYN);
		}
	}
}

/*
 * Whether p can come from choice c of ed: the very bytes of a replayed
 * choice, or a payload of a listed length (drawn, then dressed as the
 * port's protocol: NTP packets are 48 bytes).
 */
static bool
same_choice(const struct automaton *am, const struct automaton_edge *ed,
    uint32_t c, const struct pkt *p)
{
	if (am->choice_len[c] != p->len)
		return false;
	if (ed->pl == AUTOMATON_PL_LENGTHS)
		return p->kind != PAYLOAD_NONE;
	return p->payload == automaton_choice(am, c);
}

static bool
in_arena(const struct automaton *am, const uint8_t *b)
{
	return b >= am->arena && b < am->arena + am->arena_len;
}

/* Each packet's payload is one of its edge's listed choices. */
static void
test_payloads(void)
{
	const struct automaton *am = automata_find(set, L4_UDP, L7_NTP);
	uint32_t bad = 0, total = 0, drawn = 0, mode = 0;

	if (am == NULL)
		return;
	for (uint64_t s = 0; s < 300; s++) {
		struct flow fl = mkflow(L4_UDP, L7_NTP, 3, 3, s);

		if (gen(&fl) != 0)
			return;
		for (uint32_t i = 0; i < seq.n; i++) {
			const struct pkt *p = &seq.pkts[i];
			bool found = false;

			for (uint32_t e = 0; e < am->nedges && !found; e++) {
				const struct automaton_edge *ed = &am->edges[e];

				if (ed->eps || ed->dir != p->dir)
					continue;
				for (uint32_t c = ed->first;
				    c < ed->first + ed->nchoice && !found; c++)
					found = same_choice(am, ed, c, p);
			}
			bad += !found;
			total++;
			if (p->kind != PAYLOAD_BYTES ||
			    in_arena(am, p->payload))
				continue;
			/* Drawn: an NTP v4 packet of the right mode. */
			drawn++;
			mode += p->payload[0] == (p->dir == DIR_FWD ? 0x23 :
			    0x24);
		}
	}
	CHECK_EQ_U(total, 300 * 6);
	CHECK_EQ_U(bad, 0);
	CHECK(drawn > 0 && drawn < total / 4);
	CHECK_EQ_U(mode, drawn);
}

static void
test_determinism(void)
{
	struct pkt_seq other;
	struct flow fl = mkflow(L4_TCP, L7_HTTPS, 12, 9, 99);
	bool same = true;

	memset(&other, 0, sizeof(other));
	if (gen(&fl) != 0 || s2_generate(set, &fl, &other, scr) != 0)
		return;
	CHECK_EQ_U(other.n, seq.n);
	CHECK_EQ_U(other.flow.seed, seq.flow.seed);
	for (uint32_t i = 0; i < seq.n && i < other.n; i++)
		same &= memcmp(&seq.pkts[i], &other.pkts[i],
		    sizeof(seq.pkts[i])) == 0;
	CHECK(same);
	fl.seed = 100;
	if (s2_generate(set, &fl, &other, scr) == 0)
		CHECK(other.n != seq.n || other.flow.seed != seq.flow.seed ||
		    other.pkts[1].ts_ns != seq.pkts[1].ts_ns);
	pkt_seq_free(&other);
}

/* HTTPS can end by FIN, RST or neither: the request is followed. */
static void
test_end_flags(void)
{
	const uint8_t ends[3] = { END_FIN, END_RST, END_OPEN };
	uint32_t hit[3] = { 0 };

	for (int e = 0; e < 3; e++) {
		for (uint64_t s = 0; s < 200; s++) {
			struct flow fl = mkflow(L4_TCP, L7_HTTPS, 10, 8, s);

			fl.end = ends[e];
			if (gen(&fl) != 0)
				return;
			hit[e] += seq.flow.end == ends[e];
		}
	}
	printf("end flags honoured: FIN %u/200, RST %u/200, open %u/200\n",
	    hit[0], hit[1], hit[2]);
	CHECK(hit[0] >= 180);
	CHECK(hit[1] >= 180);
	CHECK(hit[2] >= 180);
}

static void
check_tcp_fallback(uint32_t f, uint32_t b, uint8_t end, uint8_t want)
{
	struct flow fl = mkflow(L4_TCP, L7_HTTP, f, b, f * 31 + b + end);
	uint8_t all = 0;

	fl.end = end;
	if (gen(&fl) != 0)
		return;
	check_seq(&fl);
	CHECK_EQ_U(seq.flow.fallback, 1);
	CHECK_EQ_U(seq.flow.fwd_pkts, f);
	CHECK_EQ_U(seq.flow.bwd_pkts, b);
	CHECK_EQ_U(seq.pkts[0].tcp_flags, TCPF_SYN);
	CHECK_EQ_U(seq.pkts[1].tcp_flags, TCPF_SYN | TCPF_ACK);
	CHECK_EQ_U(seq.pkts[1].dir, DIR_BWD);
	CHECK_EQ_U(seq.pkts[2].tcp_flags, TCPF_ACK);
	for (uint32_t i = 3; i < seq.n; i++) {
		all |= seq.pkts[i].tcp_flags;
		CHECK(seq.pkts[i].tcp_flags & TCPF_ACK);
		CHECK(seq.pkts[i].len <= 1460);
	}
	CHECK_EQ_U(seq.flow.end, want);
	if (want == END_FIN)
		CHECK(seq.pkts[seq.n - 1].tcp_flags == TCPF_ACK ||
		    seq.pkts[seq.n - 1].tcp_flags == (TCPF_FIN | TCPF_ACK));
	if (want == END_RST)
		CHECK(seq.pkts[seq.n - 1].tcp_flags & TCPF_RST);
}

static void
test_fallback(void)
{
	struct flow fl;

	check_tcp_fallback(8, 6, END_FIN, END_FIN);
	check_tcp_fallback(8, 6, END_ANY, END_FIN);
	check_tcp_fallback(8, 6, END_RST, END_RST);
	check_tcp_fallback(8, 6, END_OPEN, END_OPEN);
	check_tcp_fallback(3, 3, END_FIN, END_FIN);
	check_tcp_fallback(2, 1, END_FIN, END_OPEN);
	check_tcp_fallback(40, 2, END_FIN, END_FIN);
	check_tcp_fallback(3, 60, END_RST, END_RST);

	/* Over the cap: scaled down to 100 packets. */
	fl = mkflow(L4_TCP, L7_HTTP, 3000, 1000, 1);
	if (gen(&fl) == 0) {
		CHECK_EQ_U(seq.flow.fwd_pkts, 75);
		CHECK_EQ_U(seq.flow.bwd_pkts, 25);
	}
	/* A connection attempt: SYNs only, then a refused one. */
	fl = mkflow(L4_TCP, L7_HTTP, 3, 0, 1);
	if (gen(&fl) == 0) {
		CHECK_EQ_U(seq.n, 3);
		CHECK_EQ_U(seq.pkts[2].tcp_flags, TCPF_SYN);
		CHECK(seq.pkts[2].ts_ns - seq.pkts[1].ts_ns ==
		    2 * (seq.pkts[1].ts_ns - seq.pkts[0].ts_ns));
	}
	fl = mkflow(L4_TCP, L7_HTTP, 1, 4, 1);
	if (gen(&fl) == 0) {
		CHECK_EQ_U(seq.n, 2);
		CHECK_EQ_U(seq.pkts[1].tcp_flags, TCPF_RST | TCPF_ACK);
		CHECK_EQ_U(seq.flow.end, END_RST);
	}

	fl = mkflow(L4_UDP, L7_DHCP, 3, 5, 2);
	if (gen(&fl) == 0) {
		check_seq(&fl);
		CHECK_EQ_U(seq.flow.fallback, 1);
		CHECK_EQ_U(seq.flow.fwd_pkts, 3);
		CHECK_EQ_U(seq.flow.bwd_pkts, 5);
		CHECK_EQ_U(seq.pkts[0].dir, DIR_FWD);
		CHECK_EQ_U(seq.flow.end, END_ANY);
	}
	fl = mkflow(L4_UDP, L7_DHCP, 0, 0, 2);
	if (gen(&fl) == 0)
		CHECK_EQ_U(seq.n, 1);

	fl = mkflow(L4_ICMP, L7_NONE, 4, 3, 2);
	if (gen(&fl) == 0) {
		check_seq(&fl);
		CHECK_EQ_U(seq.flow.fallback, 1);
		CHECK_EQ_U(seq.n, 7);
		for (uint32_t i = 0; i < seq.n && seq.n == 7; i++) {
			bool req = i % 2 == 0;

			CHECK_EQ_U(seq.pkts[i].dir, req ? DIR_FWD : DIR_BWD);
			CHECK_EQ_U(seq.pkts[i].icmp_type, req ? 8 : 0);
			CHECK_EQ_U(seq.pkts[i].len, 56);
		}
	}
	fl = mkflow(L4_ICMP, L7_NONE, 2, 9, 2);
	if (gen(&fl) == 0) {
		CHECK_EQ_U(seq.flow.fwd_pkts, 2);
		CHECK_EQ_U(seq.flow.bwd_pkts, 2);
	}
	/* No automata at all: everything is generic. */
	fl = mkflow(L4_UDP, L7_DNS, 2, 2, 2);
	if (s2_generate(NULL, &fl, &seq, scr) == 0) {
		CHECK_EQ_U(seq.flow.fallback, 1);
		CHECK_EQ_U(seq.n, 4);
	}
}

/* The set: from a profile folder, and duplicate keys refused. */
static void
test_set(const char *dir)
{
	struct profile_src src = { .dir = dir };
	struct automata *a = NULL;
	struct diag d = { { 0 } };
	FILE *f;
	int rc;

	rc = automata_load(&a, &src, &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	CHECK_EQ_U(automata_count(a), 5);
	CHECK(automata_has(a, L4_TCP, L7_SMTP));
	CHECK(!automata_has(a, L4_UDP, L7_SMTP));
	CHECK(!automata_has(a, L4_TCP, L7_SSH));
	set = a;

	mkdir("p", 0755);
	mkdir("p/automata", 0755);
	for (int i = 0; i < 2; i++) {
		char path[64];

		snprintf(path, sizeof(path), "p/automata/%c.json", 'a' + i);
		if ((f = fopen(path, "w")) == NULL)
			return;
		fputs("{\"protocol\": \"UDP\", \"l7protocol\": \"ntp\", "
		    "\"initial_state\": 0, \"accepting_state\": 1, \"edges\": "
		    "[{\"src\": 0, \"dst\": 1, \"symbol\": \">\", \"p\": 1, "
		    "\"count\": 1, \"mu\": [0, 0], \"cov\": [[1, 0], [0, 1]], "
		    "\"payloads\": {\"type\": \"NoPayload\"}}]}", f);
		fclose(f);
	}
	src.dir = "p";
	a = NULL;
	CHECK_EQ_I(automata_load(&a, &src, &d), -EEXIST);
	CHECK(a == NULL);
	CHECK_STR(d.msg, "automata/b.json: UDP/ntp is already defined by "
	    "automata/a.json");
	CHECK_EQ_I(automata_load_cap(&a, &src, 5000, &d), -EINVAL);

	/* One broken file fails the set, and the message names it. */
	if ((f = fopen("p/automata/b.json", "w")) != NULL) {
		fputs("{\"protocol\": \"UDP\", \"l7protocol\": \"dns\", "
		    "\"edges\": []}", f);
		fclose(f);
	}
	CHECK_EQ_I(automata_load(&a, &src, &d), -EINVAL);
	CHECK(a == NULL);
	CHECK_STR(d.msg, "automata/b.json: missing key \"initial_state\"");
	unlink("p/automata/b.json");
	CHECK_EQ_I(automata_load(&a, &src, &d), 0);
	CHECK_EQ_U(automata_count(a), 1);
	automata_free(a);
}

/* Frames of the flow in seq, as S3 builds them, into po. */
static int
put_frames(struct pcapout *po, struct frame_buf *fb)
{
	struct s3_opts o = { .taint = false };
	struct diag d;
	int rc = s3_build(&seq, &o, fb);

	for (uint32_t i = 0; rc == 0 && i < fb->n; i++)
		rc = pcapout_write(po, fb->frames[i].ts_ns,
		    fb->data + fb->frames[i].off, fb->frames[i].len, &d);
	CHECK_EQ_I(rc, 0);
	return rc;
}

static unsigned long
count_lines(const char *cmd)
{
	unsigned long n = 0;
	FILE *p = popen(cmd, "r");
	int c;

	if (p == NULL)
		return ~0ul;
	while ((c = fgetc(p)) != EOF)
		n += c == '\n';
	pclose(p);
	return n;
}

/*
 * On the wire: walks and generic exchanges of every service, built into
 * frames by S3, decode without a single malformed packet or expert error,
 * and every DNS answer pairs with its query.
 */
static void
test_wire(void)
{
	static const struct {
		uint8_t l4, l7;
		uint16_t port;
	} svc[] = { { L4_TCP, L7_HTTPS, 443 }, { L4_TCP, L7_SMTP, 465 },
		{ L4_TCP, L7_MQTT, 1883 }, { L4_UDP, L7_DNS, 53 },
		{ L4_UDP, L7_NTP, 123 }, { L4_TCP, L7_HTTP, 80 },
		{ L4_TCP, L7_SSH, 22 }, { L4_TCP, L7_IMAPS, 993 },
		{ L4_TCP, L7_TELNET, 23 }, { L4_UDP, L7_DHCP, 67 },
		{ L4_UDP, L7_MDNS, 5353 }, { L4_ICMP, L7_NONE, 0 } };
	struct frame_buf fb;
	struct pcapout *po;
	struct diag d;
	uint32_t id = 0;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		printf("note: tshark missing, wire check not run\n");
		return;
	}
	if ((po = pcapout_open("s2.pcap", false, &d)) == NULL) {
		fprintf(stderr, "%s\n", d.msg);
		CHECK(po != NULL);
		return;
	}
	memset(&fb, 0, sizeof(fb));
	for (size_t k = 0; k < sizeof(svc) / sizeof(svc[0]); k++) {
		for (uint32_t i = 0; i < 40; i++, id++) {
			struct flow fl = mkflow(svc[k].l4, svc[k].l7,
			    i % 13 + 1, i % 11 + 1, id);

			fl.id = id;
			fl.start_ns += id * 600ull * 1000000000ull;
			fl.end = (uint8_t)(i % 4);
			fl.client_ip = 0xc0a80a00 | (id % 200 + 20);
			fl.server_ip = 0xc0a81400 | (uint32_t)(k + 2);
			fl.client_port = (uint16_t)(svc[k].l7 == L7_DHCP ? 68 :
			    40000 + id);
			fl.server_port = svc[k].port;
			fl.ttl_client = 64;
			fl.ttl_server = 128;
			fl.client_mac[0] = fl.server_mac[0] = 2;
			fl.client_mac[5] = (uint8_t)id;
			fl.server_mac[5] = (uint8_t)k;
			if (gen(&fl) != 0 || put_frames(po, &fb) != 0)
				goto out;
		}
	}
	CHECK_EQ_I(pcapout_commit(po, &d), 0);
	po = NULL;
	CHECK_EQ_U(count_lines("tshark -r s2.pcap -o ip.check_checksum:TRUE "
	    "-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
	    "-Y '_ws.malformed || _ws.expert.severity == error' "
	    "2>/dev/null"), 0);
	/* Multicast DNS answers are not paired by analysers: port 53 only. */
	CHECK_EQ_U(count_lines("tshark -r s2.pcap -Y 'dns.flags.response == 1 "
	    "&& !dns.response_to && udp.port == 53' 2>/dev/null"), 0);
	CHECK(count_lines("tshark -r s2.pcap -Y 'dns.response_to' "
	    "2>/dev/null") >= 80);
out:
	pcapout_abort(po);
	frame_buf_free(&fb);
}

int
main(void)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/fosr-models/legacy", tap_shared());
	scr = s2_scratch_new();
	test_set(dir);
	if (set == NULL)
		return tap_done();
	test_dns();
	test_mqtt();
	test_counts();
	test_payloads();
	test_determinism();
	test_end_flags();
	test_delays();
	test_fallback();
	test_wire();
	pkt_seq_free(&seq);
	s2_scratch_free(scr);
	automata_free(set);
	return tap_done();
}
