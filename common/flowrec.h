/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_FLOWREC_H
#define FOSR_FLOWREC_H

/*
 * A flow record as fosr writes it to CSV: what `fosr pcap2flow` extracts
 * from a capture and what `fosr create-pcap --flows` writes as ground
 * truth, in the same format so the two can be compared line by line.
 * Addresses are stored as 16 bytes in network order; an IPv4 address
 * occupies the first 4 bytes.  The column list is documented in fosr(1).
 */

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

struct flow;

/* Why a flow record ended. */
enum flowrec_end {
	FLOWREC_END_EOF = 0,    /* still open when the input ended */
	FLOWREC_END_FIN,        /* both sides sent FIN */
	FLOWREC_END_RST,        /* a RST was seen */
	FLOWREC_END_IDLE,       /* no packet for the idle timeout */
	FLOWREC_END_ACTIVE,     /* split after the active timeout */
	FLOWREC_END_ERROR,      /* the input broke off with an error */
	FLOWREC_END_COUNT
};

/* One packet of a flow, kept only when per-packet columns are wanted. */
struct flowrec_pkt {
	uint64_t ts_ns;
	uint32_t size;           /* L4 payload bytes on the wire */
	uint32_t caplen;         /* payload bytes present in payload_off.. */
	uint32_t payload_off;    /* into flowrec.payload */
	uint8_t dir;             /* 0 client to server, 1 server to client */
	uint8_t tcp_flags;
};

struct flowrec {
	uint64_t start_ns;       /* first packet, ns since the epoch */
	uint64_t end_ns;         /* last packet */
	uint8_t family;          /* 4 or 6 */
	uint8_t proto;           /* IP protocol number */
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;    /* 0 when the protocol has no ports */
	uint16_t server_port;
	uint8_t client_ttl;      /* TTL/hop limit of the first packet */
	uint8_t server_ttl;      /* of each side, 0 if that side sent none */
	uint8_t tcp_flags;       /* OR of the flags of every packet */
	uint8_t end;             /* enum flowrec_end */
	uint8_t l7;              /* enum l7_proto, guessed from the ports */
	uint64_t pkts[2];        /* [0] client to server, [1] the reverse */
	uint64_t bytes[2];       /* L4 payload bytes, from the IP lengths */
	uint64_t frame_bytes[2]; /* original frame lengths */
	/* Per-packet data: only read when the writer was opened with it. */
	struct flowrec_pkt *pkt;
	uint32_t npkt;
	uint8_t *payload;
	uint32_t payload_len;
};

struct flowrec_writer;

/* Clears a record (per-packet pointers included). */
void flowrec_init(struct flowrec *r);
/* Stores an IPv4 address given in host byte order. */
void flowrec_set_v4(uint8_t addr[16], uint32_t ip);
/*
 * Fills the header fields of a record from a generated flow: family,
 * protocol, addresses, ports, TTLs, packet counts, application protocol
 * and start time.  Byte counts, flags, end and end time are left to the
 * caller, which knows the packets.
 */
void flowrec_from_flow(struct flowrec *r, const struct flow *f);
/* Guesses the application protocol from the protocol and ports. */
uint8_t flowrec_guess_l7(uint8_t proto, uint16_t client_port,
    uint16_t server_port);
/* "fin", "rst", ...; NULL if out of range. */
const char *flowrec_end_name(enum flowrec_end e);
/* "TCP", "UDP", "ICMP", "ICMPv6" or the decimal number, into buf. */
const char *flowrec_proto_name(uint8_t proto, char buf[4]);

/*
 * Opens a CSV writer on path ("-" is standard output) and writes the
 * header line.  A file is written under a temporary name in the same
 * folder and only renamed into place by flowrec_writer_close().  With
 * per_packet, the five per-packet list columns are added.
 */
int flowrec_writer_open(struct flowrec_writer **wp, const char *path,
    bool per_packet, struct diag *d);
/* Writes one record as one CSV line. */
int flowrec_writer_add(struct flowrec_writer *w, const struct flowrec *r,
    struct diag *d);
/* Flushes, syncs and renames into place; frees the writer in any case. */
int flowrec_writer_close(struct flowrec_writer *w, struct diag *d);
/* Removes the temporary file and frees the writer. */
void flowrec_writer_abort(struct flowrec_writer *w);

#endif
