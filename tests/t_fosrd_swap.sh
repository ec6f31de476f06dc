#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Profile hot swap under load: default -> legacy -> default while
# generating.  Both profiles' traffic appears in the one pcap (told apart
# by the addresses each profile uses on its own), the frame counters match
# the file exactly, and broken profiles are refused with the running one
# kept.
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

LEGACY=${FOSR_SHARED:-}/fosr-models/legacy
[ -n "${FOSR_SHARED:-}" ] && [ -d "$LEGACY" ] ||
	skip "no legacy profile (FOSR_SHARED is not set)"

mkdir a b c
write_conf fosrd.conf
start_fosrd fosrd.conf

flows_now() {
	ctl_json status | jq '.session.flows_written // 0'
}
# run_until DIR N: a session into DIR until N flows are written, stopped.
run_until() {
	ctl start --fps 200 --flat --output "$WORK/$1" > /dev/null ||
		fail "start $1"
	wait_for 30 sh -c "[ \$('$FOSRCTL' -s '$SOCK' -j status |
	    jq '.result.session.flows_written // 0') -ge $2 ]" ||
		fail "$1: fewer than $2 flows"
	ctl stop > /dev/null || fail "stop $1"
}
addrs() {
	tshark -r "$1" -T fields -e ip.src -e ip.dst 2>/dev/null |
		tr '\t' '\n' | sort -u
}

dflt=$(ctl_json profile show | jq -r .digest)
run_until a 300
legacy=$(ctl_json profile load "$LEGACY" | jq -r .digest)
[ "$legacy" != "$dflt" ] && [ ${#legacy} = 64 ] || fail "legacy digest"
run_until b 300
addrs a/*.pcap > a.txt
addrs b/*.pcap > b.txt
comm -23 a.txt b.txt > only_a.txt
comm -13 a.txt b.txt > only_b.txt
echo "addresses only in default: $(wc -l < only_a.txt)," \
	"only in legacy: $(wc -l < only_b.txt)"
[ -s only_a.txt ] && [ -s only_b.txt ] ||
	fail "the two profiles cannot be told apart by address"

# The swaps, under load.
[ "$(ctl_json profile load default | jq -r .digest)" = "$dflt" ] ||
	fail "back to default"
ctl start --fps 200 --flat --output "$WORK/c" > /dev/null || fail "start c"
swaps_and_flows() {   # N_SWAPS MIN_FLOWS
	local st
	st=$(ctl_json status | jq -c .session)
	[ "$(field "$st" .profile_swaps)" -ge "$1" ] &&
		[ "$(field "$st" .flows_written)" -ge "$2" ]
}
wait_for 30 swaps_and_flows 0 200 || fail "no flows with default"
ctl profile load "$LEGACY" > /dev/null || fail "swap to legacy"
n=$(flows_now)
wait_for 30 swaps_and_flows 1 $((n + 300)) || fail "no flows after swap 1"
# Broken profiles: refused, the running one kept, generation goes on.
rc=0; ctl profile load "$WORK/missing" 2> err.txt || rc=$?
[ $rc -eq 1 ] && grep -q "profile-error: .*missing" err.txt ||
	fail "missing profile: rc $rc: $(cat err.txt)"
mkdir broken
cp -R "$LEGACY"/. broken/
echo '{"hist": [1, 2' > broken/time_profile.json
rc=0; ctl profile load "$WORK/broken" 2> err.txt || rc=$?
[ $rc -eq 1 ] && grep -q "profile-error: .*time_profile.json" err.txt ||
	fail "broken profile: rc $rc: $(cat err.txt)"
[ "$(ctl_json profile show | jq -r .digest)" = "$legacy" ] ||
	fail "a refused profile replaced the running one"
ctl profile load default > /dev/null || fail "swap back to default"
n=$(flows_now)
wait_for 30 swaps_and_flows 2 $((n + 300)) || fail "no flows after swap 2"
stop=$(ctl_json stop)
[ "$(field "$stop" .profile_swaps)" = 2 ] || fail "swaps: $stop"
[ "$(field "$stop" .order_errors)" = 0 ] || fail "out of order: $stop"
[ "$(field "$stop" .dropped)" = 0 ] || fail "dropped: $stop"

set -- c/*.pcap
[ $# = 1 ] || fail "expected one pcap in c"
frames=$(pcap_frames "$1")
echo "swap run: $frames frames in the file, $(field "$stop" .frames) counted"
[ "$frames" = "$(field "$stop" .frames)" ] || fail "frames differ"
addrs "$1" > c.txt
ka=$(comm -12 c.txt only_a.txt | wc -l)
kb=$(comm -12 c.txt only_b.txt | wc -l)
echo "swap run has $ka default-only and $kb legacy-only addresses"
[ "$ka" -gt 0 ] && [ "$kb" -gt 0 ] || fail "one profile's traffic is missing"
grep -q "profile load failed, keeping the running one" "$FOSRD_LOG" ||
	fail "refused load not logged"
stop_fosrd
echo ok
