/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_CMD_H
#define FOSR_CMD_H

/*
 * Subcommands of the offline tool.  Each gets argv with its own name in
 * argv[0] and returns the exit status: 0 success, 1 runtime error, 2
 * usage error.
 */
int cmd_create_pcap(int argc, char **argv);
int cmd_pcap2flow(int argc, char **argv);
int cmd_untaint(int argc, char **argv);

#endif
