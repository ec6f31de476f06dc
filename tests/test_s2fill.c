/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Payload dressing: the protocol chosen from port and service, and each
 * protocol's messages checked field by field (HTTP lengths, TLS records,
 * SSH packets, DNS ids, MQTT remaining lengths, DHCP options), plus the
 * repair of walked sequences.
 */
#include "s2fill.h"
#include "tap.h"

static struct pkt_seq seq;
static struct pkt pk[32];
static uint8_t *buf;
static size_t bufn;
static struct rng rg;

/* A sequence of data packets: "F300 B1460 ..." as direction and size. */
static void
mkseq(uint8_t l4, uint16_t port, enum l7_proto l7, const char *spec)
{
	memset(&seq, 0, sizeof(seq));
	memset(pk, 0, sizeof(pk));
	seq.pkts = pk;
	seq.cap = 32;
	seq.flow.l4 = l4;
	seq.flow.l7 = (uint8_t)l7;
	seq.flow.server_port = port;
	seq.flow.server_ip = 0xc0a80a05;
	seq.flow.seed = 12342;
	for (const char *s = spec; *s != '\0';) {
		char *end;
		struct pkt *p = &pk[seq.n++];

		p->dir = *s == 'F' ? DIR_FWD : DIR_BWD;
		p->len = (uint32_t)strtoul(s + 1, &end, 10);
		p->kind = p->len > 0 ? PAYLOAD_RANDOM : PAYLOAD_NONE;
		s = *end == ' ' ? end + 1 : end;
	}
	free(buf);
	bufn = s2fill_need(&seq);
	buf = calloc(1, bufn);
	rng_seed(&rg, 9);
}

static bool
inside(const struct pkt *p)
{
	return p->payload >= buf && p->payload + p->len <= buf + bufn;
}

static void
test_kind(void)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.l4 = L4_TCP;
	f.server_port = 443;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_TLS);
	f.server_port = 8080;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_HTTP);
	f.server_port = 40000;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_RANDOM);
	f.l7 = L7_SSH;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_SSH);
	f.l7 = L7_IMAPS;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_TLS);
	f.server_port = 4444;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_TLS);
	f.server_port = 53;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_DNS_TCP);
	f.l4 = L4_UDP;
	f.l7 = L7_NONE;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_DNS);
	f.server_port = 67;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_DHCP);
	f.l4 = L4_ICMP;
	CHECK_EQ_U(s2fill_kind(&f), S2FILL_RANDOM);
}

/* The HTTP message that starts at packet i and spans n packets. */
static char *
message(uint32_t i, uint32_t n, uint32_t *len)
{
	static char m[16384];

	*len = 0;
	for (uint32_t k = i; k < i + n; k++) {
		/* Body segments may point at the filler text itself. */
		CHECK(pk[k].payload != NULL && pk[k].kind == PAYLOAD_BYTES);
		memcpy(m + *len, pk[k].payload, pk[k].len);
		*len += pk[k].len;
	}
	m[*len] = '\0';
	return m;
}

static void
check_length(const char *m, uint32_t len)
{
	const char *cl = strstr(m, "Content-Length: ");
	const char *body = strstr(m, "\r\n\r\n");

	CHECK(cl != NULL && body != NULL);
	if (cl != NULL && body != NULL)
		CHECK_EQ_U(strtoul(cl + 16, NULL, 10),
		    len - (uint32_t)(body + 4 - m));
}

/* The body of a message is the filler text, one cycle after another. */
static void
check_body(const char *m, uint32_t len)
{
	const char *body = strstr(m, "\r\n\r\n");
	uint32_t off, bad = 0;

	CHECK(body != NULL);
	if (body == NULL)
		return;
	off = (uint32_t)(body + 4 - m);
	CHECK(strncmp(m + off, "The quick brown fox ", 20) == 0);
	for (uint32_t i = off; i < len; i++)
		bad += m[i] < ' ' || m[i] > '~' ||
		    (i >= off + 127 && m[i] != m[i - 127]);
	CHECK_EQ_U(bad, 0);
}

static void
test_http(void)
{
	uint32_t len;
	char *m;

	mkseq(L4_TCP, 80, L7_HTTP, "F300 B1460 B1460 B500 F1460 F200 B10");
	s2fill_apply(S2FILL_HTTP, &seq, &rg, buf);
	m = message(0, 1, &len);
	CHECK_EQ_U(len, 300);
	CHECK(strncmp(m, "GET /index.html HTTP/1.1\r\nHost: 192.168.10.5\r\n",
	    46) == 0);
	CHECK(strcmp(m + len - 4, "\r\n\r\n") == 0);
	m = message(1, 3, &len);
	CHECK_EQ_U(len, 3420);
	CHECK_EQ_U(pk[1].len, 1460);
	CHECK(strncmp(m, "HTTP/1.1 200 OK\r\n", 17) == 0);
	check_length(m, len);
	check_body(m, len);
	m = message(4, 2, &len);
	CHECK_EQ_U(len, 1660);
	CHECK(strncmp(m, "POST /upload HTTP/1.1\r\n", 23) == 0);
	check_length(m, len);
	check_body(m, len);
	/* Ten bytes cannot hold a response: it grows to an empty one. */
	m = message(6, 1, &len);
	CHECK(strstr(m, "Content-Length: 0\r\n\r\n") != NULL);
	check_length(m, len);
}

static void
test_tls_ssh(void)
{
	mkseq(L4_TCP, 443, L7_HTTPS, "F100 B3 B1460");
	s2fill_apply(S2FILL_TLS, &seq, &rg, buf);
	for (uint32_t i = 0; i < seq.n; i++) {
		const uint8_t *d = pk[i].payload;

		CHECK(inside(&pk[i]));
		CHECK(d[0] == 0x17 && d[1] == 3 && d[2] == 3);
		CHECK_EQ_U((uint32_t)d[3] << 8 | d[4], pk[i].len - 5);
	}
	CHECK_EQ_U(pk[1].len, 29);

	mkseq(L4_TCP, 22, L7_SSH, "F20 B20 F100 B4");
	s2fill_apply(S2FILL_SSH, &seq, &rg, buf);
	CHECK(memcmp(pk[0].payload, "SSH-2.0-", 8) == 0);
	CHECK(memcmp(pk[1].payload, "SSH-2.0-", 8) == 0);
	CHECK(memcmp(pk[0].payload + pk[0].len - 2, "\r\n", 2) == 0);
	CHECK_EQ_U(pk[2].len, 96);
	CHECK_EQ_U(pk[3].len, 16);
	for (uint32_t i = 2; i < 4; i++) {
		const uint8_t *d = pk[i].payload;

		CHECK_EQ_U((uint32_t)d[2] << 8 | d[3], pk[i].len - 4);
		CHECK_EQ_U(d[4], 4);
		CHECK_EQ_U(d[5], 2);
		CHECK_EQ_U((uint32_t)d[8] << 8 | d[9], pk[i].len - 14);
	}
}

static void
test_udp(void)
{
	mkseq(L4_UDP, 53, L7_DNS, "F30 B30 F30 B30 B30");
	s2fill_apply(S2FILL_DNS, &seq, &rg, buf);
	for (uint32_t i = 0; i < seq.n; i++) {
		const uint8_t *d = pk[i].payload;
		uint32_t q = i < 2 ? 0 : 2;

		CHECK_EQ_U(d[2], pk[i].dir == DIR_FWD ? 0x01 : 0x81);
		CHECK_EQ_U(d[7], pk[i].dir == DIR_FWD ? 0 : 1);
		CHECK(memcmp(d, pk[q].payload, 2) == 0);
		CHECK(memcmp(d + 12, "\010intranet\007example\003com", 22) ==
		    0);
	}
	CHECK(memcmp(pk[0].payload, pk[2].payload, 2) != 0);
	CHECK_EQ_U(pk[1].len, pk[0].len + 16);

	/* Over TCP each message follows its length; ids pair the same way. */
	mkseq(L4_TCP, 53, L7_DNS, "F30 B30");
	s2fill_apply(S2FILL_DNS_TCP, &seq, &rg, buf);
	for (uint32_t i = 0; i < seq.n; i++) {
		const uint8_t *d = pk[i].payload;

		CHECK_EQ_U((uint32_t)d[0] << 8 | d[1], pk[i].len - 2);
		CHECK_EQ_U(d[4], pk[i].dir == DIR_FWD ? 0x01 : 0x81);
		CHECK(memcmp(d + 14, "\010intranet\007example\003com", 22) ==
		    0);
	}
	CHECK(memcmp(pk[0].payload + 2, pk[1].payload + 2, 2) == 0);

	mkseq(L4_UDP, 67, L7_DHCP, "F10 B10 F10 B10");
	seq.flow.client_mac[5] = 0x42;
	s2fill_apply(S2FILL_DHCP, &seq, &rg, buf);
	for (uint32_t i = 0; i < seq.n; i++) {
		static const uint8_t type[4] = { 1, 2, 3, 5 };
		const uint8_t *d = pk[i].payload;

		CHECK_EQ_U(pk[i].len, 300);
		CHECK_EQ_U(d[0], i % 2 + 1);
		CHECK_EQ_U(d[33], 0x42);
		CHECK(memcmp(d + 236, "\x63\x82\x53\x63\x35\x01", 6) == 0);
		CHECK_EQ_U(d[242], type[i]);
		CHECK_EQ_U(d[243], 255);
	}
}

static void
test_mqtt(void)
{
	mkseq(L4_TCP, 1883, L7_MQTT, "F50 B50 F130 F200 B5");
	s2fill_apply(S2FILL_MQTT, &seq, &rg, buf);
	CHECK_EQ_U(pk[0].payload[0], 0x10);
	CHECK_EQ_U(pk[0].payload[1] + 2u, pk[0].len);
	CHECK_EQ_U(pk[1].len, 4);
	CHECK_EQ_U(pk[1].payload[0], 0x20);
	/* 130 bytes have no minimal encoding: 129 with 127 to follow. */
	CHECK_EQ_U(pk[2].len, 129);
	CHECK_EQ_U(pk[2].payload[0], 0x30);
	CHECK_EQ_U(pk[2].payload[1], 127);
	CHECK_EQ_U(pk[3].len, 200);
	CHECK_EQ_U(pk[3].payload[1], 0x80 | (197 & 0x7f));
	CHECK_EQ_U(pk[3].payload[2], 197 >> 7);
	CHECK(memcmp(pk[3].payload + 5, "fosr/data", 9) == 0);
	CHECK_EQ_U(pk[4].len, 16);
}

static void
test_repair(void)
{
	static const uint8_t hello[] = { 0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3,
		0, 0 };
	static const uint8_t kex[] = { 0x16, 3, 3, 0, 8, 16, 0, 0, 4, 1, 2,
		3, 4 };
	static const uint8_t frag[] = { 0x16, 3, 3, 9, 0, 11, 0, 8, 0xfc };
	static uint8_t query[20] = { 0xab, 0xcd, 1 }, answer[20] = { 0x11 };

	mkseq(L4_TCP, 443, L7_HTTPS, "F13 B9 F13 B40");
	pk[0].payload = hello;
	pk[1].payload = frag;
	pk[2].payload = kex;
	pk[0].kind = pk[1].kind = pk[2].kind = PAYLOAD_BYTES;
	s2fill_repair(S2FILL_TLS, &seq, &rg, buf);
	CHECK(pk[0].payload == hello);
	CHECK(inside(&pk[1]) && pk[1].payload[0] == 0x17);
	CHECK_EQ_U(pk[1].len, 29);
	CHECK(inside(&pk[2]) && pk[2].payload[0] == 0x17);
	CHECK(inside(&pk[3]) && pk[3].payload[0] == 0x17);

	mkseq(L4_UDP, 53, L7_DNS, "F20 B20");
	pk[0].payload = query;
	pk[1].payload = answer;
	pk[0].kind = pk[1].kind = PAYLOAD_BYTES;
	s2fill_repair(S2FILL_DNS, &seq, &rg, buf);
	CHECK(pk[0].payload == query);
	CHECK(inside(&pk[1]));
	CHECK(pk[1].payload[0] == 0xab && pk[1].payload[1] == 0xcd);
	CHECK_EQ_U(answer[0], 0x11);

	/* Replayed MQTT is left alone; drawn sizes become PUBLISH. */
	mkseq(L4_TCP, 1883, L7_MQTT, "F20 F40");
	pk[0].payload = query;
	pk[0].kind = PAYLOAD_BYTES;
	s2fill_repair(S2FILL_MQTT, &seq, &rg, buf);
	CHECK(pk[0].payload == query);
	CHECK(inside(&pk[1]) && pk[1].payload[0] == 0x30);
}

int
main(void)
{
	test_kind();
	test_http();
	test_tls_ssh();
	test_udp();
	test_mqtt();
	test_repair();
	free(buf);
	return tap_done();
}
