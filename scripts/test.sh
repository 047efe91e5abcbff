#!/usr/bin/env bash
#===- scripts/test.sh - Install, build and run the whole test suite ------===#
#
# The one test command (the README's and CI's): installs the Debian
# packages, builds Kiln and runs `check-kiln` (lit/FileCheck IR tests,
# execution tests on ONNX backend-test data, GoogleTest unit tests). Ends
# with a line "check-kiln: N passed, M failed" and exits non-zero on any
# failure.
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
echo "check-kiln: $passed passed, $failed failed, ${unsupported:-0} skipped"
exit "$status"
