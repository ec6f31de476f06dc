#!/bin/bash
# fosr create-pcap refuses bad input cleanly: usage errors exit 2 with a
# message; a broken profile, configuration or output path exits 1 with a
# message naming the file; a signal mid-run exits non-zero; and in none of
# these cases is an output file (or a temporary one) left behind.
set -u
: "${FOSR:?}"
legacy=${FOSR_SHARED:-}/fosr-models/legacy
[ -n "${FOSR_SHARED:-}" ] && [ -d "$legacy" ] ||
	{ echo "skip: no legacy profile (FOSR_SHARED is not set)"; exit 77; }

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN args...: exit status, a message matching PATTERN,
# and an empty working folder but for the inputs.
expect() {
	local want=$1 pat=$2 rc
	shift 2
	"$FOSR" create-pcap "$@" > out.txt 2> err.txt
	rc=$?
	[ $rc -eq "$want" ] || fail "$*: exit $rc, not $want ($(cat err.txt))"
	grep -q -- "$pat" err.txt || fail "$*: no '$pat' in: $(cat err.txt)"
	left=$(ls -A | grep -v -e '^out.txt$' -e '^err.txt$' -e '^p$' \
		-e '^bad.yaml$')
	[ -z "$left" ] || fail "$*: left behind: $left"
	rm -f -- *.pcap .*.pcap.*
}

# Usage errors.
expect 2 "duration '1x': unknown or missing unit" -d 1x
expect 2 "give a duration (-d) or a packet count (-n)"
expect 2 "give a duration" -o x.pcap -s 1
expect 2 "-d: the duration must be more than zero" -d 0
expect 2 "-n: not a positive packet count: 'many'" -n many
expect 2 "-n: not a positive packet count: '0'" -n 0
expect 2 "-j: not a thread count" -d 1h -j 0
expect 2 "-s: not a seed" -d 1h -s -3
expect 2 "-s: not a seed" -d 1h -s 18446744073709551616
expect 2 "-f: not a positive number of flows per day up to 1e9: '-5'" -d 1h -f -5
expect 2 "-f: not a positive number of flows per day up to 1e9: '2e9'" -d 1h -f 2e9
expect 2 "Nowhere/Land" -d 1h --tz Nowhere/Land
expect 2 "start time 'tomorrow'" -d 1h -t tomorrow
expect 2 "no such date" -d 1h -t 2026-02-30T00:00:00Z
expect 2 "unknown option '--bogus'" -d 1h --bogus
expect 2 "option '-o' needs an argument" -d 1h -o
expect 2 "unexpected argument 'extra'" -d 1h extra

# Runtime errors: the output cannot be written.
expect 1 "no/such/dir/x.pcap: cannot create" -d 1min -o no/such/dir/x.pcap \
	--profile "$legacy"

# A broken profile, one defect at a time, in a copy of the legacy one.
fresh() { rm -rf p && cp -r "$legacy" p; }
fresh; rm p/bn/bn_tcp.bifxml
expect 1 "bn_tcp.bifxml" -d 1min --profile p -o x.pcap
fresh; rm p/time_profile.json
expect 1 "p/time_profile.json: cannot open" -d 1min --profile p -o x.pcap
fresh; printf '{"histogram": [1, 2,' > p/time_profile.json
expect 1 "time_profile.json" -d 1min --profile p -o x.pcap
fresh; head -c 3000 "$legacy/bn/bn_common.bifxml" > p/bn/bn_common.bifxml
expect 1 "bn_common.bifxml" -d 1min --profile p -o x.pcap
fresh; printf '{"protocol": "DNS", ' > p/automata/dns.json
expect 1 "dns.json" -d 1min --profile p -o x.pcap
fresh; rm -r p/automata
expect 1 "automata" -d 1min --profile p -o x.pcap
rm -rf p
expect 1 "p/time_profile.json" -d 1min --profile p -o x.pcap
printf 'hosts: [\n' > bad.yaml
expect 1 "bad.yaml" -d 1min --profile "$legacy" -c bad.yaml -o x.pcap
expect 1 "missing.yaml" -d 1min --profile "$legacy" -c missing.yaml \
	-o x.pcap
rm -f bad.yaml

# A signal mid-run: non-zero, nothing left.  Wait for the temporary file
# to exist so the signal lands while frames are being written.
for sig in INT TERM; do
	"$FOSR" create-pcap --profile "$legacy" -d 30d -s 1 -o big.pcap \
		> out.txt 2> err.txt &
	pid=$!
	for _ in $(seq 1 500); do
		compgen -G '.big.pcap.*' > /dev/null && break
		kill -0 $pid 2> /dev/null || break
		read -r -t 0.02 < /dev/zero 2> /dev/null || true
	done
	kill -s $sig $pid
	wait $pid
	rc=$?
	[ $rc -ne 0 ] || fail "SIG$sig: exit 0"
	grep -q "interrupted; big.pcap was not written" err.txt ||
		fail "SIG$sig: message: $(cat err.txt)"
	left=$(ls -A | grep -v -e '^out.txt$' -e '^err.txt$')
	[ -z "$left" ] || fail "SIG$sig: left behind: $left"
done

[ $fails -eq 0 ] || exit 1
echo "ok: every bad input refused, nothing left behind"
