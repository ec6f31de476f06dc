/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Loading a whole profile: time profile, Bayesian network, automata and
 * the network configuration, then conditioning the network on it.  All
 * or nothing: on any error every part loaded so far is freed and the
 * diagnostic names the file and the field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netconf.h"
#include "profile.h"
#include "stage1.h"
#include "stage2.h"
#include "timeprof.h"

#define PROFILE_CONF_NAME "network.yaml"

static int
profile_load_time(struct profile *p, const struct profile_src *src,
    struct diag *d)
{
	char *text = NULL, *fname = NULL;
	size_t len;
	int rc;

	rc = profile_src_read(src, "time_profile.json", &text, &len, d);
	if (rc != 0)
		return rc;
	if (asprintf(&fname, "%s%stime_profile.json", src->dir ? src->dir :
	    "default profile: ", src->dir ? "/" : "") < 0)
		fname = NULL;
	rc = timeprof_parse(&p->time, text, len,
	    fname ? fname : "time_profile.json", d);
	free(fname);
	free(text);
	return rc;
}

/*
 * The configuration: conf_path if given, else network.yaml inside the
 * profile if there is one, else none.  The file is recorded in the
 * digest under the name "config:" so that the same configuration gives
 * the same digest wherever it is stored.
 */
static int
profile_load_conf(struct profile *p, const struct profile_src *src,
    const char *conf_path, struct diag *d)
{
	struct profile_src csrc = { NULL, src->reads };
	char *text = NULL, *name = NULL;
	size_t len;
	int rc;

	if (conf_path != NULL) {
		rc = profile_src_read_path(conf_path, &text, &len, d);
		if (rc != 0)
			return rc;
		profile_src_record(&csrc, "config:", text, len);
		name = strdup(conf_path);
	} else {
		rc = profile_src_read(src, PROFILE_CONF_NAME, &text, &len, d);
		if (rc == -ENOENT)
			return 0;
		if (rc != 0)
			return rc;
		if (asprintf(&name, "%s%s" PROFILE_CONF_NAME, src->dir ?
		    src->dir : "default profile: ", src->dir ? "/" : "") < 0)
			name = NULL;
	}
	if (name == NULL) {
		free(text);
		return diag_set(d, "out of memory"), -ENOMEM;
	}
	rc = netconf_parse(&p->conf, text, len, name, d);
	free(text);
	if (rc == 0)
		p->conf_path = name;
	else
		free(name);
	return rc;
}

int
profile_load(struct profile **out, const char *dir, const char *conf_path,
    struct diag *d)
{
	struct profile_reads reads = { NULL, 0, 0 };
	struct profile_src src = { dir, &reads };
	struct profile *p;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->name = strdup(dir ? dir : "default")) == NULL) {
		diag_set(d, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rc = profile_load_time(p, &src, d);
	if (rc == 0)
		rc = bn_load(&p->bn, &src, d);
	if (rc == 0)
		rc = automata_load(&p->automata, &src, d);
	if (rc == 0)
		rc = profile_load_conf(p, &src, conf_path, d);
	if (rc == 0)
		rc = bn_condition(p->bn, p->conf, d);
	if (rc == 0)
		profile_src_digest(&reads, p->digest);
out:
	profile_src_reads_free(&reads);
	if (rc != 0) {
		profile_free(p);
		return rc < 0 ? rc : -EINVAL;
	}
	*out = p;
	return 0;
}

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	if (p->conf != NULL)
		netconf_free(p->conf);
	if (p->automata != NULL)
		automata_free(p->automata);
	if (p->bn != NULL)
		bn_free(p->bn);
	if (p->time != NULL)
		timeprof_free(p->time);
	free(p->conf_path);
	free(p->name);
	free(p);
}
