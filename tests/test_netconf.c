/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Network configurations: Fos-R's own test file, a rich one in YAML and
 * one in JSON, MAC choice, then one file per error with its exact message
 * and line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netconf.h"
#include "tap.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define BIT(p) (1U << (p))

/* The first lines of most error cases; hosts start on line 4. */
#define HEAD "metadata:\n  title: T\nhosts:\n"
/* A user and a server of DNS, to complete cases about one field. */
#define PAIR "  - interfaces:\n    - ip_addr: 10.0.0.1\n" \
	"  - interfaces:\n    - ip_addr: 10.0.0.2\n      services: [dns]\n"

static struct netconf *
parse_ok(const char *text)
{
	struct netconf *nc = NULL;
	struct diag d = { "" };
	int rc;

	rc = netconf_parse(&nc, text, strlen(text), "net.yaml", &d);
	if (rc != 0)
		fprintf(stderr, "unexpected error: %s\n", d.msg);
	CHECK_EQ_I(rc, 0);
	return nc;
}

static void
check_bad(const char *text, const char *want)
{
	struct netconf *nc = (struct netconf *)1;
	struct diag d = { "" };

	CHECK(netconf_parse(&nc, text, strlen(text), "net.yaml", &d) < 0);
	CHECK(nc == NULL);
	CHECK_STR(d.msg, want);
}

/* Fos-R's CLI test configuration, with the fixed client semantics. */
static void
test_fosr_config(void)
{
	struct netconf *nc = parse_ok(
	    "metadata:\n"
	    "  title: Test\n"
	    "hosts:\n"
	    "  - interfaces:\n"
	    "    - ip_addr: 192.168.0.11\n"
	    "  - interfaces:\n"
	    "    - ip_addr: 192.168.0.13\n"
	    "      services:\n"
	    "        - https\n"
	    "        - ntp\n");

	if (nc == NULL)
		return;
	CHECK_STR(nc->title, "Test");
	CHECK_STR(nc->path, "net.yaml");
	CHECK_EQ_U(nc->nhosts, 2);
	CHECK_EQ_U(nc->services, BIT(L7_HTTPS) | BIT(L7_NTP));
	CHECK_EQ_U(nc->nusers, 1);
	CHECK_EQ_U(nc->users[0]->ip, IP(192, 168, 0, 11));
	CHECK_EQ_U(nc->nservers, 1);
	CHECK_EQ_U(nc->servers[0]->ip, IP(192, 168, 0, 13));
	CHECK(!nc->hosts[0].is_server);
	CHECK(nc->hosts[0].client_all);
	CHECK_EQ_U(nc->hosts[0].client_mask, BIT(L7_HTTPS) | BIT(L7_NTP));
	/* A server without a client list uses nothing (Fos-R: everything). */
	CHECK(nc->hosts[1].is_server);
	CHECK(!nc->hosts[1].client_all);
	CHECK_EQ_U(nc->hosts[1].client_mask, 0);
	CHECK_EQ_U(nc->servers[0]->port[L7_HTTPS], 0);
	CHECK_NEAR(nc->hosts[0].usage, 1.0, 0);
	CHECK_EQ_I(nc->hosts[1].os, OS_LINUX);
	CHECK(nc->hosts[0].hostname == NULL);
	CHECK(!nc->users[0]->has_mac);
	CHECK(netconf_find(nc, IP(192, 168, 0, 13)) == nc->servers[0]);
	CHECK(netconf_find(nc, IP(192, 168, 0, 12)) == NULL);
	netconf_free(nc);
}

static const char rich[] =
    "# An office with a DMZ.\n"
    "metadata:\n"
    "  title: Office\n"
    "  desc: two users, a LAN server and a DMZ server\n"
    "  author: someone\n"
    "  date: 2026-12-04\n"
    "  version: 1.0\n"
    "  format: 1\n"
    "hosts:\n"
    "  - hostname: alice\n"                          /* line 10 */
    "    os: Windows\n"
    "    usage: 2.5\n"
    "    type: user\n"
    "    client: [HTTPS, dns]\n"
    "    interfaces:\n"
    "      - ip_addr: 192.168.1.10\n"
    "        mac_addr: 0a:1b:2C:3d:4e:5f\n"
    "      - ip_addr: 10.0.0.10\n"
    "  - hostname: bob\n"
    "    interfaces:\n"                              /* line 20 */
    "      - ip_addr: 192.168.1.11\n"
    "  - hostname: srv\n"
    "    interfaces:\n"
    "      - ip_addr: 192.168.1.2\n"
    "        mac_addr: 2:0:0:0:0:1\n"
    "        services: [dns, \"https:8443\", http, Multicast DNS]\n"
    "  - hostname: dmz\n"
    "    type: server\n"
    "    client: [dns]\n"
    "    usage: 0\n"                                 /* line 30 */
    "    interfaces:\n"
    "      - ip_addr: 198.51.100.7\n"
    "        services: [smtp, \"ssh:2222\"]\n"
    "  - hostname: carol\n"
    "    client:\n"
    "      - ssh\n"
    "      - ntp\n"
    "    interfaces:\n"
    "      - ip_addr: 192.168.1.12\n";

/* Runs a parse with stderr sent to a file, and returns what was logged. */
static struct netconf *
parse_logged(const char *text, char *log, size_t logsz)
{
	char path[] = "netconf-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct netconf *nc;
	ssize_t n;

	CHECK(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	nc = parse_ok(text);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, log, logsz - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return nc;
}

static void
test_rich(void)
{
	uint32_t all = BIT(L7_DNS) | BIT(L7_HTTPS) | BIT(L7_HTTP) |
	    BIT(L7_MDNS) | BIT(L7_SMTP) | BIT(L7_SSH);
	const struct nc_iface *srv;
	struct netconf *nc;
	char log[1024];

	nc = parse_logged(rich, log, sizeof(log));
	if (nc == NULL)
		return;
	CHECK(strstr(log, "net.yaml:37: hosts[4].client[1]: no host offers "
	    "ntp") != NULL);
	CHECK_STR(nc->title, "Office");
	CHECK_EQ_U(nc->nhosts, 5);
	CHECK_EQ_U(nc->nifaces, 6);
	CHECK_EQ_U(nc->services, all);

	/* Roles in file order. */
	CHECK_EQ_U(nc->nusers, 4);
	CHECK_EQ_U(nc->users[0]->ip, IP(192, 168, 1, 10));
	CHECK_EQ_U(nc->users[1]->ip, IP(10, 0, 0, 10));
	CHECK_EQ_U(nc->users[2]->ip, IP(192, 168, 1, 11));
	CHECK_EQ_U(nc->users[3]->ip, IP(192, 168, 1, 12));
	CHECK_EQ_U(nc->nservers, 2);
	CHECK_EQ_U(nc->servers[0]->ip, IP(192, 168, 1, 2));
	CHECK_EQ_U(nc->servers[1]->ip, IP(198, 51, 100, 7));

	/* Host fields. */
	CHECK_STR(nc->hosts[0].hostname, "alice");
	CHECK_EQ_I(nc->hosts[0].os, OS_WINDOWS);
	CHECK_NEAR(nc->hosts[0].usage, 2.5, 0);
	CHECK_NEAR(nc->hosts[3].usage, 0, 0);
	CHECK(nc->users[0]->has_mac);
	CHECK_EQ_U(nc->users[0]->mac[0], 0x0a);
	CHECK_EQ_U(nc->users[0]->mac[2], 0x2c);
	CHECK_EQ_U(nc->users[0]->mac[5], 0x5f);
	CHECK(nc->users[0]->host == &nc->hosts[0]);
	CHECK(nc->users[1]->host == &nc->hosts[0]);

	/* Client masks: lists, defaults by type, unknown services dropped. */
	CHECK_EQ_U(nc->hosts[0].client_mask, BIT(L7_HTTPS) | BIT(L7_DNS));
	CHECK(!nc->hosts[0].client_all);
	CHECK_EQ_U(nc->hosts[1].client_mask, all);
	CHECK(nc->hosts[1].client_all);
	CHECK_EQ_U(nc->hosts[2].client_mask, 0);
	CHECK_EQ_U(nc->hosts[3].client_mask, BIT(L7_DNS));
	CHECK_EQ_U(nc->hosts[4].client_mask, BIT(L7_SSH));

	/* Services and ports per interface. */
	srv = netconf_find(nc, IP(192, 168, 1, 2));
	CHECK(srv == nc->servers[0]);
	if (srv != NULL) {
		CHECK_EQ_U(srv->services, BIT(L7_DNS) | BIT(L7_HTTPS) |
		    BIT(L7_HTTP) | BIT(L7_MDNS));
		CHECK_EQ_U(srv->port[L7_HTTPS], 8443);
		CHECK_EQ_U(srv->port[L7_DNS], 0);
	}
	CHECK_EQ_U(nc->servers[1]->port[L7_SSH], 2222);
	CHECK_EQ_U(nc->servers[1]->services, BIT(L7_SMTP) | BIT(L7_SSH));
	CHECK(netconf_find(nc, IP(10, 0, 0, 10)) == nc->users[1]);
	CHECK(netconf_find(nc, IP(10, 0, 0, 11)) == NULL);
	CHECK(netconf_find(nc, 0) == NULL);
	CHECK(netconf_find(nc, UINT32_MAX) == NULL);
	netconf_free(nc);
}

/* Null optional values are absent ones; required ones stay required. */
static void
test_nulls(void)
{
	struct netconf *nc = parse_ok(HEAD
	    "  - hostname: ~\n    os:\n    usage: null\n    type: ~\n"
	    "    client: ~\n    interfaces:\n    - ip_addr: 10.0.0.9\n"
	    "      mac_addr:\n      services: ~\n" PAIR);

	if (nc == NULL)
		return;
	CHECK(nc->hosts[0].hostname == NULL);
	CHECK_NEAR(nc->hosts[0].usage, 1, 0);
	CHECK(!nc->hosts[0].is_server);
	CHECK(nc->hosts[0].client_all);
	CHECK(!nc->users[0]->has_mac);
	CHECK_EQ_U(nc->users[0]->services, 0);
	netconf_free(nc);
	check_bad(HEAD "  - interfaces:\n    - ip_addr: ~\n",
	    "net.yaml:5: hosts[0].interfaces[0].ip_addr: no value");
	check_bad(HEAD "  - interfaces: ~\n",
	    "net.yaml:4: hosts[0].interfaces: not a sequence");
}

/* A small network written as JSON. */
static void
test_json(void)
{
	struct netconf *nc = parse_ok(
	    "{\"metadata\": {\"title\": \"J\"}, \"hosts\": [\n"
	    " {\"usage\": 3, \"interfaces\": [{\"ip_addr\": \"172.16.0.1\","
	    " \"mac_addr\": \"00:16:3e:00:00:01\"}]},\n"
	    " {\"type\": \"server\", \"interfaces\": [{\"ip_addr\": "
	    "\"172.16.0.2\", \"services\": [\"mqtt:8883\", \"ntp\"]}]}]}\n");

	if (nc == NULL)
		return;
	CHECK_STR(nc->title, "J");
	CHECK_NEAR(nc->hosts[0].usage, 3, 0);
	CHECK_EQ_U(nc->users[0]->mac[2], 0x3e);
	CHECK_EQ_U(nc->servers[0]->port[L7_MQTT], 8883);
	CHECK_EQ_U(nc->hosts[0].client_mask, BIT(L7_MQTT) | BIT(L7_NTP));
	netconf_free(nc);
}

static void
test_mac(void)
{
	static const uint8_t conf[6] = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
	static const uint8_t lan[6] = { 0x02, 0x00, 10, 0, 0, 10 };
	static const uint8_t dmz[6] = { 0x02, 0x00, 198, 51, 100, 7 };
	static const uint8_t priv[6] = { 0x02, 0x00, 172, 20, 1, 2 };
	struct netconf *nc = parse_ok(rich);
	uint8_t mac[6], mac2[6];

	netconf_mac_for(nc, IP(192, 168, 1, 10), mac);
	CHECK(memcmp(mac, conf, 6) == 0);
	netconf_mac_for(nc, IP(10, 0, 0, 10), mac);
	CHECK(memcmp(mac, lan, 6) == 0);
	/* A configured public address is a simulated host: its own MAC. */
	netconf_mac_for(nc, IP(198, 51, 100, 7), mac);
	CHECK(memcmp(mac, dmz, 6) == 0);
	/* An unknown private address still gets a MAC of its own. */
	netconf_mac_for(nc, IP(172, 20, 1, 2), mac);
	CHECK(memcmp(mac, priv, 6) == 0);
	/* The Internet is behind one gateway. */
	netconf_mac_for(nc, IP(8, 8, 8, 8), mac);
	netconf_mac_for(nc, IP(93, 184, 216, 34), mac2);
	CHECK(memcmp(mac, netconf_gateway_mac, 6) == 0);
	CHECK(memcmp(mac2, netconf_gateway_mac, 6) == 0);
	CHECK((netconf_gateway_mac[0] & 3) == 2);
	CHECK(netconf_is_local(nc, IP(198, 51, 100, 7)));
	CHECK(!netconf_is_local(nc, IP(172, 20, 1, 2)));

	/* No configuration: RFC 1918 addresses are local, others are not. */
	netconf_mac_for(NULL, IP(172, 20, 1, 2), mac);
	CHECK(memcmp(mac, priv, 6) == 0);
	netconf_mac_for(NULL, IP(198, 51, 100, 7), mac);
	CHECK(memcmp(mac, netconf_gateway_mac, 6) == 0);
	CHECK(netconf_is_local(NULL, IP(10, 255, 255, 254)));
	CHECK(netconf_is_local(NULL, IP(172, 31, 0, 1)));
	CHECK(!netconf_is_local(NULL, IP(172, 32, 0, 1)));
	CHECK(netconf_is_local(NULL, IP(192, 168, 0, 1)));
	CHECK(!netconf_is_local(NULL, IP(192, 169, 0, 1)));
	CHECK(!netconf_is_local(NULL, IP(11, 0, 0, 1)));
	netconf_free(nc);
}

static void
test_addresses(void)
{
	check_bad(HEAD "  - interfaces:\n    - ip_addr: 10.0.0.300\n",
	    "net.yaml:5: hosts[0].interfaces[0].ip_addr: not an IPv4 "
	    "address: 10.0.0.300");
	check_bad(HEAD "  - interfaces:\n    - ip_addr: 10.0.1\n",
	    "net.yaml:5: hosts[0].interfaces[0].ip_addr: not an IPv4 "
	    "address: 10.0.1");
	check_bad(HEAD "  - interfaces:\n    - ip_addr: 010.0.0.1\n",
	    "net.yaml:5: hosts[0].interfaces[0].ip_addr: not an IPv4 "
	    "address: 010.0.0.1");
	check_bad(HEAD "  - interfaces:\n    - ip_addr: [10.0.0.1]\n",
	    "net.yaml:5: hosts[0].interfaces[0].ip_addr: not a string");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 127.0.0.1\n",
	    "net.yaml:10: hosts[2].interfaces[0].ip_addr: loopback address: "
	    "127.0.0.1");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 224.0.0.251\n",
	    "net.yaml:10: hosts[2].interfaces[0].ip_addr: multicast "
	    "address: 224.0.0.251");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 0.0.0.0\n",
	    "net.yaml:10: hosts[2].interfaces[0].ip_addr: unspecified "
	    "address: 0.0.0.0");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: "
	    "255.255.255.255\n",
	    "net.yaml:10: hosts[2].interfaces[0].ip_addr: broadcast "
	    "address: 255.255.255.255");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.9\n"
	    "    - ip_addr: 10.0.0.1\n",
	    "net.yaml:11: hosts[2].interfaces[1].ip_addr: duplicate address "
	    "10.0.0.1 (first at line 5)");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.1\n"
	    "      mac_addr: 00:11:22:33:44\n",
	    "net.yaml:11: hosts[2].interfaces[0].mac_addr: not a MAC "
	    "address: 00:11:22:33:44");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      mac_addr: 00:11:22:33:44:556\n",
	    "net.yaml:11: hosts[2].interfaces[0].mac_addr: not a MAC "
	    "address: 00:11:22:33:44:556");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      mac_addr: 0g:11:22:33:44:55\n",
	    "net.yaml:11: hosts[2].interfaces[0].mac_addr: not a MAC "
	    "address: 0g:11:22:33:44:55");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      mac_addr: 01:00:5e:00:00:fb\n",
	    "net.yaml:11: hosts[2].interfaces[0].mac_addr: group (multicast) "
	    "MAC address: 01:00:5e:00:00:fb");
}

static void
test_services(void)
{
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services: [dns, gopher]\n",
	    "net.yaml:11: hosts[2].interfaces[0].services[1]: unknown "
	    "service: gopher");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services:\n        - https:99999\n",
	    "net.yaml:12: hosts[2].interfaces[0].services[0]: bad port: "
	    "99999");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services:\n        - \"https:\"\n",
	    "net.yaml:12: hosts[2].interfaces[0].services[0]: bad port: ");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services:\n        - https:-1\n",
	    "net.yaml:12: hosts[2].interfaces[0].services[0]: bad port: -1");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services:\n        - https:0\n",
	    "net.yaml:12: hosts[2].interfaces[0].services[0]: port 0 cannot "
	    "be offered");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services:\n        - https:443:1\n",
	    "net.yaml:12: hosts[2].interfaces[0].services[0]: more than one "
	    "':': https:443:1");
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      services: [dns, \"DNS:5353\"]\n",
	    "net.yaml:11: hosts[2].interfaces[0].services[1]: dns offered "
	    "twice on this interface");
	/* Offered, but the only user has an empty client list. */
	check_bad(HEAD "  - client: []\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.1\n"
	    "  - interfaces:\n    - ip_addr: 10.0.0.2\n"
	    "      services: [dns, https]\n",
	    "net.yaml:9: hosts[1].interfaces[0].services[1]: https is "
	    "offered but no host is a client of it");
	/* Servers use nothing by default, so a server alone is an error. */
	check_bad(HEAD "  - interfaces:\n    - ip_addr: 10.0.0.2\n"
	    "      services: [ntp]\n",
	    "net.yaml:6: hosts[0].interfaces[0].services[0]: ntp is "
	    "offered but no host is a client of it");
	check_bad(HEAD "  - client: [dns, finger]\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.1\n",
	    "net.yaml:4: hosts[0].client[1]: unknown service: finger");
	check_bad(HEAD "  - client: [\"dns:53\"]\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.1\n",
	    "net.yaml:4: hosts[0].client[0]: unknown service: dns:53");
	check_bad(HEAD "  - client: dns\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.1\n",
	    "net.yaml:4: hosts[0].client: not a sequence");
}

static void
test_hosts(void)
{
	check_bad(HEAD PAIR "  - usage: -1\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].usage: not a finite non-negative number: "
	    "-1");
	check_bad(HEAD PAIR "  - usage: .nan\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].usage: not a finite non-negative number: "
	    ".nan");
	check_bad(HEAD PAIR "  - usage: .inf\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].usage: not a finite non-negative number: "
	    ".inf");
	check_bad(HEAD PAIR "  - usage: lots\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].usage: not a number: lots");
	check_bad(HEAD PAIR "  - os: BeOS\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].os: unknown OS: BeOS (Linux or Windows)");
	check_bad(HEAD PAIR "  - os: linux\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].os: unknown OS: linux (Linux or Windows)");
	check_bad(HEAD PAIR "  - type: admin\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].type: unknown type: admin (user or "
	    "server)");
	check_bad(HEAD PAIR "  - hostname: x\n",
	    "net.yaml:9: hosts[2].interfaces: missing");
	check_bad(HEAD PAIR "  - interfaces:\n    - mac_addr: 2:0:0:0:0:1\n",
	    "net.yaml:10: hosts[2].interfaces[0].ip_addr: missing");
	check_bad(HEAD "  - interfaces: []\n",
	    "net.yaml:4: hosts: no host has an interface");
	check_bad(HEAD "  []\n", "net.yaml:4: hosts: no host");
	check_bad(HEAD "  - 10.0.0.1\n", "net.yaml:4: hosts[0]: not a mapping");
}

static void
test_structure(void)
{
	check_bad(HEAD PAIR "  - interfaces:\n    - ip_addr: 10.0.0.3\n"
	    "      ports: [80]\n",
	    "net.yaml:11: hosts[2].interfaces[0].ports: unknown key");
	check_bad(HEAD PAIR "  - name: x\n    interfaces:\n"
	    "    - ip_addr: 10.0.0.3\n",
	    "net.yaml:9: hosts[2].name: unknown key");
	check_bad(HEAD PAIR "  - os: Linux\n    os: Windows\n"
	    "    interfaces:\n    - ip_addr: 10.0.0.3\n",
	    "net.yaml:10: hosts[2].os: given twice");
	check_bad(HEAD PAIR "extra: 1\n", "net.yaml:9: extra: unknown key");
	check_bad("metadata:\n  title: T\n  owner: me\nhosts:\n" PAIR,
	    "net.yaml:3: metadata.owner: unknown key");
	check_bad("metadata:\n  desc: no title\nhosts:\n" PAIR,
	    "net.yaml:2: metadata.title: missing");
	check_bad("metadata:\n  title:\nhosts:\n" PAIR,
	    "net.yaml:2: metadata.title: no value");
	check_bad("metadata:\n  title: T\n  format: one\nhosts:\n" PAIR,
	    "net.yaml:3: metadata.format: not an unsigned integer: one");
	check_bad("hosts:\n" PAIR, "net.yaml:1: metadata: missing");
	check_bad("metadata:\n  title: T\n", "net.yaml:1: hosts: missing");
	check_bad("- a\n- b\n", "net.yaml:1: not a mapping");
	check_bad("", "net.yaml: empty document");
	check_bad(HEAD "  - interfaces:\n    - ip_addr: a: b\n",
	    "net.yaml:5: mapping values are not allowed in this context");
	check_bad(HEAD "  - interfaces:\n    - ip_addr: \"10.0.0.1\n",
	    "net.yaml:6: found unexpected end of stream (while scanning a "
	    "quoted scalar at line 5)");
	check_bad("{\"metadata\": {\"title\": \"T\"},\n \"hosts\": [}\n",
	    "net.yaml:2: did not find expected node content (while parsing "
	    "a flow node at line 2)");
	check_bad(HEAD PAIR "---\nmetadata: {title: U}\n",
	    "net.yaml:9: more than one YAML document");
}

static void
test_load(void)
{
	struct netconf *nc = NULL;
	struct diag d = { "" };
	FILE *f;

	CHECK_EQ_I(netconf_load(&nc, "no-such.yaml", &d), -ENOENT);
	CHECK_STR(d.msg, "no-such.yaml: No such file or directory");
	CHECK_EQ_I(netconf_load(&nc, ".", &d), -EISDIR);
	CHECK_STR(d.msg, ".: Is a directory");
	f = fopen("net.yaml", "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(rich, f);
	fclose(f);
	log_init("test", LOG_DEST_STDERR, LOG_LVL_ERR);
	CHECK_EQ_I(netconf_load(&nc, "net.yaml", &d), 0);
	CHECK(nc != NULL && nc->nhosts == 5);
	CHECK_STR(nc ? nc->path : NULL, "net.yaml");
	netconf_free(nc);
}

/* The examples of the manual page load as they are printed. */
static void
test_man_examples(void)
{
	const char *src = getenv("FOSR_SRCDIR");
	char path[1024], line[512], text[4096];
	struct netconf *nc;
	size_t len = 0;
	int blocks = 0;
	bool in = false;
	FILE *f;

	if (src == NULL) {
		printf("note: FOSR_SRCDIR unset, manual examples not "
		    "checked\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/man/fosr-network.5", src);
	f = fopen(path, "r");
	CHECK(f != NULL);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL &&
	    blocks < 2) {
		if (strncmp(line, ".Bd -literal", 12) == 0) {
			in = true;
			len = 0;
		} else if (in && strncmp(line, ".Ed", 3) == 0) {
			in = false;
			text[len] = '\0';
			nc = parse_ok(text);
			CHECK(nc != NULL && nc->nhosts >= 2);
			netconf_free(nc);
			blocks++;
		} else if (in && len + strlen(line) < sizeof(text)) {
			memcpy(text + len, line, strlen(line));
			len += strlen(line);
		}
	}
	CHECK_EQ_I(blocks, 2);
	if (f != NULL)
		fclose(f);
}

int
main(void)
{
	test_fosr_config();
	test_rich();
	test_json();
	test_nulls();
	test_mac();
	test_addresses();
	test_services();
	test_hosts();
	test_structure();
	test_load();
	test_man_examples();
	return tap_done();
}
