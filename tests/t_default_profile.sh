#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The default profile.  Its files must be exactly what tools/mkprofile
# writes from the office description, and must hold together when read
# back on their own: tables of the right size whose rows are
# distributions, automata whose states all finish and whose probabilities
# sum to one, payloads that fit a segment.  Then the traffic create-pcap
# makes from it must show what profiles/default/README.md promises.
set -eu

src=$FOSR_SRCDIR/profiles/default
fail() {
	echo "FAIL: $*"
	exit 1
}

command -v python3 > /dev/null || {
	echo "python3 is not installed: cannot run tools/mkprofile"
	exit 77
}

# 1. The committed files are the generator's output.
python3 "$FOSR_SRCDIR/tools/mkprofile" --check regen > mkprofile.log ||
	{ cat mkprofile.log; fail "tools/mkprofile --check"; }
diff -r -x README.md "$src" regen ||
	fail "profiles/default differs from what tools/mkprofile writes"
echo "ok: profiles/default is what tools/mkprofile writes"

# 2. Read back without the generator's help.
python3 - "$src" <<'EOF'
import glob, json, math, os, sys
import xml.etree.ElementTree as ET

top = sys.argv[1]
errors = []


def err(msg):
	errors.append(msg)


total = sum(os.path.getsize(f) for f in glob.glob(top + "/**/*",
    recursive=True) if os.path.isfile(f))
if total > 1000000:
	err("profile is %d bytes, more than 1 MB" % total)

# Time profile: 96 integer bins, a working day.
tp = json.load(open(top + "/time_profile.json"))
h = tp["histogram"]
if len(h) != 96 or not all(isinstance(x, int) and x > 0 for x in h):
	err("time_profile.json: histogram is not 96 positive integers")
day = sum(h)
if not 40000 <= day <= 60000:
	err("time_profile.json: %d flows a day" % day)
hour = [sum(h[4 * i:4 * i + 4]) for i in range(24)]
if not (hour[3] * 5 < hour[10] and hour[12] < 0.8 * hour[11] and
    hour[23] * 3 < hour[15]):
	err("time_profile.json: not a working day: %s" % hour)

# Bayesian networks: every table has one row per parent combination and
# every row is a distribution.
card = {}
for name in ("bn_common", "bn_tcp", "bn_udp"):
	path = "%s/bn/%s.bifxml" % (top, name)
	net = ET.parse(path).getroot().find("NETWORK")
	local = {}
	for v in net.findall("VARIABLE"):
		local[v.findtext("NAME")] = len(v.findall("OUTCOME"))
	for d in net.findall("DEFINITION"):
		var = d.findtext("FOR")
		given = [g.text for g in d.findall("GIVEN")]
		nums = [float(x) for x in d.findtext("TABLE").split()]
		k = local[var]
		rows = 1
		for g in given:
			rows *= local[g]
		if len(nums) != rows * k:
			err("%s: %s: %d numbers, expected %d" % (path, var,
			    len(nums), rows * k))
			continue
		for r in range(rows):
			s = sum(nums[r * k:(r + 1) * k])
			if abs(s - 1) > 1e-4:
				err("%s: %s: row %d sums to %g" % (path, var,
				    r, s))
	card[name] = local
if card["bn_common"].get("Time") != 96:
	err("bn_common: Time does not have 96 outcomes")
ad = json.load(open(top + "/bn/bn_additional_data.json"))
if ad["s0_bin_count"] != 96:
	err("bn_additional_data.json: s0_bin_count is not 96")
for key, net in (("tcp_out_pkt_gaussians", "bn_tcp"),
    ("udp_in_pkt_gaussians", "bn_udp")):
	n = card[net]["Cat In Packet"]
	if len(ad[key]["mu"]) != n or len(ad[key]["cov"]) != n:
		err("bn_additional_data.json: %s has not %d Gaussians" % (
		    key, n))

# Automata.
want = {"dns", "ntp", "http", "https", "ssh", "smtp", "mqtt"}
seen = set()
for path in sorted(glob.glob(top + "/automata/*.json")):
	a = json.load(open(path))
	seen.add(a["l7protocol"])
	if a.get("iat_unit") != "ns" or \
	    a.get("size_includes_l4_header") is not False:
		err("%s: units are not explicit" % path)
	out, p = {}, {}
	for e in a["edges"]:
		out.setdefault(e["src"], []).append(e["dst"])
		p[e["src"]] = p.get(e["src"], 0.0) + e["p"]
		if e["count"] < 1:
			err("%s: edge %d->%d has count 0" % (path, e["src"],
			    e["dst"]))
		pl = e["payloads"]
		if pl["type"] == "HexCodes":
			sizes = [len(x) // 2 for x in pl["content"]]
		elif pl["type"] == "Text":
			sizes = [len(x.encode()) for x in pl["content"]]
		elif pl["type"] == "Lengths":
			sizes = pl["lengths"]
		else:
			sizes = [0]
		if max(sizes) > 1448:
			err("%s: a payload of %d bytes" % (path, max(sizes)))
	for s, tot in p.items():
		if abs(tot - 1) > 1e-6:
			err("%s: state %d: p sums to %.9f" % (path, s, tot))
	acc = a["accepting_state"]
	if acc in out:
		err("%s: the accepting state has edges" % path)
	# Every state reached from the start must be able to finish.
	reach, stack = {a["initial_state"]}, [a["initial_state"]]
	while stack:
		for d in out.get(stack.pop(), []):
			if d not in reach:
				reach.add(d)
				stack.append(d)
	done, grew = {acc}, True
	while grew:
		grew = False
		for s, ds in out.items():
			if s not in done and any(d in done for d in ds):
				done.add(s)
				grew = True
	if reach - done:
		err("%s: states %s cannot finish" % (path,
		    sorted(reach - done)))
if seen != want:
	err("automata: have %s, want %s" % (sorted(seen), sorted(want)))

for e in errors:
	print("FAIL:", e)
if errors:
	sys.exit(1)
print("ok: time profile, networks and automata read back")
EOF

# 3. Traffic from the default profile, judged by tshark: every service is
# there and dissects as itself, hosts and MACs come from network.yaml,
# and delays and payload sizes are within the ranges the README states.
command -v tshark > /dev/null || {
	echo "tshark is not installed: cannot judge the generated traffic"
	exit 77
}
"$FOSR" create-pcap --help > /dev/null 2>&1 || {
	echo "create-pcap is not in this build: traffic not judged"
	exit 77
}
"$FOSR" create-pcap -o office.pcap -d 30min -t 2026-12-07T09:00:00Z \
	--tz UTC -s 11 > create.log 2>&1 ||
	{ cat create.log; fail "create-pcap on the default profile"; }
# The built-in profile is the files of profiles/default, and network.yaml
# is the configuration used without -c: the same run from the directory
# with the file given explicitly writes the same bytes.
"$FOSR" create-pcap -o files.pcap -d 30min -t 2026-12-07T09:00:00Z \
	--tz UTC -s 11 --profile "$src" -c "$src/network.yaml" \
	> files.log 2>&1 || { cat files.log; fail "create-pcap --profile"; }
cmp office.pcap files.pcap ||
	fail "the built-in profile differs from profiles/default"
echo "ok: built-in profile and network.yaml are the default"
tshark -2 -n -r office.pcap -T fields -E separator='|' -e frame.time_epoch \
	-e eth.src -e ip.src -e ip.dst -e tcp.stream -e tcp.srcport \
	-e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e tcp.len \
	-e udp.srcport -e udp.dstport -e udp.length -e dns.flags.response \
	-e dns.time -e frame.protocols -e tcp.reassembled_in \
	> fields.txt 2> tshark.err ||
	{ cat tshark.err; fail "tshark cannot read the capture"; }
bad=$(tshark -n -r office.pcap \
	-Y '_ws.malformed || _ws.expert.severity == error' 2> /dev/null | wc -l)
[ "$bad" -eq 0 ] || fail "$bad malformed or erroneous frames"
python3 - fields.txt <<'EOF'
import sys

PORTS = {53: "dns", 123: "ntp", 80: "http", 8080: "http", 443: "https",
    22: "ssh", 25: "smtp", 587: "smtp", 1883: "mqtt"}
# Payload bytes (client to server, server to client), as in the README.
SIZES = {"dns": ((28, 43), (28, 123)), "ntp": ((48, 48), (48, 48)),
    "http": ((214, 314), (97, 1448)), "https": ((24, 730), (62, 1448)),
    "ssh": ((16, 1096), (24, 1448)), "smtp": ((6, 1410), (14, 164)),
    "mqtt": ((2, 51), (2, 49))}
DISSECT = {"dns": "dns", "ntp": "ntp", "http": "http", "https": "tls",
    "ssh": "ssh", "smtp": "smtp", "mqtt": "mqtt"}
errors = []
seen = {s: 0 for s in SIZES}
dissected = {s: 0 for s in SIZES}
bad_size, bad_mac = {}, set()
syn, rtt, dns = {}, [], []
public = 0


def office(ip):
	return ip.startswith("192.168.10.") or ip.startswith("192.168.20.")


for line in open(sys.argv[1]):
	(t, esrc, isrc, idst, stream, tsp, tdp, fsyn, fack, tlen, usp, udp_,
	    ulen, resp, dtime, protos, reasm) = line.rstrip("\n").split("|")
	t = float(t)
	if tsp:
		sp, dp, size = int(tsp), int(tdp), int(tlen)
	elif usp:
		sp, dp, size = int(usp), int(udp_), int(ulen) - 8
	else:
		errors.append("a frame that is neither TCP nor UDP")
		continue
	if office(isrc):
		o = [int(x) for x in isrc.split(".")]
		if esrc != "02:00:%02x:%02x:%02x:%02x" % tuple(o):
			bad_mac.add((isrc, esrc))
	if not office(isrc) or not office(idst):
		public += 1
	if dp in PORTS:
		svc, fwd = PORTS[dp], 0
	elif sp in PORTS:
		svc, fwd = PORTS[sp], 1
	else:
		errors.append("a packet between ports %d and %d" % (sp, dp))
		continue
	if size > 0:
		# Data is dissected as its protocol, or is part of a message
		# that is (a download in several segments).
		seen[svc] += 1
		if DISSECT[svc] in protos.split(":") or reasm:
			dissected[svc] += 1
		lo, hi = SIZES[svc][fwd]
		if not lo <= size <= hi:
			bad_size.setdefault((svc, fwd), set()).add(size)
	if fsyn in ("1", "True"):
		if fack not in ("1", "True"):
			syn[stream] = t
		elif stream in syn:
			rtt.append((t - syn.pop(stream)) * 1000)
	if resp in ("1", "True"):
		if dtime:
			dns.append(float(dtime) * 1000)
		else:
			errors.append("a DNS answer without its query")

print("packets with data per service:", seen)
for svc, n in seen.items():
	if n == 0 or dissected[svc] < n:
		errors.append("%s: %d packets with data, %d dissected as %s" % (
		    svc, n, dissected[svc], DISSECT[svc]))
for (svc, fwd), sizes in sorted(bad_size.items()):
	errors.append("%s: %s payload sizes out of range: %s" % (svc,
	    "server" if fwd else "client", sorted(sizes)[:10]))
for ip, mac in sorted(bad_mac)[:5]:
	errors.append("%s sends from MAC %s, not its configured one" % (ip,
	    mac))
if public == 0:
	errors.append("no traffic with the Internet")
dns.sort()
rtt.sort()
if len(dns) < 100 or len(rtt) < 100:
	errors.append("%d DNS answers and %d handshakes: too few" % (len(dns),
	    len(rtt)))
else:
	med = dns[len(dns) // 2]
	print("DNS answers: %d, %.3f to %.3f ms, median %.3f ms" % (len(dns),
	    dns[0], dns[-1], med))
	if dns[0] < 0.02 or dns[-1] > 70 or not 5 <= med <= 35:
		errors.append("DNS answer delays out of range")
	lan = [x for x in rtt if x < 2]
	wan = [x for x in rtt if x >= 2]
	print("TCP handshakes: %d, SYN to SYN/ACK %.3f to %.3f ms; %d under "
	    "2 ms, median %.3f ms; %d over, median %.3f ms" % (len(rtt),
	    rtt[0], rtt[-1], len(lan), lan[len(lan) // 2] if lan else 0,
	    len(wan), wan[len(wan) // 2] if wan else 0))
	if rtt[0] <= 0 or rtt[-1] > 70 or \
	    not 0.2 <= len(lan) / len(rtt) <= 0.9 or \
	    not 0.2 <= lan[len(lan) // 2] <= 0.6 or \
	    not 15 <= wan[len(wan) // 2] <= 40:
		errors.append("handshake round trips out of range")
for e in errors:
	print("FAIL:", e)
sys.exit(1 if errors else 0)
EOF
echo "ok: the default profile's traffic matches its README"
