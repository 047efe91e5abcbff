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
# layers) and cnn-bench (bench/cpu's CNN step, SGD with momentum), one
# training step built by `kiln-run --make-train-step`, run once as built,
# then with `--pipeline "func.func(kiln-remat{budget-fraction=FRACTION})"`
# as a user would, and, only when that misses the target, with
# `budget-bytes=B`. The target is FRACTION (default
# 0.5) x the plain step's measured peak; B starts at the target and, while
# the measured peak stays above it, drops by the excess (halfway back when
# that falls below the pass's lower bound), because the pass budgets its
# tensor-level model, which the arena after bufferization does not follow
# exactly; once one B meets the target and a larger one does not, it
# bisects between them (at most 6 runs; the largest B that met the target
# is the result: it recomputes least). Prints the plain peaks, the target, each run's
# planned and measured peak with the pass's remark (tensor-level peak,
# FLOPs added and their share), and whether the chosen run's outputs are
# bitwise identical to the plain step's. KILN_RUN overrides the kiln-run
# binary. The 8-block transformer takes minutes per run (LLVM's
# ScalarEvolution on the one large JIT function).
#
# ===-----------------------------------------------------------------------===#

set -euo pipefail
BUILD=${1:?usage: training_steps.sh BUILD_DIR [FRACTION] [MODEL...]}
FRACTION=${2:-0.5}
shift $(( $# >= 2 ? 2 : 1 ))
MODELS=("$@")
[ ${#MODELS[@]} -eq 0 ] && MODELS=(transformer cnn cnn-deep cnn-bench)
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
  cnn-bench)   # The CNN step of bench/cpu (issue 6): batch 32, 3x32x32.
               $PY -c "import sys; sys.path.insert(0, '$SRC/bench/cpu'); import models; models.cnn().write('$WORK/$model')"
               ln -s data "$WORK/$model/test_data_set_0"
               STEP=$($PY -c "import sys; sys.path.insert(0, '$SRC/bench/cpu'); import models; print(models.cnn().kiln_options())") ;;
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

def remat(budget, option="budget-bytes"):
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
# The pass budgets the tensor-level model; the arena after bufferization
# differs (packing, code generation scratch). Solve against the target;
# while the arena stays above it, take the excess off the model's budget;
# once one budget meets the target and a larger one does not, bisect
# between them (a larger budget recomputes less). At most 6 runs; the
# largest budget that met the target is the result.
# First as a user would: budget-fraction=F of the pass's own model.
text = remat(fraction, "budget-fraction")
error = re.search(r"kiln-run: error: .*", text)
first_met = False
if error:
    print(f"  remat(budget-fraction={fraction}): {error.group(0)}")
else:
    rmeasured = value(text, "measured_peak_bytes")
    remark = re.search(r"kiln-remat: .*", text)
    first_met = rmeasured <= target
    print(f"  remat(budget-fraction={fraction}): measured_peak_bytes={rmeasured} "
          f"({rmeasured / measured:.3f} of plain; "
          f"{'within' if first_met else 'ABOVE'} budget)")
    print(f"    {remark.group(0) if remark else '(no remark)'}")
budget, feasible, met, missed = target, None, None, None
for attempt in range(0 if first_met else 6):
    text = remat(budget)
    error = re.search(r"kiln-run: error: .*", text)
    if error:
        print(f"  remat(budget-bytes={budget}): {error.group(0)}")
        if feasible is None or feasible - budget < 1024:
            break
        # Below the lower bound: back off halfway to the last budget that
        # the pass could meet.
        budget = (budget + feasible) // 2
        continue
    feasible = budget
    rpeak, rmeasured = value(text, "peak_bytes"), value(text, "measured_peak_bytes")
    remark = re.search(r"kiln-remat: .*", text)
    print(f"  remat(budget-bytes={budget}): peak_bytes={rpeak} "
          f"measured_peak_bytes={rmeasured} ({rmeasured / measured:.3f} of "
          f"plain; {'within' if rmeasured <= target else 'ABOVE'} budget)")
    print(f"    {remark.group(0) if remark else '(no remark)'}")
    if rmeasured <= target:
        met = budget if met is None else max(met, budget)
        if missed is None:
            break
    else:
        missed = budget if missed is None else min(missed, budget)
    if met is None:
        # The arena sat a near-constant offset above the model in these
        # runs, so take the whole excess off the model's budget.
        budget -= rmeasured - target
    else:
        if missed - met < 4096:
            break
        budget = (met + missed) // 2
if met is not None:
    print(f"  result: budget-bytes={met} (the largest that met the target)")
outputs = sorted((d / "base").glob("output_*.pb"))
chosen = fraction if first_met else met if met is not None else feasible
if chosen is not None and (d / f"remat-{chosen}").exists():
    same = all(subprocess.run(
        [sys.executable, f"{src}/test/Inputs/compare_pb.py",
         str(d / f"remat-{chosen}" / o.name), str(o), "--atol", "0",
         "--rtol", "0"],
        capture_output=True).returncode == 0 for o in outputs)
    print(f"  outputs: {len(outputs)} {'bitwise identical' if same else 'DIFFERENT'}"
          f" (remat run at {'budget-fraction' if first_met else 'budget-bytes'}"
          f"={chosen} vs plain)")
PYEOF
done
