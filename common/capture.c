/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Streaming reader for pcap and pcapng files, and the frame dissector.
 *
 * libpcap 1.10 refuses pcapng files whose interfaces have different link
 * types, and it normalises what it reads (byte order, time resolution,
 * over-long records), which rules out writing a file back byte for byte.
 * So both formats are parsed here, from one read buffer: each unit (file
 * header, record or block) is checked against the bytes really present
 * before any field is used, and handed out in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"

#define PCAP_MAGIC_US   0xa1b2c3d4u
#define PCAP_MAGIC_NS   0xa1b23c4du
#define PCAP_MAGIC_KUZ  0xa1b2cd34u     /* Kuznetzov: 24-byte records */
#define NG_SHB          0x0a0d0d0au
#define NG_BOM          0x1a2b3c4du
#define NG_IDB          1u
#define NG_OPB          2u
#define NG_SPB          3u
#define NG_EPB          6u
#define NG_MAX_IFACES   4096u
#define READ_CHUNK      (1u << 20)

struct capture_iface {
	uint32_t linktype;
	uint32_t snaplen;
	uint8_t res_pow;         /* resolution: 10^-res_pow or 2^-res_pow */
	bool res_bin;
	int64_t ts_offset;       /* seconds added to every timestamp */
};

struct capture {
	char *name;
	int fd;                  /* -1 for a memory buffer */
	uint8_t *buf;            /* owned unless reading from memory */
	size_t bufcap;
	size_t start;            /* next unread byte in buf */
	size_t end;              /* end of valid bytes in buf */
	bool eof;
	uint64_t off;            /* file offset of buf[start] */
	size_t consumed;         /* length of the unit handed out last */
	enum capture_format fmt;
	bool swap;
	bool header_done;
	int err;                 /* sticky error */
	uint64_t units;
	uint64_t pkts;
	uint64_t last_ts;
	/* pcap */
	uint32_t linktype;
	uint32_t snaplen;
	bool nsec;
	uint32_t rechdr;         /* 16, or 24 for Kuznetzov files */
	/* pcapng */
	struct capture_iface *ifs;
	uint32_t nifs;
	uint32_t ifcap;
};

static uint16_t
rd16(const struct capture *c, const uint8_t *p)
{
	uint16_t v = (uint16_t)(p[0] | p[1] << 8);

	return c->swap ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint32_t
rd32(const struct capture *c, const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	return c->swap ? __builtin_bswap32(v) : v;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * Makes n bytes available at buf + start.  Returns 0 when they are, 1
 * when the file ends first (c->end - c->start bytes remain), -errno on a
 * read error.
 */
static int
fill(struct capture *c, size_t n)
{
	uint8_t *nb;
	size_t ncap;
	ssize_t got;

	while (c->end - c->start < n) {
		if (c->eof || c->fd < 0)
			return 1;
		if (c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
		}
		if (c->bufcap - c->end < READ_CHUNK / 4 ||
		    c->bufcap < n) {
			ncap = c->bufcap;
			while (ncap < n || ncap - c->end < READ_CHUNK / 4)
				ncap *= 2;
			if ((nb = realloc(c->buf, ncap)) == NULL)
				return -ENOMEM;
			c->buf = nb;
			c->bufcap = ncap;
		}
		got = read(c->fd, c->buf + c->end, c->bufcap - c->end);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			c->eof = true;
		c->end += (size_t)got;
	}
	return 0;
}

static int
fail(struct capture *c, struct diag *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct capture *c, struct diag *d, int err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_set(d, "%s: %s", c->name, msg);
	c->err = err;
	return err;
}

static const char *
unit_word(const struct capture *c)
{
	return c->fmt == CAPTURE_PCAPNG ? "block" : "record";
}

/* Reports an end of file inside a unit of need bytes. */
static int
cut_short(struct capture *c, struct diag *d, uint64_t unit, size_t need,
    const char *what)
{
	return fail(c, d, -EIO, "%s %" PRIu64 " at offset %" PRIu64
	    ": file cut short in the %s (%zu of %zu bytes)", unit_word(c),
	    unit, c->off, what, c->end - c->start, need);
}

static int
pcap_header(struct capture *c, struct diag *d)
{
	const uint8_t *p = c->buf + c->start;
	uint32_t magic = le32(p);
	uint16_t major;

	c->swap = false;
	if (magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_NS) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_KUZ)) {
		c->swap = true;
		magic = __builtin_bswap32(magic);
	}
	c->nsec = magic == PCAP_MAGIC_NS;
	c->rechdr = magic == PCAP_MAGIC_KUZ ? 24 : 16;
	if (fill(c, 24) != 0)
		return cut_short(c, d, 0, 24, "pcap file header");
	p = c->buf + c->start;
	major = rd16(c, p + 4);
	if (major != 2)
		return fail(c, d, -EINVAL, "unsupported pcap version %u.%u",
		    major, rd16(c, p + 6));
	c->snaplen = rd32(c, p + 16);
	c->linktype = rd32(c, p + 20) & 0xffff;
	c->fmt = CAPTURE_PCAP;
	return 24;
}

static int
ng_add_iface(struct capture *c, struct diag *d, uint64_t unit,
    const uint8_t *body, uint32_t blen)
{
	struct capture_iface *ifc, *n;
	uint32_t pos = 8, code, olen, hi, lo;

	if (blen < 8)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": interface description too short", unit);
	if (c->nifs >= NG_MAX_IFACES)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": more than %u interfaces", unit, NG_MAX_IFACES);
	if (c->nifs == c->ifcap) {
		c->ifcap = c->ifcap ? c->ifcap * 2 : 8;
		if ((n = realloc(c->ifs, c->ifcap * sizeof(*n))) == NULL)
			return -ENOMEM;
		c->ifs = n;
	}
	ifc = &c->ifs[c->nifs++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = rd16(c, body);
	ifc->snaplen = rd32(c, body + 4);
	ifc->res_pow = 6;
	while (pos + 4 <= blen) {
		code = rd16(c, body + pos);
		olen = rd16(c, body + pos + 2);
		if (code == 0)
			break;
		if (olen > blen - pos - 4)
			return fail(c, d, -EINVAL, "block %" PRIu64
			    ": interface option %u runs past the block",
			    unit, code);
		if (code == 9 && olen >= 1) {
			ifc->res_bin = body[pos + 4] & 0x80;
			ifc->res_pow = body[pos + 4] & 0x7f;
		} else if (code == 14 && olen >= 8) {
			/* A 64-bit value: the high word comes first only
			   in a big-endian section. */
			hi = rd32(c, body + pos + (c->swap ? 4 : 8));
			lo = rd32(c, body + pos + (c->swap ? 8 : 4));
			ifc->ts_offset = (int64_t)((uint64_t)hi << 32 | lo);
		}
		pos += 4 + ((olen + 3u) & ~3u);
	}
	return 0;
}

/* Checks that the options of a section header fit in the block. */
static int
ng_check_options(struct capture *c, struct diag *d, uint64_t unit,
    const uint8_t *opt, uint32_t olen_all)
{
	uint32_t pos = 0, code, olen;

	while (pos + 4 <= olen_all) {
		code = rd16(c, opt + pos);
		olen = rd16(c, opt + pos + 2);
		if (code == 0)
			break;
		if (olen > olen_all - pos - 4)
			return fail(c, d, -EINVAL, "block %" PRIu64
			    ": option %u of length %u runs past the block",
			    unit, code, olen);
		pos += 4 + ((olen + 3u) & ~3u);
	}
	return 0;
}

/* Converts a timestamp in interface units to ns since the epoch. */
static uint64_t
ng_ts(const struct capture_iface *ifc, uint64_t units)
{
	unsigned __int128 v = units;
	int64_t off = ifc->ts_offset;

	if (ifc->res_bin) {
		v = ifc->res_pow >= 64 ? 0 :
		    (v * 1000000000u) >> ifc->res_pow;
	} else if (ifc->res_pow <= 9) {
		for (int i = ifc->res_pow; i < 9; i++)
			v *= 10;
	} else {
		for (int i = 9; i < ifc->res_pow && v != 0; i++)
			v /= 10;
	}
	if (off > 0)
		v += (unsigned __int128)off * 1000000000u;
	else if (off < 0)
		v = v > (unsigned __int128)-off * 1000000000u ?
		    v - (unsigned __int128)-off * 1000000000u : 0;
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* Reads a section header block at the current position. */
static int
ng_shb(struct capture *c, struct diag *d, uint64_t unit, uint32_t *blen)
{
	const uint8_t *p;
	uint32_t bom, len;
	uint16_t major;

	if (fill(c, 12) != 0)
		return cut_short(c, d, unit, 12, "section header");
	p = c->buf + c->start;
	bom = le32(p + 8);
	if (bom == NG_BOM)
		c->swap = false;
	else if (bom == __builtin_bswap32(NG_BOM))
		c->swap = true;
	else
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": bad byte-order magic 0x%08x", unit, bom);
	len = rd32(c, p + 4);
	if (len < 28 || len % 4 != 0 || len > CAPTURE_MAX_UNIT)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": bad section header length %u", unit, len);
	if (fill(c, len) != 0)
		return cut_short(c, d, unit, len, "section header");
	p = c->buf + c->start;
	major = rd16(c, p + 12);
	if (major != 1)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": unsupported pcapng version %u.%u", unit, major,
		    rd16(c, p + 14));
	if (rd32(c, p + len - 4) != len)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": trailing length differs from %u", unit, len);
	if (ng_check_options(c, d, unit, p + 24, len - 28) < 0)
		return c->err;
	c->fmt = CAPTURE_PCAPNG;
	c->nifs = 0;
	*blen = len;
	return 0;
}

static int
ng_packet(struct capture *c, struct diag *d, struct capture_rec *r,
    uint32_t type, const uint8_t *body, uint32_t blen)
{
	const struct capture_iface *ifc;
	uint32_t ifx = 0, hdr;
	uint64_t units = 0;

	hdr = type == NG_SPB ? 4 : 20;
	if (blen < hdr)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": packet block too short (%u bytes)", r->unit, blen);
	if (type == NG_EPB)
		ifx = rd32(c, body);
	else if (type == NG_OPB)
		ifx = rd16(c, body);
	if (ifx >= c->nifs)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": packet on undeclared interface %u", r->unit, ifx);
	ifc = &c->ifs[ifx];
	if (type == NG_SPB) {
		r->len = rd32(c, body);
		r->caplen = r->len < blen - 4 ? r->len : blen - 4;
		if (ifc->snaplen != 0 && r->caplen > ifc->snaplen)
			r->caplen = ifc->snaplen;
		r->has_ts = false;
		r->ts_ns = c->last_ts;
	} else {
		units = (uint64_t)rd32(c, body + 4) << 32 |
		    rd32(c, body + 8);
		r->caplen = rd32(c, body + 12);
		r->len = rd32(c, body + 16);
		if (r->caplen > blen - 20)
			return fail(c, d, -EINVAL, "block %" PRIu64
			    ": captured length %u exceeds the block",
			    r->unit, r->caplen);
		r->has_ts = true;
		r->ts_ns = ng_ts(ifc, units);
		c->last_ts = r->ts_ns;
	}
	r->data = body + hdr;
	r->linktype = ifc->linktype;
	r->ifindex = ifx;
	r->is_pkt = true;
	return 0;
}

static int
ng_next(struct capture *c, struct capture_rec *r, struct diag *d)
{
	const uint8_t *p;
	uint32_t type, len;
	int rc;

	rc = fill(c, 8);
	if (rc < 0)
		return fail(c, d, rc, "read error: %s", strerror(-rc));
	if (rc == 1 && c->end == c->start)
		return 0;
	if (rc == 1)
		return cut_short(c, d, r->unit, 8, "block header");
	type = rd32(c, c->buf + c->start);
	if (type == NG_SHB) {
		if (ng_shb(c, d, r->unit, &len) < 0)
			return c->err;
		goto done;
	}
	len = rd32(c, c->buf + c->start + 4);
	if (len < 12 || len % 4 != 0 || len > CAPTURE_MAX_UNIT)
		return fail(c, d, -EINVAL, "block %" PRIu64 " at offset %"
		    PRIu64 ": absurd block length %u", r->unit, c->off, len);
	rc = fill(c, len);
	if (rc < 0)
		return fail(c, d, rc, "read error: %s", strerror(-rc));
	if (rc == 1)
		return cut_short(c, d, r->unit, len, "block");
	p = c->buf + c->start;
	if (rd32(c, p + len - 4) != len)
		return fail(c, d, -EINVAL, "block %" PRIu64
		    ": trailing length differs from %u", r->unit, len);
	if (type == NG_IDB)
		rc = ng_add_iface(c, d, r->unit, p + 8, len - 12);
	else if (type == NG_EPB || type == NG_SPB || type == NG_OPB)
		rc = ng_packet(c, d, r, type, p + 8, len - 12);
	if (rc < 0)
		return c->err ? c->err : rc;
done:
	r->raw = c->buf + c->start;
	r->rawlen = len;
	return 1;
}

static int
pcap_next(struct capture *c, struct capture_rec *r, struct diag *d)
{
	const uint8_t *p;
	uint32_t sec, frac;
	int rc;

	rc = fill(c, c->rechdr);
	if (rc < 0)
		return fail(c, d, rc, "read error: %s", strerror(-rc));
	if (rc == 1 && c->end == c->start)
		return 0;
	if (rc == 1)
		return cut_short(c, d, r->unit, c->rechdr, "record header");
	p = c->buf + c->start;
	r->caplen = rd32(c, p + 8);
	r->len = rd32(c, p + 12);
	if (r->caplen > CAPTURE_MAX_UNIT - c->rechdr)
		return fail(c, d, -EINVAL, "record %" PRIu64 " at offset %"
		    PRIu64 ": absurd captured length %u", r->unit, c->off,
		    r->caplen);
	rc = fill(c, c->rechdr + r->caplen);
	if (rc < 0)
		return fail(c, d, rc, "read error: %s", strerror(-rc));
	if (rc == 1)
		return cut_short(c, d, r->unit, c->rechdr + r->caplen,
		    "packet data");
	p = c->buf + c->start;
	sec = rd32(c, p);
	frac = rd32(c, p + 4);
	/* Seconds are unsigned: 2038 and later stay in the future. */
	r->ts_ns = (uint64_t)sec * 1000000000u +
	    (c->nsec ? frac : (uint64_t)frac * 1000u);
	r->has_ts = true;
	r->ts_bad = frac >= (c->nsec ? 1000000000u : 1000000u);
	r->raw = p;
	r->rawlen = c->rechdr + r->caplen;
	r->data = p + c->rechdr;
	r->linktype = c->linktype;
	r->ifindex = 0;
	r->is_pkt = true;
	return 1;
}

/* Reads the first bytes and decides the format. */
static int
first_unit(struct capture *c, struct capture_rec *r, struct diag *d)
{
	uint32_t magic, len;
	int rc;

	rc = fill(c, 4);
	if (rc < 0)
		return fail(c, d, rc, "read error: %s", strerror(-rc));
	if (rc == 1 && c->end == c->start)
		return fail(c, d, -EINVAL, "empty file, not a capture");
	if (rc == 1)
		return fail(c, d, -EINVAL, "not a capture file (%zu bytes)",
		    c->end - c->start);
	magic = le32(c->buf + c->start);
	c->header_done = true;
	if (magic == NG_SHB) {
		c->fmt = CAPTURE_PCAPNG;
		r->unit = ++c->units;
		if (ng_shb(c, d, r->unit, &len) < 0)
			return c->err;
		r->raw = c->buf + c->start;
		r->rawlen = len;
		return 1;
	}
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS &&
	    magic != PCAP_MAGIC_KUZ &&
	    magic != __builtin_bswap32(PCAP_MAGIC_US) &&
	    magic != __builtin_bswap32(PCAP_MAGIC_NS) &&
	    magic != __builtin_bswap32(PCAP_MAGIC_KUZ))
		return fail(c, d, -EINVAL, "not a pcap or pcapng file "
		    "(magic 0x%08x)", __builtin_bswap32(magic));
	c->fmt = CAPTURE_PCAP;
	if ((rc = pcap_header(c, d)) < 0)
		return rc;
	r->unit = 0;
	r->raw = c->buf + c->start;
	r->rawlen = 24;
	return 1;
}

int
capture_next(struct capture *c, struct capture_rec *r, struct diag *d)
{
	int rc;

	if (c->err != 0)
		return fail(c, d, c->err, "read after an error");
	c->start += c->consumed;
	c->off += c->consumed;
	c->consumed = 0;
	memset(r, 0, sizeof(*r));
	r->offset = c->off;
	if (!c->header_done) {
		rc = first_unit(c, r, d);
	} else if (c->fmt == CAPTURE_PCAPNG) {
		r->unit = ++c->units;
		rc = ng_next(c, r, d);
	} else {
		r->unit = ++c->units;
		rc = pcap_next(c, r, d);
	}
	if (rc <= 0)
		return rc;
	if (r->is_pkt)
		r->pkt = ++c->pkts;
	c->consumed = r->rawlen;
	return 1;
}

static struct capture *
capture_new(const char *name)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->name = strdup(name)) == NULL) {
		free(c);
		return NULL;
	}
	c->fd = -1;
	return c;
}

int
capture_open(struct capture **cp, const char *path, struct diag *d)
{
	struct capture *c;
	int err;

	*cp = NULL;
	if ((c = capture_new(path)) == NULL)
		return -ENOMEM;
	if ((c->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = -errno;
		diag_set(d, "%s: cannot open: %s", path, strerror(errno));
		capture_close(c);
		return err;
	}
	posix_fadvise(c->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	c->bufcap = READ_CHUNK;
	if ((c->buf = malloc(c->bufcap)) == NULL) {
		capture_close(c);
		return -ENOMEM;
	}
	*cp = c;
	return 0;
}

int
capture_open_mem(struct capture **cp, const void *buf, size_t len,
    const char *name, struct diag *d)
{
	struct capture *c;

	*cp = NULL;
	if ((c = capture_new(name)) == NULL)
		return -ENOMEM;
	c->buf = (uint8_t *)buf;
	c->bufcap = len;
	c->end = len;
	c->eof = true;
	*cp = c;
	return 0;
}

enum capture_format
capture_get_format(const struct capture *c)
{
	return c->fmt;
}

const char *
capture_name(const struct capture *c)
{
	return c->name;
}

void
capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0) {
		close(c->fd);
		free(c->buf);
	}
	free(c->ifs);
	free(c->name);
	free(c);
}

/* The dissector. */

static bool
is_v6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 135 ||
	    nh == 139 || nh == 140;
}

static void
transport(const uint8_t *data, uint32_t caplen, struct capture_ip *ip,
    uint32_t off, uint32_t wire)
{
	uint32_t hl;

	ip->l4_len = wire;
	if (ip->frag && !ip->frag_first)
		return;
	switch (ip->proto) {
	case 6:
		if (off + 14 > caplen)
			return;
		hl = (uint32_t)(data[off + 12] >> 4) * 4;
		if (hl < 20)
			hl = 20;
		ip->tcp_flags = data[off + 13];
		break;
	case 17:
		if (off + 4 > caplen)
			return;
		hl = 8;
		break;
	case 1:
	case 58:
		if (off + 2 > caplen)
			return;
		hl = 8;
		break;
	default:
		return;
	}
	ip->l4_ok = true;
	if (ip->proto == 6 || ip->proto == 17) {
		ip->sport = be16(data + off);
		ip->dport = be16(data + off + 2);
	}
	ip->payload_off = off + hl;
	ip->payload_len = wire > hl ? wire - hl : 0;
	/* A first fragment: the UDP length covers the whole datagram. */
	if (ip->frag && ip->proto == 17 && off + 6 <= caplen &&
	    be16(data + off + 4) >= 8)
		ip->payload_len = be16(data + off + 4) - 8u;
	if (ip->payload_off < caplen) {
		ip->payload_cap = caplen - ip->payload_off;
		if (ip->payload_cap > ip->payload_len)
			ip->payload_cap = ip->payload_len;
	}
}

static enum capture_dec
dissect_ip4(const uint8_t *data, uint32_t caplen, uint32_t len,
    uint32_t off, struct capture_ip *ip)
{
	const uint8_t *h = data + off;
	uint32_t hl, tot, fo;

	if (off + 20 > caplen)
		return CAPTURE_DEC_SHORT;
	if (h[0] >> 4 != 4)
		return CAPTURE_DEC_BAD;
	hl = (uint32_t)(h[0] & 0xf) * 4;
	if (hl < 20)
		return CAPTURE_DEC_BAD;
	if (off + hl > caplen)
		return CAPTURE_DEC_SHORT;
	tot = be16(h + 2);
	/* Segmentation offload leaves 0 there: trust the frame length. */
	if (tot == 0 || tot > len - off)
		tot = len - off;
	if (tot < hl)
		return CAPTURE_DEC_BAD;
	ip->family = 4;
	ip->l3_off = off;
	ip->l3_hlen = hl;
	ip->ttl = h[8];
	ip->proto = h[9];
	memcpy(ip->src, h + 12, 4);
	memcpy(ip->dst, h + 16, 4);
	ip->ip_id = be16(h + 4);
	fo = be16(h + 6);
	ip->frag = (fo & 0x3fff) != 0;
	ip->frag_first = (fo & 0x1fff) == 0;
	ip->cut = off + tot > caplen;
	transport(data, caplen, ip, off + hl, tot - hl);
	return CAPTURE_DEC_IP;
}

static enum capture_dec
dissect_ip6(const uint8_t *data, uint32_t caplen, uint32_t len,
    uint32_t off, struct capture_ip *ip)
{
	const uint8_t *h = data + off;
	uint32_t plen, pos, el;
	uint8_t nh;

	if (off + 40 > caplen)
		return CAPTURE_DEC_SHORT;
	if (h[0] >> 4 != 6)
		return CAPTURE_DEC_BAD;
	plen = be16(h + 4);
	if (plen == 0 || plen > len - off - 40)
		plen = len - off - 40;
	ip->family = 6;
	ip->l3_off = off;
	ip->ttl = h[7];
	memcpy(ip->src, h + 8, 16);
	memcpy(ip->dst, h + 24, 16);
	ip->cut = off + 40 + plen > caplen;
	nh = h[6];
	pos = off + 40;
	ip->frag_first = true;
	while (is_v6_ext(nh) || nh == 44) {
		if (pos + 8 > caplen || pos + 8 > off + 40 + plen) {
			ip->proto = nh;
			ip->l4_len = 0;
			return CAPTURE_DEC_IP;
		}
		if (nh == 44) {
			ip->frag = true;
			ip->frag_first = (be16(data + pos + 2) & 0xfff8) == 0;
			ip->ip_id = (uint32_t)be16(data + pos + 4) << 16 |
			    be16(data + pos + 6);
			el = 8;
		} else if (nh == 51) {
			el = ((uint32_t)data[pos + 1] + 2) * 4;
		} else {
			el = ((uint32_t)data[pos + 1] + 1) * 8;
		}
		nh = data[pos];
		pos += el;
	}
	ip->proto = nh;
	if (pos > off + 40 + plen)
		return CAPTURE_DEC_BAD;
	transport(data, caplen, ip, pos, off + 40 + plen - pos);
	return CAPTURE_DEC_IP;
}

static enum capture_dec
by_ethertype(const uint8_t *data, uint32_t caplen, uint32_t len,
    uint32_t off, uint16_t et, struct capture_ip *ip)
{
	uint16_t ppp;

	/* PPPoE session: 6-byte header, then the PPP protocol number. */
	if (et == 0x8864) {
		if (off + 8 > caplen)
			return CAPTURE_DEC_SHORT;
		ppp = be16(data + off + 6);
		off += 8;
		et = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
	}
	if (et == 0x0800)
		return dissect_ip4(data, caplen, len, off, ip);
	if (et == 0x86dd)
		return dissect_ip6(data, caplen, len, off, ip);
	return CAPTURE_DEC_NONIP;
}

static enum capture_dec
by_version(const uint8_t *data, uint32_t caplen, uint32_t len,
    uint32_t off, struct capture_ip *ip)
{
	if (off >= caplen)
		return CAPTURE_DEC_SHORT;
	if (data[off] >> 4 == 4)
		return dissect_ip4(data, caplen, len, off, ip);
	if (data[off] >> 4 == 6)
		return dissect_ip6(data, caplen, len, off, ip);
	return CAPTURE_DEC_NONIP;
}

/* BSD address families of IPv6 differ between systems. */
static enum capture_dec
by_af(const uint8_t *data, uint32_t caplen, uint32_t len, uint32_t af,
    struct capture_ip *ip)
{
	if (af == 2)
		return dissect_ip4(data, caplen, len, 4, ip);
	if (af == 24 || af == 28 || af == 30 || af == 10)
		return dissect_ip6(data, caplen, len, 4, ip);
	/* Some systems store an Ethernet type in the low half instead. */
	if ((af & 0xffff) == 0x0800 || (af & 0xffff) == 0x86dd)
		return by_ethertype(data, caplen, len, 4, af & 0xffff, ip);
	return CAPTURE_DEC_NONIP;
}

static enum capture_dec
dissect_ether(const uint8_t *data, uint32_t caplen, uint32_t len,
    struct capture_ip *ip)
{
	uint32_t off = 12;
	uint16_t et;

	if (caplen < 14)
		return CAPTURE_DEC_SHORT;
	et = be16(data + off);
	while (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
		off += 4;
		if (off + 2 > caplen)
			return CAPTURE_DEC_SHORT;
		et = be16(data + off);
	}
	return by_ethertype(data, caplen, len, off + 2, et, ip);
}

enum capture_dec
capture_dissect(const uint8_t *data, uint32_t caplen, uint32_t len,
    uint32_t linktype, struct capture_ip *ip)
{
	uint32_t af;

	memset(ip, 0, sizeof(*ip));
	if (len < caplen)
		len = caplen;
	switch (linktype) {
	case CAPTURE_LT_EN10MB:
		return dissect_ether(data, caplen, len, ip);
	case CAPTURE_LT_RAW:
	case CAPTURE_LT_RAW_OLD:
	case CAPTURE_LT_RAW_OLD2:
	case CAPTURE_LT_IPV4:
	case CAPTURE_LT_IPV6:
		return by_version(data, caplen, len, 0, ip);
	case CAPTURE_LT_NULL:
	case CAPTURE_LT_LOOP:
		if (caplen < 4)
			return CAPTURE_DEC_SHORT;
		af = le32(data);
		/* NULL is in the capturing host's order, LOOP in network. */
		if (linktype == CAPTURE_LT_LOOP || af > 0xffff)
			af = __builtin_bswap32(af);
		return by_af(data, caplen, len, af, ip);
	case CAPTURE_LT_LINUX_SLL:
		if (caplen < 16)
			return CAPTURE_DEC_SHORT;
		return by_ethertype(data, caplen, len, 16, be16(data + 14),
		    ip);
	case CAPTURE_LT_LINUX_SLL2:
		if (caplen < 20)
			return CAPTURE_DEC_SHORT;
		return by_ethertype(data, caplen, len, 20, be16(data), ip);
	}
	return CAPTURE_DEC_LINKTYPE;
}

uint16_t
capture_ip4_csum(const uint8_t *hdr, uint32_t hlen)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < hlen; i += 2)
		sum += (uint32_t)hdr[i] << 8 | hdr[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
