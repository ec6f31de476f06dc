# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for the fosrd integration tests (sourced by tests/t_fosrd_*.sh):
# start a real fosrd on a socket in the test's folder, drive it with
# fosrctl, wait for conditions instead of sleeping, stop it by its PID.

set -eu
: "${FOSRD:?}" "${FOSRCTL:?}"
WORK=$(pwd)
SOCK=$WORK/fosrd.sock
FOSRD_PID=
FOSRD_LOG=$WORK/fosrd.log

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$FOSRD_LOG" ]; then
		echo "--- fosrd log (tail) ---" >&2
		tail -n 30 "$FOSRD_LOG" >&2
	fi
	exit 1
}

skip() {
	echo "skip: $*"
	exit 77
}

ctl() {
	"$FOSRCTL" -s "$SOCK" "$@"
}

# ctl_json CMD... prints the result object of a command (fails on error).
ctl_json() {
	local out
	out=$("$FOSRCTL" -s "$SOCK" -j "$@") || fail "fosrctl $*: exit $?"
	printf '%s\n' "$out" | jq -c .result
}

# field JSON FILTER
field() {
	printf '%s\n' "$1" | jq -r "$2"
}

# wait_for SECONDS COMMAND...: polls the command every 50 ms.
wait_for() {
	local limit=$1 start
	shift
	start=$(date +%s%N)
	until "$@" >/dev/null 2>&1; do
		if [ $(( ($(date +%s%N) - start) / 1000000000 )) -ge "$limit" ]
		then
			return 1
		fi
		sleep 0.05
	done
}

# write_conf FILE [directive value]...: a configuration for the tests.
write_conf() {
	local f=$1
	shift
	{
		echo "socket $SOCK"
		echo "socket_group nogroup-none"
		echo "output $WORK"
		echo "log_level info"
		echo "profile ${FOSRD_TEST_PROFILE:-default}"
		while [ $# -ge 2 ]; do
			echo "$1 $2"
			shift 2
		done
	} > "$f"
}

# start_fosrd CONF [extra fosrd args]: starts it and waits until it answers.
start_fosrd() {
	local conf=$1
	shift
	"$FOSRD" -d -f "$conf" "$@" >> "$FOSRD_LOG" 2>&1 &
	FOSRD_PID=$!
	trap 'cleanup_fosrd' EXIT
	wait_for 20 ctl version || fail "fosrd did not become ready"
}

# stop_fosrd: SIGTERM, then the exit status must be 0.
stop_fosrd() {
	local rc=0
	[ -n "$FOSRD_PID" ] || return 0
	kill -TERM "$FOSRD_PID"
	wait "$FOSRD_PID" || rc=$?
	FOSRD_PID=
	[ $rc -eq 0 ] || fail "fosrd exited with $rc after SIGTERM"
}

cleanup_fosrd() {
	if [ -n "$FOSRD_PID" ]; then
		kill -KILL "$FOSRD_PID" 2>/dev/null || true
		wait "$FOSRD_PID" 2>/dev/null || true
	fi
}

# session_state: idle, running or stopping
session_state() {
	ctl_json status | jq -r .state
}

is_idle() {
	[ "$(session_state)" = idle ]
}

# pcap_frames FILE...: total frames according to tshark
pcap_frames() {
	local n=0 f
	for f in "$@"; do
		n=$(( n + $(tshark -r "$f" -T fields -e frame.number \
		    2>/dev/null | wc -l) ))
	done
	echo "$n"
}

# within VALUE EXPECTED TOLERANCE: |VALUE - EXPECTED| <= TOLERANCE
within() {
	awk -v v="$1" -v e="$2" -v t="$3" \
	    'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= t) }'
}

# poisson_tol MEAN: 4.5 standard deviations of a Poisson count
# (a false failure about once in 150000 runs).
poisson_tol() {
	awk -v m="$1" 'BEGIN { printf "%d\n", 4.5 * sqrt(m) + 1 }'
}
