/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control protocol shared by fosrd and fosrctl: the command table, the
 * stable error codes, the line reader and the encoding of requests and
 * replies.  Everything that both sides must agree on lives here and
 * nowhere else, so fosrctl never needs a daemon header.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"

static const char *const ctlproto_err_names[CTLPROTO_E_COUNT] = {
	[CTLPROTO_OK] = "ok",
	[CTLPROTO_E_JSON] = "bad-json",
	[CTLPROTO_E_REQUEST] = "bad-request",
	[CTLPROTO_E_VERSION] = "bad-version",
	[CTLPROTO_E_COMMAND] = "unknown-command",
	[CTLPROTO_E_ARGUMENT] = "bad-argument",
	[CTLPROTO_E_STATE] = "bad-state",
	[CTLPROTO_E_PROFILE] = "profile-error",
	[CTLPROTO_E_OUTPUT] = "output-error",
	[CTLPROTO_E_BUSY] = "busy",
	[CTLPROTO_E_CONFIG] = "config-error",
	[CTLPROTO_E_TOOLONG] = "line-too-long",
	[CTLPROTO_E_INTERNAL] = "internal",
};

/*
 * The command table.  changes_state marks the requests whose peer uid is
 * logged; read-only ones may be sent by anyone allowed on the socket.
 */
const struct ctlproto_cmd ctlproto_cmds[] = {
	{ "version", false, "protocol and program versions", { { 0 } } },
	{ "status", false, "state, profile, rates and counters", { { 0 } } },
	{ "stats", false, "per-stage counters, rates and ring fill",
	    { { 0 } } },
	{ "profile.show", false, "the running profile", { { 0 } } },
	{ "start", true, "start generating", {
		{ "fps", CTLPROTO_T_NUMBER, "mean flows per second" },
		{ "duration", CTLPROTO_T_NUMBER, "seconds, 0 for no end" },
		{ "seed", CTLPROTO_T_INT, "master seed" },
		{ "output", CTLPROTO_T_STRING, "directory or \"discard\"" },
		{ "taint", CTLPROTO_T_BOOL, "set the IPv4 reserved bit" },
		{ "flat", CTLPROTO_T_BOOL, "ignore the daily shape" },
		{ "profile", CTLPROTO_T_STRING, "profile directory" },
		{ "config", CTLPROTO_T_STRING, "network configuration" },
		{ 0 } } },
	{ "stop", true, "stop, flush the output and wait", { { 0 } } },
	{ "set", true, "change a setting while running", {
		{ "fps", CTLPROTO_T_NUMBER, "mean flows per second" },
		{ "log_level", CTLPROTO_T_STRING, "err ... debug" },
		{ 0 } } },
	{ "profile.load", true, "load a profile and swap it in", {
		{ "dir", CTLPROTO_T_STRING,
		    "profile directory or \"default\"" },
		{ "config", CTLPROTO_T_STRING, "network configuration" },
		{ 0 } } },
	{ "reload", true, "read the configuration file again", { { 0 } } },
	{ NULL, false, NULL, { { 0 } } },
};

const char *
ctlproto_err_name(enum ctlproto_err e)
{
	if ((unsigned)e >= CTLPROTO_E_COUNT)
		return NULL;
	return ctlproto_err_names[e];
}

int
ctlproto_err_parse(const char *name)
{
	for (int i = 0; i < CTLPROTO_E_COUNT; i++)
		if (strcmp(name, ctlproto_err_names[i]) == 0)
			return i;
	return -1;
}

const struct ctlproto_cmd *
ctlproto_cmd_find(const char *name)
{
	for (const struct ctlproto_cmd *c = ctlproto_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int
ctlproto_reader_init(struct ctlproto_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	r->cap = 512;
	if ((r->buf = malloc(r->cap)) == NULL)
		return -ENOMEM;
	return 0;
}

void
ctlproto_reader_free(struct ctlproto_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->off = r->cap = 0;
}

size_t
ctlproto_reader_pending(const struct ctlproto_reader *r)
{
	return r->len - r->off;
}

/* Length of the longest unterminated run at the end of the buffer. */
static size_t
ctlproto_reader_tail(const struct ctlproto_reader *r)
{
	const char *nl = memrchr(r->buf + r->off, '\n', r->len - r->off);

	if (nl == NULL)
		return r->len - r->off;
	return r->buf + r->len - (nl + 1);
}

int
ctlproto_reader_feed(struct ctlproto_reader *r, const void *data, size_t n)
{
	if (r->failed)
		return -EMSGSIZE;
	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap;
		char *nb;

		while (cap < r->len + n + 1)
			cap *= 2;
		if ((nb = realloc(r->buf, cap)) == NULL)
			return -ENOMEM;
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	if (ctlproto_reader_tail(r) > r->max) {
		r->failed = true;
		return -EMSGSIZE;
	}
	return 0;
}

int
ctlproto_reader_next(struct ctlproto_reader *r, char **line, size_t *len)
{
	char *start = r->buf + r->off;
	char *nl = memchr(start, '\n', r->len - r->off);
	size_t n;

	if (nl == NULL)
		return 0;
	n = nl - start;
	/* A complete line may still be too long if it came in one piece. */
	if (n > r->max) {
		r->failed = true;
		return -EMSGSIZE;
	}
	*nl = '\0';
	if (n > 0 && start[n - 1] == '\r')
		start[--n] = '\0';
	r->off += (nl - start) + 1;
	*line = start;
	*len = n;
	return 1;
}

static bool
ctlproto_type_ok(const json_t *v, enum ctlproto_type t)
{
	switch (t) {
	case CTLPROTO_T_NUMBER:
		return json_is_number(v);
	case CTLPROTO_T_INT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case CTLPROTO_T_STRING:
		return json_is_string(v);
	case CTLPROTO_T_BOOL:
		return json_is_boolean(v);
	}
	return false;
}

static const char *const ctlproto_type_names[] = {
	[CTLPROTO_T_NUMBER] = "a number",
	[CTLPROTO_T_INT] = "an integer >= 0",
	[CTLPROTO_T_STRING] = "a string",
	[CTLPROTO_T_BOOL] = "true or false",
};

static enum ctlproto_err
ctlproto_check_args(const struct ctlproto_req *req, char *msg, size_t msgsz)
{
	const struct ctlproto_arg *a;
	const char *key;
	json_t *v;

	json_object_foreach(req->args, key, v) {
		for (a = req->cmd->args; a->name; a++)
			if (strcmp(a->name, key) == 0)
				break;
		if (a->name == NULL) {
			snprintf(msg, msgsz, "%s: unknown argument: %.64s",
			    req->cmd->name, key);
			return CTLPROTO_E_ARGUMENT;
		}
		if (!ctlproto_type_ok(v, a->type)) {
			snprintf(msg, msgsz, "%s: %s: must be %s",
			    req->cmd->name, a->name,
			    ctlproto_type_names[a->type]);
			return CTLPROTO_E_ARGUMENT;
		}
	}
	return CTLPROTO_OK;
}

/* Checks the envelope: an object with v, optional id, cmd, args. */
static enum ctlproto_err
ctlproto_check_envelope(struct ctlproto_req *req, char *msg, size_t msgsz)
{
	json_t *v, *id, *cmd;

	if (!json_is_object(req->root)) {
		snprintf(msg, msgsz, "request: not a JSON object");
		return CTLPROTO_E_REQUEST;
	}
	id = json_object_get(req->root, "id");
	if (id != NULL && !json_is_integer(id)) {
		snprintf(msg, msgsz, "request: id: must be an integer");
		return CTLPROTO_E_REQUEST;
	}
	if (id != NULL)
		req->id = json_integer_value(id);
	v = json_object_get(req->root, "v");
	if (!json_is_integer(v)) {
		snprintf(msg, msgsz, "request: v: missing or not an integer");
		return CTLPROTO_E_REQUEST;
	}
	if (json_integer_value(v) != CTLPROTO_VERSION) {
		snprintf(msg, msgsz, "request: v: version %" JSON_INTEGER_FORMAT
		    " not supported (this daemon speaks %d)",
		    json_integer_value(v), CTLPROTO_VERSION);
		return CTLPROTO_E_VERSION;
	}
	cmd = json_object_get(req->root, "cmd");
	if (!json_is_string(cmd)) {
		snprintf(msg, msgsz, "request: cmd: missing or not a string");
		return CTLPROTO_E_REQUEST;
	}
	req->cmd_name = json_string_value(cmd);
	return CTLPROTO_OK;
}

enum ctlproto_err
ctlproto_req_parse(struct ctlproto_req *req, const char *line, size_t len,
    char *msg, size_t msgsz)
{
	json_error_t jerr;
	enum ctlproto_err e;

	memset(req, 0, sizeof(*req));
	req->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req->root == NULL) {
		snprintf(msg, msgsz, "request: column %d: %s", jerr.column,
		    jerr.text);
		return CTLPROTO_E_JSON;
	}
	if ((e = ctlproto_check_envelope(req, msg, msgsz)) != CTLPROTO_OK)
		return e;
	if ((req->cmd = ctlproto_cmd_find(req->cmd_name)) == NULL) {
		snprintf(msg, msgsz, "unknown command: %.64s", req->cmd_name);
		return CTLPROTO_E_COMMAND;
	}
	req->args = json_object_get(req->root, "args");
	if (req->args == NULL) {
		req->args = json_object();
		json_object_set_new(req->root, "args", req->args);
	} else if (!json_is_object(req->args)) {
		snprintf(msg, msgsz, "request: args: must be an object");
		return CTLPROTO_E_REQUEST;
	}
	return ctlproto_check_args(req, msg, msgsz);
}

void
ctlproto_req_free(struct ctlproto_req *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

/* Serialises obj on one line with a newline; steals obj. */
static char *
ctlproto_line(json_t *obj)
{
	char *s, *line = NULL;
	size_t n;

	if (obj == NULL)
		return NULL;
	s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *
ctlproto_req_encode(json_int_t id, const char *cmd, json_t *args)
{
	if (args == NULL)
		args = json_object();
	return ctlproto_line(json_pack("{s:i, s:I, s:s, s:o}", "v",
	    CTLPROTO_VERSION, "id", id, "cmd", cmd, "args", args));
}

char *
ctlproto_reply_ok(json_int_t id, json_t *result)
{
	if (result == NULL)
		result = json_object();
	return ctlproto_line(json_pack("{s:i, s:I, s:b, s:o}", "v",
	    CTLPROTO_VERSION, "id", id, "ok", 1, "result", result));
}

char *
ctlproto_reply_err(json_int_t id, enum ctlproto_err code, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * Messages may quote what a client sent, cut to a length that can
	 * split a UTF-8 sequence; JSON strings must be valid UTF-8.
	 */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	return ctlproto_line(json_pack("{s:i, s:I, s:b, s:{s:s, s:s}}", "v",
	    CTLPROTO_VERSION, "id", id, "ok", 0, "error", "code",
	    ctlproto_err_name(code), "message", msg));
}

json_t *
ctlproto_seed_json(uint64_t seed)
{
	if (seed <= INT64_MAX)
		return json_integer((json_int_t)seed);
	return json_sprintf("%llu", (unsigned long long)seed);
}

bool
ctlproto_seed_value(const json_t *v, uint64_t *seed)
{
	unsigned long long x;
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*seed = (uint64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*seed = x;
	return true;
}
