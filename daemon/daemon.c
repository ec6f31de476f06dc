/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosrd's state machine and control commands.
 *
 * Everything here runs in the main thread, inside the event loop, so no
 * lock protects it.  Two things happen elsewhere: the session's threads
 * (read through session_stats, stopped through session_request_stop) and
 * the profile loader, a short-lived thread that loads and checks a
 * profile away from both the loop and the data path and raises an atomic
 * flag when done.  A 50 ms poll timer notices that flag and the end of a
 * session; a 1 s tick computes rates and feeds systemd's STATUS=.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "ctlproto.h"
#include "ctlsrv.h"
#include "daemon.h"
#include "log.h"
#include "profile.h"
#include "profref.h"
#include "session.h"
#include "timeparse.h"
#include "timeprof.h"
#include "tz.h"

#define DAEMON_POLL_MS 50

enum daemon_then {
	DAEMON_THEN_REPLY,       /* profile.load: swap and reply */
	DAEMON_THEN_START,       /* start with a profile: swap and start */
	DAEMON_THEN_RELOAD,      /* reload: swap and reply */
};

struct daemon_loader {
	pthread_t th;
	bool busy;
	_Atomic int done;
	char *dir;               /* NULL: the built-in profile */
	char *config;            /* NULL: none */
	struct profile *prof;
	struct diag d;
	int rc;
	enum daemon_then then;
	struct ctlsrv_client *client;    /* NULL for SIGHUP */
	json_int_t id;
	struct session_params start;
};

struct daemon_waiter {
	struct ctlsrv_client *c;
	json_int_t id;
};

struct daemon_rates {
	double flows;
	double frames;
	double bytes;
	double stage[SESSION_NSTAGES];
};

struct daemon {
	struct event_base *base;
	struct conf conf;
	char *conf_path;
	char *sock_path;         /* bound here, removed at exit */
	struct ctlsrv *srv;
	struct session *session;
	char output[4096];       /* of the session, for status */
	bool stopping;
	bool terminating;
	uint64_t boot_ns;
	struct daemon_waiter *waiters;
	size_t nwaiters;
	struct session_stats prev;
	uint64_t prev_ns;
	struct daemon_rates rates;
	struct session_stats last;       /* of the last finished session */
	bool have_last;
	struct daemon_loader ld;
	struct event *poll, *tick, *wd, *sig[3];
};

typedef void daemon_cmd_fn(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req);

static void
daemon_err(struct ctlsrv_client *c, struct ctlproto_req *req,
    enum ctlproto_err e, const char *msg)
{
	ctlsrv_reply(c, ctlproto_reply_err(req->id, e, "%s", msg));
}

/* "default" and "none" select the built-in profile and no config. */
static const char *
daemon_dir_arg(const char *s)
{
	return s == NULL || strcmp(s, "default") == 0 ? NULL : s;
}

static const char *
daemon_conf_arg(const char *s)
{
	return s == NULL || strcmp(s, "none") == 0 ? NULL : s;
}

static json_t *
daemon_profile_json(void)
{
	struct profref *r = profref_current();
	const struct profile *p;
	json_t *o;

	if (r == NULL)
		return json_null();
	p = r->p;
	o = json_pack("{s:s, s:s, s:s?, s:I, s:f}", "name", p->name,
	    "digest", p->digest, "config", p->conf_path,
	    "time_bins", (json_int_t)(p->time ? p->time->nbins : 0),
	    "flows_per_day", p->time ? p->time->total : 0.0);
	profref_put(r);
	return o;
}

/* The counters of a session, live or finished. */
static json_t *
daemon_session_json(const struct daemon *dm, const struct session_stats *st,
    bool live)
{
	uint64_t now = timeparse_now_ns();
	json_t *o;

	o = json_pack("{s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I,"
	    " s:I, s:I, s:I, s:I, s:I, s:s}",
	    "started", st->start_ns / 1e9,
	    "elapsed", ((st->end_ns ? st->end_ns : now) - st->start_ns) / 1e9,
	    "fps", st->fps, "fps_target", st->fps_target,
	    "flows", (json_int_t)st->flows[SESSION_S0],
	    "flows_written", (json_int_t)st->flows[SESSION_SINK],
	    "packets", (json_int_t)st->packets,
	    "frames", (json_int_t)st->frames,
	    "bytes", (json_int_t)st->bytes,
	    "files", (json_int_t)st->files,
	    "fallback", (json_int_t)st->fallback,
	    "dropped", (json_int_t)st->dropped,
	    "errors", (json_int_t)st->errors,
	    "order_errors", (json_int_t)st->order_errors,
	    "profile_swaps", (json_int_t)st->profile_swaps,
	    "output", dm->output);
	if (live)
		json_object_set_new(o, "rate", json_pack("{s:f, s:f, s:f}",
		    "flows", dm->rates.flows, "packets", dm->rates.frames,
		    "bytes", dm->rates.bytes));
	if (st->failed)
		json_object_set_new(o, "error", json_string(st->error));
	return o;
}

static const char *
daemon_state(const struct daemon *dm)
{
	if (dm->session == NULL)
		return "idle";
	return dm->stopping ? "stopping" : "running";
}

static void
cmd_status(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	struct session_stats st;
	json_t *o;

	o = json_pack("{s:s, s:i, s:f, s:s, s:o, s:i}", "state",
	    daemon_state(dm), "pid", (int)getpid(),
	    "uptime", (timeparse_now_ns() - dm->boot_ns) / 1e9,
	    "version", FOSR_VERSION, "profile", daemon_profile_json(),
	    "clients", (int)ctlsrv_clients(dm->srv));
	if (dm->session != NULL) {
		session_stats(dm->session, &st);
		json_object_set_new(o, "session",
		    daemon_session_json(dm, &st, true));
	} else if (dm->have_last)
		json_object_set_new(o, "last_session",
		    daemon_session_json(dm, &dm->last, false));
	ctlsrv_reply(c, ctlproto_reply_ok(req->id, o));
}

static void
cmd_stats(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	struct session_stats st;
	json_t *stages = json_array();

	if (dm->session == NULL) {
		daemon_err(c, req, CTLPROTO_E_STATE, "stats: not running");
		json_decref(stages);
		return;
	}
	session_stats(dm->session, &st);
	for (int i = 0; i < SESSION_NSTAGES; i++)
		json_array_append_new(stages, json_pack("{s:s, s:i, s:I, s:f,"
		    " s:i, s:i}", "stage", session_stage_name(i),
		    "threads", (int)st.threads[i],
		    "flows", (json_int_t)st.flows[i],
		    "rate", dm->rates.stage[i],
		    "ring_used", (int)st.ring_used[i],
		    "ring_cap", (int)st.ring_cap[i]));
	ctlsrv_reply(c, ctlproto_reply_ok(req->id, json_pack("{s:o, s:I,"
	    " s:I}", "stages", stages, "stalls", (json_int_t)st.stalls,
	    "flows_held", (json_int_t)st.flows_held)));
}

static void
cmd_version(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	ctlsrv_reply(c, ctlproto_reply_ok(req->id, json_pack("{s:i, s:s}",
	    "protocol", CTLPROTO_VERSION, "version", FOSR_VERSION)));
}

static void
cmd_profile_show(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	ctlsrv_reply(c, ctlproto_reply_ok(req->id, daemon_profile_json()));
}

static void *
daemon_loader_thread(void *arg)
{
	struct daemon_loader *ld = arg;

	pthread_setname_np(pthread_self(), "fosr-load");
	ld->rc = profile_load(&ld->prof, ld->dir, ld->config, &ld->d);
	atomic_store_explicit(&ld->done, 1, memory_order_release);
	return NULL;
}

/* Starts loading a profile in the loader thread; 0 or -errno. */
static int
daemon_load_async(struct daemon *dm, const char *dir, const char *config,
    enum daemon_then then, struct ctlsrv_client *c, json_int_t id)
{
	struct daemon_loader *ld = &dm->ld;
	int rc;

	if (ld->busy)
		return -EBUSY;
	free(ld->dir);
	free(ld->config);
	ld->dir = dir ? strdup(dir) : NULL;
	ld->config = config ? strdup(config) : NULL;
	ld->prof = NULL;
	ld->rc = 0;
	ld->then = then;
	ld->client = c;
	ld->id = id;
	atomic_store(&ld->done, 0);
	if ((rc = pthread_create(&ld->th, NULL, daemon_loader_thread,
	    ld)) != 0)
		return -rc;
	ld->busy = true;
	return 0;
}

static void
daemon_swap(struct daemon *dm, struct profile *p)
{
	log_notice("profile loaded: %s%s%s (%.16s)", p->name,
	    p->conf_path ? " with " : "", p->conf_path ? p->conf_path : "",
	    p->digest);
	profref_swap(profref_new(p));
}

static const char *
daemon_output_desc(const struct sink_params *sp, char *buf, size_t sz)
{
	if (sp->kind == SINK_DISCARD)
		snprintf(buf, sz, "discard");
	else if (sp->dir != buf)        /* a deferred start points here */
		snprintf(buf, sz, "%s", sp->dir);
	return buf;
}

static int
daemon_start_session(struct daemon *dm, const struct session_params *p,
    struct diag *d)
{
	if ((dm->session = session_start(p, d)) == NULL)
		return -EINVAL;
	daemon_output_desc(&p->sink, dm->output, sizeof(dm->output));
	dm->stopping = false;
	memset(&dm->prev, 0, sizeof(dm->prev));
	memset(&dm->rates, 0, sizeof(dm->rates));
	dm->prev_ns = timeparse_now_ns();
	session_stats(dm->session, &dm->prev);
	log_notice("started: %g flows/s%s, seed %llu, output %s", p->fps,
	    p->flat ? " flat" : "", (unsigned long long)p->seed, dm->output);
	return 0;
}

static json_t *
daemon_started_json(const struct daemon *dm, const struct session_params *p)
{
	return json_pack("{s:f, s:f, s:o, s:s, s:b, s:b}", "fps", p->fps,
	    "duration", p->duration_ns / 1e9, "seed",
	    ctlproto_seed_json(p->seed), "output", dm->output, "taint",
	    p->taint, "flat", p->flat);
}

/* Fills session parameters from the configuration and the arguments. */
static int
daemon_params(struct daemon *dm, json_t *args, struct session_params *p,
    char *msg, size_t msgsz)
{
	const char *out = dm->conf.output;
	struct stat sb;
	json_t *v;

	memset(p, 0, sizeof(*p));
	p->fps = dm->conf.fps;
	p->seed = dm->conf.seed;
	p->flat = dm->conf.flat;
	p->taint = dm->conf.taint;
	if ((v = json_object_get(args, "fps")) != NULL)
		p->fps = json_number_value(v);
	if (!(p->fps > 0 && p->fps <= 1e7)) {
		snprintf(msg, msgsz, "start: fps: must be in (0, 1e7]");
		return CTLPROTO_E_ARGUMENT;
	}
	if ((v = json_object_get(args, "duration")) != NULL) {
		double sec = json_number_value(v);

		if (!(sec >= 0 && sec <= 1e9)) {
			snprintf(msg, msgsz, "start: duration: must be in "
			    "[0, 1e9] seconds");
			return CTLPROTO_E_ARGUMENT;
		}
		p->duration_ns = (uint64_t)(sec * 1e9);
	}
	if ((v = json_object_get(args, "seed")) != NULL &&
	    !ctlproto_seed_value(v, &p->seed)) {
		snprintf(msg, msgsz, "start: seed: not a 64-bit unsigned "
		    "integer");
		return CTLPROTO_E_ARGUMENT;
	}
	while (p->seed == 0 && getrandom(&p->seed, sizeof(p->seed), 0) >= 0)
		;
	if ((v = json_object_get(args, "taint")) != NULL)
		p->taint = json_is_true(v);
	if ((v = json_object_get(args, "flat")) != NULL)
		p->flat = json_is_true(v);
	if ((v = json_object_get(args, "output")) != NULL)
		out = json_string_value(v);
	if (strcmp(out, "discard") == 0)
		p->sink.kind = SINK_DISCARD;
	else if (stat(out, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(msg, msgsz, "start: output: %s: not a directory",
		    out);
		return CTLPROTO_E_OUTPUT;
	} else {
		p->sink.kind = SINK_PCAP;
		p->sink.dir = out;
	}
	p->sink.prefix = "fosrd";
	p->sink.rotate_bytes = dm->conf.rotate_size;
	p->sink.rotate_ns = dm->conf.rotate_time * 1000000000ULL;
	p->threads[SESSION_S1] = dm->conf.threads_s1;
	p->threads[SESSION_S2] = dm->conf.threads_s2;
	p->threads[SESSION_S3] = dm->conf.threads_s3;
	p->ring_size = dm->conf.ring_size;
	p->max_flows = dm->conf.max_flows;
	return CTLPROTO_OK;
}

static void
cmd_start(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	struct session_params p;
	json_t *prof = json_object_get(req->args, "profile");
	json_t *cfg = json_object_get(req->args, "config");
	char msg[512];
	struct diag d;
	int e, rc;

	if (dm->session != NULL || dm->terminating)
		return daemon_err(c, req, CTLPROTO_E_STATE,
		    "start: already running");
	if ((e = daemon_params(dm, req->args, &p, msg, sizeof(msg))) != 0)
		return daemon_err(c, req, e, msg);
	if (prof == NULL && cfg == NULL) {
		if (daemon_start_session(dm, &p, &d) < 0)
			return daemon_err(c, req, CTLPROTO_E_OUTPUT, d.msg);
		ctlsrv_reply(c, ctlproto_reply_ok(req->id,
		    daemon_started_json(dm, &p)));
		return;
	}
	rc = daemon_load_async(dm, daemon_dir_arg(prof ?
	    json_string_value(prof) : dm->conf.profile),
	    daemon_conf_arg(cfg ? json_string_value(cfg) : NULL),
	    DAEMON_THEN_START, c, req->id);
	if (rc < 0)
		return daemon_err(c, req, CTLPROTO_E_BUSY,
		    "start: a profile is being loaded");
	/* The output path must outlive this request. */
	dm->ld.start = p;
	snprintf(dm->output, sizeof(dm->output), "%s", p.sink.kind ==
	    SINK_PCAP ? p.sink.dir : "discard");
	dm->ld.start.sink.dir = dm->output;
}

static void
cmd_stop(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	struct daemon_waiter *w;

	if (dm->session == NULL)
		return daemon_err(c, req, CTLPROTO_E_STATE,
		    "stop: not running");
	w = realloc(dm->waiters, (dm->nwaiters + 1) * sizeof(*w));
	if (w == NULL)
		return daemon_err(c, req, CTLPROTO_E_INTERNAL,
		    "stop: out of memory");
	dm->waiters = w;
	w[dm->nwaiters].c = c;
	w[dm->nwaiters++].id = req->id;
	if (!dm->stopping)
		log_notice("stopping");
	dm->stopping = true;
	session_request_stop(dm->session);
}

static void
cmd_set(struct daemon *dm, struct ctlsrv_client *c, struct ctlproto_req *req)
{
	json_t *fps = json_object_get(req->args, "fps");
	json_t *lvl = json_object_get(req->args, "log_level");
	int level = -1;

	if (fps == NULL && lvl == NULL)
		return daemon_err(c, req, CTLPROTO_E_ARGUMENT,
		    "set: nothing to set (fps, log_level)");
	if (fps != NULL && !(json_number_value(fps) > 0 &&
	    json_number_value(fps) <= 1e7))
		return daemon_err(c, req, CTLPROTO_E_ARGUMENT,
		    "set: fps: must be in (0, 1e7]");
	if (lvl != NULL && (level = log_level_parse(json_string_value(lvl)))
	    < 0)
		return daemon_err(c, req, CTLPROTO_E_ARGUMENT,
		    "set: log_level: unknown level");
	if (fps != NULL) {
		dm->conf.fps = json_number_value(fps);
		if (dm->session != NULL)
			session_set_fps(dm->session, dm->conf.fps);
		log_notice("fps set to %g", dm->conf.fps);
	}
	if (level >= 0) {
		log_set_level(level);
		dm->conf.log_level = level;
		log_notice("log level set to %s", log_level_name(level));
	}
	ctlsrv_reply(c, ctlproto_reply_ok(req->id, json_pack("{s:f, s:s}",
	    "fps", dm->conf.fps, "log_level",
	    log_level_name(log_get_level()))));
}

static void
cmd_profile_load(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	json_t *dir = json_object_get(req->args, "dir");
	json_t *cfg = json_object_get(req->args, "config");

	if (dir == NULL)
		return daemon_err(c, req, CTLPROTO_E_ARGUMENT,
		    "profile.load: dir: missing");
	if (daemon_load_async(dm, daemon_dir_arg(json_string_value(dir)),
	    daemon_conf_arg(cfg ? json_string_value(cfg) : NULL),
	    DAEMON_THEN_REPLY, c, req->id) < 0)
		daemon_err(c, req, CTLPROTO_E_BUSY,
		    "profile.load: another profile is being loaded");
}

/* Re-reads the configuration; replies now or after a profile load. */
static void
daemon_reload(struct daemon *dm, struct ctlsrv_client *c, json_int_t id)
{
	const struct conf_directive *cd;
	struct conf nc;
	struct diag d;
	bool prof_changed;

	sd_notify(0, "RELOADING=1");
	if (dm->conf_path == NULL) {
		conf_defaults(&nc);
		diag_set(&d, "no configuration file");
	}
	if (dm->conf_path == NULL || conf_load(&nc, dm->conf_path, &d) < 0) {
		conf_free(&nc);
		log_warnx("reload failed: %s", d.msg);
		sd_notify(0, "READY=1");
		if (c != NULL)
			ctlsrv_reply(c, ctlproto_reply_err(id,
			    CTLPROTO_E_CONFIG, "reload: %s", d.msg));
		return;
	}
	for (cd = conf_directives; cd->name; cd++)
		if (!cd->reloadable && !conf_same(cd, &nc, &dm->conf)) {
			log_notice("reload: %s: change needs a restart",
			    cd->name);
			if (conf_keep(&nc, &dm->conf, cd) < 0)
				fatal("reload");
		}
	prof_changed = strcmp(nc.profile, dm->conf.profile) != 0 ||
	    strcmp(nc.netconf, dm->conf.netconf) != 0;
	log_set_level(nc.log_level);
	conf_free(&dm->conf);
	dm->conf = nc;
	log_notice("configuration reloaded: %s", dm->conf_path);
	if (prof_changed && daemon_load_async(dm,
	    daemon_dir_arg(dm->conf.profile), daemon_conf_arg(dm->conf.netconf),
	    DAEMON_THEN_RELOAD, c, id) == 0)
		return;
	if (prof_changed)
		log_warnx("reload: profile not loaded: another load runs");
	sd_notify(0, "READY=1");
	if (c != NULL)
		ctlsrv_reply(c, ctlproto_reply_ok(id, json_pack("{s:b}",
		    "profile_changed", prof_changed)));
}

static void
cmd_reload(struct daemon *dm, struct ctlsrv_client *c,
    struct ctlproto_req *req)
{
	daemon_reload(dm, c, req->id);
}

/* The loader finished: swap the profile in and carry on. */
static void
daemon_loaded(struct daemon *dm)
{
	struct daemon_loader *ld = &dm->ld;
	struct diag d;

	pthread_join(ld->th, NULL);
	ld->busy = false;
	if (ld->then == DAEMON_THEN_RELOAD)
		sd_notify(0, "READY=1");
	if (ld->rc < 0) {
		log_warnx("profile load failed, keeping the running one: %s",
		    ld->d.msg);
		if (ld->client != NULL)
			ctlsrv_reply(ld->client, ctlproto_reply_err(ld->id,
			    CTLPROTO_E_PROFILE, "%s", ld->d.msg));
		return;
	}
	daemon_swap(dm, ld->prof);
	ld->prof = NULL;
	if (ld->client == NULL)
		return;
	switch (ld->then) {
	case DAEMON_THEN_START:
		if (dm->session != NULL || dm->terminating)
			ctlsrv_reply(ld->client, ctlproto_reply_err(ld->id,
			    CTLPROTO_E_STATE, "start: already running"));
		else if (daemon_start_session(dm, &ld->start, &d) < 0)
			ctlsrv_reply(ld->client, ctlproto_reply_err(ld->id,
			    CTLPROTO_E_OUTPUT, "%s", d.msg));
		else
			ctlsrv_reply(ld->client, ctlproto_reply_ok(ld->id,
			    daemon_started_json(dm, &ld->start)));
		break;
	case DAEMON_THEN_RELOAD:
		ctlsrv_reply(ld->client, ctlproto_reply_ok(ld->id,
		    json_pack("{s:b, s:o}", "profile_changed", 1, "profile",
		    daemon_profile_json())));
		break;
	default:
		ctlsrv_reply(ld->client, ctlproto_reply_ok(ld->id,
		    daemon_profile_json()));
		break;
	}
}

/* The session ended (stopped, done or failed): keep its figures. */
static void
daemon_finished(struct daemon *dm)
{
	session_stats(dm->session, &dm->last);
	dm->last.end_ns = timeparse_now_ns();
	session_free(dm->session);
	dm->session = NULL;
	dm->have_last = true;
	dm->stopping = false;
	memset(&dm->rates, 0, sizeof(dm->rates));
	if (dm->last.failed)
		log_warnx("session failed: %s", dm->last.error);
	log_notice("stopped: %llu flows, %llu frames, %llu bytes, %llu files",
	    (unsigned long long)dm->last.flows[SESSION_SINK],
	    (unsigned long long)dm->last.frames,
	    (unsigned long long)dm->last.bytes,
	    (unsigned long long)dm->last.files);
	for (size_t i = 0; i < dm->nwaiters; i++)
		ctlsrv_reply(dm->waiters[i].c, ctlproto_reply_ok(
		    dm->waiters[i].id, daemon_session_json(dm, &dm->last,
		    false)));
	dm->nwaiters = 0;
	if (dm->terminating)
		event_base_loopbreak(dm->base);
}

static void
daemon_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;

	if (dm->ld.busy && atomic_load_explicit(&dm->ld.done,
	    memory_order_acquire))
		daemon_loaded(dm);
	if (dm->session != NULL && session_finished(dm->session))
		daemon_finished(dm);
}

static void
daemon_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;
	struct session_stats st;
	uint64_t now = timeparse_now_ns();
	double dt = (now - dm->prev_ns) / 1e9;
	char status[256];

	if (dm->session == NULL) {
		sd_notify(0, dm->terminating ? "STATUS=stopping" :
		    "STATUS=idle");
		return;
	}
	session_stats(dm->session, &st);
	if (dt > 0) {
		dm->rates.flows = (st.flows[SESSION_SINK] -
		    dm->prev.flows[SESSION_SINK]) / dt;
		dm->rates.frames = (st.frames - dm->prev.frames) / dt;
		dm->rates.bytes = (st.bytes - dm->prev.bytes) / dt;
		for (int i = 0; i < SESSION_NSTAGES; i++)
			dm->rates.stage[i] = (st.flows[i] -
			    dm->prev.flows[i]) / dt;
	}
	dm->prev = st;
	dm->prev_ns = now;
	snprintf(status, sizeof(status), "STATUS=%s: %.1f flows/s (target "
	    "%.1f), %.0f packets/s, %llu flows, %llu packets",
	    daemon_state(dm), dm->rates.flows, st.fps_target, dm->rates.frames,
	    (unsigned long long)st.flows[SESSION_SINK],
	    (unsigned long long)st.frames);
	sd_notify(0, status);
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static void
daemon_terminate(struct daemon *dm)
{
	if (dm->terminating)
		return;
	dm->terminating = true;
	sd_notify(0, "STOPPING=1");
	log_notice("terminating");
	if (dm->session == NULL) {
		event_base_loopbreak(dm->base);
		return;
	}
	dm->stopping = true;
	session_request_stop(dm->session);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *dm = arg;

	if (sig == SIGHUP)
		daemon_reload(dm, NULL, 0);
	else
		daemon_terminate(dm);
}

static const struct {
	const char *name;
	daemon_cmd_fn *fn;
} daemon_cmds[] = {
	{ "version", cmd_version },
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "profile.show", cmd_profile_show },
	{ "start", cmd_start },
	{ "stop", cmd_stop },
	{ "set", cmd_set },
	{ "profile.load", cmd_profile_load },
	{ "reload", cmd_reload },
};

static void
daemon_handle(void *arg, struct ctlsrv_client *c, struct ctlproto_req *req)
{
	struct daemon *dm = arg;

	for (size_t i = 0; i < sizeof(daemon_cmds) / sizeof(daemon_cmds[0]);
	    i++)
		if (strcmp(daemon_cmds[i].name, req->cmd->name) == 0) {
			daemon_cmds[i].fn(dm, c, req);
			return;
		}
	daemon_err(c, req, CTLPROTO_E_INTERNAL, "command not implemented");
}

/* The control socket: inherited from systemd, or bound here. */
static int
daemon_socket(struct daemon *dm, const char *override, struct diag *d)
{
	int n = override ? 0 : sd_listen_fds(1);

	if (n > 1)
		return diag_set(d, "socket activation: %d sockets, want 1", n);
	if (n == 1) {
		if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1,
		    NULL, 0) <= 0)
			return diag_set(d, "socket activation: not a "
			    "listening UNIX stream socket");
		log_info("control socket from systemd");
		return SD_LISTEN_FDS_START;
	}
	if ((dm->sock_path = strdup(override ? override :
	    dm->conf.socket)) == NULL)
		fatal("socket path");
	return ctlsrv_listen(dm->sock_path, dm->conf.socket_mode,
	    dm->conf.socket_group, d);
}

static int
daemon_events(struct daemon *dm)
{
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	struct timeval poll = { 0, DAEMON_POLL_MS * 1000 }, tick = { 1, 0 };
	uint64_t usec;

	dm->poll = event_new(dm->base, -1, EV_PERSIST, daemon_poll_cb, dm);
	dm->tick = event_new(dm->base, -1, EV_PERSIST, daemon_tick_cb, dm);
	if (dm->poll == NULL || dm->tick == NULL)
		return -ENOMEM;
	event_add(dm->poll, &poll);
	event_add(dm->tick, &tick);
	for (int i = 0; i < 3; i++) {
		dm->sig[i] = evsignal_new(dm->base, sigs[i], daemon_signal_cb,
		    dm);
		if (dm->sig[i] == NULL || event_add(dm->sig[i], NULL) < 0)
			return -ENOMEM;
	}
	if (sd_watchdog_enabled(0, &usec) > 0) {
		struct timeval wd = { usec / 2000000, usec / 2 % 1000000 };

		dm->wd = event_new(dm->base, -1, EV_PERSIST,
		    daemon_watchdog_cb, dm);
		if (dm->wd == NULL)
			return -ENOMEM;
		event_add(dm->wd, &wd);
		log_info("watchdog every %llu ms",
		    (unsigned long long)usec / 2000);
	}
	return 0;
}

struct daemon *
daemon_new(struct event_base *base, struct conf *conf, const char *conf_path,
    const char *socket_override, struct diag *d)
{
	struct daemon *dm;
	struct profile *p = NULL;
	int fd;

	if ((dm = calloc(1, sizeof(*dm))) == NULL)
		fatal("daemon");
	dm->base = base;
	dm->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	dm->conf_path = conf_path ? strdup(conf_path) : NULL;
	dm->boot_ns = timeparse_now_ns();
	if (tz_set(strcmp(dm->conf.timezone, "local") == 0 ? NULL :
	    dm->conf.timezone, d) < 0)
		goto fail;
	if (profile_load(&p, daemon_dir_arg(dm->conf.profile),
	    daemon_conf_arg(dm->conf.netconf), d) < 0)
		goto fail;
	daemon_swap(dm, p);
	if ((fd = daemon_socket(dm, socket_override, d)) < 0)
		goto fail;
	dm->srv = ctlsrv_new(base, fd, dm->conf.max_clients, daemon_handle,
	    dm);
	if (dm->srv == NULL) {
		close(fd);
		diag_set(d, "control socket: cannot listen");
		goto fail;
	}
	if (daemon_events(dm) < 0) {
		diag_set(d, "event loop: out of memory");
		goto fail;
	}
	return dm;
fail:
	daemon_free(dm);
	return NULL;
}

int
daemon_run(struct daemon *dm)
{
	sd_notify(0, "READY=1\nSTATUS=idle");
	log_notice("ready, version %s", FOSR_VERSION);
	event_base_dispatch(dm->base);
	return 0;
}

void
daemon_free(struct daemon *dm)
{
	if (dm == NULL)
		return;
	if (dm->session != NULL) {
		session_request_stop(dm->session);
		while (!session_finished(dm->session))
			usleep(1000);
		daemon_finished(dm);
	}
	if (dm->ld.busy) {
		pthread_join(dm->ld.th, NULL);
		if (dm->ld.rc == 0)
			profile_free(dm->ld.prof);
	}
	ctlsrv_free(dm->srv);
	if (dm->srv != NULL && dm->sock_path != NULL)
		unlink(dm->sock_path);
	free(dm->sock_path);
	for (int i = 0; i < 3; i++)
		if (dm->sig[i] != NULL)
			event_free(dm->sig[i]);
	if (dm->wd != NULL)
		event_free(dm->wd);
	if (dm->tick != NULL)
		event_free(dm->tick);
	if (dm->poll != NULL)
		event_free(dm->poll);
	profref_swap(NULL);
	free(dm->ld.dir);
	free(dm->ld.config);
	free(dm->waiters);
	free(dm->conf_path);
	conf_free(&dm->conf);
	free(dm);
}
