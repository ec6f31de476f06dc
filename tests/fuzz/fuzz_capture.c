/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the capture reader and the frame dissector: every
 * unit of the input is read and every packet dissected; the sanitizers
 * catch any read outside the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture *c;
	struct capture_rec r;
	struct capture_ip ip;
	struct diag d;
	volatile uint32_t sink = 0;

	if (capture_open_mem(&c, data, size, "fuzz", &d) < 0)
		return 0;
	while (capture_next(c, &r, &d) == 1) {
		if (!r.is_pkt)
			continue;
		if (capture_dissect(r.data, r.caplen, r.len, r.linktype,
		    &ip) == CAPTURE_DEC_IP) {
			sink += ip.sport + ip.payload_len;
			if (ip.payload_cap > 0)
				sink += r.data[ip.payload_off +
				    ip.payload_cap - 1];
			if (ip.family == 4)
				sink += capture_ip4_csum(r.data + ip.l3_off,
				    ip.l3_hlen);
		}
	}
	capture_close(c);
	(void)sink;
	return 0;
}
