/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The flow table on made-up packets: TCP ends (FIN exchange with a late
 * ACK, RST, a new SYN on a closed flow), client detection (SYN, SYN-ACK
 * first, late SYN), idle and active timeouts, output order, per-packet
 * lists, IPv6 keys, and memory that stays with the live flows.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "flowtab.h"
#include "tap.h"

#define SEC 1000000000ull

static struct flowrec got[64];
static uint8_t got_dirs[64][16];
static uint32_t ngot;

static int
collect(void *arg, const struct flowrec *r)
{
	if (ngot < 64) {
		got[ngot] = *r;
		for (uint32_t i = 0; i < r->npkt && i < 16; i++)
			got_dirs[ngot][i] = r->pkt[i].dir;
		got[ngot].pkt = NULL;
		got[ngot].payload = NULL;
	}
	ngot++;
	return 0;
}

static struct flowtab *
table(uint64_t idle, uint64_t active, bool per_packet)
{
	struct flowtab_conf c = { idle, active, per_packet };

	ngot = 0;
	return flowtab_new(&c, collect, NULL);
}

/* One IPv4 packet from a:ap to b:bp. */
static void
pkt(struct flowtab *t, uint64_t ts, uint32_t a, uint16_t ap, uint32_t b,
    uint16_t bp, uint8_t proto, uint8_t flags, uint32_t payload)
{
	struct capture_ip ip;
	uint8_t frame[64] = { 0 };

	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.proto = proto;
	ip.ttl = (uint8_t)(a & 0xff);
	a = htonl(a);
	b = htonl(b);
	memcpy(ip.src, &a, 4);
	memcpy(ip.dst, &b, 4);
	ip.sport = ap;
	ip.dport = bp;
	ip.tcp_flags = flags;
	ip.l4_ok = true;
	ip.payload_len = payload;
	ip.payload_cap = payload < 8 ? payload : 8;
	ip.payload_off = 40;
	memset(frame + 40, 0xab, 8);
	CHECK_EQ_I(flowtab_add(t, ts, &ip, 54 + payload, frame), 0);
}

#define A 0x0a000001u
#define B 0x0a000002u
#define S TCPF_SYN
#define SA (TCPF_SYN | TCPF_ACK)
#define AK TCPF_ACK
#define FA (TCPF_FIN | TCPF_ACK)

static void
test_tcp_fin(void)
{
	struct flowtab *t = table(600 * SEC, 0, false);

	pkt(t, 1 * SEC, A, 40000, B, 80, 6, S, 0);
	pkt(t, 2 * SEC, B, 80, A, 40000, 6, SA, 0);
	pkt(t, 3 * SEC, A, 40000, B, 80, 6, AK, 100);
	pkt(t, 4 * SEC, B, 80, A, 40000, 6, FA, 0);
	pkt(t, 5 * SEC, A, 40000, B, 80, 6, FA, 0);
	CHECK_EQ_U(ngot, 0);
	/* The last ACK after both FINs still belongs to the flow. */
	pkt(t, 6 * SEC, B, 80, A, 40000, 6, AK, 0);
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	CHECK_EQ_U(ngot, 1);
	CHECK_EQ_U(got[0].pkts[0], 3);
	CHECK_EQ_U(got[0].pkts[1], 3);
	CHECK_EQ_U(got[0].bytes[0], 100);
	CHECK_EQ_U(got[0].frame_bytes[0], 3 * 54 + 100);
	CHECK_EQ_U(got[0].end, FLOWREC_END_FIN);
	CHECK_EQ_U(got[0].client_port, 40000);
	CHECK_EQ_U(got[0].server_port, 80);
	CHECK_EQ_U(got[0].client_ttl, 1);
	CHECK_EQ_U(got[0].server_ttl, 2);
	CHECK_EQ_U(got[0].l7, L7_HTTP);
	CHECK_EQ_U(got[0].tcp_flags, TCPF_SYN | TCPF_ACK | TCPF_FIN);
	CHECK_EQ_U(got[0].start_ns, 1 * SEC);
	CHECK_EQ_U(got[0].end_ns, 6 * SEC);
	flowtab_free(t);

	/* A packet after the linger time starts a new flow. */
	t = table(600 * SEC, 0, false);
	pkt(t, 1 * SEC, A, 40000, B, 80, 6, S, 0);
	pkt(t, 2 * SEC, B, 80, A, 40000, 6, TCPF_RST | TCPF_ACK, 0);
	pkt(t, 2 * SEC + FLOWTAB_LINGER_NS + 1, A, 40000, B, 80, 6, AK, 0);
	CHECK_EQ_U(ngot, 1);
	CHECK_EQ_U(got[0].end, FLOWREC_END_RST);
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	CHECK_EQ_U(ngot, 2);
	CHECK_EQ_U(got[1].end, FLOWREC_END_EOF);
	flowtab_free(t);
}

static void
test_tcp_roles(void)
{
	struct flowtab *t = table(0, 0, true);

	/* SYN-ACK seen first: its receiver is the client. */
	pkt(t, 1 * SEC, B, 80, A, 40000, 6, SA, 0);
	pkt(t, 2 * SEC, A, 40000, B, 80, 6, AK, 0);
	/* A new SYN on a closed flow is a new connection. */
	pkt(t, 3 * SEC, A, 40000, B, 80, 6, TCPF_RST, 0);
	pkt(t, 4 * SEC, A, 40000, B, 80, 6, S, 0);
	/* Mid-stream first, then the SYN from the other side: swapped. */
	pkt(t, 5 * SEC, B, 22, A, 50000, 6, AK, 10);
	pkt(t, 6 * SEC, A, 50000, B, 22, 6, S, 0);
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	CHECK_EQ_U(ngot, 3);
	CHECK_EQ_U(got[0].client_port, 40000);
	CHECK_EQ_U(got[0].pkts[0], 2);
	CHECK_EQ_U(got[0].pkts[1], 1);
	CHECK_EQ_U(got_dirs[0][0], 1);
	CHECK_EQ_U(got[0].end, FLOWREC_END_RST);
	CHECK_EQ_U(got[1].client_port, 40000);
	CHECK_EQ_U(got[1].start_ns, 4 * SEC);
	CHECK_EQ_U(got[2].client_port, 50000);
	CHECK_EQ_U(got[2].server_port, 22);
	CHECK_EQ_U(got[2].pkts[0], 1);
	CHECK_EQ_U(got[2].pkts[1], 1);
	CHECK_EQ_U(got[2].bytes[1], 10);
	CHECK_EQ_U(got_dirs[2][0], 1);
	CHECK_EQ_U(got_dirs[2][1], 0);
	CHECK_EQ_U(got[2].l7, L7_SSH);
	flowtab_free(t);
}

static void
test_timeouts_and_order(void)
{
	struct flowtab *t = table(10 * SEC, 100 * SEC, false);
	struct flowtab_stats st;

	/* UDP: a gap longer than the idle timeout splits the flow. */
	pkt(t, 0, A, 5000, B, 53, 17, 0, 30);
	pkt(t, 1 * SEC, B, 53, A, 5000, 17, 0, 90);
	/* A long-lived flow that holds back later ones. */
	pkt(t, 2 * SEC, A, 6000, B, 123, 17, 0, 48);
	for (uint64_t s = 3; s < 250; s += 5) {
		pkt(t, s * SEC, A, 6000, B, 123, 17, 0, 48);
		if (s == 13)
			pkt(t, s * SEC, A, 5000, B, 53, 17, 0, 30);
	}
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	/* dns idle, ntp split twice by the active timeout, dns again. */
	CHECK_EQ_U(ngot, 5);
	CHECK_EQ_U(got[0].server_port, 53);
	CHECK_EQ_U(got[0].end, FLOWREC_END_IDLE);
	CHECK_EQ_U(got[0].pkts[1], 1);
	CHECK_EQ_U(got[1].server_port, 123);
	CHECK_EQ_U(got[1].end, FLOWREC_END_ACTIVE);
	CHECK_EQ_U(got[1].start_ns, 2 * SEC);
	CHECK_EQ_U(got[2].start_ns, 13 * SEC);
	CHECK_EQ_U(got[2].server_port, 53);
	CHECK_EQ_U(got[2].end, FLOWREC_END_IDLE);
	CHECK_EQ_U(got[3].start_ns, 103 * SEC);
	CHECK_EQ_U(got[3].end, FLOWREC_END_ACTIVE);
	CHECK_EQ_U(got[4].start_ns, 203 * SEC);
	CHECK_EQ_U(got[4].end, FLOWREC_END_EOF);
	for (uint32_t i = 1; i < 5; i++)
		CHECK(got[i - 1].start_ns <= got[i].start_ns);
	flowtab_get_stats(t, &st);
	CHECK_EQ_U(st.flows, 5);
	flowtab_free(t);

	/* Same start: ordered by protocol, then addresses and ports. */
	t = table(0, 0, false);
	pkt(t, 5 * SEC, B, 9, A, 1, 17, 0, 0);
	pkt(t, 5 * SEC, A, 9, B, 1, 17, 0, 0);
	pkt(t, 5 * SEC, A, 7, B, 1, 6, S, 0);
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	CHECK_EQ_U(ngot, 3);
	CHECK_EQ_U(got[0].proto, 6);
	CHECK_EQ_U(got[1].client_addr[3], 1);
	CHECK_EQ_U(got[2].client_addr[3], 2);
	flowtab_free(t);
}

static void
test_memory_bound(void)
{
	struct flowtab *t = table(1 * SEC, 0, false);
	struct flowtab_stats st;

	/* 200 000 short UDP flows, 1000 per second: live flows stay near
	   the idle timeout's worth, and so do waiting records. */
	for (uint32_t i = 0; i < 200000; i++)
		pkt(t, (uint64_t)i * (SEC / 1000), A + (i % 50000), 1024 +
		    (uint16_t)(i / 50000), B, 53, 17, 0, 10);
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	flowtab_get_stats(t, &st);
	CHECK_EQ_U(st.flows, 200000);
	CHECK(st.live_max <= 1100);
	CHECK(st.pending_max <= 1100);
	flowtab_free(t);
}

static void
test_ipv6_and_backwards(void)
{
	struct flowtab *t = table(0, 0, false);
	struct capture_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = 6;
	ip.proto = 58;
	ip.src[15] = 1;
	ip.dst[15] = 2;
	ip.l4_ok = true;
	CHECK_EQ_I(flowtab_add(t, 10 * SEC, &ip, 100, NULL), 0);
	ip.src[15] = 2;
	ip.dst[15] = 1;
	/* Earlier than the first packet: the flow starts earlier. */
	CHECK_EQ_I(flowtab_add(t, 9 * SEC, &ip, 100, NULL), 0);
	CHECK_EQ_I(flowtab_finish(t, FLOWREC_END_EOF), 0);
	CHECK_EQ_U(ngot, 1);
	CHECK_EQ_U(got[0].family, 6);
	CHECK_EQ_U(got[0].start_ns, 9 * SEC);
	CHECK_EQ_U(got[0].end_ns, 10 * SEC);
	CHECK_EQ_U(got[0].pkts[0], 1);
	CHECK_EQ_U(got[0].pkts[1], 1);
	flowtab_free(t);
}

int
main(void)
{
	test_tcp_fin();
	test_tcp_roles();
	test_timeouts_and_order();
	test_memory_bound();
	test_ipv6_and_backwards();
	return tap_done();
}
