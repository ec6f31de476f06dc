/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSRD_SINK_H
#define FOSRD_SINK_H

/*
 * Where frames go once they are in time order: pcap files with rotation,
 * or nowhere (load tests).  A sink is used by one thread, the session's
 * sink thread; its counters are atomics read by the control thread.  A
 * sink that sends frames on the wire at their time fits the same three
 * calls: write may wait for a frame's instant, and close drains.
 */

#include <stdatomic.h>
#include <stdint.h>

#include "diag.h"

enum sink_kind {
	SINK_DISCARD,
	SINK_PCAP,
};

struct sink_params {
	enum sink_kind kind;
	const char *dir;         /* pcap: directory of the files */
	const char *prefix;      /* pcap: file names start with it */
	uint64_t rotate_bytes;   /* 0: never */
	uint64_t rotate_ns;      /* 0: never; measured in frame time */
};

struct sink_counters {
	_Atomic uint64_t frames;
	_Atomic uint64_t bytes;          /* frame bytes, headers excluded */
	_Atomic uint64_t files;          /* files closed complete */
	_Atomic uint64_t errors;
};

struct sink;

/* Opens the sink (the first pcap file); d says why not. */
struct sink *sink_open(const struct sink_params *p, struct diag *d);
/* Writes one frame: 0 or -errno (the session stops on error). */
int sink_write(struct sink *s, uint64_t ts_ns, const uint8_t *data,
    uint32_t len);
/* Closes the current file complete (once the last frame is written). */
int sink_finish(struct sink *s);
/* Finishes if needed and frees s; 0 or -errno. */
int sink_close(struct sink *s);
const struct sink_counters *sink_counters(const struct sink *s);

#endif
