#!/bin/bash
# Runs cut short by -n, many of them at once so that the stop lands at
# every point of the engine's hand-over between S0, the workers and the
# writer: each must end (a hang is killed and fails the test), exit 0
# and hold exactly the packets asked for.
set -eu
: "${FOSR:?}"
command -v capinfos >/dev/null || { echo "skip: capinfos is missing"; exit 77; }

fail() { echo "FAIL: $*"; exit 1; }
count() { capinfos -M -c "$1" | awk '/Number of packets/ { print $NF }'; }

prof=()
if [ -n "${FOSR_SHARED:-}" ] && [ -d "$FOSR_SHARED/fosr-models/legacy" ]; then
	prof=(--profile "$FOSR_SHARED/fosr-models/legacy")
fi

runs=0
for i in $(seq 1 16); do
	for k in 1 2 3; do
		n=$((i * 37 * k))
		(
			rc=0
			timeout -s KILL 60 "$FOSR" create-pcap "${prof[@]}" \
			    -n $n -s $i -t 2026-12-03T09:00:00Z --tz UTC \
			    -j $k -o "n$k.pcap" -q || rc=$?
			echo "$rc $n" > "rc$k"
		) &
	done
	wait
	for k in 1 2 3; do
		read -r rc n < "rc$k"
		[ "$rc" = 0 ] || fail "-n $n -s $i -j $k: exit $rc" \
		    "(137: killed after a minute, a hang)"
		got=$(count "n$k.pcap")
		[ "$got" = "$n" ] || fail "-n $n -s $i -j $k: $got packets"
		runs=$((runs + 1))
	done
done
echo "ok: $runs runs stopped by -n, each complete with its packet count"
