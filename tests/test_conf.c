/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosrd.conf: defaults, values and units, every kind of error with its
 * file:line, the printer's output parsing back to the same values, the
 * shipped etc/fosrd.conf, and fosrd.conf(5) documenting every directive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/conf.h"
#include "log.h"
#include "tap.h"

static int
parse(struct conf *c, const char *text, char *msg)
{
	struct diag d = { { 0 } };
	int rc;

	conf_defaults(c);
	rc = conf_parse(c, text, strlen(text), "t.conf", &d);
	strcpy(msg, d.msg);
	return rc;
}

static void
test_values(void)
{
	struct conf c;
	char msg[512];

	conf_defaults(&c);
	CHECK_STR(c.profile, "default");
	CHECK_EQ_U(c.socket_mode, 0660);
	CHECK_EQ_U(c.threads_s2, 1);
	CHECK_EQ_I(c.log_level, LOG_LVL_NOTICE);
	conf_free(&c);

	CHECK_EQ_I(parse(&c, "# comment\n\n  socket /tmp/x.sock  # here\n"
	    "fps 12.5\nrotate_size 10M\nrotate_time 2h\nflat yes\n"
	    "taint off\nsocket_mode 0600\nprofile \"/a b/#c\"\n"
	    "threads_s2 4\nlog_level debug\nseed 18446744073709551615\n",
	    msg), 0);
	CHECK_STR(c.socket, "/tmp/x.sock");
	CHECK_NEAR(c.fps, 12.5, 0);
	CHECK_EQ_U(c.rotate_size, 10u << 20);
	CHECK_EQ_U(c.rotate_time, 7200);
	CHECK(c.flat);
	CHECK(!c.taint);
	CHECK_EQ_U(c.socket_mode, 0600);
	CHECK_STR(c.profile, "/a b/#c");
	CHECK_EQ_U(c.threads_s2, 4);
	CHECK_EQ_I(c.log_level, LOG_LVL_DEBUG);
	CHECK_EQ_U(c.seed, UINT64_MAX);
	conf_free(&c);
}

static void
test_errors(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "fps 1\nbogus 3\n", "t.conf:2: unknown directive: bogus" },
		{ "\n\nthreads_s1 0\n",
		    "t.conf:3: threads_s1: 0 out of range [1, 64]" },
		{ "fps fast\n", "t.conf:1: fps: not a valid value: fast" },
		{ "flat maybe\n", "t.conf:1: flat: expected yes or no: maybe" },
		{ "log_level loud\n",
		    "t.conf:1: log_level: unknown level: loud" },
		{ "socket\n", "t.conf:1: socket: missing value" },
		{ "profile \"abc\n", "t.conf:1: unterminated quoted value" },
		{ "profile \"abc\" x\n",
		    "t.conf:1: text after the quoted value" },
		{ "rotate_size 3X\n",
		    "t.conf:1: rotate_size: not a valid value: 3X" },
		{ "threads_s3 2.5\n",
		    "t.conf:1: threads_s3: not a valid value: 2.5" },
		{ "seed -1\n", "t.conf:1: seed: not a valid value: -1" },
		{ "socket_mode 9\n",
		    "t.conf:1: socket_mode: not a valid value: 9" },
	};
	struct conf c;
	char msg[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_I(parse(&c, cases[i].text, msg), -EINVAL);
		CHECK_STR(msg, cases[i].msg);
		conf_free(&c);
	}
	/* A NUL byte inside a line is refused with its line. */
	{
		struct diag d;

		conf_defaults(&c);
		CHECK_EQ_I(conf_parse(&c, "fps 1\nfps\0 2\n", 12, "t.conf",
		    &d), -EINVAL);
		CHECK_STR(d.msg, "t.conf:2: NUL byte in the line");
		conf_free(&c);
	}
}

/* What conf_print writes parses back to the same configuration. */
static void
test_roundtrip(void)
{
	struct conf a, b, k;
	char msg[512], *buf = NULL;
	size_t len = 0;
	FILE *f;

	CHECK_EQ_I(parse(&a, "profile \"/x y\"\nfps 0.25\nrotate_size 1k\n"
	    "taint yes\nmax_flows 128\nnetconf \" a#b\"\n", msg), 0);
	f = open_memstream(&buf, &len);
	conf_print(&a, f);
	fclose(f);
	CHECK_EQ_I(parse(&b, buf, msg), 0);
	for (const struct conf_directive *d = conf_directives; d->name; d++)
		CHECK(conf_same(d, &a, &b));
	CHECK(strstr(buf, "profile /x y\n") != NULL);
	CHECK(strstr(buf, "netconf \" a#b\"\n") != NULL);
	CHECK(strstr(buf, "rotate_size 1024\n") != NULL);

	CHECK_EQ_I(conf_copy(&k, &a), 0);
	conf_free(&a);
	CHECK_STR(k.profile, "/x y");
	conf_defaults(&a);
	for (const struct conf_directive *d = conf_directives; d->name; d++)
		CHECK_EQ_I(conf_keep(&a, &k, d), 0);
	for (const struct conf_directive *d = conf_directives; d->name; d++)
		CHECK(conf_same(d, &a, &k));
	conf_free(&a);
	conf_free(&b);
	conf_free(&k);
	free(buf);
}

static char *
slurp(const char *rel)
{
	const char *src = getenv("FOSR_SRCDIR");
	char path[4096], *text;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	text = calloc(1, 1 << 20);
	n = fread(text, 1, (1 << 20) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* The shipped file parses, and the man page names every directive. */
static void
test_shipped(void)
{
	char *etc = slurp("etc/fosrd.conf"), *man = slurp("man/fosrd.conf.5");
	struct conf c;
	struct diag d;

	CHECK(etc != NULL && man != NULL);
	if (etc == NULL || man == NULL)
		goto out;
	conf_defaults(&c);
	CHECK_EQ_I(conf_parse(&c, etc, strlen(etc), "fosrd.conf", &d), 0);
	conf_free(&c);
	for (const struct conf_directive *cd = conf_directives; cd->name;
	    cd++) {
		char want[128];

		snprintf(want, sizeof(want), ".It Ic %s ", cd->name);
		if (strstr(man, want) == NULL)
			fprintf(stderr, "fosrd.conf.5: %s missing\n",
			    cd->name);
		CHECK(strstr(man, want) != NULL);
		/* The shipped file mentions each one, commented or not. */
		snprintf(want, sizeof(want), "%s ", cd->name);
		CHECK(strstr(etc, want) != NULL);
	}
out:
	free(etc);
	free(man);
}

int
main(void)
{
	test_values();
	test_errors();
	test_roundtrip();
	test_shipped();
	return tap_done();
}
