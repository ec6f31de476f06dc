/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Output sinks.  The pcap sink writes the classic format with microsecond
 * timestamps through a large stdio buffer.  A file is written under a
 * ".part" name and renamed when it is complete, so a reader that sees
 * NAME.pcap always sees a whole file; rotation happens between two frames
 * and never splits or repeats one.  Counters are updated by the sink
 * thread only and read by the control thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sink.h"

#define SINK_BUF (1 << 20)
#define SINK_SNAPLEN 65535

struct sink {
	struct sink_params p;
	char *dir;
	char *prefix;
	struct sink_counters c;
	FILE *f;
	char *buf;
	char path[4096];
	char part[4200];
	unsigned seq;
	uint64_t file_bytes;
	uint64_t file_frames;
	uint64_t file_start_ns;
};

static void
sink_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static void
sink_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);       /* pcap is written in host byte order */
}

static int
sink_file_open(struct sink *s, uint64_t ts_ns, struct diag *d)
{
	uint8_t hdr[24] = { 0 };
	time_t t = ts_ns / 1000000000ULL;
	struct tm tm;
	char stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(s->path, sizeof(s->path), "%s/%s-%s-%04u.pcap", s->dir,
	    s->prefix, stamp, s->seq++);
	snprintf(s->part, sizeof(s->part), "%s.part", s->path);
	if ((s->f = fopen(s->part, "wxe")) == NULL) {
		diag_set(d, "%s: %s", s->part, strerror(errno));
		return -errno;
	}
	setvbuf(s->f, s->buf, _IOFBF, SINK_BUF);
	sink_put32(hdr, 0xa1b2c3d4);
	hdr[4] = 2;
	hdr[6] = 4;
	sink_put32(hdr + 16, SINK_SNAPLEN);
	sink_put32(hdr + 20, 1);        /* Ethernet */
	if (fwrite(hdr, sizeof(hdr), 1, s->f) != 1) {
		diag_set(d, "%s: %s", s->part, strerror(errno));
		return -EIO;
	}
	s->file_bytes = sizeof(hdr);
	s->file_frames = 0;
	s->file_start_ns = ts_ns;
	return 0;
}

/* Flushes, closes and renames the current file. */
static int
sink_file_close(struct sink *s)
{
	int rc = 0;

	if (s->f == NULL)
		return 0;
	if (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0)
		rc = -errno;
	if (fclose(s->f) != 0 && rc == 0)
		rc = -errno;
	s->f = NULL;
	if (rc == 0 && rename(s->part, s->path) != 0)
		rc = -errno;
	if (rc < 0) {
		log_warnx("sink: %s: %s", s->part, strerror(-rc));
		sink_count(&s->c.errors, 1);
		return rc;
	}
	sink_count(&s->c.files, 1);
	log_info("sink: closed %s (%llu frames)", s->path,
	    (unsigned long long)s->file_frames);
	return 0;
}

struct sink *
sink_open(const struct sink_params *p, struct diag *d)
{
	struct sink *s;
	struct timespec now;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		diag_set(d, "sink: out of memory");
		return NULL;
	}
	s->p = *p;
	if (p->kind == SINK_DISCARD)
		return s;
	s->dir = strdup(p->dir);
	s->prefix = strdup(p->prefix ? p->prefix : "fosrd");
	s->buf = malloc(SINK_BUF);
	if (s->dir == NULL || s->prefix == NULL || s->buf == NULL) {
		diag_set(d, "sink: out of memory");
		goto fail;
	}
	s->p.dir = s->dir;
	s->p.prefix = s->prefix;
	clock_gettime(CLOCK_REALTIME, &now);
	if (sink_file_open(s, now.tv_sec * 1000000000ULL + now.tv_nsec, d) < 0)
		goto fail;
	return s;
fail:
	if (s->f != NULL) {
		fclose(s->f);
		unlink(s->part);
	}
	free(s->buf);
	free(s->prefix);
	free(s->dir);
	free(s);
	return NULL;
}

static int
sink_rotate(struct sink *s, uint64_t ts_ns)
{
	struct diag d;
	int rc;

	if ((rc = sink_file_close(s)) < 0)
		return rc;
	if ((rc = sink_file_open(s, ts_ns, &d)) < 0) {
		log_warnx("sink: %s", d.msg);
		sink_count(&s->c.errors, 1);
		return rc;
	}
	return 0;
}

static bool
sink_must_rotate(const struct sink *s, uint64_t ts_ns, uint32_t len)
{
	if (s->file_frames == 0)
		return false;
	if (s->p.rotate_bytes && s->file_bytes + 16 + len > s->p.rotate_bytes)
		return true;
	return s->p.rotate_ns && ts_ns >= s->file_start_ns + s->p.rotate_ns;
}

int
sink_write(struct sink *s, uint64_t ts_ns, const uint8_t *data,
    uint32_t len)
{
	uint8_t rec[16];
	uint32_t caplen = len > SINK_SNAPLEN ? SINK_SNAPLEN : len;
	int rc;

	if (s->p.kind == SINK_PCAP) {
		if (sink_must_rotate(s, ts_ns, len) &&
		    (rc = sink_rotate(s, ts_ns)) < 0)
			return rc;
		sink_put32(rec, ts_ns / 1000000000ULL);
		sink_put32(rec + 4, ts_ns % 1000000000ULL / 1000);
		sink_put32(rec + 8, caplen);
		sink_put32(rec + 12, len);
		if (fwrite(rec, 16, 1, s->f) != 1 ||
		    fwrite(data, caplen, 1, s->f) != 1) {
			rc = -errno;
			log_warn("sink: %s", s->part);
			sink_count(&s->c.errors, 1);
			return rc ? rc : -EIO;
		}
		s->file_bytes += 16 + caplen;
		s->file_frames++;
	}
	sink_count(&s->c.frames, 1);
	sink_count(&s->c.bytes, len);
	return 0;
}

int
sink_finish(struct sink *s)
{
	if (s->p.kind != SINK_PCAP)
		return 0;
	return sink_file_close(s);
}

int
sink_close(struct sink *s)
{
	int rc = 0;

	if (s == NULL)
		return 0;
	if (s->p.kind == SINK_PCAP)
		rc = sink_file_close(s);
	free(s->buf);
	free(s->prefix);
	free(s->dir);
	free(s);
	return rc;
}

const struct sink_counters *
sink_counters(const struct sink *s)
{
	return &s->c;
}
