/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fosr untaint (placeholder until the command lands). */
#include <stdio.h>

#include "cmd.h"

int
cmd_untaint(int argc, char **argv)
{
	fprintf(stderr, "fosr: untaint: not available in this build\n");
	return 1;
}
