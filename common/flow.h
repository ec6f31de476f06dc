/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_FLOW_H
#define FOSR_FLOW_H

/*
 * The records that travel between the stages.  A flow is born in S0 (time
 * and seed), described by S1 (hosts, ports, protocols, packet counts),
 * given packets by S2 (direction, time, flags, payload choice) and turned
 * into frames by S3.  Addresses are IPv4 in host byte order.
 */

#include <stdbool.h>
#include <stdint.h>

enum l4_proto {
	L4_ICMP = 1,
	L4_TCP = 6,
	L4_UDP = 17,
};

/* Application protocols a profile can name. */
enum l7_proto {
	L7_NONE = 0,
	L7_HTTP,
	L7_HTTPS,
	L7_SSH,
	L7_DNS,
	L7_DHCP,
	L7_SMTP,
	L7_TELNET,
	L7_IMAPS,
	L7_MQTT,
	L7_KMS,
	L7_MDNS,
	L7_NTP,
	L7_COUNT
};

/* How a TCP flow ends, as the model says. */
enum end_flags {
	END_ANY = 0,    /* not said, or not TCP */
	END_FIN,        /* FIN and no RST */
	END_RST,        /* RST seen */
	END_OPEN,       /* neither FIN nor RST: cut while open */
};

enum host_os {
	OS_LINUX = 0,
	OS_WINDOWS,
};

enum pkt_dir {
	DIR_FWD = 0,    /* client to server */
	DIR_BWD = 1,    /* server to client */
};

/* TCP flag bits as in the header. */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

struct flow {
	uint64_t id;             /* rank in the run: ties in time break on it */
	uint64_t seed;           /* seeds the next stage */
	uint64_t start_ns;       /* ns since the epoch */
	uint32_t client_ip;
	uint32_t server_ip;
	uint16_t client_port;
	uint16_t server_port;
	uint8_t l4;              /* enum l4_proto */
	uint8_t l7;              /* enum l7_proto */
	uint8_t end;             /* enum end_flags */
	uint8_t client_os;       /* enum host_os */
	uint8_t server_os;
	uint8_t ttl_client;      /* initial TTL of each side's packets */
	uint8_t ttl_server;
	uint8_t fallback;        /* S2 used the generic fallback */
	uint8_t client_mac[6];   /* MACs on the wire, per side */
	uint8_t server_mac[6];
	uint32_t fwd_pkts;       /* requested by S1, set to the truth by S2 */
	uint32_t bwd_pkts;
};

enum payload_kind {
	PAYLOAD_NONE = 0,
	PAYLOAD_BYTES,           /* bytes stored in the profile */
	PAYLOAD_RANDOM,          /* len random bytes, drawn by S3 */
};

/* One packet as S2 describes it; S3 turns it into one or more frames. */
struct pkt {
	uint64_t ts_ns;
	const uint8_t *payload;  /* PAYLOAD_BYTES: in the profile or in the S2
				  * scratch, valid until its next use */
	uint32_t len;            /* application payload bytes */
	uint8_t dir;             /* enum pkt_dir */
	uint8_t tcp_flags;       /* TCPF_* */
	uint8_t kind;            /* enum payload_kind */
	uint8_t icmp_type;
};

/* A flow with its packets; the arrays are reused from flow to flow. */
struct pkt_seq {
	struct flow flow;
	struct pkt *pkts;
	uint32_t n;
	uint32_t cap;
};

/* A built frame inside a frame buffer. */
struct frame {
	uint64_t ts_ns;
	uint32_t off;            /* into frame_buf.data */
	uint32_t len;
	uint8_t dir;             /* enum pkt_dir: which side sends it */
};

/* The frames of one flow, in time order; storage is reused. */
struct frame_buf {
	uint8_t *data;
	uint32_t len;
	uint32_t cap;
	struct frame *frames;
	uint32_t n;
	uint32_t ncap;
	uint64_t flow_id;
	uint8_t l4;
	uint8_t l7;
	/* What S3 emitted, per enum pkt_dir. */
	uint32_t dir_frames[2];
	uint64_t dir_bytes[2];   /* Ethernet frame bytes */
	uint64_t dir_payload[2]; /* application payload bytes */
	/* Input packets S3 had to change, drop or add to to keep TCP valid. */
	uint32_t repairs;
};

/* Names: "HTTPS" for display, "https" for files; NULL if out of range. */
const char *l7_name(enum l7_proto p);
const char *l7_key(enum l7_proto p);
/*
 * Parses a service name the way profiles and configurations write it:
 * case-insensitive, spaces ignored ("Multicast DNS" = "multicastdns").
 * Returns L7_NONE if unknown.
 */
enum l7_proto l7_parse(const char *s);
/* The IANA port of the service (0 if none). */
uint16_t l7_default_port(enum l7_proto p);
/*
 * The service usually found on a port: the IANA ports plus the common
 * alternatives (8080 for HTTP, 8443 for HTTPS, 587 and 465 for SMTP, 8883
 * for MQTT, 68 for DHCP clients).  L7_NONE if the port says nothing.
 */
enum l7_proto l7_by_port(enum l4_proto l4, uint16_t port);
/* "TCP", "UDP", "ICMP"; NULL for other values. */
const char *l4_name(enum l4_proto p);

#endif
