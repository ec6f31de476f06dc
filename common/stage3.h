/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_STAGE3_H
#define FOSR_STAGE3_H

/*
 * S3: frames.  Turns a packet sequence into complete Ethernet/IPv4 frames
 * with valid TCP/UDP/ICMP headers and checksums, real sequence numbers,
 * and payloads split to fit the MTU.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

#define S3_MAX_FRAME 1514

struct s3_opts {
	bool taint;              /* set the IPv4 reserved bit */
};

/* Builds all frames of seq into fb (emptied first).  0 or -ENOMEM. */
int s3_build(const struct pkt_seq *seq, const struct s3_opts *o,
    struct frame_buf *fb);
void frame_buf_free(struct frame_buf *fb);
/* Taints or untaints one IPv4 header in place, fixing its checksum. */
void s3_set_taint(uint8_t *ip_header, bool on);

#endif
