#!/bin/bash
# Runs every libFuzzer target (tests/fuzz/fuzz_*.c) with ASan and UBSan
# for a bounded time through tools/fuzz: about 30 seconds of fuzzing
# in all, 2 to 10 seconds per target.  Any crash, leak, sanitizer report or
# target that does not build fails the test.  Skipped where clang cannot
# build libFuzzer programs.
set -u
cat > probe.c <<'C'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }
C
if ! command -v clang >/dev/null ||
    ! clang -fsanitize=fuzzer,address,undefined -o probe probe.c \
    2>/dev/null; then
	echo "skip: clang with libFuzzer is not available"
	exit 77
fi
n=$(ls "$FOSR_SRCDIR"/tests/fuzz/fuzz_*.c | wc -l)
[ "$n" -ge 1 ] || { echo "no fuzz targets"; exit 1; }
secs=$((30 / n))
[ $secs -gt 10 ] && secs=10
[ $secs -lt 2 ] && secs=2
out=$(sh "$FOSR_SRCDIR/tools/fuzz" "$FOSR_BUILDDIR" $secs 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || exit 1
# Every target really ran.
[ "$(echo "$out" | grep -c ': ok, ')" = "$n" ] || exit 1
