/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_CAPTURE_H
#define FOSR_CAPTURE_H

/*
 * The streaming capture reader every fosr command that reads packets uses,
 * and the dissector that finds the IP and transport headers in a frame.
 *
 * The reader yields the file one unit at a time: the pcap file header,
 * each pcap record, or each pcapng block.  Every unit comes with its bytes
 * exactly as stored, so a writer can reproduce the file byte for byte,
 * and packet units also with their decoded fields (timestamp in ns,
 * captured and original length, link type).  Memory is one buffer the
 * size of the largest unit; the pointers in a unit stay valid until the
 * next call.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Link types (LINKTYPE_* numbers as stored in files). */
#define CAPTURE_LT_NULL         0
#define CAPTURE_LT_EN10MB       1
#define CAPTURE_LT_RAW_OLD      12
#define CAPTURE_LT_RAW_OLD2     14
#define CAPTURE_LT_RAW          101
#define CAPTURE_LT_LOOP         108
#define CAPTURE_LT_LINUX_SLL    113
#define CAPTURE_LT_IPV4         228
#define CAPTURE_LT_IPV6         229
#define CAPTURE_LT_LINUX_SLL2   276

/* The largest unit the reader accepts; anything longer is corrupt. */
#define CAPTURE_MAX_UNIT (16u << 20)

enum capture_format {
	CAPTURE_PCAP = 1,
	CAPTURE_PCAPNG,
};

struct capture_rec {
	const uint8_t *raw;      /* the unit as stored in the file */
	uint32_t rawlen;
	uint64_t offset;         /* of raw in the file */
	uint64_t unit;           /* 1-based: pcap record number or pcapng
				    block number (headers not counted for
				    pcap, every block counted for pcapng) */
	bool is_pkt;
	/* The rest is only set for packets. */
	uint64_t pkt;            /* 1-based packet number */
	const uint8_t *data;     /* inside raw */
	uint32_t caplen;         /* bytes present at data */
	uint32_t len;            /* bytes on the wire */
	uint32_t linktype;
	uint32_t ifindex;        /* pcapng interface, 0 for pcap */
	uint64_t ts_ns;          /* ns since the epoch */
	bool has_ts;             /* false for a pcapng simple packet block,
				    whose ts_ns repeats the previous one */
	bool ts_bad;             /* pcap fraction of a second out of range:
				    it is added as it is */
};

struct capture;

/*
 * Opens a capture file (pcap in either byte order, µs or ns, or pcapng;
 * the magic decides, not the name) and checks its header.  The diag names
 * the file and what is wrong.
 */
int capture_open(struct capture **cp, const char *path, struct diag *d);
/* The same on a buffer the caller keeps alive; name is used in messages. */
int capture_open_mem(struct capture **cp, const void *buf, size_t len,
    const char *name, struct diag *d);
/*
 * Reads the next unit: returns 1 and fills r, 0 at the clean end of the
 * file, or -errno with the diag naming the file, the unit number and the
 * fault (cut short, absurd length, bad block...).  After an error the
 * reader stays at the error.
 */
int capture_next(struct capture *c, struct capture_rec *r, struct diag *d);
enum capture_format capture_get_format(const struct capture *c);
const char *capture_name(const struct capture *c);
void capture_close(struct capture *c);

/* What the dissector found in one frame. */
enum capture_dec {
	CAPTURE_DEC_IP = 0,      /* an IP packet, fields below are set */
	CAPTURE_DEC_NONIP,       /* not IP (ARP, CDP, netlink...) */
	CAPTURE_DEC_SHORT,       /* cut before the end of the IP header */
	CAPTURE_DEC_BAD,         /* malformed IP header */
	CAPTURE_DEC_LINKTYPE,    /* link type not supported */
};

struct capture_ip {
	uint8_t family;          /* 4 or 6 */
	uint8_t proto;           /* transport protocol (after IPv6
				    extension headers) */
	uint8_t ttl;             /* TTL or hop limit */
	uint8_t tcp_flags;
	uint8_t src[16];         /* network order; IPv4 in the first 4 */
	uint8_t dst[16];
	uint32_t l3_off;         /* IP header offset in the frame */
	uint32_t l3_hlen;        /* IPv4 header length */
	bool frag;               /* a fragment */
	bool frag_first;         /* the fragment at offset 0 */
	uint32_t ip_id;          /* IPv4 id or IPv6 fragment id */
	bool l4_ok;              /* transport header captured: ports (and
				    TCP flags) are valid */
	bool cut;                /* the frame was cut by the snapshot
				    length inside the IP packet */
	uint16_t sport;
	uint16_t dport;
	uint32_t l4_len;         /* transport bytes on the wire */
	uint32_t payload_len;    /* transport payload on the wire (of the
				    whole datagram for a first UDP
				    fragment) */
	uint32_t payload_off;    /* in the frame */
	uint32_t payload_cap;    /* payload bytes captured */
};

/*
 * Finds the IP header behind the link layer (Ethernet with any number of
 * 802.1Q/802.1ad tags, Linux SLL and SLL2, raw IP, BSD loopback), then the
 * transport header behind IPv6 extension headers.  Never reads beyond
 * caplen; lengths on the wire come from the IP headers.
 */
enum capture_dec capture_dissect(const uint8_t *data, uint32_t caplen,
    uint32_t len, uint32_t linktype, struct capture_ip *ip);

/* Internet checksum of an IPv4 header (0 when the stored one is right). */
uint16_t capture_ip4_csum(const uint8_t *hdr, uint32_t hlen);

#endif
