#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The systemd side of "make install": files land where a Debian
# administrator looks for them, the units pass systemd-analyze verify
# against the staged tree, their hardening scores as OK, and the unit,
# socket, sysusers and configuration files agree on paths, user and group.
set -eu
: "${FOSR_SRCDIR:?}" "${FOSR_BUILDDIR:?}" "${FOSRD:?}"
WORK=$(pwd)

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "skip: $*"
	exit 77
}

command -v systemd-analyze > /dev/null || skip "systemd-analyze is missing"
[ -f "$FOSR_SRCDIR/systemd/fosrd.service.in" ] ||
	skip "this tree has no systemd units yet"
[ -x "$FOSRD" ] || fail "fosrd not built"

# stage DIR [make variables]: make install into DIR.
stage() {
	local dir=$1
	shift
	make -s -C "$FOSR_SRCDIR" BUILD="$FOSR_BUILDDIR" DESTDIR="$dir" \
	    "$@" install > "$dir.log" 2>&1 ||
		fail "make install $*: $(tail -n 5 "$dir.log")"
}

# unit_value FILE KEY: the last value of KEY in a unit file.
unit_value() {
	awk -F= -v k="$2" '$1 == k { v = substr($0, length(k) + 2) }
	    END { print v }' "$1"
}

# The Debian layout for prefix=/usr.
S=$WORK/stage
stage "$S" prefix=/usr
UNITS=$S/lib/systemd/system
for f in usr/sbin/fosrd usr/bin/fosrctl usr/bin/fosr etc/fosr/fosrd.conf \
    lib/systemd/system/fosrd.service lib/systemd/system/fosrd.socket \
    usr/lib/sysusers.d/fosr.conf usr/share/man/man8/fosrd.8 \
    usr/share/man/man8/fosrctl.8 usr/share/man/man5/fosrd.conf.5; do
	[ -f "$S/$f" ] || fail "prefix=/usr: /$f not installed"
done
! grep -n '@[A-Za-z_]*@' "$UNITS"/* || fail "unsubstituted name in a unit"
[ "$(stat -c %a "$UNITS/fosrd.service")" = 644 ] || fail "unit mode"
exec_start=$(unit_value "$UNITS/fosrd.service" ExecStart)
[ "$exec_start" = "/usr/sbin/fosrd -f /etc/fosr/fosrd.conf" ] ||
	fail "ExecStart=$exec_start"
# The output directory exists only once systemd made StateDirectory=.
mkdir -p out
sed "s|^output .*|output $WORK/out|" "$S/etc/fosr/fosrd.conf" > check.conf
"$S/usr/sbin/fosrd" -n -f check.conf 2> check.txt ||
	fail "the installed fosrd.conf is refused: $(cat check.txt)"

# Another prefix moves everything but /etc, and a reinstall keeps the
# administrator's configuration.
L=$WORK/local
stage "$L"
[ -f "$L/usr/local/lib/systemd/system/fosrd.service" ] ||
	fail "prefix=/usr/local: unit not in /usr/local/lib/systemd/system"
[ -f "$L/usr/local/lib/sysusers.d/fosr.conf" ] ||
	fail "prefix=/usr/local: sysusers file not in /usr/local/lib"
exec_start=$(unit_value "$L/usr/local/lib/systemd/system/fosrd.service" \
    ExecStart)
[ "${exec_start%% *}" = /usr/local/sbin/fosrd ] || fail "ExecStart=$exec_start"
echo "fps 3" >> "$L/etc/fosr/fosrd.conf"
stage "$L"
[ "$(tail -n 1 "$L/etc/fosr/fosrd.conf")" = "fps 3" ] ||
	fail "a reinstall replaced the administrator's fosrd.conf"

# verify --root resolves ExecStart= inside the staged tree; the tree gets
# the host's own units (sysinit.target...) and the system commands the
# unit runs besides fosrd (kill for ExecReload=, say).
cp -rn /lib/systemd/system/. "$UNITS/"
for cmd in $(awk -F= '/^Exec/ { split($2, w, " "); sub(/^[-@:+!]+/, "",
    w[1]); print w[1] }' "$UNITS/fosrd.service"); do
	[ -e "$S$cmd" ] && continue
	[ -x "$cmd" ] || fail "the unit runs $cmd, missing on this host too"
	mkdir -p "$S${cmd%/*}"
	cp "$cmd" "$S$cmd"
done
systemd-analyze verify --man=no --root="$S" fosrd.service fosrd.socket \
    > verify.txt 2>&1 || fail "verify: $(cat verify.txt)"
[ ! -s verify.txt ] || fail "verify warns: $(cat verify.txt)"
mv "$S/usr/sbin/fosrd" fosrd.moved
if systemd-analyze verify --man=no --root="$S" fosrd.service \
    > /dev/null 2>&1; then
	fail "verify accepts a unit whose ExecStart= is missing"
fi
mv fosrd.moved "$S/usr/sbin/fosrd"

# Hardening: systemd's exposure score stays "OK" (below 2.5 of 10); a rise
# past it should be a decision, not an accident.
systemd-analyze security --offline=yes --root="$S" fosrd.service \
    > security.txt 2>&1 || fail "security: $(tail -n 3 security.txt)"
grep 'Overall exposure' security.txt
systemd-analyze security --offline=yes --root="$S" --threshold=25 \
    fosrd.service > /dev/null 2>&1 ||
	fail "exposure above 2.5: $(grep 'Overall' security.txt)"

# One user, one group, one socket path, one state directory everywhere.
svc=$UNITS/fosrd.service sock=$UNITS/fosrd.socket
conf=$("$S/usr/sbin/fosrd" -nv -f check.conf)
output=$(awk '$1 == "output" { print $2 }' "$S/etc/fosr/fosrd.conf")
confval() {
	awk -v k="$1" '$1 == k { print $2 }' <<< "$conf"
}
sysuser=$(awk '$1 == "u" { print $2 }' "$S/usr/lib/sysusers.d/fosr.conf")
[ -n "$sysuser" ] || fail "the sysusers file creates no user"
systemd-sysusers --root="$S" --dry-run > sysusers.txt 2>&1 ||
	fail "sysusers: $(cat sysusers.txt)"
grep -q "Creating user '$sysuser'" sysusers.txt ||
	fail "sysusers would not create $sysuser: $(cat sysusers.txt)"
[ "$(unit_value "$svc" User)" = "$sysuser" ] || fail "User= is not $sysuser"
[ "$(unit_value "$svc" Group)" = "$sysuser" ] || fail "Group= not $sysuser"
[ "$(unit_value "$sock" SocketGroup)" = "$(confval socket_group)" ] ||
	fail "SocketGroup= differs from socket_group $(confval socket_group)"
[ "$(unit_value "$sock" SocketMode)" = "$(confval socket_mode)" ] ||
	fail "SocketMode= differs from socket_mode $(confval socket_mode)"
listen=$(unit_value "$sock" ListenStream)
[ "$listen" = "$(confval socket)" ] ||
	fail "ListenStream=$listen but fosrd.conf says $(confval socket)"
[ "/run/$(unit_value "$svc" RuntimeDirectory)" = "${listen%/*}" ] ||
	fail "RuntimeDirectory= does not hold $listen"
[ "/var/lib/$(unit_value "$svc" StateDirectory)" = "$output" ] ||
	fail "StateDirectory= is not the output $output"
[ "$(unit_value "$svc" Type)" = notify ] || fail "Type= is not notify"
grep -q '^Requires=fosrd.socket' "$svc" || fail "no Requires=fosrd.socket"
echo "units verified: $(unit_value "$svc" User), $listen, $output"
