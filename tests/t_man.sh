#!/bin/bash
# Every man page is valid mdoc: mandoc -Tlint reports nothing at warning
# level or above, and each page renders.
set -eu
src=$FOSR_SRCDIR/man
command -v mandoc >/dev/null || { echo "skip: mandoc is not installed"; exit 77; }
n=0
for page in "$src"/*.[0-9]; do
	[ -f "$page" ] || continue
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1 || true)
	if [ -n "$out" ]; then
		echo "lint: $page:"
		echo "$out"
		exit 1
	fi
	mandoc -Tutf8 "$page" > /dev/null
	n=$((n + 1))
done
[ "$n" -ge 1 ] || { echo "no man pages found"; exit 1; }
echo "$n man pages clean"
