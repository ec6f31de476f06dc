/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosrd: the fosr generation daemon.  Parses the command line and the
 * configuration, then hands over to the daemon module and its event loop.
 * It never forks: systemd (Type=notify) or the shell supervises it.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "profile.h"
#include "profref.h"
#include "tz.h"

#define FOSRD_CONF FOSR_SYSCONFDIR "/fosrd.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: fosrd [-dhnvV] [-f file] [-s socket]\n");
	exit(status);
}

/*
 * An output directory is usable if it exists, or if its parent does: under
 * systemd, StateDirectory= creates it only when the service starts.
 */
static bool
fosrd_dir_usable(const char *dir)
{
	struct stat sb;
	char *copy, *slash;
	bool ok;

	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode);
	if ((copy = strdup(dir)) == NULL)
		return false;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(copy, ".");
	ok = stat(copy, &sb) == 0 && S_ISDIR(sb.st_mode);
	free(copy);
	return ok;
}

/* -n: checks the file and the profile it names; -nv prints the file. */
static int
fosrd_check(struct conf *c, const char *path, bool verbose)
{
	struct profile *p = NULL;
	struct diag d;

	/* What start-up would refuse, -n refuses too, naming the file. */
	if (strcmp(c->timezone, "local") != 0 && tz_set(c->timezone, &d) < 0) {
		fprintf(stderr, "fosrd: %s: timezone: %s\n", path, d.msg);
		return 1;
	}
	if (strcmp(c->output, "discard") != 0 && !fosrd_dir_usable(c->output)) {
		fprintf(stderr, "fosrd: %s: output: %s: not a directory\n",
		    path, c->output);
		return 1;
	}
	if (profile_load(&p, strcmp(c->profile, "default") == 0 ? NULL :
	    c->profile, strcmp(c->netconf, "none") == 0 ? NULL : c->netconf,
	    &d) < 0) {
		fprintf(stderr, "fosrd: %s: profile: %s\n", path, d.msg);
		return 1;
	}
	profile_free(p);
	if (verbose)
		conf_print(c, stdout);
	else
		fprintf(stderr, "fosrd: %s: configuration OK\n", path);
	return 0;
}

static enum log_dest
fosrd_log_dest(bool foreground)
{
	/* systemd sets these for the services it starts. */
	if (!foreground && (getenv("INVOCATION_ID") != NULL ||
	    getenv("JOURNAL_STREAM") != NULL))
		return LOG_DEST_JOURNAL;
	return LOG_DEST_STDERR;
}

int
main(int argc, char **argv)
{
	const char *path = FOSRD_CONF, *sock = NULL;
	bool check = false, verbose = false, foreground = false;
	bool explicit_path = false;
	struct event_base *base;
	struct daemon *dm;
	struct conf c;
	struct diag d;
	int ch, rc;

	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0)
			usage(0);
		if (strcmp(argv[i], "--version") == 0) {
			printf("fosrd %s\n", FOSR_VERSION);
			return 0;
		}
	}
	while ((ch = getopt(argc, argv, "df:hns:vV")) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'f':
			path = optarg;
			explicit_path = true;
			break;
		case 'h':
			usage(0);
		case 'n':
			check = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf("fosrd %s\n", FOSR_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	rc = conf_load(&c, path, &d);
	if (rc < 0 && (rc != -ENOENT || explicit_path || check)) {
		fprintf(stderr, "fosrd: %s\n", d.msg);
		return 1;
	}
	if (check) {
		rc = fosrd_check(&c, path, verbose);
		conf_free(&c);
		return rc;
	}
	log_init("fosrd", fosrd_log_dest(foreground),
	    verbose ? LOG_LVL_DEBUG : c.log_level);
	if (rc == -ENOENT)
		log_notice("%s: not found, using the defaults", path);

	signal(SIGPIPE, SIG_IGN);
	profref_thread_online();
	if ((base = event_base_new()) == NULL)
		fatalx("event loop: cannot create");
	if ((dm = daemon_new(base, &c, path, sock, &d)) == NULL) {
		log_warnx("%s", d.msg);
		conf_free(&c);
		event_base_free(base);
		return 1;
	}
	rc = daemon_run(dm);
	daemon_free(dm);
	event_base_free(base);
	profref_thread_offline();
	log_notice("exited");
	return rc;
}
