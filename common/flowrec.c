/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Flow records and their CSV writer.  One line per flow, RFC 4180 quoting
 * (list columns are single quoted fields), a header line first.  The file
 * appears under its final name only once complete: it is written to a
 * temporary file in the same folder, synced, then renamed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow.h"
#include "flowrec.h"

struct flowrec_writer {
	FILE *f;
	char *path;              /* final name, NULL for standard output */
	char *tmp;               /* temporary name */
	bool per_packet;
};

static const char *const end_names[FLOWREC_END_COUNT] = {
	[FLOWREC_END_EOF] = "eof",
	[FLOWREC_END_FIN] = "fin",
	[FLOWREC_END_RST] = "rst",
	[FLOWREC_END_IDLE] = "idle",
	[FLOWREC_END_ACTIVE] = "active",
	[FLOWREC_END_ERROR] = "error",
};

static const char csv_header[] =
    "start,duration,protocol,client_ip,client_port,server_ip,server_port,"
    "client_ttl,server_ttl,fwd_packets,bwd_packets,fwd_bytes,bwd_bytes,"
    "fwd_frame_bytes,bwd_frame_bytes,tcp_flags,end,app";
static const char csv_header_pkt[] =
    ",directions,sizes,flags,iat_ns,payloads";

void
flowrec_init(struct flowrec *r)
{
	memset(r, 0, sizeof(*r));
}

void
flowrec_set_v4(uint8_t addr[16], uint32_t ip)
{
	memset(addr, 0, 16);
	addr[0] = ip >> 24;
	addr[1] = ip >> 16;
	addr[2] = ip >> 8;
	addr[3] = ip;
}

void
flowrec_from_flow(struct flowrec *r, const struct flow *f)
{
	flowrec_init(r);
	r->family = 4;
	r->proto = f->l4;
	flowrec_set_v4(r->client_addr, f->client_ip);
	flowrec_set_v4(r->server_addr, f->server_ip);
	if (f->l4 == L4_TCP || f->l4 == L4_UDP) {
		r->client_port = f->client_port;
		r->server_port = f->server_port;
	}
	r->client_ttl = f->ttl_client;
	r->server_ttl = f->ttl_server;
	r->pkts[0] = f->fwd_pkts;
	r->pkts[1] = f->bwd_pkts;
	r->l7 = f->l7;
	r->start_ns = f->start_ns;
	r->end_ns = f->start_ns;
}

/*
 * The server port names the service; the client port is tried second
 * because captures may start after the handshake and guess the roles
 * wrong.  DHCP clients use port 68.
 */
uint8_t
flowrec_guess_l7(uint8_t proto, uint16_t client_port, uint16_t server_port)
{
	uint16_t ports[2] = { server_port, client_port };

	if (proto != L4_TCP && proto != L4_UDP)
		return L7_NONE;
	for (int i = 0; i < 2; i++) {
		enum l7_proto p = l7_by_port(proto, ports[i]);

		if (p != L7_NONE)
			return p;
	}
	return L7_NONE;
}

const char *
flowrec_end_name(enum flowrec_end e)
{
	return (unsigned)e < FLOWREC_END_COUNT ? end_names[e] : NULL;
}

const char *
flowrec_proto_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 58:
		return "ICMPv6";
	}
	snprintf(buf, 4, "%u", proto);
	return buf;
}

int
flowrec_writer_open(struct flowrec_writer **wp, const char *path,
    bool per_packet, struct diag *d)
{
	struct flowrec_writer *w;
	int fd = -1, err;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->per_packet = per_packet;
	if (strcmp(path, "-") == 0) {
		w->f = stdout;
	} else {
		if ((w->path = strdup(path)) == NULL ||
		    asprintf(&w->tmp, "%s.tmp.XXXXXX", path) < 0) {
			w->tmp = NULL;
			err = -ENOMEM;
			goto fail;
		}
		if ((fd = mkstemp(w->tmp)) < 0 ||
		    (w->f = fdopen(fd, "w")) == NULL) {
			err = -errno;
			diag_set(d, "%s: cannot create: %s", path,
			    strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(w->tmp);
			}
			free(w->tmp);
			w->tmp = NULL;
			goto fail;
		}
		fchmod(fd, 0644);
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 16);
	fprintf(w->f, "%s%s\n", csv_header, per_packet ? csv_header_pkt : "");
	*wp = w;
	return 0;

fail:
	free(w->path);
	free(w);
	return err;
}

static void
put_addr(FILE *f, uint8_t family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	fputs(buf, f);
}

/* Flag letters from the lowest bit up: FIN SYN RST PSH ACK URG ECE CWR. */
static void
put_flags(FILE *f, uint8_t flags)
{
	static const char letters[] = "FSRPAUEC";

	for (int i = 0; i < 8; i++)
		if (flags & (1u << i))
			fputc(letters[i], f);
}

static void
put_ns(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u,
	    ns % 1000000000u);
}

/* The five list columns, each one quoted field. */
static void
put_pkt_lists(FILE *f, const struct flowrec *r)
{
	const struct flowrec_pkt *p;
	uint32_t i, j;

	fputs(",\"[", f);
	for (i = 0; i < r->npkt; i++)
		fprintf(f, "%s%c", i ? "," : "", r->pkt[i].dir ? 'B' : 'F');
	fputs("]\",\"[", f);
	for (i = 0; i < r->npkt; i++)
		fprintf(f, "%s%" PRIu32, i ? "," : "", r->pkt[i].size);
	fputs("]\",\"[", f);
	for (i = 0; i < r->npkt; i++)
		fprintf(f, "%s%u", i ? "," : "", r->pkt[i].tcp_flags);
	fputs("]\",\"[", f);
	for (i = 0; i < r->npkt; i++)
		fprintf(f, "%s%" PRId64, i ? "," : "", i == 0 ? 0 :
		    (int64_t)(r->pkt[i].ts_ns - r->pkt[i - 1].ts_ns));
	fputs("]\",\"[", f);
	for (i = 0; i < r->npkt; i++) {
		p = &r->pkt[i];
		if (i)
			fputc(',', f);
		if (r->payload == NULL ||
		    (uint64_t)p->payload_off + p->caplen > r->payload_len)
			continue;
		for (j = 0; j < p->caplen; j++)
			fprintf(f, "%02x", r->payload[p->payload_off + j]);
	}
	fputs("]\"", f);
}

int
flowrec_writer_add(struct flowrec_writer *w, const struct flowrec *r,
    struct diag *d)
{
	FILE *f = w->f;
	char pbuf[4];

	put_ns(f, r->start_ns);
	fputc(',', f);
	put_ns(f, r->end_ns >= r->start_ns ? r->end_ns - r->start_ns : 0);
	fprintf(f, ",%s,", flowrec_proto_name(r->proto, pbuf));
	put_addr(f, r->family, r->client_addr);
	fprintf(f, ",%u,", r->client_port);
	put_addr(f, r->family, r->server_addr);
	fprintf(f, ",%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
	    ",%" PRIu64 ",%" PRIu64 ",", r->server_port, r->client_ttl,
	    r->server_ttl, r->pkts[0], r->pkts[1], r->bytes[0], r->bytes[1],
	    r->frame_bytes[0], r->frame_bytes[1]);
	put_flags(f, r->tcp_flags);
	fprintf(f, ",%s,%s", flowrec_end_name(r->end) ?
	    flowrec_end_name(r->end) : "eof",
	    r->l7 != 0 && l7_key(r->l7) ? l7_key(r->l7) : "");
	if (w->per_packet)
		put_pkt_lists(f, r);
	if (fputc('\n', f) == EOF)
		return diag_set(d, "%s: write error: %s",
		    w->path ? w->path : "standard output", strerror(errno));
	return 0;
}

int
flowrec_writer_close(struct flowrec_writer *w, struct diag *d)
{
	const char *name = w->path ? w->path : "standard output";
	int err = 0;

	if (fflush(w->f) != 0 || ferror(w->f))
		err = -errno ? -errno : -EIO;
	if (err == 0 && w->path != NULL && fsync(fileno(w->f)) != 0)
		err = -errno;
	if (w->path != NULL) {
		if (fclose(w->f) != 0 && err == 0)
			err = -errno;
		if (err == 0 && rename(w->tmp, w->path) != 0)
			err = -errno;
		if (err != 0)
			unlink(w->tmp);
	}
	if (err != 0)
		diag_set(d, "%s: write error: %s", name, strerror(-err));
	free(w->tmp);
	free(w->path);
	free(w);
	return err;
}

void
flowrec_writer_abort(struct flowrec_writer *w)
{
	if (w == NULL)
		return;
	if (w->path != NULL) {
		fclose(w->f);
		unlink(w->tmp);
	} else {
		fflush(w->f);
	}
	free(w->tmp);
	free(w->path);
	free(w);
}
