#!/usr/bin/env bash
#===- scripts/build.sh - Configure and build Kiln into build/ ------------===#
#
# Configures (once) and builds Kiln with Ninja into build/; binaries land in
# build/bin (kiln-opt, kiln-translate, kiln-run). Extra arguments go to
# ninja (e.g. a target name). KILN_JOBS overrides the job count.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${KILN_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
ninja -C "$BUILD_DIR" -j "${KILN_JOBS:-$(nproc)}" "$@"
