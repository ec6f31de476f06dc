/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Network configuration: the hosts of the simulated network, their
 * addresses, MACs, offered services and which services they use.  The
 * file is YAML (JSON being a subset), in the layout Fos-R reads, but it is
 * checked before anything trusts it: every value that cannot describe a
 * real host (a malformed or reserved address, a duplicate address, a
 * service name or port that does not exist, a negative weight) stops the
 * load with a message that gives the file, the line and the field.
 *
 * Client semantics differ from Fos-R on purpose: a host without a client
 * list uses every offered service when it is a user and none when it is a
 * server, as the format's own documentation says.  A service that is
 * offered but used by nobody is an error, since no flow could ever reach
 * it; a client of a service that nobody offers only earns a warning.
 *
 * The parsed configuration never changes, so any thread may read it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "log.h"
#include "netconf.h"

/* Bounds the walk: YAML aliases can make a small file describe a lot. */
#define NC_MAX_ITEMS 1000000
#define NC_MAX_FILE (64UL << 20)
#define NC_PATH 96
/* The only layout version there is. */
#define NC_FORMAT 1

const uint8_t netconf_gateway_mac[6] = { 0x02, 0x47, 0x57, 0x00, 0x00, 0x01 };

/* Where an interface was written, for messages about duplicates. */
struct nc_loc {
	uint32_t ip;
	size_t line;
	size_t host;
	size_t iface;
};

struct nc_ctx {
	const char *fname;
	yaml_document_t *doc;
	struct diag *d;
	struct netconf *nc;
	size_t items;
	struct nc_loc *locs;             /* per interface, file order */
	size_t nlocs;
	size_t locs_cap;
	yaml_node_t **clients;           /* per host; NULL: no client list */
	size_t offer_line[L7_COUNT];     /* first entry offering a service */
	char offer_path[L7_COUNT][NC_PATH];
};

static const char *const nc_top_keys[] = { "metadata", "hosts", NULL };
static const char *const nc_meta_keys[] = { "title", "desc", "author",
	"date", "version", "format", NULL };
static const char *const nc_host_keys[] = { "hostname", "os", "usage",
	"type", "client", "interfaces", NULL };
static const char *const nc_iface_keys[] = { "ip_addr", "mac_addr",
	"services", NULL };

static int
nc_err(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
nc_err(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*path == '\0')
		return diag_set(c->d, "%s:%zu: %s", c->fname,
		    n->start_mark.line + 1, msg);
	return diag_set(c->d, "%s:%zu: %s: %s", c->fname,
	    n->start_mark.line + 1, path, msg);
}

/* The text of a scalar, or NULL for other nodes and embedded NULs. */
static const char *
nc_scalar(const yaml_node_t *n)
{
	const char *s;

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)n->data.scalar.value;
	return strlen(s) == n->data.scalar.length ? s : NULL;
}

static bool
nc_is_null(const yaml_node_t *n)
{
	const char *s = nc_scalar(n);

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Field paths for messages; a very long unknown key is cut short. */
static void
nc_pathf(char *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
nc_pathf(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, NC_PATH, fmt, ap);
	va_end(ap);
}

static void
nc_child(char *out, const char *path, const char *key)
{
	if (*path == '\0')
		nc_pathf(out, "%s", key);
	else
		nc_pathf(out, "%s.%s", path, key);
}

static size_t
nc_seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
}

static yaml_node_t *
nc_seq_item(struct nc_ctx *c, const yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
}

static yaml_node_t *
nc_get(struct nc_ctx *c, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		const char *k = nc_scalar(yaml_document_get_node(c->doc,
		    p->key));

		if (k != NULL && strcmp(k, key) == 0)
			return yaml_document_get_node(c->doc, p->value);
	}
	return NULL;
}

/* An optional key: a null value counts as absent, as it does in Fos-R. */
static yaml_node_t *
nc_opt(struct nc_ctx *c, const yaml_node_t *map, const char *key)
{
	yaml_node_t *v = nc_get(c, map, key);

	return v != NULL && nc_is_null(v) ? NULL : v;
}

static bool
nc_known(const char *const *keys, const char *k)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

/* A mapping whose keys are all known strings, each given once. */
static int
nc_check_map(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    const char *const *keys)
{
	yaml_node_pair_t *p, *q, *start = n->data.mapping.pairs.start;
	char sub[NC_PATH];

	if (n->type != YAML_MAPPING_NODE)
		return nc_err(c, n, path, "not a mapping");
	for (p = start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		const char *k = nc_scalar(kn);

		if (k == NULL)
			return nc_err(c, kn, path, "a key is not a string");
		nc_child(sub, path, k);
		if (!nc_known(keys, k))
			return nc_err(c, kn, sub, "unknown key");
		for (q = start; q < p; q++)
			if (strcmp(nc_scalar(yaml_document_get_node(c->doc,
			    q->key)), k) == 0)
				return nc_err(c, kn, sub, "given twice");
	}
	return 0;
}

static int
nc_check_seq(struct nc_ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return nc_err(c, n, path, "not a sequence");
	c->items += nc_seq_len(n);
	if (c->items > NC_MAX_ITEMS)
		return nc_err(c, n, path, "more than %d items in the file",
		    NC_MAX_ITEMS);
	return 0;
}

/* A scalar that is not null, as text. */
static int
nc_text(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    const char **out)
{
	if ((*out = nc_scalar(n)) == NULL)
		return nc_err(c, n, path, "not a string");
	if (nc_is_null(n))
		return nc_err(c, n, path, "no value");
	return 0;
}

static int
nc_strdup(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    char **out)
{
	const char *s;
	int rc;

	if ((rc = nc_text(c, n, path, &s)) != 0)
		return rc;
	if ((*out = strdup(s)) == NULL)
		return -ENOMEM;
	return 0;
}

/* YAML spells infinities and NaN its own way; strtod does the rest. */
static bool
nc_parse_double(const char *s, double *out)
{
	char *end;

	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 ||
	    strcmp(s, ".NAN") == 0) {
		*out = NAN;
		return true;
	}
	if (*s == '+' || *s == '-') {
		const char *t = s + 1;

		if (strcmp(t, ".inf") == 0 || strcmp(t, ".Inf") == 0 ||
		    strcmp(t, ".INF") == 0) {
			*out = *s == '-' ? -INFINITY : INFINITY;
			return true;
		}
	}
	if (strcmp(s, ".inf") == 0 || strcmp(s, ".Inf") == 0 ||
	    strcmp(s, ".INF") == 0) {
		*out = INFINITY;
		return true;
	}
	if (*s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno != ERANGE;
}

static int
nc_parse_usage(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    double *out)
{
	const char *s = nc_scalar(n);

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !nc_parse_double(s, out))
		return nc_err(c, n, path, "not a number: %s", s ? s : "");
	if (!isfinite(*out) || *out < 0)
		return nc_err(c, n, path,
		    "not a finite non-negative number: %s", s);
	return 0;
}

static int
nc_parse_format(struct nc_ctx *c, const yaml_node_t *n, const char *path)
{
	const char *s = nc_scalar(n);
	unsigned long v;
	char *end;

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !isdigit((unsigned char)*s))
		return nc_err(c, n, path, "not an unsigned integer: %s",
		    s ? s : "");
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return nc_err(c, n, path, "not an unsigned integer: %s", s);
	if (v != NC_FORMAT)
		log_warnx("%s:%zu: %s: format %lu is not known, reading it "
		    "as format %d", c->fname, n->start_mark.line + 1, path, v,
		    NC_FORMAT);
	return 0;
}

static int
nc_parse_metadata(struct nc_ctx *c, const yaml_node_t *root)
{
	yaml_node_t *m = nc_get(c, root, "metadata"), *v;
	char sub[NC_PATH];
	int rc;

	if (m == NULL)
		return nc_err(c, root, "metadata", "missing");
	if ((rc = nc_check_map(c, m, "metadata", nc_meta_keys)) != 0)
		return rc;
	if ((v = nc_get(c, m, "title")) == NULL)
		return nc_err(c, m, "metadata.title", "missing");
	if ((rc = nc_strdup(c, v, "metadata.title", &c->nc->title)) != 0)
		return rc;
	for (int i = 1; nc_meta_keys[i] != NULL; i++) {
		if ((v = nc_opt(c, m, nc_meta_keys[i])) == NULL)
			continue;
		nc_child(sub, "metadata", nc_meta_keys[i]);
		if (strcmp(nc_meta_keys[i], "format") == 0)
			rc = nc_parse_format(c, v, sub);
		else if (nc_scalar(v) == NULL)
			rc = nc_err(c, v, sub, "not a string");
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Dotted quad, nothing else: no octal, no shortened forms. */
static int
nc_parse_ip(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    uint32_t *ip)
{
	const char *s;
	struct in_addr a;
	int rc;

	if ((rc = nc_text(c, n, path, &s)) != 0)
		return rc;
	if (inet_pton(AF_INET, s, &a) != 1)
		return nc_err(c, n, path, "not an IPv4 address: %s", s);
	*ip = ntohl(a.s_addr);
	if (*ip == 0)
		return nc_err(c, n, path, "unspecified address: %s", s);
	if (*ip == UINT32_MAX)
		return nc_err(c, n, path, "broadcast address: %s", s);
	if ((*ip >> 24) == 127)
		return nc_err(c, n, path, "loopback address: %s", s);
	if ((*ip >> 28) == 0xe)
		return nc_err(c, n, path, "multicast address: %s", s);
	return 0;
}

/* Six groups of one or two hex digits separated by colons. */
static bool
nc_mac_text(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		int nd = 0;

		for (; isxdigit((unsigned char)*s) && nd < 3; s++, nd++)
			v = v * 16 + (unsigned)(isdigit((unsigned char)*s) ?
			    *s - '0' : tolower((unsigned char)*s) - 'a' + 10);
		if (nd == 0 || nd > 2)
			return false;
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

static int
nc_parse_mac(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    struct nc_iface *f)
{
	static const uint8_t zero[6];
	const char *s;
	int rc;

	if ((rc = nc_text(c, n, path, &s)) != 0)
		return rc;
	if (!nc_mac_text(s, f->mac))
		return nc_err(c, n, path, "not a MAC address: %s", s);
	if (f->mac[0] & 1)
		return nc_err(c, n, path, "group (multicast) MAC address: %s",
		    s);
	if (memcmp(f->mac, zero, 6) == 0)
		return nc_err(c, n, path, "all-zero MAC address: %s", s);
	f->has_mac = true;
	return 0;
}

static int
nc_parse_port(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; isdigit((unsigned char)s[i]) && i < 6; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] != '\0' || v > 65535)
		return nc_err(c, n, path, "bad port: %s", s);
	if (v == 0)
		return nc_err(c, n, path, "port 0 cannot be offered");
	*port = (uint16_t)v;
	return 0;
}

/* "proto" or "proto:port", once per interface. */
static int
nc_parse_service(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    struct nc_iface *f)
{
	const char *s, *colon;
	char name[32];
	enum l7_proto p;
	uint16_t port = 0;
	size_t len;
	int rc;

	if ((rc = nc_text(c, n, path, &s)) != 0)
		return rc;
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return nc_err(c, n, path, "more than one ':': %s", s);
	len = colon != NULL ? (size_t)(colon - s) : strlen(s);
	p = L7_NONE;
	if (len < sizeof(name)) {
		memcpy(name, s, len);
		name[len] = '\0';
		p = l7_parse(name);
	}
	if (p == L7_NONE)
		return nc_err(c, n, path, "unknown service: %.*s", (int)len, s);
	if (colon != NULL &&
	    (rc = nc_parse_port(c, n, path, colon + 1, &port)) != 0)
		return rc;
	if (f->services & (1U << p))
		return nc_err(c, n, path, "%s offered twice on this interface",
		    l7_key(p));
	f->services |= 1U << p;
	f->port[p] = port;
	if (c->offer_line[p] == 0) {
		c->offer_line[p] = n->start_mark.line + 1;
		nc_pathf(c->offer_path[p], "%s", path);
	}
	return 0;
}

static int
nc_parse_services(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    struct nc_iface *f)
{
	char sub[NC_PATH];
	int rc;

	if ((rc = nc_check_seq(c, n, path)) != 0)
		return rc;
	for (size_t i = 0; i < nc_seq_len(n); i++) {
		nc_pathf(sub, "%s[%zu]", path, i);
		rc = nc_parse_service(c, nc_seq_item(c, n, i), sub, f);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
nc_parse_iface(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    struct nc_iface *f)
{
	yaml_node_t *v;
	char sub[NC_PATH];
	int rc;

	if ((rc = nc_check_map(c, n, path, nc_iface_keys)) != 0)
		return rc;
	nc_child(sub, path, "ip_addr");
	if ((v = nc_get(c, n, "ip_addr")) == NULL)
		return nc_err(c, n, sub, "missing");
	if ((rc = nc_parse_ip(c, v, sub, &f->ip)) != 0)
		return rc;
	nc_child(sub, path, "mac_addr");
	if ((v = nc_opt(c, n, "mac_addr")) != NULL &&
	    (rc = nc_parse_mac(c, v, sub, f)) != 0)
		return rc;
	nc_child(sub, path, "services");
	if ((v = nc_opt(c, n, "services")) != NULL &&
	    (rc = nc_parse_services(c, v, sub, f)) != 0)
		return rc;
	return 0;
}

static int
nc_add_loc(struct nc_ctx *c, const yaml_node_t *n, size_t hi, size_t ii)
{
	struct nc_loc *l = c->locs;

	if (c->nlocs == c->locs_cap) {
		size_t cap = c->locs_cap ? 2 * c->locs_cap : 64;

		if ((l = realloc(c->locs, cap * sizeof(*l))) == NULL)
			return -ENOMEM;
		c->locs = l;
		c->locs_cap = cap;
	}
	l[c->nlocs++] = (struct nc_loc){ c->nc->hosts[hi].ifaces[ii].ip,
	    n->start_mark.line + 1, hi, ii };
	return 0;
}

static int
nc_parse_ifaces(struct nc_ctx *c, const yaml_node_t *host, const char *path,
    size_t hi)
{
	struct nc_host *h = &c->nc->hosts[hi];
	yaml_node_t *n = nc_get(c, host, "interfaces"), *item;
	char sub[NC_PATH];
	size_t cnt;
	int rc;

	nc_child(sub, path, "interfaces");
	if (n == NULL)
		return nc_err(c, host, sub, "missing");
	if ((rc = nc_check_seq(c, n, sub)) != 0)
		return rc;
	if ((cnt = nc_seq_len(n)) == 0)
		log_warnx("%s:%zu: %s: no interface: the host takes no part",
		    c->fname, n->start_mark.line + 1, sub);
	else if ((h->ifaces = calloc(cnt, sizeof(*h->ifaces))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		item = nc_seq_item(c, n, i);
		nc_pathf(sub, "%s.interfaces[%zu]", path, i);
		h->ifaces[i].host = h;
		h->nifaces = i + 1;
		if ((rc = nc_parse_iface(c, item, sub, &h->ifaces[i])) != 0 ||
		    (rc = nc_add_loc(c, item, hi, i)) != 0)
			return rc;
	}
	return 0;
}

static int
nc_parse_os(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    struct nc_host *h)
{
	const char *s;
	int rc;

	if ((rc = nc_text(c, n, path, &s)) != 0)
		return rc;
	if (strcmp(s, "Linux") == 0)
		h->os = OS_LINUX;
	else if (strcmp(s, "Windows") == 0)
		h->os = OS_WINDOWS;
	else
		return nc_err(c, n, path, "unknown OS: %s (Linux or Windows)",
		    s);
	return 0;
}

/* The type, or by default server when any interface offers a service. */
static int
nc_parse_type(struct nc_ctx *c, const yaml_node_t *host, const char *path,
    struct nc_host *h)
{
	yaml_node_t *n = nc_opt(c, host, "type");
	char sub[NC_PATH];
	const char *s;
	int rc;

	if (n == NULL) {
		for (size_t i = 0; i < h->nifaces; i++)
			if (h->ifaces[i].services != 0)
				h->is_server = true;
		return 0;
	}
	nc_child(sub, path, "type");
	if ((rc = nc_text(c, n, sub, &s)) != 0)
		return rc;
	if (strcmp(s, "server") == 0)
		h->is_server = true;
	else if (strcmp(s, "user") != 0)
		return nc_err(c, n, sub, "unknown type: %s (user or server)",
		    s);
	return 0;
}

/* Names only, no ports; kept for the check against offered services. */
static int
nc_parse_client(struct nc_ctx *c, const yaml_node_t *n, const char *path,
    size_t hi)
{
	char sub[NC_PATH];
	const char *s;
	enum l7_proto p;
	int rc;

	if ((rc = nc_check_seq(c, n, path)) != 0)
		return rc;
	for (size_t i = 0; i < nc_seq_len(n); i++) {
		yaml_node_t *item = nc_seq_item(c, n, i);

		nc_pathf(sub, "%s[%zu]", path, i);
		if ((rc = nc_text(c, item, sub, &s)) != 0)
			return rc;
		if ((p = l7_parse(s)) == L7_NONE)
			return nc_err(c, item, sub, "unknown service: %s", s);
		c->nc->hosts[hi].client_mask |= 1U << p;
	}
	c->clients[hi] = (yaml_node_t *)n;
	return 0;
}

static int
nc_parse_host(struct nc_ctx *c, const yaml_node_t *n, size_t hi)
{
	struct nc_host *h = &c->nc->hosts[hi];
	char path[NC_PATH], sub[NC_PATH];
	yaml_node_t *v;
	int rc;

	nc_pathf(path, "hosts[%zu]", hi);
	if ((rc = nc_check_map(c, n, path, nc_host_keys)) != 0)
		return rc;
	h->usage = 1.0;
	nc_child(sub, path, "hostname");
	if ((v = nc_opt(c, n, "hostname")) != NULL &&
	    (rc = nc_strdup(c, v, sub, &h->hostname)) != 0)
		return rc;
	nc_child(sub, path, "os");
	if ((v = nc_opt(c, n, "os")) != NULL &&
	    (rc = nc_parse_os(c, v, sub, h)) != 0)
		return rc;
	nc_child(sub, path, "usage");
	if ((v = nc_opt(c, n, "usage")) != NULL &&
	    (rc = nc_parse_usage(c, v, sub, &h->usage)) != 0)
		return rc;
	if ((rc = nc_parse_ifaces(c, n, path, hi)) != 0 ||
	    (rc = nc_parse_type(c, n, path, h)) != 0)
		return rc;
	nc_child(sub, path, "client");
	if ((v = nc_opt(c, n, "client")) != NULL &&
	    (rc = nc_parse_client(c, v, sub, hi)) != 0)
		return rc;
	return 0;
}

static int
nc_parse_hosts(struct nc_ctx *c, const yaml_node_t *root)
{
	yaml_node_t *n = nc_get(c, root, "hosts");
	size_t cnt;
	int rc;

	if (n == NULL)
		return nc_err(c, root, "hosts", "missing");
	if ((rc = nc_check_seq(c, n, "hosts")) != 0)
		return rc;
	if ((cnt = nc_seq_len(n)) == 0)
		return nc_err(c, n, "hosts", "no host");
	c->nc->hosts = calloc(cnt, sizeof(*c->nc->hosts));
	c->clients = calloc(cnt, sizeof(*c->clients));
	if (c->nc->hosts == NULL || c->clients == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		c->nc->nhosts = i + 1;
		if ((rc = nc_parse_host(c, nc_seq_item(c, n, i), i)) != 0)
			return rc;
	}
	if (c->nlocs == 0)
		return nc_err(c, n, "hosts", "no host has an interface");
	return 0;
}

static int
nc_cmp_loc_ip(const void *a, const void *b)
{
	const struct nc_loc *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->iface < y->iface ? -1 : x->iface > y->iface;
}

/* Sorts the interfaces by address and refuses an address given twice. */
static int
nc_index(struct nc_ctx *c)
{
	struct netconf *nc = c->nc;
	struct nc_loc *l = c->locs;

	qsort(l, c->nlocs, sizeof(*l), nc_cmp_loc_ip);
	if ((nc->by_ip = calloc(c->nlocs + 1, sizeof(*nc->by_ip))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->nlocs; i++) {
		struct nc_iface *f = &nc->hosts[l[i].host].ifaces[l[i].iface];

		if (i > 0 && nc->by_ip[i - 1]->ip == f->ip) {
			struct in_addr a = { htonl(f->ip) };
			char txt[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a, txt, sizeof(txt));
			return diag_set(c->d, "%s:%zu: hosts[%zu].interfaces"
			    "[%zu].ip_addr: duplicate address %s (first at "
			    "line %zu)", c->fname, l[i].line, l[i].host,
			    l[i].iface, txt, l[i - 1].line);
		}
		nc->by_ip[i] = f;
		nc->services |= f->services;
	}
	nc->nifaces = c->nlocs;
	return 0;
}

static void
nc_warn_clients(struct nc_ctx *c, size_t hi)
{
	const yaml_node_t *n = c->clients[hi];

	for (size_t i = 0; i < nc_seq_len(n); i++) {
		yaml_node_t *item = nc_seq_item(c, n, i);
		enum l7_proto p = l7_parse(nc_scalar(item));

		if (!(c->nc->services & (1U << p)))
			log_warnx("%s:%zu: hosts[%zu].client[%zu]: no host "
			    "offers %s", c->fname, item->start_mark.line + 1,
			    hi, i, l7_key(p));
	}
}

/* Who uses what; then every offered service needs a client. */
static int
nc_resolve_clients(struct nc_ctx *c)
{
	struct netconf *nc = c->nc;
	uint32_t used = 0;

	for (size_t i = 0; i < nc->nhosts; i++) {
		struct nc_host *h = &nc->hosts[i];

		if (c->clients[i] != NULL) {
			nc_warn_clients(c, i);
			h->client_mask &= nc->services;
		} else if (!h->is_server) {
			h->client_all = true;
			h->client_mask = nc->services;
		}
		used |= h->client_mask;
	}
	for (int p = L7_NONE + 1; p < L7_COUNT; p++)
		if ((nc->services & ~used) & (1U << p))
			return diag_set(c->d, "%s:%zu: %s: %s is offered but "
			    "no host is a client of it", c->fname,
			    c->offer_line[p], c->offer_path[p], l7_key(p));
	return 0;
}

static int
nc_roles(struct netconf *nc)
{
	nc->users = calloc(nc->nifaces + 1, sizeof(*nc->users));
	nc->servers = calloc(nc->nifaces + 1, sizeof(*nc->servers));
	if (nc->users == NULL || nc->servers == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nc->nhosts; i++) {
		struct nc_host *h = &nc->hosts[i];

		for (size_t j = 0; j < h->nifaces; j++) {
			if (h->is_server)
				nc->servers[nc->nservers++] = &h->ifaces[j];
			else
				nc->users[nc->nusers++] = &h->ifaces[j];
		}
	}
	return 0;
}

static int
nc_build(struct nc_ctx *c, const yaml_node_t *root)
{
	int rc;

	if ((rc = nc_check_map(c, root, "", nc_top_keys)) != 0 ||
	    (rc = nc_parse_metadata(c, root)) != 0 ||
	    (rc = nc_parse_hosts(c, root)) != 0 ||
	    (rc = nc_index(c)) != 0 ||
	    (rc = nc_resolve_clients(c)) != 0 ||
	    (rc = nc_roles(c->nc)) != 0)
		return rc;
	return 0;
}

static int
nc_yaml_error(const yaml_parser_t *yp, const char *fname, struct diag *d)
{
	if (yp->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (yp->context != NULL)
		return diag_set(d, "%s:%zu: %s (%s at line %zu)", fname,
		    yp->problem_mark.line + 1, yp->problem, yp->context,
		    yp->context_mark.line + 1);
	return diag_set(d, "%s:%zu: %s", fname, yp->problem_mark.line + 1,
	    yp->problem ? yp->problem : "not YAML");
}

/* Loads the one document of the text; a second one is an error. */
static int
nc_load_doc(yaml_document_t *doc, const char *text, size_t len,
    const char *fname, struct diag *d)
{
	yaml_parser_t yp;
	yaml_document_t extra;
	int rc = 0;

	if (!yaml_parser_initialize(&yp))
		return -ENOMEM;
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, doc)) {
		rc = nc_yaml_error(&yp, fname, d);
		goto out;
	}
	if (!yaml_parser_load(&yp, &extra)) {
		rc = nc_yaml_error(&yp, fname, d);
	} else {
		if (yaml_document_get_root_node(&extra) != NULL)
			rc = diag_set(d, "%s:%zu: more than one YAML document",
			    fname, extra.start_mark.line + 1);
		yaml_document_delete(&extra);
	}
	if (rc != 0)
		yaml_document_delete(doc);
out:
	yaml_parser_delete(&yp);
	return rc;
}

int
netconf_parse(struct netconf **out, const char *text, size_t len,
    const char *fname, struct diag *d)
{
	struct nc_ctx c = { .fname = fname, .d = d };
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	if ((rc = nc_load_doc(&doc, text, len, fname, d)) != 0)
		return rc;
	c.doc = &doc;
	if ((c.nc = calloc(1, sizeof(*c.nc))) == NULL ||
	    (c.nc->path = strdup(fname)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		rc = diag_set(d, "%s: empty document", fname);
	else
		rc = nc_build(&c, root);
	if (rc == 0) {
		*out = c.nc;
		c.nc = NULL;
	}
out:
	netconf_free(c.nc);
	free(c.locs);
	free(c.clients);
	yaml_document_delete(&doc);
	return rc;
}

/* Reads a whole file of at most NC_MAX_FILE bytes; pipes work too. */
static int
nc_read_file(FILE *f, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL, *nb;

	for (;;) {
		if ((nb = realloc(buf, cap)) == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		errno = 0;
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			free(buf);
			return errno != 0 ? -errno : -EIO;
		}
		if (n < cap)
			break;
		if (cap >= NC_MAX_FILE) {
			free(buf);
			return -EFBIG;
		}
		cap *= 2;
	}
	*out = buf;
	*len = n;
	return 0;
}

int
netconf_load(struct netconf **out, const char *path, struct diag *d)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		rc = -errno;
		diag_set(d, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = nc_read_file(f, &buf, &n);
	fclose(f);
	if (rc == -EFBIG)
		diag_set(d, "%s: larger than %lu bytes", path, NC_MAX_FILE - 1);
	else if (rc != 0 && rc != -ENOMEM)
		diag_set(d, "%s: %s", path, strerror(-rc));
	else if (rc == 0)
		rc = netconf_parse(out, buf, n, path, d);
	free(buf);
	return rc;
}

void
netconf_free(struct netconf *nc)
{
	if (nc == NULL)
		return;
	for (size_t i = 0; i < nc->nhosts; i++) {
		free(nc->hosts[i].hostname);
		free(nc->hosts[i].ifaces);
	}
	free(nc->hosts);
	free(nc->users);
	free(nc->servers);
	free(nc->by_ip);
	free(nc->title);
	free(nc->path);
	free(nc);
}

const struct nc_iface *
netconf_find(const struct netconf *nc, uint32_t ip)
{
	size_t lo = 0, hi;

	if (nc == NULL)
		return NULL;
	hi = nc->nifaces;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nc->by_ip[mid]->ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nc->nifaces && nc->by_ip[lo]->ip == ip ? nc->by_ip[lo] :
	    NULL;
}

bool
netconf_is_private(uint32_t ip)
{
	return (ip >> 24) == 10 || (ip >> 20) == 0xac1 || (ip >> 16) == 0xc0a8;
}

bool
netconf_is_local(const struct netconf *nc, uint32_t ip)
{
	if (nc == NULL)
		return netconf_is_private(ip);
	return netconf_find(nc, ip) != NULL;
}

void
netconf_mac_for(const struct netconf *nc, uint32_t ip, uint8_t mac[6])
{
	const struct nc_iface *f = netconf_find(nc, ip);

	if (f != NULL && f->has_mac) {
		memcpy(mac, f->mac, 6);
		return;
	}
	if (f == NULL && !netconf_is_private(ip)) {
		memcpy(mac, netconf_gateway_mac, 6);
		return;
	}
	/*
	 * Locally administered and unicast (02 in the first octet), then the
	 * address itself: stable across runs and distinct per address.
	 */
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(ip >> 24);
	mac[3] = (uint8_t)(ip >> 16);
	mac[4] = (uint8_t)(ip >> 8);
	mac[5] = (uint8_t)ip;
}
