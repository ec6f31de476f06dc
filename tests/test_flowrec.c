/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Flow records: the CSV writer's header and lines, RFC 4180 quoting of the
 * list columns, the temporary file and the application guess.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow.h"
#include "flowrec.h"
#include "tap.h"

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_line(void)
{
	struct flowrec_writer *w;
	struct flowrec r;
	struct flowrec_pkt pk[3];
	uint8_t pay[] = { 0x16, 0x03, 0xab };
	struct diag d;
	char *s, *nl;

	flowrec_init(&r);
	r.family = 4;
	r.proto = 6;
	flowrec_set_v4(r.client_addr, 0xc0a80102);
	flowrec_set_v4(r.server_addr, 0x4d432cce);
	r.client_port = 49486;
	r.server_port = 80;
	r.client_ttl = 64;
	r.server_ttl = 52;
	r.start_ns = 1258133614430569000ull;
	r.end_ns = r.start_ns + 808847000;
	r.pkts[0] = 2;
	r.pkts[1] = 1;
	r.bytes[0] = 3;
	r.frame_bytes[0] = 120;
	r.frame_bytes[1] = 60;
	r.tcp_flags = TCPF_SYN | TCPF_ACK;
	r.end = FLOWREC_END_FIN;
	r.l7 = flowrec_guess_l7(6, 49486, 80);
	memset(pk, 0, sizeof(pk));
	pk[0].ts_ns = r.start_ns;
	pk[0].tcp_flags = TCPF_SYN;
	pk[1].ts_ns = r.start_ns + 1500;
	pk[1].dir = 1;
	pk[1].tcp_flags = TCPF_SYN | TCPF_ACK;
	pk[2].ts_ns = r.start_ns + 808847000;
	pk[2].size = 3;
	pk[2].caplen = 3;
	pk[2].tcp_flags = TCPF_ACK;
	r.pkt = pk;
	r.npkt = 3;
	r.payload = pay;
	r.payload_len = 3;

	CHECK_EQ_I(flowrec_writer_open(&w, "out.csv", true, &d), 0);
	CHECK(access("out.csv", F_OK) != 0);
	CHECK_EQ_I(flowrec_writer_add(w, &r, &d), 0);
	CHECK_EQ_I(flowrec_writer_close(w, &d), 0);
	s = slurp("out.csv");
	CHECK(s != NULL);
	if (s == NULL)
		return;
	nl = strchr(s, '\n');
	CHECK(nl != NULL);
	if (nl == NULL)
		return;
	*nl = '\0';
	CHECK_STR(s, "start,duration,protocol,client_ip,client_port,"
	    "server_ip,server_port,client_ttl,server_ttl,fwd_packets,"
	    "bwd_packets,fwd_bytes,bwd_bytes,fwd_frame_bytes,"
	    "bwd_frame_bytes,tcp_flags,end,app,directions,sizes,flags,"
	    "iat_ns,payloads");
	CHECK_STR(nl + 1, "1258133614.430569000,0.808847000,TCP,"
	    "192.168.1.2,49486,77.67.44.206,80,64,52,2,1,3,0,120,60,SA,fin,"
	    "http,\"[F,B,F]\",\"[0,0,3]\",\"[2,18,16]\","
	    "\"[0,1500,808845500]\",\"[,,1603ab]\"\n");
}

static void
test_misc(void)
{
	struct flowrec_writer *w;
	struct flowrec r;
	struct flow f;
	struct diag d;
	char buf[4];

	CHECK_EQ_U(flowrec_guess_l7(17, 5353, 5353), L7_MDNS);
	CHECK_EQ_U(flowrec_guess_l7(17, 68, 67), L7_DHCP);
	CHECK_EQ_U(flowrec_guess_l7(6, 443, 50000), L7_HTTPS);
	CHECK_EQ_U(flowrec_guess_l7(6, 40000, 50000), L7_NONE);
	CHECK_EQ_U(flowrec_guess_l7(1, 0, 0), L7_NONE);
	CHECK_STR(flowrec_proto_name(47, buf), "47");
	CHECK_STR(flowrec_proto_name(58, buf), "ICMPv6");
	CHECK_STR(flowrec_end_name(FLOWREC_END_ACTIVE), "active");
	CHECK(flowrec_end_name(FLOWREC_END_COUNT) == NULL);

	memset(&f, 0, sizeof(f));
	f.l4 = L4_UDP;
	f.client_ip = 0x0a000001;
	f.server_ip = 0x0a000002;
	f.client_port = 5000;
	f.server_port = 53;
	f.fwd_pkts = 1;
	f.bwd_pkts = 1;
	f.start_ns = 5;
	flowrec_from_flow(&r, &f);
	CHECK_EQ_U(r.client_addr[3], 1);
	CHECK_EQ_U(r.server_addr[0], 10);
	CHECK_EQ_U(r.pkts[1], 1);
	CHECK_EQ_U(r.server_port, 53);

	/* An aborted writer leaves no file behind, a bad folder is named. */
	CHECK_EQ_I(flowrec_writer_open(&w, "gone.csv", false, &d), 0);
	flowrec_writer_abort(w);
	CHECK(access("gone.csv", F_OK) != 0);
	CHECK(flowrec_writer_open(&w, "no/such/dir/x.csv", false, &d) < 0);
	CHECK(strstr(d.msg, "no/such/dir/x.csv") != NULL);
}

int
main(void)
{
	test_line();
	test_misc();
	return tap_done();
}
