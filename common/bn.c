/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Bayesian network of stage 1: reads the common, TCP and UDP networks
 * and the additional data of a profile, merges them into one network,
 * gives the recognised variables their meaning from their labels, and
 * applies a network configuration by rebuilding the address nodes.  All
 * variables are kept, recognised or not, so that the children of a
 * variable this program does not interpret still see its real values.
 * The sampler's tables are built by bn_prepare (bn_infer.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bif.h"
#include "bn_int.h"
#include "log.h"

static const char *const bn_files[4] = {
	"bn/bn_common.bifxml",
	"bn/bn_tcp.bifxml",
	"bn/bn_udp.bifxml",
	"bn/bn_additional_data.json",
};

static const struct {
	const char *name;
	enum bn_kind kind;
	int l4;                  /* 0, or the network it must come from */
} bn_known[] = {
	{ "Time", BN_TIME, 0 },
	{ "Proto", BN_PROTO, 0 },
	{ "Applicative Proto", BN_L7, 0 },
	{ "Src IP Role", BN_SRC_ROLE, 0 },
	{ "Dst IP Role", BN_DST_ROLE, 0 },
	{ "Src IP Addr", BN_SRC_ADDR, 0 },
	{ "Dst IP Addr", BN_DST_ADDR, 0 },
	{ "Dst Pt", BN_DST_PORT, 0 },
	{ "Cat Out Packet TCP", BN_OUT_PKTS, L4_TCP },
	{ "Cat In Packet TCP", BN_IN_PKTS, L4_TCP },
	{ "Cat Out Packet UDP", BN_OUT_PKTS, L4_UDP },
	{ "Cat In Packet UDP", BN_IN_PKTS, L4_UDP },
	{ "End Flags TCP", BN_END, L4_TCP },
	{ "End Flags", BN_END, 0 },
	{ "Connection State TCP", BN_END, L4_TCP },
	{ "Connection State", BN_END, 0 },
};

static void
bn_node_clear(struct bn_node *nd)
{
	free(nd->name);
	for (uint32_t j = 0; nd->labels != NULL && j < nd->k; j++)
		free(nd->labels[j]);
	free(nd->labels);
	free(nd->par);
	free(nd->w);
	free(nd->norm);
	free(nd->val);
	free(nd->pub);
	if (nd->rows != NULL) {
		for (uint32_t r = 0; r < nd->nrows; r++)
			dist_free(&nd->rows[r]);
		free(nd->rows);
	}
	memset(nd, 0, sizeof(*nd));
}

/* Row sums as the model gives them, before any conditioning. */
static int
bn_set_norm(struct bn_node *nd)
{
	if ((nd->norm = calloc(nd->nrows, sizeof(double))) == NULL)
		return -ENOMEM;
	for (uint32_t r = 0; r < nd->nrows; r++)
		for (uint32_t x = 0; x < nd->k; x++)
			nd->norm[r] += nd->w[(size_t)r * nd->k + x];
	return 0;
}

/* Copies variable v of a parsed file into node nd. */
static int
bn_node_from(struct bn_node *nd, const struct bif_var *v, const char *suffix)
{
	size_t cells = (size_t)v->nrows * v->noutcomes;

	if (asprintf(&nd->name, "%s%s", v->name, suffix) < 0) {
		nd->name = NULL;
		return -ENOMEM;
	}
	nd->k = v->noutcomes;
	nd->nrows = v->nrows;
	nd->np = v->nparents;
	nd->labels = calloc(nd->k, sizeof(char *));
	nd->w = malloc(cells * sizeof(double));
	nd->par = calloc(nd->np + 1, sizeof(uint32_t));
	if (nd->labels == NULL || nd->w == NULL || nd->par == NULL)
		return -ENOMEM;
	for (uint32_t j = 0; j < nd->k; j++)
		if ((nd->labels[j] = strdup(v->outcomes[j])) == NULL)
			return -ENOMEM;
	memcpy(nd->w, v->table, cells * sizeof(double));
	return bn_set_norm(nd);
}

static bool
bn_same_outcomes(const struct bif_var *a, const struct bn_node *b)
{
	if (a->noutcomes != b->k)
		return false;
	for (uint32_t j = 0; j < b->k; j++)
		if (strcmp(a->outcomes[j], b->labels[j]) != 0)
			return false;
	return true;
}

/*
 * Appends the variables of one file.  A parent named like a variable of
 * the files merged before refers to that variable; any other parent is
 * a variable of the same file and takes its suffix.
 */
static int
bn_merge(struct bn *bn, const struct bif_net *net, const char *suffix,
    uint8_t l4, const char *fname, struct diag *d)
{
	uint32_t base = bn->n, nold = bn->n;
	int rc;

	if (bn->n + net->nvars > BN_MAX_NODES)
		return diag_set(d, "%s: more than %d variables in the "
		    "profile", fname, BN_MAX_NODES);
	for (uint32_t i = 0; i < net->nvars; i++) {
		struct bn_node *nd = &bn->nodes[base + i];

		if ((rc = bn_node_from(nd, &net->vars[i], suffix)) != 0)
			return rc;
		nd->l4 = l4;
		nd->file = fname;
		nd->line = net->vars[i].line;
		bn->n++;
		if (bn_node_find(bn, nd->name) != (int)(base + i))
			return diag_set(d, "%s: variable '%s' clashes with "
			    "'%s' of another file", fname, net->vars[i].name,
			    nd->name);
	}
	for (uint32_t i = 0; i < net->nvars; i++) {
		const struct bif_var *v = &net->vars[i];
		struct bn_node *nd = &bn->nodes[base + i];

		for (uint32_t j = 0; j < v->nparents; j++) {
			const struct bif_var *pv = &net->vars[v->parents[j]];
			int o = -1;

			for (uint32_t q = 0; q < nold && *suffix != '\0'; q++)
				if (strcmp(bn->nodes[q].name, pv->name) == 0)
					o = (int)q;
			if (o < 0) {
				nd->par[j] = base + v->parents[j];
				continue;
			}
			if (!bn_same_outcomes(pv, &bn->nodes[o]))
				return diag_set(d, "%s: variable '%s' has "
				    "other outcomes than in %s", fname,
				    pv->name, bn_files[0]);
			nd->par[j] = (uint32_t)o;
		}
	}
	return 0;
}

static void
bn_recognise(struct bn *bn)
{
	int *slot[BN_END + 1] = { NULL };

	bn->time = bn->proto = bn->l7 = bn->src_role = bn->dst_role = -1;
	bn->src_addr = bn->dst_addr = bn->port = bn->end = -1;
	for (int a = 0; a < 2; a++)
		bn->pkts[a][0] = bn->pkts[a][1] = -1;
	slot[BN_TIME] = &bn->time;
	slot[BN_PROTO] = &bn->proto;
	slot[BN_L7] = &bn->l7;
	slot[BN_SRC_ROLE] = &bn->src_role;
	slot[BN_DST_ROLE] = &bn->dst_role;
	slot[BN_SRC_ADDR] = &bn->src_addr;
	slot[BN_DST_ADDR] = &bn->dst_addr;
	slot[BN_DST_PORT] = &bn->port;
	slot[BN_END] = &bn->end;

	/* The table order decides: End Flags wins over Connection State. */
	for (size_t t = 0; t < sizeof(bn_known) / sizeof(bn_known[0]); t++) {
		int i = bn_node_find(bn, bn_known[t].name);
		enum bn_kind kd = bn_known[t].kind;
		int *s;

		if (i < 0)
			continue;
		if (kd == BN_OUT_PKTS || kd == BN_IN_PKTS)
			s = &bn->pkts[bn_known[t].l4 == L4_UDP]
			    [kd == BN_IN_PKTS];
		else
			s = slot[kd];
		if (*s >= 0)
			continue;
		*s = i;
		bn->nodes[i].kind = kd;
	}
}

static int
bn_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "bin-7.0" (older learners) or "bin-007" (newer ones). */
static int
bn_parse_bin(const char *s, uint32_t *out)
{
	char buf[32];
	size_t n;

	if (strncmp(s, "bin-", 4) != 0 || strlen(s + 4) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s + 4);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0' && strchr(buf, '.') != NULL)
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return bn_parse_uint(buf, 1000000, out);
}

static int
bn_parse_end(const char *s, uint32_t *out)
{
	static const struct {
		const char *label;
		enum end_flags e;
	} tab[] = {
		{ "None", END_ANY }, { "R", END_RST },
		{ "F and not R", END_FIN }, { "not F and not R", END_OPEN },
		{ "SF", END_FIN }, { "S2", END_FIN }, { "S3", END_FIN },
		{ "REJ", END_RST }, { "RSTO", END_RST }, { "RSTR", END_RST },
		{ "RSTOS0", END_RST }, { "RSTRH", END_RST },
		{ "S0", END_OPEN }, { "S1", END_OPEN }, { "SH", END_OPEN },
		{ "SHR", END_OPEN }, { "OTH", END_OPEN },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(s, tab[i].label) == 0) {
			*out = tab[i].e;
			return 0;
		}
	return -EINVAL;
}

/* Gives outcome j of node nd its meaning; -EINVAL if the label has none. */
static int
bn_decode(struct bn_node *nd, uint32_t j)
{
	const char *s = nd->labels[j];
	struct in_addr a;
	enum l7_proto p;

	switch (nd->kind) {
	case BN_TIME:
		return bn_parse_bin(s, &nd->val[j]);
	case BN_PROTO:
		if (strcasecmp(s, "TCP") == 0)
			nd->val[j] = L4_TCP;
		else if (strcasecmp(s, "UDP") == 0)
			nd->val[j] = L4_UDP;
		else if (strcasecmp(s, "ICMP") == 0)
			nd->val[j] = L4_ICMP;
		else
			return -EINVAL;
		return 0;
	case BN_L7:
		/* Newer learners label flows without a service "none". */
		p = l7_parse(s);
		if (p == L7_NONE && strcasecmp(s, "none") != 0)
			return -EINVAL;
		nd->val[j] = p;
		return 0;
	case BN_SRC_ROLE:
	case BN_DST_ROLE:
		if (strcasecmp(s, "User") == 0)
			nd->val[j] = BN_ROLE_USER;
		else if (strcasecmp(s, "Server") == 0)
			nd->val[j] = BN_ROLE_SERVER;
		else if (strcasecmp(s, "Internet") == 0)
			nd->val[j] = BN_ROLE_INTERNET;
		else
			return -EINVAL;
		return 0;
	case BN_SRC_ADDR:
	case BN_DST_ADDR:
		/* inet_pton takes only strict dotted quads. */
		nd->pub[j] = inet_pton(AF_INET, s, &a) != 1;
		nd->val[j] = nd->pub[j] ? 0 : ntohl(a.s_addr);
		return 0;
	case BN_DST_PORT:
		if (strncmp(s, "port-", 5) != 0 ||
		    bn_parse_uint(s + 5, 65535, &nd->val[j]) != 0 ||
		    nd->val[j] == 0)
			return -EINVAL;
		return 0;
	case BN_OUT_PKTS:
	case BN_IN_PKTS:
		if (bn_parse_uint(s, 1000, &nd->val[j]) != 0)
			nd->val[j] = j;
		return 0;
	case BN_END:
		return bn_parse_end(s, &nd->val[j]);
	default:
		return 0;
	}
}

static int
bn_decode_all(struct bn *bn, struct diag *d)
{
	for (uint32_t i = 0; i < bn->n; i++) {
		struct bn_node *nd = &bn->nodes[i];

		nd->val = calloc(nd->k, sizeof(uint32_t));
		nd->pub = calloc(nd->k, 1);
		if (nd->val == NULL || nd->pub == NULL)
			return -ENOMEM;
		for (uint32_t j = 0; j < nd->k; j++)
			if (bn_decode(nd, j) != 0)
				return diag_set(d, "%s:%lu: variable '%s': "
				    "outcome '%s' has no meaning for this "
				    "variable", nd->file, nd->line, nd->name,
				    nd->labels[j]);
	}
	return 0;
}

/* Maps each time bin to the outcome whose label carries its number. */
static int
bn_map_bins(struct bn *bn, struct diag *d)
{
	struct bn_node *nd;

	if (bn->time < 0)
		return 0;
	nd = &bn->nodes[bn->time];
	if (nd->np != 0)
		return diag_set(d, "%s:%lu: variable 'Time' must have no "
		    "parents", nd->file, nd->line);
	if (nd->k != bn->nbins)
		return diag_set(d, "%s:%lu: variable 'Time' has %u outcomes "
		    "but s0_bin_count is %u in %s", nd->file, nd->line, nd->k,
		    bn->nbins, bn_files[3]);
	if ((bn->bin_val = malloc(bn->nbins * sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	for (uint32_t b = 0; b < bn->nbins; b++)
		bn->bin_val[b] = UINT32_MAX;
	for (uint32_t j = 0; j < nd->k; j++) {
		uint32_t b = nd->val[j];

		if (b >= bn->nbins || bn->bin_val[b] != UINT32_MAX)
			return diag_set(d, "%s:%lu: variable 'Time': outcome "
			    "'%s' is out of range or repeated", nd->file,
			    nd->line, nd->labels[j]);
		bn->bin_val[b] = j;
	}
	return 0;
}

static int
bn_read_gauss(struct bn *bn, json_t *root, int l4i, int dir, struct diag *d)
{
	static const char *const keys[2][2] = {
		{ "tcp_out_pkt_gaussians", "tcp_in_pkt_gaussians" },
		{ "udp_out_pkt_gaussians", "udp_in_pkt_gaussians" },
	};
	const char *key = keys[l4i][dir];
	json_t *o = json_object_get(root, key), *mu, *cov;
	int ni = bn->pkts[l4i][dir];
	size_t n;

	if (o == NULL)
		return ni < 0 ? 0 : diag_set(d, "%s: '%s' is missing",
		    bn_files[3], key);
	mu = json_object_get(o, "mu");
	cov = json_object_get(o, "cov");
	if (!json_is_array(mu) || !json_is_array(cov))
		return diag_set(d, "%s: '%s' needs arrays 'mu' and 'cov'",
		    bn_files[3], key);
	n = json_array_size(mu) < json_array_size(cov) ?
	    json_array_size(mu) : json_array_size(cov);
	if (ni >= 0 && n != bn->nodes[ni].k)
		return diag_set(d, "%s: '%s' has %zu Gaussians but variable "
		    "'%s' has %u outcomes", bn_files[3], key, n,
		    bn->nodes[ni].name, bn->nodes[ni].k);
	if ((bn->gauss[l4i][dir] = calloc(n + 1, sizeof(struct bn_gauss))) ==
	    NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(mu, i), *c = json_array_get(cov, i);
		double var = json_number_value(c);

		if (!json_is_number(m) || !json_is_number(c) ||
		    !isfinite(json_number_value(m)) || !isfinite(var) ||
		    var < 0.0)
			return diag_set(d, "%s: '%s' entry %zu: mu must be a "
			    "number and cov a finite number >= 0",
			    bn_files[3], key, i);
		bn->gauss[l4i][dir][i].mu = json_number_value(m);
		bn->gauss[l4i][dir][i].sigma = sqrt(var);
	}
	bn->ngauss[l4i][dir] = (uint32_t)n;
	/* Labels that are integers name the Gaussian; others are positions. */
	for (uint32_t j = 0; ni >= 0 && j < bn->nodes[ni].k; j++)
		if (bn->nodes[ni].val[j] >= n)
			return diag_set(d, "%s:%lu: variable '%s': outcome "
			    "'%s' names no Gaussian of '%s'",
			    bn->nodes[ni].file, bn->nodes[ni].line,
			    bn->nodes[ni].name, bn->nodes[ni].labels[j], key);
	return 0;
}

static int
bn_read_extra(struct bn *bn, const char *text, size_t len, struct diag *d)
{
	json_error_t err;
	json_t *root, *bins;
	int rc = 0;

	root = json_loadb(text, len, 0, &err);
	if (root == NULL)
		return diag_set(d, "%s:%d: %s", bn_files[3], err.line,
		    err.text);
	bins = json_object_get(root, "s0_bin_count");
	if (!json_is_object(root) || !json_is_integer(bins) ||
	    json_integer_value(bins) < 1 ||
	    json_integer_value(bins) > 1000000) {
		rc = diag_set(d, "%s: 's0_bin_count' must be an integer from "
		    "1 to 1000000", bn_files[3]);
		goto out;
	}
	bn->nbins = (uint32_t)json_integer_value(bins);
	for (int a = 0; a < 2 && rc == 0; a++)
		for (int b = 0; b < 2 && rc == 0; b++)
			rc = bn_read_gauss(bn, root, a, b, d);
out:
	json_decref(root);
	return rc;
}

/* Structural rules the sampler relies on. */
static int
bn_check(struct bn *bn, struct diag *d)
{
	static const char *const need[] = { "Proto", "Applicative Proto",
		"Src IP Addr", "Dst IP Addr" };

	for (size_t t = 0; t < sizeof(need) / sizeof(need[0]); t++)
		if (bn_node_find(bn, need[t]) < 0)
			return diag_set(d, "%s: the network has no variable "
			    "'%s'", bn_files[0], need[t]);
	for (uint32_t i = 0; i < bn->n; i++) {
		struct bn_node *nd = &bn->nodes[i];

		for (uint32_t j = 0; j < nd->np; j++) {
			struct bn_node *p = &bn->nodes[nd->par[j]];

			p->nchild = true;
			if (p->l4 != 0 && p->l4 != nd->l4)
				return diag_set(d, "%s:%lu: variable '%s' "
				    "depends on '%s' of another protocol",
				    nd->file, nd->line, nd->name, p->name);
		}
	}
	if (bn->nodes[bn->src_addr].nchild || bn->nodes[bn->dst_addr].nchild)
		return diag_set(d, "%s: 'Src IP Addr' and 'Dst IP Addr' must "
		    "have no children", bn_files[0]);
	return 0;
}

/* Addresses named by the model, which public draws must avoid. */
static int
bn_collect_local(struct bn *bn)
{
	int ids[2] = { bn->src_addr, bn->dst_addr };

	for (int t = 0; t < 2; t++) {
		struct bn_node *nd = &bn->nodes[ids[t]];
		uint32_t *p = realloc(bn->local,
		    (bn->nlocal + nd->k) * sizeof(uint32_t));

		if (p == NULL)
			return -ENOMEM;
		bn->local = p;
		for (uint32_t j = 0; j < nd->k; j++)
			if (!nd->pub[j])
				bn->local[bn->nlocal++] = nd->val[j];
	}
	return 0;
}

static int
bn_build(struct bn *bn, struct bif_net *nets[3], const char *extra,
    size_t elen, struct diag *d)
{
	static const char *const sfx[3] = { "", " TCP", " UDP" };
	static const uint8_t l4s[3] = { 0, L4_TCP, L4_UDP };
	int rc;

	for (int f = 0; f < 3; f++)
		if ((rc = bn_merge(bn, nets[f], sfx[f], l4s[f], bn_files[f],
		    d)) != 0)
			return rc;
	bn_recognise(bn);
	if ((rc = bn_decode_all(bn, d)) != 0 ||
	    (rc = bn_check(bn, d)) != 0 ||
	    (rc = bn_read_extra(bn, extra, elen, d)) != 0 ||
	    (rc = bn_map_bins(bn, d)) != 0 ||
	    (rc = bn_collect_local(bn)) != 0)
		return rc;
	return bn_prepare(bn, d);
}

int
bn_load_texts(struct bn **out, const char *const text[4],
    const size_t len[4], struct diag *d)
{
	struct bif_net *nets[3] = { NULL, NULL, NULL };
	struct bn *bn;
	int rc = 0;

	*out = NULL;
	if ((bn = calloc(1, sizeof(*bn))) == NULL ||
	    (bn->nodes = calloc(BN_MAX_NODES, sizeof(*bn->nodes))) == NULL) {
		free(bn);
		return -ENOMEM;
	}
	for (int f = 0; f < 3 && rc == 0; f++)
		rc = bif_parse(&nets[f], text[f], len[f], bn_files[f], d);
	if (rc == 0)
		rc = bn_build(bn, nets, text[3], len[3], d);
	for (int f = 0; f < 3; f++)
		bif_free(nets[f]);
	if (rc == -ENOMEM)
		diag_set(d, "loading the Bayesian network: out of memory");
	if (rc != 0) {
		bn_free(bn);
		return rc;
	}
	*out = bn;
	return 0;
}

int
bn_load(struct bn **out, const struct profile_src *src, struct diag *d)
{
	char *text[4] = { NULL, NULL, NULL, NULL };
	size_t len[4] = { 0, 0, 0, 0 };
	int rc = 0;

	*out = NULL;
	for (int f = 0; f < 4 && rc == 0; f++)
		rc = profile_src_read(src, bn_files[f], &text[f], &len[f], d);
	/* Read errors name the file already; the others name it relative. */
	if (rc == 0) {
		rc = bn_load_texts(out, (const char *const *)text, len, d);
		if (rc != 0 && rc != -ENOMEM)
			diag_prefix(d, "%s", profile_src_name(src));
	}
	for (int f = 0; f < 4; f++)
		free(text[f]);
	return rc;
}

void
bn_free(struct bn *bn)
{
	if (bn == NULL)
		return;
	for (uint32_t i = 0; bn->nodes != NULL && i < BN_MAX_NODES; i++)
		bn_node_clear(&bn->nodes[i]);
	free(bn->nodes);
	free(bn->order);
	free(bn->draw);
	free(bn->bin_val);
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			free(bn->gauss[a][b]);
	free(bn->local);
	free(bn->core);
	for (uint32_t t = 0; bn->tabs != NULL && t < bn->ntabs; t++) {
		dist_free(&bn->tabs[t].d);
		free(bn->tabs[t].vals);
	}
	free(bn->tabs);
	for (uint32_t r = 0; bn->pair_src != NULL && r < bn->npair; r++)
		dist_free(&bn->pair_src[r]);
	free(bn->pair_src);
	free(bn);
}

int
bn_node_find(const struct bn *bn, const char *name)
{
	for (uint32_t i = 0; i < bn->n; i++)
		if (strcmp(bn->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool
bn_is_client(const struct nc_host *h, enum l7_proto p)
{
	return h->client_all || (h->client_mask & (1u << p)) != 0;
}

/* Outcome j of a configured address node: users, servers, then NULL. */
static const struct nc_iface *
bn_conf_iface(const struct netconf *nc, uint32_t j)
{
	if (j < nc->nusers)
		return nc->users[j];
	if (j < nc->nusers + nc->nservers)
		return nc->servers[j - nc->nusers];
	return NULL;
}

/* Weight of interface f (NULL: the Internet) for a role and a service. */
static double
bn_conf_weight(const struct nc_iface *f, enum bn_role role, enum l7_proto p)
{
	bool ok;

	if (f == NULL)
		return role == BN_ROLE_INTERNET ? 1.0 : 0.0;
	ok = role == BN_ROLE_USER ? bn_is_client(f->host, p) :
	    role == BN_ROLE_SERVER ? (f->services & (1u << p)) != 0 : false;
	return ok && isfinite(f->host->usage) && f->host->usage > 0 ?
	    f->host->usage : 0.0;
}

/*
 * Rebuilds an address node for a configuration: outcomes are the users,
 * the servers and the Internet; parents are the service and the role.
 * A user-role row weighs the clients of the service by usage, a
 * server-role row the hosts that offer it, an Internet row is public;
 * rows of services nobody offers are impossible.
 */
static int
bn_conf_addr(struct bn *bn, int ai, int role, const struct netconf *nc)
{
	struct bn_node *nd = &bn->nodes[ai], *l7 = &bn->nodes[bn->l7];
	struct bn_node *rn = &bn->nodes[role];
	uint32_t k = (uint32_t)(nc->nusers + nc->nservers + 1);
	const char *file = nd->file;
	unsigned long line = nd->line;

	bn_node_clear(nd);
	nd->file = file;
	nd->line = line;
	nd->name = strdup(ai == bn->src_addr ? "Src IP Addr" : "Dst IP Addr");
	nd->kind = ai == bn->src_addr ? BN_SRC_ADDR : BN_DST_ADDR;
	nd->k = k;
	nd->np = 2;
	nd->nrows = l7->k * rn->k;
	nd->par = calloc(2, sizeof(uint32_t));
	nd->labels = calloc(k, sizeof(char *));
	nd->val = calloc(k, sizeof(uint32_t));
	nd->pub = calloc(k, 1);
	nd->w = calloc((size_t)nd->nrows * k, sizeof(double));
	if (nd->name == NULL || nd->par == NULL || nd->labels == NULL ||
	    nd->val == NULL || nd->pub == NULL || nd->w == NULL)
		return -ENOMEM;
	nd->par[0] = (uint32_t)bn->l7;
	nd->par[1] = (uint32_t)role;
	for (uint32_t j = 0; j < k; j++) {
		const struct nc_iface *f = bn_conf_iface(nc, j);
		char buf[INET_ADDRSTRLEN];
		struct in_addr a;

		nd->pub[j] = f == NULL;
		nd->val[j] = f == NULL ? 0 : f->ip;
		a.s_addr = htonl(nd->val[j]);
		inet_ntop(AF_INET, &a, buf, sizeof(buf));
		if ((nd->labels[j] = strdup(f == NULL ? "Internet" : buf)) ==
		    NULL)
			return -ENOMEM;
	}
	for (uint32_t v = 0; v < l7->k; v++) {
		enum l7_proto p = l7->val[v];

		if (p == L7_NONE || !(nc->services & (1u << p)))
			continue;
		for (uint32_t r = 0; r < rn->k; r++)
			for (uint32_t j = 0; j < k; j++)
				nd->w[((size_t)v * rn->k + r) * k + j] =
				    bn_conf_weight(bn_conf_iface(nc, j),
				    rn->val[r], p);
	}
	return bn_set_norm(nd);
}

/* Names the configured services the model never generates. */
static void
bn_warn_services(const struct bn *bn, const struct netconf *nc)
{
	const struct bn_node *l7 = &bn->nodes[bn->l7];

	for (int p = 1; p < L7_COUNT; p++) {
		bool found = false;

		if (!(nc->services & (1u << p)))
			continue;
		for (uint32_t j = 0; j < l7->k; j++)
			found = found || l7->val[j] == (uint32_t)p;
		if (!found)
			log_warnx("configuration: service %s is not in the "
			    "model and will not be generated", l7_name(p));
	}
}

/* Says which offered services lack a client or a server to be drawn. */
static void
bn_explain(const struct bn *bn, const struct netconf *nc, struct diag *d)
{
	const struct bn_node *l7 = &bn->nodes[bn->l7];
	char buf[sizeof(d->msg)];
	size_t n = 0;
	uint32_t k = (uint32_t)(nc->nusers + nc->nservers);

	buf[0] = '\0';
	for (uint32_t j = 0; j < l7->k; j++) {
		enum l7_proto p = l7->val[j];
		bool cl = false, sv = false;

		if (p == L7_NONE || !(nc->services & (1u << p)))
			continue;
		for (uint32_t i = 0; i < k; i++) {
			cl = cl || bn_conf_weight(bn_conf_iface(nc, i),
			    BN_ROLE_USER, p) > 0;
			sv = sv || bn_conf_weight(bn_conf_iface(nc, i),
			    BN_ROLE_SERVER, p) > 0;
		}
		if ((!cl || !sv) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s "
			    "has no %s with nonzero usage", n ? "; " : "",
			    l7_key(p), !cl ? "client" : "server");
	}
	if (n > 0)
		diag_set(d, "no flow of the model fits the configuration: %s",
		    buf);
	else
		diag_set(d, "no flow of the model fits the configuration: "
		    "the roles the model gives its services need other hosts "
		    "(or distinct ones) than the configuration has");
}

static bool
bn_any_service(const struct bn *bn)
{
	const struct bn_node *l7 = &bn->nodes[bn->l7];

	for (size_t c = 0; c < (size_t)l7->nrows * l7->k; c++)
		if (l7->w[c] > 0.0)
			return true;
	return false;
}

int
bn_condition(struct bn *bn, const struct netconf *conf, struct diag *d)
{
	struct bn_node *l7;
	int rc;

	if (conf == NULL)
		return 0;
	if (bn->conf != NULL)
		return diag_set(d, "the network is already conditioned on %s",
		    bn->conf->path ? bn->conf->path : "a configuration");
	if (bn->src_role < 0 || bn->dst_role < 0)
		return diag_set(d, "%s: a configuration needs the variables "
		    "'Src IP Role' and 'Dst IP Role'", bn_files[0]);
	bn_warn_services(bn, conf);

	/* Services nobody offers become impossible. */
	l7 = &bn->nodes[bn->l7];
	for (uint32_t r = 0; r < l7->nrows; r++)
		for (uint32_t j = 0; j < l7->k; j++)
			if (l7->val[j] == L7_NONE ||
			    !(conf->services & (1u << l7->val[j])))
				l7->w[(size_t)r * l7->k + j] = 0.0;
	if ((rc = bn_conf_addr(bn, bn->src_addr, bn->src_role, conf)) != 0 ||
	    (rc = bn_conf_addr(bn, bn->dst_addr, bn->dst_role, conf)) != 0)
		goto fail;

	/* The new address nodes list every configured address. */
	bn->nlocal = 0;
	if ((rc = bn_collect_local(bn)) != 0)
		goto fail;
	bn->conf = conf;
	if (!bn_any_service(bn)) {
		rc = diag_set(d, "no service of the configuration is in the "
		    "model's 'Applicative Proto'");
		goto fail;
	}
	if ((rc = bn_prepare(bn, d)) == -ESRCH)
		bn_explain(bn, conf, d);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	if (rc == -ENOMEM)
		diag_set(d, "conditioning the network: out of memory");
	if (conf->path != NULL)
		diag_prefix(d, "%s", conf->path);
	return rc;
}
