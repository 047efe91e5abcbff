#!/usr/bin/env bash
#===- scripts/install-bench-deps.sh - Baselines for bench/ only ----------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# Installs what the benchmarks compare Kiln against, never what Kiln builds
# or tests with (that is scripts/install-deps.sh):
#   libopenblas0-pthread  OpenBLAS (threaded); Debian's numpy then uses it
#                         as its BLAS, so bench/gemm/run.py's numpy matmul is
#                         OpenBLAS sgemm.
#   python3-torch         PyTorch eager (1.13, CPU), the baseline of
#                         bench/cpu/run.py's training steps.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends libopenblas0-pthread \
  python3-numpy python3-onnx python3-torch
