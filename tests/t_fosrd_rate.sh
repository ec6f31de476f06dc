#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# "set fps" while running: stage 0 draws its 5 s windows at the new rate
# from the next window on.  Two windows, 20 then 400 flows/s (flat): the
# flows that start in each window must follow each rate within the
# Poisson tolerance, and the status must report both figures.
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

mkdir out
write_conf fosrd.conf
start_fosrd fosrd.conf
ctl start --fps 20 --duration 10 --flat --output "$WORK/out" > /dev/null ||
	fail "start"
set_out=$(ctl_json set fps 400)
[ "$(field "$set_out" .fps)" = 400 ] || fail "set fps reply: $set_out"
st=$(ctl_json status | jq -c .session)
[ "$(field "$st" .fps)" = 400 ] || fail "status fps after set: $st"
# The first window keeps its rate: the target is still 20 flows/s.
[ "$(field "$st" .fps_target)" = 20 ] || fail "target in window 1: $st"
started=$(field "$st" .started)
target_is_400() {
	[ "$(ctl_json status | jq .session.fps_target)" = 400 ]
}
wait_for 20 target_is_400 || fail "the target never became 400"
wait_for 60 is_idle || fail "the run did not end"

# The first frame of each conversation is its flow's start.
set -- out/fosrd-*.pcap
tshark -r "$1" -T fields -E separator=, -e frame.time_epoch -e ip.proto \
	-e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e udp.srcport \
	-e udp.dstport 2>/dev/null > fields.txt
counts=$(awk -F, -v t0="$started" '{
	a = $3 ":" $5 $7; b = $4 ":" $6 $8
	k = (a < b) ? $2 " " a " " b : $2 " " b " " a
	if (!(k in seen)) { seen[k] = 1; w = int(($1 - t0) / 5); n[w]++ }
} END { print n[0] + 0, n[1] + 0, n[2] + 0 }' fields.txt)
set -- $counts
echo "flows per window: $1 (expect 100), $2 (expect 2000), after: $3"
within "$1" 100 "$(poisson_tol 100)" || fail "window 1: $1 flows"
within "$2" 2000 "$(poisson_tol 2000)" || fail "window 2: $2 flows"
[ "$3" = 0 ] || fail "$3 flows after the duration"
last=$(ctl_json status | jq -c .last_session)
total=$(field "$last" .flows_written)
[ $(( $1 + $2 )) -le "$total" ] || fail "more conversations than flows"
stop_fosrd
echo ok
