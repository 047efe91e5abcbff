#!/bin/bash
# ===- bench/remat/training_steps.sh - kiln-remat on training steps -------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/remat/training_steps.sh BUILD_DIR [FRACTION] [MODEL...]
#
# The acceptance runs of kiln-remat: for each model of
# test/Inputs/make_remat_models.py (transformer with $BLOCKS blocks,
# default 8; cnn; cnn-deep, the cnn with 6 more full-resolution conv
# layers), cnn-bench and transformer-bench (bench/cpu's CNN step, SGD
# with momentum, and transformer block step, Adam), one
# training step built by `kiln-run --make-train-step`, run once as built,
# then with `--pipeline "func.func(kiln-remat{budget-fraction=FRACTION})"`
# as a user would. The target is FRACTION (default 0.5) x the plain step's
# measured peak; the pass measures the plain step's planned arena itself
# and, while the arena of its rebuilt copy is above the target, solves
# again for less (its remark gives the rounds). Prints the plain peaks, the
# target, the run's planned and measured peak with the pass's remark
# (planned arena, tensor-level peak, FLOPs added and their share), and
# whether its outputs are bitwise identical to the plain step's. KILN_RUN
# overrides the kiln-run
# binary. The 8-block transformer takes minutes per run (LLVM's
# ScalarEvolution on the one large JIT function).
#
# ===-----------------------------------------------------------------------===#

set -euo pipefail
BUILD=${1:?usage: training_steps.sh BUILD_DIR [FRACTION] [MODEL...]}
FRACTION=${2:-0.5}
shift $(( $# >= 2 ? 2 : 1 ))
MODELS=("$@")
[ ${#MODELS[@]} -eq 0 ] && MODELS=(transformer cnn cnn-deep cnn-bench transformer-bench)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUN=${KILN_RUN:-$BUILD/bin/kiln-run}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for model in "${MODELS[@]}"; do
  case $model in
  transformer) $PY "$SRC/test/Inputs/make_remat_models.py" transformer "$WORK/$model" --blocks "${BLOCKS:-8}"
               STEP="loss=mse optimizer=sgd" ;;
  cnn)         $PY "$SRC/test/Inputs/make_remat_models.py" cnn "$WORK/$model"
               STEP="loss=cross-entropy optimizer=sgd" ;;
  cnn-deep)    $PY "$SRC/test/Inputs/make_remat_models.py" cnn "$WORK/$model" --depth 6
               STEP="loss=cross-entropy optimizer=sgd" ;;
  cnn-bench|transformer-bench)
               # bench/cpu's steps (issue 6): the CNN (batch 32, 3x32x32,
               # momentum) and the transformer block (Adam, LayerNorm).
               kind=${model%-bench}
               $PY -c "import sys; sys.path.insert(0, '$SRC/bench/cpu'); import models; models.$kind().write('$WORK/$model')"
               ln -s data "$WORK/$model/test_data_set_0"
               STEP=$($PY -c "import sys; sys.path.insert(0, '$SRC/bench/cpu'); import models; print(models.$kind().kiln_options())") ;;
  *) echo "unknown model $model" >&2; exit 2 ;;
  esac
  DIR="$WORK/$model"
  "$RUN" "$DIR/model.onnx" --make-train-step "$STEP" --data "$DIR/test_data_set_0" \
    --report memory --write-outputs "$DIR/base" > "$DIR/base.txt" 2>&1
  $PY - "$model" "$FRACTION" "$DIR" "$SRC" "$RUN" "$STEP" <<'PYEOF'
import re, subprocess, sys
from pathlib import Path
model, fraction, d, src, run, step = sys.argv[1:7]
fraction, d = float(fraction), Path(d)

def value(text, key):
    m = re.search(rf"^{key}=(\d+)", text, re.M)
    return int(m.group(1)) if m else None

def remat(budget, option):
    out = subprocess.run(
        [run, str(d / "model.onnx"), "--make-train-step", step, "--data",
         str(d / "test_data_set_0"), "--report", "memory", "--remarks",
         "--write-outputs", str(d / f"remat-{budget}"), "--pipeline",
         f"func.func(kiln-remat{{{option}={budget}}})"],
        capture_output=True, text=True)
    return out.stdout + out.stderr

base = (d / "base.txt").read_text()
peak, measured = value(base, "peak_bytes"), value(base, "measured_peak_bytes")
target = int(fraction * measured)
print(f"== {model}")
print(f"  plain:  peak_bytes={peak} measured_peak_bytes={measured}")
print(f"  budget: {fraction} x {measured} = {target}")
# As a user would: budget-fraction=F. The pass measures the plain step's
# planned arena itself, solves, and re-solves for less while the arena of
# its rebuilt copy is above F x that (its remark says how many rounds).
text = remat(fraction, "budget-fraction")
error = re.search(r"kiln-run: error: .*", text)
if error:
    print(f"  remat(budget-fraction={fraction}): {error.group(0)}")
    sys.exit(0)
rpeak, rmeasured = value(text, "peak_bytes"), value(text, "measured_peak_bytes")
remark = re.search(r"kiln-remat: .*", text)
warning = re.search(r"kiln-run: warning: .*", text)
print(f"  remat(budget-fraction={fraction}): peak_bytes={rpeak} "
      f"measured_peak_bytes={rmeasured} ({rmeasured / measured:.3f} of "
      f"plain; {'within' if rmeasured <= target else 'ABOVE'} budget)")
print(f"    {remark.group(0) if remark else '(no remark)'}")
if warning:
    print(f"    {warning.group(0)}")
outputs = sorted((d / "base").glob("output_*.pb"))
same = all(subprocess.run(
    [sys.executable, f"{src}/test/Inputs/compare_pb.py",
     str(d / f"remat-{fraction}" / o.name), str(o), "--atol", "0",
     "--rtol", "0"],
    capture_output=True).returncode == 0 for o in outputs)
print(f"  outputs: {len(outputs)} {'bitwise identical' if same else 'DIFFERENT'}"
      f" (remat run vs plain)")
PYEOF
done
