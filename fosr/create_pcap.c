/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fosr create-pcap (placeholder until the command lands). */
#include <stdio.h>

#include "cmd.h"

int
cmd_create_pcap(int argc, char **argv)
{
	fprintf(stderr, "fosr: create-pcap: not available in this build\n");
	return 1;
}
