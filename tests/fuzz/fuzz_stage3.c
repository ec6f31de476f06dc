/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for S3: the bytes describe a flow and its packets (any
 * flags, directions, sizes, end and ICMP types, in any order), and every
 * frame built from them must fit the Ethernet limit, carry correct IPv4
 * and TCP/UDP/ICMP checksums and come in time order, none before the
 * first packet.  A violation aborts
 * so that the fuzzer keeps the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "stage3.h"

#define FUZZ_MAX_PKTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_text[2048];

/* Checks one frame; fragments of a datagram are checked by IPv4 only. */
static bool
fuzz_frame_ok(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + 14, *l4 = ip + 20;
	uint32_t tot, frag;

	if (len > S3_MAX_FRAME || len < 34 || !cksum_ok(ip, 20, 0))
		return false;
	tot = (uint32_t)ip[2] << 8 | ip[3];
	frag = ((uint32_t)ip[6] << 8 | ip[7]) & 0x3fff;
	if (tot + 14 != len)
		return false;
	if (frag != 0)
		return true;
	if (ip[9] == 6 || ip[9] == 17)
		return cksum_ok(l4, tot - 20, cksum_pseudo4(ip, ip[9],
		    (uint16_t)(tot - 20)));
	return cksum_ok(l4, tot - 20, 0);
}

static void
fuzz_seq(struct pkt_seq *sq, struct pkt *pk, const uint8_t *data,
    size_t size)
{
	static const uint8_t l4s[4] = { L4_TCP, L4_TCP, L4_UDP, L4_ICMP };
	uint64_t t = 1000000000;

	memset(sq, 0, sizeof(*sq));
	sq->pkts = pk;
	sq->flow.l4 = l4s[data[0] & 3];
	sq->flow.l7 = (uint8_t)((data[0] >> 2) % L7_COUNT);
	sq->flow.end = (uint8_t)((data[0] >> 6) & 3);
	sq->flow.seed = data[1];
	sq->flow.client_os = data[1] & 1;
	sq->flow.server_os = (data[1] >> 1) & 1;
	sq->flow.client_ip = 0xc6120001;
	sq->flow.server_ip = 0xc6130001;
	sq->flow.client_port = 50000;
	sq->flow.server_port = (data[1] & 4) ? 443 : 80;
	for (size_t i = 2; i + 4 <= size && sq->n < FUZZ_MAX_PKTS; i += 4) {
		struct pkt *p = &pk[sq->n++];
		uint32_t len = data[i + 3];

		/* Sizes up to 80 kB: larger than one datagram or window. */
		if (data[i] & 0x80)
			len *= 320;
		t += (uint64_t)(data[i] & 0x1f) * 3000;
		p->ts_ns = t;
		p->dir = (data[i] >> 5) & 1;
		p->tcp_flags = data[i + 1];
		p->kind = (uint8_t)(data[i + 2] % 3);
		p->len = len;
		p->payload = len <= sizeof(fuzz_text) ? fuzz_text : NULL;
		p->icmp_type = data[i + 2] >> 2;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pkt pk[FUZZ_MAX_PKTS];
	static struct frame_buf fb;
	struct s3_opts o = { .taint = size & 1 };
	struct pkt_seq sq;
	uint64_t last;

	if (size < 2)
		return 0;
	fuzz_seq(&sq, pk, data, size);
	/* Bytes payloads beyond the text are not asked for. */
	for (uint32_t i = 0; i < sq.n; i++)
		if (pk[i].kind == PAYLOAD_BYTES && pk[i].payload == NULL)
			pk[i].kind = PAYLOAD_RANDOM;
	if (s3_build(&sq, &o, &fb) != 0)
		abort();
	/* Nothing goes out before the flow's first packet. */
	last = sq.n > 0 ? pk[0].ts_ns : 0;
	for (uint32_t i = 0; i < fb.n; i++) {
		if (!fuzz_frame_ok(fb.data + fb.frames[i].off,
		    fb.frames[i].len) || fb.frames[i].ts_ns < last)
			abort();
		last = fb.frames[i].ts_ns;
	}
	return 0;
}
