/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_PCAPOUT_H
#define FOSR_PCAPOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

/*
 * A pcap file that appears under its final name only when it is
 * complete.  Frames go to a temporary file next to the target (same
 * directory, so the final rename is atomic); pcapout_commit flushes,
 * fsyncs and renames; pcapout_abort removes the temporary file.  Ethernet
 * link type, snaplen 65535, microsecond or nanosecond timestamps.
 *
 * Rotation (for a daemon sink): watch pcapout_bytes() or the time span of
 * pcapout_first_ts()..last frame, commit the current file and open the
 * next one; nothing here keeps state between two files.
 */

struct pcapout;

/* Opens the temporary file for path.  NULL with d set and errno. */
struct pcapout *pcapout_open(const char *path, bool nanosecond,
    struct diag *d);
/*
 * Appends one frame, copied: data may change once the call returns.
 * -EINVAL for a frame over 65535 bytes or a time beyond 2106, -EIO (d
 * set) if a write failed, now or earlier.
 */
int pcapout_write(struct pcapout *po, uint64_t ts_ns, const uint8_t *data,
    uint32_t len, struct diag *d);
/*
 * The same without the copy: data must stay unchanged until the next
 * pcapout_flush (or commit) returns.  Writes of both kinds keep their
 * order.
 */
int pcapout_write_ref(struct pcapout *po, uint64_t ts_ns,
    const uint8_t *data, uint32_t len, struct diag *d);
/* Hands every frame appended so far to the kernel.  0 or -EIO (d set). */
int pcapout_flush(struct pcapout *po, struct diag *d);
/* Flushes, syncs and renames to the final name, then frees po. */
int pcapout_commit(struct pcapout *po, struct diag *d);
/* Removes the temporary file and frees po (NULL is fine). */
void pcapout_abort(struct pcapout *po);
/* Bytes written so far, headers included. */
uint64_t pcapout_bytes(const struct pcapout *po);
/* Time of the first frame (0 if none) and frames written. */
uint64_t pcapout_first_ts(const struct pcapout *po);
uint64_t pcapout_frames(const struct pcapout *po);
/*
 * The temporary file's name, for a signal handler that must unlink it
 * (unlink is async-signal-safe).  Stable until commit or abort; NULL when
 * the output is written in place (a FIFO, a device, standard output).
 */
const char *pcapout_tmp_path(const struct pcapout *po);

#endif
