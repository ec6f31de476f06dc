/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for the control protocol: the bytes go through the line
 * reader in uneven pieces, and every complete line through the request
 * parser, as fosrd does with what a client sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlproto_reader r;
	struct ctlproto_req req;
	size_t off = 0, len, step = 1;
	char msg[512], *line, *reply;
	int rc;

	if (ctlproto_reader_init(&r, 4096) < 0)
		return 0;
	while (off < size) {
		size_t k = size - off < step ? size - off : step;

		if (ctlproto_reader_feed(&r, data + off, k) < 0)
			break;
		off += k;
		step = step * 3 % 61 + 1;
		while ((rc = ctlproto_reader_next(&r, &line, &len)) > 0) {
			enum ctlproto_err e = ctlproto_req_parse(&req, line,
			    len, msg, sizeof(msg));

			reply = e == CTLPROTO_OK ? ctlproto_reply_ok(req.id,
			    NULL) : ctlproto_reply_err(req.id, e, "%s", msg);
			free(reply);
			ctlproto_req_free(&req);
		}
		if (rc < 0)
			break;
	}
	ctlproto_reader_free(&r);
	return 0;
}
