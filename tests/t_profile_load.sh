#!/bin/bash
# Loading a profile gives the same result with any number of threads, run
# after run: the legacy profile's digest as create-pcap prints it, and for
# a profile whose second and fourth automata are broken, the error of the
# second one (the first in name order), even though the fourth fails much
# sooner.
set -u
: "${FOSR:?}"
legacy=${FOSR_SHARED:-}/fosr-models/legacy
[ -n "${FOSR_SHARED:-}" ] && [ -d "$legacy" ] ||
	{ echo "skip: no legacy profile (FOSR_SHARED is not set)"; exit 77; }

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() {
	"$FOSR" create-pcap -d 1s -s 1 -t 2025-05-05T00:00:00Z --tz UTC \
		-o /dev/null "$@"
}

# The SHA-256 over the names and SHA-256 of the files of the legacy
# profile, as printed before profile loading was made parallel (by the
# sequential loader and the project's first SHA-256 code).  It depends on
# nothing but the bytes of those files.
want=9119831a83851307b1e339a0b51e642001c60e9ad295b8dde26ca6031f9f4cf7
for j in 1 2; do
	for i in 1 2 3; do
		got=$(run -j $j --profile "$legacy" |
		    sed -n 's/^profile:.*(sha256 \(.*\))$/\1/p')
		[ "$got" = "$want" ] || fail "-j $j: digest '$got', not $want"
	done
done

# Second file: the legacy HTTPS automaton cut short, so that its error
# comes only at the end of 3.6 MB; fourth file: broken at once.
mkdir -p p/automata
ln -s "$legacy/time_profile.json" p/time_profile.json
ln -s "$legacy/bn" p/bn
cp "$legacy/automata/dns.json" p/automata/a_dns.json
head -c -2 "$legacy/automata/https.json" > p/automata/b_https.json
cp "$legacy/automata/mqtt.json" p/automata/c_mqtt.json
printf '{"edges": [' > p/automata/d_ntp.json
cp "$legacy/automata/smtp.json" p/automata/e_smtp.json
col=$(stat -c %s p/automata/b_https.json)
msg="automata/b_https.json: line 1 column $col: '}' expected near end of file"
for j in 1 2; do
	for i in 1 2 3 4 5 6; do
		run -j $j --profile p > out.txt 2> err.txt
		rc=$?
		[ $rc -eq 1 ] || fail "-j $j: exit $rc, not 1"
		[ "$(cat err.txt)" = "fosr create-pcap: $msg" ] ||
			fail "-j $j: '$(cat err.txt)'"
		[ ! -s out.txt ] || fail "-j $j: printed '$(cat out.txt)'"
	done
done

[ $fails -eq 0 ] || exit 1
echo "digest and first error the same on every load"
