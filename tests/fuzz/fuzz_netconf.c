/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: network configuration parsing and the lookups after it. */
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netconf *nc = NULL;
	struct diag d;
	uint8_t mac[6];

	log_init("fuzz", LOG_DEST_STDERR, LOG_LVL_ERR);
	if (netconf_parse(&nc, (const char *)data, size, "fuzz.yaml",
	    &d) != 0)
		return 0;
	/* Every interface must be found again by its address. */
	for (size_t i = 0; i < nc->nhosts; i++)
		for (size_t j = 0; j < nc->hosts[i].nifaces; j++) {
			const struct nc_iface *f = &nc->hosts[i].ifaces[j];

			if (netconf_find(nc, f->ip) != f)
				__builtin_trap();
			netconf_mac_for(nc, f->ip, mac);
		}
	if (nc->nusers + nc->nservers != nc->nifaces)
		__builtin_trap();
	netconf_free(nc);
	return 0;
}
