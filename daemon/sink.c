/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Output sinks.  The pcap sink writes through pcapout, which keeps a file
 * under a temporary name until it is committed, so a reader that sees
 * NAME.pcap always sees a whole file.  Rotation happens between two
 * frames and never splits or repeats one.  Counters are updated by the
 * sink thread only and read by the control thread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pcapout.h"
#include "sink.h"
#include "timeparse.h"

struct sink {
	struct sink_params p;
	char *dir;
	char *prefix;
	struct sink_counters c;
	struct pcapout *po;
	unsigned seq;
	uint64_t file_start_ns;
};

static void
sink_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

/*
 * Files are named PREFIX-YYYYmmddTHHMMSSZ-SEQ.pcap after their start.  A
 * name already taken (two sessions in one second) moves on to the next
 * SEQ: the final rename would otherwise replace a complete file.
 */
static int
sink_file_open(struct sink *s, uint64_t ts_ns, struct diag *d)
{
	time_t t = ts_ns / 1000000000ULL;
	char stamp[32], path[4096];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	do
		snprintf(path, sizeof(path), "%s/%s-%s-%04u.pcap", s->dir,
		    s->prefix, stamp, s->seq++);
	while (access(path, F_OK) == 0 && s->seq < 100000);
	if ((s->po = pcapout_open(path, false, d)) == NULL)
		return errno ? -errno : -EIO;
	s->file_start_ns = ts_ns;
	return 0;
}

static int
sink_file_close(struct sink *s)
{
	struct diag d;
	uint64_t frames;
	int rc;

	if (s->po == NULL)
		return 0;
	frames = pcapout_frames(s->po);
	rc = pcapout_commit(s->po, &d);
	s->po = NULL;
	if (rc < 0) {
		log_warnx("sink: %s", d.msg);
		sink_count(&s->c.errors, 1);
		return rc;
	}
	sink_count(&s->c.files, 1);
	log_info("sink: file complete, %llu frames",
	    (unsigned long long)frames);
	return 0;
}

struct sink *
sink_open(const struct sink_params *p, struct diag *d)
{
	struct sink *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		diag_set(d, "sink: out of memory");
		return NULL;
	}
	s->p = *p;
	if (p->kind == SINK_DISCARD)
		return s;
	s->dir = strdup(p->dir);
	s->prefix = strdup(p->prefix ? p->prefix : "fosrd");
	if (s->dir == NULL || s->prefix == NULL) {
		diag_set(d, "sink: out of memory");
		goto fail;
	}
	s->p.dir = s->dir;
	s->p.prefix = s->prefix;
	if (sink_file_open(s, timeparse_now_ns(), d) < 0)
		goto fail;
	return s;
fail:
	free(s->prefix);
	free(s->dir);
	free(s);
	return NULL;
}

static bool
sink_must_rotate(const struct sink *s, uint64_t ts_ns, uint32_t len)
{
	if (pcapout_frames(s->po) == 0)
		return false;
	if (s->p.rotate_bytes &&
	    pcapout_bytes(s->po) + 16 + len > s->p.rotate_bytes)
		return true;
	return s->p.rotate_ns && ts_ns >= s->file_start_ns + s->p.rotate_ns;
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
	}
	return rc;
}

int
sink_write(struct sink *s, uint64_t ts_ns, const uint8_t *data,
    uint32_t len)
{
	struct diag d;
	int rc;

	if (s->p.kind == SINK_PCAP) {
		if (s->po == NULL)
			return -EIO;
		if (sink_must_rotate(s, ts_ns, len) &&
		    (rc = sink_rotate(s, ts_ns)) < 0)
			return rc;
		if ((rc = pcapout_write(s->po, ts_ns, data, len, &d)) < 0) {
			log_warnx("sink: %s", rc == -EIO ? d.msg :
			    "frame refused by the pcap writer");
			sink_count(&s->c.errors, 1);
			return rc;
		}
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
