/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FOSR_STAGE1_H
#define FOSR_STAGE1_H

/*
 * S1: flow descriptions from the Bayesian network.  bn_load reads the
 * three BIF files and the additional data of a profile and merges them;
 * bn_condition applies a network configuration as real conditioning; then
 * s1_sample describes one flow by ancestral sampling.
 */

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "flow.h"
#include "profile.h"

struct bn;
struct netconf;

int bn_load(struct bn **out, const struct profile_src *src, struct diag *d);
/* Conditions on the configuration (NULL: none); fails if nothing fits. */
int bn_condition(struct bn *bn, const struct netconf *conf, struct diag *d);
void bn_free(struct bn *bn);

/*
 * Describes the flow whose id, seed and start_ns are set: addresses,
 * ports, protocols, OS, TTLs, MACs, end flags and requested packet counts;
 * f->seed becomes the seed of S2.  sec_of_day is the flow's local time of
 * day.  Returns 0, or -EAGAIN if the conditioned network rejected every
 * attempt (counted by the caller; never happens for a network that
 * bn_condition accepted).
 */
int s1_sample(const struct bn *bn, const struct netconf *conf,
    uint32_t sec_of_day, struct flow *f);
/*
 * Whether S1 may give ip to a host on the Internet: public unicast space
 * and no address of the model or of the configuration.
 */
bool s1_is_public(const struct bn *bn, uint32_t ip);

#endif
