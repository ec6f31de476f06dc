#!/bin/bash
# Outputs that are not plain new files: a FIFO, standard output, a device,
# a symbolic link, a directory, and an output that names an input.  None
# may be destroyed or replaced.
set -eu
gen() { "$FOSR" create-pcap -q -s 3 -t 1700000000 -d 2min "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

gen -o ref.pcap
ref=$(sha256sum < ref.pcap)

# A FIFO stays a FIFO and its reader gets the whole capture.
mkfifo fifo
cat fifo > from_fifo.pcap &
reader=$!
gen -o fifo
wait "$reader"
[ -p fifo ] || fail "the FIFO was replaced"
[ "$(sha256sum < from_fifo.pcap)" = "$ref" ] || fail "FIFO content differs"

# "-" is standard output.
gen -o - > from_stdout.pcap
[ "$(sha256sum < from_stdout.pcap)" = "$ref" ] || fail "stdout content differs"

# A device is written in place, not replaced.
gen -o /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a device"

# A symbolic link survives; its target gets the capture.
echo old > target.pcap
ln -s target.pcap link.pcap
gen -o link.pcap
[ -L link.pcap ] || fail "the link was replaced"
[ "$(sha256sum < target.pcap)" = "$ref" ] || fail "link target not written"

# A directory is refused before any work, and nothing is left behind.
mkdir outdir
set +e
msg=$(gen -o outdir 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "directory output: exit $rc"
echo "$msg" | grep -q "outdir: cannot create: Is a directory" ||
	fail "directory output message: $msg"
[ -z "$(ls -A . | grep '^\.')" ] || fail "temporary file left: $(ls -A)"

# An output may not be another output or the input.
set +e
msg=$(gen -o same --flows ./same 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "--flows = -o: exit $rc"
echo "$msg" | grep -q "is also the pcap output" || fail "message: $msg"
[ ! -e same ] || fail "same was written"

cp ref.pcap in.pcap
set +e
msg=$("$FOSR" pcap2flow -i in.pcap -o ./in.pcap 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || fail "pcap2flow -o = -i: exit $rc"
echo "$msg" | grep -q "would overwrite the input" || fail "message: $msg"
[ "$(sha256sum < in.pcap)" = "$ref" ] || fail "pcap2flow input changed"
echo "outputs ok"
