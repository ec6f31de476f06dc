/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Control connections with libevent bufferevents, all in the main thread.
 * A client is reference counted: the open connection holds one reference
 * and a request waiting for its reply holds another, so a peer that
 * vanishes mid-request leaves a shell that the late reply releases.
 * Limits: one line at most CTLPROTO_MAX_LINE bytes, CTLSRV_IDLE seconds of
 * silence, CTLSRV_MAX_BACKLOG bytes of unread replies.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "ctlsrv.h"
#include "log.h"

#define CTLSRV_IDLE 60
#define CTLSRV_MAX_BACKLOG (4u << 20)

struct ctlsrv_client {
	struct ctlsrv *srv;
	struct bufferevent *bev;         /* NULL once closed */
	struct ctlproto_reader rd;
	uid_t uid;
	unsigned refs;
	bool busy;                       /* a request awaits its reply */
	bool in_loop;
	bool closing;                    /* close once the output drained */
	struct ctlsrv_client *next, *prev;
};

struct ctlsrv {
	struct event_base *base;
	struct evconnlistener *lis;
	unsigned max_clients;
	unsigned nclients;
	ctlsrv_handler *handler;
	void *arg;
	struct ctlsrv_client *clients;
};

int
ctlsrv_listen(const char *path, unsigned mode, const char *group,
    struct diag *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct group *gr;
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return diag_set(d, "%s: socket path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		goto fail;
	/* A stale socket from a crashed run would make bind fail. */
	if (unlink(path) < 0 && errno != ENOENT)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	if (chmod(path, mode) < 0)
		goto fail;
	if (group != NULL && (gr = getgrnam(group)) != NULL &&
	    chown(path, (uid_t)-1, gr->gr_gid) < 0)
		goto fail;
	if (listen(fd, 128) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	diag_set(d, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

static void
ctlsrv_unref(struct ctlsrv_client *c)
{
	if (--c->refs > 0)
		return;
	ctlproto_reader_free(&c->rd);
	free(c);
}

static void
ctlsrv_close(struct ctlsrv_client *c)
{
	struct ctlsrv *srv = c->srv;

	if (c->bev == NULL)
		return;
	bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
	ctlsrv_unref(c);
}

/* Queues a line; closes the client if it does not read its replies. */
static void
ctlsrv_send(struct ctlsrv_client *c, char *line)
{
	struct evbuffer *out;

	if (line == NULL)
		line = ctlproto_reply_err(0, CTLPROTO_E_INTERNAL,
		    "out of memory");
	if (c->bev == NULL || line == NULL) {
		free(line);
		return;
	}
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) > CTLSRV_MAX_BACKLOG) {
		log_info("control: uid %u: not reading replies, closed",
		    (unsigned)c->uid);
		free(line);
		ctlsrv_close(c);
		return;
	}
	evbuffer_add(out, line, strlen(line));
	free(line);
}

static void ctlsrv_process(struct ctlsrv_client *c);

void
ctlsrv_reply(struct ctlsrv_client *c, char *line)
{
	ctlsrv_send(c, line);
	c->busy = false;
	if (c->bev != NULL && !c->in_loop)
		ctlsrv_process(c);
	ctlsrv_unref(c);
}

uid_t
ctlsrv_client_uid(const struct ctlsrv_client *c)
{
	return c->uid;
}

unsigned
ctlsrv_clients(const struct ctlsrv *srv)
{
	return srv->nclients;
}

/* Handles one line: a parsed request goes to the handler. */
static void
ctlsrv_line(struct ctlsrv_client *c, const char *line, size_t len)
{
	struct ctlproto_req req;
	enum ctlproto_err e;
	char msg[512];

	if (len == 0)
		return;
	e = ctlproto_req_parse(&req, line, len, msg, sizeof(msg));
	if (e != CTLPROTO_OK) {
		ctlsrv_send(c, ctlproto_reply_err(req.id, e, "%s", msg));
		ctlproto_req_free(&req);
		return;
	}
	if (req.cmd->changes_state)
		log_notice("control: uid %u: %s", (unsigned)c->uid,
		    req.cmd->name);
	c->busy = true;
	c->refs++;
	c->srv->handler(c->srv->arg, c, &req);
	ctlproto_req_free(&req);
}

/* Serves the complete lines held, one request at a time. */
static void
ctlsrv_process(struct ctlsrv_client *c)
{
	char *line;
	size_t len;
	int rc;

	c->in_loop = true;
	c->refs++;
	while (c->bev != NULL && !c->busy && !c->closing) {
		if ((rc = ctlproto_reader_next(&c->rd, &line, &len)) == 0)
			break;
		if (rc < 0) {
			ctlsrv_send(c, ctlproto_reply_err(0,
			    CTLPROTO_E_TOOLONG, "line longer than %d bytes",
			    CTLPROTO_MAX_LINE));
			c->closing = true;
			break;
		}
		ctlsrv_line(c, line, len);
	}
	c->in_loop = false;
	if (c->closing && c->bev != NULL && evbuffer_get_length(
	    bufferevent_get_output(c->bev)) == 0)
		ctlsrv_close(c);
	ctlsrv_unref(c);
}

static void
ctlsrv_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctlsrv_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[16384];
	int n;

	while (!c->closing && (n = evbuffer_remove(in, buf, sizeof(buf))) > 0)
		if (ctlproto_reader_feed(&c->rd, buf, n) < 0) {
			ctlsrv_send(c, ctlproto_reply_err(0,
			    CTLPROTO_E_TOOLONG, "line longer than %d bytes",
			    CTLPROTO_MAX_LINE));
			c->closing = true;
		}
	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			ctlsrv_close(c);
		return;
	}
	ctlsrv_process(c);
}

static void
ctlsrv_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctlsrv_client *c = arg;

	if (c->closing)
		ctlsrv_close(c);
}

static void
ctlsrv_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctlsrv_client *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_info("control: uid %u: idle, closed", (unsigned)c->uid);
	/* EOF, error or timeout: a pending reply finds the shell. */
	ctlsrv_close(c);
}

static void
ctlsrv_accept_cb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ctlsrv *srv = arg;
	struct ctlsrv_client *c;
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	struct timeval idle = { CTLSRV_IDLE, 0 };

	if (srv->nclients >= srv->max_clients) {
		log_warnx("control: %u clients, connection refused",
		    srv->nclients);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    ctlproto_reader_init(&c->rd, CTLPROTO_MAX_LINE) < 0) {
		free(c);
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		c->uid = cred.uid;
	c->srv = srv;
	c->refs = 1;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		ctlsrv_unref(c);
		return;
	}
	bufferevent_setcb(c->bev, ctlsrv_read_cb, ctlsrv_write_cb,
	    ctlsrv_event_cb, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = srv->clients;
	if (c->next)
		c->next->prev = c;
	srv->clients = c;
	srv->nclients++;
}

struct ctlsrv *
ctlsrv_new(struct event_base *base, int fd, unsigned max_clients,
    ctlsrv_handler *h, void *arg)
{
	struct ctlsrv *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->base = base;
	srv->max_clients = max_clients;
	srv->handler = h;
	srv->arg = arg;
	evutil_make_socket_nonblocking(fd);
	srv->lis = evconnlistener_new(base, ctlsrv_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (srv->lis == NULL) {
		free(srv);
		return NULL;
	}
	return srv;
}

void
ctlsrv_free(struct ctlsrv *srv)
{
	if (srv == NULL)
		return;
	while (srv->clients != NULL)
		ctlsrv_close(srv->clients);
	evconnlistener_free(srv->lis);
	free(srv);
}
