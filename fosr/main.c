/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosr: the offline tool.  Dispatches to a subcommand; each subcommand
 * parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "create-pcap", cmd_create_pcap, "generate traffic into a pcap file" },
	{ "pcap2flow", cmd_pcap2flow, "extract flow records from a capture" },
	{ "untaint", cmd_untaint, "clear the taint bit of a capture" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: fosr [-hV] command [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "\n'fosr command --help' describes a command's options.\n");
}

int
main(int argc, char **argv)
{
	log_init("fosr", LOG_DEST_STDERR, LOG_LVL_NOTICE);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("fosr %s\n", FOSR_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "fosr: unknown command: %s\n", argv[1]);
	usage(stderr);
	return 2;
}
