#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# fosrd's side of systemd without systemd as PID 1: the notify protocol
# (READY, STATUS, WATCHDOG, RELOADING, STOPPING) read from a NOTIFY_SOCKET
# made here, and the control socket taken from systemd-socket-activate.
# (t_systemd_units checks the unit files, t_systemd_nspawn a real boot.)
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

command -v systemd-socket-activate > /dev/null ||
	skip "no systemd-socket-activate"

# The notify protocol.
write_conf fosrd.conf
python3 - "$FOSRD" "$FOSRCTL" "$WORK" <<'PY' || fail "notify protocol"
import os, signal, socket, subprocess, sys, time

fosrd, fosrctl, work = sys.argv[1:4]
path = os.path.join(work, "notify.sock")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(path)
ns.settimeout(1)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
env.pop("WATCHDOG_PID", None)
log = open(os.path.join(work, "fosrd.log"), "a")
p = subprocess.Popen([fosrd, "-d", "-f", os.path.join(work, "fosrd.conf")],
                     env=env, stdout=log, stderr=log)
seen = []

def expect(pred, what, limit=15):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            msg = ns.recv(4096).decode()
        except socket.timeout:
            continue
        for line in msg.split("\n"):
            seen.append(line)
            if pred(line):
                return line
    p.kill()
    sys.exit("FAIL: no %s; seen %r" % (what, seen[-10:]))

expect(lambda l: l == "READY=1", "READY=1")
expect(lambda l: l == "STATUS=idle", "STATUS=idle")
t0 = time.monotonic()
expect(lambda l: l == "WATCHDOG=1", "WATCHDOG=1", 2)
expect(lambda l: l == "WATCHDOG=1", "a second WATCHDOG=1", 2)
print("two watchdog pings in %.2f s" % (time.monotonic() - t0))
sock = os.path.join(work, "fosrd.sock")
subprocess.run([fosrctl, "-s", sock, "start", "--fps", "100",
                "--output", "discard"], check=True, stdout=subprocess.DEVNULL)
line = expect(lambda l: l.startswith("STATUS=running"), "STATUS=running")
print(line)
p.send_signal(signal.SIGHUP)
expect(lambda l: l == "RELOADING=1", "RELOADING=1")
expect(lambda l: l == "READY=1", "READY=1 after the reload")
p.send_signal(signal.SIGTERM)
expect(lambda l: l == "STOPPING=1", "STOPPING=1")
rc = p.wait(30)
if rc != 0:
    sys.exit("FAIL: exit status %d after SIGTERM" % rc)
print("notify ok")
PY

# Socket activation: the daemon adopts the socket it is given.
act=$WORK/act.sock
systemd-socket-activate -l "$act" "$FOSRD" -d -f fosrd.conf \
	>> "$FOSRD_LOG" 2>&1 &
FOSRD_PID=$!
trap 'cleanup_fosrd' EXIT
wait_for 20 "$FOSRCTL" -s "$act" version || fail "no answer on $act"
"$FOSRCTL" -s "$act" status > /dev/null || fail "status on $act"
grep -q "control socket from systemd" "$FOSRD_LOG" ||
	fail "the socket was not taken from systemd"
[ ! -e "$SOCK" ] || fail "the configured socket was bound as well"
stop_fosrd
echo ok
