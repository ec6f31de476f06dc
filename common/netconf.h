/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_NETCONF_H
#define FOSR_NETCONF_H

/*
 * Network configuration (YAML or JSON, the Fos-R format): hosts with
 * interfaces, addresses, MACs, offered services with optional ports,
 * usage weights, user/server type, client lists and OS.  Parsed and
 * checked once; immutable afterwards.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "flow.h"

struct nc_iface {
	uint32_t ip;                     /* host byte order */
	uint8_t mac[6];
	bool has_mac;
	uint32_t services;               /* bit (1 << l7) per offered service */
	uint16_t port[L7_COUNT];         /* 0: no port given for the service */
	struct nc_host *host;
};

struct nc_host {
	char *hostname;                  /* may be NULL */
	enum host_os os;
	double usage;
	bool is_server;
	bool client_all;                 /* no client list: client of all */
	uint32_t client_mask;            /* bit (1 << l7) per client service */
	struct nc_iface *ifaces;
	size_t nifaces;
};

struct netconf {
	char *title;
	char *path;                      /* file it came from, for messages */
	struct nc_host *hosts;
	size_t nhosts;
	uint32_t services;               /* union of offered services */
	/* Interfaces by role, in file order. */
	struct nc_iface **users;
	size_t nusers;
	struct nc_iface **servers;
	size_t nservers;
	/* Every interface, sorted by address, for netconf_find. */
	struct nc_iface **by_ip;
	size_t nifaces;
};

/* Parses text (YAML or JSON); fname names the file in messages. */
int netconf_parse(struct netconf **out, const char *text, size_t len,
    const char *fname, struct diag *d);
/* Reads and parses a file. */
int netconf_load(struct netconf **out, const char *path, struct diag *d);
void netconf_free(struct netconf *nc);
/* The interface with this address, or NULL. */
const struct nc_iface *netconf_find(const struct netconf *nc, uint32_t ip);

/*
 * The MAC a generated frame carries for an address: the configured one,
 * else a stable locally administered MAC derived from the address.
 * Addresses outside the configuration (the Internet) are behind the
 * gateway, whose MAC they all share.
 */
void netconf_mac_for(const struct netconf *nc, uint32_t ip, uint8_t mac[6]);
/*
 * Whether an address is on the simulated network: a configured interface,
 * or, with no configuration (nc == NULL), any private (RFC 1918) address.
 */
bool netconf_is_local(const struct netconf *nc, uint32_t ip);
/* Whether the address is in 10/8, 172.16/12 or 192.168/16. */
bool netconf_is_private(uint32_t ip);
/* The MAC that stands for every address outside the simulated network. */
extern const uint8_t netconf_gateway_mac[6];

#endif
