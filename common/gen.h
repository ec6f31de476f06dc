/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_GEN_H
#define FOSR_GEN_H

/*
 * The generation engine: S0 windows cut into batches, S1 -> S2 -> S3 for
 * each flow on worker threads, and one writer that merges the frames of
 * all flows into global time order and hands them to a sink.  Output is
 * the same bytes for any number of workers, and memory follows the
 * number of live flows, not the duration.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "flow.h"

struct profile;

/*
 * One frame on its way out.  data stays valid until the sink's sync
 * callback returns, or during the frame call only if it has none.
 */
struct gen_frame {
	uint64_t ts_ns;
	const uint8_t *data;
	uint32_t len;
	const struct flow *flow;
};

/*
 * Where frames go, called from the writer thread only, in time order.
 * A callback returning non-zero ends the run with that error (its diag
 * is copied from sink_diag if it wrote one).
 */
struct gen_sink {
	int (*frame)(void *arg, const struct gen_frame *f);
	/*
	 * Optional: a flow with all its frames (in time order), when its
	 * first frame goes out.
	 */
	int (*flow)(void *arg, const struct flow *f,
	    const struct frame_buf *fb);
	void *arg;
	struct diag *sink_diag;
	/*
	 * Optional: the engine is about to reuse the memory of the frames
	 * handed over since the last call.  Lets a sink keep references
	 * instead of copies.
	 */
	int (*sync)(void *arg);
};

struct gen_stats;

struct gen_opts {
	const struct profile *prof;
	uint64_t seed;
	uint64_t start_ns;
	uint64_t duration_ns;    /* 0: endless (then max_packets > 0) */
	uint64_t max_packets;    /* 0: no limit */
	double flows_per_day;    /* 0: the time profile's own */
	unsigned jobs;           /* worker threads, >= 1 */
	bool taint;
	/* Set from anywhere (a signal handler too) to stop the run. */
	atomic_bool *stop;
	/* Optional: called by the writer after each batch. */
	void (*progress)(void *arg, const struct gen_stats *st);
	void *progress_arg;
};

struct gen_count {
	uint64_t flows;
	uint64_t packets;
	uint64_t bytes;
};

struct gen_stats {
	struct gen_count total;
	struct gen_count proto[L7_COUNT]; /* by application protocol */
	uint64_t fallback_flows;  /* S2 had no automaton for them */
	uint64_t s1_rejects;      /* S1 found no description */
	uint64_t empty_flows;     /* described, but without frames */
	uint64_t first_ts_ns;     /* of the first and last frame */
	uint64_t last_ts_ns;
	uint64_t sim_ns;          /* simulated time done (watermark) */
	uint64_t end_ns;          /* start + duration, 0 if endless */
	double elapsed_s;
	long peak_rss_kb;
	bool interrupted;         /* stopped by opts.stop */
	bool limited;             /* stopped at max_packets */
};

/*
 * Runs the engine to the end of the duration, to max_packets, or until
 * *stop.  Returns 0 (also when interrupted: check st->interrupted), or
 * -errno with d set.  st is filled either way.
 */
int gen_run(const struct gen_opts *o, const struct gen_sink *sink,
    struct gen_stats *st, struct diag *d);

#endif
