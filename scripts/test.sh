#!/usr/bin/env bash
#===- scripts/test.sh - Install, build and run the whole test suite ------===#
#
# The one test command (the README's and CI's): installs the Debian
# packages, builds Kiln and runs `check-kiln` (lit/FileCheck IR tests,
# execution tests on ONNX backend-test data, GoogleTest unit tests), then
# the ONNX conformance script over all of libonnx-testdata (any crash or
# hang fails). Ends with a line "check-kiln: N passed, M failed" and exits
# non-zero on any failure.
#
#===----------------------------------------------------------------------===#
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
bash scripts/build.sh || exit 1

BUILD_DIR=${KILN_BUILD_DIR:-build}
log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# lit aligns its summary ("  Passed           : 85 (98.84%)").
count() { grep -E "^ *$1 *: *[0-9]+" "$log" | head -1 | sed -E 's/^[^:]*: *([0-9]+).*/\1/'; }
passed=$(count Passed); xfailed=$(count "Expectedly Failed")
passed=$(( ${passed:-0} + ${xfailed:-0} ))
failed=0
for kind in Failed Unresolved "Unexpectedly Passed" "Timed Out"; do
  n=$(count "$kind"); failed=$((failed + ${n:-0}))
done
unsupported=$(count Unsupported)
rm -f "$log"

# ONNX conformance over every folder of libonnx-testdata: a crash or a hang
# anywhere fails the run (mismatches and unsupported ops are reported only).
conformance_status=0
for suite in node pytorch-converted pytorch-operator simple; do
  /usr/bin/python3 scripts/conformance.py --kiln-run "$BUILD_DIR/bin/kiln-run" \
      --fail-on-crash "/usr/share/libonnx-testdata/data/$suite" > "$BUILD_DIR/conformance-$suite.txt" 2>&1 \
    || conformance_status=1
  echo "$suite: $(tail -n 1 "$BUILD_DIR/conformance-$suite.txt")"
done
if [ "$conformance_status" -ne 0 ]; then
  failed=$((failed + 1))
  echo "conformance: a case crashed or hung (tables in $BUILD_DIR/conformance-*.txt)"
fi

echo "check-kiln: $passed passed, $failed failed, ${unsupported:-0} skipped"
[ "$status" -eq 0 ] && [ "$conformance_status" -eq 0 ]
