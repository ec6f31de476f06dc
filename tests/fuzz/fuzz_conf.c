/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for fosrd.conf: parse the bytes, and if they are accepted
 * print the result and parse that again, which must succeed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../daemon/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c, again;
	struct diag d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	conf_defaults(&c);
	if (conf_parse(&c, (const char *)data, size, "fuzz.conf", &d) == 0 &&
	    (f = open_memstream(&buf, &len)) != NULL) {
		conf_print(&c, f);
		fclose(f);
		conf_defaults(&again);
		if (conf_parse(&again, buf, len, "printed.conf", &d) != 0)
			abort();
		conf_free(&again);
		free(buf);
	}
	conf_free(&c);
	return 0;
}
