#!/bin/bash
# fosr pcap2flow on every corpus file, judged by tshark's conversation
# statistics (tshark -z conv,tcp -z conv,udp).  With both timeouts off,
# every TCP and UDP conversation of tshark must be exactly one flow with
# the same packets each way and the same frame bytes each way.  Known
# differences, all from fragments: tshark counts a reassembled datagram's
# bytes on the frame that completes it, pcap2flow on its first fragment,
# so byte totals are not compared for the three fragment captures.  Then
# the documented timeouts (gtpv2 splits at the 600 s idle default), the
# reference values of INDEX.md, the per-packet columns against tshark's
# payload bytes, RFC 4180 quoting, determinism and error handling.
set -u
[ -n "${FOSR_SHARED:-}" ] || { echo "skip: FOSR_SHARED is not set"; exit 77; }
C=$FOSR_SHARED/corpus
[ -d "$C" ] || { echo "skip: no corpus"; exit 77; }
command -v tshark >/dev/null || { echo "skip: tshark is not installed"; exit 77; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# Joins tshark conversations ("T proto A B pkts_ab bytes_ab unit pkts_ba
# bytes_ba unit") with pcap2flow flows ("M proto client server fwd bwd
# fwd_frame_bytes bwd_frame_bytes") on the unordered endpoint pair and
# prints one line per disagreement, then "mismatches N".
cat > conv.awk <<'EOF'
function unit(u) { return u == "kB" ? 1000 : u == "MB" ? 1000000 : 1 }
# tshark rounds to whole kB/MB: exact only when it prints bytes.
function same_bytes(mine, v, u) {
	if (u == "bytes")
		return mine == v
	return mine / unit(u) - v <= 1 && v - mine / unit(u) <= 1
}
$1 == "T" {
	if ($3 <= $4) {
		k = $2 " " $3 " " $4
		tp1[k] = $5; tb1[k] = $6; tu1[k] = $7
		tp2[k] = $8; tb2[k] = $9; tu2[k] = $10
	} else {
		k = $2 " " $4 " " $3
		tp1[k] = $8; tb1[k] = $9; tu1[k] = $10
		tp2[k] = $5; tb2[k] = $6; tu2[k] = $7
	}
	conv[k] = 1
}
$1 == "M" {
	if ($3 <= $4) {
		k = $2 " " $3 " " $4
		mp1[k] += $5; mp2[k] += $6; mb1[k] += $7; mb2[k] += $8
	} else {
		k = $2 " " $4 " " $3
		mp1[k] += $6; mp2[k] += $5; mb1[k] += $8; mb2[k] += $7
	}
	flows[k]++
}
END {
	n = 0
	for (k in conv) {
		if (!(k in flows)) {
			print "missing: " k; n++; continue
		}
		if (flows[k] != 1) {
			print "split: " k ": " flows[k] " flows"; n++
		}
		if (mp1[k] != tp1[k] || mp2[k] != tp2[k]) {
			print "packets: " k ": " mp1[k] "/" mp2[k] " vs " \
			    tp1[k] "/" tp2[k]
			n++
		}
		if (bytes && (!same_bytes(mb1[k], tb1[k], tu1[k]) ||
		    !same_bytes(mb2[k], tb2[k], tu2[k]))) {
			print "bytes: " k ": " mb1[k] "/" mb2[k] " vs " \
			    tb1[k] tu1[k] "/" tb2[k] tu2[k]
			n++
		}
	}
	for (k in flows)
		if (!(k in conv) && k ~ /^(TCP|UDP) /) {
			print "extra: " k; n++
		}
	print "mismatches " n
}
EOF

files=0 convs=0
for f in "$C"/*.pcap "$C"/*.pcapng "$C"/*.cap; do
	b=$(basename "$f")
	rm -f out.csv
	"$FOSR" pcap2flow -q -t 0 -a 0 -i "$f" -o out.csv 2> err.txt
	rc=$?
	case $b in
	dpkt-truncated_dns_2.pcap)
		[ $rc = 1 ] || bad "$b: exit $rc"
		grep -q "$b: record 2 at offset 240: file cut short in the record header (7 of 16 bytes)" err.txt ||
			bad "$b: message: $(cat err.txt)"
		grep -q "the 1 flows read before the error were written to out.csv" err.txt ||
			bad "$b: no word on the flows written"
		[ "$(tail -n 1 out.csv | cut -d, -f17)" = error ] ||
			bad "$b: open flow not marked error"
		;;
	libpcap-pcapng-invalid-vers-1.pcapng)
		[ $rc = 1 ] || bad "$b: exit $rc"
		grep -q "$b: block 1: unsupported pcapng version 0.1" err.txt ||
			bad "$b: message: $(cat err.txt)"
		[ -e out.csv ] && bad "$b: output written for an unusable file"
		continue ;;
	libpcap-shb-option-too-long.pcapng)
		[ $rc = 1 ] || bad "$b: exit $rc"
		grep -q "$b: block 1: trailing length differs from 52" err.txt ||
			bad "$b: message: $(cat err.txt)"
		[ -e out.csv ] && bad "$b: output written for an unusable file"
		continue ;;
	*)
		[ $rc = 0 ] || { bad "$b: exit $rc: $(cat err.txt)"; continue; }
		;;
	esac
	files=$((files + 1))
	case $b in
	ppp-ip4_fragments.pcap|ppp-ip6_fragments.pcap|zeek-ipv4-fragmented-1.pcap)
		bytes=0 ;;
	*)	bytes=1 ;;
	esac
	tshark -n -r "$f" -q -z conv,tcp -z conv,udp > conv.txt 2>/dev/null
	res=$({
		awk '/TCP Conversations/ { p = "TCP" }
		    /UDP Conversations/ { p = "UDP" }
		    /<->/ { print "T", p, $1, $3, $7, $8, $9, $4, $5, $6 }' \
		    conv.txt
		awk -F, 'NR > 1 { print "M", $3, $4 ":" $5, $6 ":" $7, $10,
		    $11, $14, $15 }' out.csv
	} | awk -v bytes=$bytes -f conv.awk)
	case $res in
	"mismatches 0") ;;
	*) bad "$b: $res" ;;
	esac
	convs=$((convs + $(grep -c '<->' conv.txt)))
done
echo "$files files, $convs tshark conversations matched"
[ "$files" -ge 67 ] || bad "only $files files compared"
[ "$convs" -ge 400 ] || bad "only $convs conversations"

# Timeouts.  gtpv2 has the same UDP 5-tuple with gaps over 600 s.
"$FOSR" pcap2flow -q -i "$C/ppp-gtpv2.pcap" -o gtp.csv || bad "gtpv2: exit"
[ "$(tail -n +2 gtp.csv | wc -l)" = 6 ] || bad "gtpv2: not 6 flows"
[ "$(cut -d, -f17 gtp.csv | grep -c idle)" = 5 ] || bad "gtpv2: idle ends"
"$FOSR" pcap2flow -q -t 0 -a 0 -i "$C/ppp-gtpv2.pcap" -o gtp0.csv || bad "exit"
[ "$(tail -n +2 gtp0.csv | cut -d, -f3,10 | sort | tr '\n' ' ')" = \
    "TCP,1 UDP,2 UDP,3 " ] || bad "gtpv2 without timeout: $(cat gtp0.csv)"
# The 2084 s gap is under a 2100 s idle timeout, the others are not.
"$FOSR" pcap2flow -q -t 2100 -a 0 -i "$C/ppp-gtpv2.pcap" -o gtp2.csv ||
	bad "exit"
[ "$(tail -n +2 gtp2.csv | wc -l)" = 5 ] || bad "gtpv2 -t 2100: not 5 flows"
"$FOSR" pcap2flow -q -a 100ms -i "$C/ppp-one_http_stream_fin.pcap" \
    -o act.csv || bad "active: exit"
[ "$(grep -c ',active,' act.csv)" = 3 ] || bad "active: $(cat act.csv)"
[ "$(awk -F, 'NR > 1 { s += $10 + $11 } END { print s }' act.csv)" = 15 ] ||
	bad "active: packets lost"

# Reference values from the corpus index.
"$FOSR" pcap2flow -q -i "$C/ppp-one_http_stream_fin.pcap" -o fin.csv
[ "$(tail -n 1 fin.csv)" = "1258133614.430569000,0.808847000,TCP,192.168.1.2,49486,77.67.44.206,80,128,238,7,8,367,3549,815,3993,FSPA,fin,http" ] ||
	bad "one_http_stream_fin: $(tail -n 1 fin.csv)"
"$FOSR" pcap2flow -q -i "$C/zeek-tcp-handshake-reorder.pcap" -o re.csv
[ "$(tail -n 1 re.csv | cut -d, -f2-7,10-13)" = "0.141888000,TCP,141.142.228.5,59856,192.150.187.43,80,7,7,136,5007" ] ||
	bad "handshake-reorder: $(tail -n 1 re.csv)"
"$FOSR" pcap2flow -q -i "$C/zeek-tcp-timestamp.pcap" -o ts.csv
[ "$(tail -n 1 ts.csv | cut -d, -f2,4-7,10-15)" = "0.549132000,192.168.1.10,60706,192.168.2.20,12345,185,693,0,1000000,12218,1045746" ] ||
	bad "tcp-timestamp: $(tail -n 1 ts.csv)"
"$FOSR" pcap2flow -i "$C/zeek-tcp-retransmit-fast009.pcap" -o rt.csv \
    2> err.txt
[ "$(tail -n 1 rt.csv | cut -d, -f10-15)" = "17,22,474,28073,1488,29269" ] ||
	bad "retransmit-fast009: $(tail -n 1 rt.csv)"
grep -q "21 cut by the snapshot length" err.txt || bad "snaplen count: $(cat err.txt)"
"$FOSR" pcap2flow -i "$C/ppp-VlanPackets.pcap" -o vlan.csv 2> err.txt
grep -q "26 packets, 20 IP" err.txt && grep -q "6 non-IP" err.txt ||
	bad "QinQ counts: $(cat err.txt)"
"$FOSR" pcap2flow -i "$C/ppp-ip4_fragments.pcap" -o frag.csv 2> err.txt
grep -q "non-first fragments" err.txt || bad "fragment counts: $(cat err.txt)"

# Per-packet columns: payloads as tshark sees them, RFC 4180 quoting.
"$FOSR" pcap2flow -q -p -i "$C/tcpdump-dns_udp.pcap" -o p.csv || bad "-p exit"
want=$(tshark -n -r "$C/tcpdump-dns_udp.pcap" -T fields -e udp.payload \
    2>/dev/null | tr -d ':' | paste -sd, -)
[ "$(tail -n 1 p.csv | awk -F'"' '{ print $10 }')" = "[$want]" ] ||
	bad "-p payloads: $(tail -n 1 p.csv)"
tail -n 1 p.csv | grep -q ',"\[F,B\]",' || bad "-p directions"
"$FOSR" pcap2flow -q -p -i "$C/zeek-wikipedia.pcap" -o pw.csv || bad "-p exit"
# A quote-aware field count: every line has the header's 23 fields.
awk '{
	n = 1; q = 0
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
		if (c == "\"") q = !q
		else if (c == "," && !q) n++
	}
	if (n != 23 || q) { print "line " NR ": " n " fields"; bad = 1 }
} END { exit bad }' pw.csv || bad "-p: not 23 fields per line"

# Same input, same file; flows in start order.
"$FOSR" pcap2flow -q -i "$C/zeek-ssh.pcap" -o a.csv
"$FOSR" pcap2flow -q -i "$C/zeek-ssh.pcap" -o b.csv
cmp -s a.csv b.csv || bad "two runs differ"
awk -F, 'NR > 2 && $1 < prev { exit 1 } { prev = $1 }' a.csv ||
	bad "not in start order"
[ "$(tail -n +2 a.csv | wc -l)" = 25 ] || bad "zeek-ssh: not 25 flows"

# Errors: unusable files give no output, usage errors exit 2.
: > empty.pcap
"$FOSR" pcap2flow -i empty.pcap -o e.csv 2> err.txt; [ $? = 1 ] || bad "empty: exit"
grep -q "empty.pcap: empty file, not a capture" err.txt || bad "empty: $(cat err.txt)"
echo "flow,records" > notcap.txt
"$FOSR" pcap2flow -i notcap.txt -o e.csv 2> err.txt; [ $? = 1 ] || bad "text: exit"
grep -q "notcap.txt: not a pcap or pcapng file" err.txt || bad "text: $(cat err.txt)"
"$FOSR" pcap2flow -i missing.pcap -o e.csv 2> err.txt; [ $? = 1 ] || bad "missing: exit"
grep -q "missing.pcap: cannot open: No such file" err.txt || bad "missing: $(cat err.txt)"
[ -e e.csv ] && bad "output written for unusable input"
"$FOSR" pcap2flow -i x 2> /dev/null; [ $? = 2 ] || bad "no -o: exit"
"$FOSR" pcap2flow -i x -o y --bogus 2> /dev/null; [ $? = 2 ] || bad "bad option: exit"
"$FOSR" pcap2flow -i x -o y -t soon 2> err.txt; [ $? = 2 ] || bad "bad timeout: exit"
grep -q -- "--idle-timeout" err.txt || bad "bad timeout: $(cat err.txt)"
ls ./*.tmp.* >/dev/null 2>&1 && bad "temporary files left"
exit $fail
