/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pcap writer: what it writes reads back through libpcap with the
 * same times and bytes; nothing appears under the final name before the
 * commit; an abort or a failed write leaves no file behind.
 */
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

int
main(void)
{
	write_and_read(false);
	write_and_read(true);
	test_abort_and_errors();
	return tap_done();
}
