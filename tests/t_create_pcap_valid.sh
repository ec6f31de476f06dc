#!/bin/bash
# One simulated hour of the legacy profile and one of the built-in
# profile, judged by tshark with checksum validation on: no malformed
# frame and no expert error, every checksum good, under 1 % of frames with
# a TCP analysis flag other than window updates and keep-alives, a full
# handshake for every TCP stream that opens with a SYN, no frame over
# 1514 bytes, no all-zero MAC, DNS answers within a plausible delay.
set -eu
: "${FOSR:?}"
command -v tshark >/dev/null || { echo "skip: tshark is missing"; exit 77; }

CK=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE
	-o udp.check_checksum:TRUE)
fails=0
fail() { echo "FAIL: $1: $2"; fails=$((fails + 1)); }

count() { tshark -n -r "$1" "${CK[@]}" -Y "$2" 2>/dev/null | wc -l; }

judge() {
	local name=$1 f=$2 n bad flagged
	n=$(capinfos -M -c "$f" | awk '/Number of packets/ { print $NF }')
	[ "$n" -gt 1000 ] || fail "$name" "only $n frames"

	bad=$(count "$f" '_ws.malformed || _ws.expert.severity >= 8388608')
	[ "$bad" -eq 0 ] || fail "$name" "$bad malformed or error frames"
	flagged=$(count "$f" 'tcp.analysis.flags && !tcp.analysis.window_update
		&& !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack')
	awk -v a="$flagged" -v n="$n" 'BEGIN { exit !(a * 100 < n) }' ||
		fail "$name" "$flagged of $n frames carry TCP analysis flags"

	# One pass for the per-frame facts.
	tshark -n -r "$f" "${CK[@]}" -T fields -E separator=/t \
		-e frame.len -e eth.src -e eth.dst -e ip.checksum.status \
		-e tcp.checksum.status -e udp.checksum.status -e tcp.stream \
		-e tcp.flags -e ip.src -e dns.flags.response -e dns.time \
		2>/dev/null > "$name.tsv"
	awk -F'\t' -v name="$name" '
	function fail(m) { printf "FAIL: %s: %s\n", name, m; bad = 1 }
	{
		n++
		if ($1 > 1514) big++
		if ($2 == "00:00:00:00:00:00" || $3 == "00:00:00:00:00:00")
			zmac++
		if ($4 != "") { ip++; if ($4 != 1) ipbad++ }
		if ($5 != "" && $5 != 1) l4bad++
		if ($6 != "" && $6 != 1) l4bad++
		if ($7 != "") {
			s = $7; k = seen[s]++
			fl = and(strtonum($8), 0x17)
			if (k == 0) { first[s] = fl; cli[s] = $9 }
			# Handshake: SYN, then SYN-ACK back, then ACK forward.
			if (k == 1) ok2[s] = fl == 0x12 && $9 != cli[s]
			if (k == 2) ok3[s] = and(fl, 0x16) == 0x10 && $9 == cli[s]
		}
		if ($10 == "1" && $11 != "") {
			dns++; d[dns] = $11
			if ($11 > maxd) maxd = $11
		}
	}
	END {
		if (big) fail(big " frames over 1514 bytes")
		if (zmac) fail(zmac " frames with an all-zero MAC")
		if (ip != n) fail((n - ip) " frames without a good IPv4 header")
		if (ipbad) fail(ipbad " bad IPv4 checksums")
		if (l4bad) fail(l4bad " bad TCP/UDP checksums")
		for (s in first) {
			if (first[s] != 0x02)
				continue
			syn++
			if (ok2[s] && ok3[s])
				full++
		}
		if (syn == 0) fail("no TCP stream opens with a SYN")
		if (full != syn) fail((syn - full) " of " syn \
		    " SYN-opened streams lack a full handshake")
		if (dns > 0) {
			asort(d)
			med = d[int((dns + 1) / 2)]
			if (med > 0.5 || maxd > 5)
				fail("DNS answers: median " med " s, max " maxd " s")
		}
		printf "%s: %d frames, %d SYN-opened TCP streams all with a " \
		    "handshake, %d DNS answers (median %s s)\n", name, n, syn,
		    dns, med
		exit bad
	}' "$name.tsv" || fails=$((fails + 1))
	echo "$name: $bad malformed/error frames, $flagged flagged of $n"
}

start=2026-12-03T09:00:00Z
if [ -n "${FOSR_SHARED:-}" ] && [ -d "$FOSR_SHARED/fosr-models/legacy" ]; then
	"$FOSR" create-pcap --profile "$FOSR_SHARED/fosr-models/legacy" \
		-d 1h -s 11 -t $start --tz UTC -o legacy.pcap -q
	judge legacy legacy.pcap
else
	echo "note: no legacy profile, judging the built-in one only"
fi
"$FOSR" create-pcap -d 1h -s 11 -t $start --tz UTC -o default.pcap -q
judge default default.pcap

[ $fails -eq 0 ] || exit 1
echo "ok: both captures valid"
