/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stage 1 on the legacy model, without configuration and with the Fos-R
 * test configuration: 100 000 flows at a fixed seed, each network
 * variable within Jensen-Shannon distance 0.01 of its exact conditioned
 * marginal, and every flow well formed (addresses, ports, TTLs, counts).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "bn_testutil.h"
#include "netconf.h"
#include "rng.h"

#define NFLOWS 100000
#define SEC 43200

static const char *const vars[] = {
	"Proto", "Applicative Proto", "Dst Pt", "Src IP Role", "Dst IP Role",
	"Src IP Addr", "Dst IP Addr", "Cat Out Packet TCP",
	"Cat In Packet TCP", "Cat Out Packet UDP", "Cat In Packet UDP",
	"End Flags TCP",
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

struct tally {
	double hist[NVARS][64];
	uint32_t ntcp, nudp, npub_src, npub_dst, nfwd0_tcp;
	double udp_cat0_fwd;     /* flows of UDP out category 0 */
	uint32_t udp_cat0_n;
	uint32_t bad;            /* flows failing a per-flow rule */
};

static bool
flow_ok(const struct bn *bn, const struct netconf *nc, const struct flow *f,
    const uint32_t *vals)
{
	const struct bn_node *s = &bn->nodes[bn->src_addr];
	const struct bn_node *t = &bn->nodes[bn->dst_addr];
	uint32_t sv = vals[bn->src_addr], dv = vals[bn->dst_addr];
	bool ok = true;

	ok &= f->client_ip != f->server_ip;
	ok &= f->l4 == bn->nodes[bn->proto].val[vals[bn->proto]];
	ok &= f->l7 == bn->nodes[bn->l7].val[vals[bn->l7]];
	/* Model addresses as labelled, else public. */
	ok &= s->pub[sv] ? s1_is_public(bn, f->client_ip) :
	    f->client_ip == s->val[sv];
	ok &= t->pub[dv] ? s1_is_public(bn, f->server_ip) :
	    f->server_ip == t->val[dv];
	if (nc != NULL) {
		ok &= s->pub[sv] || netconf_find(nc, f->client_ip) != NULL;
		ok &= t->pub[dv] || netconf_find(nc, f->server_ip) != NULL;
		if (!t->pub[dv])
			ok &= f->server_port == l7_default_port(f->l7);
	} else {
		ok &= f->server_port ==
		    bn->nodes[bn->port].val[vals[bn->port]];
	}
	ok &= f->client_port >= 32768 && f->client_port <= 60999;
	ok &= s->pub[sv] ? f->ttl_client >= 40 && f->ttl_client <= 58 :
	    f->ttl_client == 64;
	ok &= t->pub[dv] ? f->ttl_server >= 40 && f->ttl_server <= 58 :
	    f->ttl_server == 64;
	ok &= f->l4 != L4_TCP || f->fwd_pkts >= 1;
	if (f->l4 == L4_TCP)
		ok &= f->end == bn->nodes[bn->end].val[vals[bn->end]];
	else
		ok &= f->end == END_ANY;
	return ok;
}

static void
run(const struct bn *bn, const struct netconf *nc, struct tally *t)
{
	uint32_t vals[BN_MAX_NODES];
	struct flow f;
	struct rng r;
	int idx[NVARS];

	memset(t, 0, sizeof(*t));
	for (size_t v = 0; v < NVARS; v++)
		idx[v] = bn_node_find(bn, vars[v]);
	for (uint32_t n = 0; n < NFLOWS; n++) {
		memset(&f, 0, sizeof(f));
		f.seed = rng_mix64(n + 1);
		/* The same draws s1_sample makes first, to see the values. */
		rng_seed(&r, f.seed);
		CHECK_EQ_I(bn_sample(bn, &r, SEC, vals), 0);
		CHECK_EQ_I(s1_sample(bn, nc, SEC, &f), 0);
		for (size_t v = 0; v < NVARS; v++)
			if (vals[idx[v]] < BN_UNSET)
				t->hist[v][vals[idx[v]]] += 1;
		t->bad += !flow_ok(bn, nc, &f, vals);
		t->ntcp += f.l4 == L4_TCP;
		t->nudp += f.l4 == L4_UDP;
		if (f.l4 == L4_UDP && vals[idx[9]] == 0) {
			t->udp_cat0_fwd += f.fwd_pkts;
			t->udp_cat0_n++;
		}
	}
}

static void
check_marginals(const struct bn *bn, const struct tally *t, const char *what)
{
	for (size_t v = 0; v < NVARS; v++) {
		int i = bn_node_find(bn, vars[v]);
		uint32_t k = bn->nodes[i].k;
		double m[64], app, js, seen = 0;

		for (uint32_t x = 0; x < k; x++)
			seen += t->hist[v][x];
		if (bn_marginal(bn, vars[v], SEC, m, k, &app) != 0) {
			/* Only a variable the evidence rules out has none. */
			CHECK(seen == 0);
			continue;
		}
		js = bt_js(t->hist[v], m, k);
		printf("%s: %-20s JS %.5f (applies %.6f, drawn %.0f)\n", what,
		    vars[v], js, app, seen);
		/* A handful of draws says nothing about a distribution. */
		if (seen >= 1000)
			CHECK(js <= 0.01);
		CHECK_NEAR(seen / NFLOWS, app, 5 * sqrt(app / NFLOWS) + 1e-9);
	}
}

static void
test_plain(void)
{
	struct bn *bn = bt_load_legacy();
	static struct tally t;

	run(bn, NULL, &t);
	check_marginals(bn, &t, "no configuration");
	CHECK_EQ_U(t.bad, 0);
	CHECK(t.ntcp + t.nudp == NFLOWS);
	/* Category 0 of UDP is 1 packet (sd 0.001): always exactly 1. */
	CHECK(t.udp_cat0_n > 1000);
	CHECK_NEAR(t.udp_cat0_fwd / t.udp_cat0_n, 1.0, 0);
	bn_free(bn);
}

static void
test_config(void)
{
	static const char conf[] = "metadata:\n  title: Test\nhosts:\n"
	    "  - interfaces:\n    - ip_addr: 192.168.0.11\n"
	    "  - interfaces:\n    - ip_addr: 192.168.0.13\n"
	    "      services:\n        - https\n        - ntp\n";
	static struct tally t;
	struct bn *bn = bt_load_legacy();
	struct netconf *nc = NULL;
	struct diag d;
	double m[3], pi[3], lik[3], z = 0, udp;

	CHECK_EQ_I(netconf_parse(&nc, conf, sizeof(conf) - 1, "test.yaml",
	    &d), 0);
	if (nc == NULL)
		return;
	CHECK_EQ_I(bn_condition(bn, nc, &d), 0);

	/*
	 * Real conditioning: UDP survives only through NTP, so
	 * P(UDP) = .408496 * 2.79881e-5 / (.591504 * .52576 + that).
	 */
	udp = 0.408496 * 2.79881e-05;
	CHECK_EQ_I(bn_marginal(bn, "Proto", SEC, m, 2, NULL), 0);
	CHECK_NEAR(m[1], udp / (0.591504 * 0.52576 + udp), 1e-9);
	/*
	 * Source roles (Internet, Server, User) as shipped, times the
	 * chance of finding distinct hosts.  The server host has no client
	 * list, so it is no client: the only user is .11.  A server source
	 * (.13) can only reach the Internet, a user source the server or
	 * the Internet but not another user.
	 */
	pi[0] = 0.999954;
	pi[1] = 3.4299e-05;
	pi[2] = 1.1433e-05;
	lik[0] = 1.0;
	lik[1] = 0.5 * 1.0 + 0.5 * 0.0;
	lik[2] = 0.996833 + 0.00174933 + 0.00141776 * 0.0;
	for (int i = 0; i < 3; i++)
		z += pi[i] * lik[i];
	CHECK_EQ_I(bn_marginal(bn, "Src IP Role", SEC, m, 3, NULL), 0);
	for (int i = 0; i < 3; i++)
		CHECK_NEAR(m[i], pi[i] * lik[i] / z, 1e-6 * m[i] + 1e-15);

	run(bn, nc, &t);
	check_marginals(bn, &t, "test configuration");
	CHECK_EQ_U(t.bad, 0);
	bn_free(bn);
	netconf_free(nc);
}

static void
test_public(void)
{
	static const char conf[] = "metadata:\n  title: w\nhosts:\n"
	    "  - interfaces:\n    - ip_addr: 8.8.4.4\n"
	    "  - os: Windows\n    interfaces:\n    - ip_addr: 192.168.0.13\n"
	    "      services:\n        - https:8443\n        - ntp\n";
	struct bn *bn = bt_load_legacy();
	struct netconf *nc = NULL;
	uint32_t bad = 0, n443 = 0;
	struct diag d;
	struct flow f;

	CHECK(s1_is_public(bn, 0x08080808));
	CHECK(s1_is_public(bn, 0x64800000));     /* 100.128.0.0 */
	CHECK(!s1_is_public(bn, 0x647fffff));    /* 100.127.255.255 */
	CHECK(!s1_is_public(bn, 0xc6130001));    /* 198.19.0.1 */
	CHECK(s1_is_public(bn, 0xc6140001));     /* 198.20.0.1 */
	CHECK(!s1_is_public(bn, 0xac1f0001));    /* 172.31.0.1 */
	CHECK(s1_is_public(bn, 0xac200001));     /* 172.32.0.1 */
	CHECK(!s1_is_public(bn, 0xe0000001));
	CHECK(!s1_is_public(bn, 0xffffffff));
	CHECK(!s1_is_public(bn, 0x00000001));
	CHECK(!s1_is_public(bn, 0xc0000201));    /* 192.0.2.1 */
	CHECK(!s1_is_public(bn, 0xcb007101));    /* 203.0.113.1 */

	CHECK_EQ_I(netconf_parse(&nc, conf, sizeof(conf) - 1, "w.yaml", &d),
	    0);
	if (nc == NULL)
		return;
	CHECK_EQ_I(bn_condition(bn, nc, &d), 0);
	/* A configured address is never drawn for the Internet. */
	CHECK(!s1_is_public(bn, 0x08080404));
	for (uint32_t i = 0; i < 20000; i++) {
		memset(&f, 0, sizeof(f));
		f.seed = i;
		CHECK_EQ_I(s1_sample(bn, nc, SEC, &f), 0);
		if (f.server_ip == 0xc0a8000d) {
			bad += f.ttl_server != 128 || f.server_os != OS_WINDOWS;
			bad += f.l7 == L7_HTTPS && f.server_port != 8443;
			bad += f.l7 == L7_NTP && f.server_port != 123;
			n443 += f.l7 == L7_HTTPS;
		}
		if (f.client_ip == 0x08080404)
			bad += f.client_port < 32768 || f.client_port > 60999;
	}
	CHECK_EQ_U(bad, 0);
	CHECK(n443 > 19000);
	bn_free(bn);
	netconf_free(nc);
}

int
main(void)
{
	test_plain();
	test_config();
	test_public();
	return tap_done();
}
