/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_STAGE3_H
#define FOSR_STAGE3_H

/*
 * S3: frames.  Turns a packet sequence into complete Ethernet/IPv4 frames
 * with valid TCP/UDP/ICMP headers and checksums, real sequence numbers,
 * and payloads split to fit the MTU.
 *
 * A TCP sequence that contains a SYN opens with a complete three-way
 * handshake; one without a SYN is taken as a connection already open.
 * What the sequence gets wrong for TCP (data before the handshake, data
 * after a FIN, packets after a RST, repeated SYNs or FINs) is repaired,
 * and the teardown follows flow.end: END_FIN ends with both FINs
 * acknowledged, END_RST with a reset, END_OPEN with neither.  The frames
 * actually emitted are counted in the frame buffer.
 *
 * SYNs carry MSS 1460 and SACK-permitted (no window scaling, no
 * timestamps); windows start at 64240 (Linux) or 65535 (Windows).  IPv4
 * ids count per side from a random start; DF is set on TCP and on what
 * Linux sockets send unfragmented.  UDP and ICMP datagrams larger than
 * one frame are fragmented.  Random payloads of HTTP flows become whole
 * HTTP messages and those of HTTPS and IMAPS flows TLS records, so that
 * dissectors read them as such.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

#define S3_MAX_FRAME 1514
#define S3_MSS 1460              /* TCP payload per segment */
#define S3_MAX_DATAGRAM 65507    /* UDP/ICMP payload that fits in IPv4 */

struct s3_opts {
	bool taint;              /* set the IPv4 reserved bit */
};

/*
 * Builds all frames of seq into fb (emptied first), in time order; the
 * same seq always gives the same bytes.  0, -ENOMEM, or -EINVAL for an
 * unknown transport protocol.
 */
int s3_build(const struct pkt_seq *seq, const struct s3_opts *o,
    struct frame_buf *fb);
/* Releases the storage of a frame buffer and zeroes it. */
void frame_buf_free(struct frame_buf *fb);
/* Taints or untaints one IPv4 header in place, fixing its checksum. */
void s3_set_taint(uint8_t *ip_header, bool on);

#endif
