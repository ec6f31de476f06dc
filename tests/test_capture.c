/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The capture reader against libpcap on every corpus file libpcap can
 * read (same timestamps, lengths and bytes), the files it cannot read
 * (pcapng with mixed link types), broken files (messages naming the file
 * and the unit), byte-exact reassembly of the units, and the dissector on
 * built frames of every supported link type.
 */
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "tap.h"

static char corpus[4096];

struct result {
	int rc;                  /* last return of capture_next */
	uint64_t pkts;
	uint64_t bytes;          /* sum of rawlen */
	uint64_t first_ts;
	uint64_t last_ts;
	uint32_t linkmask;       /* bit per link type below 32 */
	uint32_t ts_bad;
	bool sll2;
	struct diag d;
};

static void
read_all(const char *path, struct result *res)
{
	struct capture *c;
	struct capture_rec r;

	memset(res, 0, sizeof(*res));
	res->rc = capture_open(&c, path, &res->d);
	if (res->rc < 0)
		return;
	while ((res->rc = capture_next(c, &r, &res->d)) == 1) {
		res->bytes += r.rawlen;
		if (!r.is_pkt)
			continue;
		if (res->pkts++ == 0)
			res->first_ts = r.ts_ns;
		res->last_ts = r.ts_ns;
		res->ts_bad += r.ts_bad;
		if (r.linktype < 32)
			res->linkmask |= 1u << r.linktype;
		if (r.linktype == CAPTURE_LT_LINUX_SLL2)
			res->sll2 = true;
	}
	capture_close(c);
}

static char *
corpus_file(const char *name)
{
	static char path[4400];

	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	return path;
}

/*
 * Walks one file with both readers.  Returns the number of packets both
 * agreed on, or -1 when libpcap cannot open it.
 */
static long
compare_with_libpcap(const char *path, bool *diverged, bool *clean)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct capture *c;
	struct capture_rec r;
	struct diag d;
	pcap_t *p;
	long n = 0;
	int prc, rc;
	bool ts_ok;

	*diverged = false;
	*clean = false;
	p = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (p == NULL)
		return -1;
	if (capture_open(&c, path, &d) < 0) {
		pcap_close(p);
		*diverged = true;
		return 0;
	}
	while ((prc = pcap_next_ex(p, &h, &data)) == 1) {
		while ((rc = capture_next(c, &r, &d)) == 1 && !r.is_pkt)
			;
		/* libpcap reads seconds as signed and does not check the
		   fraction: compare timestamps only where both are sane. */
		ts_ok = h->ts.tv_sec < 0 || r.ts_bad ||
		    r.ts_ns == (uint64_t)h->ts.tv_sec * 1000000000u +
		    (uint64_t)h->ts.tv_usec;
		if (rc != 1 || r.caplen != h->caplen || r.len != h->len ||
		    memcmp(r.data, data, h->caplen) != 0 || !ts_ok) {
			fprintf(stderr, "%s: packet %ld differs (rc %d: %s)\n",
			    path, n + 1, rc, rc < 0 ? d.msg : "");
			*diverged = true;
			break;
		}
		n++;
	}
	*clean = prc == -2;   /* -2: end of file */
	capture_close(c);
	pcap_close(p);
	return n;
}

static void
test_corpus_vs_libpcap(void)
{
	struct dirent *e;
	struct result res;
	char path[4400];
	int files = 0, compared = 0, refused = 0;
	bool diverged, clean;
	long n;
	DIR *dir;

	dir = opendir(corpus);
	CHECK(dir != NULL);
	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		if (strstr(e->d_name, ".pcap") == NULL &&
		    strstr(e->d_name, ".cap") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus, e->d_name);
		files++;
		n = compare_with_libpcap(path, &diverged, &clean);
		CHECK(!diverged);
		read_all(path, &res);
		if (n < 0) {
			refused++;
			continue;
		}
		compared++;
		/* Where libpcap reads the whole file, so do we, and the
		   units add up to the file. */
		if (res.rc == 0 && clean) {
			struct stat st;

			CHECK_EQ_I(stat(path, &st), 0);
			CHECK_EQ_U(res.bytes, st.st_size);
			CHECK_EQ_U(res.pkts, n);
		}
	}
	closedir(dir);
	printf("%d files, %d compared with libpcap, %d refused by it\n",
	    files, compared, refused);
	CHECK(files >= 70);
	CHECK(compared >= 55);
}

static void
test_corpus_facts(void)
{
	struct result res;

	/* pcapng with Ethernet, NULL and raw IP interfaces mixed. */
	read_all(corpus_file("ppp-many_interfaces-1.pcapng"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 64);
	CHECK_EQ_U(res.linkmask, 1u << 0 | 1u << 1);
	read_all(corpus_file("gopacket-le-test100.pcapng"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 5);
	read_all(corpus_file("gopacket-le-test202.pcapng"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 8);
	read_all(corpus_file("gopacket-be-test008.pcapng"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 4);

	/* Interfaces with ns and µs resolution in one file. */
	read_all(corpus_file("zeek-pcapng-multi-interface.pcapng"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 6);
	CHECK_EQ_U(res.first_ts, 1767663089500330493ull);
	CHECK_EQ_U(res.last_ts, 1767663437140942000ull);

	read_all(corpus_file("ppp-nanosecs_big_endian.pcap"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.first_ts, 1766361926167647291ull);
	read_all(corpus_file("tcpdump-time_2038_overflow.pcap"), &res);
	CHECK_EQ_U(res.first_ts, 2147483648ull * 1000000000u);
	read_all(corpus_file("tcpdump-timestamp_invalid_micro.pcap"), &res);
	CHECK_EQ_U(res.ts_bad, 2);
	read_all(corpus_file("ppp-sll2.pcap"), &res);
	CHECK(res.sll2);
	read_all(corpus_file("ppp-gtpv2.pcap"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 6);
	read_all(corpus_file("tcpdump-empty.pcapng"), &res);
	CHECK_EQ_I(res.rc, 0);
	CHECK_EQ_U(res.pkts, 0);
}

static void
test_broken_files(void)
{
	struct result res;
	FILE *f;
	static const uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0 };
	static const uint8_t rec[16] = { 1, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0xff, 0x7f, 0x40, 0, 0, 0 };

	read_all(corpus_file("dpkt-truncated_dns_2.pcap"), &res);
	CHECK(res.rc < 0);
	CHECK_EQ_U(res.pkts, 1);
	CHECK(strstr(res.d.msg, "dpkt-truncated_dns_2.pcap: record 2 ") !=
	    NULL);
	CHECK(strstr(res.d.msg, "cut short") != NULL);

	read_all(corpus_file("libpcap-pcapng-invalid-vers-1.pcapng"), &res);
	CHECK(res.rc < 0);
	CHECK(strstr(res.d.msg, "invalid-vers-1.pcapng: block 1: "
	    "unsupported pcapng version 0.1") != NULL);
	read_all(corpus_file("libpcap-shb-option-too-long.pcapng"), &res);
	CHECK(res.rc < 0);
	CHECK(strstr(res.d.msg, "too-long.pcapng: block 1: trailing length "
	    "differs from 52") != NULL);

	f = fopen("empty", "w");
	fclose(f);
	read_all("empty", &res);
	CHECK(res.rc < 0);
	CHECK_STR(res.d.msg, "empty: empty file, not a capture");

	f = fopen("text", "w");
	fputs("hello, world\n", f);
	fclose(f);
	read_all("text", &res);
	CHECK(res.rc < 0);
	CHECK_STR(res.d.msg, "text: not a pcap or pcapng file "
	    "(magic 0x68656c6c)");

	f = fopen("absurd", "w");
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(rec, 1, sizeof(rec), f);
	fclose(f);
	read_all("absurd", &res);
	CHECK(res.rc < 0);
	CHECK_STR(res.d.msg, "absurd: record 1 at offset 24: absurd "
	    "captured length 2147483647");

	read_all("no-such-file", &res);
	CHECK_EQ_I(res.rc, -ENOENT);
	CHECK(strstr(res.d.msg, "no-such-file: cannot open") != NULL);
}

static void
test_dissect(void)
{
	struct capture_ip ip;
	uint8_t f[128];
	/* IPv4 header, TCP to port 80 with SYN, 4 bytes of payload. */
	static const uint8_t ip4[] = { 0x45, 0, 0, 44, 0, 1, 0x80, 0, 64, 6,
		0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	static const uint8_t tcp[] = { 0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0,
		0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, 'a', 'b', 'c', 'd' };

	/* QinQ Ethernet. */
	memset(f, 0, sizeof(f));
	f[12] = 0x88; f[13] = 0xa8; f[16] = 0x81; f[17] = 0x00;
	f[20] = 0x08; f[21] = 0x00;
	memcpy(f + 22, ip4, sizeof(ip4));
	memcpy(f + 42, tcp, sizeof(tcp));
	CHECK_EQ_I(capture_dissect(f, 66, 66, CAPTURE_LT_EN10MB, &ip),
	    CAPTURE_DEC_IP);
	CHECK_EQ_U(ip.family, 4);
	CHECK_EQ_U(ip.l3_off, 22);
	CHECK_EQ_U(ip.proto, 6);
	CHECK_EQ_U(ip.sport, 12345);
	CHECK_EQ_U(ip.dport, 80);
	CHECK_EQ_U(ip.tcp_flags, 2);
	CHECK_EQ_U(ip.payload_len, 4);
	CHECK_EQ_U(ip.payload_cap, 4);
	CHECK_EQ_U(ip.ttl, 64);
	CHECK(!ip.frag && !ip.cut);
	/* Cut inside the TCP header: IP is there, ports are not trusted. */
	CHECK_EQ_I(capture_dissect(f, 50, 66, CAPTURE_LT_EN10MB, &ip),
	    CAPTURE_DEC_IP);
	CHECK(!ip.l4_ok && ip.cut);
	CHECK_EQ_U(ip.l4_len, 24);
	CHECK_EQ_I(capture_dissect(f, 30, 66, CAPTURE_LT_EN10MB, &ip),
	    CAPTURE_DEC_SHORT);
	f[21] = 0x06;
	CHECK_EQ_I(capture_dissect(f, 66, 66, CAPTURE_LT_EN10MB, &ip),
	    CAPTURE_DEC_NONIP);

	/* SLL2: protocol first, 20-byte header. */
	memset(f, 0, sizeof(f));
	f[0] = 0x08;
	memcpy(f + 20, ip4, sizeof(ip4));
	memcpy(f + 40, tcp, sizeof(tcp));
	CHECK_EQ_I(capture_dissect(f, 64, 64, CAPTURE_LT_LINUX_SLL2, &ip),
	    CAPTURE_DEC_IP);
	CHECK_EQ_U(ip.dport, 80);

	/* BSD loopback in either byte order, raw IP. */
	memset(f, 0, sizeof(f));
	f[0] = 2;
	memcpy(f + 4, ip4, sizeof(ip4));
	memcpy(f + 24, tcp, sizeof(tcp));
	CHECK_EQ_I(capture_dissect(f, 48, 48, CAPTURE_LT_NULL, &ip),
	    CAPTURE_DEC_IP);
	f[0] = 0;
	f[3] = 2;
	CHECK_EQ_I(capture_dissect(f, 48, 48, CAPTURE_LT_NULL, &ip),
	    CAPTURE_DEC_IP);
	CHECK_EQ_I(capture_dissect(f, 48, 48, CAPTURE_LT_LOOP, &ip),
	    CAPTURE_DEC_IP);
	CHECK_EQ_I(capture_dissect(f + 4, 44, 44, CAPTURE_LT_RAW, &ip),
	    CAPTURE_DEC_IP);
	CHECK_EQ_I(capture_dissect(f + 4, 44, 44, 147, &ip),
	    CAPTURE_DEC_LINKTYPE);

	/* A non-first IPv4 fragment carries no ports. */
	memcpy(f, ip4, sizeof(ip4));
	f[6] = 0x00;
	f[7] = 0x10;
	CHECK_EQ_I(capture_dissect(f, 44, 44, CAPTURE_LT_RAW, &ip),
	    CAPTURE_DEC_IP);
	CHECK(ip.frag && !ip.frag_first && !ip.l4_ok);

	/* IPv6 with hop-by-hop, then a first fragment, then UDP. */
	memset(f, 0, sizeof(f));
	f[0] = 0x60;
	f[5] = 8 + 8 + 12;
	f[6] = 0;
	f[7] = 63;
	f[40] = 44;
	f[48] = 17;
	f[51] = 1;                    /* offset 0, more fragments */
	f[56] = 0x13; f[57] = 0x88; f[58] = 0; f[59] = 53;
	CHECK_EQ_I(capture_dissect(f, 68, 68, CAPTURE_LT_RAW, &ip),
	    CAPTURE_DEC_IP);
	CHECK_EQ_U(ip.family, 6);
	CHECK_EQ_U(ip.proto, 17);
	CHECK(ip.frag && ip.frag_first && ip.l4_ok);
	CHECK_EQ_U(ip.dport, 53);
	CHECK_EQ_U(ip.payload_len, 4);
	CHECK_EQ_U(ip.ttl, 63);

	/* Checksum of a known header (RFC 1071 example style). */
	memcpy(f, ip4, sizeof(ip4));
	f[6] = 0;
	f[10] = 0;
	f[11] = 0;
	{
		uint16_t s = capture_ip4_csum(f, 20);

		f[10] = s >> 8;
		f[11] = s & 0xff;
		CHECK_EQ_U(capture_ip4_csum(f, 20), 0);
	}
}

/*
 * Helper for t_untaint.sh: writes a copy of a capture with the reserved
 * bit set on every IPv4 packet and the header checksum recomputed, the
 * way fosr taints what it generates.
 */
static int
taint_file(const char *in, const char *out)
{
	struct capture *c;
	struct capture_rec r;
	struct capture_ip ip;
	struct diag d;
	uint8_t *u;
	uint32_t at;
	uint16_t s;
	long n = 0;
	FILE *f;
	int rc;

	if (capture_open(&c, in, &d) < 0 || (f = fopen(out, "w")) == NULL) {
		fprintf(stderr, "taint: %s\n", d.msg);
		return 1;
	}
	while ((rc = capture_next(c, &r, &d)) == 1) {
		u = (uint8_t *)r.raw;
		if (r.is_pkt && capture_dissect(r.data, r.caplen, r.len,
		    r.linktype, &ip) == CAPTURE_DEC_IP && ip.family == 4) {
			at = (uint32_t)(r.data - r.raw) + ip.l3_off;
			u[at + 6] |= 0x80;
			u[at + 10] = u[at + 11] = 0;
			s = capture_ip4_csum(u + at, ip.l3_hlen);
			u[at + 10] = s >> 8;
			u[at + 11] = s & 0xff;
			n++;
		}
		fwrite(r.raw, 1, r.rawlen, f);
	}
	capture_close(c);
	fclose(f);
	printf("%ld\n", n);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--taint") == 0)
		return taint_file(argv[2], argv[3]);
	snprintf(corpus, sizeof(corpus), "%s/corpus", tap_shared());
	test_corpus_vs_libpcap();
	test_corpus_facts();
	test_broken_files();
	test_dissect();
	return tap_done();
}
