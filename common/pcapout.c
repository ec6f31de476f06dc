/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pcap output through libpcap's dumper, made safe against half-written
 * files: the data goes to a hidden temporary name in the target's
 * directory and is renamed over the target only after a checked flush and
 * fsync.  The dumper itself ignores write errors, so the stdio error flag
 * of its stream is checked after every frame (a flag test, no system
 * call).
 *
 * An existing output that is not a regular file (a FIFO, a device such as
 * /dev/null, or "-" for standard output) is written in place, since there
 * is nothing to rename over and replacing it would destroy it.  A symbolic
 * link is followed, so that the temporary file and the rename happen beside
 * its target and the link survives.  A directory is refused before any
 * work is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapout.h"

#define PCAPOUT_SNAPLEN 65535
#define PCAPOUT_BUFSZ (1 << 20)

struct pcapout {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *fp;
	char *path;              /* as given, for messages */
	char *target;            /* what the rename replaces */
	char *tmp;               /* NULL when written in place */
	char *buf;
	uint64_t bytes;
	uint64_t frames;
	uint64_t first_ts;
	uint64_t max_sec;
	uint32_t div;            /* ns per timestamp unit */
};

static void
pcapout_free(struct pcapout *po)
{
	if (po->dumper != NULL)
		pcap_dump_close(po->dumper);
	else if (po->fp != NULL)
		fclose(po->fp);
	if (po->dead != NULL)
		pcap_close(po->dead);
	free(po->buf);
	free(po->path);
	free(po->target);
	free(po->tmp);
	free(po);
}

/*
 * Creates "dir/.name.PID-N" exclusively; open(2) with 0666 lets the
 * umask decide the mode, as for any file the user creates.
 */
static int
pcapout_create_tmp(struct pcapout *po)
{
	static atomic_uint seq;
	char *c1, *c2;
	int fd = -1, tries;

	c1 = strdup(po->target);
	c2 = strdup(po->target);
	if (c1 == NULL || c2 == NULL)
		goto out;
	for (tries = 0; tries < 100 && fd < 0; tries++) {
		free(po->tmp);
		po->tmp = NULL;
		if (asprintf(&po->tmp, "%s/.%s.%ld-%u", dirname(c1),
		    basename(c2), (long)getpid(), atomic_fetch_add(&seq, 1)) <
		    0) {
			po->tmp = NULL;
			errno = ENOMEM;
			break;
		}
		fd = open(po->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
out:
	free(c1);
	free(c2);
	if (fd < 0 && errno == 0)
		errno = ENOMEM;
	return fd;
}

/*
 * Opens the stream the capture goes to: a new temporary file, or the
 * output itself when it cannot be replaced.  Returns a descriptor or -1.
 */
static int
pcapout_open_fd(struct pcapout *po)
{
	struct stat st;

	if (strcmp(po->path, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			errno = ENOTTY;
			return -1;
		}
		return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	}
	if (stat(po->path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		if (!S_ISREG(st.st_mode))
			return open(po->path, O_WRONLY | O_CLOEXEC);
		po->target = realpath(po->path, NULL);
	}
	if (po->target == NULL && (po->target = strdup(po->path)) == NULL)
		return -1;
	return pcapout_create_tmp(po);
}

struct pcapout *
pcapout_open(const char *path, bool nanosecond, struct diag *d)
{
	struct pcapout *po;
	int fd = -1, err = ENOMEM;
	bool made = false;

	po = calloc(1, sizeof(*po));
	if (po == NULL || (po->path = strdup(path)) == NULL ||
	    (po->buf = malloc(PCAPOUT_BUFSZ)) == NULL)
		goto fail;
	po->div = nanosecond ? 1 : 1000;
	po->max_sec = UINT32_MAX;
	fd = pcapout_open_fd(po);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	made = po->tmp != NULL;
	po->fp = fdopen(fd, "wb");
	if (po->fp == NULL) {
		err = errno;
		goto fail;
	}
	fd = -1;
	setvbuf(po->fp, po->buf, _IOFBF, PCAPOUT_BUFSZ);
	po->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB,
	    PCAPOUT_SNAPLEN, nanosecond ? PCAP_TSTAMP_PRECISION_NANO :
	    PCAP_TSTAMP_PRECISION_MICRO);
	if (po->dead == NULL)
		goto fail;
	po->dumper = pcap_dump_fopen(po->dead, po->fp);
	if (po->dumper == NULL) {
		err = EIO;
		goto fail;
	}
	po->bytes = 24;
	return po;
fail:
	diag_set(d, "%s: cannot create: %s", path, strerror(err));
	if (fd >= 0)
		close(fd);
	if (po != NULL) {
		if (made)
			unlink(po->tmp);
		pcapout_free(po);
	}
	errno = err;
	return NULL;
}

int
pcapout_write(struct pcapout *po, uint64_t ts_ns, const uint8_t *data,
    uint32_t len, struct diag *d)
{
	struct pcap_pkthdr h;
	uint64_t sec = ts_ns / 1000000000u;

	if (len > PCAPOUT_SNAPLEN || sec > po->max_sec)
		return diag_set(d, "%s: frame %" PRIu64 " cannot be stored "
		    "(%u bytes at %" PRIu64 " s)", po->path, po->frames + 1,
		    len, sec);
	h.ts.tv_sec = (time_t)sec;
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u / po->div);
	h.caplen = len;
	h.len = len;
	pcap_dump((u_char *)po->dumper, &h, data);
	if (ferror(po->fp)) {
		diag_set(d, "%s: write failed: %s", po->path,
		    strerror(errno ? errno : EIO));
		return -EIO;
	}
	if (po->frames++ == 0)
		po->first_ts = ts_ns;
	po->bytes += 16 + len;
	return 0;
}

int
pcapout_commit(struct pcapout *po, struct diag *d)
{
	int rc = 0;

	if (pcap_dump_flush(po->dumper) != 0 || ferror(po->fp) ||
	    (po->tmp != NULL && fsync(fileno(po->fp)) != 0)) {
		rc = -(errno ? errno : EIO);
		diag_set(d, "%s: write failed: %s", po->path, strerror(-rc));
		goto out;
	}
	/* The dumper closes the stream; a late error shows here. */
	pcap_dump_close(po->dumper);
	po->dumper = NULL;
	po->fp = NULL;
	if (po->tmp != NULL && rename(po->tmp, po->target) != 0) {
		rc = -errno;
		diag_set(d, "%s: cannot rename from %s: %s", po->path,
		    po->tmp, strerror(errno));
	}
out:
	if (rc != 0 && po->tmp != NULL)
		unlink(po->tmp);
	pcapout_free(po);
	return rc;
}

void
pcapout_abort(struct pcapout *po)
{
	if (po == NULL)
		return;
	if (po->tmp != NULL)
		unlink(po->tmp);
	pcapout_free(po);
}

uint64_t
pcapout_bytes(const struct pcapout *po)
{
	return po->bytes;
}

uint64_t
pcapout_first_ts(const struct pcapout *po)
{
	return po->first_ts;
}

uint64_t
pcapout_frames(const struct pcapout *po)
{
	return po->frames;
}

const char *
pcapout_tmp_path(const struct pcapout *po)
{
	return po->tmp;
}
