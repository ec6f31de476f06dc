/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_FLOWTAB_H
#define FOSR_FLOWTAB_H

/*
 * The table of live flows that turns packets into flow records.
 *
 * A flow is keyed by protocol, both addresses and both ports, in either
 * direction.  Its client is the sender of the SYN for TCP (the receiver
 * of a SYN-ACK seen first, and the roles are swapped when a SYN shows up
 * later from the other side), the first sender otherwise.  A TCP flow is
 * closed by FINs from both sides or by a RST; it then takes late packets
 * (last ACKs, repeated FINs) for FLOWTAB_LINGER_NS or until a new SYN.
 * Any flow ends after idle_ns without packets and is split once it has
 * lasted active_ns.  Time is the packet time, never the clock.
 *
 * Finished records are handed to the emit callback in (start time, key)
 * order: a record waits until no live flow started before it.  Memory
 * grows with the live flows and with the records finished while an older
 * flow is still live (bounded by the active timeout), not with the input.
 */

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "flowrec.h"

#define FLOWTAB_LINGER_NS (10ull * 1000000000u)

struct flowtab_conf {
	uint64_t idle_ns;        /* 0: never */
	uint64_t active_ns;      /* 0: never */
	bool per_packet;         /* keep per-packet lists and payloads */
};

struct flowtab_stats {
	uint64_t flows;          /* records emitted */
	uint64_t live_max;       /* most flows live at once */
	uint64_t pending_max;    /* most records waiting for their turn */
	uint64_t swapped;        /* flows whose roles a late SYN reversed */
};

struct flowtab;

/* Called for each finished record; r and its lists are valid only during
   the call.  A non-zero return stops the table (returned by flowtab_add
   and flowtab_finish). */
typedef int (*flowtab_emit_fn)(void *arg, const struct flowrec *r);

struct flowtab *flowtab_new(const struct flowtab_conf *conf,
    flowtab_emit_fn emit, void *arg);
/*
 * Accounts one packet: ts_ns its time, ip what the dissector found (a
 * TCP or UDP packet must have its ports), frame_len its length on the
 * wire, frame the captured bytes (for the per-packet payloads).
 */
int flowtab_add(struct flowtab *t, uint64_t ts_ns,
    const struct capture_ip *ip, uint32_t frame_len, const uint8_t *frame);
/* Ends every live flow with the given reason and emits all records. */
int flowtab_finish(struct flowtab *t, enum flowrec_end why);
void flowtab_get_stats(const struct flowtab *t, struct flowtab_stats *s);
uint64_t flowtab_live(const struct flowtab *t);
void flowtab_free(struct flowtab *t);

#endif
