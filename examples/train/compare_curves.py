#!/usr/bin/python3
# ===- examples/train/compare_curves.py - Kiln's loss curve vs PyTorch's ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   compare_curves.py KILN_LOG REFERENCE_CSV [--rtol R] [--curve-rtol C]
#
# KILN_LOG is kiln-run's output with a line "step K: loss=V" per step;
# REFERENCE_CSV is "step,loss" (train_reference.py). Prints a table of a few
# steps and one summary line, and exits 0 only if
#   - both curves have the same steps,
#   - the final losses agree within R relative (default 1%),
#   - every step's loss agrees within C relative (default 1%: the shape of
#     the curve, not only its end), and
#   - training worked: the final loss is under half the first.
#
# ===-----------------------------------------------------------------------===#

import argparse
import re
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kiln_log")
    p.add_argument("reference_csv")
    p.add_argument("--rtol", type=float, default=0.01)
    p.add_argument("--curve-rtol", type=float, default=0.01)
    args = p.parse_args()

    kiln = {}
    with open(args.kiln_log) as f:
        for line in f:
            m = re.match(r"step (\d+): .*\bloss=([-+0-9.eE]+|nan|inf)", line)
            if m:
                kiln[int(m.group(1))] = float(m.group(2))
    ref = {}
    with open(args.reference_csv) as f:
        next(f)
        for line in f:
            step, loss = line.strip().split(",")
            ref[int(step)] = float(loss)
    if sorted(kiln) != sorted(ref):
        print(f"FAIL: Kiln logged {len(kiln)} steps, the reference has "
              f"{len(ref)}")
        return 1

    steps = sorted(ref)
    rel = {s: abs(kiln[s] - ref[s]) / abs(ref[s]) for s in steps}
    shown = sorted({steps[0], steps[-1]} |
                   {s for s in steps if s % 50 == 0 or s == 10})
    print("| step | Kiln loss | PyTorch loss | rel. diff |")
    print("| ---: | ---: | ---: | ---: |")
    for s in shown:
        print(f"| {s} | {kiln[s]:.6f} | {ref[s]:.6f} | {rel[s]:.1e} |")
    last, first = steps[-1], steps[0]
    worst = max(steps, key=lambda s: rel[s])
    ok = (rel[last] <= args.rtol and rel[worst] <= args.curve_rtol and
          kiln[last] < 0.5 * kiln[first])
    print(f"{'OK' if ok else 'FAIL'}: {len(steps)} steps, final loss "
          f"{kiln[last]:.6g} vs {ref[last]:.6g} (rel. diff {rel[last]:.2e}), "
          f"worst step {worst} (rel. diff {rel[worst]:.2e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
