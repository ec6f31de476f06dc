/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Well-formed payloads for the generic exchange of S2 (see s2fill.h).
 * Each protocol gets the least that decodes cleanly: one TLS application
 * data record per segment, HTTP/1.1 messages whose Content-Length matches
 * the bytes that follow, SSH banners then unencrypted SSH_MSG_IGNORE
 * packets, BOOTP/DHCP discover-offer-request-ack, DNS queries with their
 * A answers, NTP client and server packets, MQTT CONNECT/CONNACK then
 * PUBLISH, and CRLF-terminated text lines.  No state outlives a call.
 */
#include <stdbool.h>
#include <string.h>

#include "s2fill.h"

#define S2FILL_SLACK 640         /* a packet grows by at most this */

#define S2FILL_SENTENCE \
    "The quick brown fox jumps over the lazy dog while the office " \
    "printer hums, the kettle clicks off and the build finishes green. "
#define S2FILL_SENTENCE4 S2FILL_SENTENCE S2FILL_SENTENCE S2FILL_SENTENCE \
    S2FILL_SENTENCE

/*
 * The filler text, one cycle of it, then sixteen cycles in a row: a run
 * of filler of up to fifteen cycles at any phase is one piece of the
 * latter, so that it is one copy to write, and an HTTP body segment
 * need not be written at all (it points there).
 */
static const char s2fill_text[] = S2FILL_SENTENCE;
static const char s2fill_runs[] = S2FILL_SENTENCE4 S2FILL_SENTENCE4
    S2FILL_SENTENCE4 S2FILL_SENTENCE4;
#define S2FILL_CYCLE (sizeof(s2fill_text) - 1)
#define S2FILL_SPAN (sizeof(s2fill_runs) - 1 - S2FILL_CYCLE)

static enum s2fill_kind
s2fill_by_port(uint8_t l4, uint16_t port)
{
	if (l4 == L4_UDP) {
		switch (port) {
		case 53:
		case 5353:
			return S2FILL_DNS;
		case 67:
		case 68:
			return S2FILL_DHCP;
		case 123:
			return S2FILL_NTP;
		}
		return S2FILL_RANDOM;
	}
	if (l4 != L4_TCP)
		return S2FILL_RANDOM;
	switch (port) {
	case 53:
		return S2FILL_DNS_TCP;
	case 443:
	case 465:
	case 853:
	case 993:
	case 995:
	case 8443:
		return S2FILL_TLS;
	case 80:
	case 8000:
	case 8080:
		return S2FILL_HTTP;
	case 22:
		return S2FILL_SSH;
	case 1883:
		return S2FILL_MQTT;
	case 21:
	case 23:
	case 25:
	case 110:
	case 143:
	case 587:
		return S2FILL_TEXT;
	}
	return S2FILL_RANDOM;
}

enum s2fill_kind
s2fill_kind(const struct flow *f)
{
	enum s2fill_kind k = s2fill_by_port(f->l4, f->server_port);

	if (k == S2FILL_RANDOM && f->l7 != L7_NONE)
		k = s2fill_by_port(f->l4, l7_default_port(f->l7));
	return k;
}

size_t
s2fill_need(const struct pkt_seq *seq)
{
	size_t n = 64;

	for (uint32_t i = 0; i < seq->n; i++)
		n += seq->pkts[i].len + S2FILL_SLACK;
	return n;
}

/* The writer: where the next payload goes. */
struct s2fill_w {
	uint8_t *buf;
	size_t off;
	struct rng *r;
	const struct flow *f;
};

/* Gives packet p len bytes of the buffer and returns them. */
static uint8_t *
s2fill_take(struct s2fill_w *w, struct pkt *p, uint32_t len)
{
	uint8_t *d = w->buf + w->off;

	p->payload = d;
	p->len = len;
	p->kind = len > 0 ? PAYLOAD_BYTES : PAYLOAD_NONE;
	w->off += len;
	return d;
}

/* n bytes of the filler text, starting at offset phase of its cycle. */
static void
s2fill_filler(uint8_t *d, size_t n, size_t phase)
{
	const char *src = s2fill_runs + phase % S2FILL_CYCLE;
	size_t k;

	/* A whole number of cycles at a time: the phase stays. */
	for (; n > 0; d += k, n -= k) {
		k = n < S2FILL_SPAN ? n : S2FILL_SPAN;
		memcpy(d, src, k);
	}
}

static void
s2fill_be16(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static void
s2fill_be32(uint8_t *d, uint32_t v)
{
	s2fill_be16(d, v >> 16);
	s2fill_be16(d + 2, v);
}

/* One TLS 1.2 application data record filling the segment. */
static void
s2fill_tls(struct s2fill_w *w, struct pkt *p)
{
	uint32_t len = p->len < 29 ? 29 : p->len;
	uint8_t *d = s2fill_take(w, p, len);

	d[0] = 0x17;
	d[1] = 0x03;
	d[2] = 0x03;
	s2fill_be16(d + 3, len - 5);
	rng_fill(w->r, d + 5, len - 5);
}

/* A banner first, then SSH_MSG_IGNORE packets of 8-byte multiples. */
static void
s2fill_ssh(struct s2fill_w *w, struct pkt *p, bool first)
{
	static const char *const banner[2] = {
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
		"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n" };
	uint32_t len;
	uint8_t *d;

	if (first) {
		len = (uint32_t)strlen(banner[p->dir]);
		memcpy(s2fill_take(w, p, len), banner[p->dir], len);
		return;
	}
	len = p->len < 16 ? 16 : p->len & ~7u;
	d = s2fill_take(w, p, len);
	s2fill_be32(d, len - 4);         /* packet_length */
	d[4] = 4;                        /* padding_length */
	d[5] = 2;                        /* SSH_MSG_IGNORE */
	s2fill_be32(d + 6, len - 14);    /* its string */
	rng_fill(w->r, d + 10, len - 10);
}

/* BOOTP with the DHCP message type, 300 bytes as clients send. */
static void
s2fill_dhcp(struct s2fill_w *w, struct pkt *p, uint32_t nth)
{
	static const uint8_t type[2][2] = { { 1, 3 }, { 2, 5 } };
	uint8_t *d = s2fill_take(w, p, 300);

	memset(d, 0, 300);
	d[0] = p->dir == DIR_FWD ? 1 : 2;
	d[1] = 1;                        /* Ethernet */
	d[2] = 6;
	s2fill_be32(d + 4, (uint32_t)w->f->seed);
	if (p->dir == DIR_BWD)
		s2fill_be32(d + 16, w->f->client_ip);
	memcpy(d + 28, w->f->client_mac, 6);
	s2fill_be32(d + 236, 0x63825363);
	d[240] = 53;
	d[241] = 1;
	d[242] = type[p->dir][nth > 0];
	d[243] = 255;
}

/*
 * A query for an A record, or the answer with one address; over TCP the
 * message follows its 2-byte length (RFC 1035, 4.2.2).
 */
static void
s2fill_dns(struct s2fill_w *w, struct pkt *p, uint32_t id, bool tcp)
{
	static const char *const names[] = { "intranet", "mail", "files",
		"printer", "updates", "wiki" };
	char name[64];
	uint32_t qlen, len, k = (uint32_t)(w->f->seed % 6);
	uint8_t *d;
	int n;

	n = (int)strlen(names[k]);
	memcpy(name + 1, names[k], (size_t)n);
	name[0] = (char)n;
	memcpy(name + 1 + n, "\007example\003com", 13);
	qlen = (uint32_t)n + 1 + 13 + 4;
	len = 12 + qlen + (p->dir == DIR_BWD ? 16 : 0);
	d = s2fill_take(w, p, len + (tcp ? 2 : 0));
	if (tcp) {
		s2fill_be16(d, (uint16_t)len);
		d += 2;
	}
	memset(d, 0, len);
	s2fill_be16(d, id);
	s2fill_be16(d + 2, p->dir == DIR_FWD ? 0x0100 : 0x8180);
	s2fill_be16(d + 4, 1);
	memcpy(d + 12, name, qlen - 4);
	s2fill_be16(d + 12 + qlen - 4, 1);   /* A */
	s2fill_be16(d + 12 + qlen - 2, 1);   /* IN */
	if (p->dir == DIR_FWD)
		return;
	s2fill_be16(d + 6, 1);
	d = d + 12 + qlen;
	s2fill_be16(d, 0xc00c);
	s2fill_be16(d + 2, 1);
	s2fill_be16(d + 4, 1);
	s2fill_be32(d + 6, 300);
	s2fill_be16(d + 10, 4);
	s2fill_be32(d + 12, 0x0a000000 | (rng_u32(w->r) & 0xffff));
}

/* NTPv4 client request or server reply. */
static void
s2fill_ntp(struct s2fill_w *w, struct pkt *p)
{
	uint8_t *d = s2fill_take(w, p, 48);

	rng_fill(w->r, d, 48);
	if (p->dir == DIR_FWD) {
		memset(d, 0, 40);
		d[0] = 0x23;                 /* v4, client */
		return;
	}
	d[0] = 0x24;                         /* v4, server */
	d[1] = 2;                            /* stratum */
	d[2] = 6;
	d[3] = 0xe9;
	memset(d + 4, 0, 4);
	s2fill_be32(d + 12, 0xc0a80001);
}

/* Bytes of the MQTT remaining-length field for n. */
static uint32_t
s2fill_varlen(uint32_t n)
{
	return n < 128 ? 1 : n < 16384 ? 2 : 3;
}

/* CONNECT / CONNACK first, then PUBLISH (QoS 0) of the segment's size. */
static void
s2fill_mqtt(struct s2fill_w *w, struct pkt *p, bool first)
{
	static const uint8_t connect[] = { 0x10, 18, 0, 4, 'M', 'Q', 'T', 'T',
		4, 2, 0, 60, 0, 6, 'f', 'o', 's', 'r', '-', 'c' };
	static const uint8_t connack[] = { 0x20, 2, 0, 0 };
	uint32_t len = p->len < 16 ? 16 : p->len, rl = 0, v = 0;
	uint8_t *d;

	if (first) {
		const uint8_t *m = p->dir == DIR_FWD ? connect : connack;
		uint32_t n = p->dir == DIR_FWD ? sizeof(connect) :
		    sizeof(connack);

		memcpy(s2fill_take(w, p, n), m, n);
		return;
	}
	/* Some sizes (130) have no minimal encoding: one byte less. */
	while (v == 0) {
		for (uint32_t t = 1; t <= 3 && v == 0; t++)
			if (s2fill_varlen(len - 1 - t) == t)
				v = t;
		if (v == 0)
			len--;
	}
	rl = len - 1 - v;
	d = s2fill_take(w, p, len);
	d[0] = 0x30;
	for (uint32_t i = 0, x = rl; i < v; i++, x >>= 7)
		d[1 + i] = (uint8_t)((x & 0x7f) | (i + 1 < v ? 0x80 : 0));
	d += 1 + v;
	s2fill_be16(d, 9);
	memcpy(d + 2, "fosr/data", 9);
	s2fill_filler(d + 11, rl - 11, 0);
}

/* Lines of text, each ending in CRLF. */
static void
s2fill_lines(struct s2fill_w *w, struct pkt *p)
{
	uint32_t len = p->len < 8 ? 8 : p->len;
	uint8_t *d = s2fill_take(w, p, len);

	memcpy(d, p->dir == DIR_FWD ? "NOOP " : "250 ", 5);
	s2fill_filler(d + 5, len - 5, w->off);
	for (uint32_t i = 72; i < len; i += 74) {
		d[i - 2] = '\r';
		d[i - 1] = '\n';
	}
	d[len - 2] = '\r';
	d[len - 1] = '\n';
}

static uint32_t
s2fill_digits(uint32_t n)
{
	uint32_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/*
 * Text writers for the HTTP heads, which are built once per message:
 * snprintf took more time there than the rest of the message.  Each
 * returns where the next byte goes; no terminating NUL is written.
 */
static char *
s2fill_puts(char *d, const char *s)
{
	size_t n = strlen(s);

	memcpy(d, s, n);
	return d + n;
}

/* v in decimal, as "%u" writes it. */
static char *
s2fill_putu(char *d, uint32_t v)
{
	uint32_t n = s2fill_digits(v);

	for (uint32_t i = n; i > 0; i--, v /= 10)
		d[i - 1] = (char)('0' + v % 10);
	return d + n;
}

/* An IPv4 address in dotted decimal. */
static char *
s2fill_put_ip(char *d, uint32_t ip)
{
	for (int sh = 24; sh >= 0; sh -= 8) {
		d = s2fill_putu(d, ip >> sh & 255);
		if (sh > 0)
			*d++ = '.';
	}
	return d;
}

/*
 * The head of an HTTP message whose body is the rest of total bytes:
 * a request with a small padding header when it fits in one segment,
 * else a POST; a response with Content-Length.  Returns the head's
 * length (*total grows if the head needs it).
 */
static uint32_t
s2fill_http_head(struct s2fill_w *w, char *head, size_t cap, uint8_t dir,
    uint32_t *total)
{
	uint32_t h, pad, n;
	char *e;

	if (dir == DIR_FWD && *total <= 1460) {
		e = s2fill_puts(head, "GET /index.html HTTP/1.1\r\nHost: ");
		e = s2fill_put_ip(e, w->f->server_ip);
		e = s2fill_puts(e, "\r\nAccept: */*\r\nX-Pad: ");
		h = (uint32_t)(e - head);
		pad = *total > h + 4 ? *total - h - 4 : 0;
		if (pad > cap - h - 8)
			pad = (uint32_t)(cap - h - 8);
		s2fill_filler((uint8_t *)head + h, pad, 0);
		memcpy(head + h + pad, "\r\n\r\n", 4);
		*total = h + pad + 4;
		return *total;
	}
	if (dir == DIR_FWD) {
		e = s2fill_puts(head, "POST /upload HTTP/1.1\r\nHost: ");
		e = s2fill_put_ip(e, w->f->server_ip);
		e = s2fill_puts(e, "\r\nContent-Type: text/plain\r\n"
		    "Content-Length: ");
	} else {
		e = s2fill_puts(head, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: ");
	}
	h = (uint32_t)(e - head);
	/* The length's own digits count in the total. */
	for (uint32_t d = 1; d < 10; d++) {
		n = *total > h + d + 4 ? *total - h - d - 4 : 0;
		if (s2fill_digits(n) == d || n == 0)
			break;
	}
	e = s2fill_putu(e, n);
	e = s2fill_puts(e, "\r\n\r\n");
	h = (uint32_t)(e - head);
	*total = h + n;
	return h;
}

/*
 * HTTP: each run of data segments from one side is one message, laid
 * out over the run's segments; a head that does not fit in the first
 * segment makes it longer.
 */
static void
s2fill_http(struct s2fill_w *w, struct pkt_seq *seq)
{
	char head[1600];

	for (uint32_t i = 0; i < seq->n;) {
		uint32_t j = i, total = 0, hl, done = 0, want;
		uint8_t dir = seq->pkts[i].dir;

		if (seq->pkts[i].len == 0) {
			i++;
			continue;
		}
		for (; j < seq->n && seq->pkts[j].dir == dir &&
		    seq->pkts[j].len > 0; j++)
			total += seq->pkts[j].len;
		want = total;
		hl = s2fill_http_head(w, head, sizeof(head), dir, &total);
		for (uint32_t k = i; k < j; k++) {
			struct pkt *p = &seq->pkts[k];
			uint32_t len = p->len;
			uint8_t *d;

			if (k == i && total > want)
				len += total - want;
			if (k + 1 == j)
				len = total - done;
			if (len > total - done)
				len = total - done;
			if (done >= hl && len <= S2FILL_SPAN) {
				/* All body: the text itself, not a copy. */
				p->payload = (const uint8_t *)s2fill_runs +
				    (done - hl) % S2FILL_CYCLE;
				p->len = len;
				p->kind = len > 0 ? PAYLOAD_BYTES :
				    PAYLOAD_NONE;
				done += len;
				continue;
			}
			d = s2fill_take(w, p, len);
			if (done < hl) {
				uint32_t h = hl - done < len ? hl - done : len;

				memcpy(d, head + done, h);
				d += h;
				len -= h;
				done += h;
			}
			s2fill_filler(d, len, done - hl);
			done += len;
		}
		i = j;
	}
}

/*
 * Whether the handshake messages of a record fill it exactly and decode
 * out of context.  Key exchange and certificate verification messages are
 * read according to the cipher suite of the session's ServerHello, which
 * a walk may have taken from another session; an encrypted handshake
 * record (after ChangeCipherSpec) does not parse as messages at all.
 */
static bool
s2fill_tls_handshake(const uint8_t *d, uint32_t n)
{
	uint32_t m = 0;

	while (m + 4 <= n) {
		if (d[m] == 0 || d[m] == 12 || d[m] == 13 || d[m] == 15 ||
		    d[m] == 16 || d[m] > 24)
			return false;
		m += 4 + ((uint32_t)d[m + 1] << 16 | (uint32_t)d[m + 2] << 8 |
		    d[m + 3]);
	}
	return m == n;
}

/* Whether a payload is a run of whole TLS records that decode alone. */
static bool
s2fill_tls_whole(const uint8_t *d, uint32_t len)
{
	uint32_t off = 0, n;

	while (off + 5 <= len) {
		if (d[off] < 20 || d[off] > 24 || d[off + 1] != 3 ||
		    d[off + 2] > 4)
			return false;
		n = (uint32_t)d[off + 3] << 8 | d[off + 4];
		if (off + 5 + n > len || (d[off] == 22 &&
		    !s2fill_tls_handshake(d + off + 5, n)))
			return false;
		off += 5 + n;
	}
	return off == len;
}

/*
 * DNS answers replayed from other exchanges: each takes the id of the
 * query before it (on a copy), so that a resolver, or an analyser, can
 * pair them.  A query sets the id.
 */
static void
s2fill_dns_id(struct s2fill_w *w, struct pkt *p, uint32_t *qid)
{
	uint8_t *d;

	if (p->kind != PAYLOAD_BYTES || p->len < 12)
		return;
	if (p->dir == DIR_FWD) {
		*qid = (uint32_t)p->payload[0] << 8 | p->payload[1];
		return;
	}
	if (((uint32_t)p->payload[0] << 8 | p->payload[1]) == *qid)
		return;
	d = w->buf + w->off;
	memcpy(d, p->payload, p->len);
	s2fill_be16(d, *qid);
	s2fill_take(w, p, p->len);
}

void
s2fill_repair(enum s2fill_kind k, struct pkt_seq *seq, struct rng *r,
    uint8_t *buf)
{
	struct s2fill_w w = { .buf = buf, .r = r, .f = &seq->flow };
	uint32_t nth[2] = { 0, 0 }, qid = (uint32_t)(seq->flow.seed >> 16);

	if (k == S2FILL_RANDOM || k == S2FILL_HTTP)
		return;
	for (uint32_t i = 0; i < seq->n; i++) {
		struct pkt *p = &seq->pkts[i];
		bool first = nth[p->dir] == 0;

		if (p->kind == PAYLOAD_NONE)
			continue;
		nth[p->dir]++;
		if (k == S2FILL_TLS && (p->kind == PAYLOAD_RANDOM ||
		    !s2fill_tls_whole(p->payload, p->len)))
			s2fill_tls(&w, p);
		if (k == S2FILL_DNS)
			s2fill_dns_id(&w, p, &qid);
		if (p->kind != PAYLOAD_RANDOM)
			continue;
		if (k == S2FILL_SSH)
			s2fill_ssh(&w, p, first);
		else if (k == S2FILL_MQTT)
			s2fill_mqtt(&w, p, false);
		else if (k == S2FILL_DHCP)
			s2fill_dhcp(&w, p, nth[p->dir] - 1);
		else if (k == S2FILL_DNS || k == S2FILL_DNS_TCP)
			s2fill_dns(&w, p, qid, k == S2FILL_DNS_TCP);
		else if (k == S2FILL_NTP)
			s2fill_ntp(&w, p);
		else if (k == S2FILL_TEXT)
			s2fill_lines(&w, p);
	}
}

void
s2fill_apply(enum s2fill_kind k, struct pkt_seq *seq, struct rng *r,
    uint8_t *buf)
{
	struct s2fill_w w = { .buf = buf, .r = r, .f = &seq->flow };
	uint32_t nth[2] = { 0, 0 };

	if (k == S2FILL_RANDOM)
		return;
	if (k == S2FILL_HTTP) {
		s2fill_http(&w, seq);
		return;
	}
	for (uint32_t i = 0; i < seq->n; i++) {
		struct pkt *p = &seq->pkts[i];

		if (p->len == 0)
			continue;
		switch (k) {
		case S2FILL_TLS:
			s2fill_tls(&w, p);
			break;
		case S2FILL_SSH:
			s2fill_ssh(&w, p, nth[p->dir] == 0);
			break;
		case S2FILL_DHCP:
			s2fill_dhcp(&w, p, nth[p->dir]);
			break;
		case S2FILL_DNS:
		case S2FILL_DNS_TCP:
			/* An answer carries the id of the query before it. */
			s2fill_dns(&w, p, (uint32_t)(w.f->seed >> 16) +
			    nth[DIR_FWD] - (p->dir == DIR_BWD &&
			    nth[DIR_FWD] > 0), k == S2FILL_DNS_TCP);
			break;
		case S2FILL_NTP:
			s2fill_ntp(&w, p);
			break;
		case S2FILL_MQTT:
			s2fill_mqtt(&w, p, nth[p->dir] == 0);
			break;
		default:
			s2fill_lines(&w, p);
			break;
		}
		nth[p->dir]++;
	}
}
