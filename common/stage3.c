/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * S3: frames.  Each packet that S2 describes becomes one or more complete
 * Ethernet II / IPv4 frames.  TCP is driven by a small connection model
 * with one sender state per side (next sequence number, last ACK and
 * window sent, SYN and FIN sent), so that every sequence and ACK number
 * is the one a real stack would put there and tshark's analysis finds
 * nothing to complain about.  S2 learns its sequences from captures and
 * may ask for things TCP cannot do; the repairs are listed where they are
 * made.  UDP and ICMP datagrams too large for one frame are sent as IPv4
 * fragments.  All randomness (ISNs, IP ids, random payloads) comes from
 * one generator seeded with the flow's seed, so a flow always gives the
 * same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "rng.h"
#include "stage3.h"

#define S3_ETH_LEN 14
#define S3_IP_LEN 20
#define S3_TCP_LEN 20
#define S3_SYN_LEN 28            /* TCP header with MSS, NOP, NOP, SACK-OK */
#define S3_DGRAM_HDR 8           /* UDP and ICMP headers */
#define S3_FRAG_DATA 1480        /* IPv4 payload per fragment, 8-aligned */
#define S3_TLS_REC_MAX (5 + 16401)
#define S3_TLS_TINY 6            /* random payloads too short for a record */
#define S3_TLS_TAIL_MAX 200      /* keeps a record under 2^14 + 256 */
#define S3_HTTP_HEAD_MAX 160
#define S3_TAIL_GAP_NS 50000     /* spacing of frames added at the end */
#define S3_WIN_LINUX 64240
#define S3_WIN_WINDOWS 65535
#define S3_WIN_STEP 1460
#define S3_SUM_CHUNK 2048        /* even: see s3_src_sum() */

#define S3_IP_RB 0x8000
#define S3_IP_DF 0x4000
#define S3_IP_MF 0x2000

#define S3_TCPF_KNOWN (TCPF_FIN | TCPF_SYN | TCPF_RST | TCPF_PSH | TCPF_ACK)

/* What one side of the flow has sent so far. */
struct s3_side {
	const uint8_t *mac;
	uint8_t mac_buf[6];
	uint32_t ip;
	uint16_t port;
	uint8_t ttl;
	bool linux_os;
	uint16_t ip_id;          /* next IPv4 identification */
	uint16_t base_win;
	uint16_t win;            /* window of its last segment */
	uint32_t snd_nxt;        /* next sequence number */
	uint32_t last_ack;       /* ACK field of its last segment */
	int fin_at;              /* packet that carries its FIN, or -1 */
	bool sent;
	bool syn;
	bool fin;
};

/*
 * TLS records over the random payload bytes of one side, seen as one
 * stream (offsets count only those bytes): the record still open and
 * where the side's next byte goes.
 */
struct s3_tls_side {
	uint64_t pos;
	uint64_t rec_start;
	uint32_t rec_len;        /* header included; 0 if none yet */
};

/*
 * The records that touch one packet: the one still open when it starts,
 * then nrec new ones from start, of size bytes (size + 1 for the first
 * extra ones), the last of which runs ext bytes into later packets.
 */
struct s3_tls_plan {
	uint64_t pos;            /* stream offset of the packet's first byte */
	uint64_t prev_start;
	uint32_t prev_len;       /* 0 if no record is open */
	uint64_t start;
	uint32_t nrec;
	uint32_t size;
	uint32_t extra;
	uint32_t ext;
	bool none;               /* the rest can form no record */
};

/* Where the payload bytes of a packet come from. */
struct s3_src {
	uint8_t kind;            /* enum payload_kind */
	bool tls;                /* shape random bytes as TLS records */
	struct s3_tls_plan tls_plan;
	const uint8_t *pre;      /* written over the first pre_len bytes */
	uint32_t pre_len;
	const uint8_t *bytes;
	uint32_t len;
	uint64_t key;            /* random bytes: see s3_fill() */
};

struct s3_ctx {
	const struct pkt_seq *seq;
	struct frame_buf *fb;
	struct rng rng;
	struct s3_side side[2];  /* by enum pkt_dir: client, server */
	bool taint;
	bool hs;                 /* the flow opens with a handshake */
	bool open;               /* the handshake is complete */
	bool reset;              /* a RST ended the flow */
	bool touched;            /* the current packet needed a repair */
	uint32_t cur;            /* index of the current packet */
	struct s3_tls_side tls[2];
	uint32_t limit;          /* packets used */
	/* Frame times: see s3_stamp(). */
	uint64_t now;
	uint64_t pkt_ts;
	uint64_t cap;
	uint64_t min_gap;
	uint32_t last_len;
	bool fresh;
	/* ICMP echo: the data of the last request, for the reply. */
	uint16_t icmp_id;
	uint16_t icmp_seq;
	bool echo_seen;
	struct s3_src echo;
	uint8_t scratch[S3_IP_LEN + S3_DGRAM_HDR];
	char head[S3_HTTP_HEAD_MAX];
};

static void
s3_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
s3_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
s3_pkt_len(const struct pkt *p)
{
	return p->kind == PAYLOAD_NONE ? 0 : p->len;
}

void
frame_buf_free(struct frame_buf *fb)
{
	free(fb->data);
	free(fb->frames);
	memset(fb, 0, sizeof(*fb));
}

void
s3_set_taint(uint8_t *ip_header, bool on)
{
	if (on)
		ip_header[6] |= 0x80;
	else
		ip_header[6] &= 0x7f;
	cksum_ipv4_fix(ip_header);
}

/*
 * Room for one more frame of len bytes.  Both arrays grow by doubling and
 * are kept from flow to flow, so a long run stops allocating early.
 */
static int
s3_reserve(struct frame_buf *fb, uint32_t len)
{
	uint64_t need = (uint64_t)fb->len + len;

	if (need > fb->cap) {
		uint64_t cap = fb->cap ? fb->cap : 16384;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOMEM;
		if ((p = realloc(fb->data, cap)) == NULL)
			return -ENOMEM;
		fb->data = p;
		fb->cap = (uint32_t)cap;
	}
	if (fb->n == fb->ncap) {
		uint32_t ncap = fb->ncap ? fb->ncap * 2 : 64;
		struct frame *f;

		if (ncap < fb->ncap ||
		    (f = realloc(fb->frames, ncap * sizeof(*f))) == NULL)
			return -ENOMEM;
		fb->frames = f;
		fb->ncap = ncap;
	}
	return 0;
}

/*
 * The time of the next frame.  The first frame made for a packet goes out
 * at the packet's time; the ones after it (segments, added ACKs) follow
 * at the pace of a 1 Gbit/s link (preamble, FCS and gap included) but
 * never after the flow's next packet, so S2's order and timing hold.
 * Times never go back, even if S2's do.
 */
static uint64_t
s3_stamp(struct s3_ctx *c, uint32_t len)
{
	uint64_t t;

	if (c->fresh) {
		t = c->pkt_ts;
		c->fresh = false;
	} else {
		uint32_t wire = c->last_len < 60 ? 60 : c->last_len;
		uint64_t gap = (uint64_t)(wire + 24) * 8;

		if (gap < c->min_gap)
			gap = c->min_gap;
		t = c->now + gap;
		if (t > c->cap)
			t = c->cap;
	}
	if (t < c->now)
		t = c->now;
	c->now = t;
	c->last_len = len;
	return t;
}

/*
 * The one's-complement sum of big-endian 16-bit words given as values,
 * folded to 16 bits.  Headers are summed from the values they were just
 * written from: read back as words, bytes stored one at a time stall the
 * load until the stores have drained.  The sum does not depend on the
 * byte order it is taken in, so the checksum is the one cksum.c gives.
 */
static uint32_t
s3_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/* A 32-bit field as its two big-endian words, added. */
static uint32_t
s3_sum32(uint32_t v)
{
	return (v >> 16) + (v & 0xffff);
}

/*
 * Appends one frame from side dir carrying l3len bytes of IPv4 and fills
 * in Ethernet and IPv4.  Returns the IPv4 header, NULL when out of memory.
 */
static uint8_t *
s3_frame(struct s3_ctx *c, int dir, uint8_t proto, uint32_t l3len,
    uint16_t frag, uint16_t id)
{
	struct frame_buf *fb = c->fb;
	const struct s3_side *x = &c->side[dir], *y = &c->side[!dir];
	uint32_t len = S3_ETH_LEN + l3len;
	uint16_t flags = frag | (c->taint ? S3_IP_RB : 0);
	struct frame *f;
	uint8_t *e, *ip;

	if (s3_reserve(fb, len) != 0)
		return NULL;
	f = &fb->frames[fb->n++];
	f->off = fb->len;
	f->len = len;
	f->dir = (uint8_t)dir;
	f->ts_ns = s3_stamp(c, len);
	fb->len += len;
	fb->dir_frames[dir]++;
	fb->dir_bytes[dir] += len;

	e = fb->data + f->off;
	memcpy(e, y->mac, 6);
	memcpy(e + 6, x->mac, 6);
	s3_put16(e + 12, 0x0800);

	ip = e + S3_ETH_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	s3_put16(ip + 2, (uint16_t)l3len);
	s3_put16(ip + 4, id);
	s3_put16(ip + 6, flags);
	ip[8] = x->ttl;
	ip[9] = proto;
	s3_put32(ip + 12, x->ip);
	s3_put32(ip + 16, y->ip);
	s3_put16(ip + 10, (uint16_t)~s3_fold(0x4500 + l3len + id + flags +
	    ((uint32_t)x->ttl << 8 | proto) + s3_sum32(x->ip) +
	    s3_sum32(y->ip)));
	return ip;
}

/* Writes the header bytes of one record that fall in [at, at + n). */
static void
s3_tls_hdr(uint64_t start, uint32_t len, uint64_t at, uint8_t *dst,
    uint32_t n)
{
	uint32_t body = len - 5;
	uint8_t h[5] = { 0x17, 0x03, 0x03, (uint8_t)(body >> 8),
		(uint8_t)body };

	for (uint32_t i = 0; i < 5; i++)
		if (start + i >= at && start + i < at + n)
			dst[start + i - at] = h[i];
}

/*
 * Writes the TLS record headers that fall in [off, off + n) of a packet,
 * so that an HTTPS flow reads as application data rather than noise.
 */
static void
s3_tls_shape(const struct s3_tls_plan *tp, uint32_t off, uint8_t *dst,
    uint32_t n)
{
	uint64_t at = tp->pos + off, r;
	uint32_t k;

	if (tp->prev_len > 0)
		s3_tls_hdr(tp->prev_start, tp->prev_len, at, dst, n);
	if (tp->none) {
		/* No record type: a dissector does not wait for more. */
		if (tp->start >= at && tp->start < at + n)
			dst[tp->start - at] &= 0x0f;
		return;
	}
	/* Records before k end before at: each is at least 6 bytes. */
	k = at > tp->start ? (uint32_t)((at - tp->start) / (tp->size + 1)) :
	    0;
	r = tp->start + (uint64_t)k * tp->size + (k < tp->extra ? k :
	    tp->extra);
	for (; k < tp->nrec && r < at + n; k++) {
		uint32_t len = tp->size + (k < tp->extra ? 1 : 0);

		s3_tls_hdr(r, len + (k == tp->nrec - 1 ? tp->ext : 0), at, dst,
		    n);
		r += len;
	}
}

/* rng_mix64(), inlined: the loop below spends its time here. */
static inline uint64_t
s3_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Random payload bytes.  Each packet draws one 64-bit key from the flow's
 * generator and byte i of its payload comes from the splitmix64 output
 * of key and i / 8: 8 bytes for two multiplications instead of two PCG32
 * steps, and the same bytes however the payload is cut into segments or
 * fragments, which lets an echo reply return its request's data.
 */
static void
s3_fill(uint64_t key, uint32_t off, uint8_t *dst, uint32_t n)
{
	const uint64_t step = 0x9e3779b97f4a7c15ULL;
	uint64_t w = off / 8, v;
	uint32_t skip = off % 8, take;

	if (skip != 0) {
		v = s3_mix(key + w++ * step);
		take = 8 - skip < n ? 8 - skip : n;
		memcpy(dst, (const uint8_t *)&v + skip, take);
		dst += take;
		n -= take;
	}
	for (; n >= 8; n -= 8, dst += 8) {
		v = s3_mix(key + w++ * step);
		memcpy(dst, &v, 8);
	}
	if (n > 0) {
		v = s3_mix(key + w * step);
		memcpy(dst, &v, n);
	}
}

static void
s3_src_copy(const struct s3_src *src, uint32_t off, uint8_t *dst,
    uint32_t n)
{
	if (n == 0)
		return;
	if (src->kind == PAYLOAD_RANDOM) {
		s3_fill(src->key, off, dst, n);
		if (src->tls)
			s3_tls_shape(&src->tls_plan, off, dst, n);
		if (off < src->pre_len)
			memcpy(dst, src->pre + off, src->pre_len - off < n ?
			    src->pre_len - off : n);
	} else if (src->kind == PAYLOAD_BYTES && src->bytes != NULL) {
		memcpy(dst, src->bytes + off, n);
	} else {
		memset(dst, 0, n);
	}
}

/*
 * s3_src_copy, also adding the bytes to a running checksum sum (n may be
 * odd only for the last piece of a sum): stored payloads are summed as
 * they are copied, in one pass.  Other payloads are made in a small
 * buffer that stays in the first-level cache, then summed as they are
 * copied from it.  Summing them in the frame instead would read back
 * what was just written there, and frame memory is often not cached
 * yet: each load would wait for its line, where stores do not wait.
 */
static uint64_t
s3_src_sum(const struct s3_src *src, uint32_t off, uint8_t *dst, uint32_t n,
    uint64_t sum)
{
	uint8_t tmp[S3_SUM_CHUNK];

	if (n > 0 && src->kind == PAYLOAD_BYTES && src->bytes != NULL)
		return cksum_copy(sum, dst, src->bytes + off, n);
	while (n > 0) {
		uint32_t k = n < sizeof(tmp) ? n : sizeof(tmp);

		s3_src_copy(src, off, tmp, k);
		sum = cksum_copy(sum, dst, tmp, k);
		off += k;
		dst += k;
		n -= k;
	}
	return sum;
}

static bool
s3_tls_tiny(const struct pkt *p)
{
	return p->kind == PAYLOAD_RANDOM && p->len > 0 &&
	    p->len < S3_TLS_TINY;
}

/*
 * A random payload of fewer than 6 bytes cannot hold a TLS record, and a
 * dissector that sees one waits for the rest of a header that never
 * comes, so records run over packets as they do in real TLS.  The last
 * record of a packet covers the tiny random packets of its side that
 * follow (up to S3_TLS_TAIL_MAX bytes); this returns how many bytes they
 * hold, for packet i.
 */
static uint32_t
s3_tls_tail(const struct s3_ctx *c, uint32_t i)
{
	const struct pkt *pk = c->seq->pkts;
	int d = pk[i].dir ? 1 : 0;
	uint32_t tail = 0;

	for (uint32_t j = i + 1; j < c->limit; j++) {
		if ((pk[j].dir ? 1 : 0) != d || s3_pkt_len(&pk[j]) == 0)
			continue;
		if (!s3_tls_tiny(&pk[j]) || tail + pk[j].len > S3_TLS_TAIL_MAX)
			break;
		tail += pk[j].len;
	}
	return tail;
}

/*
 * A record that must start in the last r < 6 bytes of packet i takes
 * bytes of the side's next random packets until it holds data; a large
 * packet gives only what keeps its own rest a record of 6 bytes or more.
 * Returns those bytes, or 0 if the side sends no more random bytes.
 */
static uint32_t
s3_tls_ahead(const struct s3_ctx *c, uint32_t i, uint32_t r)
{
	const struct pkt *pk = c->seq->pkts;
	int d = pk[i].dir ? 1 : 0;
	uint32_t ext = 0, take;

	for (uint32_t j = i + 1; j < c->limit && r + ext < S3_TLS_TINY; j++) {
		if ((pk[j].dir ? 1 : 0) != d || s3_pkt_len(&pk[j]) == 0)
			continue;
		if (pk[j].kind != PAYLOAD_RANDOM)
			break;
		take = pk[j].len;
		if (r + ext + take > S3_TLS_REC_MAX) {
			take = S3_TLS_REC_MAX - r - ext;
			if (pk[j].len - take < S3_TLS_TINY)
				take = pk[j].len - S3_TLS_TINY;
		}
		ext += take;
	}
	return r + ext < S3_TLS_TINY ? 0 : ext;
}

/* Lays the records over random packet i (len bytes) of side d. */
static void
s3_tls_plan(struct s3_ctx *c, int d, uint32_t len, struct s3_tls_plan *tp)
{
	struct s3_tls_side *t = &c->tls[d];
	uint64_t open_end = t->rec_start + t->rec_len;
	uint32_t left = 0, r;

	memset(tp, 0, sizeof(*tp));
	tp->pos = t->pos;
	if (t->rec_len > 0 && open_end > t->pos) {
		tp->prev_start = t->rec_start;
		tp->prev_len = t->rec_len;
		left = open_end - t->pos < len ? (uint32_t)(open_end - t->pos) :
		    len;
	}
	tp->start = t->pos + left;
	t->pos += len;
	if ((r = len - left) == 0)
		return;

	if (r >= S3_TLS_TINY) {
		tp->nrec = (r + S3_TLS_REC_MAX - 1) / S3_TLS_REC_MAX;
		tp->size = r / tp->nrec;
		tp->extra = r % tp->nrec;
		tp->ext = s3_tls_tail(c, c->cur);
	} else if ((tp->ext = s3_tls_ahead(c, c->cur, r)) > 0) {
		tp->nrec = 1;
		tp->size = r;
	} else {
		tp->none = true;
		return;
	}
	t->rec_len = tp->size + tp->ext;
	t->rec_start = t->pos - t->rec_len + tp->ext;
}

static uint32_t
s3_digits(uint32_t v)
{
	uint32_t d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* Letters from key, to pad a path or a reason phrase. */
static void
s3_letters(char *p, uint32_t n, uint64_t key)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (char)('a' + s3_mix(key + i) % 26);
}

/*
 * The head of an HTTP message of exactly n bytes whose body is the
 * random rest: a POST from the client, a 200 from the server, each with
 * the Content-Length that makes it end where the packet ends.  Too short
 * for that, a bodiless GET or 204 padded to n; shorter still, one line.
 * Random bytes on port 80 otherwise read as broken header lines.
 */
static uint32_t
s3_http_head(struct s3_ctx *c, int d, uint32_t n, uint64_t key)
{
	uint32_t ip = c->side[DIR_BWD].ip, base, dg, len;
	char *h = c->head;
	int k;

	if (d == DIR_FWD)
		k = snprintf(h, S3_HTTP_HEAD_MAX, "POST /%08x HTTP/1.1\r\n"
		    "Host: %u.%u.%u.%u\r\nContent-Type: application/"
		    "octet-stream\r\nContent-Length: ", (uint32_t)key,
		    ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	else
		k = snprintf(h, S3_HTTP_HEAD_MAX, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Length: ");
	/*
	 * The length's own digits count in n; where no width fits exactly
	 * (n - base = 11: 10 has two digits, 9 one) a leading zero does.
	 */
	base = (uint32_t)k + 4;
	for (dg = 1; dg <= 10 && base + dg <= n; dg++)
		if (s3_digits(n - base - dg) <= dg) {
			snprintf(h + k, S3_HTTP_HEAD_MAX - (size_t)k,
			    "%0*u\r\n\r\n", (int)dg, n - base - dg);
			return base + dg;
		}

	/* No room for headers: the message is the head alone. */
	len = n < S3_HTTP_HEAD_MAX ? n : S3_HTTP_HEAD_MAX;
	if (n > S3_HTTP_HEAD_MAX) {
		s3_letters(h, len, key);
	} else if (d == DIR_FWD && n >= 18) {
		memcpy(h, "GET /", 5);
		s3_letters(h + 5, n - 18, key);
		memcpy(h + n - 13, " HTTP/1.1\r\n\r\n", 13);
	} else if (d == DIR_BWD && n >= 17) {
		memcpy(h, "HTTP/1.1 204 ", 13);
		s3_letters(h + 13, n - 17, key);
		memcpy(h + n - 4, "\r\n\r\n", 4);
	} else if (n >= 2) {
		/* A whole line, so that a dissector does not wait for more. */
		s3_letters(h, n - 2, key);
		memcpy(h + n - 2, "\r\n", 2);
	} else {
		h[0] = '\n';
	}
	return len;
}

static void
s3_src_of(struct s3_ctx *c, const struct pkt *p, struct s3_src *src)
{
	uint8_t l7 = c->seq->flow.l7;
	bool tcp = c->seq->flow.l4 == L4_TCP;

	/*
	 * Field by field rather than a memset of the whole: the TLS plan is
	 * read only when tls is set, and s3_tls_plan() fills it then.
	 */
	src->kind = p->kind;
	src->tls = false;
	src->pre = NULL;
	src->pre_len = 0;
	src->bytes = p->payload;
	src->len = s3_pkt_len(p);
	src->key = 0;
	if (p->kind != PAYLOAD_RANDOM)
		return;
	src->key = rng_u64(&c->rng);
	if (tcp && (l7 == L7_HTTPS || l7 == L7_IMAPS)) {
		src->tls = true;
		s3_tls_plan(c, p->dir ? 1 : 0, src->len, &src->tls_plan);
	}
	if (tcp && l7 == L7_HTTP && src->len > 0) {
		src->pre = (const uint8_t *)c->head;
		src->pre_len = s3_http_head(c, p->dir ? 1 : 0, src->len,
		    src->key);
	}
}

/*
 * The window of a segment.  A pure ACK that would repeat the previous
 * segment's ACK and window is a duplicate ACK to any analyser, so its
 * window moves by one MSS instead (a window update, as a receiver that
 * drains its buffer would send).  A RST advertises none, as Linux does.
 */
static uint16_t
s3_tcp_win(const struct s3_side *x, uint8_t flags, uint32_t n, uint32_t ack)
{
	if (flags & TCPF_RST)
		return 0;
	if (n == 0 && !(flags & (TCPF_SYN | TCPF_FIN)) && x->sent &&
	    ack == x->last_ack)
		return x->win == x->base_win ? x->base_win - S3_WIN_STEP :
		    x->base_win;
	return x->win;
}

/*
 * Emits one TCP segment from side dir with n bytes of src from off.  The
 * ACK field always acknowledges everything the peer has sent, once the
 * peer's SYN has been seen.
 */
static int
s3_tcp_seg(struct s3_ctx *c, int dir, uint8_t flags, const struct s3_src *src,
    uint32_t off, uint32_t n)
{
	struct s3_side *x = &c->side[dir], *y = &c->side[!dir];
	uint32_t hlen = (flags & TCPF_SYN) ? S3_SYN_LEN : S3_TCP_LEN;
	uint32_t ack = 0, sum;
	uint16_t win;
	uint8_t *ip, *t;

	if (y->syn || !c->hs) {
		flags |= TCPF_ACK;
		ack = y->snd_nxt;
	} else {
		flags &= ~TCPF_ACK;
	}
	if (n == 0)
		flags &= ~TCPF_PSH;
	win = s3_tcp_win(x, flags, n, ack);

	ip = s3_frame(c, dir, L4_TCP, S3_IP_LEN + hlen + n, S3_IP_DF,
	    x->ip_id++);
	if (ip == NULL)
		return -ENOMEM;
	t = ip + S3_IP_LEN;
	s3_put16(t, x->port);
	s3_put16(t + 2, y->port);
	s3_put32(t + 4, x->snd_nxt);
	s3_put32(t + 8, ack);
	t[12] = (uint8_t)((hlen / 4) << 4);
	t[13] = flags;
	s3_put16(t + 14, win);
	memset(t + 16, 0, 4);
	/* Pseudo-header and header, from their values (see s3_fold). */
	sum = s3_sum32(x->ip) + s3_sum32(y->ip) + L4_TCP + hlen + n +
	    x->port + y->port + s3_sum32(x->snd_nxt) + s3_sum32(ack) +
	    ((hlen / 4) << 12 | flags) + win;
	if (flags & TCPF_SYN) {
		static const uint8_t opt[8] = { 2, 4, S3_MSS >> 8,
			S3_MSS & 0xff, 1, 1, 4, 2 };

		memcpy(t + S3_TCP_LEN, opt, sizeof(opt));
		sum += 0x0204 + S3_MSS + 0x0101 + 0x0402;
	}
	/*
	 * The payload is summed in memory order as it is written; folded,
	 * that is the big-endian sum with its bytes swapped on a
	 * little-endian host, which ntohs undoes.
	 */
	if (n > 0)
		sum += ntohs((uint16_t)~cksum_fold(s3_src_sum(src, off,
		    t + hlen, n, 0)));
	s3_put16(t + 16, (uint16_t)~s3_fold(sum));

	x->snd_nxt += n + !!(flags & TCPF_SYN) + !!(flags & TCPF_FIN);
	x->last_ack = ack;
	if (!(flags & TCPF_RST))
		x->win = win;
	x->sent = true;
	x->syn |= !!(flags & TCPF_SYN);
	x->fin |= !!(flags & TCPF_FIN);
	c->reset |= !!(flags & TCPF_RST);
	if (dir == DIR_FWD && !(flags & TCPF_SYN) && y->syn)
		c->open = true;
	c->fb->dir_payload[dir] += n;
	return 0;
}

/*
 * Sends whatever the three-way handshake still lacks; the client's final
 * ACK only if ack (else the packet about to go is that ACK).
 */
static int
s3_tcp_handshake(struct s3_ctx *c, bool ack)
{
	int rc = 0;

	if (!c->side[DIR_FWD].syn)
		rc = s3_tcp_seg(c, DIR_FWD, TCPF_SYN, NULL, 0, 0);
	if (rc == 0 && !c->side[DIR_BWD].syn)
		rc = s3_tcp_seg(c, DIR_BWD, TCPF_SYN | TCPF_ACK, NULL, 0, 0);
	if (rc == 0 && ack && !c->open)
		rc = s3_tcp_seg(c, DIR_FWD, TCPF_ACK, NULL, 0, 0);
	return rc;
}

/*
 * S2 knows nothing of windows and may hand one side a payload larger
 * than the peer's window.  Before a segment would fill the window, the
 * peer acknowledges what it has, as a real receiver would have long
 * before.
 */
static int
s3_tcp_room(struct s3_ctx *c, int dir, uint32_t n)
{
	const struct s3_side *x = &c->side[dir], *y = &c->side[!dir];

	if (x->snd_nxt + n - y->last_ack < y->win)
		return 0;
	return s3_tcp_seg(c, !dir, TCPF_ACK, NULL, 0, 0);
}

/*
 * Plans the repairs that need the whole sequence: where each side's FIN
 * goes and where the flow stops.  Returns how many packets are used.
 * - The first RST ends the connection: later packets are dropped (a
 *   stack answers them with more RSTs, which the model did not ask for).
 *   END_FIN flows keep no RST, END_OPEN flows neither RST nor FIN.
 * - A side sends nothing after its FIN: its FIN goes on the first FIN
 *   packet at or after its last data, or on that last data packet if
 *   the model put a FIN before it.  Further FINs are dropped (a second
 *   FIN would be a retransmission).
 */
static uint32_t
s3_tcp_plan(struct s3_ctx *c)
{
	const struct pkt_seq *s = c->seq;
	uint8_t end = s->flow.end;
	uint32_t n = s->n, i;
	int last_data[2] = { -1, -1 };
	bool any_fin[2] = { false, false };

	for (i = 0; i < n; i++)
		c->hs |= !!(s->pkts[i].tcp_flags & TCPF_SYN);
	if (end != END_FIN && end != END_OPEN)
		for (i = 0; i < n; i++)
			if (s->pkts[i].tcp_flags & TCPF_RST) {
				n = i + 1;
				break;
			}
	for (i = 0; i < n; i++) {
		const struct pkt *p = &s->pkts[i];
		int d = p->dir ? 1 : 0;

		if (s3_pkt_len(p) > 0)
			last_data[d] = (int)i;
		if (p->tcp_flags & TCPF_FIN)
			any_fin[d] = true;
	}
	for (int d = 0; d < 2; d++) {
		struct s3_side *x = &c->side[d];

		x->fin_at = -1;
		if (end == END_OPEN || !any_fin[d])
			continue;
		for (i = last_data[d] < 0 ? 0 : (uint32_t)last_data[d];
		    i < n && x->fin_at < 0; i++)
			if ((s->pkts[i].dir ? 1 : 0) == d &&
			    (s->pkts[i].tcp_flags & TCPF_FIN))
				x->fin_at = (int)i;
		if (x->fin_at < 0)
			x->fin_at = last_data[d];
	}
	return n;
}

/*
 * A SYN in the input.  Only the first SYN of each side is sent; a server
 * SYN before the client's brings the client's SYN first.
 */
static int
s3_tcp_syn(struct s3_ctx *c, int d)
{
	int rc = 0;

	if (!c->hs || c->side[d].syn) {
		c->touched = true;
		return 0;
	}
	if (d == DIR_BWD && !c->side[DIR_FWD].syn) {
		c->touched = true;
		rc = s3_tcp_seg(c, DIR_FWD, TCPF_SYN, NULL, 0, 0);
	}
	if (rc == 0)
		rc = s3_tcp_seg(c, d, TCPF_SYN, NULL, 0, 0);
	return rc;
}

/*
 * One input packet of a TCP flow.  Flags are cleaned first (URG, ECN and
 * unknown bits dropped, FIN and RST as planned), then the SYN, then the
 * handshake is completed if anything else is to be sent (data before the
 * handshake, or a SYN with data, gets the missing SYN-ACK/ACK in front of
 * it), then the payload in MSS-sized segments with PSH and FIN on the
 * last, then the RST.
 */
static int
s3_tcp_pkt(struct s3_ctx *c, uint32_t i)
{
	const struct pkt *p = &c->seq->pkts[i];
	int d = p->dir ? 1 : 0;
	uint8_t end = c->seq->flow.end;
	uint8_t f = p->tcp_flags & S3_TCPF_KNOWN;
	uint32_t len = s3_pkt_len(p), off, n;
	struct s3_src src;
	int rc = 0;

	if (end == END_OPEN || end == END_FIN)
		f &= ~TCPF_RST;
	f &= ~TCPF_FIN;
	if ((int)i == c->side[d].fin_at && !(f & TCPF_RST))
		f |= TCPF_FIN;
	if (f != (p->tcp_flags & S3_TCPF_KNOWN) || (f & TCPF_SYN && len > 0))
		c->touched = true;

	if (f & TCPF_SYN) {
		if ((rc = s3_tcp_syn(c, d)) != 0)
			return rc;
		if (len == 0 && !(f & (TCPF_FIN | TCPF_RST)))
			return 0;
	}
	if (c->hs && !c->open) {
		/* A pure ACK of the client completes the handshake itself. */
		bool third = d == DIR_FWD && len == 0 &&
		    !(f & (TCPF_FIN | TCPF_RST));

		if (!third || !c->side[DIR_BWD].syn)
			c->touched = true;
		if ((rc = s3_tcp_handshake(c, !third)) != 0)
			return rc;
	}

	s3_src_of(c, p, &src);
	for (off = 0; off < len && rc == 0; off += n) {
		bool last;

		n = len - off < S3_MSS ? len - off : S3_MSS;
		last = off + n == len;
		if ((rc = s3_tcp_room(c, d, n)) != 0)
			break;
		rc = s3_tcp_seg(c, d, TCPF_ACK | (last ?
		    f & (TCPF_PSH | TCPF_FIN) : 0), &src, off, n);
	}
	if (rc == 0 && len == 0 && !(f & TCPF_RST))
		rc = s3_tcp_seg(c, d, f & (TCPF_FIN | TCPF_ACK), NULL, 0, 0);
	if (rc == 0 && (f & TCPF_RST))
		rc = s3_tcp_seg(c, d, TCPF_RST | TCPF_ACK, NULL, 0, 0);
	return rc;
}

/*
 * After the last packet: complete a handshake left half-done, then end
 * the connection the way the flow says.  For END_FIN the missing FINs
 * are sent (the client closes first when neither side did) and the last
 * data or FIN of each side gets its ACK.  END_RST without a RST gets one
 * from the client.  END_OPEN and END_ANY leave the connection as it is.
 */
static int
s3_tcp_tail(struct s3_ctx *c)
{
	struct s3_side *a = &c->side[DIR_FWD], *b = &c->side[DIR_BWD];
	uint8_t end = c->seq->flow.end;
	int rc = 0;

	c->fresh = false;
	c->cap = UINT64_MAX;
	c->min_gap = S3_TAIL_GAP_NS;
	if (c->reset)
		return 0;
	if (c->hs && !c->open && (rc = s3_tcp_handshake(c, true)) != 0)
		return rc;
	if (end == END_RST)
		return s3_tcp_seg(c, DIR_FWD, TCPF_RST | TCPF_ACK, NULL, 0, 0);
	if (end != END_FIN)
		return 0;
	if (!a->fin)
		rc = s3_tcp_seg(c, DIR_FWD, TCPF_FIN | TCPF_ACK, NULL, 0, 0);
	if (rc == 0 && !b->fin)
		rc = s3_tcp_seg(c, DIR_BWD, TCPF_FIN | TCPF_ACK, NULL, 0, 0);
	if (rc == 0 && b->last_ack != a->snd_nxt)
		rc = s3_tcp_seg(c, DIR_BWD, TCPF_ACK, NULL, 0, 0);
	if (rc == 0 && a->last_ack != b->snd_nxt)
		rc = s3_tcp_seg(c, DIR_FWD, TCPF_ACK, NULL, 0, 0);
	return rc;
}

/*
 * Sends one UDP or ICMP datagram from side dir: the 8-byte header hdr
 * (checksum field zero) then n payload bytes.  Above one frame it is cut
 * into IPv4 fragments sharing one identification (DF cleared, MF on all
 * but the last); the checksum covers the whole datagram and is summed as
 * the pieces are written.
 */
static int
s3_datagram(struct s3_ctx *c, int dir, uint8_t proto, const uint8_t *hdr,
    const struct s3_src *src, uint32_t n)
{
	struct s3_side *x = &c->side[dir];
	uint32_t total = S3_DGRAM_HDR + n, off, piece, hdr_off = 0;
	uint16_t id = x->ip_id++, df, ck;
	uint64_t sum = 0;
	uint8_t *ip = NULL, *body;

	/*
	 * Linux sets DF on what its sockets send unfragmented (UDP, ping),
	 * not on the echo replies and errors its kernel makes up.
	 */
	df = total <= S3_FRAG_DATA && x->linux_os && (proto == L4_UDP ||
	    hdr[0] == 8) ? S3_IP_DF : 0;
	for (off = 0; off < total; off += piece) {
		piece = total - off < S3_FRAG_DATA ? total - off : S3_FRAG_DATA;
		ip = s3_frame(c, dir, proto, S3_IP_LEN + piece, (uint16_t)(df |
		    (off + piece < total ? S3_IP_MF : 0) | (off / 8)), id);
		if (ip == NULL)
			return -ENOMEM;
		body = ip + S3_IP_LEN;
		/* Summed from the sources, not read back: see s3_src_sum. */
		if (off == 0) {
			memcpy(body, hdr, S3_DGRAM_HDR);
			hdr_off = (uint32_t)(body - c->fb->data);
			sum = cksum_add(sum, hdr, S3_DGRAM_HDR);
			sum = s3_src_sum(src, 0, body + S3_DGRAM_HDR,
			    piece - S3_DGRAM_HDR, sum);
		} else {
			sum = s3_src_sum(src, off - S3_DGRAM_HDR, body, piece,
			    sum);
		}
	}

	if (proto == L4_UDP) {
		ck = cksum_fold(sum + cksum_pseudo4(ip, L4_UDP,
		    (uint16_t)total));
		/* Zero means "no checksum" in UDP (RFC 768). */
		if (ck == 0)
			ck = 0xffff;
		memcpy(c->fb->data + hdr_off + 6, &ck, 2);
	} else {
		ck = cksum_fold(sum);
		memcpy(c->fb->data + hdr_off + 2, &ck, 2);
	}
	c->fb->dir_payload[dir] += n;
	return 0;
}

static uint32_t
s3_dgram_len(struct s3_ctx *c, const struct pkt *p)
{
	uint32_t n = s3_pkt_len(p);

	/* IPv4 cannot carry more; the rest of the payload is cut. */
	if (n > S3_MAX_DATAGRAM) {
		c->touched = true;
		n = S3_MAX_DATAGRAM;
	}
	return n;
}

static int
s3_udp_pkt(struct s3_ctx *c, uint32_t i)
{
	const struct pkt *p = &c->seq->pkts[i];
	int d = p->dir ? 1 : 0;
	uint32_t n = s3_dgram_len(c, p);
	uint8_t hdr[S3_DGRAM_HDR];
	struct s3_src src;

	s3_put16(hdr, c->side[d].port);
	s3_put16(hdr + 2, c->side[!d].port);
	s3_put16(hdr + 4, (uint16_t)(S3_DGRAM_HDR + n));
	s3_put16(hdr + 6, 0);
	s3_src_of(c, p, &src);
	return s3_datagram(c, d, L4_UDP, hdr, &src, n);
}

/*
 * The body of an ICMP error sent by side d: the IPv4 header and the
 * first 8 bytes (a UDP header without checksum) of a datagram the peer
 * sent it, as RFC 792 asks.
 */
static void
s3_icmp_quote(struct s3_ctx *c, int d, struct s3_src *src)
{
	const struct s3_side *x = &c->side[d], *y = &c->side[!d];
	uint8_t *q = c->scratch;

	memset(q, 0, sizeof(c->scratch));
	q[0] = 0x45;
	s3_put16(q + 2, sizeof(c->scratch));
	s3_put16(q + 4, y->ip_id);
	q[8] = y->ttl > 1 ? y->ttl - 1 : 1;
	q[9] = L4_UDP;
	s3_put32(q + 12, y->ip);
	s3_put32(q + 16, x->ip);
	cksum_ipv4_fix(q);
	s3_put16(q + 20, y->port);
	s3_put16(q + 22, x->port);
	s3_put16(q + 24, S3_DGRAM_HDR);
	src->kind = PAYLOAD_BYTES;
	src->bytes = q;
	src->len = sizeof(c->scratch);
	src->tls = false;
}

/*
 * One ICMP message.  Echo requests carry the flow's identifier and a
 * sequence number that counts requests; a reply answers the last request
 * with its identifier, sequence number and data.  Error types quote a
 * datagram; any other type gets a zero second word and the payload.
 */
static int
s3_icmp_pkt(struct s3_ctx *c, uint32_t i)
{
	const struct pkt *p = &c->seq->pkts[i];
	int d = p->dir ? 1 : 0;
	uint8_t hdr[S3_DGRAM_HDR] = { p->icmp_type, 0 };
	struct s3_src src;
	uint32_t n = s3_dgram_len(c, p);

	s3_src_of(c, p, &src);
	switch (p->icmp_type) {
	case 8:
		c->icmp_seq++;
		c->echo = src;
		c->echo.len = n;
		c->echo_seen = true;
		s3_put16(hdr + 4, c->icmp_id);
		s3_put16(hdr + 6, c->icmp_seq);
		break;
	case 0:
		s3_put16(hdr + 4, c->icmp_id);
		s3_put16(hdr + 6, c->icmp_seq);
		if (c->echo_seen) {
			src = c->echo;
			n = src.len;
		}
		break;
	case 3:
		hdr[1] = 3;      /* port unreachable */
		/* FALLTHROUGH */
	case 4:
	case 5:
	case 11:
	case 12:
		s3_icmp_quote(c, d, &src);
		n = src.len;
		break;
	}
	return s3_datagram(c, d, L4_ICMP, hdr, &src, n);
}

/* A MAC for a side whose flow has none: locally administered, from the IP. */
static void
s3_side_mac(struct s3_side *x, const uint8_t *mac)
{
	static const uint8_t zero[6];

	x->mac = mac;
	if (memcmp(mac, zero, 6) != 0)
		return;
	x->mac_buf[0] = 0x02;
	x->mac_buf[1] = 0x00;
	s3_put32(x->mac_buf + 2, x->ip);
	x->mac = x->mac_buf;
}

static void
s3_side_init(struct s3_ctx *c, int d)
{
	const struct flow *fl = &c->seq->flow;
	struct s3_side *x = &c->side[d];
	uint8_t os = d == DIR_FWD ? fl->client_os : fl->server_os;

	memset(x, 0, sizeof(*x));
	x->ip = d == DIR_FWD ? fl->client_ip : fl->server_ip;
	x->port = d == DIR_FWD ? fl->client_port : fl->server_port;
	x->ttl = d == DIR_FWD ? fl->ttl_client : fl->ttl_server;
	x->linux_os = os != OS_WINDOWS;
	if (x->ttl == 0)
		x->ttl = x->linux_os ? 64 : 128;
	x->base_win = x->linux_os ? S3_WIN_LINUX : S3_WIN_WINDOWS;
	x->win = x->base_win;
	x->fin_at = -1;
	s3_side_mac(x, d == DIR_FWD ? fl->client_mac : fl->server_mac);
}

static void
s3_setup(struct s3_ctx *c, const struct pkt_seq *seq,
    const struct s3_opts *o, struct frame_buf *fb)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->fb = fb;
	c->taint = o != NULL && o->taint;
	s3_side_init(c, DIR_FWD);
	s3_side_init(c, DIR_BWD);

	/* Fixed draw order: ISNs, IP ids, ICMP id, then payloads. */
	rng_seed(&c->rng, seq->flow.seed);
	c->side[DIR_FWD].snd_nxt = rng_u32(&c->rng);
	c->side[DIR_BWD].snd_nxt = rng_u32(&c->rng);
	c->side[DIR_FWD].ip_id = (uint16_t)rng_u32(&c->rng);
	c->side[DIR_BWD].ip_id = (uint16_t)rng_u32(&c->rng);
	c->icmp_id = (uint16_t)rng_u32(&c->rng);

	fb->len = 0;
	fb->n = 0;
	fb->flow_id = seq->flow.id;
	fb->l4 = seq->flow.l4;
	fb->l7 = seq->flow.l7;
	memset(fb->dir_frames, 0, sizeof(fb->dir_frames));
	memset(fb->dir_bytes, 0, sizeof(fb->dir_bytes));
	memset(fb->dir_payload, 0, sizeof(fb->dir_payload));
	fb->repairs = 0;
}

/*
 * A TCP flow without any SYN is taken as already open: each side's
 * "last ACK" starts at what the other will send first, so nothing looks
 * acknowledged twice or unseen.
 */
static void
s3_tcp_setup(struct s3_ctx *c)
{
	struct s3_side *a = &c->side[DIR_FWD], *b = &c->side[DIR_BWD];

	if (c->hs)
		return;
	c->open = true;
	a->last_ack = b->snd_nxt;
	b->last_ack = a->snd_nxt;
}

int
s3_build(const struct pkt_seq *seq, const struct s3_opts *o,
    struct frame_buf *fb)
{
	struct s3_ctx c;
	uint32_t n = seq->n, i;
	uint8_t l4 = seq->flow.l4;
	int rc = 0;

	s3_setup(&c, seq, o, fb);
	if (l4 != L4_TCP && l4 != L4_UDP && l4 != L4_ICMP)
		return -EINVAL;
	/* Without a packet there is no time to put a teardown at. */
	if (n == 0)
		return 0;
	c.limit = n;
	if (l4 == L4_TCP) {
		n = s3_tcp_plan(&c);
		c.limit = n;
		s3_tcp_setup(&c);
		fb->repairs += seq->n - n;
	}
	for (i = 0; i < n && rc == 0; i++) {
		c.pkt_ts = seq->pkts[i].ts_ns;
		c.cap = i + 1 < n ? seq->pkts[i + 1].ts_ns : UINT64_MAX;
		c.fresh = true;
		c.touched = false;
		c.cur = i;
		if (l4 == L4_TCP)
			rc = s3_tcp_pkt(&c, i);
		else if (l4 == L4_UDP)
			rc = s3_udp_pkt(&c, i);
		else
			rc = s3_icmp_pkt(&c, i);
		fb->repairs += c.touched;
	}
	if (rc == 0 && l4 == L4_TCP)
		rc = s3_tcp_tail(&c);
	if (rc != 0) {
		/* Never hand on half a flow. */
		fb->n = 0;
		fb->len = 0;
	}
	return rc;
}
