/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pcap writer: what it writes reads back through libpcap with the
 * same times and bytes; nothing appears under the final name before the
 * commit; an abort or a failed write leaves no file behind.  Frames by
 * reference and copied frames keep their order across internal flushes,
 * and a slow non-blocking pipe gets every byte.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcapout.h"
#include "tap.h"

static uint8_t frame[1514];

/* Number of entries in the current directory besides . and .. */
static int
dir_entries(void)
{
	DIR *dir = opendir(".");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(dir);
	return n;
}

static void
write_and_read(bool nano)
{
	struct diag d;
	struct pcapout *po;
	struct pcap_pkthdr *h;
	const u_char *data;
	char err[PCAP_ERRBUF_SIZE];
	uint64_t ts = 1733300100ULL * 1000000000 + 123456789;
	struct stat st;
	pcap_t *p;
	int i, n = 0, rc;

	for (i = 0; i < (int)sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	po = pcapout_open("out.pcap", nano, &d);
	CHECK(po != NULL);
	if (po == NULL)
		return;
	CHECK(stat("out.pcap", &st) != 0);
	CHECK(stat(pcapout_tmp_path(po), &st) == 0);
	for (i = 0; i < 100; i++)
		CHECK_EQ_I(pcapout_write(po, ts + (uint64_t)i * 1500, frame,
		    60 + (uint32_t)i * 14, &d), 0);
	CHECK_EQ_U(pcapout_frames(po), 100);
	CHECK_EQ_U(pcapout_first_ts(po), ts);
	CHECK_EQ_U(pcapout_bytes(po), 24 + 100 * 16 + 100 * 60 + 14 * 4950);
	CHECK(stat("out.pcap", &st) != 0);
	CHECK_EQ_I(pcapout_commit(po, &d), 0);
	CHECK(stat("out.pcap", &st) == 0 && st.st_size ==
	    24 + 100 * 16 + 100 * 60 + 14 * 4950);
	CHECK_EQ_I(dir_entries(), 1);

	p = pcap_open_offline_with_tstamp_precision("out.pcap",
	    PCAP_TSTAMP_PRECISION_NANO, err);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK_EQ_I(pcap_datalink(p), DLT_EN10MB);
	CHECK_EQ_I(pcap_snapshot(p), 65535);
	CHECK_EQ_I(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint64_t want = ts + (uint64_t)n * 1500;

		if (!nano)
			want -= want % 1000;
		CHECK_EQ_U((uint64_t)h->ts.tv_sec * 1000000000 +
		    (uint64_t)h->ts.tv_usec, want);
		CHECK_EQ_U(h->caplen, 60 + n * 14);
		CHECK_EQ_U(h->len, 60 + n * 14);
		CHECK(memcmp(data, frame, h->caplen) == 0);
		n++;
	}
	CHECK_EQ_I(rc, PCAP_ERROR_BREAK);
	CHECK_EQ_I(n, 100);
	pcap_close(p);
	unlink("out.pcap");
}

static void
test_abort_and_errors(void)
{
	struct diag d = { "" };
	struct pcapout *po;
	struct rlimit rl;
	int rc = 0, i;

	po = pcapout_open("gone.pcap", false, &d);
	CHECK(po != NULL);
	CHECK_EQ_I(pcapout_write(po, 0, frame, 60, &d), 0);
	CHECK(pcapout_write(po, 0, frame, 65536, &d) == -EINVAL &&
	    strstr(d.msg, "gone.pcap") != NULL);
	CHECK(pcapout_write(po, 4294967296ULL * 1000000000, frame, 60, &d) ==
	    -EINVAL);
	pcapout_abort(po);
	CHECK_EQ_I(dir_entries(), 0);

	CHECK(pcapout_open("no/such/dir/x.pcap", false, &d) == NULL);
	CHECK(strstr(d.msg, "no/such/dir/x.pcap") != NULL &&
	    strstr(d.msg, "No such file") != NULL);

	/* A file size limit makes a write fail: it must be reported. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = 200000;
	setrlimit(RLIMIT_FSIZE, &rl);
	po = pcapout_open("big.pcap", false, &d);
	CHECK(po != NULL);
	for (i = 0; i < 2000 && rc == 0; i++)
		rc = pcapout_write(po, (uint64_t)i, frame, 1514, &d);
	if (rc == 0)
		rc = pcapout_commit(po, &d);
	else
		pcapout_abort(po);
	CHECK(rc == -EIO || rc == -EFBIG);
	CHECK(strstr(d.msg, "big.pcap: write failed") != NULL);
	CHECK_EQ_I(dir_entries(), 0);
}

#define MIX_FRAMES 3000

/* Frame i of the mixed test: its length and its bytes. */
static uint32_t
mix_len(int i)
{
	return 60 + (uint32_t)(i * 37) % 1455;
}

static void
mix_fill(uint8_t *p, int i)
{
	uint32_t k;

	for (k = 0; k < mix_len(i); k++)
		p[k] = (uint8_t)(i * 13 + k * 5);
}

/* Frames written to out: by reference (even i) or copied (odd i). */
static int
mix_write(const char *out, uint8_t (*refs)[1514])
{
	uint8_t tmp[1514];
	struct pcapout *po;
	struct diag d = { "" };
	int i, rc = 0, since = 0;

	if ((po = pcapout_open(out, false, &d)) == NULL)
		return -1;
	for (i = 0; i < MIX_FRAMES && rc == 0; i++) {
		if (i % 2 == 0) {
			mix_fill(refs[since], i);
			rc = pcapout_write_ref(po, (uint64_t)i * 1000,
			    refs[since], mix_len(i), &d);
			since++;
		} else {
			mix_fill(tmp, i);
			rc = pcapout_write(po, (uint64_t)i * 1000, tmp,
			    mix_len(i), &d);
			/* The copy must not see this. */
			memset(tmp, 0xee, sizeof(tmp));
		}
		/* Referenced frames are reused only after a flush. */
		if (rc == 0 && since == 700) {
			rc = pcapout_flush(po, &d);
			since = 0;
		}
	}
	if (rc == 0)
		return pcapout_commit(po, &d);
	pcapout_abort(po);
	return rc;
}

/* Reads path back; the number of frames that match, -1 on any error. */
static int
mix_check(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t want[1514];
	pcap_t *p;
	int n = 0;

	if ((p = pcap_open_offline(path, err)) == NULL)
		return -1;
	while (pcap_next_ex(p, &h, &data) == 1) {
		mix_fill(want, n);
		if (h->caplen != mix_len(n) || h->len != h->caplen ||
		    h->ts.tv_usec != n || memcmp(data, want, h->caplen) != 0)
			break;
		n++;
	}
	pcap_close(p);
	return n;
}

static void
test_mixed(void)
{
	static uint8_t refs[700][1514];

	CHECK_EQ_I(mix_write("mix.pcap", refs), 0);
	CHECK_EQ_I(mix_check("mix.pcap"), MIX_FRAMES);
	unlink("mix.pcap");
}

/*
 * Standard output is a non-blocking pipe to a reader that takes small
 * bites: the writer must wait for room rather than fail or drop bytes.
 */
static void
test_slow_pipe(void)
{
	static uint8_t refs[700][1514];
	int fds[2], saved, out, status = -1;
	char buf[512];
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		out = open("pipe.pcap", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		while ((n = read(fds[0], buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(n == 0 && close(out) == 0 ? 0 : 1);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	saved = dup(STDOUT_FILENO);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	CHECK_EQ_I(mix_write("-", refs), 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	CHECK_EQ_I(mix_check("pipe.pcap"), MIX_FRAMES);
	unlink("pipe.pcap");
}

int
main(void)
{
	write_and_read(false);
	write_and_read(true);
	test_mixed();
	test_slow_pipe();
	test_abort_and_errors();
	return tap_done();
}
