#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The default profile.  Its files must be exactly what tools/mkprofile
# writes from the office description, and must hold together when read
# back on their own: tables of the right size whose rows are
# distributions, automata whose states all finish and whose probabilities
# sum to one, payloads that fit a segment.
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
				err("%s: %s: row %d sums to %g" % (path, var, r, s))
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
		err("bn_additional_data.json: %s has not %d Gaussians" % (key, n))

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
		sizes = {"HexCodes": lambda: [len(x) // 2 for x in pl["content"]],
		    "Text": lambda: [len(x.encode()) for x in pl["content"]],
		    "Lengths": lambda: pl["lengths"],
		    "NoPayload": lambda: [0]}[pl["type"]]()
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
		err("%s: states %s cannot finish" % (path, sorted(reach - done)))
if seen != want:
	err("automata: have %s, want %s" % (sorted(seen), sorted(want)))

for e in errors:
	print("FAIL:", e)
if errors:
	sys.exit(1)
print("ok: time profile, networks and automata read back")
EOF
