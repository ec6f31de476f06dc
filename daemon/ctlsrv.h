/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSRD_CTLSRV_H
#define FOSRD_CTLSRV_H

/*
 * The control socket server, in the main thread's event loop.  Each
 * connection has its own line reader and output buffer; one request per
 * connection is served at a time, in order.  A connection that sends an
 * oversized line, stays silent too long or stops reading its replies is
 * closed; none of them can hold up the loop or another client.
 */

#include <stdbool.h>
#include <sys/types.h>

#include <event2/event.h>

#include "ctlproto.h"
#include "diag.h"

struct ctlsrv;
struct ctlsrv_client;

/*
 * Called for every well-formed request.  The handler answers exactly
 * once with ctlsrv_reply, now or later; the client stays valid until then
 * even if its peer goes away.
 */
typedef void ctlsrv_handler(void *arg, struct ctlsrv_client *c,
    struct ctlproto_req *req);

/* Binds and listens on path with the mode and group (NULL: keep). */
int ctlsrv_listen(const char *path, unsigned mode, const char *group,
    struct diag *d);
struct ctlsrv *ctlsrv_new(struct event_base *base, int fd,
    unsigned max_clients, ctlsrv_handler *h, void *arg);
/* Closes every connection and the listening socket. */
void ctlsrv_free(struct ctlsrv *srv);
/* Sends a reply line built by ctlproto (taken over, may be NULL). */
void ctlsrv_reply(struct ctlsrv_client *c, char *line);
uid_t ctlsrv_client_uid(const struct ctlsrv_client *c);
unsigned ctlsrv_clients(const struct ctlsrv *srv);

#endif
