/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSRD_SESSION_H
#define FOSRD_SESSION_H

/*
 * A generation session: the pipeline from stage 0 to the sink, running in
 * its own threads from start to stop.  The control thread starts it,
 * changes its rate, reads its counters and stops it; it never touches the
 * data path otherwise.
 */

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "sink.h"

enum session_stage {
	SESSION_S0,
	SESSION_S1,
	SESSION_S2,
	SESSION_S3,
	SESSION_SINK,
	SESSION_NSTAGES
};

struct session_params {
	double fps;              /* mean flows per second over a day */
	uint64_t duration_ns;    /* 0: until stopped */
	uint64_t seed;
	bool flat;
	bool taint;
	struct sink_params sink;
	unsigned threads[SESSION_NSTAGES];   /* S1..S3 used, others 1 */
	unsigned ring_size;
	unsigned max_flows;
};

/* Counters summed over the threads of each stage. */
struct session_stats {
	uint64_t start_ns;               /* wall clock at start */
	uint64_t end_ns;                 /* set by the caller when done */
	double fps;                      /* requested mean */
	double fps_target;               /* mean of the current window */
	uint64_t flows[SESSION_NSTAGES]; /* flows through each stage */
	uint64_t packets;                /* S2 packets */
	uint64_t frames;                 /* frames written by the sink */
	uint64_t bytes;
	uint64_t files;                  /* pcap files closed */
	uint64_t fallback;               /* S2 used the generic exchange */
	uint64_t dropped;                /* flows S1..S3 gave up on */
	uint64_t errors;                 /* sink errors */
	uint64_t stalls;                 /* S0 waited for room */
	uint64_t order_errors;           /* frames older than their turn */
	uint64_t profile_swaps;          /* seen by stage 0 */
	unsigned ring_used[SESSION_NSTAGES];   /* ring into each stage */
	unsigned ring_cap[SESSION_NSTAGES];
	unsigned threads[SESSION_NSTAGES];
	unsigned flows_held;             /* slots in use */
	bool finished;                   /* all threads are done */
	bool failed;
	char error[256];
};

struct session;

/*
 * Starts the threads; the current profile must be set (profref).  On
 * error nothing is left running and d says why.
 */
struct session *session_start(const struct session_params *p,
    struct diag *d);
/* Takes effect at the next 5 s window of stage 0. */
void session_set_fps(struct session *s, double fps);
/* Asks stage 0 to stop; the rest drains.  Returns at once. */
void session_request_stop(struct session *s);
/* True once every thread has finished (stopped, failed or done). */
bool session_finished(const struct session *s);
/* Joins the threads (after session_finished) and frees s. */
void session_free(struct session *s);
void session_stats(const struct session *s, struct session_stats *st);
const char *session_stage_name(enum session_stage st);

#endif
