/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_LOG_H
#define FOSR_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_dest {
	LOG_DEST_STDERR,
	LOG_DEST_JOURNAL,
};

/* Sets the program name, where messages go and the most verbose level. */
void log_init(const char *progname, enum log_dest dest, enum log_level level);
/* Changes the level at run time; safe from any thread. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "err", "warning", "notice", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level level);

/* log_warn and fatal append strerror(errno); the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at error level and exits with status 1. */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
