/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control protocol: the line reader fed in every split, oversized
 * and garbage input; request parsing and its error codes; encoding round
 * trips; and fosrd(8) documenting every command of the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "tap.h"

/* Feeds text in pieces of size step and collects the lines, '|'-joined. */
static int
read_lines(const char *text, size_t step, size_t max, char *out, size_t sz)
{
	struct ctlproto_reader r;
	size_t n = strlen(text), len;
	char *line;
	int rc = 0, got;

	out[0] = '\0';
	CHECK(ctlproto_reader_init(&r, max) == 0);
	for (size_t off = 0; off < n && rc == 0; off += step) {
		size_t k = n - off < step ? n - off : step;

		if ((rc = ctlproto_reader_feed(&r, text + off, k)) < 0)
			break;
		while ((got = ctlproto_reader_next(&r, &line, &len)) > 0) {
			CHECK_EQ_U(strlen(line), len);
			strncat(out, line, sz - strlen(out) - 2);
			strcat(out, "|");
		}
		if (got < 0)
			rc = got;
	}
	ctlproto_reader_free(&r);
	return rc;
}

static void
test_reader(void)
{
	const char *text = "{\"a\":1}\nsecond line\r\n\nlast\n";
	char out[256];

	for (size_t step = 1; step <= strlen(text); step++) {
		CHECK_EQ_I(read_lines(text, step, 64, out, sizeof(out)), 0);
		CHECK_STR(out, "{\"a\":1}|second line||last|");
	}
	/* A half line stays pending until its end arrives. */
	CHECK_EQ_I(read_lines("abc\nhalf", 3, 64, out, sizeof(out)), 0);
	CHECK_STR(out, "abc|");
	/* Exactly max bytes is fine, one more is refused in any split. */
	{
		char big[80];

		memset(big, 'x', 64);
		strcpy(big + 64, "\n");
		CHECK_EQ_I(read_lines(big, 7, 64, out, sizeof(out)), 0);
		memset(big, 'x', 65);
		strcpy(big + 65, "\n");
		CHECK_EQ_I(read_lines(big, 1, 64, out, sizeof(out)),
		    -EMSGSIZE);
		CHECK_EQ_I(read_lines(big, 66, 64, out, sizeof(out)),
		    -EMSGSIZE);
		/* No newline at all: refused as soon as it passes max. */
		big[65] = '\0';
		CHECK_EQ_I(read_lines(big, 5, 64, out, sizeof(out)),
		    -EMSGSIZE);
	}
	/* Binary garbage with NUL bytes is just a line of bytes. */
	{
		struct ctlproto_reader r;
		const char g[] = { 'a', 0, (char)0xff, '\n' };
		char *line;
		size_t len;

		CHECK(ctlproto_reader_init(&r, 64) == 0);
		CHECK_EQ_I(ctlproto_reader_feed(&r, g, sizeof(g)), 0);
		CHECK_EQ_I(ctlproto_reader_next(&r, &line, &len), 1);
		CHECK_EQ_U(len, 3);
		CHECK_EQ_U(ctlproto_reader_pending(&r), 0);
		CHECK_EQ_I(ctlproto_reader_next(&r, &line, &len), 0);
		ctlproto_reader_free(&r);
	}
}

static enum ctlproto_err
parse(const char *line, json_int_t *id, char *msg)
{
	struct ctlproto_req req;
	enum ctlproto_err e;

	e = ctlproto_req_parse(&req, line, strlen(line), msg, 256);
	*id = req.id;
	ctlproto_req_free(&req);
	return e;
}

static void
test_parse(void)
{
	json_int_t id;
	char msg[256];

	CHECK_EQ_I(parse("{\"v\":1,\"id\":9,\"cmd\":\"status\"}", &id, msg),
	    CTLPROTO_OK);
	CHECK_EQ_I(id, 9);
	CHECK_EQ_I(parse("{\"v\":1,\"id\":3,\"cmd\":\"start\",\"args\":"
	    "{\"fps\":2.5,\"seed\":7,\"output\":\"discard\",\"taint\":true}}",
	    &id, msg), CTLPROTO_OK);
	CHECK_EQ_I(parse("not json", &id, msg), CTLPROTO_E_JSON);
	CHECK_EQ_I(parse("[1,2]", &id, msg), CTLPROTO_E_REQUEST);
	CHECK_EQ_I(parse("{\"id\":4,\"cmd\":\"status\"}", &id, msg),
	    CTLPROTO_E_REQUEST);
	CHECK_EQ_I(id, 4);
	CHECK_EQ_I(parse("{\"v\":2,\"id\":5,\"cmd\":\"status\"}", &id, msg),
	    CTLPROTO_E_VERSION);
	CHECK_EQ_I(id, 5);
	CHECK(strstr(msg, "version 2") != NULL);
	CHECK_EQ_I(parse("{\"v\":1,\"cmd\":\"explode\"}", &id, msg),
	    CTLPROTO_E_COMMAND);
	CHECK_STR(msg, "unknown command: explode");
	CHECK_EQ_I(parse("{\"v\":1,\"cmd\":\"set\",\"args\":{\"fps\":\"x\"}}",
	    &id, msg), CTLPROTO_E_ARGUMENT);
	CHECK_STR(msg, "set: fps: must be a number");
	CHECK_EQ_I(parse("{\"v\":1,\"cmd\":\"start\",\"args\":{\"speed\":1}}",
	    &id, msg), CTLPROTO_E_ARGUMENT);
	CHECK_STR(msg, "start: unknown argument: speed");
	CHECK_EQ_I(parse("{\"v\":1,\"cmd\":\"start\",\"args\":{\"seed\":-1}}",
	    &id, msg), CTLPROTO_E_ARGUMENT);
	CHECK_EQ_I(parse("{\"v\":1,\"cmd\":\"stop\",\"args\":[]}", &id, msg),
	    CTLPROTO_E_REQUEST);
	CHECK_EQ_I(parse("{\"v\":1,\"id\":\"x\",\"cmd\":\"stop\"}", &id, msg),
	    CTLPROTO_E_REQUEST);
	CHECK_EQ_I(parse("{\"v\":1,\"v\":1,\"cmd\":\"stop\"}", &id, msg),
	    CTLPROTO_E_JSON);
}

static void
test_encode(void)
{
	struct ctlproto_req req;
	json_t *o, *err;
	char msg[256], *line;

	line = ctlproto_req_encode(42, "set", json_pack("{s:f}", "fps", 3.5));
	CHECK(line != NULL && line[strlen(line) - 1] == '\n');
	CHECK(strchr(line, '\n') == line + strlen(line) - 1);
	CHECK_EQ_I(ctlproto_req_parse(&req, line, strlen(line) - 1, msg,
	    sizeof(msg)), CTLPROTO_OK);
	CHECK_EQ_I(req.id, 42);
	CHECK_STR(req.cmd->name, "set");
	CHECK_NEAR(json_number_value(json_object_get(req.args, "fps")), 3.5,
	    0);
	ctlproto_req_free(&req);
	free(line);

	line = ctlproto_reply_err(7, CTLPROTO_E_STATE, "stop: %s \xc3",
	    "not running");
	CHECK(line != NULL);
	o = json_loads(line, 0, NULL);
	CHECK(o != NULL);
	CHECK(json_is_false(json_object_get(o, "ok")));
	CHECK_EQ_I(json_integer_value(json_object_get(o, "id")), 7);
	err = json_object_get(o, "error");
	CHECK_STR(json_string_value(json_object_get(err, "code")),
	    "bad-state");
	CHECK_STR(json_string_value(json_object_get(err, "message")),
	    "stop: not running ?");
	json_decref(o);
	free(line);

	line = ctlproto_reply_ok(8, json_pack("{s:i}", "x", 1));
	o = json_loads(line, 0, NULL);
	CHECK(json_is_true(json_object_get(o, "ok")));
	CHECK_EQ_I(json_integer_value(json_object_get(o, "v")),
	    CTLPROTO_VERSION);
	json_decref(o);
	free(line);
}

static void
test_tables(void)
{
	/* Error names are protocol: stable, unique, and parse back. */
	for (int e = 0; e < CTLPROTO_E_COUNT; e++) {
		CHECK(ctlproto_err_name(e) != NULL);
		CHECK_EQ_I(ctlproto_err_parse(ctlproto_err_name(e)), e);
	}
	CHECK_STR(ctlproto_err_name(CTLPROTO_E_TOOLONG), "line-too-long");
	CHECK(ctlproto_err_name(CTLPROTO_E_COUNT) == NULL);
	for (const struct ctlproto_cmd *c = ctlproto_cmds; c->name; c++)
		CHECK(ctlproto_cmd_find(c->name) == c);
	CHECK(ctlproto_cmd_find("start")->changes_state);
	CHECK(!ctlproto_cmd_find("status")->changes_state);
	CHECK(ctlproto_cmd_find("nope") == NULL);
}

/* fosrd(8) has an entry for every command and every error code. */
static void
test_documented(void)
{
	const char *src = getenv("FOSR_SRCDIR");
	char path[4096], *text;
	size_t n;
	FILE *f;

	if (src == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/man/fosrd.8", src);
	CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	text = calloc(1, 1 << 20);
	n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (const struct ctlproto_cmd *c = ctlproto_cmds; c->name; c++) {
		char want[128];

		snprintf(want, sizeof(want), ".It Cm %s", c->name);
		if (strstr(text, want) == NULL)
			fprintf(stderr, "fosrd.8: command %s missing\n",
			    c->name);
		CHECK(strstr(text, want) != NULL);
		for (const struct ctlproto_arg *a = c->args; a->name; a++) {
			snprintf(want, sizeof(want), ".It Va %s", a->name);
			CHECK(strstr(text, want) != NULL);
		}
	}
	for (int e = 1; e < CTLPROTO_E_COUNT; e++) {
		char want[128];

		snprintf(want, sizeof(want), ".It Li %s", ctlproto_err_name(e));
		if (strstr(text, want) == NULL)
			fprintf(stderr, "fosrd.8: error %s missing\n",
			    ctlproto_err_name(e));
		CHECK(strstr(text, want) != NULL);
	}
	free(text);
}

int
main(void)
{
	test_reader();
	test_parse();
	test_encode();
	test_tables();
	test_documented();
	return tap_done();
}
