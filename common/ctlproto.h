/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_CTLPROTO_H
#define FOSR_CTLPROTO_H

/*
 * The control protocol between fosrd and its clients: one JSON object per
 * line over a UNIX stream socket.  A request is
 *	{"v":1,"id":7,"cmd":"status","args":{...}}
 * and its reply
 *	{"v":1,"id":7,"ok":true,"result":{...}}
 *	{"v":1,"id":7,"ok":false,
 *	    "error":{"code":"bad-argument","message":"..."}}
 * Adding a command, an argument or a result field keeps the version;
 * changing the meaning of one bumps it.  fosrd(8) documents every command.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTLPROTO_VERSION 1
/* Longest request or reply line, newline excluded. */
#define CTLPROTO_MAX_LINE 65536

/* Stable error codes: their names are part of the protocol. */
enum ctlproto_err {
	CTLPROTO_OK = 0,
	CTLPROTO_E_JSON,         /* "bad-json": the line is not JSON */
	CTLPROTO_E_REQUEST,      /* "bad-request": not a request object */
	CTLPROTO_E_VERSION,      /* "bad-version": unsupported version */
	CTLPROTO_E_COMMAND,      /* "unknown-command" */
	CTLPROTO_E_ARGUMENT,     /* "bad-argument": missing, unknown, range */
	CTLPROTO_E_STATE,        /* "bad-state": not running, already running */
	CTLPROTO_E_PROFILE,      /* "profile-error": the profile failed */
	CTLPROTO_E_OUTPUT,       /* "output-error": a sink could not open */
	CTLPROTO_E_BUSY,         /* "busy": another such request is running */
	CTLPROTO_E_CONFIG,       /* "config-error": reload failed */
	CTLPROTO_E_TOOLONG,      /* "line-too-long": the line was refused */
	CTLPROTO_E_INTERNAL,     /* "internal": out of memory and the like */
	CTLPROTO_E_COUNT
};

/* "bad-json" etc.; NULL out of range. */
const char *ctlproto_err_name(enum ctlproto_err e);
/* The code for a name, or -1. */
int ctlproto_err_parse(const char *name);

/* Argument types a command accepts. */
enum ctlproto_type {
	CTLPROTO_T_NUMBER,       /* JSON number */
	CTLPROTO_T_INT,          /* JSON integer >= 0 */
	CTLPROTO_T_STRING,
	CTLPROTO_T_BOOL,
};

struct ctlproto_arg {
	const char *name;
	enum ctlproto_type type;
	const char *help;
};

#define CTLPROTO_MAX_ARGS 10

/* One entry of the command table. */
struct ctlproto_cmd {
	const char *name;        /* "status", "profile.load" */
	bool changes_state;      /* logged with the peer uid */
	const char *help;
	struct ctlproto_arg args[CTLPROTO_MAX_ARGS];     /* name NULL ends */
};

/* The table, ended by an entry whose name is NULL. */
extern const struct ctlproto_cmd ctlproto_cmds[];

const struct ctlproto_cmd *ctlproto_cmd_find(const char *name);

/*
 * Splits a byte stream into lines.  Bytes are fed as they arrive, in
 * pieces of any size; complete lines come out NUL-terminated without the
 * newline (a CR before it is dropped too).  A line longer than max is an
 * error: the reader stays failed, since resynchronising inside a flood
 * of garbage is not worth it; the peer is disconnected.
 */
struct ctlproto_reader {
	char *buf;
	size_t len;              /* bytes held */
	size_t off;              /* start of the next line */
	size_t cap;
	size_t max;
	bool failed;
};

int ctlproto_reader_init(struct ctlproto_reader *r, size_t max);
void ctlproto_reader_free(struct ctlproto_reader *r);
/* Appends bytes: 0, -EMSGSIZE if a line grew past max, -ENOMEM. */
int ctlproto_reader_feed(struct ctlproto_reader *r, const void *data,
    size_t n);
/*
 * Next complete line: 1 and *line (valid until the next feed or next
 * call), 0 if none is complete yet.
 */
int ctlproto_reader_next(struct ctlproto_reader *r, char **line,
    size_t *len);
/* Bytes of an incomplete line waiting for its end. */
size_t ctlproto_reader_pending(const struct ctlproto_reader *r);

/* A parsed request; owns root, the other pointers point into it. */
struct ctlproto_req {
	json_t *root;
	json_int_t id;           /* 0 if the client gave none */
	const char *cmd_name;
	const struct ctlproto_cmd *cmd;
	json_t *args;            /* an object, never NULL once parsed */
};

/*
 * Parses and checks a request line against the command table: version,
 * command, argument names and types.  On error returns the code, fills
 * msg, and sets req->id if the line carried one so the reply can match.
 */
enum ctlproto_err ctlproto_req_parse(struct ctlproto_req *req,
    const char *line, size_t len, char *msg, size_t msgsz);
void ctlproto_req_free(struct ctlproto_req *req);

/* Builds a request line (with its newline); args may be NULL, is stolen. */
char *ctlproto_req_encode(json_int_t id, const char *cmd, json_t *args);
/*
 * Seeds are 64-bit unsigned but JSON integers are signed: a seed above
 * INT64_MAX travels as a decimal string.  The reader accepts both forms;
 * returns false for anything else (negative, fractional, not a number).
 */
json_t *ctlproto_seed_json(uint64_t seed);
bool ctlproto_seed_value(const json_t *v, uint64_t *seed);
/* Builds a success reply line; result may be NULL, is stolen. */
char *ctlproto_reply_ok(json_int_t id, json_t *result);
/* Builds an error reply line. */
char *ctlproto_reply_err(json_int_t id, enum ctlproto_err code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
