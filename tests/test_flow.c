/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Protocol names, parsing and the port guesses pcap2flow relies on. */
#include "flow.h"
#include "flowrec.h"
#include "tap.h"

int
main(void)
{
	CHECK_EQ_I(l7_parse("HTTPS"), L7_HTTPS);
	CHECK_EQ_I(l7_parse(" Https "), L7_HTTPS);
	CHECK_EQ_I(l7_parse("Multicast DNS"), L7_MDNS);
	CHECK_EQ_I(l7_parse("multicastdns"), L7_MDNS);
	CHECK_EQ_I(l7_parse("gopher"), L7_NONE);
	CHECK_STR(l7_name(L7_NTP), "NTP");
	CHECK_STR(l7_key(L7_MDNS), "multicastdns");
	CHECK(l7_name(L7_COUNT) == NULL);
	CHECK_STR(l4_name(L4_UDP), "UDP");

	CHECK_EQ_I(l7_by_port(L4_TCP, 443), L7_HTTPS);
	CHECK_EQ_I(l7_by_port(L4_TCP, 8080), L7_HTTP);
	CHECK_EQ_I(l7_by_port(L4_TCP, 8443), L7_HTTPS);
	CHECK_EQ_I(l7_by_port(L4_TCP, 587), L7_SMTP);
	CHECK_EQ_I(l7_by_port(L4_TCP, 25), L7_SMTP);
	CHECK_EQ_I(l7_by_port(L4_UDP, 68), L7_DHCP);
	CHECK_EQ_I(l7_by_port(L4_TCP, 68), L7_NONE);
	CHECK_EQ_I(l7_by_port(L4_TCP, 0), L7_NONE);
	CHECK_EQ_I(l7_by_port(L4_TCP, 40000), L7_NONE);

	/* Either side's port names the service; the server's wins. */
	CHECK_EQ_I(flowrec_guess_l7(L4_TCP, 51000, 8080), L7_HTTP);
	CHECK_EQ_I(flowrec_guess_l7(L4_TCP, 587, 51000), L7_SMTP);
	CHECK_EQ_I(flowrec_guess_l7(L4_UDP, 53, 123), L7_NTP);
	CHECK_EQ_I(flowrec_guess_l7(L4_ICMP, 0, 0), L7_NONE);
	return tap_done();
}
