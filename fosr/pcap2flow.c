/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fosr pcap2flow (placeholder until the command lands). */
#include <stdio.h>

#include "cmd.h"

int
cmd_pcap2flow(int argc, char **argv)
{
	fprintf(stderr, "fosr: pcap2flow: not available in this build\n");
	return 1;
}
