/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosr untaint: clears the IPv4 reserved flag (the taint fosr puts on the
 * packets it generates) and recomputes the IPv4 header checksum of every
 * packet that has it.  Every other byte of the file is copied as it is:
 * file header, record headers, pcapng blocks, frames that are not IPv4.
 * The input is read once, in one pass with bounded memory, and the output
 * is written under a temporary name and renamed at the end; on any error
 * the temporary file is removed and the output is left untouched.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "cmd.h"

struct ut_counts {
	uint64_t pkts;
	uint64_t cleared;
	uint64_t ipv4;
	uint64_t other;          /* not IPv4, or IPv4 header not captured */
};

struct ut_out {
	const char *path;
	char *tmp;
	FILE *f;
};

static void
ut_usage(FILE *f)
{
	fprintf(f, "usage: fosr untaint -i capture -o output [-q]\n"
	    "  -i, --input FILE   pcap or pcapng capture to read\n"
	    "  -o, --output FILE  where to write the untainted copy (may be "
	    "the input)\n"
	    "  -q, --quiet        no summary\n");
}

static int
ut_open(struct ut_out *o, const char *path, struct diag *d)
{
	int fd, err;

	o->path = path;
	if (asprintf(&o->tmp, "%s.tmp.XXXXXX", path) < 0) {
		o->tmp = NULL;
		return diag_set(d, "%s", strerror(ENOMEM));
	}
	if ((fd = mkstemp(o->tmp)) < 0 || (o->f = fdopen(fd, "w")) == NULL) {
		err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		return diag_set(d, "%s: cannot create: %s", path,
		    strerror(err));
	}
	fchmod(fd, 0644);
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	return 0;
}

static int
ut_commit(struct ut_out *o, struct diag *d)
{
	int err = 0;

	if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
		err = errno;
	if (fclose(o->f) != 0 && err == 0)
		err = errno;
	o->f = NULL;
	if (err == 0 && rename(o->tmp, o->path) != 0)
		err = errno;
	if (err != 0) {
		unlink(o->tmp);
		diag_set(d, "%s: write error: %s", o->path, strerror(err));
	}
	free(o->tmp);
	o->tmp = NULL;
	return err ? -err : 0;
}

static void
ut_abort(struct ut_out *o)
{
	if (o->f != NULL) {
		fclose(o->f);
		unlink(o->tmp);
	}
	free(o->tmp);
}

/*
 * Writes one unit, with the IPv4 header rewritten when it carries the
 * taint.  Only the header is copied; the rest goes out from the read
 * buffer.
 */
static void
ut_unit(FILE *f, const struct capture_rec *r, struct ut_counts *n)
{
	struct capture_ip ip;
	uint8_t hdr[60];
	uint32_t at;
	uint16_t sum;

	if (!r->is_pkt) {
		fwrite(r->raw, 1, r->rawlen, f);
		return;
	}
	n->pkts++;
	if (capture_dissect(r->data, r->caplen, r->len, r->linktype,
	    &ip) != CAPTURE_DEC_IP || ip.family != 4) {
		n->other++;
		fwrite(r->raw, 1, r->rawlen, f);
		return;
	}
	n->ipv4++;
	at = (uint32_t)(r->data - r->raw) + ip.l3_off;
	if (!(r->raw[at + 6] & 0x80)) {
		fwrite(r->raw, 1, r->rawlen, f);
		return;
	}
	memcpy(hdr, r->raw + at, ip.l3_hlen);
	hdr[6] &= 0x7f;
	hdr[10] = hdr[11] = 0;
	sum = capture_ip4_csum(hdr, ip.l3_hlen);
	hdr[10] = (uint8_t)(sum >> 8);
	hdr[11] = (uint8_t)sum;
	fwrite(r->raw, 1, at, f);
	fwrite(hdr, 1, ip.l3_hlen, f);
	fwrite(r->raw + at + ip.l3_hlen, 1, r->rawlen - at - ip.l3_hlen, f);
	n->cleared++;
}

static int
ut_parse(int argc, char **argv, const char **in, const char **out,
    bool *quiet)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:o:qh", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'i':
			*in = optarg;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'q':
			*quiet = true;
			break;
		case 'h':
			ut_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "fosr: untaint: option needs a value: "
			    "%s\n", argv[optind - 1]);
			ut_usage(stderr);
			return 2;
		default:
			fprintf(stderr, "fosr: untaint: unknown option: %s\n",
			    argv[optind - 1]);
			ut_usage(stderr);
			return 2;
		}
	}
	if (*in == NULL || *out == NULL || optind != argc) {
		fprintf(stderr, "fosr: untaint: %s\n", optind != argc ?
		    "unexpected argument" : "-i and -o are required");
		ut_usage(stderr);
		return 2;
	}
	return -1;
}

int
cmd_untaint(int argc, char **argv)
{
	struct ut_counts n = { 0 };
	struct ut_out o = { 0 };
	struct capture *c = NULL;
	struct capture_rec r;
	const char *in = NULL, *out = NULL;
	bool quiet = false;
	struct diag d;
	int rc, ret = 1;

	if ((rc = ut_parse(argc, argv, &in, &out, &quiet)) >= 0)
		return rc;
	if (capture_open(&c, in, &d) < 0 || ut_open(&o, out, &d) < 0) {
		fprintf(stderr, "fosr: untaint: %s\n", d.msg);
		goto out;
	}
	while ((rc = capture_next(c, &r, &d)) == 1)
		ut_unit(o.f, &r, &n);
	if (rc < 0) {
		fprintf(stderr, "fosr: untaint: %s; %s not written\n", d.msg,
		    out);
		goto out;
	}
	if (ferror(o.f)) {
		fprintf(stderr, "fosr: untaint: %s: write error: %s\n", out,
		    strerror(errno));
		goto out;
	}
	if (ut_commit(&o, &d) < 0) {
		fprintf(stderr, "fosr: untaint: %s\n", d.msg);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "fosr: untaint: %s: %" PRIu64 " packets, %"
		    PRIu64 " IPv4, %" PRIu64 " untainted, %" PRIu64
		    " other frames left as they were\n", in, n.pkts, n.ipv4,
		    n.cleared, n.other);
	ret = 0;
out:
	ut_abort(&o);
	capture_close(c);
	return ret;
}
