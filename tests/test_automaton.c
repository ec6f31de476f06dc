/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Automaton files: the five learned ones load with the graph sizes their
 * structure implies, units are converted, and every kind of broken file
 * is refused with a message naming the file and the JSON path.
 */
#include <errno.h>
#include <stdio.h>

#include "automaton.h"
#include "tap.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct automaton *
legacy(const char *name)
{
	char path[512];
	struct automaton *am = NULL;
	struct diag d = { { 0 } };
	size_t len;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/fosr-models/legacy/automata/%s",
	    tap_shared(), name);
	text = slurp(path, &len);
	rc = automaton_parse(&am, name, text, len, AUTOMATON_CAP_DEFAULT, &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	free(text);
	return am;
}

static void
test_dns_ntp(void)
{
	const char *files[] = { "dns.json", "ntp.json" };

	for (int i = 0; i < 2; i++) {
		struct automaton *am = legacy(files[i]);

		if (am == NULL)
			continue;
		CHECK_EQ_U(am->l4, L4_UDP);
		CHECK_EQ_U(am->nnodes, 151);
		CHECK_EQ_U(am->points[0].n, 50);
		for (uint32_t n = 1; n <= 50; n++)
			CHECK(automaton_point(am, n, n) != 0);
		CHECK(automaton_point(am, 2, 1) == 0);
		CHECK(automaton_point(am, 1, 2) == 0);
		CHECK(automaton_point(am, 51, 51) == 0);
		/* Picoseconds and UDP lengths by default. */
		CHECK_NEAR(am->iat_scale, 1e-3, 1e-12);
		CHECK(am->size_has_header);
		automaton_free(am);
	}
}

static void
test_dns_units(void)
{
	struct automaton *am = legacy("dns.json");
	const struct automaton_edge *e;

	if (am == NULL)
		return;
	CHECK_EQ_U(am->nedges, 4);
	e = &am->edges[1];
	/* mu = (2.6293e10 ps, 112.92 B of UDP length). */
	CHECK_NEAR(e->iat_mean, 26293241.71539961, 1e-3);
	CHECK_NEAR(e->size_mean, 112.92105263157895 - 8, 1e-9);
	CHECK_NEAR(e->iat_slope, 199495803491.65598 / 2603.6571768664926 *
	    1e-3, 1e-6);
	CHECK_EQ_U(e->dir, DIR_BWD);
	CHECK_EQ_U(e->pl, AUTOMATON_PL_BYTES);
	CHECK_EQ_U(e->nchoice, 1026);
	CHECK(am->edges[2].eps);
	CHECK_EQ_U(am->edges[3].count, 23);
	automaton_free(am);
}

static void
test_tcp(void)
{
	struct automaton *am = legacy("mqtt.json");

	if (am != NULL) {
		CHECK_EQ_U(am->nnodes, 14);
		CHECK_EQ_U(am->points[0].n, 1);
		/* DISCONNECT and its answer carry FINs; nothing has RST. */
		CHECK_EQ_U(automaton_point(am, 7, 5), AUTOMATON_END_FIN);
		CHECK_EQ_U(am->edges[0].tcp_flags, TCPF_SYN);
		CHECK_EQ_U(am->edges[1].tcp_flags, TCPF_SYN | TCPF_ACK);
		CHECK_EQ_U(am->edges[2].tcp_flags,
		    TCPF_ACK | TCPF_PSH | TCPF_FIN);
		CHECK_NEAR(am->iat_scale, 1.0, 0);
		CHECK(!am->size_has_header);
		automaton_free(am);
	}
	if ((am = legacy("smtp.json")) != NULL) {
		CHECK_EQ_U(am->nnodes, 52589);
		CHECK_EQ_U(am->points[0].n, 4754);
		/* Every learned SMTP flow ends with the server's RST. */
		CHECK_EQ_U(am->points[2].n, 4754);
		CHECK_EQ_U(am->points[1].n, 0);
		automaton_free(am);
	}
	if ((am = legacy("https.json")) != NULL) {
		CHECK_EQ_U(am->nnodes, 49197);
		CHECK_EQ_U(am->points[0].n, 5050);
		CHECK(automaton_point(am, 1, 0) != 0);
		CHECK(automaton_point(am, 0, 1) == 0);
		CHECK(automaton_point(am, 100, 0) != 0);
		automaton_free(am);
	}
}

/* A small valid UDP automaton; %s slots patch its parts. */
#define BASE_FMT                                                             \
	"{\"protocol\": \"%s\", \"l7protocol\": \"%s\", "                   \
	"\"initial_state\": 0, \"accepting_state\": 2, %s"                   \
	"\"edges\": [{\"src\": 0, \"dst\": 1, \"symbol\": \"%s\", "          \
	"\"p\": 1.0, \"count\": %s, \"mu\": %s, \"cov\": %s, "               \
	"\"payloads\": %s}, "                                                \
	"{\"src\": 1, \"dst\": 2, \"symbol\": \"$\", \"p\": 1, "            \
	"\"count\": 1, \"mu\": [0, 0], \"cov\": [[1, 0], [0, 1]], "         \
	"\"payloads\": {\"type\": \"Lengths\", \"lengths\": []}}]}"

struct variant {
	const char *proto, *l7, *extra, *symbol, *count, *mu, *cov, *payloads;
};

static const struct variant good = { "UDP", "dns", "", ">_Replay", "5",
	"[1000, 30]", "[[4, 1], [1, 2]]",
	"{\"type\": \"HexCodes\", \"content\": [\"00ff\", \"AbCd12\", \"\"]}" };

static int
parse_variant(const struct variant *v, struct automaton **am, struct diag *d)
{
	char buf[2048];
	int n;

	n = snprintf(buf, sizeof(buf), BASE_FMT, v->proto, v->l7, v->extra,
	    v->symbol, v->count, v->mu, v->cov, v->payloads);
	return automaton_parse(am, "x.json", buf, (size_t)n, 100, d);
}

static void
test_base(void)
{
	struct automaton *am = NULL;
	struct diag d = { { 0 } };
	struct variant v = good;
	int rc = parse_variant(&v, &am, &d);

	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	if (am == NULL)
		return;
	CHECK_EQ_U(am->nchoices, 3);
	CHECK_EQ_U(am->choice_len[1], 3);
	CHECK(memcmp(automaton_choice(am, 1), "\xab\xcd\x12", 3) == 0);
	CHECK_EQ_U(am->choice_len[2], 0);
	CHECK_EQ_U(am->points[0].n, 1);
	/* Slope and deviation converted from ps; size mean less 8 bytes. */
	CHECK_NEAR(am->edges[0].iat_slope, 0.5e-3, 1e-12);
	CHECK_NEAR(am->edges[0].iat_sd, sqrt(3.5) * 1e-3, 1e-12);
	CHECK_NEAR(am->edges[0].size_mean, 22, 1e-12);
	automaton_free(am);

	v.extra = "\"iat_unit\": \"ms\", \"size_includes_l4_header\": false, ";
	CHECK_EQ_I(parse_variant(&v, &am, &d), 0);
	if (am != NULL) {
		CHECK_NEAR(am->edges[0].iat_mean, 1000 * 1e6, 1e-3);
		CHECK_NEAR(am->edges[0].size_mean, 30, 1e-12);
		automaton_free(am);
	}
	/* A TCP file: ns and payload sizes by default; flags decoded. */
	v = good;
	v.proto = "TCP";
	v.l7 = "MQTT";
	v.symbol = "APUCE_<_Text:hello";
	v.payloads = "{\"type\": \"Text\", \"content\": [\"a\", \"bb\"], "
	    "\"weights\": [0, 3]}";
	CHECK_EQ_I(parse_variant(&v, &am, &d), 0);
	if (am != NULL) {
		CHECK_EQ_U(am->l7, L7_MQTT);
		CHECK_EQ_U(am->edges[0].tcp_flags,
		    TCPF_ACK | TCPF_PSH | TCPF_URG);
		CHECK_EQ_U(am->edges[0].dir, DIR_BWD);
		CHECK_NEAR(am->edges[0].iat_mean, 1000, 1e-9);
		CHECK_NEAR(am->edges[0].size_mean, 30, 1e-12);
		CHECK(am->edges[0].weights != NULL);
		automaton_free(am);
	}
}

/* One bad variant: refused with -EINVAL and a message containing want. */
static void
bad(const struct variant *v, const char *want)
{
	struct automaton *am = (struct automaton *)1;
	struct diag d = { { 0 } };
	int rc = parse_variant(v, &am, &d);

	CHECK_EQ_I(rc, -EINVAL);
	CHECK(am == NULL);
	if (strstr(d.msg, want) == NULL) {
		fprintf(stderr, "want \"%s\"\n got \"%s\"\n", want, d.msg);
		CHECK(strstr(d.msg, want) != NULL);
	}
}

static void
test_bad_fields(void)
{
	struct variant v;

#define BAD(field, value, want)                                              \
	do {                                                                 \
		v = good;                                                    \
		v.field = value;                                             \
		bad(&v, want);                                               \
	} while (0)

	BAD(proto, "SCTP", "x.json: protocol: expected \"TCP\"");
	BAD(proto, "tcp", "x.json: protocol: expected \"TCP\"");
	BAD(l7, "gopher", "x.json: l7protocol: unknown protocol \"gopher\"");
	BAD(extra, "\"iat_unit\": \"fortnight\", ", "x.json: iat_unit: "
	    "expected \"ps\"");
	BAD(extra, "\"size_includes_l4_header\": 1, ",
	    "x.json: size_includes_l4_header: expected true or false");
	BAD(extra, "\"noise\": {\"none\": 1}, ", "x.json: noise: missing key "
	    "\"deletion\"");
	BAD(extra, "\"metadata\": {\"select_dst_ports\": [53, 70000]}, ",
	    "x.json: metadata.select_dst_ports: entry 1: expected a port");
	BAD(extra, "\"initial_state\": 1, ", "x.json: line 1 column");
	BAD(count, "-1", "x.json: edges[0].count: -1 is out of range");
	BAD(count, "4294967296", "edges[0].count: 4294967296 is out of range");
	BAD(count, "1.5", "x.json: edges[0].count: expected an integer");
	BAD(count, "1e999", "x.json: line 1 column");
	BAD(symbol, "<>", "x.json: edges[0].symbol: \"<>\": direction must "
	    "be");
	BAD(symbol, ">_Gift", "edges[0].symbol: \">_Gift\": unknown kind");
	BAD(mu, "[1, 2, 3]", "x.json: edges[0].mu: expected an array of 2");
	BAD(mu, "[1]", "x.json: edges[0].mu: expected an array of 2");
	BAD(mu, "[1, \"a\"]", "x.json: edges[0].mu[1]: expected a number");
	BAD(cov, "[[1, 0]]", "x.json: edges[0].cov: expected a 2x2 array");
	BAD(cov, "[[1, 0], [0]]", "x.json: edges[0].cov: expected a 2x2");
	BAD(cov, "[[1, 0], [0, 0]]", "x.json: edges[0].cov[1][1]: size "
	    "variance 0 is not positive");
	BAD(cov, "[[1, 0], [0, -2]]", "edges[0].cov[1][1]: size variance -2");
	BAD(payloads, "{\"type\": \"HexCodes\", \"content\": [\"0g\"]}",
	    "x.json: edges[0].payloads.content[0]: not a hex digit at "
	    "offset 1");
	BAD(payloads, "{\"type\": \"HexCodes\", \"content\": [\"00\", "
	    "\"abc\"]}", "edges[0].payloads.content[1]: odd number of hex");
	BAD(payloads, "{\"type\": \"HexCodes\", \"content\": []}",
	    "x.json: edges[0].payloads.content: empty list");
	BAD(payloads, "{\"type\": \"Lengths\", \"lengths\": [1, -3]}",
	    "edges[0].payloads.lengths[1]: length -3 is out of range");
	BAD(payloads, "{\"type\": \"Lengths\", \"lengths\": [70000]}",
	    "edges[0].payloads.lengths[0]: length 70000 is out of range");
	BAD(payloads, "{\"type\": \"Text\", \"content\": [\"a\", \"b\"], "
	    "\"weights\": [1, 2, 3]}", "x.json: edges[0].payloads.weights: "
	    "3 entries for 2 in content");
	BAD(payloads, "{\"type\": \"Text\", \"content\": [\"a\", \"b\"], "
	    "\"weights\": [1]}", "edges[0].payloads.weights: 1 entries for 2");
	BAD(payloads, "{\"type\": \"Text\", \"content\": [\"a\"], "
	    "\"weights\": [0]}", "x.json: edges[0].payloads.weights: all 0");
	BAD(payloads, "{\"type\": \"Noise\"}", "x.json: edges[0].payloads."
	    "type: unknown payload type \"Noise\"");
	BAD(payloads, "{\"content\": []}", "x.json: edges[0].payloads: "
	    "missing key \"type\"");
	v = good;
	v.proto = "TCP";
	v.symbol = "S>";
	bad(&v, "x.json: edges[0].symbol: \"S>\": expected FLAGS_DIR_KIND");
	v.symbol = "SX_>_Empty";
	bad(&v, "x.json: edges[0].symbol: \"SX_>_Empty\": unknown TCP flag");
#undef BAD
}

static void
bad_text(const char *text, uint32_t cap, const char *want)
{
	struct automaton *am = NULL;
	struct diag d = { { 0 } };
	int rc = automaton_parse(&am, "y.json", text, strlen(text), cap, &d);

	CHECK_EQ_I(rc, -EINVAL);
	if (strstr(d.msg, want) == NULL) {
		fprintf(stderr, "want \"%s\"\n got \"%s\"\n", want, d.msg);
		CHECK(strstr(d.msg, want) != NULL);
	}
	automaton_free(am);
}

#define HEAD(acc)                                                            \
	"{\"protocol\": \"UDP\", \"l7protocol\": \"ntp\", "                 \
	"\"initial_state\": 0, \"accepting_state\": " #acc ", \"edges\": ["
#define EDGE(s, d, sym, p, n)                                                \
	"{\"src\": " #s ", \"dst\": " #d ", \"symbol\": \"" sym "\", "       \
	"\"p\": " #p ", \"count\": " #n ", \"mu\": [0, 0], "                 \
	"\"cov\": [[1, 0], [0, 1]], \"payloads\": {\"type\": \"NoPayload\"}}"

static void
test_bad_structure(void)
{
	struct automaton *am = NULL;
	struct diag d = { { 0 } };
	const char *big = HEAD(4000) EDGE(0, 4000, ">_Empty", 1, 1) "]}";

	bad_text("[1, 2]", 100, "y.json: expected a JSON object");
	bad_text("{\"protocol\": \"UDP\"", 100, "y.json: line 1 column");
	bad_text("{\"protocol\": \"UDP\", \"protocol\": \"TCP\"}", 100,
	    "y.json: line 1 column");
	bad_text("{\"protocol\": \"UDP\", \"l7protocol\": \"ntp\", "
	    "\"initial_state\": 0, \"accepting_state\": 1}", 100,
	    "y.json: missing key \"edges\"");
	bad_text(HEAD(1) "]}", 100, "y.json: edges: expected a non-empty");
	bad_text(HEAD(1) EDGE(0, 4096, ">_Empty", 1, 1) "]}", 100,
	    "y.json: edges[0].dst: 4096 is out of range 0..4095");
	/* Index far beyond the number of edges: fine (sized from it). */
	CHECK_EQ_I(automaton_parse(&am, "y.json", big, strlen(big), 100, &d),
	    0);
	if (am != NULL)
		CHECK_EQ_U(am->nstates, 4001);
	automaton_free(am);
	bad_text(HEAD(2) EDGE(0, 1, ">_Empty", 1, 0) ","
	    EDGE(1, 2, "$", 1, 4) "]}", 100,
	    "y.json: edges: every edge into state 1 has count 0");
	bad_text(HEAD(2) EDGE(0, 1, ">_Empty", 0, 3) ","
	    EDGE(0, 2, "<_Empty", 0, 3) "," EDGE(1, 2, "$", 1, 3) "]}", 100,
	    "y.json: edges: every edge out of state 0 has p 0");
	bad_text(HEAD(3) EDGE(0, 1, ">_Empty", 1, 3) ","
	    EDGE(1, 2, "<_Empty", 1, 3) "]}", 100,
	    "y.json: no path from state 0 to accepting state 3 emits "
	    "between 1 and 100 packets");
	/* Four packets needed, three allowed. */
	bad_text(HEAD(4) EDGE(0, 1, ">_Empty", 1, 3) ","
	    EDGE(1, 2, "<_Empty", 1, 3) "," EDGE(2, 3, ">_Empty", 1, 3) ","
	    EDGE(3, 4, "<_Empty", 1, 3) "]}", 3,
	    "y.json: no path from state 0 to accepting state 4 emits "
	    "between 1 and 3 packets");
	/* Only an empty flow reaches the end (initial = accepting). */
	bad_text(HEAD(0) EDGE(0, 0, "$", 1, 3) "]}", 100,
	    "y.json: no path from state 0 to accepting state 0");
	bad_text(HEAD(1) EDGE(0, 1, ">", 1, 1) "]}", 0,
	    "y.json: 0 packets per flow is out of range");
	bad_text(HEAD(1) EDGE(0, 1, ">", 1.5, 1) "]}", 100,
	    "y.json: edges[0].p: 1.5 is not a probability");
}

/* Zero-count edges never enter the graph; epsilon loops are harmless. */
static void
test_graph_rules(void)
{
	const char *t = HEAD(2) EDGE(0, 1, ">_Empty", 1, 3) ","
	    EDGE(1, 2, "<_Empty", 0.5, 3) "," EDGE(1, 1, "$", 0.25, 2) ","
	    EDGE(1, 2, ">_Empty", 0.25, 0) "]}";
	struct automaton *am = NULL;
	struct diag d = { { 0 } };

	CHECK_EQ_I(automaton_parse(&am, "z.json", t, strlen(t), 100, &d), 0);
	if (am == NULL)
		return;
	CHECK_EQ_U(am->nnodes, 3);
	CHECK_EQ_U(am->points[0].n, 1);
	CHECK(automaton_point(am, 1, 1) != 0);
	CHECK(automaton_point(am, 2, 0) == 0);
	automaton_free(am);
}

int
main(void)
{
	test_base();
	test_bad_fields();
	test_bad_structure();
	test_graph_rules();
	test_dns_ntp();
	test_dns_units();
	test_tcp();
	return tap_done();
}
