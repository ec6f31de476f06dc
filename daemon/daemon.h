/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSRD_DAEMON_H
#define FOSRD_DAEMON_H

/*
 * The state of fosrd and the handlers of its control commands.  All of it
 * belongs to the main thread (the event loop); the session and the
 * profile loader run in their own threads and come back to the loop
 * through events.
 */

#include <stdbool.h>

#include <event2/event.h>

#include "conf.h"
#include "diag.h"

struct daemon;

/*
 * Creates the daemon: loads the profile named by the configuration,
 * opens (or adopts, under socket activation) the control socket.  The
 * configuration is taken over.  NULL with d set on error.
 */
struct daemon *daemon_new(struct event_base *base, struct conf *conf,
    const char *conf_path, const char *socket_override, struct diag *d);
/* Runs the loop until SIGTERM/SIGINT and the final flush. */
int daemon_run(struct daemon *dm);
void daemon_free(struct daemon *dm);

#endif
