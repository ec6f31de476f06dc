/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_S2FILL_H
#define FOSR_S2FILL_H

/*
 * Payload bytes for the generic exchange of S2.  Random bytes sent to a
 * well-known port read as broken traffic to any analyser that decodes
 * that port (an HTTP request that is not HTTP), so the generic exchange
 * carries minimal but well-formed messages of the protocol the port
 * announces: TLS records, HTTP/1.1 messages, SSH banners and packets,
 * DHCP, DNS, NTP, MQTT, or plain text lines.  Sizes stay those S2 chose
 * where the protocol allows; a few grow to the smallest valid message.
 */

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "rng.h"

enum s2fill_kind {
	S2FILL_RANDOM = 0,       /* no known decoder: leave random bytes */
	S2FILL_TLS,
	S2FILL_HTTP,
	S2FILL_SSH,
	S2FILL_DHCP,
	S2FILL_DNS,
	S2FILL_DNS_TCP,          /* DNS messages behind a 2-byte length */
	S2FILL_NTP,
	S2FILL_MQTT,
	S2FILL_TEXT,             /* line-based text protocols */
};

/* The content a flow's packets should carry, from its port or protocol. */
enum s2fill_kind s2fill_kind(const struct flow *f);
/* Bytes s2fill_apply may need for seq: a bound from its packet sizes. */
size_t s2fill_need(const struct pkt_seq *seq);
/*
 * Writes the payloads of seq's data packets into buf (at least
 * s2fill_need(seq) bytes) as kind k, and points the packets at them
 * (PAYLOAD_BYTES); a payload that is only filler text may point at
 * constant text instead, valid for the life of the program.  Lengths
 * may grow to the smallest valid message.
 */
void s2fill_apply(enum s2fill_kind k, struct pkt_seq *seq, struct rng *r,
    uint8_t *buf);

/*
 * For a sequence walked from an automaton: random payloads become
 * messages of kind k (TLS records, SSH or MQTT packets, DHCP, DNS, NTP,
 * text lines), and on TLS ports a replayed payload that is not a run of
 * whole records (a fragment of a longer record, which no decoder can
 * place) becomes an application data record of the same size.  Replayed
 * messages of other protocols are kept as they are.  buf as above.
 */
void s2fill_repair(enum s2fill_kind k, struct pkt_seq *seq, struct rng *r,
    uint8_t *buf);

#endif
