#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Rotation by size, then (after a reload) by time: every closed file is
# complete and readable, none exceeds its limit, and together they hold
# exactly the frames the daemon counted, in time order, none twice.
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

# check_files DIR LIMIT_BYTES LIMIT_SPAN: prints the frame total
check_files() {
	local dir=$1 size=$2 span=$3 f n=0
	: > "$dir.all"
	for f in "$dir"/fosrd-*.pcap; do
		if [ "$size" -gt 0 ] && [ "$(stat -c %s "$f")" -gt "$size" ]
		then
			fail "$f: $(stat -c %s "$f") bytes > $size"
		fi
		tshark -r "$f" -T fields -e frame.time_epoch -e frame.len \
			-e ip.id -e ip.src -e ip.dst -e tcp.seq -e tcp.srcport \
			-e tcp.dstport -e udp.srcport -e udp.dstport \
			2>/dev/null > "$f.txt" || fail "$f: not readable"
		[ -s "$f.txt" ] || fail "$f: empty"
		if [ "$span" -gt 0 ]; then
			awk -v s="$span" 'NR == 1 { a = $1 } { b = $1 }
			    END { exit !(b - a < s) }' "$f.txt" ||
				fail "$f spans more than $span s"
		fi
		cat "$f.txt" >> "$dir.all"
	done
	sort -s -c -g -k1,1 "$dir.all" 2>/dev/null || fail "$dir: not in order"
	[ -z "$(sort "$dir.all" | uniq -d | head -1)" ] ||
		fail "$dir: a frame appears twice"
	wc -l < "$dir.all"
}

mkdir size time
write_conf fosrd.conf rotate_size 1M
start_fosrd fosrd.conf
ctl start --fps 100 --duration 5 --flat --output "$WORK/size" > /dev/null ||
	fail "start"
wait_for 60 is_idle || fail "run 1 did not end"
last=$(ctl_json status | jq -c .last_session)
n=$(ls size/fosrd-*.pcap | wc -l)
echo "size rotation: $n files, $(field "$last" .frames) frames"
[ "$n" -ge 3 ] || fail "only $n files"
[ "$n" = "$(field "$last" .files)" ] || fail "files: status says otherwise"
total=$(check_files size $((1024 * 1024)) 0)
[ "$total" = "$(field "$last" .frames)" ] ||
	fail "files hold $total frames, status $(field "$last" .frames)"

# Reload: time rotation instead of size.
write_conf fosrd.conf rotate_time 40s
ctl reload > /dev/null || fail "reload"
ctl start --fps 50 --duration 5 --flat --output "$WORK/time" > /dev/null ||
	fail "start"
wait_for 60 is_idle || fail "run 2 did not end"
last=$(ctl_json status | jq -c .last_session)
n=$(ls time/fosrd-*.pcap | wc -l)
echo "time rotation: $n files, $(field "$last" .frames) frames"
[ "$n" -ge 3 ] || fail "only $n files"
total=$(check_files time 0 40)
[ "$total" = "$(field "$last" .frames)" ] || fail "time: frames differ"

# A broken file on reload is refused and the running settings kept.
echo "rotate_time soon" >> fosrd.conf
rc=0; ctl reload 2> err.txt || rc=$?
want="config-error: reload: .*fosrd.conf:[0-9]*: rotate_time: not a valid"
[ $rc -eq 1 ] && grep -q "$want" err.txt ||
	fail "bad reload: rc $rc: $(cat err.txt)"
stop_fosrd
echo ok
