#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# S3 judged from outside: thousands of random, often TCP-illogical flows
# are built into a pcap by test_stage3 --pcap, and tshark, with every
# checksum check on, must find no malformed frame, no expert error, no TCP
# analysis flag but window updates and keep-alives, and a complete
# handshake in every TCP stream that has a SYN.  A corrupted copy of the
# file must fail the same judge, so the judge itself is tested too.
set -u

if ! command -v tshark > /dev/null 2>&1; then
	echo "skip: tshark is not installed"
	exit 77
fi
gen=$FOSR_BUILDDIR/tests/test_stage3
[ -x "$gen" ] || { echo "FAIL: $gen is missing"; exit 1; }

checks=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE
	-o udp.check_checksum:TRUE)
# The payloads are random bytes: heuristic dissectors that guess an
# application protocol from them would judge the bytes, not the framing.
# TLS (shaped records on port 443) and HTTP stay on.
args=()
while read -r proto; do
	args+=(--disable-protocol "$proto")
done < <(tshark -G heuristic-decodes 2> /dev/null | awk -F'\t' '
	($1 == "udp" || $1 == "tcp") && $3 == "T" && $2 != "tls" &&
	$2 != "http" { print $2 }' | sort -u)
bad_filter='_ws.malformed || _ws.expert.severity >= 0x00800000 ||
	(tcp.analysis.flags && !tcp.analysis.window_update &&
	!tcp.analysis.keep_alive)'

fail=0
# Counts frames the judge objects to.
judge() {
	tshark -n -r "$1" "${checks[@]}" "${args[@]}" -Y "$bad_filter" \
		2> /dev/null | wc -l
}

for seed in 7 8; do
	pcap=flows$seed.pcap
	out=$("$gen" --pcap "$pcap" 2500 $seed) || {
		echo "FAIL: generator: $out"; exit 1; }
	want=$(echo "$out" | awk '{ print $3 }')
	echo "seed $seed: $out"

	got=$(tshark -n -r "$pcap" 2> /dev/null | wc -l)
	if [ "$got" != "$want" ] || [ "$want" -lt 50000 ]; then
		echo "FAIL: tshark read $got frames, generator wrote $want"
		fail=1
	fi

	bad=$(judge "$pcap")
	echo "seed $seed: $bad frames malformed, in error or flagged"
	if [ "$bad" != 0 ]; then
		tshark -n -r "$pcap" "${checks[@]}" "${args[@]}" \
			-Y "$bad_filter" 2> /dev/null | head -20
		fail=1
	fi

	# Odd seeds are tainted: every frame carries the reserved bit.
	rb=$(tshark -n -r "$pcap" "${checks[@]}" -Y 'ip.flags.rb == 1' \
		2> /dev/null | wc -l)
	if [ $((seed % 2)) = 1 ]; then taint_want=$want; else taint_want=0; fi
	if [ "$rb" != "$taint_want" ]; then
		echo "FAIL: seed $seed: $rb of $want frames tainted"
		fail=1
	fi

	# Two passes, so tcp.completeness holds each stream's final value.
	read -r streams syn complete < <(tshark -2 -n -r "$pcap" -Y tcp \
		-T fields -e tcp.stream -e tcp.completeness -e tcp.flags.syn \
		2> /dev/null | awk '
		{
			if ($2 > c[$1]) c[$1] = $2
			if ($3 == 1) s[$1] = 1
			t[$1] = 1
		}
		END {
			for (k in t) {
				n++
				if (k in s) { ns++; if (c[k] % 8 == 7) ok++ }
			}
			print n + 0, ns + 0, ok + 0
		}')
	echo "seed $seed: $streams TCP streams, $syn with a SYN," \
		"$complete with a complete handshake"
	if [ "$syn" -lt 1000 ] || [ "$complete" != "$syn" ]; then
		echo "FAIL: incomplete handshakes"
		fail=1
	fi
done

# The judge must see damage: flip one byte of the first frame's IPv4
# source address (24-byte file header, 16-byte record header, Ethernet).
cp flows8.pcap broken.pcap
printf '\x55' | dd of=broken.pcap bs=1 seek=$((24 + 16 + 14 + 12)) \
	conv=notrunc status=none
bad=$(judge broken.pcap)
echo "corrupted copy: $bad frames flagged"
if [ "$bad" -lt 1 ]; then
	echo "FAIL: a corrupted frame went unnoticed"
	fail=1
fi

[ $fail = 0 ] && echo "all flows valid"
exit $fail
