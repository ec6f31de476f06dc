/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The BIF reader: tables of the legacy model decoded to their numbers,
 * the row order of a two-parent table, and one error per kind of bad
 * input, each naming the file and the line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bif.h"
#include "tap.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n)
		exit(1);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static struct bif_net *
load_legacy(const char *name)
{
	char path[4096];
	struct bif_net *net = NULL;
	struct diag d;
	size_t len;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/fosr-models/legacy/bn/%s",
	    tap_shared(), name);
	text = slurp(path, &len);
	rc = bif_parse(&net, text, len, name, &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	free(text);
	return net;
}

static void
test_legacy(void)
{
	static const double dst_role[9] = { 0, 1, 0, 0.5, 0.5, 0,
		0.996833, 0.00174933, 0.00141776 };
	static const double l7_tcp[8] = { 0, 9.66436e-05, 0.46963, 0.52576,
		0.00117905, 0, 0.00324722, 8.69792e-05 };
	static const double l7_udp[8] = { 0.00216908, 0.997803, 0, 0, 0,
		2.79881e-05, 0, 0 };
	struct bif_net *net = load_legacy("bn_common.bifxml");
	const struct bif_var *v;
	int i, p;

	if (net == NULL)
		return;
	CHECK_EQ_U(net->nvars, 8);
	CHECK_STR(net->name, "unnamedBN");
	i = bif_find(net, "Dst IP Role");
	p = bif_find(net, "Src IP Role");
	CHECK(i >= 0 && p >= 0);
	v = &net->vars[i];
	CHECK_EQ_U(v->noutcomes, 3);
	CHECK_STR(v->outcomes[0], "Internet");
	CHECK_STR(v->outcomes[2], "User");
	CHECK_EQ_U(v->nparents, 1);
	CHECK_EQ_U(v->parents[0], (unsigned)p);
	CHECK_EQ_U(v->nrows, 3);
	for (int k = 0; k < 9; k++)
		CHECK_NEAR(v->table[k], dst_role[k], 1e-12);

	v = &net->vars[bif_find(net, "Applicative Proto")];
	CHECK_EQ_U(v->noutcomes, 8);
	CHECK_STR(v->outcomes[5], "NTP");
	CHECK_EQ_U(v->nrows, 2);
	CHECK_STR(net->vars[v->parents[0]].name, "Proto");
	for (int k = 0; k < 8; k++) {
		CHECK_NEAR(v->table[k], l7_tcp[k], 1e-12);
		CHECK_NEAR(v->table[8 + k], l7_udp[k], 1e-12);
	}

	v = &net->vars[bif_find(net, "Time")];
	CHECK_EQ_U(v->noutcomes, 96);
	CHECK_STR(v->outcomes[2], "bin-10.0");
	CHECK_EQ_U(v->nparents, 0);
	v = &net->vars[bif_find(net, "Src IP Addr")];
	CHECK_EQ_U(v->noutcomes, 28);
	CHECK_EQ_U(v->nrows, 96);
	bif_free(net);

	net = load_legacy("bn_tcp.bifxml");
	if (net == NULL)
		return;
	v = &net->vars[bif_find(net, "Cat In Packet")];
	CHECK_STR(net->vars[v->parents[0]].name, "End Flags");
	CHECK_EQ_U(v->nrows, 4);
	CHECK_EQ_U(v->noutcomes, 5);
	bif_free(net);
}

#define HEAD "<?xml version=\"1.0\"?>\n<BIF VERSION=\"0.3\"><NETWORK>\n" \
	"<NAME>t</NAME>\n"
#define VAR2(n) "<VARIABLE TYPE=\"nature\"><NAME>" n "</NAME>" \
	"<OUTCOME>a</OUTCOME><OUTCOME>b</OUTCOME></VARIABLE>\n"
#define VAR3(n) "<VARIABLE TYPE=\"nature\"><NAME>" n "</NAME>" \
	"<OUTCOME>x</OUTCOME><OUTCOME>y</OUTCOME><OUTCOME>z</OUTCOME>" \
	"</VARIABLE>\n"
#define ROOT(n, t) "<DEFINITION><FOR>" n "</FOR><TABLE>" t \
	"</TABLE></DEFINITION>\n"
#define DEF1(n, g, t) "<DEFINITION><FOR>" n "</FOR><GIVEN>" g "</GIVEN>" \
	"<TABLE>" t "</TABLE></DEFINITION>\n"
#define TAIL "</NETWORK></BIF>\n"

static void
expect_error(const char *doc, const char *want)
{
	struct bif_net *net = (struct bif_net *)1;
	struct diag d;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = bif_parse(&net, doc, strlen(doc), "t.bifxml", &d);
	CHECK_EQ_I(rc, -EINVAL);
	CHECK(net == NULL);
	if (strstr(d.msg, want) == NULL) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", d.msg, want);
		CHECK(0);
	}
}

static void
test_errors(void)
{
	expect_error(HEAD VAR2("A") "<DEFINITION><FOR>A</FOR>\n<TABLE>1 0"
	    "</DEFINITION>" TAIL, "t.bifxml:6: malformed XML: mismatched tag");
	expect_error(HEAD VAR2("A") ROOT("A", "1 0") ROOT("B", "1 0") TAIL,
	    "t.bifxml:6: <FOR> names unknown variable 'B'");
	expect_error(HEAD VAR2("A") DEF1("A", "Q", "1 0") TAIL,
	    "t.bifxml:5: <GIVEN> names unknown variable 'Q'");
	expect_error(HEAD VAR2("A") VAR2("A") ROOT("A", "1 0") TAIL,
	    "t.bifxml:5: variable 'A' declared twice (first at line 4)");
	expect_error(HEAD VAR2("A") ROOT("A", "1 0") ROOT("A", "0 1") TAIL,
	    "t.bifxml:6: variable 'A' defined twice");
	expect_error(HEAD VAR2("A") VAR2("B") ROOT("A", "1 0") TAIL,
	    "t.bifxml:5: variable 'B' has no <DEFINITION>");
	expect_error(HEAD VAR2("A") VAR3("B") ROOT("A", "1 0")
	    DEF1("B", "A", "1 0 0 0 1") TAIL,
	    "t.bifxml:7: TABLE of 'B' has 5 numbers, expected 2 rows x 3 "
	    "outcomes = 6");
	expect_error(HEAD VAR2("A") ROOT("A", "1 zero") TAIL,
	    "t.bifxml:5: TABLE of 'A': 'zero' is not a number");
	expect_error(HEAD VAR2("A") ROOT("A", "1 -0.5") TAIL,
	    "t.bifxml:5: TABLE of 'A': negative probability -0.5");
	expect_error(HEAD VAR2("A") ROOT("A", "nan 1") TAIL,
	    "'nan' is not a finite number");
	expect_error(HEAD VAR2("A") ROOT("A", "1 inf") TAIL,
	    "'inf' is not a finite number");
	expect_error(HEAD "<VARIABLE><NAME>A</NAME></VARIABLE>\n"
	    ROOT("A", "") TAIL, "t.bifxml:4: variable 'A' has no <OUTCOME>");
	expect_error(HEAD VAR2("A") VAR2("B") DEF1("A", "B", "1 0 0 1")
	    DEF1("B", "A", "1 0 0 1") TAIL, "has a cycle through '");
	expect_error(HEAD VAR2("A") DEF1("A", "A", "1 0 0 1") TAIL,
	    "t.bifxml:4: the network has a cycle through 'A'");
	expect_error("<?xml version=\"1.0\"?>\n<NET/>\n",
	    "t.bifxml:2: root element is <NET>, expected <BIF>");
	expect_error("<?xml version=\"1.0\"?>\n<BIF></BIF>\n",
	    "no <NETWORK> element");
	expect_error(HEAD "<VARIABLE><OUTCOME>a</OUTCOME></VARIABLE>\n" TAIL,
	    "t.bifxml:4: <VARIABLE> without a <NAME>");
	expect_error(HEAD VAR2("A") "<DEFINITION><FOR>A</FOR></DEFINITION>\n"
	    TAIL, "t.bifxml:5: definition of 'A' has no <TABLE>");
	expect_error("", "malformed XML");
}

static void
test_accepted(void)
{
	/*
	 * No PROPERTY, a row of zeros, two parents, and GIVENs that name
	 * variables declared later.
	 */
	static const char doc[] = HEAD
	    VAR2("X") DEF1("X", "A</GIVEN><GIVEN>B", "1 0  0 1  0 0\n"
	    "0.25 0.75  0.5 0.5  1e-3 2e-3") VAR2("A") VAR3("B")
	    ROOT("A", "0.3 0.7") ROOT("B", "0.2 0.3 0.5") TAIL;
	struct bif_net *net = NULL;
	struct diag d;
	const struct bif_var *x;
	int rc;

	rc = bif_parse(&net, doc, sizeof(doc) - 1, "t.bifxml", &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	if (net == NULL)
		return;
	x = &net->vars[bif_find(net, "X")];
	CHECK_EQ_U(x->nparents, 2);
	CHECK_STR(net->vars[x->parents[0]].name, "A");
	CHECK_STR(net->vars[x->parents[1]].name, "B");
	CHECK_EQ_U(x->nrows, 6);
	/* Row (A=a, B=z) is index 2, all zeros; (A=b, B=y) is index 4. */
	CHECK_NEAR(x->table[2 * 2] + x->table[2 * 2 + 1], 0.0, 0);
	CHECK_NEAR(x->table[4 * 2], 0.5, 1e-15);
	CHECK_NEAR(x->table[5 * 2 + 1], 2e-3, 1e-15);
	CHECK_EQ_I(bif_find(net, "nope"), -1);
	bif_free(net);
}

int
main(void)
{
	test_errors();
	test_accepted();
	test_legacy();
	return tap_done();
}
