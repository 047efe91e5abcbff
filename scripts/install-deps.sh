#!/usr/bin/env bash
#===- scripts/install-deps.sh - Install Kiln's build and test deps --------===#
#
# Installs every Debian package that Kiln's build and test suite need.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs only the `dpkg -s` checks.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

PACKAGES=(
  # Compiler toolchain and build system.
  g++ cmake ninja-build ccache
  # LLVM/MLIR 22: libMLIR.so, TableGen, FileCheck, lit.
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  # ONNX parsing (protobuf) and the ONNX backend test data.
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  # Unit tests.
  libgtest-dev
  # COIN-OR CBC: the MILP solver of the exact remat method (lib/Solvers).
  coinor-libcbc-dev
  # OpenMP runtime (libomp.so.5) that the JIT loads for the multithreaded
  # matmul kernels' thread tiles.
  libomp-dev
  # Halide 14 (the halide-cpu and halide-cuda targets).
  libhalide14-0-dev
  # clang 22 with its sanitizer and libFuzzer runtimes: the ASan + UBSan
  # build and the fuzz targets (scripts/sanitize.sh, scripts/fuzz.sh).
  clang-22 libclang-rt-22-dev
  # Graphviz's dot: kiln-opt's fusion graph as SVG (--kiln-fusion-graph).
  graphviz
  # Python used by test generators and the conformance script.
  python3 python3-onnx python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
