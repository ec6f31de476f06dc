/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names and well-known ports of the protocols that profiles use. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "flow.h"

static const struct {
	const char *name;
	const char *key;
	uint16_t port;
} l7_table[L7_COUNT] = {
	[L7_NONE] = { "NONE", "none", 0 },
	[L7_HTTP] = { "HTTP", "http", 80 },
	[L7_HTTPS] = { "HTTPS", "https", 443 },
	[L7_SSH] = { "SSH", "ssh", 22 },
	[L7_DNS] = { "DNS", "dns", 53 },
	[L7_DHCP] = { "DHCP", "dhcp", 67 },
	[L7_SMTP] = { "SMTP", "smtp", 25 },
	[L7_TELNET] = { "TELNET", "telnet", 23 },
	[L7_IMAPS] = { "IMAPS", "imaps", 993 },
	[L7_MQTT] = { "MQTT", "mqtt", 1883 },
	[L7_KMS] = { "KMS", "kms", 1688 },
	[L7_MDNS] = { "MDNS", "multicastdns", 5353 },
	[L7_NTP] = { "NTP", "ntp", 123 },
};

const char *
l7_name(enum l7_proto p)
{
	return (unsigned)p < L7_COUNT ? l7_table[p].name : NULL;
}

const char *
l7_key(enum l7_proto p)
{
	return (unsigned)p < L7_COUNT ? l7_table[p].key : NULL;
}

enum l7_proto
l7_parse(const char *s)
{
	char buf[32];
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s))
			continue;
		if (n + 1 >= sizeof(buf))
			return L7_NONE;
		buf[n++] = (char)tolower((unsigned char)*s);
	}
	buf[n] = '\0';
	if (strcmp(buf, "mdns") == 0)
		return L7_MDNS;
	for (int i = L7_NONE + 1; i < L7_COUNT; i++)
		if (strcmp(buf, l7_table[i].key) == 0)
			return (enum l7_proto)i;
	return L7_NONE;
}

uint16_t
l7_default_port(enum l7_proto p)
{
	return (unsigned)p < L7_COUNT ? l7_table[p].port : 0;
}

enum l7_proto
l7_by_port(enum l4_proto l4, uint16_t port)
{
	static const struct {
		uint16_t port;
		uint8_t l7;
	} alt[] = {
		{ 8000, L7_HTTP }, { 8008, L7_HTTP }, { 8080, L7_HTTP },
		{ 8081, L7_HTTP }, { 8082, L7_HTTP }, { 8088, L7_HTTP },
		{ 8443, L7_HTTPS }, { 465, L7_SMTP }, { 587, L7_SMTP },
		{ 8883, L7_MQTT },
	};

	if (port == 0)
		return L7_NONE;
	if (l4 == L4_UDP && port == 68)
		return L7_DHCP;
	for (int p = L7_NONE + 1; p < L7_COUNT; p++)
		if (l7_table[p].port == port)
			return (enum l7_proto)p;
	for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++)
		if (alt[i].port == port)
			return (enum l7_proto)alt[i].l7;
	return L7_NONE;
}

const char *
l4_name(enum l4_proto p)
{
	switch (p) {
	case L4_TCP:
		return "TCP";
	case L4_UDP:
		return "UDP";
	case L4_ICMP:
		return "ICMP";
	}
	return NULL;
}
