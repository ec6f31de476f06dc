#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# fosrd under a real systemd: a minimal Debian booted with systemd-nspawn,
# fosr installed with "make install", then systemctl start, fosrctl
# start and status, systemctl reload and stop, with the journal checked.
# Slow (a debootstrap of about a minute, cached in the build folder): runs
# only with FOSR_SLOW_TESTS=1 (make check-systemd sets it).
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

[ "${FOSR_SLOW_TESTS:-0}" = 1 ] || skip "slow test (FOSR_SLOW_TESTS=1)"
[ "$(id -u)" = 0 ] || skip "needs root"
for t in debootstrap systemd-nspawn nsenter; do
	command -v $t > /dev/null || skip "no $t (apt-get install debootstrap systemd-container)"
done

# The minimal system, built once per build folder.
base=$FOSR_BUILDDIR/nspawn-bookworm.tar
if [ ! -s "$base" ]; then
	mirror=$(sed -n 's/^URIs:[[:space:]]*//p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v security | head -n 1)
	[ -n "$mirror" ] || skip "no Debian mirror in apt's sources"
	pkgs=systemd,systemd-sysv,dbus,iproute2,libevent-core-2.1-7
	pkgs=$pkgs,libevent-pthreads-2.1-7,libjansson4,liburcu8,libyaml-0-2
	pkgs=$pkgs,libexpat1,libpcap0.8,libbpf1
	debootstrap --variant=minbase --include=$pkgs bookworm "$WORK/base" \
		"$mirror" > debootstrap.log 2>&1 ||
		fail "debootstrap: $(tail -5 debootstrap.log)"
	tar -C "$WORK/base" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$WORK/base"
fi
root=$WORK/root
mkdir "$root"
tar -C "$root" -xf "$base"
make -C "$FOSR_SRCDIR" install DESTDIR="$root" BUILD="$FOSR_BUILDDIR" \
	> install.log 2>&1 || fail "make install: $(tail -5 install.log)"
unit=$(find "$root" -name fosrd.service -path '*systemd/system*' | head -1)
[ -n "$unit" ] || fail "make install put no fosrd.service"
[ -f "$root/etc/fosr/fosrd.conf" ] || fail "no /etc/fosr/fosrd.conf"
ctlbin=$(sed -n 's|^ExecStart=\(.*\)/sbin/fosrd .*|\1/bin/fosrctl|p' "$unit")
[ -x "$root$ctlbin" ] || fail "fosrctl not at $ctlbin"

systemd-nspawn -D "$root" -b --register=no --keep-unit --private-network \
	--console=pipe --system-call-filter=bpf \
	--capability=CAP_BPF,CAP_PERFMON > nspawn.log 2>&1 &
NSPAWN_PID=$!
leader=
cleanup() {
	if kill -0 $NSPAWN_PID 2>/dev/null; then
		kill -TERM $NSPAWN_PID 2>/dev/null
		wait $NSPAWN_PID 2>/dev/null || true
	fi
}
trap cleanup EXIT
find_leader() {
	leader=$(ps --ppid $NSPAWN_PID -o pid= | tr -d ' ' | head -n 1)
	[ -n "$leader" ]
}
wait_for 30 find_leader || fail "the container did not start"
in_ct() {
	nsenter -t "$leader" -a "$@"
}
booted() {
	case $(in_ct systemctl is-system-running 2>/dev/null) in
	running|degraded) return 0 ;;
	esac
	return 1
}
wait_for 60 booted || fail "no boot: $(tail -5 nspawn.log)"
ctlc() {
	in_ct "$ctlbin" "$@"
}

in_ct systemctl start fosrd || fail "systemctl start: $(in_ct systemctl status fosrd --no-pager 2>&1 | tail -15)"
[ "$(in_ct systemctl is-active fosrd)" = active ] || fail "not active"
[ "$(in_ct stat -c %G /run/fosrd/fosrd.sock)" = fosr ] ||
	fail "socket group is not fosr"
ctlc start --fps 50 > /dev/null || fail "fosrctl start"
ct_frames() {
	[ "$(ctlc -j status | jq '.result.session.frames // 0')" -gt 0 ]
}
wait_for 30 ct_frames || fail "no frames inside the container"
ctlc status || fail "fosrctl status"
live_status() {
	in_ct systemctl show -p StatusText fosrd | grep -q "StatusText=running"
}
wait_for 10 live_status || fail "no live STATUS="
in_ct systemctl show -p StatusText fosrd
in_ct systemctl reload fosrd || fail "systemctl reload"
wait_for 10 sh -c "nsenter -t $leader -a journalctl -b -u fosrd \
	--no-pager | grep -q 'configuration reloaded'" || fail "reload not in the journal"
[ "$(in_ct systemctl is-active fosrd)" = active ] || fail "inactive after reload"
in_ct systemctl stop fosrd || fail "systemctl stop"
in_ct journalctl -b -u fosrd --no-pager > journal.txt
cat journal.txt
for m in "ready, version" "control: uid 0: start" "started: 50 flows/s" \
    "configuration reloaded" "terminating" "stopped: " "exited"; do
	grep -q "$m" journal.txt || fail "journal lacks \"$m\""
done
! grep -qi "fatal\|watchdog timeout" journal.txt || fail "errors in the journal"
set -- "$root"/var/lib/fosrd/fosrd-*.pcap
[ -f "$1" ] || fail "no pcap in /var/lib/fosrd"
[ "$(stat -c %U "$1")" != root ] || fail "output written as root"
frames=$(pcap_frames "$1")
[ "$frames" -gt 0 ] || fail "empty pcap"
echo "pcap written under systemd: $frames frames"
echo ok
