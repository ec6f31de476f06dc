/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * S3 against hand-built sequences with known sequence and ACK numbers,
 * and against thousands of random, TCP-illogical sequences, all judged by
 * an independent reader of the frames (its own checksum code and its own
 * model of a TCP sender).  With "--pcap FILE FLOWS SEED" it writes random
 * flows to a pcap instead, for t_stage3_tshark.sh; with "--bench FLOWS"
 * it measures its speed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cksum.h"
#include "rng.h"
#include "stage3.h"
#include "tap.h"

#define MAXPKT 256

static struct pkt pkts[MAXPKT];
static uint8_t text[70000];

/* ---- an independent reader of the frames ---- */

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

/* Big-endian 16-bit sum, byte by byte: deliberately not cksum.c's way. */
static uint32_t
be_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
be_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static bool
ip_ok(const uint8_t *ip)
{
	return be_fold(be_sum(0, ip, 20)) == 0xffff;
}

static uint32_t
pseudo(const uint8_t *ip, uint8_t proto, uint32_t len)
{
	return be_sum(0, ip + 12, 8) + proto + len;
}

struct seg {
	int dir;
	uint8_t flags;
	uint32_t seq, ack, win, plen, hlen;
	uint64_t ts;
	const uint8_t *ip, *l4, *payload;
	uint32_t len;
};

static void
parse_tcp(const struct frame_buf *fb, uint32_t i, struct seg *s)
{
	const struct frame *f = &fb->frames[i];
	const uint8_t *e = fb->data + f->off;

	s->dir = f->dir;
	s->ts = f->ts_ns;
	s->len = f->len;
	s->ip = e + 14;
	s->l4 = s->ip + 20;
	s->seq = get32(s->l4 + 4);
	s->ack = get32(s->l4 + 8);
	s->hlen = (uint32_t)(s->l4[12] >> 4) * 4;
	s->flags = s->l4[13];
	s->win = get16(s->l4 + 14);
	s->plen = get16(s->ip + 2) - 20 - s->hlen;
	s->payload = s->l4 + s->hlen;
}

/*
 * A TCP sender model: what a valid connection must look like.  Returns
 * the number of violations (each one printed).
 */
struct model_side {
	bool syn, fin, sent;
	uint32_t nxt, ack, win;
};

static int
bad(const char *what, uint32_t i)
{
	fprintf(stderr, "frame %u: %s\n", i, what);
	return 1;
}

static int
check_tcp_frame(const struct seg *s, uint32_t i, struct model_side *m,
    bool *reset)
{
	struct model_side *x = &m[s->dir], *y = &m[!s->dir];
	int errs = 0;
	bool pure;

	if (*reset)
		errs += bad("frame after RST", i);
	if (s->len > 1514)
		errs += bad("frame over 1514 bytes", i);
	if (!ip_ok(s->ip))
		errs += bad("bad IPv4 checksum", i);
	if ((get16(s->ip + 6) & 0x4000) == 0)
		errs += bad("TCP without DF", i);
	if (be_fold(be_sum(pseudo(s->ip, 6, s->hlen + s->plen), s->l4,
	    s->hlen + s->plen)) != 0xffff)
		errs += bad("bad TCP checksum", i);
	if (s->flags & TCPF_SYN) {
		if (x->syn)
			errs += bad("second SYN", i);
		if (s->plen)
			errs += bad("SYN with data", i);
		if (s->hlen < 24 || s->l4[20] != 2 || get16(s->l4 + 22) != 1460)
			errs += bad("SYN without MSS 1460", i);
		if (s->dir == DIR_BWD && !m[DIR_FWD].syn)
			errs += bad("SYN-ACK before SYN", i);
		x->nxt = s->seq;
		x->syn = true;
	} else if (x->sent && s->seq != x->nxt) {
		errs += bad("sequence number not the next byte", i);
	}
	if (x->fin && (s->plen || (s->flags & TCPF_FIN)))
		errs += bad("data or FIN after FIN", i);
	if (y->syn || y->sent) {
		if (!(s->flags & TCPF_ACK))
			errs += bad("ACK missing", i);
		else if (y->sent && s->ack != y->nxt)
			errs += bad("ACK not the peer's next byte", i);
	}
	if (!(s->flags & TCPF_SYN) && (m[0].syn || m[1].syn) &&
	    !(m[0].syn && m[1].syn))
		errs += bad("segment before the handshake", i);
	pure = s->plen == 0 && !(s->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST));
	if (pure && x->sent && s->ack == x->ack && s->win == x->win)
		errs += bad("duplicate ACK", i);
	x->nxt = s->seq + s->plen + !!(s->flags & TCPF_SYN) +
	    !!(s->flags & TCPF_FIN);
	x->fin |= !!(s->flags & TCPF_FIN);
	x->ack = s->ack;
	x->win = s->win;
	x->sent = true;
	*reset |= !!(s->flags & TCPF_RST);
	return errs;
}

/* Validates a whole TCP flow, its handshake and its end. */
static int
check_tcp(const struct pkt_seq *sq, const struct frame_buf *fb)
{
	struct model_side m[2] = { 0 };
	bool reset = false, any_syn = false;
	struct seg s, s1, s2;
	uint64_t last_ts = 0;
	int errs = 0;

	for (uint32_t i = 0; i < fb->n; i++) {
		parse_tcp(fb, i, &s);
		if (s.ts < last_ts)
			errs += bad("time goes back", i);
		last_ts = s.ts;
		errs += check_tcp_frame(&s, i, m, &reset);
	}
	for (uint32_t i = 0; i < sq->n; i++)
		any_syn |= !!(sq->pkts[i].tcp_flags & TCPF_SYN);
	if (any_syn && fb->n >= 3) {
		parse_tcp(fb, 0, &s);
		parse_tcp(fb, 1, &s1);
		parse_tcp(fb, 2, &s2);
		if (s.flags != TCPF_SYN || s1.flags != (TCPF_SYN | TCPF_ACK) ||
		    s2.dir != DIR_FWD || !(s2.flags & TCPF_ACK) ||
		    (s2.flags & (TCPF_SYN | TCPF_RST)))
			errs += bad("no complete handshake", 0);
	} else if (any_syn) {
		errs += bad("no complete handshake", 0);
	}
	switch (sq->flow.end) {
	case END_FIN:
		if (reset || !m[0].fin || !m[1].fin || m[0].ack != m[1].nxt ||
		    m[1].ack != m[0].nxt)
			errs += bad("END_FIN flow without acknowledged FINs",
			    fb->n);
		break;
	case END_RST:
		if (!reset)
			errs += bad("END_RST flow without RST", fb->n);
		break;
	case END_OPEN:
		if (reset || m[0].fin || m[1].fin)
			errs += bad("END_OPEN flow closed", fb->n);
		break;
	}
	return errs;
}

/* ---- building sequences ---- */

static void
flow_init(struct pkt_seq *sq, uint8_t l4, uint8_t l7, uint8_t end,
    uint64_t seed)
{
	static const uint8_t cm[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t sm[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	memset(sq, 0, sizeof(*sq));
	sq->pkts = pkts;
	sq->cap = MAXPKT;
	sq->flow.id = 7;
	sq->flow.seed = seed;
	sq->flow.start_ns = 1700000000000000000ULL;
	sq->flow.client_ip = 0xc6120005;   /* 198.18.0.5 */
	sq->flow.server_ip = 0xc6130009;   /* 198.19.0.9 */
	sq->flow.client_port = 40000;
	sq->flow.server_port = 443;
	sq->flow.l4 = l4;
	sq->flow.l7 = l7;
	sq->flow.end = end;
	sq->flow.client_os = OS_LINUX;
	sq->flow.server_os = OS_WINDOWS;
	sq->flow.ttl_client = 64;
	sq->flow.ttl_server = 128;
	memcpy(sq->flow.client_mac, cm, 6);
	memcpy(sq->flow.server_mac, sm, 6);
}

static void
add(struct pkt_seq *sq, int dir, uint64_t dt_us, uint8_t flags,
    uint8_t kind, uint32_t len)
{
	struct pkt *p = &sq->pkts[sq->n];
	uint64_t t0 = sq->n ? sq->pkts[sq->n - 1].ts_ns : sq->flow.start_ns;

	memset(p, 0, sizeof(*p));
	p->ts_ns = t0 + dt_us * 1000;
	p->dir = (uint8_t)dir;
	p->tcp_flags = flags;
	p->kind = kind;
	p->len = len;
	p->payload = kind == PAYLOAD_BYTES ? text : NULL;
	sq->n++;
}

#define A TCPF_ACK
#define S TCPF_SYN
#define F TCPF_FIN
#define R TCPF_RST
#define P TCPF_PSH

/* ---- hand-built cases ---- */

static void
test_exchange(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { .taint = false };
	struct seg s[10];
	struct rng r;
	uint32_t c, b;
	static const struct {
		int dir;
		uint8_t flags;
		uint32_t seqoff, ackoff, plen;
	} want[10] = {
		{ 0, S, 0, 0, 0 },
		{ 1, S | A, 0, 1, 0 },
		{ 0, A, 1, 1, 0 },
		{ 0, A | P, 1, 1, 100 },
		{ 1, A, 1, 101, 0 },
		{ 1, A | P, 1, 101, 500 },
		{ 0, A, 101, 501, 0 },
		{ 0, F | A, 101, 501, 0 },
		{ 1, F | A, 501, 102, 0 },
		{ 0, A, 102, 502, 0 },
	};

	flow_init(&sq, L4_TCP, L7_HTTP, END_FIN, 42);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 300, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 250, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A | P, PAYLOAD_BYTES, 100);
	add(&sq, 1, 300, A, PAYLOAD_NONE, 0);
	add(&sq, 1, 2000, A | P, PAYLOAD_RANDOM, 500);
	add(&sq, 0, 300, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 9000, F | A, PAYLOAD_NONE, 0);
	add(&sq, 1, 300, F | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 300, A, PAYLOAD_NONE, 0);
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(fb.n, 10);
	if (fb.n != 10)
		goto out;

	/* The ISNs are the first two draws of the flow's generator. */
	rng_seed(&r, 42);
	c = rng_u32(&r);
	b = rng_u32(&r);
	for (uint32_t i = 0; i < 10; i++) {
		uint32_t mine = want[i].dir ? b : c, peer = want[i].dir ? c : b;

		parse_tcp(&fb, i, &s[i]);
		CHECK_EQ_I(s[i].dir, want[i].dir);
		CHECK_EQ_U(s[i].flags, want[i].flags);
		CHECK_EQ_U(s[i].seq, mine + want[i].seqoff);
		CHECK_EQ_U(s[i].ack,
		    want[i].ackoff ? peer + want[i].ackoff : 0);
		CHECK_EQ_U(s[i].plen, want[i].plen);
		CHECK_EQ_U(s[i].len, 14 + 20 + s[i].hlen + s[i].plen);
		CHECK_EQ_U(fb.frames[i].ts_ns, sq.pkts[i].ts_ns);
		CHECK(ip_ok(s[i].ip));
		CHECK_EQ_U(be_fold(be_sum(pseudo(s[i].ip, 6, s[i].hlen +
		    s[i].plen), s[i].l4, s[i].hlen + s[i].plen)), 0xffff);
		CHECK_EQ_U(s[i].ip[8], want[i].dir ? 128 : 64);
		CHECK_EQ_U(get16(s[i].ip + 6), 0x4000);
		CHECK_EQ_U(s[i].win, want[i].dir ? 65535 : 64240);
		CHECK(memcmp(s[i].ip - 14 + (want[i].dir ? 6 : 0),
		    sq.flow.server_mac, 6) == 0);
	}
	/* MSS 1460, NOP, NOP, SACK permitted on both SYNs. */
	CHECK_EQ_U(s[0].hlen, 28);
	CHECK_EQ_U(get32(s[0].l4 + 20), 0x020405b4);
	CHECK_EQ_U(get32(s[1].l4 + 24), 0x01010402);
	CHECK_EQ_U(s[3].hlen, 20);
	CHECK(memcmp(s[3].payload, text, 100) == 0);
	/* IP ids count per side. */
	CHECK_EQ_U(get16(s[2].ip + 4), (get16(s[0].ip + 4) + 1) & 0xffff);
	CHECK_EQ_U(get16(s[9].ip + 4), (get16(s[0].ip + 4) + 5) & 0xffff);
	CHECK_EQ_U(get16(s[8].ip + 4), (get16(s[1].ip + 4) + 3) & 0xffff);
	CHECK_EQ_U(get32(s[0].ip + 12), 0xc6120005);
	CHECK_EQ_U(get32(s[0].ip + 16), 0xc6130009);
	CHECK_EQ_U(get16(s[0].l4), 40000);
	CHECK_EQ_U(get16(s[1].l4), 443);
	/* An HTTPS random payload reads as one TLS application record. */
	CHECK_EQ_U(fb.dir_frames[0], 6);
	CHECK_EQ_U(fb.dir_frames[1], 4);
	CHECK_EQ_U(fb.dir_payload[0], 100);
	CHECK_EQ_U(fb.dir_payload[1], 500);
	CHECK_EQ_U(fb.repairs, 0);
	CHECK_EQ_I(check_tcp(&sq, &fb), 0);

	sq.flow.l7 = L7_HTTPS;
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	parse_tcp(&fb, 5, &s[5]);
	CHECK_EQ_U(get32(s[5].payload), 0x17030301);
	CHECK_EQ_U(s[5].payload[4], 500 - 5 - 256);
out:
	frame_buf_free(&fb);
}

/* A 5000-byte payload: four segments, paced, before the next packet. */
static void
test_segments(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { 0 };
	struct seg s;
	uint32_t sizes[4] = { 1460, 1460, 1460, 620 }, nseg = 0, expect = 0;

	flow_init(&sq, L4_TCP, L7_HTTP, END_ANY, 5);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 100, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 100, A, PAYLOAD_NONE, 0);
	add(&sq, 1, 100, A | P, PAYLOAD_RANDOM, 5000);
	add(&sq, 0, 100, A, PAYLOAD_NONE, 0);
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(fb.n, 8);
	for (uint32_t i = 0; i < fb.n; i++) {
		parse_tcp(&fb, i, &s);
		CHECK(s.len <= S3_MAX_FRAME);
		if (s.plen == 0)
			continue;
		CHECK_EQ_U(s.plen, sizes[nseg]);
		if (nseg == 0)
			expect = s.seq;
		CHECK_EQ_U(s.seq, expect);
		expect += s.plen;
		CHECK_EQ_U(!!(s.flags & TCPF_PSH), nseg == 3);
		/* 1514-byte frames 12.3 us apart on a 1 Gbit/s link. */
		CHECK_EQ_U(s.ts, sq.pkts[3].ts_ns + nseg * 12304);
		nseg++;
	}
	CHECK_EQ_U(nseg, 4);
	parse_tcp(&fb, 7, &s);
	CHECK_EQ_U(s.ts, sq.pkts[4].ts_ns);
	CHECK_EQ_U(s.ack - expect, 0);

	/* The next packet only 10 us later: segments wait at its time. */
	sq.pkts[4].ts_ns = sq.pkts[3].ts_ns + 10000;
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	for (uint32_t i = 3; i < fb.n; i++)
		CHECK(fb.frames[i].ts_ns <= sq.pkts[4].ts_ns &&
		    fb.frames[i].ts_ns >= fb.frames[i - 1].ts_ns);
	CHECK_EQ_I(check_tcp(&sq, &fb), 0);
	frame_buf_free(&fb);
}

static void
test_taint(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 }, plain = { 0 };
	struct s3_opts on = { .taint = true }, off = { .taint = false };
	int same = 0, flagged = 0;

	flow_init(&sq, L4_TCP, L7_HTTP, END_FIN, 9);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 100, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 100, A | P, PAYLOAD_RANDOM, 3000);
	CHECK_EQ_I(s3_build(&sq, &on, &fb), 0);
	CHECK_EQ_I(s3_build(&sq, &off, &plain), 0);
	CHECK_EQ_U(fb.n, plain.n);
	for (uint32_t i = 0; i < fb.n && i < plain.n; i++) {
		uint8_t *ip = fb.data + fb.frames[i].off + 14;

		flagged += get16(ip + 6) == 0xc000 && ip_ok(ip);
		s3_set_taint(ip, false);
		CHECK(ip_ok(ip));
		same += memcmp(fb.data + fb.frames[i].off,
		    plain.data + plain.frames[i].off, fb.frames[i].len) == 0;
		s3_set_taint(ip, true);
		CHECK_EQ_U(ip[6], 0xc0);
		CHECK(ip_ok(ip));
	}
	CHECK_EQ_I(flagged, (int)fb.n);
	CHECK_EQ_I(same, (int)fb.n);
	frame_buf_free(&fb);
	frame_buf_free(&plain);
}

static uint16_t
udp_field(const struct frame_buf *fb, uint32_t i, uint32_t at)
{
	return (uint16_t)get16(fb->data + fb->frames[i].off + 34 + at);
}

static bool
udp_ok(const struct frame_buf *fb, uint32_t i)
{
	const uint8_t *ip = fb->data + fb->frames[i].off + 14;
	uint32_t n = get16(ip + 2) - 20;

	return be_fold(be_sum(pseudo(ip, 17, n), ip + 20, n)) == 0xffff;
}

static void
test_udp(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { 0 };
	const uint8_t *ip;
	uint32_t s, w;

	flow_init(&sq, L4_UDP, L7_DNS, END_ANY, 11);
	sq.flow.server_port = 53;
	add(&sq, 0, 0, 0, PAYLOAD_BYTES, 37);
	add(&sq, 1, 900, 0, PAYLOAD_NONE, 0);
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(fb.n, 2);
	CHECK_EQ_U(udp_field(&fb, 0, 4), 8 + 37);
	CHECK_EQ_U(udp_field(&fb, 1, 4), 8);
	CHECK_EQ_U(fb.frames[1].len, 42);
	CHECK(udp_ok(&fb, 0));
	CHECK(udp_ok(&fb, 1));
	CHECK_EQ_U(udp_field(&fb, 1, 0), 53);
	/* Linux client sets DF, the Windows server does not. */
	CHECK_EQ_U(get16(fb.data + fb.frames[0].off + 20), 0x4000);
	CHECK_EQ_U(get16(fb.data + fb.frames[1].off + 20), 0);

	/* A payload word that makes the sum zero: sent as 0xffff. */
	memset(text, 0, 2);
	sq.n = 1;
	sq.pkts[0].len = 2;
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	ip = fb.data + fb.frames[0].off + 14;
	s = be_fold(be_sum(pseudo(ip, 17, 10), ip + 20, 6));
	w = 0xffff - s;
	text[0] = (uint8_t)(w >> 8);
	text[1] = (uint8_t)w;
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(udp_field(&fb, 0, 6), 0xffff);
	CHECK(udp_ok(&fb, 0));

	/* 4000 bytes: three fragments, one checksum over the datagram. */
	sq.pkts[0].len = 4000;
	sq.pkts[0].kind = PAYLOAD_RANDOM;
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(fb.n, 3);
	if (fb.n == 3) {
		uint32_t sum = 0, id = 0;

		for (uint32_t i = 0; i < 3; i++) {
			ip = fb.data + fb.frames[i].off + 14;
			CHECK(ip_ok(ip));
			CHECK(fb.frames[i].len <= S3_MAX_FRAME);
			CHECK_EQ_U(get16(ip + 6), (i < 2 ? 0x2000 : 0) +
			    i * 185);
			if (i == 0)
				id = get16(ip + 4);
			CHECK_EQ_U(get16(ip + 4), id);
			sum = be_sum(sum, ip + 20, get16(ip + 2) - 20u);
		}
		CHECK_EQ_U(udp_field(&fb, 0, 4), 4008);
		CHECK_EQ_U(be_fold(sum + pseudo(ip, 17, 4008)), 0xffff);
	}
	frame_buf_free(&fb);
}

static void
test_icmp(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { 0 };
	const uint8_t *m[5];

	flow_init(&sq, L4_ICMP, L7_NONE, END_ANY, 13);
	for (int i = 0; i < 4; i++) {
		add(&sq, i & 1, 1000, 0, PAYLOAD_RANDOM, 56);
		sq.pkts[i].icmp_type = i & 1 ? 0 : 8;
	}
	add(&sq, 1, 1000, 0, PAYLOAD_NONE, 0);
	sq.pkts[4].icmp_type = 3;
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(fb.n, 5);
	if (fb.n != 5)
		goto out;
	for (int i = 0; i < 5; i++) {
		const uint8_t *ip = fb.data + fb.frames[i].off + 14;

		m[i] = ip + 20;
		CHECK(ip_ok(ip));
		CHECK_EQ_U(ip[9], 1);
		CHECK_EQ_U(be_fold(be_sum(0, m[i], get16(ip + 2) - 20u)),
		    0xffff);
	}
	CHECK_EQ_U(m[0][0], 8);
	CHECK_EQ_U(m[1][0], 0);
	/* ping on Linux sets DF; a kernel's replies and errors do not. */
	CHECK_EQ_U(get16(m[0] - 20 + 6), 0x4000);
	CHECK_EQ_U(get16(m[4] - 20 + 6), 0);
	CHECK_EQ_U(get16(m[0] + 4), get16(m[3] + 4));
	CHECK_EQ_U(get16(m[0] + 6), 1);
	CHECK_EQ_U(get16(m[1] + 6), 1);
	CHECK_EQ_U(get16(m[2] + 6), 2);
	CHECK_EQ_U(get16(m[3] + 6), 2);
	/* Replies return the request's data; requests differ. */
	CHECK(memcmp(m[0] + 8, m[1] + 8, 56) == 0);
	CHECK(memcmp(m[2] + 8, m[3] + 8, 56) == 0);
	CHECK(memcmp(m[0] + 8, m[2] + 8, 56) != 0);
	/* Port unreachable quotes a checksummed IPv4 header and UDP ports. */
	CHECK_EQ_U(m[4][0], 3);
	CHECK_EQ_U(m[4][1], 3);
	CHECK(ip_ok(m[4] + 8));
	CHECK_EQ_U(get32(m[4] + 8 + 12), 0xc6120005);
	CHECK_EQ_U(get16(m[4] + 8 + 20), 40000);
	CHECK_EQ_U(get16(m[4] + 8 + 22), 443);
out:
	frame_buf_free(&fb);
}

/* Random HTTPS payloads are whole TLS records, for any length. */
static void
test_tls(void)
{
	static uint8_t msg[70000];
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { 0 };
	struct seg s;
	int wrong = 0;

	for (uint32_t n = 6; n < 70000; n += n < 300 ? 1 : 997) {
		uint32_t len = 0, r = 0;

		flow_init(&sq, L4_TCP, L7_HTTPS, END_ANY, n);
		add(&sq, 1, 0, A | P, PAYLOAD_RANDOM, n);
		CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
		for (uint32_t i = 0; i < fb.n; i++) {
			parse_tcp(&fb, i, &s);
			memcpy(msg + len, s.payload, s.plen);
			len += s.plen;
		}
		while (r + 5 <= len && get32(msg + r) >> 8 == 0x170303 &&
		    get16(msg + r + 3) > 0 && get16(msg + r + 3) <= 16401)
			r += 5 + get16(msg + r + 3);
		if (len != n || r != n) {
			fprintf(stderr, "TLS payload of %u bytes: records end "
			    "at %u\n", n, r);
			wrong++;
		}
	}
	CHECK_EQ_I(wrong, 0);

	/* A tiny first payload opens a record that the next one ends. */
	for (uint32_t big = 100; big < 40000; big += 9973) {
		uint32_t len = 0, r = 0;

		flow_init(&sq, L4_TCP, L7_HTTPS, END_ANY, big);
		add(&sq, 1, 0, A | P, PAYLOAD_RANDOM, 3);
		add(&sq, 0, 10, A | P, PAYLOAD_RANDOM, 300);
		add(&sq, 1, 10, A | P, PAYLOAD_RANDOM, 2);
		add(&sq, 1, 10, A | P, PAYLOAD_RANDOM, big);
		CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
		for (uint32_t i = 0; i < fb.n; i++) {
			parse_tcp(&fb, i, &s);
			if (s.dir == 1) {
				memcpy(msg + len, s.payload, s.plen);
				len += s.plen;
			}
		}
		while (r + 5 <= len && get32(msg + r) >> 8 == 0x170303 &&
		    get16(msg + r + 3) > 0 && get16(msg + r + 3) <= 16401)
			r += 5 + get16(msg + r + 3);
		CHECK_EQ_U(len, big + 5);
		CHECK_EQ_U(r, big + 5);
	}

	/* Tiny payloads end the previous record of their side. */
	flow_init(&sq, L4_TCP, L7_HTTPS, END_ANY, 3);
	add(&sq, 1, 0, A | P, PAYLOAD_RANDOM, 3000);
	add(&sq, 0, 10, A | P, PAYLOAD_RANDOM, 2);
	add(&sq, 1, 10, A | P, PAYLOAD_RANDOM, 3);
	add(&sq, 1, 10, A | P, PAYLOAD_RANDOM, 4);
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	for (uint32_t i = 0, len = 0; i < fb.n; i++) {
		parse_tcp(&fb, i, &s);
		if (s.dir == 1 && s.plen > 0) {
			if (len == 0)
				CHECK_EQ_U(get32(s.payload), 0x17030300 +
				    (3000 - 5 + 3 + 4) / 256);
			len += s.plen;
		}
		if (s.dir == 0 && s.plen > 0)
			CHECK(s.payload[0] < 0x10);
		if (i == fb.n - 1)
			CHECK_EQ_U(len, 3007);
	}
	frame_buf_free(&fb);
}

/*
 * Random HTTP payloads are whole messages: for every length, the head's
 * Content-Length ends the body exactly at the end of the packet.
 */
static void
test_http(void)
{
	static uint8_t msg[4000];
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { 0 };
	struct seg s;
	int wrong = 0, sized = 0;

	for (uint32_t n = 1; n < 3000; n++) {
		for (int d = 0; d < 2; d++) {
			uint32_t len = 0;
			const char *end, *cl;

			flow_init(&sq, L4_TCP, L7_HTTP, END_ANY, n);
			sq.flow.server_port = 80;
			add(&sq, d, 0, A | P, PAYLOAD_RANDOM, n);
			CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
			for (uint32_t i = 0; i < fb.n; i++) {
				parse_tcp(&fb, i, &s);
				memcpy(msg + len, s.payload, s.plen);
				len += s.plen;
			}
			msg[len] = 0;
			if (len != n) {
				wrong++;
				continue;
			}
			if (n < 17 + (d == 0))
				continue;
			end = memmem(msg, n, "\r\n\r\n", 4);
			cl = strstr((const char *)msg, "Content-Length: ");
			if (memcmp(msg, d ? "HTTP/1.1 " : "GET ", d ? 9 : 4) &&
			    memcmp(msg, "POST /", 6))
				wrong++;
			else if (end == NULL)
				wrong++;
			else if (cl != NULL && cl < end) {
				size_t head = (size_t)(end + 4 -
				    (const char *)msg);

				wrong += head + strtoul(cl + 16, NULL, 10) != n;
				sized++;
			} else {
				wrong += end + 4 != (const char *)msg + n;
			}
		}
	}
	CHECK_EQ_I(wrong, 0);
	CHECK(sized > 5600);
	frame_buf_free(&fb);
}

/* Builds sq, checks it is valid TCP; returns the frame count. */
static uint32_t
build_valid(struct pkt_seq *sq, struct frame_buf *fb)
{
	struct s3_opts o = { 0 };
	int errs;

	CHECK_EQ_I(s3_build(sq, &o, fb), 0);
	errs = check_tcp(sq, fb);
	CHECK_EQ_I(errs, 0);
	return fb->n;
}

static void
test_illogical(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct seg s;

	/* Data before the SYN-ACK: the handshake is completed first. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_ANY, 21);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A | P, PAYLOAD_BYTES, 80);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, A | P, PAYLOAD_BYTES, 30);
	CHECK_EQ_U(build_valid(&sq, &fb), 5);
	parse_tcp(&fb, 3, &s);
	CHECK_EQ_U(s.plen, 80);
	CHECK_EQ_U(fb.repairs, 2);

	/* An ACK before the SYN-ACK: the SYN-ACK comes first. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_ANY, 20);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	CHECK_EQ_U(build_valid(&sq, &fb), 3);
	CHECK_EQ_U(fb.dir_frames[0], 2);
	CHECK_EQ_U(fb.repairs, 2);

	/* Data after a FIN: the FIN moves to the last data. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_ANY, 22);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, F | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A | P, PAYLOAD_BYTES, 50);
	CHECK_EQ_U(build_valid(&sq, &fb), 4);
	parse_tcp(&fb, 3, &s);
	CHECK_EQ_U(s.flags, F | A | P);

	/* Packets after a RST are not sent. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_RST, 23);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, R | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A | P, PAYLOAD_BYTES, 10);
	add(&sq, 1, 10, R, PAYLOAD_NONE, 0);
	CHECK_EQ_U(build_valid(&sq, &fb), 4);
	CHECK_EQ_U(fb.repairs, 2);

	/* A SYN with data: the data waits for the handshake. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_FIN, 24);
	add(&sq, 0, 0, S, PAYLOAD_BYTES, 30);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	CHECK_EQ_U(build_valid(&sq, &fb), 7);
	parse_tcp(&fb, 0, &s);
	CHECK_EQ_U(s.plen, 0);
	parse_tcp(&fb, 3, &s);
	CHECK_EQ_U(s.plen, 30);

	/* Two FINs from one side and repeated pure ACKs. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_FIN, 25);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, F | A, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, F | A, PAYLOAD_NONE, 0);
	CHECK_EQ_U(build_valid(&sq, &fb), 10);
	parse_tcp(&fb, 3, &s);
	CHECK_EQ_U(s.win, 64240 - 1460);
	parse_tcp(&fb, 4, &s);
	CHECK_EQ_U(s.win, 64240);

	/* No SYN at all: an open connection, every segment ACKs. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_OPEN, 26);
	add(&sq, 1, 0, A | P, PAYLOAD_RANDOM, 200);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, F | A, PAYLOAD_NONE, 0);
	CHECK_EQ_U(build_valid(&sq, &fb), 3);

	/* 100 kB one way: the receiver ACKs before the window fills. */
	flow_init(&sq, L4_TCP, L7_HTTP, END_FIN, 27);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A, PAYLOAD_NONE, 0);
	add(&sq, 1, 10, A, PAYLOAD_RANDOM, 100000);
	CHECK(build_valid(&sq, &fb) > 3 + 69 + 1);
	CHECK_EQ_U(fb.dir_payload[1], 100000);
	frame_buf_free(&fb);
}

/* ---- random sequences ---- */

static void
random_seq(struct pkt_seq *sq, struct rng *r, uint64_t k)
{
	static const uint8_t ends[4] = { END_ANY, END_FIN, END_RST, END_OPEN };
	static const uint8_t l7s[3] = { L7_NONE, L7_HTTP, L7_HTTPS };
	static const uint16_t web[3] = { 0, 80, 443 };
	uint32_t u = rng_below(r, 10), w = rng_below(r, 3), n;
	uint8_t l4 = u < 7 ? L4_TCP : u < 9 ? L4_UDP : L4_ICMP, kind;

	flow_init(sq, l4, l7s[w], l4 == L4_TCP ? ends[rng_below(r, 4)] :
	    END_ANY, rng_u64(r));
	sq->flow.id = k;
	sq->flow.client_port = (uint16_t)(60002 + k % 5000);
	sq->flow.server_port = w > 0 && l4 == L4_TCP ? web[w] :
	    (uint16_t)(47001 + rng_below(r, 9));
	sq->flow.client_os = (uint8_t)rng_below(r, 2);
	sq->flow.server_os = (uint8_t)rng_below(r, 2);
	n = 1 + rng_below(r, 40);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = rng_below(r, 100), len = 0;
		uint8_t f = A;

		if (v < 40)
			len = 1 + rng_below(r, 300);
		else if (v < 50)
			len = 1 + rng_below(r, 6000);
		else if (v < 52)
			len = 1 + rng_below(r, 70000);
		if (rng_below(r, 100) < (i == 0 ? 80 : 4))
			f |= S;
		if (rng_below(r, 100) < 8)
			f |= F;
		if (rng_below(r, 100) < 3)
			f |= R;
		if (rng_below(r, 100) < 30)
			f |= P;
		if (rng_below(r, 100) < 3)
			f = (uint8_t)rng_u32(r);
		/*
		 * Cut text is no HTTP message nor TLS record: the web ports
		 * get random bytes, which S3 shapes.
		 */
		kind = len ? (uint8_t)(1 + rng_below(r, 2)) : PAYLOAD_NONE;
		if (kind && (sq->flow.server_port == 80 ||
		    sq->flow.server_port == 443))
			kind = PAYLOAD_RANDOM;
		add(sq, (int)rng_below(r, 2), rng_below(r, 4) ? rng_below(r,
		    20000) : 0, f, kind, len);
		sq->pkts[i].icmp_type = rng_below(r, 10) ? (i & 1 ? 0 : 8) :
		    (uint8_t)(rng_below(r, 2) ? 3 : 11);
	}
}

static void
dump(const struct pkt_seq *sq, const struct frame_buf *fb)
{
	struct seg s;

	fprintf(stderr, "end %u\n", sq->flow.end);
	for (uint32_t i = 0; i < sq->n; i++)
		fprintf(stderr, " in %u: dir %u flags %02x len %u\n", i,
		    sq->pkts[i].dir, sq->pkts[i].tcp_flags,
		    sq->pkts[i].kind ? sq->pkts[i].len : 0);
	for (uint32_t i = 0; i < fb->n; i++) {
		parse_tcp(fb, i, &s);
		fprintf(stderr, " out %u: dir %d flags %02x seq %u ack %u "
		    "len %u\n", i, s.dir, s.flags, s.seq, s.ack, s.plen);
	}
}

static void
test_random(void)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 }, again = { 0 };
	struct s3_opts o = { 0 };
	struct rng r;
	int failures = 0, differ = 0;
	uint64_t frames = 0;

	rng_seed(&r, 2026);
	for (uint64_t k = 0; k < 3000; k++) {
		random_seq(&sq, &r, k);
		if (s3_build(&sq, &o, &fb) != 0) {
			failures++;
			continue;
		}
		frames += fb.n;
		for (uint32_t i = 0; i < fb.n; i++)
			CHECK(fb.frames[i].len <= S3_MAX_FRAME);
		if (sq.flow.l4 == L4_TCP && check_tcp(&sq, &fb) != 0) {
			fprintf(stderr, "random flow %" PRIu64 " invalid\n", k);
			if (getenv("S3_DEBUG"))
				dump(&sq, &fb);
			failures++;
		}
		if (k % 50 == 0) {
			CHECK_EQ_I(s3_build(&sq, &o, &again), 0);
			differ += again.len != fb.len ||
			    memcmp(again.data, fb.data, fb.len) != 0;
		}
	}
	printf("random: %" PRIu64 " frames\n", frames);
	CHECK_EQ_I(failures, 0);
	CHECK_EQ_I(differ, 0);
	CHECK_EQ_I(s3_build(&(struct pkt_seq){ .flow.l4 = 2 }, &o, &fb),
	    -EINVAL);
	flow_init(&sq, L4_TCP, L7_HTTP, END_FIN, 1);
	CHECK_EQ_I(s3_build(&sq, &o, &fb), 0);
	CHECK_EQ_U(fb.n, 0);
	frame_buf_free(&fb);
	frame_buf_free(&again);
}

/* ---- pcap generator for the tshark test ---- */

static int
write_pcap(const char *path, uint64_t nflows, uint64_t seed)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { .taint = seed & 1 };
	uint64_t t = 1700000000000000000ULL, frames = 0;
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
	    PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *dump = NULL;
	struct rng r;
	int rc = 1;

	if (pd == NULL || (dump = pcap_dump_open(pd, path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, pd ? pcap_geterr(pd) : "?");
		goto out;
	}
	rng_seed(&r, seed);
	for (uint64_t k = 0; k < nflows; k++) {
		random_seq(&sq, &r, k);
		for (uint32_t i = 0; i < sq.n; i++)
			sq.pkts[i].ts_ns += t - sq.flow.start_ns;
		if (s3_build(&sq, &o, &fb) != 0)
			goto out;
		for (uint32_t i = 0; i < fb.n; i++) {
			struct pcap_pkthdr h = { 0 };
			uint64_t ts = fb.frames[i].ts_ns;

			h.ts.tv_sec = (time_t)(ts / 1000000000u);
			h.ts.tv_usec = (suseconds_t)(ts % 1000000000u);
			h.caplen = h.len = fb.frames[i].len;
			pcap_dump((u_char *)dump, &h,
			    fb.data + fb.frames[i].off);
			t = ts + 1000000;
		}
		frames += fb.n;
	}
	printf("%" PRIu64 " flows, %" PRIu64 " frames\n", nflows, frames);
	rc = 0;
out:
	if (dump != NULL)
		pcap_dump_close(dump);
	if (pd != NULL)
		pcap_close(pd);
	frame_buf_free(&fb);
	return rc;
}

/*
 * Speed of s3_build on a typical web flow (handshake, 400-byte request,
 * 20 kB random response, FIN), next to a plain copy of the same bytes
 * measured in the same run.
 */
static int
bench(uint64_t nflows)
{
	struct pkt_seq sq;
	struct frame_buf fb = { 0 };
	struct s3_opts o = { 0 };
	struct timespec t0, t1, t2;
	uint64_t frames = 0, bytes = 0, sink = 0;
	uint8_t *copy;
	double s3s, cps;

	flow_init(&sq, L4_TCP, L7_HTTPS, END_FIN, 1);
	add(&sq, 0, 0, S, PAYLOAD_NONE, 0);
	add(&sq, 1, 300, S | A, PAYLOAD_NONE, 0);
	add(&sq, 0, 300, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 10, A | P, PAYLOAD_BYTES, 400);
	add(&sq, 1, 2000, A | P, PAYLOAD_RANDOM, 20000);
	add(&sq, 0, 300, A, PAYLOAD_NONE, 0);
	add(&sq, 0, 9000, F | A, PAYLOAD_NONE, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t k = 0; k < nflows; k++) {
		sq.flow.seed = k;
		if (s3_build(&sq, &o, &fb) != 0)
			return 1;
		frames += fb.n;
		bytes += fb.len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((copy = malloc(fb.len)) == NULL)
		return 1;
	for (uint64_t k = 0; k < nflows; k++) {
		fb.data[0] = (uint8_t)k;
		memcpy(copy, fb.data, fb.len);
		sink += copy[k % fb.len];
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	s3s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cps = (double)(t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9;
	printf("s3_build: %" PRIu64 " flows, %" PRIu64 " frames, %.1f MB in "
	    "%.3f s: %.2f Mframes/s, %.0f MB/s; memcpy of the same bytes: "
	    "%.0f MB/s\n", nflows, frames, bytes / 1e6, s3s, frames / s3s / 1e6,
	    bytes / s3s / 1e6, bytes / cps / 1e6);
	free(copy);
	if (sink == 1)
		printf("\n");
	frame_buf_free(&fb);
	return 0;
}

int
main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)("a line of test payload\r\n"[i % 24]);
	if (argc == 5 && strcmp(argv[1], "--pcap") == 0)
		return write_pcap(argv[2], strtoull(argv[3], NULL, 10),
		    strtoull(argv[4], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "--bench") == 0)
		return bench(strtoull(argv[2], NULL, 10));
	test_exchange();
	test_segments();
	test_taint();
	test_udp();
	test_icmp();
	test_illogical();
	test_http();
	test_tls();
	test_random();
	return tap_done();
}
