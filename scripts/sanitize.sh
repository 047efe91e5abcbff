#!/usr/bin/env bash
#===- scripts/sanitize.sh - Kiln under ASan + UBSan ----------------------===#
#
#   bash scripts/sanitize.sh [--all] [lit paths...]
#
# Builds Kiln with clang-22, AddressSanitizer and UndefinedBehaviorSanitizer
# (-DKILN_SANITIZE=address,undefined; also the libFuzzer targets,
# -DKILN_FUZZ=ON) into build-asan/, then runs lit on it. Without arguments
# it runs the CI slice: every IR test (Import, Dialect, Passes, Conversion,
# Codegen lit tests), the GoogleTest units, the malformed-model corpus and
# the execution tests named below; `--all` runs the whole suite, or give
# lit paths relative to build-asan/test. Any sanitizer report aborts the
# tool under test, so it fails its test.
#
# Leak checking is off: MLIR's, LLVM's and Halide's process-lifetime
# caches would be reported at exit. KILN_ASAN_BUILD_DIR overrides the
# folder.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${KILN_ASAN_BUILD_DIR:-build-asan}
bash scripts/configure-asan.sh
ninja -C "$BUILD_DIR" -j "${KILN_JOBS:-$(nproc)}"

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_odr_violation=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

paths=()
if [ "${1:-}" = "--all" ]; then
  paths=("$BUILD_DIR/test")
elif [ $# -gt 0 ]; then
  for p in "$@"; do paths+=("$BUILD_DIR/test/$p"); done
else
  paths=("$BUILD_DIR/test/Import" "$BUILD_DIR/test/Dialect"
         "$BUILD_DIR/test/Passes" "$BUILD_DIR/test/Conversion"
         "$BUILD_DIR/test/unit"
         "$BUILD_DIR/test/Execution/kiln-run.test"
         "$BUILD_DIR/test/Execution/training-references.test"
         "$BUILD_DIR/test/Execution/artifact.test"
         "$BUILD_DIR/test/Execution/make-train-step.test"
         "$BUILD_DIR/test/Execution/onnx-node-nn.test")
fi
/usr/lib/llvm-22/bin/lit -sv "${paths[@]}"
