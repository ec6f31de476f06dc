/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The merged network: the legacy model's nodes, order and decoded labels;
 * small synthetic models for latent variables, impossible rows and the
 * source-differs-from-destination evidence, whose exact answers are
 * worked out here by hand; and the errors of bad labels and data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "bn_testutil.h"
#include "netconf.h"
#include "rng.h"

#define HEAD "<?xml version=\"1.0\"?>\n<BIF VERSION=\"0.3\"><NETWORK>" \
	"<NAME>t</NAME>\n"
#define TAIL "</NETWORK></BIF>\n"
#define O(x) "<OUTCOME>" x "</OUTCOME>"
#define VAR(n, outs) "<VARIABLE><NAME>" n "</NAME>" outs "</VARIABLE>\n"
#define ROOT(n, t) "<DEFINITION><FOR>" n "</FOR><TABLE>" t \
	"</TABLE></DEFINITION>\n"
#define DEF1(n, g, t) "<DEFINITION><FOR>" n "</FOR><GIVEN>" g "</GIVEN>" \
	"<TABLE>" t "</TABLE></DEFINITION>\n"

/* A common network: Proto, Applicative Proto, two addresses, Dst Pt. */
#define COMMON(l7outs, l7tab, ptouts, pttab, srcouts, srctab, dstouts, \
	    dsttab) HEAD VAR("Proto", O("TCP") O("UDP")) \
	VAR("Applicative Proto", l7outs) VAR("Dst Pt", ptouts) \
	VAR("Src IP Addr", srcouts) VAR("Dst IP Addr", dstouts) \
	ROOT("Proto", "0.6 0.4") DEF1("Applicative Proto", "Proto", l7tab) \
	DEF1("Dst Pt", "Applicative Proto", pttab) \
	ROOT("Src IP Addr", srctab) ROOT("Dst IP Addr", dsttab) TAIL

#define L7OUTS O("DNS") O("HTTPS") O("NTP")
#define L7TAB "0 1 0  0.7 0 0.3"
#define PTOUTS O("port-53") O("port-443") O("port-123")
#define PTTAB "1 0 0  0 1 0  0 0 1"
#define ADDRS O("10.0.0.1") O("Internet")
#define EMPTY HEAD TAIL
#define EXTRA_NONE "{\"s0_bin_count\": 4}"

static int
load(struct bn **bn, const char *c, const char *t, const char *u,
    const char *x, struct diag *d)
{
	const char *text[4] = { c, t, u, x };
	size_t len[4] = { strlen(c), strlen(t), strlen(u), strlen(x) };

	memset(d, 0, sizeof(*d));
	*bn = NULL;
	return bn_load_texts(bn, text, len, d);
}

static void
expect_load_error(const char *c, const char *t, const char *u,
    const char *x, const char *want)
{
	struct bn *bn;
	struct diag d;
	int rc = load(&bn, c, t, u, x, &d);

	CHECK(rc < 0);
	CHECK(bn == NULL);
	if (strstr(d.msg, want) == NULL) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", d.msg, want);
		CHECK(0);
	}
}

/* Draws n flows of a node and returns the JS distance to the marginal. */
static double
sample_js(const struct bn *bn, const char *name, uint32_t sec, uint32_t n)
{
	int i = bn_node_find(bn, name);
	uint32_t k = bn->nodes[i].k, vals[BN_MAX_NODES];
	double hist[64] = { 0 }, marg[64];
	struct rng r;

	rng_seed(&r, 12345);
	for (uint32_t s = 0; s < n; s++) {
		if (bn_sample(bn, &r, sec, vals) != 0) {
			CHECK(0);
			return 1.0;
		}
		if (vals[i] < BN_UNSET)
			hist[vals[i]] += 1;
	}
	CHECK_EQ_I(bn_marginal(bn, name, sec, marg, k, NULL), 0);
	return bt_js(hist, marg, k);
}

static void
test_latent(void)
{
	/* Foo is no variable this program knows: its child must see it. */
	static const char tcp[] = HEAD VAR("Foo", O("a") O("b"))
	    VAR("Cat In Packet", O("0") O("1"))
	    VAR("Connection State", O("REJ") O("S0") O("SF"))
	    ROOT("Foo", "0.2 0.8") DEF1("Cat In Packet", "Foo", "0.9 0.1 "
	    "0.3 0.7") DEF1("Connection State", "Proto", "0.1 0.2 0.7 "
	    "1 0 0") VAR("Proto", O("TCP") O("UDP")) ROOT("Proto", "1 0")
	    TAIL;
	static const char extra[] = "{\"s0_bin_count\": 4, "
	    "\"tcp_in_pkt_gaussians\": {\"mu\": [1, 5], \"cov\": [0, 4]}}";
	struct bn *bn;
	struct diag d;
	double m[2], app;
	int i, rc;

	rc = load(&bn, COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS,
	    "0.5 0.5", ADDRS, "0.5 0.5"), tcp, EMPTY, extra, &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	if (bn == NULL)
		return;
	i = bn_node_find(bn, "Foo TCP");
	CHECK(i >= 0);
	CHECK(bn->nodes[i].kind == BN_LATENT);
	CHECK(bn->nodes[i].mode == BN_FORWARD);
	/* The TCP copy of Proto has no children: it is never drawn. */
	CHECK(bn->nodes[bn_node_find(bn, "Proto TCP")].mode == BN_SKIP);
	CHECK_EQ_I(bn_marginal(bn, "Cat In Packet TCP", 0, m, 2, &app), 0);
	CHECK_NEAR(m[0], 0.2 * 0.9 + 0.8 * 0.3, 1e-12);
	CHECK_NEAR(app, 0.6, 1e-12);
	CHECK(sample_js(bn, "Cat In Packet TCP", 0, 100000) < 0.01);

	/* Connection states by label, not position. */
	i = bn->end;
	CHECK_STR(bn->nodes[i].name, "Connection State TCP");
	CHECK_EQ_U(bn->nodes[i].val[0], END_RST);
	CHECK_EQ_U(bn->nodes[i].val[1], END_OPEN);
	CHECK_EQ_U(bn->nodes[i].val[2], END_FIN);
	bn_free(bn);
}

static void
test_evidence(void)
{
	/*
	 * Dst Pt has no row for NTP: the evidence removes NTP, so
	 * P(UDP) = 0.4 * 0.7 / (0.6 + 0.4 * 0.7).  Sources and destinations
	 * clash on 10.0.0.1: P(src = .1 | src != dst) =
	 * 0.5 * 0.1 / (0.5 * 0.1 + 0.5 * 1).
	 */
	struct bn *bn;
	struct diag d;
	double m[3], pu = 0.4 * 0.7 / (0.6 + 0.4 * 0.7);
	int rc;

	rc = load(&bn, COMMON(L7OUTS, L7TAB, PTOUTS, "1 0 0  0 1 0  0 0 0",
	    ADDRS, "0.5 0.5", ADDRS, "0.9 0.1"), EMPTY, EMPTY, EXTRA_NONE,
	    &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	if (bn == NULL)
		return;
	CHECK_EQ_I(bn_marginal(bn, "Proto", 0, m, 2, NULL), 0);
	CHECK_NEAR(m[1], pu, 1e-12);
	CHECK_EQ_I(bn_marginal(bn, "Applicative Proto", 0, m, 3, NULL), 0);
	CHECK_NEAR(m[2], 0.0, 0);
	CHECK_NEAR(m[0], pu, 1e-12);
	CHECK_EQ_I(bn_marginal(bn, "Src IP Addr", 0, m, 2, NULL), 0);
	CHECK_NEAR(m[0], 0.05 / 0.55, 1e-12);
	CHECK(sample_js(bn, "Proto", 0, 100000) < 0.01);
	CHECK(sample_js(bn, "Applicative Proto", 0, 100000) < 0.01);
	CHECK(sample_js(bn, "Src IP Addr", 0, 100000) < 0.01);
	CHECK(sample_js(bn, "Dst IP Addr", 0, 100000) < 0.01);
	bn_free(bn);
}

static void
test_rejection(void)
{
	/*
	 * A TCP-only root whose value b leaves Cat In Packet nothing: TCP
	 * flows survive half the time, P(TCP) = 0.3 / (0.3 + 0.4).  Both
	 * samplers must agree with that.
	 */
	static const char tcp[] = HEAD VAR("Foo", O("a") O("b"))
	    VAR("Cat In Packet", O("0") O("1")) ROOT("Foo", "0.5 0.5")
	    DEF1("Cat In Packet", "Foo", "0.25 0.75  0 0") TAIL;
	static const char extra[] = "{\"s0_bin_count\": 4, "
	    "\"tcp_in_pkt_gaussians\": {\"mu\": [1, 5], \"cov\": [0, 4]}}";
	struct bn *bn;
	struct diag d;
	double m[2];
	int rc;

	rc = load(&bn, COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS,
	    "0.5 0.5", ADDRS, "0.5 0.5"), tcp, EMPTY, extra, &d);
	CHECK_EQ_I(rc, 0);
	if (bn == NULL)
		return;
	CHECK(!bn->rejection);
	CHECK_EQ_I(bn_marginal(bn, "Proto", 0, m, 2, NULL), 0);
	CHECK_NEAR(m[0], 0.3 / 0.7, 1e-12);
	CHECK_EQ_I(bn_marginal(bn, "Cat In Packet TCP", 0, m, 2, NULL), 0);
	CHECK_NEAR(m[0], 0.25, 1e-12);
	CHECK(sample_js(bn, "Proto", 0, 100000) < 0.01);
	CHECK(sample_js(bn, "Foo TCP", 0, 100000) < 0.01);
	CHECK_EQ_I(bn_prepare_rejection(bn, &d), 0);
	CHECK(bn->rejection);
	CHECK(sample_js(bn, "Proto", 0, 100000) < 0.01);
	CHECK(sample_js(bn, "Foo TCP", 0, 100000) < 0.01);
	CHECK(sample_js(bn, "Src IP Addr", 0, 100000) < 0.01);
	bn_free(bn);
}

static void
test_bad_labels(void)
{
	static const char *const extra = EXTRA_NONE;

	expect_load_error(COMMON(L7OUTS, L7TAB, O("port-53") O("port-x")
	    O("port-123"), PTTAB, ADDRS, "1 1", ADDRS, "1 1"), EMPTY, EMPTY,
	    extra, "bn/bn_common.bifxml:5: variable 'Dst Pt': outcome "
	    "'port-x' has no meaning");
	expect_load_error(COMMON(O("DNS") O("Gopher") O("NTP"), L7TAB,
	    PTOUTS, PTTAB, ADDRS, "1 1", ADDRS, "1 1"), EMPTY, EMPTY, extra,
	    "variable 'Applicative Proto': outcome 'Gopher'");
	expect_load_error(COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS, "1 1",
	    ADDRS, "1 1"), EMPTY, EMPTY, "{\"s0_bin_count\": 4,",
	    "bn/bn_additional_data.json:1:");
	expect_load_error(COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS, "1 1",
	    ADDRS, "1 1"), EMPTY, EMPTY, "{\"bins\": 4}",
	    "'s0_bin_count' must be an integer");
	expect_load_error(COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS, "1 1",
	    ADDRS, "1 1"), HEAD VAR("Cat Out Packet", O("0") O("1"))
	    ROOT("Cat Out Packet", "1 1") TAIL, EMPTY,
	    "{\"s0_bin_count\": 4, \"tcp_out_pkt_gaussians\": "
	    "{\"mu\": [1, 2, 3], \"cov\": [1, 1, 1]}}",
	    "'tcp_out_pkt_gaussians' has 3 Gaussians but variable "
	    "'Cat Out Packet TCP' has 2 outcomes");
	expect_load_error(COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS, "1 1",
	    ADDRS, "1 1"), HEAD VAR("Cat Out Packet", O("0") O("1"))
	    ROOT("Cat Out Packet", "1 1") TAIL, EMPTY,
	    "{\"s0_bin_count\": 4, \"tcp_out_pkt_gaussians\": "
	    "{\"mu\": [1, 2], \"cov\": [1, -1]}}",
	    "'tcp_out_pkt_gaussians' entry 1");
	expect_load_error(HEAD VAR("Proto", O("TCP") O("SCTP"))
	    ROOT("Proto", "1 1") TAIL, EMPTY, EMPTY, extra,
	    "variable 'Proto': outcome 'SCTP'");
	expect_load_error(HEAD VAR("Time", O("bin-0.0") O("bin-x"))
	    ROOT("Time", "1 1") TAIL, EMPTY, EMPTY, extra,
	    "variable 'Time': outcome 'bin-x'");
	expect_load_error(HEAD VAR("Proto", O("TCP")) ROOT("Proto", "1")
	    TAIL, EMPTY, EMPTY, extra, "the network has no variable "
	    "'Applicative Proto'");
	expect_load_error(COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS, "1 1",
	    ADDRS, "1 1"), HEAD VAR("Proto", O("TCP")) ROOT("Proto", "1")
	    VAR("X", O("a")) DEF1("X", "Proto", "1") TAIL, EMPTY, extra,
	    "bn/bn_tcp.bifxml: variable 'Proto' has other outcomes");
	expect_load_error(COMMON(L7OUTS, L7TAB, PTOUTS, PTTAB, ADDRS, "1 1",
	    ADDRS, "1 1"), HEAD "<VARIABLE>", EMPTY, extra,
	    "bn/bn_tcp.bifxml:3: malformed XML");
}

static void
test_labels_accepted(void)
{
	struct bn *bn;
	struct diag d;
	int rc;

	rc = load(&bn, COMMON(O("Multicast DNS") O("none") O("NTP"), L7TAB,
	    PTOUTS, PTTAB, ADDRS, "1 1", ADDRS, "1 1"), EMPTY, EMPTY,
	    EXTRA_NONE, &d);
	CHECK_EQ_I(rc, 0);
	if (bn == NULL)
		return;
	CHECK_EQ_U(bn->nodes[bn->l7].val[0], L7_MDNS);
	CHECK_EQ_U(bn->nodes[bn->l7].val[1], L7_NONE);
	CHECK_EQ_U(bn->nodes[bn->src_addr].val[0], 0x0a000001);
	CHECK(bn->nodes[bn->src_addr].pub[1]);
	CHECK(!bn->nodes[bn->src_addr].pub[0]);
	bn_free(bn);
}

static void
test_legacy(void)
{
	struct bn *bn = bt_load_legacy();
	bool seen[BN_MAX_NODES] = { false };
	const struct bn_node *nd;
	double m[2];

	CHECK_EQ_U(bn->n, 29);
	CHECK_STR(bn->nodes[bn->order[0]].name, "Time");
	/* Parents before children, and Proto before TCP/UDP nodes. */
	for (uint32_t q = 0; q < bn->n; q++) {
		nd = &bn->nodes[bn->order[q]];
		for (uint32_t j = 0; j < nd->np; j++)
			CHECK(seen[nd->par[j]]);
		if (nd->l4 != 0)
			CHECK(seen[bn->proto]);
		seen[bn->order[q]] = true;
	}
	nd = &bn->nodes[bn_node_find(bn, "End Flags TCP")];
	CHECK_EQ_I((int)nd->par[0], bn->proto);
	CHECK_STR(nd->labels[0], "F and not R");
	CHECK_EQ_U(nd->val[0], END_FIN);
	CHECK_EQ_U(nd->val[1], END_ANY);
	CHECK_EQ_U(nd->val[2], END_RST);
	CHECK_EQ_U(nd->val[3], END_OPEN);
	nd = &bn->nodes[bn_node_find(bn, "Cat In Packet UDP")];
	CHECK_EQ_I((int)nd->par[0], bn->l7);

	/* Time bins by label: bin 2 is the 13th label in string order. */
	nd = &bn->nodes[bn->time];
	CHECK_STR(nd->labels[bn_time_value(bn, 0)], "bin-0.0");
	CHECK_STR(nd->labels[bn_time_value(bn, 2 * 900)], "bin-2.0");
	CHECK_STR(nd->labels[bn_time_value(bn, 2 * 900 - 1)], "bin-1.0");
	CHECK_STR(nd->labels[bn_time_value(bn, 86399)], "bin-95.0");

	CHECK_NEAR(bn->gauss[0][0][1].mu, 24970.88821906844, 1e-9);
	CHECK_NEAR(bn->gauss[0][0][1].sigma, sqrt(2105725323.7749667), 1e-9);
	CHECK_NEAR(bn->gauss[1][1][3].mu, 4.048379752180531, 1e-12);
	CHECK_EQ_U(bn->ngauss[1][0], 5);

	/* The observed bin drives the source address (Time is its parent). */
	{
		double a[28], b[28];

		CHECK_EQ_I(bn_marginal(bn, "Src IP Addr", 3 * 3600, a, 28,
		    NULL), 0);
		CHECK_EQ_I(bn_marginal(bn, "Src IP Addr", 15 * 3600, b, 28,
		    NULL), 0);
		printf("JS between 03:00 and 15:00 sources: %.3f\n",
		    bt_js(a, b, 28));
		CHECK(bt_js(a, b, 28) > 0.05);
		CHECK(sample_js(bn, "Src IP Addr", 3 * 3600, 100000) < 0.01);
		CHECK(sample_js(bn, "Src IP Addr", 15 * 3600, 100000) < 0.01);
	}

	/* Without configuration Proto has no evidence below it. */
	CHECK_EQ_I(bn_marginal(bn, "Proto", 43200, m, 2, NULL), 0);
	CHECK_NEAR(m[0], 0.591504 / (0.591504 + 0.408496), 1e-9);
	bn_free(bn);
}

static void
test_condition_empty(void)
{
	static const char conf[] = "metadata:\n  title: t\nhosts:\n"
	    "  - interfaces:\n    - ip_addr: 192.168.0.11\n"
	    "  - interfaces:\n    - ip_addr: 192.168.0.13\n"
	    "      services:\n        - kms\n";
	static const char idle[] = "metadata:\n  title: t\nhosts:\n"
	    "  - usage: 0\n    interfaces:\n    - ip_addr: 192.168.0.11\n"
	    "  - usage: 0\n    interfaces:\n    - ip_addr: 192.168.0.13\n"
	    "      services:\n        - https\n";
	struct bn *bn = bt_load_legacy();
	struct netconf *nc = NULL;
	struct diag d;

	CHECK_EQ_I(netconf_parse(&nc, conf, sizeof(conf) - 1, "k.yaml", &d),
	    0);
	if (nc == NULL)
		return;
	CHECK(bn_condition(bn, nc, &d) < 0);
	CHECK(strstr(d.msg, "k.yaml: no service of the configuration is in "
	    "the model's 'Applicative Proto'") != NULL);
	bn_free(bn);
	netconf_free(nc);

	/* Nobody may take part: the message names what is missing. */
	bn = bt_load_legacy();
	CHECK_EQ_I(netconf_parse(&nc, idle, sizeof(idle) - 1, "i.yaml", &d),
	    0);
	if (nc == NULL)
		return;
	CHECK(bn_condition(bn, nc, &d) < 0);
	CHECK(strstr(d.msg, "i.yaml: no flow of the model fits the "
	    "configuration: https has no client with nonzero usage") != NULL);
	bn_free(bn);
	netconf_free(nc);
}

int
main(void)
{
	test_latent();
	test_evidence();
	test_rejection();
	test_bad_labels();
	test_labels_accepted();
	test_legacy();
	test_condition_empty();
	return tap_done();
}
