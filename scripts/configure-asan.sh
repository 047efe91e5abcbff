#!/usr/bin/env bash
#===- scripts/configure-asan.sh - Configure the sanitizer build ----------===#
#
# Configures (once) the clang-22 build with AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer instrumentation in
# ${KILN_ASAN_BUILD_DIR:-build-asan}; scripts/sanitize.sh and
# scripts/fuzz.sh build in it.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${KILN_ASAN_BUILD_DIR:-build-asan}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DKILN_SANITIZE=address,undefined -DKILN_FUZZ=ON
fi
