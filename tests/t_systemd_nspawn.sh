#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A real "systemctl start fosrd": a minimal Debian root with systemd is
# built once by debootstrap and cached in the build folder, a copy gets
# "make install", boots under systemd-nspawn, and the test drives the
# service the way an administrator would: systemctl start, fosrctl start
# and status, systemctl reload, systemctl stop, then reads the journal
# and the pcap the service wrote in its state directory.
set -eu
# A private mount namespace: the guest's overlay mount vanishes with it.
if [ -z "${FOSR_NSPAWN_PRIVATE:-}" ] && [ "$(id -u)" -eq 0 ] &&
    command -v unshare > /dev/null; then
	FOSR_NSPAWN_PRIVATE=1 exec unshare --mount --propagation private \
	    bash "$0" "$@"
fi
: "${FOSR_SRCDIR:?}" "${FOSR_BUILDDIR:?}" "${FOSRD:?}" "${FOSRCTL:?}"
WORK=$(pwd)
ROOT=$WORK/root
NSPAWN_PID=
LEADER=

fail() {
	echo "FAIL: $*" >&2
	if [ -n "$LEADER" ]; then
		echo "--- journal of fosrd (tail) ---" >&2
		guest journalctl -b -u fosrd -u fosrd.socket --no-pager \
		    2>&1 | tail -n 30 >&2 || true
	fi
	if [ -f "$WORK/nspawn.log" ]; then
		echo "--- systemd-nspawn console (tail) ---" >&2
		tail -n 15 "$WORK/nspawn.log" >&2
	fi
	exit 1
}

skip() {
	echo "skip: $*"
	exit 77
}

# guest CMD...: runs a command inside the booted container, bounded in time.
guest() {
	timeout 60 nsenter -t "$LEADER" -a "$@"
}

# lap WHAT: how long the step since the previous lap took.
LAP=$(date +%s%N)
lap() {
	local now

	now=$(date +%s%N)
	echo "time: $1: $(( (now - LAP) / 1000000 )) ms"
	LAP=$now
}

# wait_for SECONDS COMMAND...: polls the command every 100 ms.
wait_for() {
	local limit=$1 end
	shift
	end=$(( $(date +%s) + limit ))
	until "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

[ "$(id -u)" -eq 0 ] || skip "needs root (systemd-nspawn, debootstrap)"
for tool in systemd-nspawn debootstrap nsenter tshark jq; do
	command -v "$tool" > /dev/null || skip "$tool is not installed"
done
[ -f "$FOSR_SRCDIR/daemon/fosrd.c" ] || skip "this tree has no fosrd yet"
[ -x "$FOSRD" ] && [ -x "$FOSRCTL" ] || fail "fosrd or fosrctl not built"

# The guest runs the programs built here, so it must be the host's release.
. /etc/os-release
[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] ||
	skip "needs a Debian host to build a matching guest"
SUITE=$VERSION_CODENAME

# apt_source SUITE: the first "deb" URI (and its keyring) that apt is
# configured to use for SUITE, read from the deb822 source files.
apt_source() {
	awk -v suite="$1" '
	function flush() {
		if (!found && uri != "" && (" " types " ") ~ / deb / &&
		    (" " suites " ") ~ (" " suite " ")) {
			print uri, key
			found = 1
		}
		types = suites = uri = key = ""
	}
	FNR == 1 { flush() }
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	{
		name = tolower($1)
		val = $0
		sub(/^[^:]*:[ \t]*/, "", val)
	}
	name == "types:" { types = val }
	name == "suites:" { suites = val }
	name == "uris:" { split(val, u, /[ \t]+/); uri = u[1] }
	name == "signed-by:" && val ~ /^\// { key = val }
	END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null
}

# guest_packages: systemd for the guest, procps (kill, ps) as on every
# standard Debian, plus the packages that own every shared library the
# installed programs load, so a new dependency is picked up (and the
# cache renewed) without editing a list.
guest_packages() {
	local libs owners owned lib

	libs=$(ldd "$FOSRD" "$FOSRCTL" "$FOSR_BUILDDIR/fosr" |
	    awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
	# One dpkg query for all; with a merged /usr a library may be known
	# to dpkg under its /lib name or under the name it resolves to.
	owners=$(for lib in $libs; do echo "$lib"; readlink -f "$lib"; done |
	    sort -u | xargs dpkg -S 2>/dev/null | grep -v '^diversion')
	owned=$(awk -F': ' '{ print $NF }' <<< "$owners")
	for lib in $libs; do
		grep -qxF -e "$lib" -e "$(readlink -f "$lib")" <<< "$owned" ||
		    echo "unowned: $lib"
	done
	{
		printf '%s\n' systemd systemd-sysv dbus iproute2 procps
		sed 's/[:,].*//' <<< "$owners"
	} | sort -u
}

pkgs=$(guest_packages)
if grep -q '^unowned' <<< "$pkgs"; then
	fail "no Debian package owns $(grep '^unowned' <<< "$pkgs" | head -1)"
fi
key=$(printf '%s %s\n%s\n' "$SUITE" "$(dpkg --print-architecture)" "$pkgs" |
	sha256sum | cut -c1-12)
CACHE=$FOSR_BUILDDIR/nspawn
BASE=$CACHE/$SUITE-$key

# build_base: debootstrap once per package list; the folder appears only
# when complete, and older lists are removed so the cache stays one root.
build_base() {
	local src uri keyring start

	src=$(apt_source "$SUITE")
	[ -n "$src" ] || fail "no apt source for $SUITE in" \
	    "/etc/apt/sources.list.d/*.sources"
	read -r uri keyring <<< "$src"
	echo "debootstrap $SUITE from $uri: $(echo $pkgs)"
	rm -rf "$BASE.tmp"
	start=$(date +%s)
	debootstrap --variant=minbase ${keyring:+--keyring="$keyring"} \
	    --include="$(echo $pkgs | tr ' ' ,)" "$SUITE" "$BASE.tmp" "$uri" \
	    > "$CACHE/debootstrap.log" 2>&1 ||
		fail "debootstrap failed, see $CACHE/debootstrap.log:" \
		    "$(tail -n 3 "$CACHE/debootstrap.log")"
	rm -rf "$BASE.tmp/var/cache/apt/archives/"*.deb
	find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "$SUITE-*" \
	    ! -name "$SUITE-$key*" -exec rm -rf {} +
	mv "$BASE.tmp" "$BASE"
	echo "guest root built in $(( $(date +%s) - start )) s"
}

mkdir -p "$CACHE"
exec 9> "$CACHE/lock"
flock -w 600 9 || fail "another run holds $CACHE/lock"
[ -d "$BASE" ] || build_base
flock -u 9
lap "guest root ready"

# The container is always powered off and its root removed, whatever
# happens; only the systemd-nspawn started here is signalled.
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -n "$LEADER" ] && guest systemctl poweroff > /dev/null 2>&1
		wait_for 30 eval '! kill -0 "$NSPAWN_PID"' ||
			kill -TERM "$NSPAWN_PID" 2>/dev/null
		wait_for 10 eval '! kill -0 "$NSPAWN_PID"' ||
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
		lap "power off"
	fi
	umount "$ROOT" 2>/dev/null || true
	rm -rf "$ROOT" "$WORK/upper" "$WORK/ovl"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A Debian-like install into a fresh copy of the cached root: an overlay
# where the kernel allows one (no 200 MB copy), else a real copy.
mkdir -p "$ROOT" "$WORK/upper" "$WORK/ovl"
if [ -z "${FOSR_NSPAWN_PRIVATE:-}" ] || ! mount -t overlay fosr-guest \
    -o "lowerdir=$BASE,upperdir=$WORK/upper,workdir=$WORK/ovl" "$ROOT"
then
	rm -rf "$ROOT"
	cp -a "$BASE" "$ROOT"
fi
make -s -C "$FOSR_SRCDIR" BUILD="$FOSR_BUILDDIR" DESTDIR="$ROOT" \
    prefix=/usr install > install.log 2>&1 ||
	fail "make install: $(tail -n 5 install.log)"
for f in usr/sbin/fosrd usr/bin/fosrctl etc/fosr/fosrd.conf \
    lib/systemd/system/fosrd.service lib/systemd/system/fosrd.socket \
    usr/lib/sysusers.d/fosr.conf; do
	[ -f "$ROOT/$f" ] || fail "make install did not install /$f"
done
if chroot "$ROOT" ldd /usr/sbin/fosrd /usr/bin/fosrctl | grep 'not found'
then
	fail "the guest lacks libraries of the installed programs"
fi

lap "copy and make install"

systemd-nspawn -D "$ROOT" -b --register=no --keep-unit --private-network \
    --console=pipe --system-call-filter=bpf \
    --capability=CAP_BPF,CAP_PERFMON > nspawn.log 2>&1 < /dev/null &
NSPAWN_PID=$!

# find_leader: the container's PID 1, a child of systemd-nspawn.
find_leader() {
	local p
	for p in $(pgrep -P "$NSPAWN_PID"); do
		if awk '$1 == "NSpid:" && $NF == 1 { ok = 1 }
		    END { exit !ok }' "/proc/$p/status" 2>/dev/null; then
			LEADER=$p
			return 0
		fi
	done
	return 1
}
booted() {
	case $(guest systemctl is-system-running 2>/dev/null) in
	running|degraded) return 0 ;;
	esac
	return 1
}
wait_for 30 find_leader || fail "no container leader after 30 s"
wait_for 60 booted || fail "guest not booted after 60 s:" \
    "$(guest systemctl is-system-running)"
lap "boot to $(guest systemctl is-system-running)"

# What a package's postinst does: create the user, then start the unit.
guest systemd-sysusers || fail "systemd-sysusers"
guest getent passwd fosr > /dev/null || fail "no fosr user after sysusers"
guest systemd-analyze verify --man=no fosrd.service fosrd.socket \
    > verify.txt 2>&1 || fail "verify in the guest: $(cat verify.txt)"
[ ! -s verify.txt ] || fail "verify in the guest: $(cat verify.txt)"
guest systemctl start fosrd || fail "systemctl start fosrd"
[ "$(guest systemctl is-active fosrd)" = active ] || fail "fosrd not active"
[ "$(guest systemctl is-active fosrd.socket)" = active ] ||
	fail "fosrd.socket not active"
mainpid=$(guest systemctl show -P MainPID fosrd)
user=$(guest stat -c %U "/proc/$mainpid") || fail "no process $mainpid"
[ "$user" = fosr ] || fail "fosrd runs as $user, not fosr"
[ "$(guest stat -c '%a %G' /run/fosrd/fosrd.sock)" = "660 fosr" ] ||
	fail "socket: $(guest stat -c '%a %U:%G' /run/fosrd/fosrd.sock)"
lap "sysusers, verify, systemctl start"

# Generation through the installed fosrctl and the unit's socket.
ctl() {
	guest fosrctl "$@"
}
ctl_status() {
	ctl -j status | jq -c .result
}
generated() {
	local st
	st=$(ctl_status) || return 1
	[ "$(jq -r .state <<< "$st")" = running ] &&
	    [ "$(jq -r '.session.frames // 0' <<< "$st")" -ge 100 ]
}
ctl start --fps 50 > start.txt || fail "fosrctl start: $(cat start.txt)"
wait_for 60 generated || fail "no frames after 60 s: $(ctl_status)"
ctl status > status.txt || fail "fosrctl status"
cat status.txt
grep -q running status.txt || fail "fosrctl status does not say running"
lap "fosrctl start until 100 frames"

# Reload: SIGHUP through ExecReload=, the same process keeps generating.
journal() {
	guest journalctl -b -u fosrd --no-pager -o cat
}
reloaded() {
	journal | grep -q '^configuration reloaded'
}
guest systemctl reload fosrd || fail "systemctl reload fosrd"
wait_for 30 reloaded || fail "no reload notice in the journal"
[ "$(guest systemctl show -P MainPID fosrd)" = "$mainpid" ] ||
	fail "reload restarted fosrd"
[ "$(ctl_status | jq -r .state)" = running ] || fail "not running after reload"
lap "systemctl reload"

# Stop: SIGTERM ends the session, flushes the pcap and exits 0.
guest systemctl stop fosrd || fail "systemctl stop fosrd"
[ "$(guest systemctl show -P Result fosrd)" = success ] ||
	fail "stop result: $(guest systemctl show -P Result fosrd)"
[ "$(guest systemctl show -P ExecMainStatus fosrd)" = 0 ] ||
	fail "exit status $(guest systemctl show -P ExecMainStatus fosrd)"
lap "systemctl stop"
journal > journal.txt
for notice in '^ready, version' '^started: ' '^configuration reloaded' \
    '^terminating' '^stopped: ' '^exited'; do
	grep -q "$notice" journal.txt || fail "journal lacks \"$notice\""
done
guest journalctl -b -u fosrd --no-pager > journal-full.txt
for msg in 'Started fosrd' 'Reloading fosrd' 'Stopped fosrd'; do
	grep -q "$msg" journal-full.txt || fail "journal lacks \"$msg\""
done

# The socket unit stays: the next client starts the service again.
ctl version > version.txt || fail "socket activation: $(cat version.txt)"
[ "$(guest systemctl is-active fosrd)" = active ] ||
	fail "a client on the socket did not start fosrd"
[ "$(guest systemctl show -P MainPID fosrd)" != "$mainpid" ] ||
	fail "socket activation: the old process still runs"
guest systemctl stop fosrd.socket fosrd || fail "systemctl stop both units"
[ "$(guest systemctl show -P ExecMainStatus fosrd)" = 0 ] ||
	fail "idle stop: exit $(guest systemctl show -P ExecMainStatus fosrd)"

# The pcap in the state directory holds what the last notice counted.
set -- "$ROOT"/var/lib/fosrd/*.pcap
[ -f "$1" ] || fail "no pcap in /var/lib/fosrd"
frames=$(sed -n 's/^stopped: [0-9]* flows, \([0-9]*\) frames.*/\1/p' \
    journal.txt)
n=0
for f in "$@"; do
	k=$(tshark -r "$f" -T fields -e frame.number 2> tshark.err | wc -l)
	[ ! -s tshark.err ] || grep -q 'as user' tshark.err ||
		fail "tshark on $f: $(head -n 3 tshark.err)"
	n=$((n + k))
done
echo "pcap files: $#, frames: $n, journal says $frames"
[ "$n" -gt 0 ] || fail "the pcap is empty"
[ "$n" = "$frames" ] || fail "pcap has $n frames, the journal $frames"
