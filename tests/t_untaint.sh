#!/bin/bash
# fosr untaint on real captures: the tainted corpus files become their
# untainted twins byte for byte; untainting an untainted file changes
# nothing; every corpus file of every link type, tainted on each IPv4
# packet (by the test_capture helper, the way fosr taints), comes back
# with no reserved bit, all IPv4 header checksums valid for tshark, and
# differs from the original only in the checksums that were wrong there.
# Broken files are refused and leave no output behind.
set -u
[ -n "${FOSR_SHARED:-}" ] || { echo "skip: FOSR_SHARED is not set"; exit 77; }
C=$FOSR_SHARED/corpus
[ -d "$C" ] || { echo "skip: no corpus"; exit 77; }
command -v tshark >/dev/null || { echo "skip: tshark is not installed"; exit 77; }
TAINT="$FOSR_BUILDDIR/tests/test_capture --taint"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# tshark frame count matching a display filter.
tcount() {
	tshark -n -o ip.check_checksum:TRUE -r "$1" -Y "$2" 2>/dev/null | wc -l
}

for t in tcp udp; do
	"$FOSR" untaint -i "$C/pathspider-evilbit_${t}_fwd.pcap" -o twin.pcap \
		2> err.txt || bad "evilbit_$t: exit $?"
	cmp -s twin.pcap "$C/pathspider-evilbit_${t}_none.pcap" ||
		bad "evilbit_$t: not byte-identical to its twin"
	grep -q "2 packets, 2 IPv4, 1 untainted" err.txt ||
		bad "evilbit_$t: summary: $(cat err.txt)"
done

files=0 tainted=0
for f in "$C"/*.pcap "$C"/*.pcapng "$C"/*.cap; do
	b=$(basename "$f")
	case $b in
	dpkt-truncated_dns_2.pcap|libpcap-*)
		rm -f out.pcap
		if "$FOSR" untaint -i "$f" -o out.pcap 2> err.txt; then
			bad "$b: accepted"
		fi
		grep -q "$b: .*; out.pcap not written" err.txt ||
			bad "$b: message: $(cat err.txt)"
		[ -e out.pcap ] && bad "$b: output left behind"
		ls out.pcap.tmp.* >/dev/null 2>&1 && bad "$b: temporary left"
		continue ;;
	pathspider-evilbit_*_fwd.pcap)
		continue ;;
	esac
	files=$((files + 1))
	"$FOSR" untaint -q -i "$f" -o same.pcap || bad "$b: exit $?"
	cmp -s same.pcap "$f" || bad "$b: untainted file changed"

	n=$($TAINT "$f" tainted.pcap) || { bad "$b: taint helper"; continue; }
	[ "$n" -gt 0 ] || continue
	tainted=$((tainted + 1))
	"$FOSR" untaint -i tainted.pcap -o "clean-$b" 2> err.txt ||
		bad "$b: untaint exit $?"
	grep -q " $n untainted" err.txt || bad "$b: summary: $(cat err.txt)"
	[ "$(stat -c %s "clean-$b")" = "$(stat -c %s "$f")" ] ||
		bad "$b: size changed"
	diff_bytes=$(cmp -l "clean-$b" "$f" | wc -l)
	[ "$diff_bytes" = 0 ] && continue
	orig_bad=$(tcount "$f" 'ip.checksum.status == 0')
	[ "$diff_bytes" -le $((2 * orig_bad)) ] ||
		bad "$b: $diff_bytes bytes differ, $orig_bad bad checksums"
done
echo "$files files copied unchanged, $tainted tainted and untainted"
# One tshark run over all untainted files: no reserved bit, no bad IPv4
# header checksum anywhere.
mergecap -a -F pcapng -w clean-all.pcapng clean-* ||
	bad "mergecap failed"
left=$(tcount clean-all.pcapng 'ip.flags.rb == 1 || ip.checksum.status == 0')
[ "$left" = 0 ] || bad "$left frames with the bit or a bad checksum left"
[ "$(tcount clean-all.pcapng ip)" -gt 3000 ] || bad "too few IPv4 frames"
[ "$files" -ge 60 ] || bad "only $files files"
[ "$tainted" -ge 45 ] || bad "only $tainted files with IPv4"

# In place: the input may be the output.
cp "$C/pathspider-evilbit_udp_fwd.pcap" inplace.pcap
"$FOSR" untaint -q -i inplace.pcap -o inplace.pcap || bad "in place: exit"
cmp -s inplace.pcap "$C/pathspider-evilbit_udp_none.pcap" ||
	bad "in place: wrong result"

# Usage and file errors.
"$FOSR" untaint -i x.pcap 2> err.txt; [ $? = 2 ] || bad "missing -o: exit"
grep -q "required" err.txt || bad "missing -o: $(cat err.txt)"
: > empty.pcap
"$FOSR" untaint -i empty.pcap -o o.pcap 2> err.txt; [ $? = 1 ] ||
	bad "empty: exit"
grep -q "empty.pcap: empty file, not a capture" err.txt ||
	bad "empty: $(cat err.txt)"
"$FOSR" untaint -i "$C/tcpdump-empty.pcap" -o nodir/o.pcap 2> err.txt
[ $? = 1 ] || bad "bad folder: exit"
grep -q "nodir/o.pcap: cannot create" err.txt || bad "bad folder: $(cat err.txt)"
exit $fail
