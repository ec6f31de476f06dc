#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# fosrd end to end through fosrctl: configuration check, a timed run whose
# flow count follows the Poisson model and whose counters match the pcap
# exactly, stop flushing everything, SIGTERM, and the error exits.
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

# fosrd -n / -nv and a configuration error naming file and line.
write_conf good.conf fps 7
"$FOSRD" -n -f good.conf 2>/dev/null || fail "fosrd -n rejected a good file"
"$FOSRD" -nv -f good.conf > printed.conf
grep -qx "fps 7" printed.conf || fail "fosrd -nv does not print fps 7"
[ "$(wc -l < printed.conf)" -ge 20 ] || fail "fosrd -nv misses directives"
"$FOSRD" -n -f printed.conf 2>/dev/null || fail "printed file not accepted"
printf 'fps 1\nthreads_s2 100\n' > bad.conf
if "$FOSRD" -n -f bad.conf 2> err.txt; then fail "bad file accepted"; fi
grep -q "bad.conf:2: threads_s2: 100 out of range" err.txt ||
	fail "error message: $(cat err.txt)"

mkdir out
write_conf fosrd.conf
start_fosrd fosrd.conf
[ "$(ctl_json version | jq .protocol)" = 1 ] || fail "protocol version"
[ "$(session_state)" = idle ] || fail "not idle at start"

# A 5 s run at 100 flows/s, flat: one stage-0 window, Poisson(500) flows.
fps=100 secs=5
ctl start --fps $fps --duration $secs --flat --seed 42 --output "$WORK/out" \
	> /dev/null || fail "start"
[ "$(session_state)" = running ] || fail "not running after start"
wait_for 60 is_idle || fail "the timed run did not end"
st=$(ctl_json status | jq -c .last_session)
flows=$(field "$st" .flows_written)
started=$(field "$st" .flows)
frames=$(field "$st" .frames)
bytes=$(field "$st" .bytes)
mean=$((fps * secs))
tol=$(poisson_tol $mean)
echo "flows $flows (expected $mean +- $tol), frames $frames, bytes $bytes"
within "$flows" $mean "$tol" ||
	fail "flow count $flows not within $mean +- $tol"
[ "$flows" = "$started" ] || fail "flows started $started, written $flows"
[ "$(field "$st" .dropped)" = 0 ] || fail "dropped flows"
[ "$(field "$st" .errors)" = 0 ] || fail "output errors"
[ "$(field "$st" .order_errors)" = 0 ] || fail "frames out of order"
[ "$(field "$st" .files)" = 1 ] || fail "files: $(field "$st" .files)"

set -- out/fosrd-*.pcap
[ $# -eq 1 ] && [ -f "$1" ] || fail "expected one pcap, got: $*"
[ -z "$(find out -name '*.tmp*' -o -name '.*')" ] || fail "temporary files"
pcap=$1
tshark -r "$pcap" -T fields -e frame.len -e ip.proto -e ip.src -e ip.dst \
	-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
	> fields.txt 2> tshark.err || fail "tshark: $(cat tshark.err)"
! grep -v "as user" tshark.err | grep -q . ||
	fail "tshark complains: $(head -3 tshark.err)"
pframes=$(wc -l < fields.txt)
pbytes=$(awk '{ s += $1 } END { print s + 0 }' fields.txt)
[ "$pframes" = "$frames" ] || fail "pcap has $pframes frames, status $frames"
[ "$pbytes" = "$bytes" ] || fail "pcap has $pbytes bytes, status $bytes"
tshark -r "$pcap" -Y "_ws.malformed || _ws.expert.severity == error" \
	-T fields -e frame.number > bad.txt 2>/dev/null
echo "malformed or erroneous frames: $(wc -l < bad.txt)"
# Distinct conversations (both directions folded) can only undercount
# flows (a reused port pair folds two flows); they must not overcount.
conv=$(awk -F'\t' '{ a = $3 ":" $5 $7; b = $4 ":" $6 $8;
	k = (a < b) ? $2 " " a " " b : $2 " " b " " a; seen[k] = 1 }
	END { print length(seen) }' fields.txt)
echo "conversations in the pcap: $conv"
[ "$conv" -le "$flows" ] || fail "$conv conversations for $flows flows"
[ "$conv" -ge $((flows * 8 / 10)) ] || fail "only $conv conversations"
[ "$(tshark -r "$pcap" -T fields -e frame.time_epoch | sort -c -g 2>&1 |
	wc -l)" = 0 ] || fail "pcap not in time order"

# Errors: already running, not running, bad output, bad command.
ctl start --fps 50 --output "$WORK/out" > /dev/null || fail "second start"
if ctl start --fps 50 2> err.txt; then fail "start while running"; fi
[ $? -eq 1 ] || true
grep -q "bad-state" err.txt || fail "start twice: $(cat err.txt)"
# stop flushes: the reply's counters are the file's.
stop=$(ctl_json stop)
sframes=$(field "$stop" .frames)
set -- $(ls -t out/fosrd-*.pcap)
[ "$(pcap_frames "$1")" = "$sframes" ] || fail "stop: file and reply differ"
rc=0; ctl stop 2> err.txt || rc=$?
[ $rc -eq 1 ] && grep -q "bad-state: stop: not running" err.txt ||
	fail "stop when idle: rc $rc, $(cat err.txt)"
rc=0; ctl start --output /nonexistent/dir 2> err.txt || rc=$?
[ $rc -eq 1 ] && grep -q "output-error" err.txt || fail "bad output: rc $rc"
rc=0; ctl set fps -3 2> err.txt || rc=$?
[ $rc -eq 1 ] && grep -q "bad-argument" err.txt || fail "set fps -3: rc $rc"
rc=0; ctl frobnicate 2> /dev/null || rc=$?
[ $rc -eq 2 ] || fail "unknown command: exit $rc, want 2"
rc=0; "$FOSRCTL" -s "$WORK/nothing.sock" status 2> /dev/null || rc=$?
[ $rc -eq 2 ] || fail "no daemon: exit $rc, want 2"

# SIGTERM while running: exit 0 and a complete file.
ctl start --fps 200 --flat --output "$WORK/out" > /dev/null || fail "start"
wait_for 20 sh -c "[ \"\$('$FOSRCTL' -s '$SOCK' -j status |
	jq .result.session.frames)\" -gt 0 ]" || fail "no frames written"
stop_fosrd
n=$(ls out/fosrd-*.pcap | wc -l)
[ "$n" = 3 ] || fail "expected 3 files after SIGTERM, got $n"
for f in out/fosrd-*.pcap; do
	capinfos "$f" > /dev/null 2>&1 || fail "$f unreadable"
done
[ ! -e "$SOCK" ] || fail "socket left behind"
grep -q "control: uid $(id -u): start" "$FOSRD_LOG" ||
	fail "state change not logged with the uid"
echo "ok"
