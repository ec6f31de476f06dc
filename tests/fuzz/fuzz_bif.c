/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for the BIF reader: any input must give a network or a
 * diagnostic, never a crash, a leak or an unterminated message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bif_net *net = NULL;
	struct diag d;

	d.msg[0] = '\0';
	if (bif_parse(&net, (const char *)data, size, "fuzz.bifxml", &d) ==
	    0) {
		for (uint32_t i = 0; i < net->nvars; i++)
			(void)bif_find(net, net->vars[i].name);
		bif_free(net);
	} else if (memchr(d.msg, '\0', sizeof(d.msg)) == NULL) {
		__builtin_trap();
	}
	return 0;
}
