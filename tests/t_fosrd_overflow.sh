#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# More concurrent flows than max_flows: stage 0 drops the flows it cannot
# place (counted, logged once) instead of waiting for slots that only its
# next flow could free, so generation goes on and stop still flushes.
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

write_conf fosrd.conf max_flows 64
start_fosrd fosrd.conf
ctl start --fps 400 --flat --output discard > /dev/null || fail "start"
dropping() {
	[ "$(ctl_json status | jq .session.dropped)" -gt 0 ]
}
wait_for 30 dropping || fail "no flow dropped with 64 slots at 400 flows/s"
n1=$(ctl_json status | jq .session.flows_written)
more_than() {
	[ "$(ctl_json status | jq .session.flows_written)" -gt "$1" ]
}
wait_for 20 more_than $((n1 + 100)) || fail "generation stalled at $n1 flows"
stop=$(ctl_json stop)
echo "written $(field "$stop" .flows_written)," \
	"dropped $(field "$stop" .dropped)"
[ "$(field "$stop" .flows)" = "$(field "$stop" .flows_written)" ] ||
	fail "a released flow was not written: $stop"
[ "$(grep -c "max_flows reached" "$FOSRD_LOG")" = 1 ] ||
	fail "the overflow is not logged exactly once"
stop_fosrd
echo ok
