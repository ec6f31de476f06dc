/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real learned time profile, then one bad file per rule. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timeprof.h"
#include "tap.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
test_legacy(void)
{
	const char *data = getenv("FOSR_SHARED");
	struct time_profile *tp = NULL;
	struct diag d = { "" };
	char path[1024];
	double sum = 0;
	size_t len;
	char *text;

	if (data == NULL || *data == '\0') {
		printf("note: FOSR_SHARED unset, legacy profile not checked\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/fosr-models/legacy/time_profile.json",
	    data);
	text = slurp(path, &len);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK_EQ_I(timeprof_parse(&tp, text, len, "time_profile.json", &d), 0);
	CHECK(tp != NULL);
	if (tp != NULL) {
		CHECK_EQ_U(tp->nbins, 95);
		for (uint32_t i = 0; i < tp->nbins; i++)
			sum += (double)tp->hist[i];
		CHECK_NEAR(sum, 185017, 0);
		CHECK_NEAR(tp->total, 185017, 0);
		CHECK_EQ_U(tp->hist[0], 425);
		CHECK_EQ_U(tp->hist[43], 10125);
		CHECK_STR(tp->input_file, "iscx.csv");
	}
	timeprof_free(tp);
	free(text);
}

static void
check_ok(const char *text, uint32_t nbins, double total)
{
	struct time_profile *tp = NULL;
	struct diag d = { "" };

	CHECK_EQ_I(timeprof_parse(&tp, text, strlen(text), "t.json", &d), 0);
	CHECK(tp != NULL);
	if (tp == NULL)
		return;
	CHECK_EQ_U(tp->nbins, nbins);
	CHECK_NEAR(tp->total, total, 0);
	timeprof_free(tp);
}

static void
check_bad(const char *text, const char *want)
{
	struct time_profile *tp = (struct time_profile *)1;
	struct diag d = { "" };

	CHECK_EQ_I(timeprof_parse(&tp, text, strlen(text),
	    "time_profile.json", &d), -EINVAL);
	CHECK(tp == NULL);
	CHECK_STR(d.msg, want);
}

int
main(void)
{
	test_legacy();

	check_ok("{\"histogram\": [0, 3, 0, 4]}", 4, 7);
	check_ok("{\"histogram\": [5], \"extra\": 1, \"metadata\": "
	    "{\"creation_time\": \"x\"}}", 1, 5);

	check_bad("{\"histogram\": [1, 2, 3, 425.0]}",
	    "time_profile.json: histogram[3]: not a non-negative integer");
	check_bad("{\"histogram\": [1, -2]}",
	    "time_profile.json: histogram[1]: not a non-negative integer");
	check_bad("{\"histogram\": [\"7\"]}",
	    "time_profile.json: histogram[0]: not a non-negative integer");
	check_bad("{\"histogram\": []}", "time_profile.json: histogram: empty");
	check_bad("{\"histogram\": [0, 0, 0]}",
	    "time_profile.json: histogram: every bin is zero");
	check_bad("{\"histogram\": {\"a\": 1}}",
	    "time_profile.json: histogram: not an array");
	check_bad("{\"metadata\": {}}",
	    "time_profile.json: histogram: missing");
	check_bad("{\"histogram\": [9007199254740993]}",
	    "time_profile.json: histogram[0]: too large: 9007199254740993");
	check_bad("{\"histogram\": [1], \"metadata\": []}",
	    "time_profile.json: metadata: not an object");
	check_bad("{\"histogram\": [1], \"metadata\": {\"input_file\": 3}}",
	    "time_profile.json: metadata.input_file: not a string");
	check_bad("{\"histogram\": [1], \"metadata\": "
	    "{\"creation_time\": null}}",
	    "time_profile.json: metadata.creation_time: not a string");
	check_bad("[1, 2]", "time_profile.json: not a JSON object");
	check_bad("{\"histogram\": [1, 2,\n 3",
	    "time_profile.json:2: ']' expected near end of file");
	check_bad("{\"histogram\": [1], \"histogram\": [2]}",
	    "time_profile.json:1: duplicate object key near '\"histogram\"'");
	return tap_done();
}
