/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fosrctl: the control client of fosrd.  Turns a command line into one
 * protocol request, sends it over the control socket, waits for the reply
 * and prints it as a table, or unchanged with -j.  It knows the daemon
 * only through ctlproto.h and the documented JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctlproto.h"

#define FOSRCTL_SOCKET FOSR_RUNSTATEDIR "/fosrd.sock"

enum {
	FOSRCTL_OK = 0,
	FOSRCTL_DAEMON = 1,      /* the daemon answered with an error */
	FOSRCTL_USAGE = 2,       /* bad command line or no daemon */
};

static void __attribute__((noreturn))
usage_exit(FILE *f, int status)
{
	fprintf(f,
	    "usage: fosrctl [-hjV] [-s socket] [-t seconds] command [args]\n"
	    "commands:\n"
	    "  status | stats | version | stop | reload\n"
	    "  start [--fps N] [--duration SEC] [--seed N] [--output DIR]"
	    " [--taint]\n"
	    "        [--flat] [--profile DIR] [--config FILE]\n"
	    "  set fps N | set log-level LEVEL\n"
	    "  profile load DIR [-c FILE] | profile show\n");
	exit(status);
}

static void __attribute__((noreturn))
usage(void)
{
	usage_exit(stderr, FOSRCTL_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fosrctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(FOSRCTL_USAGE);
}

static double
parse_num(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0)
		fail_usage("%s: not a number", opt);
	return v;
}

/*
 * Paths go to the daemon, whose working directory is not ours: relative
 * ones are made absolute here.  Keywords ("default", "discard", "none")
 * pass unchanged.
 */
static json_t *
path_arg(const char *p)
{
	char cwd[4096], *abs;
	json_t *v;

	if (p[0] == '/' || strcmp(p, "default") == 0 ||
	    strcmp(p, "discard") == 0 || strcmp(p, "none") == 0 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return json_string(p);
	if (asprintf(&abs, "%s/%s", cwd, p) < 0)
		return json_string(p);
	v = json_string(abs);
	free(abs);
	return v;
}

/* start's options become the request's arguments. */
static void
args_start(int argc, char **argv, json_t *a)
{
	static const struct option opts[] = {
		{ "fps", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "taint", no_argument, NULL, 't' },
		{ "flat", no_argument, NULL, 'F' },
		{ "profile", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seed;
	char *end;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:d:s:o:tFp:c:", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			json_object_set_new(a, "fps",
			    json_real(parse_num("--fps", optarg)));
			break;
		case 'd':
			json_object_set_new(a, "duration",
			    json_real(parse_num("--duration", optarg)));
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (*end != '\0' || end == optarg || errno != 0 ||
			    optarg[0] == '-')
				fail_usage("--seed: not a 64-bit unsigned "
				    "integer: %s", optarg);
			json_object_set_new(a, "seed",
			    ctlproto_seed_json(seed));
			break;
		case 'o':
			json_object_set_new(a, "output", path_arg(optarg));
			break;
		case 't':
			json_object_set_new(a, "taint", json_true());
			break;
		case 'F':
			json_object_set_new(a, "flat", json_true());
			break;
		case 'p':
			json_object_set_new(a, "profile", path_arg(optarg));
			break;
		case 'c':
			json_object_set_new(a, "config", path_arg(optarg));
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/*
 * Maps the command line to a command name and its arguments.  Usage
 * errors exit from here; the arguments built so far stay reachable
 * through a static so leak checkers see no leak on those exits.
 */
static json_t *fosrctl_args;

static const char *
build_request(int argc, char **argv, json_t **args)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "start") == 0) {
		*args = fosrctl_args = json_object();
		args_start(argc, argv, *args);
		return "start";
	}
	*args = fosrctl_args = json_object();
	if (strcmp(cmd, "set") == 0) {
		if (argc != 3)
			usage();
		if (strcmp(argv[1], "fps") == 0)
			json_object_set_new(*args, "fps",
			    json_real(parse_num("fps", argv[2])));
		else if (strcmp(argv[1], "log-level") == 0 ||
		    strcmp(argv[1], "log_level") == 0)
			json_object_set_new(*args, "log_level",
			    json_string(argv[2]));
		else
			fail_usage("set: unknown setting: %s", argv[1]);
		return "set";
	}
	if (strcmp(cmd, "profile") == 0) {
		if (argc == 2 && strcmp(argv[1], "show") == 0)
			return "profile.show";
		if ((argc != 3 && argc != 5) || strcmp(argv[1], "load") != 0)
			usage();
		json_object_set_new(*args, "dir", path_arg(argv[2]));
		if (argc == 5) {
			if (strcmp(argv[3], "-c") != 0)
				usage();
			json_object_set_new(*args, "config",
			    path_arg(argv[4]));
		}
		return "profile.load";
	}
	if (argc != 1 || ctlproto_cmd_find(cmd) == NULL ||
	    strchr(cmd, '.') != NULL)
		fail_usage("unknown command: %s", cmd);
	return cmd;
}

/* Connects before anything is allocated, so failing here leaks nothing. */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		fail_usage("%s: socket path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "fosrctl: %s: %s\n", path, strerror(errno));
		exit(FOSRCTL_USAGE);
	}
	return fd;
}

static void
ctl_send(int fd, const char *line)
{
	size_t n = strlen(line), off = 0;
	ssize_t w;

	while (off < n) {
		if ((w = send(fd, line + off, n - off, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fosrctl: send: %s\n", strerror(errno));
			exit(FOSRCTL_USAGE);
		}
		off += w;
	}
}

/* Reads one reply line; timeout_ms < 0 waits for ever. */
static char *
ctl_recv(int fd, int timeout_ms)
{
	struct ctlproto_reader rd;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[8192], *line, *copy;
	size_t len;
	ssize_t n;
	int rc;

	if (ctlproto_reader_init(&rd, CTLPROTO_MAX_LINE * 16) < 0)
		exit(FOSRCTL_USAGE);
	for (;;) {
		if ((rc = ctlproto_reader_next(&rd, &line, &len)) > 0)
			break;
		if (rc < 0 || (rc = poll(&pfd, 1, timeout_ms)) == 0) {
			fprintf(stderr, "fosrctl: %s\n", rc < 0 ?
			    "reply too long" : "no reply from fosrd");
			exit(FOSRCTL_USAGE);
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0) {
			fprintf(stderr, "fosrctl: connection closed by "
			    "fosrd\n");
			exit(FOSRCTL_USAGE);
		}
		if (ctlproto_reader_feed(&rd, buf, n) < 0) {
			fprintf(stderr, "fosrctl: reply too long\n");
			exit(FOSRCTL_USAGE);
		}
	}
	copy = strndup(line, len);
	ctlproto_reader_free(&rd);
	return copy;
}

static double
num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static void
print_session(json_t *s)
{
	json_t *rate = json_object_get(s, "rate");

	printf("%-14s%.1f s\n", "elapsed", num(s, "elapsed"));
	if (rate != NULL) {
		printf("%-14srequested %g, target %.2f, actual %.2f\n",
		    "flows/s", num(s, "fps"), num(s, "fps_target"),
		    num(rate, "flows"));
		printf("%-14s%.1f\n", "packets/s", num(rate, "packets"));
		printf("%-14s%.0f\n", "bytes/s", num(rate, "bytes"));
	} else
		printf("%-14srequested %g\n", "flows/s", num(s, "fps"));
	printf("%-14s%.0f started, %.0f written\n", "flows", num(s, "flows"),
	    num(s, "flows_written"));
	printf("%-14s%.0f generated, %.0f frames written\n", "packets",
	    num(s, "packets"), num(s, "frames"));
	printf("%-14s%.0f\n", "bytes", num(s, "bytes"));
	printf("%-14s%.0f\n", "files", num(s, "files"));
	printf("%-14s%.0f\n", "fallback", num(s, "fallback"));
	printf("%-14s%.0f (dropped flows %.0f, out of order %.0f)\n",
	    "errors", num(s, "errors"), num(s, "dropped"),
	    num(s, "order_errors"));
	printf("%-14s%s\n", "output", str(s, "output"));
	if (json_object_get(s, "error"))
		printf("%-14s%s\n", "failure", str(s, "error"));
}

static void
print_status(json_t *r)
{
	json_t *p = json_object_get(r, "profile");
	json_t *s;

	printf("%-14s%s\n", "state", str(r, "state"));
	printf("%-14s%.0f\n", "pid", num(r, "pid"));
	printf("%-14s%.1f s\n", "uptime", num(r, "uptime"));
	printf("%-14s%s (digest %.16s)\n", "profile", str(p, "name"),
	    str(p, "digest"));
	printf("%-14s%s\n", "config", str(p, "config"));
	if ((s = json_object_get(r, "session")) != NULL)
		print_session(s);
	else if ((s = json_object_get(r, "last_session")) != NULL) {
		printf("last session:\n");
		print_session(s);
	}
}

static void
print_stats(json_t *r)
{
	json_t *st;
	size_t i;

	printf("%-6s %7s %12s %10s %16s\n", "stage", "threads", "flows",
	    "flows/s", "ring");
	json_array_foreach(json_object_get(r, "stages"), i, st)
		printf("%-6s %7.0f %12.0f %10.1f %7.0f/%-8.0f\n",
		    str(st, "stage"), num(st, "threads"), num(st, "flows"),
		    num(st, "rate"), num(st, "ring_used"),
		    num(st, "ring_cap"));
	printf("flows held %.0f, stalls %.0f\n", num(r, "flows_held"),
	    num(r, "stalls"));
}

/* Any other result: one "key value" line per field, nested with dots. */
static void
print_flat(const char *prefix, json_t *v)
{
	const char *key;
	json_t *x;
	char *s;

	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			char name[256];

			snprintf(name, sizeof(name), "%s%s%s", prefix,
			    *prefix ? "." : "", key);
			print_flat(name, x);
		}
		return;
	}
	if (json_is_string(v))
		printf("%-16s%s\n", prefix, json_string_value(v));
	else if (json_is_real(v))
		printf("%-16s%.10g\n", prefix, json_real_value(v));
	else if ((s = json_dumps(v, JSON_ENCODE_ANY)) != NULL) {
		printf("%-16s%s\n", prefix, s);
		free(s);
	}
}

int
main(int argc, char **argv)
{
	const char *sock = FOSRCTL_SOCKET, *cmd;
	bool raw = false;
	double timeout = -1;
	json_t *args, *reply, *err;
	json_error_t jerr;
	char *line, *req;
	int ch, fd;

	if (getenv("FOSRD_SOCKET") != NULL)
		sock = getenv("FOSRD_SOCKET");
	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		usage_exit(stdout, FOSRCTL_OK);
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		argv[1] = "-V";
	while ((ch = getopt(argc, argv, "+hjs:t:V")) != -1) {
		switch (ch) {
		case 'h':
			usage_exit(stdout, FOSRCTL_OK);
		case 'V':
			printf("fosrctl %s\n", FOSR_VERSION);
			return FOSRCTL_OK;
		case 'j':
			raw = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			timeout = parse_num("-t", optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = build_request(argc, argv, &args);
	fd = ctl_connect(sock);
	if ((req = ctlproto_req_encode(1, cmd, args)) == NULL)
		fail_usage("%s: cannot encode the request", cmd);
	ctl_send(fd, req);
	free(req);
	line = ctl_recv(fd, timeout < 0 ? -1 : (int)(timeout * 1000));
	close(fd);
	if ((reply = json_loads(line, 0, &jerr)) == NULL) {
		fprintf(stderr, "fosrctl: bad reply: %s\n", jerr.text);
		return FOSRCTL_USAGE;
	}
	if (raw)
		printf("%s\n", line);
	free(line);
	if (!json_is_true(json_object_get(reply, "ok"))) {
		err = json_object_get(reply, "error");
		fprintf(stderr, "fosrctl: %s: %s\n", str(err, "code"),
		    str(err, "message"));
		json_decref(reply);
		return FOSRCTL_DAEMON;
	}
	if (!raw) {
		json_t *r = json_object_get(reply, "result");

		if (strcmp(cmd, "status") == 0)
			print_status(r);
		else if (strcmp(cmd, "stats") == 0)
			print_stats(r);
		else
			print_flat("", r);
	}
	json_decref(reply);
	return FOSRCTL_OK;
}
