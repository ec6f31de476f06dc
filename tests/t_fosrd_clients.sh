#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Bad control clients never block fosrd or other clients: garbage, half
# lines, oversized lines, 200 clients at once, clients that vanish
# mid-request, a silent client and one that never reads its replies, all
# while a session generates.
. "$FOSR_SRCDIR/tests/fosrd_lib.sh"

write_conf fosrd.conf
start_fosrd fosrd.conf
ctl start --fps 300 --flat --output discard > /dev/null || fail "start"

python3 - "$SOCK" <<'PY' || fail "client checks"
import json, socket, sys, time

path = sys.argv[1]

readers = {}

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(20)
    readers[s] = s.makefile("rb")
    return s

def readline(s):
    line = readers[s].readline()
    if not line.endswith(b"\n"):
        raise EOFError("closed after %r" % line[:80])
    return json.loads(line)

def req(cmd, id=1, **args):
    return (json.dumps({"v": 1, "id": id, "cmd": cmd, "args": args})
            + "\n").encode()

def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)

# A silent client and a half line stay open while the others work.
silent = conn()
half = conn()
half.sendall(b'{"v":1,"cmd":"sta')

# Garbage: answered with stable codes, the connection keeps serving.
s = conn()
for line, code in ((b"hello\n", "bad-json"), (b"[]\n", "bad-request"),
                   (b'{"v":9,"id":3,"cmd":"status"}\n', "bad-version"),
                   (b'{"v":1,"cmd":"fly"}\n', "unknown-command"),
                   (b'{"v":1,"cmd":"set","args":{"fps":"x"}}\n',
                    "bad-argument"),
                   (b"\x00\xff\xfe garbage \x01\n", "bad-json")):
    s.sendall(line)
    r = readline(s)
    check(r["ok"] is False and r["error"]["code"] == code,
          "%r -> %r" % (line, r))
s.sendall(req("status", id=77))
r = readline(s)
check(r["ok"] and r["id"] == 77 and r["result"]["state"] == "running",
      "status after garbage: %r" % r)
# Several requests in one write come back in order.
s.sendall(req("version", id=1) + req("status", id=2) + req("version", id=3))
check([readline(s)["id"] for _ in range(3)] == [1, 2, 3], "pipelining")
s.close()

# Oversized line: refused with line-too-long, then closed.
s = conn()
s.sendall(b"x" * 70000)
r = readline(s)
check(r["error"]["code"] == "line-too-long", "oversize: %r" % r)
try:
    check(s.recv(10) == b"", "connection not closed after oversize")
except ConnectionResetError:
    pass
s.close()

# 200 clients at once, all answered.
clients = [conn() for _ in range(200)]
for i, c in enumerate(clients):
    c.sendall(req("status", id=i))
for i, c in enumerate(clients):
    r = readline(c)
    check(r["ok"] and r["id"] == i, "client %d: %r" % (i, r))
for c in clients:
    c.close()

# Vanishing mid-request: a slow command and a stop whose reply nobody
# reads; then a client that floods requests and never reads.
for cmd in (req("profile.load", dir="default"), req("stats"),
            req("status")):
    c = conn()
    c.sendall(cmd)
    c.close()
flood = conn()
flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
try:
    for i in range(3000):
        flood.sendall(req("status", id=i) * 10)
except (BrokenPipeError, ConnectionResetError, socket.timeout):
    pass

# Everyone else is still served, quickly.
t0 = time.monotonic()
s = conn()
s.sendall(req("status", id=5))
r = readline(s)
check(r["ok"] and r["result"]["state"] == "running", "after all: %r" % r)
print("status latency after the abuse: %.1f ms"
      % ((time.monotonic() - t0) * 1000))
s.close()
# The flooder was cut off rather than buffered without bound.
flood.settimeout(10)
got = 0
try:
    while True:
        chunk = flood.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
except (ConnectionResetError, socket.timeout):
    pass
print("flooder got %d bytes before being closed" % got)
check(got < 16 << 20, "flooder not cut off")
silent.close()
half.close()
print("clients ok")
PY

kill -0 "$FOSRD_PID" || fail "fosrd died"
st=$(ctl_json status)
[ "$(field "$st" .state)" = running ] || fail "not running: $st"
[ "$(field "$st" .clients)" -le 2 ] || fail "connections leaked: $st"
ctl stop > /dev/null || fail "stop"
stop_fosrd
echo ok
