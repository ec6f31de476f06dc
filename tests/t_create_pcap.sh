#!/bin/bash
# fosr create-pcap end to end: determinism (two runs, -j 1 against -j 2),
# -n as a prefix of the full run, start times in several spellings, the
# daily shape following --tz, the duration respected, memory bounded over
# a day, the ground-truth flow file, and --help against the man page.
set -eu
: "${FOSR:?}" "${FOSR_SRCDIR:?}"
command -v capinfos >/dev/null || { echo "skip: capinfos is missing"; exit 77; }
command -v editcap >/dev/null || { echo "skip: editcap is missing"; exit 77; }

fail() { echo "FAIL: $*"; exit 1; }
field() { awk -v k="$1:" '$1 == k || $1" "$2 == k { print $NF; exit }' "$2"; }
count() { capinfos -M -c "$1" | awk '/Number of packets/ { print $NF }'; }

# Real models when they are available, the built-in profile otherwise.
prof=()
if [ -n "${FOSR_SHARED:-}" ] && [ -d "$FOSR_SHARED/fosr-models/legacy" ]; then
	prof=(--profile "$FOSR_SHARED/fosr-models/legacy")
fi
T0=2026-12-03T09:00:00Z        # a working-day morning
U0=1796288400                  # the same instant in Unix seconds

# Determinism: same inputs, same bytes; the thread count does not matter.
"$FOSR" create-pcap "${prof[@]}" -d 1h -s 42 -t $T0 --tz UTC -j 1 \
	-o a.pcap --flows a.csv > a.sum
"$FOSR" create-pcap "${prof[@]}" -d 1h -s 42 -t $T0 --tz UTC -j 2 \
	-o b.pcap > b.sum
"$FOSR" create-pcap "${prof[@]}" -d 1h -s 42 -t $T0 --tz UTC -j 2 \
	-o c.pcap -q > c.sum
cmp a.pcap b.pcap || fail "-j 1 and -j 2 differ"
capinfos -o a.pcap | grep -q 'Strict time order: *True' ||
	fail "a.pcap is not in time order"
cmp b.pcap c.pcap || fail "two runs with -j 2 differ"
[ ! -s c.sum ] || fail "-q still printed: $(cat c.sum)"
"$FOSR" create-pcap "${prof[@]}" -d 1h -s 43 -t $T0 --tz UTC -o d.pcap -q
cmp -s a.pcap d.pcap && fail "another seed gave the same file"

# The summary agrees with the file and with itself.
pk=$(count a.pcap)
[ "$pk" -gt 1000 ] || fail "only $pk packets in one hour"
[ "$(field packets a.sum)" = "$pk" ] || fail "summary packets != $pk"
flows=$(field flows a.sum | head -1)
flows=$(awk '$1 == "flows:" { print $2 }' a.sum)
sum_flows=$(awk 'f && NF == 4 { s += $2 } /^protocol/ { f = 1 } END { print s }' a.sum)
sum_pk=$(awk 'f && NF == 4 { s += $3 } /^protocol/ { f = 1 } END { print s }' a.sum)
[ "$sum_flows" = "$flows" ] || fail "protocol rows give $sum_flows flows, not $flows"
[ "$sum_pk" = "$pk" ] || fail "protocol rows give $sum_pk packets, not $pk"
grep -q '^seed: *42$' a.sum || fail "seed not in the summary"
# Ground truth: one CSV line per flow, packet counts adding up.
[ $(($(wc -l < a.csv) - 1)) = "$flows" ] || fail "a.csv has not $flows flows"
csv_pk=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ s += $c["fwd_packets"] + $c["bwd_packets"] } END { print s }' a.csv)
[ "$csv_pk" = "$pk" ] || fail "a.csv counts $csv_pk packets, not $pk"

# -n gives exactly the first N packets of the same run, with or without -d.
"$FOSR" create-pcap "${prof[@]}" -n 5000 -s 42 -t $T0 --tz UTC -o n1.pcap -q
"$FOSR" create-pcap "${prof[@]}" -n 5000 -d 1h -s 42 -t $T0 --tz UTC \
	-o n2.pcap -q -j 1
editcap -F pcap -r a.pcap first.pcap 1-5000
[ "$(count n1.pcap)" = 5000 ] || fail "-n 5000 wrote $(count n1.pcap)"
cmp n1.pcap first.pcap || fail "-n 5000 is not the first 5000 packets"
cmp n1.pcap n2.pcap || fail "-n with and without -d differ"

# Start times: Unix seconds, Z, an explicit offset and a wall time in the
# zone are the same instant, hence the same file.
"$FOSR" create-pcap "${prof[@]}" -d 10min -s 5 -t $U0 --tz UTC -o t1.pcap -q
"$FOSR" create-pcap "${prof[@]}" -d 10min -s 5 -t 2026-12-03T10:00:00+01:00 \
	--tz UTC -o t2.pcap -q
"$FOSR" create-pcap "${prof[@]}" -d 10min -s 5 -t "2026-12-03 09:00:00" \
	--tz UTC -o t3.pcap -q
cmp t1.pcap t2.pcap || fail "Unix seconds and RFC 3339 with offset differ"
cmp t1.pcap t3.pcap || fail "Unix seconds and UTC wall time differ"
"$FOSR" create-pcap "${prof[@]}" -d 10min -s 5 -t 2026-12-03T10:00:00 \
	--tz Europe/Paris -o p1.pcap -q
"$FOSR" create-pcap "${prof[@]}" -d 10min -s 5 -t $U0 --tz Europe/Paris \
	-o p2.pcap -q
cmp p1.pcap p2.pcap || fail "Paris wall time and Unix seconds differ"
"$FOSR" create-pcap "${prof[@]}" -d 10min -s 5 -t $U0.5 --tz UTC \
	-o f.pcap --flows f.csv -q --nanosecond
first=$(awk -F, 'NR > 1 { if (m == "" || $1 < m) m = $1 } END { print m }' f.csv)
awk -v f="$first" -v u=$U0 'BEGIN { exit !(f >= u + 0.5 && f < u + 5.5) }' ||
	fail "a start of $U0.5 gave a first flow at $first"
capinfos -M -a -S -r f.pcap | grep -q '\.[0-9]\{9\}$' ||
	fail "no nanosecond timestamps: $(capinfos -a -S -r f.pcap)"

# The duration: flows start within the hour, and the file ends with the
# end of the flow that ends last, no later than the longest flow allows.
read -r smin smax emax dmax <<< "$(awk -F, 'NR > 1 {
	if (a == "" || $1 < a) a = $1; if ($1 > b) b = $1
	if ($1 + $2 > e) e = $1 + $2; if ($2 > d) d = $2 }
	END { printf "%.6f %.6f %.6f %.6f\n", a, b, e, d }' a.csv)"
last=$(capinfos -M -e -S -T -r a.pcap | awk -F'\t' '{ print $2 }')
echo "flows start $smin..$smax, longest $dmax s, last packet $last"
awk -v a="$smin" -v b="$smax" -v e="$emax" -v d="$dmax" -v l="$last" \
    -v u=$U0 'BEGIN {
	if (a < u || b >= u + 3600 || b < u + 3540) exit 1
	if (l - e > 0.00001 || e - l > 0.00001 || l > u + 3600 + d) exit 1 }' ||
	fail "the flows of one hour do not fill [$U0, +3600) and end there"

# The daily shape follows the zone: one day in UTC and in Tokyo (+9 h),
# hourly flow counts correlate once shifted by nine hours.
hours() {
	awk -F, -v u="$2" 'NR > 1 { h[int(($1 - u) / 3600)]++ }
		END { for (i = 0; i < 24; i++) printf "%d ", h[i] + 0 }' "$1"
}
D0=1796169600        # 2026-12-02T00:00:00Z
"$FOSR" create-pcap "${prof[@]}" -d 1d -f 40000 -s 9 -t $D0 --tz UTC \
	-o u.pcap --flows u.csv -q
"$FOSR" create-pcap "${prof[@]}" -d 1d -f 40000 -s 9 -t $D0 --tz Asia/Tokyo \
	-o k.pcap --flows k.csv -q
read -r -a hu <<< "$(hours u.csv $D0)"
read -r -a hk <<< "$(hours k.csv $D0)"
corr() {
	awk -v x="$1" -v y="$2" 'BEGIN {
		n = split(x, a, " "); split(y, b, " ")
		for (i = 1; i <= n; i++) { sa += a[i]; sb += b[i] }
		ma = sa / n; mb = sb / n
		for (i = 1; i <= n; i++) {
			c += (a[i] - ma) * (b[i] - mb)
			va += (a[i] - ma) ^ 2; vb += (b[i] - mb) ^ 2
		}
		printf "%.3f\n", c / sqrt(va * vb) }'
}
shifted=""
for i in $(seq 0 23); do shifted+="${hk[$(( (i + 9) % 24 ))]} "; done
# Tokyo local hour h is UTC hour h - 9: k[h - 9] should match u[h].
shifted=""
for i in $(seq 0 23); do shifted+="${hk[$(( (i + 24 - 9) % 24 ))]} "; done
c_shift=$(corr "${hu[*]}" "$shifted")
c_plain=$(corr "${hu[*]}" "${hk[*]}")
echo "hourly flows UTC:   ${hu[*]}"
echo "hourly flows Tokyo: ${hk[*]}"
echo "correlation shifted $c_shift, unshifted $c_plain"
awk -v s="$c_shift" -v p="$c_plain" 'BEGIN { exit !(s >= 0.9 && s > p + 0.2) }' ||
	fail "the Tokyo day is not the UTC day shifted by 9 h"

# Memory: a whole day needs hardly more than its busiest hour.
"$FOSR" create-pcap "${prof[@]}" -d 1h -s 3 -t $T0 --tz UTC -o h.pcap > h.sum
"$FOSR" create-pcap "${prof[@]}" -d 1d -s 3 -t 2026-12-03T00:00:00Z --tz UTC \
	-o day.pcap > day.sum
rss_h=$(awk '$1 == "peak" { print $3 }' h.sum)
rss_d=$(awk '$1 == "peak" { print $3 }' day.sum)
echo "peak RSS: one hour $rss_h KiB, one day $rss_d KiB"
[ $((rss_d)) -le $((rss_h * 3 / 2 + 8192)) ] ||
	fail "a day took $rss_d KiB against $rss_h KiB for an hour"
rm -f day.pcap u.pcap k.pcap

# Every option of --help is in the man page, and the other way round.
man=$(mandoc -Tascii "$FOSR_SRCDIR/man/fosr.1" | col -b)
help=$("$FOSR" create-pcap --help)
for o in $(grep -o -- '--[a-z][a-z-]*' <<< "$help" | sort -u) \
    $(grep -o -- ' -[a-z],' <<< "$help" | tr -d ' ,' | sort -u); do
	grep -q -- "$o" <<< "$man" || fail "option $o of --help is not in fosr.1"
done
sec=$(awk '/^ *create-pcap$/ { f = 1; next } /^ *pcap2flow$/ { f = 0 } f' <<< "$man")
for o in $(grep -o -- '--[a-z][a-z-]*' <<< "$sec" | sort -u); do
	grep -q -- "$o" <<< "$help" || fail "option $o of fosr.1 is not in --help"
done
for c in $("$FOSR" --help | awk '/^  [a-z]/ { print $1 }'); do
	grep -q -- "$c" <<< "$man" || fail "command $c is not in fosr.1"
done
echo "ok: determinism, -n prefix, start times, zones, duration, memory, help"
