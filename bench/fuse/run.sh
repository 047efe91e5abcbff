#!/bin/sh
# ===- bench/fuse/run.sh - Training step with and without kiln-fuse -------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/fuse/run.sh BUILD_DIR [RUNS] [make_mlp.py options...]
#
# Builds an MLP training step (Adam, cross-entropy) with kiln-opt, then times
# it with `kiln-run --bench RUNS` unfused and with kiln-fuse, alternating
# three times so that a noisy machine shows in the spread, and checks that
# both compute the same outputs (test/Inputs/compare_pb.py).
#
# ===-----------------------------------------------------------------------===#
set -e
BUILD=${1:?usage: run.sh BUILD_DIR [RUNS] [make_mlp.py options]}
RUNS=${2:-20}
shift; [ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 "$HERE/make_mlp.py" "$TMP/mlp.onnx" --adam-inputs "$TMP/in" "$@"
"$BUILD/bin/kiln-opt" "$TMP/mlp.onnx" \
  --kiln-make-train-step="loss=cross-entropy optimizer=adam lr=0.001" \
  -o "$TMP/step.mlir" 2>/dev/null
FUSE="func.func(kiln-fuse)"
for i in 1 2 3; do
  printf "unfused: "
  "$BUILD/bin/kiln-run" "$TMP/step.mlir" --test-data "$TMP/in" --bench "$RUNS" 2>/dev/null \
    | grep step_ms
  printf "fused:   "
  "$BUILD/bin/kiln-run" "$TMP/step.mlir" --test-data "$TMP/in" --bench "$RUNS" --pipeline "$FUSE" \
    2>/dev/null | grep step_ms
done
"$BUILD/bin/kiln-run" "$TMP/step.mlir" --test-data "$TMP/in" --write-outputs "$TMP/unfused" \
  >/dev/null 2>&1
"$BUILD/bin/kiln-run" "$TMP/step.mlir" --test-data "$TMP/in" --pipeline "$FUSE" \
  --write-outputs "$TMP/fused" >/dev/null 2>&1
for f in "$TMP"/unfused/*.pb; do
  /usr/bin/python3 "$SRC/test/Inputs/compare_pb.py" "$TMP/fused/$(basename "$f")" "$f"
done | awk '{print $3}' | sort | uniq -c
[ -n "$KEEP" ] && cp -r "$TMP" "$KEEP"
"$BUILD/bin/kiln-opt" "$TMP/step.mlir" --pass-pipeline="builtin.module($FUSE)" \
  -o /dev/null 2>&1 | grep -o 'kiln-fuse:.*' | sed -n 1p
