#!/usr/bin/python3
# ===- bench/sparse/training_step.py - Sparse codegen in a training step --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/sparse/training_step.py BUILD_DIR [--model mlp|transformer]
#       [--sparsities 90,95,99] [--runs N] [--rounds R]
#
# The bench/cpu models' training steps with kiln-sparsify's magnitude
# pruning reached (end-step=2, so the timed steps run at the final
# sparsity), timed by `kiln-run --bench N` with the products compiled
# dense (sparse-codegen=never) and by MLIR's sparse compiler
# (sparse-codegen=always: the forward matmuls on pruned weights; the
# backward products stay dense). Same process run, interleaved rounds,
# best round per variant; prints the medians and dense / sparse. The
# first rows of bench/sparse/run.py time the matmul alone; this shows what
# is left of it in a whole step (conversion every step, dense backward).
#
# ===-----------------------------------------------------------------------===#

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "cpu"))
sys.path.insert(0, os.path.dirname(HERE))
import models  # noqa: E402


def time_step(build, model_dir, spec, sparsity, codegen, runs):
    sparsify = (f"sparsify={{mode=magnitude sparsity={sparsity} end-step=2 "
                f"frequency=1 sparse-codegen={codegen}}}")
    cmd = [os.path.join(build, "bin", "kiln-run"),
           os.path.join(model_dir, "model.onnx"), "--make-train-step",
           spec.kiln_options() + " " + sparsify,
           "--data", os.path.join(model_dir, "data"), "--train-steps", "3",
           "--bench", str(runs)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"step_ms median=(\S+) min=(\S+)", out.stdout)
    if out.returncode != 0 or not m:
        sys.exit(f"kiln-run failed: {' '.join(cmd)}\n{out.stderr}")
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--model", default="mlp", choices=["mlp", "transformer"])
    ap.add_argument("--sparsities", default="90,95,99")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    spec = models.MODELS[args.model]()
    with tempfile.TemporaryDirectory() as tmp:
        spec.write(tmp)
        print(f"{spec.title}: training step with magnitude pruning at the "
              f"given sparsity; ms per step, best of {args.rounds} "
              f"interleaved rounds of {args.runs} steps")
        print(f"{'sparsity':>8} {'dense':>8} {'sparse':>8} {'d/s':>6}"
              f"   {'dense min':>9} {'sparse min':>10} {'d/s':>6}")
        for pct in [int(s) for s in args.sparsities.split(",")]:
            best = {"never": (1e9, 1e9), "always": (1e9, 1e9)}
            for _ in range(args.rounds):
                for codegen in ("never", "always"):
                    med, low = time_step(args.build, tmp, spec, pct / 100,
                                         codegen, args.runs)
                    best[codegen] = (min(best[codegen][0], med),
                                     min(best[codegen][1], low))
            d, s = best["never"], best["always"]
            print(f"{pct:>7}% {d[0]:>8.3f} {s[0]:>8.3f} {d[0] / s[0]:>5.2f}x"
                  f"   {d[1]:>9.3f} {s[1]:>10.3f} {d[1] / s[1]:>5.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
