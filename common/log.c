/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging for the programs and the library.  Messages go to stderr in the
 * foreground and to the journal under systemd.  Each message is formatted
 * into one buffer and written with one call, so lines from several
 * threads never interleave.  The level is an atomic so that the control
 * thread can change it while workers log.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#ifdef FOSR_HAVE_JOURNAL
#include <systemd/sd-journal.h>
#endif

static const char *log_progname = "fosr";
static enum log_dest log_dest = LOG_DEST_STDERR;
static _Atomic int log_level = LOG_LVL_NOTICE;

static const char *const log_names[] = {
	[LOG_LVL_ERR] = "err",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int log_syslog_prio[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

void
log_init(const char *progname, enum log_dest dest, enum log_level level)
{
	log_progname = progname;
	log_dest = dest;
	atomic_store(&log_level, level);
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

enum log_level
log_get_level(void)
{
	return atomic_load(&log_level);
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcasecmp(name, log_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "error") == 0)
		return LOG_LVL_ERR;
	if (strcasecmp(name, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_LVL_DEBUG)
		return "?";
	return log_names[level];
}

static void
log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if ((int)level > atomic_load(&log_level))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));

#ifdef FOSR_HAVE_JOURNAL
	if (log_dest == LOG_DEST_JOURNAL) {
		sd_journal_print(log_syslog_prio[level], "%s", msg);
		return;
	}
#else
	(void)log_syslog_prio;
#endif
	dprintf(STDERR_FILENO, "%s: %s\n", log_progname, msg);
}

#define LOG_FN(name, level, with_errno)                                      \
	void name(const char *fmt, ...)                                      \
	{                                                                    \
		int saved = errno;                                           \
		va_list ap;                                                  \
		va_start(ap, fmt);                                           \
		log_emit(level, with_errno ? saved : 0, fmt, ap);            \
		va_end(ap);                                                  \
		errno = saved;                                               \
	}

LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_notice, LOG_LVL_NOTICE, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
