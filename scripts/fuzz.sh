#!/usr/bin/env bash
#===- scripts/fuzz.sh - Run Kiln's libFuzzer targets ---------------------===#
#
#   bash scripts/fuzz.sh onnx|mlir SECONDS [extra libFuzzer flags...]
#
# Builds the fuzz targets (the ASan + UBSan + libFuzzer build of
# scripts/sanitize.sh, in build-asan/), seeds a corpus and runs the target
# for SECONDS:
#   onnx  kiln-fuzz-onnx: ONNX bytes -> import -> verify -> kiln-autodiff,
#         convert-kiln-to-linalg, canonicalize. Seeds: every model.onnx of
#         libonnx-testdata and the malformed-model corpus.
#   mlir  kiln-fuzz-mlir: MLIR text -> parse -> verify -> canonicalize.
#         Seeds: every split (// -----) of the lit tests' .mlir files.
# The corpus grows in fuzz/<target>/corpus (not checked in); crashes land in
# fuzz/<target>/ as crash-* files: make each one a regression test
# (test/Import/fuzz-regressions.test) once fixed. The last lines printed
# are libFuzzer's statistics ("Done N runs in S second(s)").
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: fuzz.sh onnx|mlir SECONDS}
seconds=${2:?usage: fuzz.sh onnx|mlir SECONDS}
shift 2
BUILD_DIR=${KILN_ASAN_BUILD_DIR:-build-asan}
bash scripts/configure-asan.sh
ninja -C "$BUILD_DIR" -j "${KILN_JOBS:-$(nproc)}" "kiln-fuzz-$target"

work="fuzz/$target"
seeds="$work/seeds"
mkdir -p "$work/corpus" "$seeds"
if [ -z "$(ls -A "$seeds")" ]; then
  if [ "$target" = onnx ]; then
    i=0
    for f in /usr/share/libonnx-testdata/data/*/*/model.onnx; do
      cp "$f" "$seeds/testdata_$i.onnx"; i=$((i + 1))
    done
    /usr/bin/python3 test/Inputs/make_malformed_models.py "$work/malformed" > /dev/null
    cp "$work"/malformed/*.onnx "$seeds/" 2>/dev/null || true
  else
    /usr/bin/python3 - "$seeds" <<'PY'
import pathlib, sys
out = pathlib.Path(sys.argv[1]); k = 0
for f in sorted(pathlib.Path("test").rglob("*.mlir")):
    for part in f.read_text(errors="replace").split("// -----"):
        if part.strip():
            (out / f"seed_{k}.mlir").write_text(part); k += 1
PY
  fi
fi

export ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$BUILD_DIR/bin/kiln-fuzz-$target" "$work/corpus" "$seeds" \
  -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix="$work/" -print_final_stats=1 "$@"
