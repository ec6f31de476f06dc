/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Profile sources and loading: sorted listings, reads from a directory
 * and from the embedded default (byte for byte the files it was made
 * from), errors that name the file, and a digest that depends on the
 * bytes read but not on the order they were read in.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embedded.h"
#include "profile.h"
#include "tap.h"

static void
free_names(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
test_dir_source(void)
{
	struct profile_src src = { "p", NULL };
	struct diag d;
	char **names = NULL, *data = NULL;
	size_t len = 0;

	mkdir("p", 0755);
	mkdir("p/automata", 0755);
	mkdir("p/automata/sub.json", 0755);
	tap_put_file("p/automata/zeta.json", "{}");
	tap_put_file("p/automata/alpha.json", "{\"a\": 1}");
	tap_put_file("p/automata/mid.json", "[]");
	tap_put_file("p/automata/notes.txt", "x");
	tap_put_file("p/automata/.hidden.json", "{}");
	CHECK_EQ_I(profile_src_list(&src, "automata", ".json", &names, &d), 0);
	CHECK(names != NULL && names[0] && names[1] && names[2] &&
	    names[3] == NULL);
	if (names != NULL && names[0] && names[1] && names[2]) {
		CHECK_STR(names[0], "alpha.json");
		CHECK_STR(names[1], "mid.json");
		CHECK_STR(names[2], "zeta.json");
	}
	free_names(names);

	CHECK_EQ_I(profile_src_read(&src, "automata/alpha.json", &data, &len,
	    &d), 0);
	CHECK_EQ_U(len, 8);
	CHECK_STR(data, "{\"a\": 1}");
	free(data);

	CHECK_EQ_I(profile_src_read(&src, "bn/bn_tcp.bifxml", &data, &len,
	    &d), -ENOENT);
	CHECK(strstr(d.msg, "p/bn/bn_tcp.bifxml") != NULL);
	CHECK(strstr(d.msg, "No such file") != NULL);
	CHECK_EQ_I(profile_src_list(&src, "bn", ".bifxml", &names, &d),
	    -ENOENT);
	CHECK(strstr(d.msg, "p/bn") != NULL);
	CHECK_EQ_I(profile_src_read(&src, "automata", &data, &len, &d),
	    -EINVAL);
	CHECK(strstr(d.msg, "p/automata: not a regular file") != NULL);
	CHECK_STR(profile_src_name(&src), "p");
}

/* Every embedded file reads back as the source file it came from. */
static void
test_embedded(void)
{
	struct profile_src src = { NULL, NULL };
	const struct embedded_file *e;
	struct diag d;
	char *path, *data, **names;
	size_t len, i, nfiles = 0, njson = 0;
	const char *top = getenv("FOSR_SRCDIR");
	struct profile_src disk = { NULL, NULL };
	char *ddata;
	size_t dlen;

	CHECK_STR(profile_src_name(&src), "default");
	if (top == NULL)
		top = ".";
	if (asprintf(&path, "%s/profiles/default", top) < 0)
		exit(1);
	disk.dir = path;
	for (e = embedded_default_profile; e->path != NULL; e++) {
		nfiles++;
		CHECK_EQ_I(profile_src_read(&src, e->path, &data, &len, &d),
		    0);
		CHECK_EQ_I(profile_src_read(&disk, e->path, &ddata, &dlen,
		    &d), 0);
		CHECK(len == dlen && memcmp(data, ddata, len) == 0);
		if (strncmp(e->path, "automata/", 9) == 0 &&
		    strchr(e->path + 9, '/') == NULL &&
		    strstr(e->path, ".json") != NULL)
			njson++;
		free(data);
		free(ddata);
	}
	CHECK_EQ_I(profile_src_list(&src, "automata", ".json", &names, &d),
	    0);
	for (i = 0; names[i] != NULL; i++)
		if (i > 0)
			CHECK(strcmp(names[i - 1], names[i]) < 0);
	CHECK_EQ_U(i, njson);
	free_names(names);
	CHECK_EQ_I(profile_src_read(&src, "no/such.json", &data, &len, &d),
	    -ENOENT);
	CHECK(strstr(d.msg, "default profile: no/such.json") != NULL);
	free(path);
	printf("%zu embedded files\n", nfiles);
}

static void
digest_of(const char *first, const char *second, char out[65])
{
	struct profile_reads r = { NULL, 0, 0 };
	struct profile_src src = { "q", &r };
	struct diag d;
	char *data;
	size_t len;

	CHECK_EQ_I(profile_src_read(&src, first, &data, &len, &d), 0);
	free(data);
	CHECK_EQ_I(profile_src_read(&src, second, &data, &len, &d), 0);
	free(data);
	CHECK_EQ_U(r.n, 2);
	profile_src_digest(&r, out);
	profile_src_reads_free(&r);
}

static void
test_digest(void)
{
	char a[65], b[65], c[65];

	mkdir("q", 0755);
	tap_put_file("q/one.json", "1");
	tap_put_file("q/two.json", "2");
	digest_of("one.json", "two.json", a);
	digest_of("two.json", "one.json", b);
	CHECK_STR(a, b);
	CHECK_EQ_U(strlen(a), 64);
	tap_put_file("q/two.json", "3");
	digest_of("one.json", "two.json", c);
	CHECK(strcmp(a, c) != 0);
}

int
main(void)
{
	test_dir_source();
	test_embedded();
	test_digest();
	return tap_done();
}
