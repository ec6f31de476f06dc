/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stage 1: one flow description per start time.  The network values come
 * from bn_sample; this file turns them into a flow: public addresses,
 * ports by configuration or model, packet counts from the Gaussians of
 * the packet-count categories, OS, TTLs, MACs and end flags.  Everything
 * is drawn from one generator seeded by the flow's seed, so a flow can be
 * rebuilt alone, on any thread.  No allocation happens here.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bn_int.h"
#include "rng.h"

/* Draws of a negative count before giving up on a category. */
#define S1_NEG_TRIES 32
/* A count beyond this is a model artefact, not a flow. */
#define S1_MAX_PKTS 10000000.0

static const struct {
	uint32_t net;
	uint32_t mask;
} s1_reserved[] = {
	{ 0x00000000, 0xff000000 },  /* 0/8 */
	{ 0x0a000000, 0xff000000 },  /* 10/8 */
	{ 0x64400000, 0xffc00000 },  /* 100.64/10 */
	{ 0x7f000000, 0xff000000 },  /* 127/8 */
	{ 0xa9fe0000, 0xffff0000 },  /* 169.254/16 */
	{ 0xac100000, 0xfff00000 },  /* 172.16/12 */
	{ 0xc0000000, 0xffffff00 },  /* 192.0.0/24 */
	{ 0xc0000200, 0xffffff00 },  /* 192.0.2/24 */
	{ 0xc0a80000, 0xffff0000 },  /* 192.168/16 */
	{ 0xc6120000, 0xfffe0000 },  /* 198.18/15 */
	{ 0xc6336400, 0xffffff00 },  /* 198.51.100/24 */
	{ 0xcb007100, 0xffffff00 },  /* 203.0.113/24 */
	{ 0xe0000000, 0xf0000000 },  /* 224/4 */
	{ 0xf0000000, 0xf0000000 },  /* 240/4, broadcast included */
};

bool
s1_is_public(const struct bn *bn, uint32_t ip)
{
	for (size_t i = 0; i < sizeof(s1_reserved) / sizeof(s1_reserved[0]);
	    i++)
		if ((ip & s1_reserved[i].mask) == s1_reserved[i].net)
			return false;
	for (uint32_t i = 0; i < bn->nlocal; i++)
		if (bn->local[i] == ip)
			return false;
	return true;
}

/*
 * Uniform over public unicast space.  About 86 % of draws are public, so
 * the bound is never reached in practice; the fallback keeps the flow.
 */
static uint32_t
s1_public(const struct bn *bn, struct rng *r, uint32_t avoid)
{
	for (int i = 0; i < 256; i++) {
		uint32_t ip = rng_u32(r);

		if (ip != avoid && s1_is_public(bn, ip))
			return ip;
	}
	return avoid == 0x08080808 ? 0x01010101 : 0x08080808;
}

/* A Gaussian draw truncated to >= 0, rounded to the nearest count. */
static uint32_t
s1_count(const struct bn_gauss *g, struct rng *r)
{
	double y = -1.0;

	for (int i = 0; i < S1_NEG_TRIES && y < 0.0; i++)
		y = g->mu + g->sigma * rng_normal(r);
	if (!(y >= 0.0))
		return 0;
	if (y > S1_MAX_PKTS)
		y = S1_MAX_PKTS;
	return (uint32_t)lround(y);
}

static uint32_t
s1_pkts(const struct bn *bn, const uint32_t *vals, int l4i, int dir,
    struct rng *r)
{
	int ni = bn->pkts[l4i][dir];
	uint32_t v;

	if (ni < 0 || vals[ni] >= BN_UNSET)
		return 1;
	v = bn->nodes[ni].val[vals[ni]];
	return s1_count(&bn->gauss[l4i][dir][v], r);
}

/* Hops between the lab and a public host: stable per address. */
static uint8_t
s1_hops(uint32_t ip)
{
	return (uint8_t)(6 + rng_mix64(ip) % 19);
}

static void
s1_host(const struct bn *bn, const struct netconf *conf, uint32_t ip,
    bool pub, uint8_t *os, uint8_t *ttl, uint8_t mac[6])
{
	const struct nc_iface *f = conf != NULL && !pub ?
	    netconf_find(conf, ip) : NULL;

	*os = f != NULL ? f->host->os : OS_LINUX;
	*ttl = *os == OS_WINDOWS ? 128 : 64;
	if (pub)
		*ttl -= s1_hops(ip);
	netconf_mac_for(conf, ip, mac);
}

/*
 * A configured server listens on the port given for the service, or on
 * the service's own port; a host the configuration does not describe
 * listens where the model says.
 */
static uint16_t
s1_port(const struct bn *bn, const struct netconf *conf, const uint32_t *vals,
    uint32_t ip, bool pub, enum l7_proto l7)
{
	const struct nc_iface *f = conf != NULL && !pub ?
	    netconf_find(conf, ip) : NULL;

	if (f != NULL && l7 != L7_NONE && (f->services & (1u << l7))) {
		if (f->port[l7] != 0)
			return f->port[l7];
		if (l7_default_port(l7) != 0)
			return l7_default_port(l7);
	}
	if (bn->port >= 0 && vals[bn->port] < BN_UNSET)
		return (uint16_t)bn->nodes[bn->port].val[vals[bn->port]];
	return l7_default_port(l7);
}

int
s1_sample(const struct bn *bn, const struct netconf *conf,
    uint32_t sec_of_day, struct flow *f)
{
	uint32_t vals[BN_MAX_NODES];
	const struct bn_node *s = &bn->nodes[bn->src_addr];
	const struct bn_node *t = &bn->nodes[bn->dst_addr];
	bool spub, dpub;
	struct rng r;
	int l4i;

	rng_seed(&r, f->seed);
	if (bn_sample(bn, &r, sec_of_day, vals) != 0)
		return -EAGAIN;
	f->l4 = (uint8_t)bn->nodes[bn->proto].val[vals[bn->proto]];
	f->l7 = (uint8_t)bn->nodes[bn->l7].val[vals[bn->l7]];
	l4i = f->l4 == L4_UDP;

	spub = s->pub[vals[bn->src_addr]];
	dpub = t->pub[vals[bn->dst_addr]];
	f->client_ip = spub ? s1_public(bn, &r, 0) : s->val[vals[bn->src_addr]];
	f->server_ip = dpub ? s1_public(bn, &r, f->client_ip) :
	    t->val[vals[bn->dst_addr]];

	s1_host(bn, conf, f->client_ip, spub, &f->client_os, &f->ttl_client,
	    f->client_mac);
	s1_host(bn, conf, f->server_ip, dpub, &f->server_os, &f->ttl_server,
	    f->server_mac);
	f->server_port = s1_port(bn, conf, vals, f->server_ip, dpub, f->l7);
	f->client_port = f->client_os == OS_WINDOWS ?
	    (uint16_t)(49152 + rng_below(&r, 16384)) :
	    (uint16_t)(32768 + rng_below(&r, 28232));

	f->end = END_ANY;
	if (f->l4 == L4_TCP && bn->end >= 0 && vals[bn->end] < BN_UNSET)
		f->end = (uint8_t)bn->nodes[bn->end].val[vals[bn->end]];
	if (f->l4 == L4_ICMP) {
		f->fwd_pkts = f->bwd_pkts = 1;
	} else {
		f->fwd_pkts = s1_pkts(bn, vals, l4i, 0, &r);
		f->bwd_pkts = s1_pkts(bn, vals, l4i, 1, &r);
	}
	if (f->l4 == L4_TCP && f->fwd_pkts == 0)
		f->fwd_pkts = 1;
	f->fallback = 0;
	f->seed = rng_u64(&r);
	return 0;
}
