#!/bin/bash
# fosrd -n refuses what start-up would refuse, naming the file and the
# directive; fosrd and fosrctl answer --help and --version.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
expect_bad() {
	local want=$1 rc
	shift
	set +e
	msg=$("$FOSRD" -n -f bad.conf 2>&1); rc=$?
	set -e
	[ $rc -eq 1 ] || fail "exit $rc for: $(cat bad.conf)"
	echo "$msg" | grep -qF "$want" || fail "message '$msg', want '$want'"
}

printf 'timezone Mars/Olympus\n' > bad.conf
expect_bad "bad.conf: timezone: time zone: Mars/Olympus: unknown zone"
printf 'output %s/no/such\n' "$PWD" > bad.conf
expect_bad "bad.conf: output: $PWD/no/such: not a directory"

"$FOSRD" --help | grep -q '^usage: fosrd' || fail "fosrd --help"
"$FOSRD" --version | grep -q '^fosrd [0-9]' || fail "fosrd --version"
"$FOSRCTL" --help | grep -q '^usage: fosrctl' || fail "fosrctl --help"
"$FOSRCTL" -V | grep -q '^fosrctl [0-9]' || fail "fosrctl -V"
set +e
"$FOSRCTL" -s "$PWD/none.sock" start --seed -3 2> err; rc=$?
set -e
[ $rc -eq 2 ] || fail "negative seed: exit $rc"
grep -q "not a 64-bit unsigned integer" err || fail "seed message: $(cat err)"
echo "checks ok"
