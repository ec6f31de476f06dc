/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pcap output made safe against half-written files: the data goes to a
 * hidden temporary name in the target's directory and is renamed over the
 * target only after a checked flush and fsync.
 *
 * libpcap's dumper writes the file header.  Records do not go through
 * pcap_dump, which copies every frame into a stdio buffer: at a few
 * gigabytes a minute that copy, of frames long gone from the cache, was
 * the largest single cost of a run.  Instead each record is a 16-byte
 * header (the layout libpcap writes: seconds, fraction, captured and
 * original length, 32 bits each in host order, as the header's magic
 * says) and the frame itself, gathered by reference into an iovec array
 * and handed to the kernel with writev.  pcapout_write copies the frame
 * into a staging area first, for callers whose frames do not stay put;
 * pcapout_write_ref only records where it is, and the caller keeps it
 * there until pcapout_flush.  Write errors are sticky: once one
 * happened, every later call reports it.
 *
 * The commit's fsync would make a run wait at the end for every byte to
 * reach the disk.  Instead, each time a few megabytes have been written,
 * the kernel is asked to start writing them back (sync_file_range, which
 * does not wait), so the disk works while frames are generated and the
 * final fsync has little left to do.
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
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pcapout.h"

#define PCAPOUT_SNAPLEN 65535
/* Frames gathered per writev: the kernel's limit is 1024 iovecs. */
#define PCAPOUT_NIOV 1024
/* Staging for copied frames; a flush empties it. */
#define PCAPOUT_STAGE (256u << 10)
/* Written back in steps of this size while the run goes on. */
#define PCAPOUT_WRITEBACK (8u << 20)

/* One record header as stored in the file. */
struct pcapout_rec {
	uint32_t sec;
	uint32_t frac;           /* microseconds or nanoseconds */
	uint32_t caplen;
	uint32_t len;
};

struct pcapout {
	int fd;
	char *path;              /* as given, for messages */
	char *target;            /* what the rename replaces */
	char *tmp;               /* NULL when written in place */
	int err;                 /* first write error (errno), sticky */
	struct iovec iov[PCAPOUT_NIOV];
	unsigned niov;
	struct pcapout_rec rec[PCAPOUT_NIOV];
	unsigned nrec;
	uint8_t *stage;
	uint32_t nstage;
	uint64_t bytes;
	uint64_t wb_start;       /* first byte not yet sent to write-back */
	uint64_t frames;
	uint64_t first_ts;
	uint64_t max_sec;
	uint32_t div;            /* ns per timestamp unit */
};

static void
pcapout_free(struct pcapout *po)
{
	if (po->fd >= 0)
		close(po->fd);
	free(po->stage);
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

/*
 * libpcap writes the file header, through a stream of its own on a
 * duplicate of fd (which shares its offset).  Returns 0 or an errno.
 */
static int
pcapout_header(int fd, bool nanosecond)
{
	pcap_dumper_t *dp;
	pcap_t *dead;
	FILE *fp;
	int dfd, err = ENOMEM;

	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB,
	    PCAPOUT_SNAPLEN, nanosecond ? PCAP_TSTAMP_PRECISION_NANO :
	    PCAP_TSTAMP_PRECISION_MICRO);
	if (dead == NULL)
		return err;
	if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (fp = fdopen(dfd, "wb")) == NULL) {
		err = errno;
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	if ((dp = pcap_dump_fopen(dead, fp)) == NULL) {
		err = EIO;
		fclose(fp);
		goto out;
	}
	errno = 0;
	err = pcap_dump_flush(dp) == 0 && !ferror(fp) ? 0 :
	    (errno ? errno : EIO);
	pcap_dump_close(dp);
out:
	pcap_close(dead);
	return err;
}

struct pcapout *
pcapout_open(const char *path, bool nanosecond, struct diag *d)
{
	struct pcapout *po;
	int err = ENOMEM;
	bool made = false;

	po = calloc(1, sizeof(*po));
	if (po == NULL)
		goto fail;
	po->fd = -1;
	if ((po->path = strdup(path)) == NULL ||
	    (po->stage = malloc(PCAPOUT_STAGE)) == NULL)
		goto fail;
	po->div = nanosecond ? 1 : 1000;
	po->max_sec = UINT32_MAX;
	po->fd = pcapout_open_fd(po);
	if (po->fd < 0) {
		err = errno;
		goto fail;
	}
	made = po->tmp != NULL;
	if ((err = pcapout_header(po->fd, nanosecond)) != 0)
		goto fail;
	po->bytes = 24;
	return po;
fail:
	diag_set(d, "%s: cannot create: %s", path, strerror(err));
	if (po != NULL) {
		if (made)
			unlink(po->tmp);
		pcapout_free(po);
	}
	errno = err;
	return NULL;
}

static int
pcapout_failed(const struct pcapout *po, struct diag *d)
{
	diag_set(d, "%s: write failed: %s", po->path, strerror(po->err));
	return -EIO;
}

/* Waits until a non-blocking descriptor (a pipe someone set so) drains. */
static void
pcapout_wait(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };

	poll(&p, 1, -1);
}

int
pcapout_flush(struct pcapout *po, struct diag *d)
{
	struct iovec *v = po->iov;
	unsigned n = po->niov;
	ssize_t w;

	while (n > 0 && po->err == 0) {
		w = writev(po->fd, v, (int)n);
		if (w < 0) {
			if (errno == EAGAIN)
				pcapout_wait(po->fd);
			else if (errno != EINTR)
				po->err = errno;
			continue;
		}
		/* A short write (a pipe, a full disk) goes on where it
		 * stopped; nothing written at all is an error. */
		if (w == 0)
			po->err = EIO;
		for (; n > 0 && (size_t)w >= v->iov_len; v++, n--)
			w -= (ssize_t)v->iov_len;
		if (n > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	po->niov = 0;
	po->nrec = 0;
	po->nstage = 0;
	if (po->err != 0)
		return pcapout_failed(po, d);
	/* Only a file of our own: a device or a pipe has nothing to sync.
	 * Errors are left for the fsync of the commit to report. */
	if (po->tmp != NULL && po->bytes - po->wb_start >= PCAPOUT_WRITEBACK) {
		sync_file_range(po->fd, (off_t)po->wb_start,
		    (off_t)(po->bytes - po->wb_start), SYNC_FILE_RANGE_WRITE);
		po->wb_start = po->bytes;
	}
	return 0;
}

/* Appends one iovec, joined to the last one when they touch. */
static void
pcapout_iov(struct pcapout *po, const void *p, size_t len)
{
	struct iovec *last = po->niov > 0 ? &po->iov[po->niov - 1] : NULL;

	if (last != NULL && (const uint8_t *)last->iov_base + last->iov_len ==
	    (const uint8_t *)p) {
		last->iov_len += len;
		return;
	}
	po->iov[po->niov].iov_base = (void *)(uintptr_t)p;
	po->iov[po->niov].iov_len = len;
	po->niov++;
}

/* Checks a frame and makes room for it; 0 or -errno with d set. */
static int
pcapout_room(struct pcapout *po, uint64_t ts_ns, uint32_t len, bool copy,
    struct diag *d)
{
	uint64_t sec = ts_ns / 1000000000u;

	if (po->err != 0)
		return pcapout_failed(po, d);
	if (len > PCAPOUT_SNAPLEN || sec > po->max_sec)
		return diag_set(d, "%s: frame %" PRIu64 " cannot be stored "
		    "(%u bytes at %" PRIu64 " s)", po->path, po->frames + 1,
		    len, sec);
	if (po->niov + 2 > PCAPOUT_NIOV || (copy && po->nstage +
	    sizeof(struct pcapout_rec) + len > PCAPOUT_STAGE))
		return pcapout_flush(po, d);
	return 0;
}

static void
pcapout_fill(struct pcapout *po, struct pcapout_rec *r, uint64_t ts_ns,
    uint32_t len)
{
	r->sec = (uint32_t)(ts_ns / 1000000000u);
	r->frac = (uint32_t)(ts_ns % 1000000000u / po->div);
	r->caplen = len;
	r->len = len;
	if (po->frames++ == 0)
		po->first_ts = ts_ns;
	po->bytes += sizeof(*r) + len;
}

int
pcapout_write(struct pcapout *po, uint64_t ts_ns, const uint8_t *data,
    uint32_t len, struct diag *d)
{
	struct pcapout_rec r;
	uint8_t *p;
	int rc;

	if ((rc = pcapout_room(po, ts_ns, len, true, d)) != 0)
		return rc;
	pcapout_fill(po, &r, ts_ns, len);
	p = po->stage + po->nstage;
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), data, len);
	po->nstage += (uint32_t)sizeof(r) + len;
	pcapout_iov(po, p, sizeof(r) + len);
	return 0;
}

int
pcapout_write_ref(struct pcapout *po, uint64_t ts_ns, const uint8_t *data,
    uint32_t len, struct diag *d)
{
	struct pcapout_rec *r;
	int rc;

	if ((rc = pcapout_room(po, ts_ns, len, false, d)) != 0)
		return rc;
	r = &po->rec[po->nrec++];
	pcapout_fill(po, r, ts_ns, len);
	pcapout_iov(po, r, sizeof(*r));
	pcapout_iov(po, data, len);
	return 0;
}

int
pcapout_commit(struct pcapout *po, struct diag *d)
{
	int rc;

	if ((rc = pcapout_flush(po, d)) != 0)
		goto out;
	if (po->tmp != NULL && fsync(po->fd) != 0) {
		rc = -errno;
		diag_set(d, "%s: write failed: %s", po->path, strerror(-rc));
		goto out;
	}
	/* Some file systems report a late write error only on close. */
	rc = close(po->fd);
	po->fd = -1;
	if (rc != 0) {
		rc = -errno;
		diag_set(d, "%s: write failed: %s", po->path, strerror(-rc));
		goto out;
	}
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
