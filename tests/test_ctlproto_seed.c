/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Seeds cross the control protocol whole, all 64 bits. */
#include "ctlproto.h"
#include "tap.h"

static void
round_trip(uint64_t seed)
{
	json_t *j = ctlproto_seed_json(seed);
	uint64_t back = 0;

	CHECK(ctlproto_seed_value(j, &back));
	CHECK_EQ_U(back, seed);
	json_decref(j);
}

int
main(void)
{
	uint64_t s;
	json_t *j;

	round_trip(0);
	round_trip(1);
	round_trip(INT64_MAX);
	round_trip((uint64_t)INT64_MAX + 1);
	round_trip(9724445196795400407ULL);
	round_trip(UINT64_MAX);

	j = ctlproto_seed_json(42);
	CHECK(json_is_integer(j));
	json_decref(j);
	j = ctlproto_seed_json(UINT64_MAX);
	CHECK_STR(json_string_value(j), "18446744073709551615");
	json_decref(j);

	j = json_integer(-1);
	CHECK(!ctlproto_seed_value(j, &s));
	json_decref(j);
	j = json_string("18446744073709551616");
	CHECK(!ctlproto_seed_value(j, &s));
	json_decref(j);
	j = json_string("-5");
	CHECK(!ctlproto_seed_value(j, &s));
	json_decref(j);
	j = json_string("12x");
	CHECK(!ctlproto_seed_value(j, &s));
	json_decref(j);
	j = json_real(1.5);
	CHECK(!ctlproto_seed_value(j, &s));
	json_decref(j);
	return tap_done();
}
